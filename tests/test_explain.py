"""`mrt explain`: plain-English steps, the data each step risks, and a verdict; offline."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from .cli import run_mrt

ROOT = Path(__file__).resolve().parent.parent
BLOG = ROOT / "examples" / "blog" / "migrations" / "versions"
DJANGO = ROOT / "tests" / "fixtures" / "explain" / "0003_shop.py"


def explain(path: Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # No network and no API key needed: a bare environment is enough.
    return run_mrt("explain", str(path), cwd=cwd, env={"PATH": "/usr/bin:/bin"}, timeout=60)


def section(text: str, title: str) -> list[str]:
    """The numbered lines under a heading."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    out = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        out.append(line.strip())
    return out


def test_004_says_the_phone_data_is_lost() -> None:
    result = explain(BLOG / "004_drop_users_phone.py")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"{BLOG / '004_drop_users_phone.py'}: Alembic migration 004, parent 003")
    assert section(out, "upgrade():") == ["1. Drops column users.phone"]
    assert section(out, "downgrade():") == ["1. Adds nullable column users.phone (VARCHAR(30))"]
    risk = out[out.index("Data at risk:") :]
    assert "upgrade step 1 (line 17): Drops column users.phone" in risk
    assert "every value in users.phone is deleted" in risk
    assert "MRT001 drop-column (DROP COLUMN, error):" in risk
    assert "fix: stop using the column first" in risk
    assert out.rstrip().splitlines()[-1] == "Rollback: NOT safe — 1 error"


def test_001_is_safe() -> None:
    result = explain(BLOG / "001_create_users_and_posts.py")
    assert result.returncode == 0, result.stderr
    assert section(result.stdout, "upgrade():") == [
        "1. Creates table users (id, name, email)",
        "2. Creates table posts (id, user_id, title, body, published)",
    ]
    assert section(result.stdout, "downgrade():") == [
        "1. Drops table posts",
        "2. Drops table users",
    ]
    risk = result.stdout[result.stdout.index("Data at risk:") :]
    assert "downgrade step 1 (line 34): Drops table posts" in risk
    assert (
        "data: a rollback deletes table posts with the rows stored in it since the upgrade" in risk
    )
    assert "MRT" not in risk
    assert result.stdout.rstrip().splitlines()[-1] == "Rollback: safe — no findings"


def test_raw_sql_step_says_what_it_rewrites() -> None:
    out = explain(BLOG / "006_uppercase_names.py").stdout
    assert section(out, "upgrade():") == [
        "1. Runs SQL: UPDATE users SET name = UPPER(name) — rewrites every row of users"
    ]
    assert section(out, "downgrade():") == [
        "(does nothing: the body is only pass, a docstring or ...)"
    ]
    assert "data: all rows of users are overwritten; the old values are not kept" in out
    assert "MRT014 bulk-update-without-reverse" in out
    assert "MRT005 noop-downgrade" in out
    assert out.rstrip().splitlines()[-1] == "Rollback: NOT safe — 1 error, 1 warning"


def test_warnings_only_verdict() -> None:
    out = explain(BLOG / "003_index_posts_title.py").stdout
    assert section(out, "upgrade():") == ["1. Creates index ix_posts_title on posts (title)"]
    assert "MRT023 index-without-concurrently" in out
    assert out.rstrip().splitlines()[-1] == "Rollback: probably safe — 1 warning to review"


def test_project_severity_overrides_shape_the_verdict(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mrt]\nseverity_overrides = { "INDEX without CONCURRENTLY" = "error" }\n'
    )
    out = explain(BLOG / "003_index_posts_title.py", cwd=tmp_path).stdout
    assert "MRT023 index-without-concurrently (INDEX without CONCURRENTLY, error)" in out
    assert out.rstrip().splitlines()[-1] == "Rollback: NOT safe — 1 error"
    (tmp_path / "pyproject.toml").write_text("[tool.mrt]\nseed_rows = -1\n")
    bad = explain(BLOG / "003_index_posts_title.py", cwd=tmp_path)
    assert bad.returncode == 2 and "seed_rows" in bad.stderr and bad.stdout == ""


def test_django_operations_and_what_django_runs_backwards() -> None:
    result = explain(DJANGO)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Django migration 0003_shop, depends on shop.0002_product" in out
    assert section(out, "Forwards (operations):") == [
        "1. Adds nullable field product.sku (VARCHAR)",
        "2. Runs Python function fill_sku (no reverse function)",
        "3. Removes field product.legacy_code (drops its column)",
        "4. Renames field product.title to name",
    ]
    assert section(out, "Backwards (what Django runs to undo it, in this order):") == [
        "1. Renames field product.name back to title",
        "2. Re-adds field product.legacy_code, without its old values",
        "3. Cannot go back: Django raises IrreversibleError (no reverse_code)",
        "4. Removes field product.sku (values written since are lost)",
    ]
    assert "every value in product.legacy_code is deleted" in out
    assert "MRT040 django-remove-field" in out and "MRT042 runpython-without-reverse" in out
    # Django refuses to unapply the migration (MRT042), so no rollback re-adds legacy_code
    # empty: its MRT040 is a warning.
    assert out.rstrip().splitlines()[-1] == "Rollback: NOT safe — 1 error, 2 warnings"


def test_every_step_line_is_numbered_one_per_operation() -> None:
    out = explain(ROOT / "tests" / "fixtures" / "fix" / "irreversible.py").stdout
    steps = section(out, "upgrade():")
    assert [re.match(r"(\d+)\. ", s).group(1) for s in steps] == ["1", "2", "3", "4"]  # type: ignore[union-attr]
    assert steps[1] == "2. Drops column users.email"
    assert steps[3] == "4. Drops table posts"
    assert "every row of posts is deleted" in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"x = 1\n", "not an Alembic or Django migration"),
        (b"revision = 'a'\ndef upgrade(:\n", "syntax error"),
        (b"", "empty file"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, content: bytes | None, expected: str) -> None:
    target = tmp_path / "m.py"
    if content is not None:
        target.write_bytes(content)
    result = explain(target)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mrt: error: "), result.stderr
    assert expected in lines[0]
