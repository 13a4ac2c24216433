#!/usr/bin/env python3
"""Regenerate the README's size table from `dockfix verify BEFORE AFTER --build --format json` runs.

    dockfix verify golden/academy/before golden/academy/option-2 --build --format json > docs/measurements/option-2.json
    dockfix verify golden/academy/before golden/academy/option-3 --build --format json > docs/measurements/option-3.json
    python tools/size_table.py --readme README.md "option 2=docs/measurements/option-2.json" \
        "option 3=docs/measurements/option-3.json"

Without --readme the table is printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dockfix.build.table import replace_between_markers, size_table  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="LABEL=FILE: a run's JSON and the column it fills")
    parser.add_argument("--readme", type=Path, help="replace the table between the size-table markers of this file")
    args = parser.parse_args(argv)
    runs = []
    for spec in args.runs:
        label, _, path = spec.partition("=")
        if not path:
            parser.error(f"{spec}: give LABEL=FILE")
        runs.append((label, json.loads(Path(path).read_text(encoding="utf-8"))))
    table = size_table(runs)
    if args.readme is None:
        sys.stdout.write(table)
    else:
        args.readme.write_text(replace_between_markers(args.readme.read_text(encoding="utf-8"), table), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
