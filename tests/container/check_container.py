#!/usr/bin/env python3
"""Checks the Dockerfile against the built binary, without a container engine.

    check_container.py BINARY REPOSITORY_ROOT [--check NAME]... [--dockerfile PATH]

Checks (all of them unless --check names some):
  stages     the build stage runs scripts/setup, as a developer machine does,
             on Debian 12, the release the runtime stage runs.
  libraries  every shared library BINARY loads (ldd) belongs to a Debian
             package the runtime stage installs or debian:12-slim already has.
  runtime    the runtime stage runs as a user that is not root, has the
             installed binary as its exec-form ENTRYPOINT, keeps its state in
             a VOLUME, and has a HEALTHCHECK on /healthz that its image can run.

Exit status: 0 when every check passes, 1 when one fails (each failure is
printed), 77 (ctest's skip) when a check cannot run on this machine.
--dockerfile checks another file than REPOSITORY_ROOT/Dockerfile, such as a
deliberately broken copy, to see the checks fail.

Standard library only: it runs wherever the test suite runs.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys

SKIP = 77

# The instructions whose arguments may be a JSON array (exec form).
EXEC_FORM = {"RUN", "CMD", "ENTRYPOINT", "SHELL", "HEALTHCHECK", "VOLUME"}


class Skip(Exception):
    """The check cannot run here; says why."""


# --- Dockerfile ------------------------------------------------------------


class Instruction:
    def __init__(self, line, keyword, args):
        self.line = line  # where it starts, 1-based
        self.keyword = keyword
        self.args = args  # the text after the keyword, continuations joined

    def exec_form(self):
        """The JSON array form as a list, or None for the shell form."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        return None


class Stage:
    def __init__(self, index, base, name, line):
        self.index = index
        self.base = base
        self.name = name
        self.line = line
        self.instructions = []

    def label(self):
        return "stage %d (FROM %s%s, line %d)" % (
            self.index, self.base, " AS " + self.name if self.name else "", self.line)

    def all(self, keyword):
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword):
        found = self.all(keyword)
        return found[-1] if found else None


def parse_dockerfile(path):
    """Splits a Dockerfile into stages of instructions, as docker build does:
    comment lines dropped (also inside a continuation), lines ending in a
    backslash joined to the next. Heredocs are not supported; nothing here
    uses them."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    instructions = []
    pending, start = None, 0
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and pending is None):
            continue
        if pending is None:
            pending, start = "", number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        pending += stripped
        keyword, _, args = pending.strip().partition(" ")
        instructions.append(Instruction(start, keyword.upper(), args.strip()))
        pending = None
    if pending:
        keyword, _, args = pending.strip().partition(" ")
        instructions.append(Instruction(start, keyword.upper(), args.strip()))

    stages = []
    for ins in instructions:
        if ins.keyword == "FROM":
            words = [w for w in ins.args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(len(stages), words[0] if words else "", name, ins.line))
        elif stages:
            stages[-1].instructions.append(ins)
    return stages


def stage_named(stages, ref):
    for stage in stages:
        if stage.name == ref or str(stage.index) == ref:
            return stage
    return None


def shell_words(text):
    """Shell text as words, with && || ; | ( ) as words of their own."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:  # an unbalanced quote: fall back to plain splitting
        return text.split()


def is_operator(word):
    return word and all(c in "&|;()" for c in word)


def run_texts(stage):
    """The command of each RUN of a stage, as one shell text."""
    texts = []
    for ins in stage.all("RUN"):
        args = ins.args
        while args.startswith("--"):  # RUN --mount=... and the like
            args = args.partition(" ")[2].lstrip()
        form = Instruction(ins.line, "RUN", args).exec_form()
        texts.append((ins, " ".join(shlex.quote(a) for a in form) if form else args))
    return texts


def apt_installed(stage):
    """The packages the stage's RUN lines name to apt-get install (or apt
    install), without versions or architectures."""
    packages = []
    for _, text in run_texts(stage):
        words = shell_words(text)
        for i, word in enumerate(words):
            if os.path.basename(word) not in ("apt-get", "apt"):
                continue
            rest = words[i + 1:]
            # apt-get's own options may come before the action.
            j = 0
            while j < len(rest) and rest[j].startswith("-") and not is_operator(rest[j]):
                j += 1
            if j >= len(rest) or rest[j] != "install":
                continue
            for arg in rest[j + 1:]:
                if is_operator(arg):
                    break
                if arg.startswith("-"):
                    continue
                packages.append(re.split(r"[=:]", arg, maxsplit=1)[0])
    return packages


def env_of(stage):
    """ENV of a stage: both KEY=VALUE ... and the old KEY VALUE form."""
    env = {}
    for ins in stage.all("ENV"):
        words = shell_words(ins.args)
        if words and "=" not in words[0]:
            env[words[0]] = ins.args.partition(" ")[2].strip()
            continue
        for word in words:
            key, _, value = word.partition("=")
            env[key] = value
    return env


def copies_from(stage):
    """(source stage reference, sources, destination, instruction) of each
    COPY --from= in a stage."""
    found = []
    for ins in stage.all("COPY"):
        words = shell_words(ins.args)
        source = None
        plain = []
        for word in words:
            if word.startswith("--from="):
                source = word[len("--from="):]
            elif not word.startswith("--"):
                plain.append(word)
        if source is not None and len(plain) >= 2:
            found.append((source, plain[:-1], plain[-1], ins))
    return found


def debian_12(image):
    """debian:12, debian:12-slim, debian:bookworm-..., with or without a
    registry, digest or patch release."""
    name, _, tag = image.partition("@")[0].rpartition(":")
    if not name or "/" in tag:
        return False
    return name.split("/")[-1] == "debian" and re.match(r"(12|bookworm)([.-]|$)", tag) is not None


class Dockerfile:
    def __init__(self, path):
        self.path = path
        self.stages = parse_dockerfile(path)
        if not self.stages:
            raise AssertionError("%s: no FROM, so no stage" % path)
        self.runtime = self.stages[-1]  # the image docker build makes by default

    def binary_copy(self):
        """The COPY --from= that puts firstfollower into the runtime stage."""
        for source, sources, dest, ins in copies_from(self.runtime):
            if any(os.path.basename(s.rstrip("/")) == "firstfollower" and "share" not in s
                   for s in sources):
                installed = dest + "firstfollower" if dest.endswith("/") else dest
                return source, installed, ins
        return None


# --- the checks ------------------------------------------------------------


def check_stages(args, dockerfile, failures):
    d = dockerfile
    print("Dockerfile: %d stages: %s" % (len(d.stages), "; ".join(s.label() for s in d.stages)))
    if len(d.stages) < 2:
        failures.append("the Dockerfile has one stage; it needs a build stage and a runtime stage, "
                        "so the image carries no compiler")
        return
    copy = d.binary_copy()
    if copy is None:
        failures.append("the runtime %s copies no firstfollower binary from another stage "
                        "(COPY --from=<build stage> .../firstfollower ...)" % d.runtime.label())
        return
    source, _, ins = copy
    build = stage_named(d.stages, source)
    if build is None or build is d.runtime:
        failures.append("line %d: COPY --from=%s names no earlier stage" % (ins.line, source))
        return
    print("build stage: %s; the runtime stage copies the binary from it (line %d)"
          % (build.label(), ins.line))

    # The stage and the stages it is built FROM: scripts/setup may run in any.
    chain, stage = [], build
    while stage is not None and stage not in chain:
        chain.append(stage)
        stage = stage_named(d.stages[:stage.index], stage.base)
    setup = re.compile(r"(^|[\s;&|(])(\./)?scripts/setup($|[\s;&|)])")
    runs = [(s, ins) for s in chain for ins, text in run_texts(s) if setup.search(text)]
    if not runs:
        failures.append("the build stage, %s, never runs scripts/setup: it has to install its "
                        "dependencies with the same script as a developer machine, or the "
                        "two drift apart" % build.label())
    else:
        stage, run = runs[0]
        # The script has to be in the image before it runs.
        copied = False
        for ins in stage.instructions:
            if ins is run:
                break
            if ins.keyword in ("COPY", "ADD") and "--from=" not in ins.args:
                sources = [w for w in shell_words(ins.args) if not w.startswith("--")][:-1]
                if any(s.rstrip("/") in (".", "scripts", "scripts/setup", "./scripts",
                                         "./scripts/setup") for s in sources):
                    copied = True
        if copied:
            print("build stage runs scripts/setup (line %d), after copying it in" % run.line)
        else:
            failures.append("line %d runs scripts/setup, but no COPY before it in %s brings "
                            "scripts/setup into the image" % (run.line, stage.label()))

    base = chain[-1].base
    if not debian_12(base):
        failures.append("the build stage is built FROM %s; scripts/setup installs Debian 12 "
                        "packages (FROM debian:12)" % base)
    if not debian_12(d.runtime.base):
        failures.append("the runtime stage is FROM %s, not Debian 12: its libraries would not "
                        "be the ones the build stage linked against" % d.runtime.base)
    elif "slim" not in d.runtime.base:
        print("note: the runtime stage is FROM %s; debian:12-slim is smaller" % d.runtime.base)


def elf_needed(path):
    """The DT_NEEDED entries of an ELF file: the libraries it links directly
    (ldd also lists what those load in turn)."""
    with open(path, "rb") as f:
        ident = f.read(16)
        if ident[:4] != b"\x7fELF":
            raise AssertionError("%s is not an ELF file" % path)
        bits = {1: 32, 2: 64}[ident[4]]
        end = {1: "<", 2: ">"}[ident[5]]
        addr = "I" if bits == 32 else "Q"
        # e_type e_machine e_version e_entry e_phoff e_shoff e_flags e_ehsize
        # e_phentsize e_phnum e_shentsize e_shnum e_shstrndx
        header = end + "HHI" + addr * 3 + "IHHHHHH"
        f.seek(16)
        fields = struct.unpack(header, f.read(struct.calcsize(header)))
        shoff, shentsize, shnum = fields[5], fields[10], fields[11]
        section = end + "II" + addr * 4 + "II" + addr * 2
        sections = []
        for i in range(shnum):
            f.seek(shoff + i * shentsize)
            sections.append(struct.unpack(section, f.read(struct.calcsize(section))))
        # (name, type, flags, addr, offset, size, link, info, align, entsize)
        dynamic = [s for s in sections if s[1] == 6]  # SHT_DYNAMIC
        if not dynamic:
            return []
        dyn = dynamic[0]
        strtab = sections[dyn[6]]
        f.seek(strtab[4])
        strings = f.read(strtab[5])
        entry = end + ("iI" if bits == 32 else "qQ")
        size = struct.calcsize(entry)
        f.seek(dyn[4])
        data = f.read(dyn[5])
        needed = []
        for off in range(0, len(data) - size + 1, size):
            tag, value = struct.unpack_from(entry, data, off)
            if tag == 0:  # DT_NULL
                break
            if tag == 1:  # DT_NEEDED
                needed.append(strings[value:strings.index(b"\0", value)].decode())
        return needed


def ldd(binary):
    """(soname, path) of every library ldd lists. Skipped, sensibly:
    linux-vdso.so.1, which the kernel maps and no file holds, and the
    dynamic loader (/lib64/ld-linux-x86-64.so.2, the line without "=>"),
    which is libc6's, a package debian:12-slim has anyway (everything in it
    depends on libc6), and libc.so.6's own line checks libc6 already."""
    result = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError("ldd %s failed: %s" % (binary, (result.stderr or result.stdout).strip()))
    libraries, missing = [], []
    for line in result.stdout.splitlines():
        line = line.strip()
        if "=>" not in line:
            continue  # the vdso and the loader
        soname, _, rest = line.partition("=>")
        soname, rest = soname.strip(), rest.strip()
        if rest.startswith("not found"):
            missing.append(soname)
            continue
        path = rest.split(" (")[0].strip()
        if path:
            libraries.append((soname, path))
    if missing:
        raise AssertionError("ldd finds no %s here: the binary does not even run on this machine"
                             % ", ".join(missing))
    return libraries


def usr_variants(path):
    """The same file under both spellings of a merged /usr: Debian 12 has
    /lib -> usr/lib, and dpkg records each file under the path its package
    ships it at, which may be either."""
    out = [path]
    for short in ("/lib/", "/lib64/", "/bin/", "/sbin/"):
        if path.startswith(short):
            out.append("/usr" + path)
        if path.startswith("/usr" + short):
            out.append(path[len("/usr"):])
    return out


def candidates(path):
    """Paths dpkg may know a library by: as ldd printed it, the file its
    symlinks end at (the package may ship only one of the two), each both
    with and without /usr."""
    seen = []
    for p in (path, os.path.realpath(path)):
        for v in usr_variants(p):
            if v not in seen:
                seen.append(v)
    return seen


def dpkg_owners(paths):
    """Path -> owning packages (without :arch), one dpkg-query call for all."""
    result = subprocess.run(["dpkg-query", "--search", "--"] + paths,
                            capture_output=True, text=True)
    owners = {}
    for line in result.stdout.splitlines():
        if line.startswith("diversion "):
            continue
        packages, sep, path = line.partition(": ")
        if sep:
            owners.setdefault(path.strip(), []).extend(
                p.strip().split(":")[0] for p in packages.split(","))
    return owners


def installed_packages():
    """Every installed package: name -> (essential, priority, depends,
    provides), from dpkg's database. The Debian 12 packages on this machine
    stand for those in the image: the same release, the same fields."""
    fmt = "${Package}\t${db:Status-Abbrev}\t${Essential}\t${Priority}\t" \
          "${Pre-Depends}, ${Depends}\t${Provides}\n"
    result = subprocess.run(["dpkg-query", "-W", "-f=" + fmt], capture_output=True, text=True,
                            check=True)
    packages = {}
    for line in result.stdout.splitlines():
        fields = line.split("\t")
        if len(fields) != 6 or not fields[1].startswith("ii"):
            continue
        name, _, essential, priority, depends, provides = fields
        packages[name] = (essential == "yes", priority, depends, provides)
    return packages


def dependency_closure(roots, packages):
    """The packages apt installs for roots: each with its Pre-Depends and
    Depends, recursively. Of alternatives (a | b) the first that is
    installed here, which is what apt picks too when none is there yet;
    virtual packages through what provides them here."""
    providers = {}
    for name, (_, _, _, provides) in packages.items():
        for virtual in provides.split(","):
            virtual = virtual.strip().split(" ")[0].split(":")[0]
            if virtual:
                providers.setdefault(virtual, []).append(name)

    def resolve(name):
        if name in packages:
            return name
        for provider in providers.get(name, []):
            return provider
        return None

    closure, todo = set(), [r for r in roots if r in packages]
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        closure.add(name)
        for clause in packages[name][2].split(","):
            clause = clause.strip()
            if not clause:
                continue
            for alternative in clause.split("|"):
                dep = resolve(alternative.strip().split(" ")[0].split(":")[0])
                if dep:
                    todo.append(dep)
                    break
    return closure


def check_libraries(args, dockerfile, failures):
    for tool in ("ldd", "dpkg-query"):
        if shutil.which(tool) is None:
            raise Skip("no %s here: the libraries check maps libraries to Debian packages" % tool)
    release = {}
    try:
        with open("/etc/os-release", encoding="utf-8") as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                release[key] = value.strip('"')
    except OSError:
        pass
    if release.get("ID") != "debian" or release.get("VERSION_ID") != "12":
        raise Skip("this is %s, not Debian 12: its package names need not be the image's"
                   % release.get("PRETTY_NAME", "not Debian"))

    runtime = dockerfile.runtime
    listed = apt_installed(runtime)
    if not listed:
        failures.append("the runtime %s installs no packages (apt-get install), so none of "
                        "the binary's libraries beyond debian:12-slim's" % runtime.label())
    print("runtime stage installs: %s" % " ".join(listed))

    packages = installed_packages()
    # debian:12-slim is debootstrap's minbase variant: every Essential and
    # every Priority: required package, and apt, with what they depend on.
    # That closure, not the fields alone, says what the image has: libc6 and
    # libstdc++6 are neither Essential nor required (both are "optional"),
    # and slim has them because coreutils and apt need them.
    base_roots = [n for n, (essential, priority, _, _) in packages.items()
                  if essential or priority == "required"] + ["apt"]
    in_slim = dependency_closure(base_roots, packages)
    unknown = [p for p in listed if p not in packages]
    if unknown:
        failures.append("the runtime stage installs %s, not installed here, so the libraries "
                        "check cannot see what %s bring: install %s here (scripts/setup "
                        "installs the -dev packages, which depend on them)"
                        % (", ".join(unknown), "they" if len(unknown) > 1 else "it",
                           " ".join(unknown)))
    installed_by_runtime = dependency_closure(listed, packages)

    needed = set(elf_needed(args.binary))
    libraries = ldd(args.binary)
    paths = sorted({c for _, path in libraries for c in candidates(path)})
    owners = dpkg_owners(paths)

    # Who loads each library that the binary does not link itself, to name
    # it when that library is missing.
    loaded_by = {}
    for soname, path in libraries:
        try:
            for dep in elf_needed(path):
                loaded_by.setdefault(dep, []).append(soname)
        except (OSError, AssertionError, struct.error, KeyError):
            pass

    rows = []
    # package -> (sonames, what is wrong), so that a package missing for
    # several libraries (libssl3: libssl and libcrypto) is named once.
    missing = {}
    for soname, path in libraries:
        found = []
        for c in candidates(path):
            found = owners.get(c, [])
            if found:
                break
        direct = soname in needed
        if not found:
            failures.append("%s (%s) belongs to no Debian package here: the runtime stage "
                            "cannot install it with apt-get" % (soname, path))
            continue
        package = found[0]
        essential, priority = packages.get(package, (False, "?", "", ""))[:2]
        if package in listed:
            why = "installed by the runtime stage"
        elif package in in_slim:
            why = "in debian:12-slim: %s" % (
                "Essential" if essential else "Priority: required" if priority == "required"
                else "needed by its Essential and required packages (itself %s)" % priority)
        elif package in installed_by_runtime and not direct:
            why = "a dependency of what the runtime stage installs"
        else:
            if package in installed_by_runtime:
                # The binary links it itself: name it, rather than count on
                # another package's dependencies staying as they are.
                problem = ("which the binary links directly, and the runtime stage only gets "
                           "as a dependency of another package")
            else:
                problem = ("which the runtime stage does not install and debian:12-slim does "
                           "not have (Essential: %s, Priority: %s)"
                           % ("yes" if essential else "no", priority))
            missing.setdefault(package, ([], problem))[0].append(soname)
            continue
        rows.append((soname, package, ("direct, " if direct else "") + why))
    for package, (sonames, problem) in missing.items():
        advice = "add %s to the runtime stage's apt-get install" % package
        parents = sorted({p for s in sonames if s not in needed
                          for p in loaded_by.get(s, []) if p not in sonames})
        if parents:
            advice = ("%s loaded by %s, whose package brings %s once installed; or %s"
                      % ("it is" if len(sonames) == 1 else "they are", ", ".join(parents),
                         package, advice))
        failures.append("missing package %s: %s %s in it, %s; %s"
                        % (package, ", ".join(sonames), "is" if len(sonames) == 1 else "are",
                           problem, advice))
    width = max((len(r[0]) for r in rows), default=0)
    pwidth = max((len(r[1]) for r in rows), default=0)
    for soname, package, why in rows:
        print("  %-*s  %-*s  %s" % (width, soname, pwidth, package, why))
    used = {r[1] for r in rows}
    extra = [p for p in listed if p not in used]
    if extra:
        print("installed but holding no library the binary loads (data it reads): %s"
              % " ".join(extra))
    print("%d libraries from ldd, %d linked directly" % (len(libraries), len(needed)))


def check_runtime(args, dockerfile, failures):
    d = dockerfile
    runtime = d.runtime
    print("runtime stage: %s" % runtime.label())

    user = runtime.last("USER")
    if user is None:
        failures.append("the runtime stage has no USER, so the bot runs as root")
    else:
        name = user.args.split(":")[0].strip()
        if name in ("root", "0") or not name:
            failures.append("line %d: USER %s is root; the bot must not run as root"
                            % (user.line, user.args))
        elif not name.isdigit() and name != "nobody":
            created = any(re.search(r"\b(useradd|adduser)\b.*\b%s\b" % re.escape(name), text)
                          for _, text in run_texts(runtime))
            if not created:
                failures.append("line %d: USER %s, but no RUN in the runtime stage creates "
                                "that user (useradd), so the container will not start"
                                % (user.line, name))
            else:
                print("USER %s (line %d): not root, created by the runtime stage"
                      % (user.args, user.line))
        else:
            print("USER %s (line %d): not root" % (user.args, user.line))
        if name.isdigit() and name != "0":
            uid = name
            created = any(re.search(r"\buseradd\b.*--uid[ =]%s\b" % uid, text)
                          for _, text in run_texts(runtime))
            if not created:
                print("note: no useradd in the runtime stage gives uid %s a name" % uid)

    copy = d.binary_copy()
    installed = copy[1] if copy else None
    entry = runtime.last("ENTRYPOINT")
    if entry is None:
        failures.append("the runtime stage has no ENTRYPOINT; it should be [\"%s\"]"
                        % (installed or "/usr/bin/firstfollower"))
    else:
        form = entry.exec_form()
        if form is None:
            failures.append("line %d: ENTRYPOINT is in shell form; /bin/sh -c would be PID 1 "
                            "and keep SIGTERM from the bot, which then cannot finish what is "
                            "in flight: use the exec form [\"%s\"]"
                            % (entry.line, installed or "/usr/bin/firstfollower"))
        elif installed is None:
            failures.append("the runtime stage copies no firstfollower binary, so ENTRYPOINT "
                            "%s runs nothing of ours" % entry.args)
        elif not form or form[0] != installed:
            failures.append("line %d: ENTRYPOINT runs %s, but the binary is installed at %s"
                            % (entry.line, form[0] if form else "nothing", installed))
        else:
            print("ENTRYPOINT %s (line %d): the installed binary, exec form"
                  % (entry.args, entry.line))

    volumes = []
    for ins in runtime.all("VOLUME"):
        volumes += ins.exec_form() or ins.args.split()
    workdir = runtime.last("WORKDIR")
    if not volumes:
        failures.append("the runtime stage has no VOLUME: the SQLite database would go with "
                        "the container")
    elif workdir is None or workdir.args.rstrip("/") not in [v.rstrip("/") for v in volumes]:
        failures.append("VOLUME %s does not hold the working directory (%s), where the SQLite "
                        "database firstfollower.db lands by default"
                        % (" ".join(volumes), workdir.args if workdir else "/, no WORKDIR"))
    else:
        print("VOLUME %s: the working directory, where firstfollower.db lands"
              % " ".join(volumes))

    env = env_of(runtime)
    for token in ("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"):
        if env.get(token):
            failures.append("the runtime stage sets %s in ENV: a token baked into the image; "
                            "give it at run time, or as a file with %s_FILE" % (token, token))
        if env.get(token + "_FILE"):
            failures.append("the runtime stage sets %s_FILE in ENV: a container given %s "
                            "itself would then be refused (not both)" % (token, token))
    for ins in runtime.all("ARG"):
        if ins.args.split("=")[0].strip() in ("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"):
            failures.append("line %d: ARG %s ends up in the image's history"
                            % (ins.line, ins.args.split("=")[0]))

    listen = env.get("FIRSTFOLLOWER_OPS_LISTEN", "")
    port = listen.rpartition(":")[2] if ":" in listen else ""
    if not listen:
        failures.append("the runtime stage sets no FIRSTFOLLOWER_OPS_LISTEN, so the ops "
                        "listener is off and the health check has nothing to ask")
    elif listen.rpartition(":")[0] in ("127.0.0.1", "[::1]", "localhost"):
        failures.append("FIRSTFOLLOWER_OPS_LISTEN=%s listens on loopback only: a published "
                        "port or a scraper outside the container cannot reach it (0.0.0.0:%s)"
                        % (listen, port))
    exposed = [w.split("/")[0] for ins in runtime.all("EXPOSE") for w in ins.args.split()]
    if port and port not in exposed:
        failures.append("the ops listener is on port %s, but the runtime stage does not "
                        "EXPOSE %s" % (port, port))

    check = runtime.last("HEALTHCHECK")
    if check is None:
        failures.append("the runtime stage has no HEALTHCHECK (GET /healthz)")
        return
    words = check.args.split()
    while words and words[0].startswith("--"):
        words = words[1:]
    if not words or words[0].upper() == "NONE":
        failures.append("line %d: HEALTHCHECK NONE; it should ask /healthz" % check.line)
        return
    if words[0].upper() != "CMD":
        failures.append("line %d: HEALTHCHECK without CMD" % check.line)
        return
    command_text = " ".join(words[1:])
    form = Instruction(check.line, "CMD", command_text).exec_form()
    program = os.path.basename(form[0]) if form else "sh"  # the shell form runs /bin/sh -c
    script = " ".join(form) if form else command_text
    if program in ("sh", "bash") and form and len(form) > 2 and form[1] == "-c":
        script = form[2]
    if "/healthz" not in script:
        failures.append("line %d: the HEALTHCHECK does not ask /healthz: %s"
                        % (check.line, command_text))
    if port and port not in script and "FIRSTFOLLOWER_OPS_LISTEN" not in script:
        failures.append("line %d: the HEALTHCHECK asks another port than the ops listener's "
                        "(%s)" % (check.line, port))
    listed = apt_installed(runtime)
    # Tools a health check reaches for that debian:12-slim does not have.
    for tool in ("curl", "wget", "nc", "netcat"):
        if re.search(r"(^|[\s;&|(/])%s($|\s)" % tool, script) and tool not in listed \
                and not (tool in ("nc", "netcat") and any(p.startswith("netcat") for p in listed)):
            failures.append("line %d: the HEALTHCHECK runs %s, which the runtime stage does "
                            "not install (debian:12-slim has no %s)" % (check.line, tool, tool))
    if "/dev/tcp/" in script and program != "bash":
        failures.append("line %d: the HEALTHCHECK uses /dev/tcp under %s; only bash has it "
                        "(Debian's sh is dash): CMD [\"bash\", \"-c\", \"...\"]"
                        % (check.line, program))
    if not [f for f in failures if ("line %d:" % check.line) in f]:
        print("HEALTHCHECK (line %d): %s asks /healthz on port %s"
              % (check.line, program, port or "?"))


CHECKS = {"stages": check_stages, "libraries": check_libraries, "runtime": check_runtime}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", help="the built firstfollower")
    parser.add_argument("root", help="the repository root")
    parser.add_argument("--check", action="append", choices=sorted(CHECKS),
                        help="run only this check (repeatable)")
    parser.add_argument("--dockerfile", help="check this file instead of ROOT/Dockerfile")
    args = parser.parse_args()
    path = args.dockerfile or os.path.join(args.root, "Dockerfile")

    failed = skipped = False
    for name in args.check or list(CHECKS):
        print("== %s" % name)
        failures = []
        try:
            CHECKS[name](args, Dockerfile(path), failures)
        except Skip as why:
            print("SKIPPED %s: %s" % (name, why))
            skipped = True
            continue
        except (AssertionError, OSError, subprocess.CalledProcessError) as error:
            failures.append(str(error))
        for failure in failures:
            print("FAILED %s: %s" % (name, failure))
        if failures:
            failed = True
        else:
            print("ok %s" % name)
    return 1 if failed else SKIP if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
