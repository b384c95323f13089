"""``mrt init`` scaffolds a working test setup and never overwrites without --force."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .cli import run_mrt

BLOG = Path(__file__).parent.parent / "examples" / "blog"


def mrt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_mrt(*args, cwd=cwd)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """examples/blog nested one level down, without its tests, as a user's repo would be."""
    root = tmp_path / "app"
    shutil.copytree(BLOG, root / "db")
    for name in ("conftest.py", "test_migrations.py", "pyproject.toml"):
        (root / "db" / name).unlink()
    (root / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    return root


def test_init_writes_conftest_and_tests(project: Path) -> None:
    done = mrt("init", "--db-url", "sqlite:///x.db", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["wrote conftest.py", "wrote tests/test_migrations.py"]
    conftest = (project / "conftest.py").read_text()
    assert 'alembic_ini="db/alembic.ini"' in conftest
    assert 'os.environ.get("TEST_DATABASE_URL", "sqlite:///x.db")' in conftest
    tests = (project / "tests" / "test_migrations.py").read_text()
    assert "mrt.assert_all_reversible()" in tests
    assert "db/migrations/versions" in tests


def test_init_never_overwrites_without_force(project: Path) -> None:
    (project / "conftest.py").write_text("# mine\n")
    refused = mrt("init", cwd=project)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "mrt: error: conftest.py already exist(s); nothing written (use --force to overwrite)"
    )
    assert (project / "conftest.py").read_text() == "# mine\n"
    assert not (project / "tests").exists()
    forced = mrt("init", "--force", cwd=project)
    assert forced.returncode == 0, forced.stderr
    assert "MRTConfig" in (project / "conftest.py").read_text()


def test_init_without_alembic_ini_is_one_line(tmp_path: Path) -> None:
    done = mrt("init", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "no alembic.ini found" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_scaffolded_tests_catch_the_blog_examples_unsafe_migrations(project: Path) -> None:
    assert mrt("init", cwd=project).returncode == 0
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    # The example ships unsafe migrations: both scaffolded checks must fail, and say why.
    assert "2 failed" in run.stdout, run.stdout
    assert "004" in run.stdout
    assert "Traceback" not in run.stdout


def test_init_names_the_folder_alembic_reads_version_locations_first(project: Path) -> None:
    # One resolution (runner.versions_folders) for init, the fixture and the --mrt items.
    (project / "db" / "migrations" / "versions").rename(project / "db" / "revs")
    ini = project / "db" / "alembic.ini"
    ini.write_text(
        ini.read_text().replace(
            "path_separator = os\n", "path_separator = os\nversion_locations = %(here)s/revs\n"
        )
    )
    done = mrt("init", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "Static scan of db/revs:" in (project / "tests" / "test_migrations.py").read_text()
    probe = project / "test_probe.py"
    probe.write_text(
        "def test_folders(mrt):\n"
        "    assert [p.name for p in mrt.versions_dirs()] == ['revs']\n"
        "    assert mrt.check_static()\n"
    )
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe)],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
