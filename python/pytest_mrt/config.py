"""`MRTConfig` and the merge of its sources.

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
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from .models import MigrationAST, RiskWarning

SEVERITIES = ("error", "warning", "off")


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
        for f in dataclasses.fields(self):
            _check_field(source, f.name, getattr(self, f.name))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], source: str) -> MRTConfig:
        """Build a config from a plain mapping (``[tool.mrt]``), rejecting unknown keys."""
        known = {f.name for f in dataclasses.fields(cls)}
        for key in values:
            if key not in known:
                hint = ", ".join(sorted(known))
                raise ConfigError(f"{source}: unknown key {key!r} (known keys: {hint})")
        for key, value in values.items():
            _check_field(source, key, value)
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
    path = rootdir / "pyproject.toml"
    if not path.is_file():
        return None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read [tool.mrt]: {exc}") from None
    tool = data.get("tool")
    section = tool.get("mrt") if isinstance(tool, dict) else None
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.mrt] must be a table")
    for key in ("custom_seeds", "custom_checks", "setup_database", "wrap_alembic"):
        if key in section:
            raise ConfigError(
                f"{path}: [tool.mrt] {key} holds Python callables; set it in conftest.py"
            )
    return MRTConfig.from_mapping(section, f"{path} [tool.mrt]")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_str_dict(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


# key → (accepts the value?, what is expected). Per-entry checks of dicts come after.
_VALIDATORS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "alembic_ini": (lambda v: isinstance(v, str), "a string"),
    "db_url": (lambda v: isinstance(v, str), "a string"),
    "versions_dir": (lambda v: v is None or isinstance(v, str), "a string or None"),
    "seed_rows": (lambda v: _is_int(v) and v >= 0, "an integer >= 0"),
    "migration_timeout": (
        lambda v: v is None or ((_is_int(v) or isinstance(v, float)) and v > 0),
        "a positive number of seconds or None",
    ),
    "allow_existing_data": (lambda v: isinstance(v, bool), "True or False"),
    "allow_unverified": (lambda v: isinstance(v, bool), "True or False"),
    "alembic_db_url": (lambda v: v is None or isinstance(v, str), "a string or None"),
    "setup_database": (
        lambda v: v is None or callable(v),
        "a callable taking a SQLAlchemy Connection, or None",
    ),
    "wrap_alembic": (
        lambda v: v is None or callable(v),
        "a callable taking the Alembic call to run, or None",
    ),
    "skip": (_is_str_dict, "a dict of revision id → reason (both strings)"),
    "severity_overrides": (
        lambda v: isinstance(v, dict),
        "a dict of rule code or pattern name → severity",
    ),
    "custom_seeds": (
        lambda v: isinstance(v, dict),
        "a dict of table name → callable returning rows",
    ),
    "custom_checks": (
        lambda v: isinstance(v, (list, tuple)) and all(callable(c) for c in v),
        "a list of callables",
    ),
}


def _check_field(source: str, key: str, value: Any) -> None:
    __tracebackhide__ = True
    accepts, expected = _VALIDATORS[key]
    if not accepts(value):
        raise ConfigError(f"{source}: {key} must be {expected}, got {value!r}")
    if key == "severity_overrides":
        for rule, severity in value.items():
            if not isinstance(rule, str) or severity not in SEVERITIES:
                choices = ", ".join(repr(s) for s in SEVERITIES)
                raise ConfigError(
                    f"{source}: severity_overrides[{rule!r}] must be one of {choices}, "
                    f"got {severity!r}"
                )
    elif key == "custom_seeds":
        for table, seeder in value.items():
            if not isinstance(table, str) or not callable(seeder):
                raise ConfigError(
                    f"{source}: custom_seeds[{table!r}] must be a callable returning a list "
                    f"of dicts, got {type(seeder).__name__}"
                )
