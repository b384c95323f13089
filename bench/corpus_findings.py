"""Findings of `mrt check` on real projects' migration folders, and precision on a judged sample.

Takes the migrations of airflow-core 3.3.2, mlflow 3.18.0, prefect 3.9.1 (its sqlite and
postgresql histories), superset 6.1.0, dagster 1.13.29, and of the Django projects wagtail 8.0.1
and django-oscar 4.2.1 (every app's migrations folder) from their
wheels (`pip download --no-deps` into bench/.cache, as bench_scan.py does). mlflow's whole
package is extracted, so that names given through its models (`__tablename__`) can resolve.

Modes:
- default: findings per rule per project, and the wall time of each scan;
- `--sample N --seed S`: draw N ERROR findings, stratified by rule (round robin over the rules,
  random within a rule), and print them as JSON rows to judge;
- `--warnings` with `--sample`/`--judged`: the same for WARNING findings (verdicts `useful`,
  `noise`, `false`; default judged file bench/judged_warnings_seed1.json);
- default, and `--judged FILE [FILE ...]`: after the table, precision = real / total over the
  judged findings of bench/judged_sample.json (or the FILEs, pooled) that still fire as
  errors, the same weighted by each rule's error count (the sample is stratified by rule),
  the judged-real findings that no longer fire (lost recall), the error findings that are
  not judged yet and, when none is left, the census over every error finding.

A finding is keyed by (project, revision, rule, line of the statement's first token, object):
the key survives unrelated edits of the message.

Run: `.venv/bin/python bench/corpus_findings.py [--judged bench/judged_sample.json]`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import time
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
WHEELS = CACHE / "wheels"
CORPUS = CACHE / "corpus"
PACKAGES = {
    "apache-airflow-core": "3.3.2",
    "mlflow": "3.18.0",
    "prefect": "3.9.1",
    "apache-superset": "6.1.0",
    "dagster": "1.13.29",
    "wagtail": "8.0.1",
    "django-oscar": "4.2.1",
}
# Django projects: every app's migrations folder under the package is scanned as one project.
DJANGO = {"wagtail", "oscar"}
# What to extract from each wheel (a prefix: whole package for mlflow) and the folders to scan.
LAYOUT: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "apache_airflow_core": (
        "airflow/migrations/",
        [("airflow", "airflow/migrations/versions")],
    ),
    "mlflow": ("mlflow/", [("mlflow", "mlflow/store/db_migrations/versions")]),
    "prefect": (
        "prefect/server/database/",
        [
            ("prefect/sqlite", "prefect/server/database/_migrations/versions/sqlite"),
            ("prefect/postgresql", "prefect/server/database/_migrations/versions/postgresql"),
        ],
    ),
    "apache_superset": (
        "superset/migrations/",
        [("superset", "superset/migrations/versions")],
    ),
    "dagster": (
        "dagster/_core/storage/alembic/",
        [("dagster", "dagster/_core/storage/alembic/versions")],
    ),
    "wagtail": ("wagtail/", [("wagtail", "wagtail")]),
    "django_oscar": ("oscar/", [("oscar", "oscar")]),
}


def download() -> None:
    WHEELS.mkdir(parents=True, exist_ok=True)
    for name, version in PACKAGES.items():
        dist = name.replace("-", "_")
        if any(WHEELS.glob(f"{dist}-{version}-*.whl")):
            continue
        print(f"downloading {name}=={version} ...", file=sys.stderr, flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary",
             ":all:", "-d", str(WHEELS), f"{name}=={version}"],
            check=True,
        )  # fmt: skip


def extract() -> dict[str, Path]:
    """Project label → folder to scan."""
    out: dict[str, Path] = {}
    for name, version in PACKAGES.items():
        dist = name.replace("-", "_")
        wheel = next(WHEELS.glob(f"{dist}-{version}-*.whl"))
        prefix, folders = LAYOUT[dist]
        target = CORPUS / f"{dist}-{version}"
        if not target.exists():
            with zipfile.ZipFile(wheel) as zf:
                for member in zf.namelist():
                    if member.startswith(prefix) and member.endswith(".py"):
                        dest = target / member
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        dest.write_bytes(zf.read(member))
        for label, rel in folders:
            path = target / rel
            if label in DJANGO:
                # Every app's migrations folder; the scanner walks them all under one path.
                path = target / label
            out[label] = path
    return out


def scan(folders: dict[str, Path]) -> tuple[list[dict[str, Any]], dict[str, float]]:
    from pytest_mrt import _core

    rows: list[dict[str, Any]] = []
    times: dict[str, float] = {}
    for label, path in folders.items():
        paths = [str(path)]
        if label in DJANGO:
            paths = sorted(
                str(p)
                for p in path.rglob("migrations")
                if p.is_dir() and any(f.name[:4].isdigit() for f in p.glob("*.py"))
            )
        start = time.perf_counter()
        out = _core.check_cli(paths, "json").text
        times[label] = time.perf_counter() - start
        for f in json.loads(out):
            f["project"] = label
            rows.append(f)
    return rows, times


def line_text(f: dict[str, Any]) -> str:
    try:
        lines = Path(f["file"]).read_text(encoding="utf-8").splitlines()
        return lines[f["line"] - 1].strip()
    except (OSError, IndexError, UnicodeDecodeError):
        return ""


def key(f: dict[str, Any]) -> str:
    """Stable identity of a finding: project, revision, rule, statement text."""
    quoted = re.findall(r"'([^']*)'", f["message"])
    obj = quoted[0] if quoted else ""
    return f"{f['project']}|{f['revision']}|{f['rule']}|{line_text(f)}|{obj}"


def per_rule(rows: list[dict[str, Any]], times: dict[str, float]) -> None:
    projects = list(times)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for f in rows:
        counts[f"{f['rule']} {f['severity'][0].upper()}"][f["project"]] += 1
    width = max(len(p) for p in projects) + 2
    print(f"{'rule':<10}" + "".join(f"{p:>{width}}" for p in projects) + f"{'total':>8}")
    for rule in sorted(counts):
        c = counts[rule]
        print(
            f"{rule:<10}" + "".join(f"{c[p]:>{width}}" for p in projects) + f"{sum(c.values()):>8}"
        )
    for sev in ("error", "warning"):
        c = Counter(f["project"] for f in rows if f["severity"] == sev)
        print(
            f"{sev + 's':<10}"
            + "".join(f"{c[p]:>{width}}" for p in projects)
            + f"{sum(c.values()):>8}"
        )
    print(f"{'ms':<10}" + "".join(f"{times[p] * 1000:>{width}.0f}" for p in projects))


def sample(rows: list[dict[str, Any]], n: int, seed: int, severity: str) -> list[dict[str, Any]]:
    errors = sorted((f for f in rows if f["severity"] == severity), key=key)
    by_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in errors:
        by_rule[f["rule"]].append(f)
    rng = random.Random(seed)
    for fs in by_rule.values():
        rng.shuffle(fs)
    picked: list[dict[str, Any]] = []
    while len(picked) < n and any(by_rule.values()):
        for rule in sorted(by_rule):
            if by_rule[rule] and len(picked) < n:
                picked.append(by_rule[rule].pop())
    return [
        {
            "key": key(f),
            "project": f["project"],
            "revision": f["revision"],
            "rule": f["rule"],
            "file": str(Path(f["file"]).relative_to(CORPUS)),
            "line": f["line"],
            "message": f["message"],
            "verdict": "",
            "reason": "",
        }
        for f in picked
    ]


def precision(rows: list[dict[str, Any]], judged_paths: list[Path]) -> None:
    # Several files pool their verdicts; a key judged again in a later file takes that verdict.
    by_key: dict[str, dict[str, Any]] = {}
    for path in judged_paths:
        for j in json.loads(path.read_text()):
            by_key[j["key"]] = j
    judged = list(by_key.values())
    firing = {key(f) for f in rows if f["severity"] == "error"}
    still = [j for j in judged if j["key"] in firing]
    real = [j for j in still if j["verdict"] == "real"]
    warn = [j for j in still if j["verdict"] == "true-but-warning"]
    false = [j for j in still if j["verdict"] == "false"]
    lost = [j for j in judged if j["verdict"] == "real" and j["key"] not in firing]
    judged_keys = {j["key"] for j in judged}
    unjudged = [f for f in rows if f["severity"] == "error" and key(f) not in judged_keys]
    total = len(still)
    print(f"\njudged findings still firing as errors: {total} of {len(judged)}")
    if total:
        print(f"  real {len(real)}, true-but-warning {len(warn)}, false {len(false)}")
        print(f"  precision (real / total): {len(real) / total:.0%}")
        # The sample is stratified by rule: weight each rule's precision by its error count.
        errors_by_rule = Counter(f["rule"] for f in rows if f["severity"] == "error")
        judged_by_rule: dict[str, list[str]] = defaultdict(list)
        for j in still:
            judged_by_rule[j["rule"]].append(j["verdict"])
        covered = sum(errors_by_rule[r] for r in judged_by_rule)
        if covered:
            est = sum(
                errors_by_rule[r] * v.count("real") / len(v) for r, v in judged_by_rule.items()
            )
            print(
                f"  estimated over all errors (each rule's sample precision weighted by its "
                f"error count, {covered} of {sum(errors_by_rule.values())} errors covered): "
                f"{est / covered:.0%}"
            )
        for rule in sorted(judged_by_rule):
            v = judged_by_rule[rule]
            print(
                f"    {rule}: {v.count('real')}/{len(v)} real of the sample, "
                f"{errors_by_rule[rule]} errors in all"
            )
    print(f"judged-real findings that no longer fire (lost recall): {len(lost)}")
    for j in lost:
        print(f"  {j['key']}")
    for j in false:
        print(f"  still false: {j['key']} ({j['reason']})")
    print(f"error findings not in the judged sample: {len(unjudged)}")
    if not unjudged:
        # Every error is judged: the census, each finding counted with its key's verdict
        # (findings on one statement can share a key).
        verdicts = Counter(by_key[key(f)]["verdict"] for f in rows if f["severity"] == "error")
        n = sum(verdicts.values())
        print(
            f"census over all {n} error findings: real {verdicts['real']}, true-but-warning "
            f"{verdicts['true-but-warning']}, false {verdicts['false']}: "
            f"precision {verdicts['real'] / n:.0%}"
        )


def warning_precision(rows: list[dict[str, Any]], judged_path: Path) -> None:
    """Useful / noise / false over the judged warnings that still fire, and what went."""
    judged = json.loads(judged_path.read_text())
    firing = {key(f): f["severity"] for f in rows}
    still = [j for j in judged if firing.get(j["key"]) == "warning"]
    gone = [j for j in judged if j["key"] not in firing]
    raised = [j for j in judged if firing.get(j["key"]) == "error"]
    verdicts = Counter(j["verdict"] for j in still)
    total = len(still)
    print(f"\njudged warnings still firing as warnings: {total} of {len(judged)}")
    if total:
        print(
            "  "
            + ", ".join(f"{v} {verdicts[v]}" for v in ("useful", "noise", "false"))
            + f"; precision (useful / total): {verdicts['useful'] / total:.0%}"
        )
        by_rule: dict[str, Counter[str]] = defaultdict(Counter)
        for j in still:
            by_rule[j["rule"]][j["verdict"]] += 1
        warnings_by_rule = Counter(f["rule"] for f in rows if f["severity"] == "warning")
        # The sample is stratified by rule: weight each rule's shares by its warning count.
        covered = sum(warnings_by_rule[r] for r in by_rule)
        if covered:
            shares = {
                v: sum(warnings_by_rule[r] * c[v] / sum(c.values()) for r, c in by_rule.items())
                / covered
                for v in ("useful", "noise", "false")
            }
            print(
                f"  estimated over all warnings (each rule's sample weighted by its warning "
                f"count, {covered} of {sum(warnings_by_rule.values())} covered): "
                + ", ".join(f"{v} {share:.0%}" for v, share in shares.items())
            )
        for rule in sorted(by_rule):
            c = by_rule[rule]
            print(
                f"    {rule}: useful {c['useful']}, noise {c['noise']}, false {c['false']} "
                f"of the sample; {warnings_by_rule[rule]} warnings in all"
            )
    print(f"judged warnings that no longer fire: {len(gone)}")
    for j in gone:
        print(f"  {j['verdict']}: {j['key']}")
    for j in raised:
        print(f"  now an error ({j['verdict']} as a warning): {j['key']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--judged",
        type=Path,
        nargs="+",
        help="judged samples (JSON) to measure precision, pooled, later files' verdicts first "
        "(default: bench/judged_sample.json, or bench/judged_warnings_seed1.json with "
        "--warnings, whose first file is used)",
    )
    parser.add_argument("--sample", type=int, help="draw this many ERROR findings to judge")
    parser.add_argument(
        "--warnings",
        action="store_true",
        help="--sample/--judged work on WARNING findings instead of errors",
    )
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--list", metavar="PROJECT", help="print every finding of a project")
    args = parser.parse_args()
    download()
    folders = extract()
    rows, times = scan(folders)
    if args.sample:
        severity = "warning" if args.warnings else "error"
        print(json.dumps(sample(rows, args.sample, args.seed, severity), indent=1))
        return 0
    if args.list:
        for f in rows:
            if f["project"] == args.list:
                sev = f["severity"][0].upper()
                print(f"{sev} {f['rule']} {f['revision']}:{f['line']} {f['message']}")
        return 0
    per_rule(rows, times)
    if args.warnings:
        judged = args.judged[0] if args.judged else HERE / "judged_warnings_seed1.json"
        if judged.exists():
            warning_precision(rows, judged)
        return 0
    judged_files = args.judged or [HERE / "judged_sample.json"]
    if all(p.exists() for p in judged_files):
        precision(rows, judged_files)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
