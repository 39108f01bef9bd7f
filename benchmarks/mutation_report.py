"""The mutation score of `make mutation`, per area and per file, from mutmut's results in mutants/.

A mutant is *killed* when a test failed with it (or it ran past its time limit, `timeout`: the
change made the code loop); it *survived* when every test covering it passed; `no tests` means no
selected test reached the function. The score is killed / (killed + survived + no tests).

Usage: python benchmarks/mutation_report.py [--survivors]   (run from the repository root)
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

AREAS = (("domain", "workshop/domain/"), ("aggregation", "workshop/aggregation/"),
         ("export/text.py", "workshop/export/text.py"), ("services/board.py", "workshop/services/board.py"))
DETECTED = {"killed", "timeout", "caught by type check"}
COUNTED = DETECTED | {"survived", "no tests"}


def load(root: Path) -> dict[str, dict[str, str]]:
    """{source file: {mutant name: status}} from mutmut's .meta files."""
    from mutmut.stats import status_by_exit_code
    out: dict[str, dict[str, str]] = {}
    for meta in sorted((root / "mutants").rglob("*.py.meta")):
        source = str(meta.relative_to(root / "mutants"))[: -len(".meta")]
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        out[source] = {name: status_by_exit_code[code] for name, code in codes.items()}
    return out


def area_of(source: str) -> str | None:
    return next((name for name, prefix in AREAS if source.startswith(prefix)), None)


def score(counts: Counter) -> str:
    counted = sum(counts[s] for s in COUNTED)
    if not counted:
        return "n/a"
    return f"{100 * sum(counts[s] for s in DETECTED) / counted:.1f} %"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true", help="list every surviving mutant")
    args = parser.parse_args()
    results = load(Path.cwd())
    if not results:
        print("No results in mutants/: run `make mutation` first.", file=sys.stderr)
        return 1
    by_area: dict[str, Counter] = defaultdict(Counter)
    by_file: dict[str, Counter] = {}
    for source, statuses in results.items():
        counts = Counter(statuses.values())
        by_file[source] = counts
        area = area_of(source)
        if area:
            by_area[area].update(counts)
    print("| area | mutants | killed | timeout | survived | no tests | not checked | score |")
    print("|---|---|---|---|---|---|---|---|")
    for name, _ in AREAS:
        c = by_area[name]
        print(f"| {name} | {sum(c.values())} | {c['killed']} | {c['timeout']} | {c['survived']} | "
              f"{c['no tests']} | {c['not checked']} | {score(c)} |")
    total = sum(by_area.values(), Counter())
    print(f"| **all** | {sum(total.values())} | {total['killed']} | {total['timeout']} | {total['survived']} | "
          f"{total['no tests']} | {total['not checked']} | **{score(total)}** |")
    print()
    print("| file | mutants | survived | no tests | score |")
    print("|---|---|---|---|---|")
    for source, c in sorted(by_file.items()):
        print(f"| {source} | {sum(c.values())} | {c['survived']} | {c['no tests']} | {score(c)} |")
    if args.survivors:
        print()
        for statuses in results.values():
            for name, status in statuses.items():
                if status in ("survived", "no tests"):
                    print(f"{status}: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
