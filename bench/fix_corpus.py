"""`mrt fix` as a dry run over the real Alembic folders, and `mrt explain` against `mrt check`.

Takes the folders of bench/corpus_findings.py (airflow, mlflow, prefect sqlite and postgresql,
superset, dagster; Django projects are left out: `mrt fix` writes Alembic downgrades) and, for
every migration file in them:

- runs `_core.fix_source` on it where it lies (so the chain of its siblings is used) and counts
  the statuses; a patch (missing or empty downgrade) must parse and apply with `patch
  --dry-run`; the listing printed for a downgrade that already has code must parse statement
  by statement (a multi-line call is never cut);
- counts the comment lines the generated downgrades carry: `NOT REVERSED`, `NOT REVERSIBLE`,
  `TODO` (what still needs a human) and the lines of generated code;
- with `--explain`, runs `_core.explain_source` on it and compares its verdict with the
  findings `mrt check` gives the file when its folder is scanned: "safe" must never be said
  for a file with a finding (and "NOT safe" only for one with an error).

Run: `.venv/bin/python bench/fix_corpus.py [--explain] [--show KIND]`.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_findings import DJANGO, extract


def generated_downgrade(new: str) -> list[str]:
    """The lines of the last `def downgrade` in `new` (its body)."""
    at = new.rfind("def downgrade")
    return new[at:].splitlines()[1:] if at >= 0 else []


def listing_parses(listing: str) -> bool:
    """Every code block listed for an existing downgrade parses on its own (dedented)."""
    code = [
        line
        for line in listing.splitlines()
        if line.startswith((" ", "\t")) and not line.strip().startswith("#")
    ]
    if not code:
        return True
    indent = min(len(x) - len(x.lstrip()) for x in code if x.strip())
    text = "\n".join(x[indent:] for x in code)
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def applies(path: Path, old: str, new: str) -> bool:
    from pytest_mrt.fixer import unified_diff

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / path.name
        target.write_text(old)
        diff = unified_diff(old, new, path.name)
        result = subprocess.run(
            ["patch", "--dry-run", "-s", "-p1", "-d", tmp],
            input=diff,
            capture_output=True,
            text=True,
            check=False,
        )
        return result.returncode == 0


def main() -> int:
    from pytest_mrt import _core
    from pytest_mrt.fixer import _compare_with_existing

    parser = argparse.ArgumentParser()
    parser.add_argument("--explain", action="store_true", help="compare explain with check")
    parser.add_argument("--show", help="print the generated lines containing this text")
    args = parser.parse_args()
    folders = {k: v for k, v in extract().items() if k not in DJANGO}
    statuses: Counter[str] = Counter()
    comments: Counter[str] = Counter()
    problems: list[str] = []
    disagree: list[str] = []
    files = 0
    for label, folder in folders.items():
        findings: dict[str, list[str]] = defaultdict(list)
        if args.explain:
            out = _core.check_cli([str(folder)], "json").text
            for f in json.loads(out):
                findings[str(Path(f["file"]).resolve())].append(f["severity"])
        for path in sorted(folder.glob("*.py")):
            old = path.read_text()
            try:
                fix = _core.fix_source(str(path), old)
            except _core.MRTError as exc:
                if "not an Alembic or Django migration" not in str(exc):
                    problems.append(f"{label} {path.name}: {exc}")
                continue
            files += 1
            status, new, line = fix.status, fix.new_source, fix.existing_line
            statuses[status] += 1
            if status != "nothing":
                for text in generated_downgrade(new):
                    s = text.strip()
                    if args.show and args.show in s:
                        print(f"{label} {path.name}: {s}")
                    for word in ("NOT REVERSED", "NOT REVERSIBLE", "TODO"):
                        if s.startswith(f"# mrt fix: {word}"):
                            comments[word] += 1
                    if s and not s.startswith("#") and s != "pass":
                        comments["code lines"] += 1
            if status in ("missing", "noop"):
                try:
                    ast.parse(new)
                except SyntaxError as exc:
                    problems.append(f"{label} {path.name}: does not parse: {exc}")
                if applies(path, old, new):
                    statuses["patch applies"] += 1
                else:
                    problems.append(f"{label} {path.name}: the patch does not apply")
            if status == "replace":
                listing = _compare_with_existing(path, old, new, line or 1)
                if not listing_parses(listing):
                    problems.append(f"{label} {path.name}: the listing cuts a statement")
            if args.explain:
                text = _core.explain_source(str(path), old)
                verdict = text.strip().splitlines()[-1]
                found = findings.get(str(path.resolve()), [])
                safe = verdict.startswith("Rollback: safe")
                not_safe = verdict.startswith("Rollback: NOT safe")
                if (safe and found) or (not_safe != ("error" in found)):
                    disagree.append(f"{label} {path.name}: {verdict} / check: {found}")
                statuses["explain checked"] += 1
    print(f"{files} migration files in {len(folders)} folders")
    for key, n in sorted(statuses.items()):
        print(f"  {key}: {n}")
    print("generated downgrades (missing, noop and replace):")
    for key, n in sorted(comments.items()):
        print(f"  {key}: {n}")
    if args.explain:
        print(f"explain verdicts that disagree with check: {len(disagree)}")
        for d in disagree:
            print(f"  {d}")
    print(f"problems: {len(problems)}")
    for p in problems:
        print(f"  {p}")
    return 1 if problems or disagree else 0


if __name__ == "__main__":
    raise SystemExit(main())
