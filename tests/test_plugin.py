"""The plugin registers through its entry point and costs nothing at start-up."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_entry_point_registers_fixtures_options_and_marker(pytester: pytest.Pytester) -> None:
    pytester.copy_example("blog")
    fixtures = pytester.runpytest("--fixtures")
    for line in ("*plugins:*mrt-*", "mrt_config -- *", "mrt -- *"):
        fixtures.stdout.fnmatch_lines([line])
    helptext = pytester.runpytest("--help")
    helptext.stdout.fnmatch_lines(["*--mrt-db-url=URL*", "*--mrt-alembic-ini=PATH*"])
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.mrt(**fields)*"])


def test_plugin_import_does_not_load_the_engine() -> None:
    # pytest imports every pytest11 plugin in every project where pytest-mrt is installed.
    code = (
        "import sys, pytest_mrt.plugin, pytest_mrt.cli\n"
        "heavy = [m for m in ('pytest_mrt._core', 'alembic', 'sqlalchemy') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_blog_example_runs_as_users_run_it(pytester: pytest.Pytester) -> None:
    pytester.copy_example("blog")
    result = pytester.runpytest("-k", "upgrade_and_downgrade or safe_revision", "-v")
    result.assert_outcomes(passed=2, deselected=2)
