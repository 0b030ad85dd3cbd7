#!/usr/bin/env python3
"""Checks config/firstfollower.service with systemd's own tools.

    check_systemd_unit.py BINARY REPOSITORY_ROOT [--unit PATH]

- The unit runs /usr/bin/firstfollower (where `cmake --install --prefix
  /usr` puts it) and keeps the hardening and shutdown settings it is meant
  to have: a line dropped by mistake fails here.
- `systemd-analyze verify` accepts it, and reports nothing about it: verify
  exits 0 on a key it does not know and only prints a warning, and a
  misspelt hardening key is a protection silently gone, so any line it
  prints about the unit fails the check.
- `systemd-analyze security --offline=yes` rates its exposure at most
  MAX_EXPOSURE, so that loosening the sandbox is a visible decision.

Exit status: 0 when it passes, 1 when it does not, 77 (ctest's skip) when
this machine has no systemd-analyze. --unit checks another file, such as a
deliberately broken copy. Standard library only.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
INSTALLED_BINARY = "/usr/bin/firstfollower"
# systemd-analyze security's scale, 0 to 10; the unit rates 1.3 now.
MAX_EXPOSURE = 2.0

# Setting -> the value it must have (None: present with any value).
REQUIRED = {
    "ExecStart": INSTALLED_BINARY,
    "DynamicUser": "yes",
    "StateDirectory": "firstfollower",
    "WorkingDirectory": "/var/lib/firstfollower",
    "EnvironmentFile": "-/etc/firstfollower/firstfollower.env",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "NoNewPrivileges": "yes",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "SystemCallFilter": "@system-service",
    "Restart": "on-failure",
    "KillSignal": "SIGTERM",
    "TimeoutStopSec": "30",
}


def service_settings(text):
    """Key -> every value it is given in [Service], in order."""
    settings, section = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if section == "Service" and "=" in line:
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", help="the built firstfollower")
    parser.add_argument("root", help="the repository root")
    parser.add_argument("--unit", help="check this file instead of ROOT/config/firstfollower.service")
    args = parser.parse_args()
    unit = args.unit or os.path.join(args.root, "config", "firstfollower.service")
    binary = os.path.abspath(args.binary)
    with open(unit, encoding="utf-8") as f:
        text = f.read()

    failures = []
    settings = service_settings(text)
    for key, wanted in REQUIRED.items():
        values = settings.get(key, [])
        if not values:
            failures.append("[Service] has no %s= (want %s=%s)" % (key, key, wanted))
        elif wanted is not None and wanted not in values:
            failures.append("[Service] %s=%s; want %s=%s" % (key, values[-1], key, wanted))
    if not failures:
        print("%s: [Service] has the %d settings it must have"
              % (os.path.basename(unit), len(REQUIRED)))

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        for failure in failures:
            print("FAILED: " + failure)
        if failures:
            return 1
        print("SKIPPED: no systemd-analyze here to verify the unit with")
        return SKIP

    with tempfile.TemporaryDirectory() as tmp:
        # verify fails when ExecStart's binary does not exist, and the unit
        # names the installed path, which a build tree has not got. Verify a
        # copy that runs the binary just built instead: the rest of the unit
        # is checked as it is, and the binary is a real executable.
        copy = os.path.join(tmp, "firstfollower.service")
        replaced = re.sub(r"^(ExecStart=[-@:+!]*)%s\b" % re.escape(INSTALLED_BINARY),
                          lambda m: m.group(1) + binary, text, flags=re.M)
        with open(copy, "w", encoding="utf-8") as f:
            f.write(replaced)
        # --man=no: the unit names no man page, and none would be installed.
        result = subprocess.run([analyze, "verify", "--man=no", copy],
                                capture_output=True, text=True)
        output = (result.stdout + result.stderr).strip()
        about_unit = [line for line in output.splitlines()
                      if "firstfollower.service" in line or copy in line]
        if result.returncode != 0:
            failures.append("systemd-analyze verify exits %d:\n%s" % (result.returncode, output))
        elif about_unit:
            failures.append("systemd-analyze verify reports:\n" + "\n".join(
                line.replace(copy, os.path.basename(unit)) for line in about_unit))
        else:
            print("systemd-analyze verify: no complaint (ExecStart pointed at %s)"
                  % os.path.basename(binary))
            other = [line for line in output.splitlines() if line not in about_unit]
            for line in other:  # about units of this machine, not ours
                print("  (about another unit) " + line)

        result = subprocess.run([analyze, "security", "--offline=yes", "--no-pager", copy],
                                capture_output=True, text=True)
        found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
        if found is None:
            # Older systemd has no offline review; verify has run already.
            print("systemd-analyze security --offline=yes gave no rating; not rated")
        else:
            exposure = float(found.group(1))
            if exposure > MAX_EXPOSURE:
                loose = [line.strip() for line in result.stdout.splitlines()
                         if line.lstrip().startswith("\u2717")]
                failures.append("systemd-analyze security rates the unit's exposure %.1f, over "
                                "%.1f; what it finds open:\n  %s"
                                % (exposure, MAX_EXPOSURE, "\n  ".join(loose)))
            else:
                print("systemd-analyze security: exposure %.1f (at most %.1f)"
                      % (exposure, MAX_EXPOSURE))

    for failure in failures:
        print("FAILED: " + failure)
    if failures:
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
