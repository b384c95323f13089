"""Type stubs for the native engine (src/bindings). Checked by mypy.stubtest in CI."""

__version__: str

# -- errors (src/bindings/errors.rs) -----------------------------------------------------

class MRTError(Exception):
    """Base class of every pytest-mrt error."""

class UsageError(MRTError):
    """Bad input: a path, option or value."""

class DatabaseError(MRTError):
    """A database could not be used."""

class SafetyError(MRTError):
    """The run would touch data it did not create."""

# -- dynamic rollback engine (src/bindings/engine.rs) ------------------------------------

from typing import Any, final  # noqa: E402  (kept in this section: merges stay additive)

@final
class Schema:
    """A schema snapshot."""

    @property
    def tables(self) -> list[str]: ...
    def diff(self, actual: Schema, moment: str) -> list[str]: ...
    def created_or_changed(self, before: Schema) -> list[str]: ...
    def to_json(self) -> str: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class Fingerprint:
    """Hashes of every row of every table at one moment."""

    def compare(self, after: Fingerprint, ignore: Fingerprint | None = None) -> list[str]: ...
    def added_since(self, before: Fingerprint) -> Fingerprint: ...
    def row_count(self, table: str) -> int: ...
    @property
    def total_rows(self) -> int: ...
    @property
    def tables(self) -> list[str]: ...

@final
class Engine:
    """One connection to the test database (its own driver, not SQLAlchemy's)."""

    def __new__(cls, url: str, ignore: list[str] = ...) -> Engine: ...
    @property
    def dialect(self) -> str: ...
    @property
    def url(self) -> str: ...
    def snapshot(self) -> Schema: ...
    def fingerprint(self, schema: Schema, tables: list[str] | None = None) -> Fingerprint: ...
    def seed(
        self,
        schema: Schema,
        tables: list[str],
        rows: int,
        salt: int,
        custom: dict[str, list[dict[str, Any]]] | None = None,
    ) -> list[str]: ...
    def insert_rows(self, table: str, rows: list[dict[str, Any]]) -> None: ...
    def tables_with_rows(self, schema: Schema) -> list[str]: ...
    def wipe(self, keep: list[str]) -> None: ...
    def close(self) -> None: ...

def redact_url(text: str) -> str: ...
