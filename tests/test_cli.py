"""The CLI shell: entry points, version, help and usage errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from .cli import run_mrt

ROOT = Path(__file__).parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_mrt(*args)


def test_version_matches_cargo_toml_in_both_entry_points() -> None:
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]
    # Cargo's pre-release `2.0.0-alpha.1` is PEP 440's `2.0.0a1`, as maturin writes it.
    version = cargo.replace("-alpha.", "a").replace("-beta.", "b").replace("-rc.", "rc")
    done = run("version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"pytest-mrt {version}\n", "")
    script = shutil.which("mrt", path=str(Path(sys.executable).parent))
    assert script is not None, "the mrt console script is not installed"
    via_script = subprocess.run([script, "version"], capture_output=True, text=True)
    assert via_script.stdout == done.stdout


def test_help_lists_commands() -> None:
    done = run("--help")
    assert done.returncode == 0
    assert "version" in done.stdout
    assert "init" in done.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("frobnicate",), "invalid choice: 'frobnicate'"),
        (("version", "--nope"), "unrecognized arguments: --nope"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: tuple[str, ...], fragment: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("mrt: error: ")
    assert fragment in done.stderr


def test_no_command_prints_help_and_exits_2() -> None:
    done = run()
    assert done.returncode == 2
    assert "usage: mrt" in done.stderr
