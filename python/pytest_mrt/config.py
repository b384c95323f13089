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
    from .models import MigrationAST, RiskWarning

SEVERITIES = ("error", "warning", "off")


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or impossible. One line, naming the key."""


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
    custom_checks: list[Callable[[MigrationAST], list[RiskWarning]]] = field(
        default_factory=list
    )
    """Extra static checks: each receives a `MigrationAST` and returns `RiskWarning`s."""
    migration_timeout: int | None = None
    """Seconds one upgrade or downgrade step may take; None means no limit."""
    versions_dir: str | None = None
    """Override the versions folder that alembic.ini names."""
    allow_existing_data: bool = False
    """Let dynamic checks run on a database holding rows this run did not create."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, source: str = "MRTConfig") -> None:
        """Raise `ConfigError` naming the first offending key."""
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
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            default = f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]
            value = getattr(self, f.name)
            if value != default:
                out[f.name] = value
        return out


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
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read [tool.mrt]: {exc}") from None
    section = data.get("tool", {}).get("mrt")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.mrt] must be a table")
    for key in ("custom_seeds", "custom_checks"):
        if key in section:
            raise ConfigError(
                f"{path}: [tool.mrt] {key} holds Python callables; set it in conftest.py"
            )
    return MRTConfig.from_mapping(section, f"{path} [tool.mrt]")


def _type_name(value: object) -> str:
    return type(value).__name__


def _check_field(source: str, key: str, value: Any) -> None:
    def fail(expected: str) -> None:
        raise ConfigError(f"{source}: {key} must be {expected}, got {value!r}")

    if key in ("alembic_ini", "db_url"):
        if not isinstance(value, str):
            fail("a string")
    elif key == "versions_dir":
        if value is not None and not isinstance(value, str):
            fail("a string or None")
    elif key == "seed_rows":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            fail("an integer >= 0")
    elif key == "migration_timeout":
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0
        ):
            fail("a positive number of seconds or None")
    elif key == "allow_existing_data":
        if not isinstance(value, bool):
            fail("True or False")
    elif key == "skip":
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            fail("a dict of revision id → reason (both strings)")
    elif key == "severity_overrides":
        if not isinstance(value, dict):
            fail("a dict of rule code or pattern name → severity")
        for rule, severity in value.items():
            if not isinstance(rule, str) or severity not in SEVERITIES:
                raise ConfigError(
                    f"{source}: severity_overrides[{rule!r}] must be one of "
                    f"{', '.join(repr(s) for s in SEVERITIES)}, got {severity!r}"
                )
    elif key == "custom_seeds":
        if not isinstance(value, dict):
            fail("a dict of table name → callable returning rows")
        for table, seeder in value.items():
            if not isinstance(table, str) or not callable(seeder):
                raise ConfigError(
                    f"{source}: custom_seeds[{table!r}] must be a callable returning a list "
                    f"of dicts, got {_type_name(seeder)}"
                )
    elif key == "custom_checks":
        if not isinstance(value, (list, tuple)) or not all(callable(c) for c in value):
            fail("a list of callables")
