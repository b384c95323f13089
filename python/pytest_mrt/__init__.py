"""pytest-mrt: Migration Rollback Tester.

Catches Alembic and Django migrations whose rollback exits 0 but loses data: a static scanner
(``mrt check``) and a pytest fixture (``mrt``) that seeds rows, upgrades, downgrades and proves
that schema and data came back.

Importing this package is cheap: the native engine loads on first use.
"""

from __future__ import annotations

# Not `from typing import TYPE_CHECKING`: importing typing alone costs the CLI several ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
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
# Python-side names load on first use too: `mrt check` (and `python -m pytest_mrt`) start
# without paying for dataclasses/typing/pathlib.
_LAZY = {
    "ConfigError": "config",
    "MRTConfig": "config",
    "MigrationAST": "models",
    "Operation": "models",
    "RevisionResult": "models",
    "RiskWarning": "models",
}


def __getattr__(name: str) -> Any:
    # The native module is loaded only when one of its names is asked for, so that pytest
    # start-up in projects that merely have pytest-mrt installed does not pay for it.
    if name in _NATIVE:
        from . import _core

        return getattr(_core, name)
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pytest_mrt' has no attribute {name!r}")
