"""Benchmark `mrt check` against pytest-mrt 1.9.1 on real projects' migration folders.

Downloads the wheels of apache-superset, prefect, apache-airflow-core, mlflow and dagster with
`pip download --no-deps` into bench/.cache, extracts their Alembic `versions/` folders,
generates a 10,000-revision chain, installs pytest-mrt==1.9.1 into bench/.cache/venv-old,
then prints whole-process times of `check --format json` for both tools (best of N runs),
their ratio, the in-process scan time per file, and the cold start.

Build ours in release mode first: `maturin develop --release`. Run:
`.venv/bin/python bench/bench_scan.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
WHEELS = CACHE / "wheels"
PROJECTS = CACHE / "projects"
OLD_VENV = CACHE / "venv-old"
PACKAGES = ["apache-superset", "prefect", "apache-airflow-core", "mlflow", "dagster"]
# The Alembic versions folder inside each wheel (other `versions/` folders are not migrations).
FOLDERS = {
    "apache_superset": "superset/migrations/versions/",
    "prefect": "prefect/server/database/_migrations/versions/",
    "apache_airflow_core": "airflow/migrations/versions/",
    "mlflow": "mlflow/store/db_migrations/versions/",
    "dagster": "dagster/_core/storage/alembic/versions/",
}


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def download() -> None:
    WHEELS.mkdir(parents=True, exist_ok=True)
    if len(list(WHEELS.glob("*.whl"))) >= len(PACKAGES):
        return
    print("downloading wheels ...", flush=True)
    run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
         "-d", str(WHEELS), *PACKAGES])  # fmt: skip


def extract() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for wheel in sorted(WHEELS.glob("*.whl")):
        dist = wheel.name.split("-")[0]
        prefix = FOLDERS.get(dist)
        if prefix is None:
            continue
        target = PROJECTS / dist
        if not target.exists():
            with zipfile.ZipFile(wheel) as zf:
                for name in zf.namelist():
                    if name.startswith(prefix) and name.endswith(".py"):
                        dest = target / name[len(prefix) :]
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        dest.write_bytes(zf.read(name))
        label = f"{dist} {wheel.name.split('-')[1]}"
        subdirs = sorted(d for d in target.iterdir() if d.is_dir() and d.name != "__pycache__")
        if subdirs and not any(target.glob("*.py")):
            # One history per database (Prefect): users point `mrt check` at one of them, and
            # 1.9.1 does not look into subfolders.
            for d in subdirs:
                out[f"{label}/{d.name}"] = d
        else:
            out[label] = target
    return out


def chain(n: int = 10_000) -> Path:
    target = PROJECTS / f"chain{n}"
    if target.exists() and len(list(target.glob("*.py"))) == n:
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for i in range(n):
        parent = "None" if i == 0 else f'"r{i - 1:05d}"'
        kind = i % 4
        if kind == 0:
            up = f'op.add_column("t{i % 50}", sa.Column("c{i}", sa.Integer(), nullable=True))'
            down = f'op.drop_column("t{i % 50}", "c{i}")'
        elif kind == 1:
            up = f'op.create_index("ix_{i}", "t{i % 50}", ["c{i - 1}"])'
            down = f'op.drop_index("ix_{i}", table_name="t{i % 50}")'
        elif kind == 2:
            up = f'op.execute("UPDATE t{i % 50} SET c{i - 2} = 0 WHERE c{i - 2} IS NULL")'
            down = "pass"
        else:
            up = f'op.create_table("n{i}", sa.Column("id", sa.Integer(), primary_key=True))'
            down = f'op.drop_table("n{i}")'
        (target / f"r{i:05d}_step.py").write_text(
            f'"""step {i}\n\nRevision ID: r{i:05d}\n"""\n'
            "import sqlalchemy as sa\nfrom alembic import op\n\n"
            f'revision = "r{i:05d}"\ndown_revision = {parent}\n'
            "branch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n    {up}\n\n\ndef downgrade():\n    {down}\n"
        )
    return target


def old_tool() -> list[str]:
    python = OLD_VENV / "bin" / "python"
    if not python.exists():
        print("installing pytest-mrt==1.9.1 into bench/.cache/venv-old ...", flush=True)
        run([sys.executable, "-m", "venv", str(OLD_VENV)])
        run([str(python), "-m", "pip", "install", "-q", "pytest-mrt==1.9.1"])
    # 1.9.1 has no __main__ module; its console script is the same entry point.
    return [str(python), str(OLD_VENV / "bin" / "mrt")]


def timed(cmd: list[str], runs: int, ok: tuple[int, ...] = (0, 1)) -> tuple[float, str]:
    best = float("inf")
    out = ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, text=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
        if done.returncode not in ok:
            raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-500:]}")
        out = done.stdout
    return best, out


def count_findings(stdout: str) -> int:
    import json

    try:
        data = json.loads(stdout)
    except ValueError:
        return -1
    # 1.9.1 wraps its list: {"version", "summary", "findings": [...]}.
    return len(data["findings"] if isinstance(data, dict) else data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (best is kept)")
    parser.add_argument("--skip-old", action="store_true", help="do not run pytest-mrt 1.9.1")
    args = parser.parse_args()

    download()
    folders = extract()
    folders["generated chain"] = chain()
    ours = [sys.executable, "-m", "pytest_mrt"]
    old = None if args.skip_old else old_tool()

    from pytest_mrt import _core

    print(f"\n{'folder':<32}{'files':>7}{'ours':>10}{'1.9.1':>10}{'ratio':>8}"
          f"{'scan ms/file':>14}{'findings ours/old':>20}")  # fmt: skip
    ratios = []
    for label, path in folders.items():
        files = sum(1 for p in path.rglob("*.py") if p.name != "__init__.py")
        t_ours, out_ours = timed([*ours, "check", str(path), "--format", "json"], args.runs)
        if old is not None:
            old_cmd = [*old, "check", str(path), "--format", "json"]
            # 1.9.1 exits 2 when it finds errors.
            t_old, out_old = timed(old_cmd, max(1, args.runs // 2), ok=(0, 1, 2))
            ratio = t_old / t_ours
            ratios.append((label, ratio))
            old_col, ratio_col = f"{t_old * 1000:8.0f}ms", f"{ratio:7.1f}x"
            old_n = count_findings(out_old)
        else:
            old_col, ratio_col, old_n = f"{'-':>10}", f"{'-':>8}", -1
        # In-process: the native scan + render alone, no interpreter start.
        inner = []
        for _ in range(args.runs):
            start = time.perf_counter()
            _core.check_cli([str(path)], "json")
            inner.append(time.perf_counter() - start)
        per_file = min(inner) * 1000 / files
        print(f"{label:<32}{files:>7}{t_ours * 1000:8.0f}ms{old_col}{ratio_col}"
              f"{per_file:13.4f} {count_findings(out_ours):>9}/{old_n}")  # fmt: skip

    tiny = CACHE / "tiny"
    tiny.mkdir(exist_ok=True)
    (tiny / "001_one.py").write_text(
        'revision = "001"\ndown_revision = None\nfrom alembic import op\n\n'
        "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
    )
    runs = max(args.runs, 10)
    bare = min(timed([sys.executable, "-c", "pass"], runs)[0] for _ in range(1))
    cold = [timed([*ours, "check", str(tiny), "--format", "json"], 1)[0] for _ in range(runs)]
    print(
        f"\ncold start (check of a 1-file folder, {runs} runs): best {min(cold) * 1000:.0f} ms, "
        f"median {statistics.median(cold) * 1000:.0f} ms; "
        f"bare `python -c pass`: {bare * 1000:.0f} ms"
    )
    if ratios:
        worst = min(ratios, key=lambda r: r[1])
        print(f"slowest ratio: {worst[1]:.1f}x on {worst[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
