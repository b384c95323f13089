"""pytest-mrt: Migration Rollback Tester.

Catches Alembic and Django migrations whose rollback exits 0 but loses data: a static scanner
(``mrt check``) and a pytest fixture (``mrt``) that seeds rows, upgrades, downgrades and proves
that schema and data came back.

Importing this package is cheap: the native engine loads on first use.
"""

from __future__ import annotations

from typing import Any

from .config import ConfigError, MRTConfig
from .models import MigrationAST, Operation, RevisionResult, RiskWarning

__all__ = [
    "ConfigError",
    "DatabaseError",
    "MRTConfig",
    "MRTError",
    "MigrationAST",
    "Operation",
    "RevisionResult",
    "RiskWarning",
    "SafetyError",
    "UsageError",
    "__version__",
]

_NATIVE = {"MRTError", "UsageError", "DatabaseError", "SafetyError", "__version__"}


def __getattr__(name: str) -> Any:
    # The native module is loaded only when one of its names is asked for, so that pytest
    # start-up in projects that merely have pytest-mrt installed does not pay for it.
    if name in _NATIVE:
        from . import _core

        return getattr(_core, name)
    raise AttributeError(f"module 'pytest_mrt' has no attribute {name!r}")
