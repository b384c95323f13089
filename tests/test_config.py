"""MRTConfig validation and the precedence of its sources."""

from __future__ import annotations

import textwrap

import pytest
from pytest_mrt import ConfigError, MRTConfig
from pytest_mrt.config import merge


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"seed_rows": -1}, "seed_rows"),
        ({"seed_rows": "3"}, "seed_rows"),
        ({"seed_rows": True}, "seed_rows"),
        ({"db_url": None}, "db_url"),
        ({"alembic_ini": 3}, "alembic_ini"),
        ({"migration_timeout": 0}, "migration_timeout"),
        ({"migration_timeout": "10"}, "migration_timeout"),
        ({"allow_existing_data": "yes"}, "allow_existing_data"),
        ({"skip": {"abc": 1}}, "skip"),
        ({"skip": ["abc"]}, "skip"),
        ({"severity_overrides": {"MRT001": "fatal"}}, "severity_overrides['MRT001']"),
        ({"custom_seeds": {"users": [{"id": 1}]}}, "custom_seeds['users']"),
        ({"custom_checks": [42]}, "custom_checks"),
        ({"versions_dir": 1}, "versions_dir"),
    ],
)
def test_invalid_values_name_the_key(kwargs: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError) as info:
        MRTConfig(**kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert named in message
    assert "\n" not in message


def test_valid_config_keeps_values() -> None:
    def seeds() -> list[dict[str, object]]:
        return [{"id": 1}]

    cfg = MRTConfig(
        seed_rows=0,
        skip={"abc": "reviewed"},
        severity_overrides={"MRT001": "off", "INDEX without CONCURRENTLY": "error"},
        custom_seeds={"users": seeds},
        migration_timeout=5,
        allow_existing_data=True,
    )
    assert cfg.seed_rows == 0
    assert cfg.custom_seeds["users"]() == [{"id": 1}]


def test_unknown_mapping_key_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'seed_row'.*seed_rows"):
        MRTConfig.from_mapping({"seed_row": 3}, "pyproject.toml [tool.mrt]")


def test_merge_first_layer_wins_field_by_field() -> None:
    high = MRTConfig(db_url="sqlite:///high.db")
    low = MRTConfig(db_url="sqlite:///low.db", seed_rows=7, alembic_ini="db/alembic.ini")
    merged = merge(high, None, low)
    assert merged.db_url == "sqlite:///high.db"
    assert merged.seed_rows == 7
    assert merged.alembic_ini == "db/alembic.ini"


PRECEDENCE_TEST = """
    def test_show(mrt):
        cfg = mrt.config
        print(f"RESOLVED db_url={cfg.db_url!r} seed_rows={cfg.seed_rows} ini={cfg.alembic_ini}")
"""


def _resolved(pytester: pytest.Pytester, *args: str) -> str:
    result = pytester.runpytest("-s", *args)
    lines = [line[line.index("RESOLVED") :] for line in result.outlines if "RESOLVED" in line]
    assert lines, "\n".join(result.outlines)
    return lines[0].rstrip(".")


@pytest.fixture
def blog(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.copy_example("blog")
    # Keep the copy's migrations, replace its tests and configuration with the probe below.
    for name in ("test_migrations.py", "conftest.py", "pyproject.toml"):
        (pytester.path / name).unlink()
    pytester.makepyfile(test_probe=PRECEDENCE_TEST)
    return pytester


def test_defaults_apply_without_any_source(blog: pytest.Pytester) -> None:
    assert _resolved(blog) == "RESOLVED db_url='' seed_rows=3 ini=alembic.ini"


def test_pyproject_section_is_read(blog: pytest.Pytester) -> None:
    blog.makepyprojecttoml("[tool.mrt]\nseed_rows = 5\n")
    assert "seed_rows=5" in _resolved(blog)


def test_conftest_beats_pyproject(blog: pytest.Pytester) -> None:
    blog.makepyprojecttoml("[tool.mrt]\nseed_rows = 5\nalembic_ini = 'alembic.ini'\n")
    blog.makeconftest(
        """
        from pytest_mrt import MRTConfig
        def pytest_configure(config):
            config._mrt_config = MRTConfig(seed_rows=9)
        """
    )
    assert "seed_rows=9" in _resolved(blog)


def test_fixture_beats_conftest_and_command_line_beats_all(blog: pytest.Pytester) -> None:
    db = blog.path / "explicit.db"
    blog.makepyprojecttoml("[tool.mrt]\nseed_rows = 5\n")
    blog.makeconftest(
        f"""
        import pytest
        from pytest_mrt import MRTConfig
        def pytest_configure(config):
            config._mrt_config = MRTConfig(seed_rows=9, db_url="sqlite:///{blog.path}/conftest.db")
        @pytest.fixture
        def mrt_config():
            return MRTConfig(seed_rows=11)
        """
    )
    assert _resolved(blog) == (
        f"RESOLVED db_url='sqlite:///{blog.path}/conftest.db' seed_rows=11 ini=alembic.ini"
    )
    assert f"db_url='sqlite:///{db}'" in _resolved(blog, f"--mrt-db-url=sqlite:///{db}")


def test_marker_overrides_fixture_but_not_command_line(blog: pytest.Pytester) -> None:
    (blog.path / "test_probe.py").write_text(
        "import pytest\n\n@pytest.mark.mrt(seed_rows=2)\n"
        + textwrap.dedent(PRECEDENCE_TEST).lstrip()
    )
    assert "seed_rows=2" in _resolved(blog)


@pytest.mark.parametrize(
    ("pyproject", "expected"),
    [
        ("[tool.mrt]\nseed_rows = -2\n", "seed_rows must be an integer >= 0, got -2"),
        ("[tool.mrt]\nsead_rows = 2\n", "unknown key 'sead_rows'"),
        ("[tool.mrt]\ncustom_checks = []\n", "custom_checks holds Python callables"),
    ],
)
def test_bad_pyproject_is_a_one_line_usage_error(
    blog: pytest.Pytester, pyproject: str, expected: str
) -> None:
    blog.makepyprojecttoml(pyproject)
    result = blog.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert expected in result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_bad_conftest_config_fails_the_test_naming_the_key(blog: pytest.Pytester) -> None:
    blog.makeconftest(
        """
        from pytest_mrt import MRTConfig
        def pytest_configure(config):
            config._mrt_config = {"seed_rows": 3}
        """
    )
    result = blog.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*config._mrt_config must be an MRTConfig, got dict*"])


def test_the_keys_rust_checks_are_mrtconfigs_fields() -> None:
    # One list of keys (src/config.rs): the dataclass must declare exactly those, in order.
    import dataclasses

    from pytest_mrt import _core

    assert [f.name for f in dataclasses.fields(MRTConfig)] == _core.config_keys()


def test_an_unknown_key_is_named_before_any_bad_value() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'seed_row'"):
        MRTConfig.from_mapping({"seed_rows": -1, "seed_row": 3}, "marker")
