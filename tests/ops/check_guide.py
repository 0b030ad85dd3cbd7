#!/usr/bin/env python3
"""docs/operations.md lists every configuration key with its default in a
table ("| `section.key` | `default` | ..."). This holds that table to
config/firstfollower.toml: the same keys, and each default as the file has
it. Usage: check_guide.py ROOT"""
import re
import sys
import tomllib
from pathlib import Path


def toml_value(value):
    """A value written as in the TOML file, for comparing with the guide."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{}" if not value else "{...}"
    return str(value)


def main():
    root = Path(sys.argv[1])
    with open(root / "config" / "firstfollower.toml", "rb") as f:
        config = tomllib.load(f)
    in_file = {f"{section}.{key}": toml_value(value)
               for section, table in config.items() for key, value in table.items()}
    row = re.compile(r"^\| `([a-z_]+\.[a-z_]+)` \| `(.*?)` \|")
    in_guide = {}
    for line in (root / "docs" / "operations.md").read_text().splitlines():
        match = row.match(line)
        if match:
            in_guide[match.group(1)] = match.group(2)
    problems = []
    for key in sorted(in_file.keys() - in_guide.keys()):
        problems.append(f"{key} is in config/firstfollower.toml but not in the guide's table")
    for key in sorted(in_guide.keys() - in_file.keys()):
        problems.append(f"{key} is in the guide's table but not in config/firstfollower.toml")
    for key in sorted(in_file.keys() & in_guide.keys()):
        if in_file[key] != in_guide[key]:
            problems.append(f"{key}: the guide says {in_guide[key]}, the file {in_file[key]}")
    for problem in problems:
        print(problem)
    print(f"{len(in_file)} keys in the file, {len(in_guide)} in the guide")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
