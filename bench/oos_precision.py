"""Error precision of `mrt check` against the judged out-of-sample findings; asserts nothing.

    .venv/bin/python bench/oos_precision.py --judged bench/judged_oos.json SCAN_DIR [SCAN_DIR ...]

For example, with the scans the judgements were made on:

    .venv/bin/python bench/oos_precision.py --judged bench/judged_oos.json \\
        /var/tmp/oos_base /var/tmp/oos5 /var/tmp/oos6

``--judged`` is a JSON list of judged ERROR findings (``project``, ``revision``, ``rule``,
``file``, ``line``, ``message``, ``verdict`` = real / true-but-warning / false, ``reason``).
Each SCAN_DIR holds ``<project>.json`` files, the ``mrt check --format json`` output of that
project (a list of findings). The project is the file stem. Scans of projects that have no
judged entry are ignored, and so is a judged project with no scan.

A current finding matches a judged entry when project, rule, revision and message are equal
(line numbers may shift). When the message changed, it matches on project, rule, file basename
and line instead. When several findings share a key, the one in the same file and nearest line
wins.

For each project it prints the errors now; the judged findings still firing as errors, by
verdict; the judged findings that no longer fire as errors (each real one on its own ``lost``
line, marked "now a warning" if it is still reported at a lower severity); the errors now that
are not in the judged set; and precision = real / (real + true-but-warning + false) over the
judged errors still firing. A total follows. Unmatched new errors are unjudged and do not count
in the precision.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VERDICTS = ("real", "true-but-warning", "false")
SHORT = {"real": "real", "true-but-warning": "t-b-w", "false": "false", "unjudged": "unjudged"}


@dataclass(frozen=True)
class Finding:
    """One finding: a judged entry (with its verdict) or one of a current scan."""

    rule: str
    revision: str
    file: str
    line: int
    message: str
    severity: str = "error"
    verdict: str = ""

    @property
    def basename(self) -> str:
        return self.file.replace("\\", "/").rsplit("/", 1)[-1]

    def same_file(self, other: Finding) -> bool:
        """True when one path ends with the other (judged paths are relative)."""
        a, b = self.file.replace("\\", "/"), other.file.replace("\\", "/")
        return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def _finding(raw: dict[str, Any]) -> Finding:
    return Finding(
        rule=str(raw["rule"]),
        revision=str(raw.get("revision", "")),
        file=str(raw.get("file", "")),
        line=int(raw.get("line") or 0),
        message=str(raw.get("message", "")),
        severity=str(raw.get("severity", "error")),
        verdict=str(raw.get("verdict", "")),
    )


def load_judged(path: Path) -> dict[str, list[Finding]]:
    by_project: dict[str, list[Finding]] = {}
    for raw in json.loads(path.read_text()):
        by_project.setdefault(str(raw["project"]), []).append(_finding(raw))
    return by_project


def find_scans(dirs: Iterable[Path], projects: Iterable[str]) -> tuple[dict[str, Path], list[str]]:
    """Map each judged project to its scan file; return also the stems that were ignored."""
    wanted = set(projects)
    found: dict[str, Path] = {}
    ignored: list[str] = []
    for d in dirs:
        if not d.is_dir():
            sys.exit(f"not a directory: {d}")
        for f in sorted(d.glob("*.json")):
            if f.stem not in wanted:
                ignored.append(f.stem)
            elif f.stem in found:
                sys.exit(f"project {f.stem!r} has two scans: {found[f.stem]} and {f}")
            else:
                found[f.stem] = f
    return found, ignored


def _primary(f: Finding) -> tuple[str, str, str]:
    return (f.rule, f.revision, f.message)


def _fallback(f: Finding) -> tuple[str, str, int]:
    return (f.rule, f.basename, f.line)


def match(judged: list[Finding], current: list[Finding]) -> dict[int, int]:
    """Pair judged entries with current findings: judged index -> current index."""
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for key in (_primary, _fallback):
        pool: dict[tuple[str, str, object], list[int]] = {}
        for ci, c in enumerate(current):
            if ci not in used:
                pool.setdefault(key(c), []).append(ci)
        order = sorted(
            (ji for ji in range(len(judged)) if ji not in pairs),
            key=lambda ji: (judged[ji].file, judged[ji].line),
        )
        for ji in order:
            j = judged[ji]
            free = [ci for ci in pool.get(key(j), []) if ci not in used]
            if not free:
                continue
            best = min(
                free, key=lambda ci: (not j.same_file(current[ci]), abs(current[ci].line - j.line))
            )
            pairs[ji] = best
            used.add(best)
    return pairs


def _counts(verdicts: Iterable[str]) -> str:
    c = Counter(verdicts)
    parts = [f"{SHORT[v]} {c[v]}" for v in VERDICTS]
    extra = sum(n for v, n in c.items() if v not in VERDICTS)
    if extra:
        parts.append(f"other {extra}")
    return ", ".join(parts)


def _precision(verdicts: Iterable[str]) -> str:
    c = Counter(verdicts)
    judged = sum(c[v] for v in VERDICTS)
    if not judged:
        return "precision: n/a (no judged error fires)"
    return f"precision: {c['real']}/{judged} = {100 * c['real'] / judged:.1f}%"


@dataclass
class Result:
    errors_now: int
    firing: list[str]
    gone: list[str]
    new_errors: int


def report(project: str, judged: list[Finding], scan: list[Finding]) -> Result:
    errors = [f for f in scan if f.severity == "error"]
    others = [f for f in scan if f.severity != "error"]
    pairs = match(judged, errors)
    firing = [judged[ji].verdict for ji in pairs]
    lost_idx = [ji for ji in range(len(judged)) if ji not in pairs]
    demoted = match([judged[ji] for ji in lost_idx], others)
    gone = [judged[ji].verdict for ji in lost_idx]
    new_errors = len(errors) - len(pairs)

    print(f"{project}: errors now {len(errors)}")
    print(f"  judged, still errors: {len(firing)} ({_counts(firing)})")
    print(f"  judged, no longer errors: {len(gone)} ({_counts(gone)})")
    for k, ji in enumerate(lost_idx):
        j = judged[ji]
        if j.verdict == "real":
            now = f"now a {others[demoted[k]].severity}" if k in demoted else "gone"
            print(f"    lost ({now}): {j.rule} {j.file}:{j.line} {j.message}")
    print(f"  errors not in the judged set: {new_errors}")
    print(f"  {_precision(firing)}")
    return Result(len(errors), firing, gone, new_errors)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    ap.add_argument("--judged", type=Path, required=True, help="judged_oos.json")
    ap.add_argument("scan_dirs", type=Path, nargs="+", help="folders of <project>.json scans")
    args = ap.parse_args(argv)

    judged = load_judged(args.judged)
    scans, ignored = find_scans(args.scan_dirs, judged)
    results: list[Result] = []
    for project in sorted(judged):
        if project not in scans:
            print(f"{project}: no scan found, skipped")
            continue
        raw = json.loads(scans[project].read_text())
        results.append(report(project, judged[project], [_finding(r) for r in raw]))
        print()

    firing = [v for r in results for v in r.firing]
    gone = [v for r in results for v in r.gone]
    print(f"total ({len(results)} projects): errors now {sum(r.errors_now for r in results)}")
    print(f"  judged, still errors: {len(firing)} ({_counts(firing)})")
    print(f"  judged, no longer errors: {len(gone)} ({_counts(gone)})")
    print(f"  errors not in the judged set: {sum(r.new_errors for r in results)}")
    print(f"  {_precision(firing)}")
    if ignored:
        print(f"scans without judged entries, ignored: {len(ignored)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
