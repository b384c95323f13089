"""`MRTConfig` and the merge of its sources. Which keys exist, what each accepts and how
``[tool.mrt]`` is read are decided in Rust (``src/config.rs``); this module hands it the values.

Precedence, highest first: the pytest command line (``--mrt-db-url``, ``--mrt-alembic-ini``),
the conftest (``config._mrt_config``) or an ``mrt_config`` fixture, ``[tool.mrt]`` in
pyproject.toml, then the defaults below. A lower source only fills the fields a higher one
left at their default.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Connection

    from .models import MigrationAST, RiskWarning


def _usage_error() -> tuple[type[Exception], ...]:
    """pytest's UsageError when pytest is running, else nothing: `mrt check` never imports
    pytest (it costs the CLI's cold start), and only pytest needs the base."""
    if "pytest" not in sys.modules:
        return ()
    from _pytest.config.exceptions import UsageError

    return (UsageError,)


# pytest marks UsageError @final for type checkers only; subclassing it is what makes pytest
# print an invalid MRTConfig built in a conftest's pytest_configure as one line (exit 4)
# instead of a 27-line INTERNALERROR traceback.
class ConfigError(ValueError, *_usage_error()):  # type: ignore[misc]
    """A configuration value is unknown, of the wrong type or impossible (one line, naming it)."""


@dataclass
class MRTConfig:
    """How pytest-mrt finds your migrations and the database it may use.

    Set it in conftest.py::

        def pytest_configure(config):
            config._mrt_config = MRTConfig(alembic_ini="alembic.ini", db_url=os.environ["TEST_DB"])
    """

    alembic_ini: str = "alembic.ini"
    """Path to alembic.ini, relative to pytest's rootdir."""
    db_url: str = ""
    """SQLAlchemy URL of a *test* database; empty means a temporary SQLite file."""
    seed_rows: int = 3
    """Rows seeded into every table before each revision is checked."""
    skip: dict[str, str] = field(default_factory=dict)
    """Revision id → documented reason. Skipped revisions are reported, not checked."""
    severity_overrides: dict[str, str] = field(default_factory=dict)
    """Rule code (``MRT001``) or pattern name → ``"error"``, ``"warning"`` or ``"off"``."""
    custom_seeds: dict[str, Callable[[], list[dict[str, Any]]]] = field(default_factory=dict)
    """Table → callable returning the rows to seed instead of generated ones."""
    custom_checks: list[Callable[[MigrationAST], list[RiskWarning]]] = field(default_factory=list)
    """Extra static checks: each receives a `MigrationAST` and returns `RiskWarning`s."""
    migration_timeout: int | None = None
    """Seconds one upgrade or downgrade step may take; None means no limit."""
    versions_dir: str | None = None
    """Override the versions folder that alembic.ini names."""
    allow_existing_data: bool = False
    """Let dynamic checks run on a database holding rows this run did not create."""
    setup_database: Callable[[Connection], None] | None = None
    """Called with a SQLAlchemy Connection on every freshly created or rebuilt (empty) test
    database before the first upgrade, committed afterwards: pre-Alembic tables, extensions,
    roles (e.g. mlflow's ``initial_models``)."""
    wrap_alembic: Callable[[Callable[[], Any]], Any] | None = None
    """Runs each in-process Alembic command through this wrapper, e.g.
    ``lambda call: anyio.run(anyio.to_thread.run_sync, call)`` for an env.py that needs an
    AnyIO worker thread."""
    alembic_db_url: str | None = None
    """The URL env.py receives when it differs from ``db_url`` (async templates:
    ``postgresql+asyncpg://…``, ``sqlite+aiosqlite://…``); the engine keeps ``db_url``."""
    allow_unverified: bool = False
    """Count a revision whose data could not be exercised (``unverified``) as passed."""

    def __post_init__(self) -> None:
        __tracebackhide__ = True  # a conftest's traceback shows the user's line, not ours
        self.validate()

    def __repr__(self) -> str:
        # Shown by tracebacks (``--showlocals``) and debug prints: never the password.
        from ._core import redact_url  # lazy: this module loads at pytest start-up

        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("db_url") and isinstance(value, str):
                value = redact_url(value)
            parts.append(f"{f.name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def validate(self, source: str = "MRTConfig") -> None:
        """Raise `ConfigError` naming the first offending key."""
        __tracebackhide__ = True
        _check(source, {f.name: getattr(self, f.name) for f in dataclasses.fields(self)})

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], source: str) -> MRTConfig:
        """Build a config from a plain mapping (a marker's keywords, the command line),
        rejecting unknown keys."""
        _check(source, dict(values))
        return cls(**dict(values))

    def explicit_fields(self) -> dict[str, Any]:
        """The fields whose value differs from the default: what this source actually sets."""
        defaults = MRTConfig()
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(defaults, f.name)
        }


def merge(*layers: MRTConfig | None) -> MRTConfig:
    """Merge configs, the first layer winning field by field over the later ones."""
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        if layer is not None:
            merged.update(layer.explicit_fields())
    return MRTConfig(**merged)


def read_pyproject(rootdir: Path) -> MRTConfig | None:
    """Read ``[tool.mrt]`` from ``rootdir/pyproject.toml``; None when there is none."""
    from . import _core  # lazy: this module loads at pytest start-up

    try:
        values = _core.read_pyproject(rootdir)
    except _core.MRTError as exc:
        raise ConfigError(str(exc)) from None
    return None if values is None else MRTConfig(**values)


def _check(source: str, values: dict[str, Any]) -> None:
    """Validate the values in Rust (`_core.check_config`): one line naming the source and the
    first offending key."""
    __tracebackhide__ = True
    from . import _core

    try:
        _core.check_config(source, values)
    except _core.MRTError as exc:
        raise ConfigError(str(exc)) from None
