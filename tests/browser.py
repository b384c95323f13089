"""Headless Chromium for tests that look at what users see (the HTML report)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("chromium is not installed: run scripts/services.sh", pytrace=False)
    return exe


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="mrt-chromium-") as profile:
        return subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )


def rendered_dom(url: str) -> str:
    """The DOM after scripts ran."""
    return _run("--virtual-time-budget=2000", "--dump-dom", url).stdout


def screenshot(url: str, out: Path, size: str = "1280,1000") -> Path:
    _run(f"--window-size={size}", f"--screenshot={out}", url)
    return out
