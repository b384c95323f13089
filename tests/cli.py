"""Run the real CLI (`python -m pytest_mrt`) the way users and CI do: a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent


def run_mrt(
    *args: str,
    cwd: Path | None = None,
    columns: int | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    **kwargs: Any,
) -> subprocess.CompletedProcess[str]:
    """``mrt ARGS`` with no stdin (as in CI) in ``env`` (default: ours) and, unless
    ``columns`` says otherwise, no terminal width, so output does not depend on who runs it."""
    env = {k: v for k, v in (os.environ if env is None else env).items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run(
        [sys.executable, "-m", "pytest_mrt", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
        **kwargs,
    )
