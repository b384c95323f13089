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

    from ._core import DatabaseError, MRTError, SafetyError, UsageError, __version__
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

# Where each public name lives. Nothing is imported until asked for: `python -m pytest_mrt`
# starts fast, and pytest start-up in projects that merely have pytest-mrt installed does not
# load the native engine.
_LOCATIONS = {
    "ConfigError": "config",
    "MRTConfig": "config",
    "MigrationAST": "models",
    "Operation": "models",
    "RevisionResult": "models",
    "RiskWarning": "models",
    "MRTError": "_core",
    "UsageError": "_core",
    "DatabaseError": "_core",
    "SafetyError": "_core",
    "__version__": "_core",
}


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_mrt' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
