"""Hostile input through the real CLI and fixture: deep nesting, special files, hostile
pyproject.toml and JSON, escape sequences, file metadata kept by `fix --apply`, atomic writes,
and what a new user trips over (single files, counts, the version)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from .cli import run_mrt

ROOT = Path(__file__).resolve().parent.parent
BLOG = ROOT / "examples" / "blog"
BLOG_VERSIONS = BLOG / "migrations" / "versions"

HEAD = (
    'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "{rev}"\n'
    "down_revision = {down}\n"
)


def mrt(*args: str, cwd: Path | None = None, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return run_mrt(*args, cwd=cwd, timeout=60, **kwargs)  # type: ignore[arg-type]


def one_line(text: str) -> str:
    assert text.count("\n") == 1, text
    assert "Traceback" not in text and "panicked" not in text, text
    return text


def deep_revision(folder: Path, depth: int = 16_000) -> Path:
    path = folder / "002_deep.py"
    path.write_text(
        HEAD.format(rev="002", down='"001"')
        + "\n\ndef upgrade():\n    op.drop_column('t', 'c')\n\n\n"
        + f"DATA = {'[' * depth}1{']' * depth}\n"
    )
    return path


def versions(tmp_path: Path) -> Path:
    folder = tmp_path / "versions"
    folder.mkdir()
    shutil.copy(BLOG_VERSIONS / "001_create_users_and_posts.py", folder / "001_a.py")
    return folder


# -- R1: deep nesting ----------------------------------------------------------------------


def test_deep_nesting_is_one_finding_in_every_command(tmp_path: Path) -> None:
    folder = versions(tmp_path)
    deep = deep_revision(folder)
    check = mrt("check", str(folder))
    assert check.returncode == 1, check.stderr
    assert "MRT091" in check.stdout and "002_deep.py:12:" in check.stdout
    assert "nested more than 200 deep" in check.stdout
    for command in ("fix", "explain"):
        result = mrt(command, str(deep))
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "002_deep.py:12:" in one_line(result.stderr)
    report = mrt("report", str(folder), "-o", str(tmp_path / "r.html"))
    assert report.returncode == 0, report.stderr
    assert "nested more than 200 deep" in (tmp_path / "r.html").read_text()


def test_deep_nesting_fails_the_static_test_not_the_session(pytester: pytest.Pytester) -> None:
    pytester.copy_example("blog")
    deep_revision(pytester.path / "migrations" / "versions", depth=4_000)
    pytester.makepyfile(
        test_static="def test_static(mrt):\n    mrt.assert_no_static_errors()\n\n"
        "def test_after():\n    pass\n"
    )
    result = pytester.runpytest_subprocess("test_static.py", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*MRT091*nested more than 200 deep*"])


# -- R2: special and huge files ------------------------------------------------------------


def test_special_files_are_never_read(tmp_path: Path) -> None:
    folder = versions(tmp_path)
    (folder / "002_zero.py").symlink_to("/dev/zero")
    fifo = folder / "003_fifo.py"
    os.mkfifo(fifo)
    check = mrt("check", str(folder))
    assert check.returncode == 1
    assert "not a regular file (a character device)" in check.stdout
    assert "not a regular file (a FIFO)" in check.stdout
    for command in ("fix", "explain", "check"):
        result = mrt(command, str(fifo))
        assert result.returncode == 2
        assert "003_fifo.py: not a regular file (a FIFO)" in one_line(result.stderr)
    result = mrt("fix", str(folder / "002_zero.py"))
    assert "not a regular file (a character device)" in one_line(result.stderr)
    big = tmp_path / "big.py"
    with open(big, "wb") as fh:
        fh.truncate(10 * 1024 * 1024 + 1)
    assert "larger than 10 MB" in one_line(mrt("explain", str(big)).stderr)


def test_a_folder_of_binary_files_is_bad_input(tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "a.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    (folder / "b.py").write_bytes(b"\x7fELF\x02\x01\x01\x00\xff")
    result = mrt("check", str(folder))
    assert result.returncode == 2
    assert "no migration files found" in one_line(result.stderr)


# -- R6: [tool.mrt] in every TOML spelling ---------------------------------------------------


@pytest.mark.parametrize(
    "toml",
    [
        '[tool.mrt]\nseverity_overrides = { MRT001 = "warning" }\n',
        '[tool]\nmrt = { severity_overrides = { MRT001 = "warning" } }\n',
        '[tool."mrt"]\nseverity_overrides = { MRT001 = "warning" }\n',
        '[tool."\\u006drt".severity_overrides]\nMRT001 = "warning"\n',
    ],
)
def test_tool_mrt_is_read_by_a_toml_parser(tmp_path: Path, toml: str) -> None:
    folder = tmp_path / "versions"
    folder.mkdir()
    (folder / "001.py").write_text(
        HEAD.format(rev="001", down="None") + "\n\ndef upgrade():\n    op.drop_column('t', 'c')\n"
    )
    (tmp_path / "pyproject.toml").write_text(toml)
    result = mrt("check", "--format", "json", "versions", cwd=tmp_path)
    rules = {f["rule"]: f["severity"] for f in json.loads(result.stdout)}
    assert rules["MRT001"] == "warning", (toml, result.stdout, result.stderr)
    explain = mrt("explain", "versions/001.py", cwd=tmp_path)
    assert explain.returncode == 0
    (tmp_path / "pyproject.toml").write_text("[tool]\nmrt = 1\n")
    bad = mrt("check", "versions", cwd=tmp_path)
    assert bad.returncode == 2 and "[tool.mrt] must be a table" in one_line(bad.stderr)


# -- R7: hostile JSON ------------------------------------------------------------------------


def test_report_refuses_deeply_nested_results(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text("[" * 100_000 + "]" * 100_000)
    result = mrt(
        "report", str(BLOG_VERSIONS), "--results", str(results), "-o", str(tmp_path / "r.html")
    )
    assert result.returncode == 2
    assert "nested too deeply" in one_line(result.stderr)
    assert not (tmp_path / "r.html").exists()


# -- R8: escape sequences, file metadata ----------------------------------------------------


def test_escape_sequences_in_migrations_are_printed_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "versions"
    folder.mkdir()
    (folder / "001.py").write_text(
        HEAD.format(rev="001", down="None")
        + '\n\ndef upgrade():\n    op.drop_column("users\\x1b]0;pwned\\x07\\x1b[2J", "c\\rX")\n'
    )
    for fmt in ("table", "github"):
        result = mrt("check", "--format", fmt, str(folder))
        assert result.returncode == 1
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
        assert "\\x1b]0;pwned" in result.stdout
        assert "\r" not in result.stdout
    explain = mrt("explain", str(folder / "001.py"))
    assert "\x1b" not in explain.stdout and "\\x1b" in explain.stdout


def test_fix_apply_keeps_mode_owner_and_hard_links(tmp_path: Path) -> None:
    target = tmp_path / "001.py"
    target.write_text(
        HEAD.format(rev="001", down="None")
        + '\n\ndef upgrade():\n    op.create_table("t", sa.Column("id", sa.Integer))\n\n\n'
        "def downgrade():\n    pass\n"
    )
    target.chmod(0o640)
    link = tmp_path / "link.py"
    os.link(target, link)
    owner = (1234, 1234) if os.geteuid() == 0 else None
    if owner is not None:
        os.chown(target, *owner)
    before = target.stat()
    result = mrt("fix", "--apply", str(target))
    assert result.returncode == 0, result.stderr
    after = target.stat()
    assert 'op.drop_table("t")' in target.read_text()
    assert link.read_text() == target.read_text()  # still one file with two names
    assert after.st_ino == before.st_ino and after.st_nlink == 2
    assert stat.S_IMODE(after.st_mode) == 0o640
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)


def test_fix_apply_keeps_mode_and_owner_without_links(tmp_path: Path) -> None:
    target = tmp_path / "001.py"
    target.write_text(
        HEAD.format(rev="001", down="None")
        + '\n\ndef upgrade():\n    op.create_table("t", sa.Column("id", sa.Integer))\n'
    )
    target.chmod(0o604)
    if os.geteuid() == 0:
        os.chown(target, 4321, 4321)
    before = target.stat()
    assert mrt("fix", "--apply", str(target)).returncode == 0
    after = target.stat()
    assert 'op.drop_table("t")' in target.read_text()
    assert stat.S_IMODE(after.st_mode) == 0o604
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


# -- R9: all-or-nothing writes ---------------------------------------------------------------


def _limited(max_bytes: int) -> object:
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return preexec


def test_report_output_is_all_or_nothing(tmp_path: Path) -> None:
    out = tmp_path / "migration_report.html"
    out.write_text("previous report\n")
    # Python ignores SIGXFSZ: a write past the size limit fails with EFBIG, like a full disk.
    result = mrt("report", str(BLOG_VERSIONS), "-o", str(out), preexec_fn=_limited(4096))
    assert result.returncode == 2
    assert "cannot write" in one_line(result.stderr)
    assert out.read_text() == "previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["migration_report.html"]


def test_init_is_all_or_nothing(tmp_path: Path) -> None:
    shutil.copy(BLOG / "alembic.ini", tmp_path / "alembic.ini")
    shutil.copytree(BLOG / "migrations", tmp_path / "migrations")
    (tmp_path / "conftest.py").write_text("# mine\n")
    result = mrt("init", "--dir", str(tmp_path), "--force", preexec_fn=_limited(100))
    assert result.returncode == 2
    assert "cannot write" in one_line(result.stderr)
    assert (tmp_path / "conftest.py").read_text() == "# mine\n"
    assert not (tmp_path / "tests" / "test_migrations.py").exists()
    leftovers = [p for p in tmp_path.rglob(".*") if p.is_file()]
    assert leftovers == []
    assert mrt("init", "--dir", str(tmp_path), "--force").returncode == 0
    assert "MRTConfig" in (tmp_path / "conftest.py").read_text()


# -- new users ---------------------------------------------------------------------------------


def test_a_single_file_has_no_false_missing_parent() -> None:
    result = mrt("check", "--format", "json", str(BLOG_VERSIONS / "002_add_users_phone.py"))
    assert result.returncode in (0, 1), result.stderr
    assert "MRT061" not in result.stdout


def test_report_counts_are_pluralised(tmp_path: Path) -> None:
    folder = tmp_path / "versions"
    folder.mkdir()
    (folder / "001.py").write_text(
        HEAD.format(rev="001", down="None")
        + "\n\ndef upgrade():\n    op.drop_column('t', 'c')\n\n\n"
        "def downgrade():\n    op.add_column('t', sa.Column('c', sa.Integer()))\n"
    )
    result = mrt("report", str(folder), "-o", str(tmp_path / "r.html"))
    assert result.returncode == 0
    assert "(1 revision, 1 finding, 1 error)" in result.stdout
    html = (tmp_path / "r.html").read_text()
    assert "1 error<" in html and "1 errors" not in html


def test_version_is_the_2_0_pre_release() -> None:
    from pytest_mrt import __version__

    assert __version__ == "2.0.0a1"
    assert mrt("version").stdout == "pytest-mrt 2.0.0a1\n"
    from importlib.metadata import version

    assert version("pytest-mrt") == "2.0.0a1"


def test_plugin_header_shows_the_version(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(["plugins:*mrt-2.0.0a1*"])
