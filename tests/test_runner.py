"""In-process Alembic against real databases, and the errors users see when it cannot run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_mrt.runner import MARKER, AlembicRunner, MigrationError

BLOG = Path(__file__).parent.parent / "examples" / "blog"


def _tables(url: str, *, marker: bool = False) -> set[str]:
    """The tables, without Alembic's version table and (unless asked) the run's marker table,
    which exists while a run is open."""
    engine = sa.create_engine(url)
    try:
        hidden = {"alembic_version"} | (set() if marker else {MARKER})
        return set(sa.inspect(engine).get_table_names()) - hidden
    finally:
        engine.dispose()


def test_upgrade_and_downgrade_walk_the_blog_chain(db_url: str) -> None:
    runner = AlembicRunner(BLOG / "alembic.ini", db_url)
    try:
        assert [s.revision for s in runner.walk_revisions()] == [f"00{i}" for i in range(1, 9)]
        runner.upgrade("head")
        assert runner.current() == ("008",)
        assert _tables(db_url) == {"users", "posts", "tags"}
        runner.downgrade("-1")
        assert runner.current() == ("007",)
        runner.downgrade("003")
        assert runner.current() == ("003",)
        # 005's downgrade is a no-op, so 'tags' outlives the rollback: the bug the tool exists for.
        assert _tables(db_url) == {"users", "posts", "tags"}
        runner.downgrade("base")
        assert runner.current() == ()
        assert _tables(db_url) == {"tags"}
    finally:
        runner.dispose()
    # Disposing ends the run: its marker goes, what the migrations made stays.
    assert _tables(db_url, marker=True) == {"tags"}


def test_env_py_that_ignores_the_shared_connection_still_uses_the_test_db(
    tmp_path: Path, make_db: object
) -> None:
    project = tmp_path / "blog"
    shutil.copytree(BLOG, project)
    env = project / "migrations" / "env.py"
    # The plain Alembic template: builds its own engine from sqlalchemy.url.
    env.write_text(
        env.read_text().replace(
            'connection = config.attributes.get("connection", None)', "connection = None"
        )
    )
    url = make_db("postgresql")  # type: ignore[operator]
    runner = AlembicRunner(project / "alembic.ini", url)
    try:
        runner.upgrade("002")
        assert runner.current() == ("002",)
        assert _tables(url) == {"users", "posts"}
    finally:
        runner.dispose()


def test_missing_alembic_ini(tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match=r"^alembic.ini not found: .*nowhere.ini"):
        AlembicRunner(tmp_path / "nowhere.ini", "sqlite://")


def test_unknown_revision_is_one_clear_line(tmp_path: Path) -> None:
    runner = AlembicRunner(BLOG / "alembic.ini", f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(MigrationError) as info:
        runner.upgrade("nope")
    assert str(info.value).startswith("alembic upgrade nope: ")
    assert "nope" in str(info.value)
    assert "\n" not in str(info.value)


def test_unreachable_server_masks_the_password() -> None:
    runner = AlembicRunner(BLOG / "alembic.ini", "postgresql://app:hunter2@127.0.0.1:1/app")
    with pytest.raises(MigrationError) as info:
        runner.ping()
    message = str(info.value)
    assert message.startswith("cannot connect to postgresql://app:***@127.0.0.1:1/app: ")
    assert "hunter2" not in message


def test_unknown_dialect() -> None:
    with pytest.raises(MigrationError, match=r"^invalid database URL nosuchdb://u:\*\*\*@h/d"):
        AlembicRunner(BLOG / "alembic.ini", "nosuchdb://u:pw@h/d")


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("postgresql+pg8000://app:hunter2@h/d", " (pip install 'pytest-mrt[postgres]')"),
        ("mariadb+mariadbconnector://app:hunter2@h/d", " (pip install 'pytest-mrt[mysql]')"),
        # No extra of ours installs an MS SQL driver: no hint rather than a wrong one.
        ("mssql+pyodbc://app:hunter2@h/d", ""),
    ],
)
def test_a_missing_driver_names_the_extra_that_installs_it(url: str, hint: str) -> None:
    with pytest.raises(MigrationError) as info:
        AlembicRunner(BLOG / "alembic.ini", url)
    message = str(info.value)
    assert message.startswith(f"no database driver for {url.split(':')[0]}://app:***@h/d: ")
    assert message.endswith(hint) and ("pip install" in message) == bool(hint)
    assert "hunter2" not in message


ERROR_CASES = {
    "wrong_url": (
        "db_url='postgresql://app:hunter2@127.0.0.1:1/app'",
        "mrt: cannot connect to postgresql://app:***@127.0.0.1:1/app*",
    ),
    "missing_ini": ("alembic_ini='missing/alembic.ini'", "mrt: alembic.ini not found: *missing*"),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_fixture_errors_are_one_line_without_traceback(
    pytester: pytest.Pytester, case: str
) -> None:
    setting, expected = ERROR_CASES[case]
    pytester.copy_example("blog")
    pytester.makeconftest(
        f"""
        from pytest_mrt import MRTConfig
        def pytest_configure(config):
            config._mrt_config = MRTConfig({setting})
        """
    )
    result = pytester.runpytest("-k", "upgrade_and_downgrade")
    result.assert_outcomes(errors=1, deselected=3)
    result.stdout.fnmatch_lines([expected])
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "hunter2" not in output


def test_unknown_revision_fails_the_test_without_traceback(pytester: pytest.Pytester) -> None:
    pytester.copy_example("blog")
    pytester.makepyfile(test_bad="def test_bad(mrt):\n    mrt.upgrade('doesnotexist')\n")
    result = pytester.runpytest("test_bad.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*mrt: alembic upgrade doesnotexist: *doesnotexist*"])
    assert "Traceback" not in result.stdout.str()
    assert "def test_bad" not in result.stdout.str()


def test_temporary_sqlite_file_is_removed(pytester: pytest.Pytester) -> None:
    pytester.copy_example("blog")
    pytester.makepyfile(
        test_tmp="""
        def test_where(mrt):
            mrt.upgrade("head")
            print("DBURL", mrt.runner.db_url)
        """
    )
    result = pytester.runpytest("test_tmp.py", "-s")
    result.assert_outcomes(passed=1)
    url = next(line for line in result.outlines if "DBURL" in line).split("DBURL ", 1)[1].split()[0]
    path = Path(url.removeprefix("sqlite:///"))
    assert path.name == "mrt.db"
    assert not path.exists()
    assert not path.parent.exists()
