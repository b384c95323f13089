"""Type stubs for the native engine (src/bindings). Checked by mypy.stubtest in CI."""

from typing import Any

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

# -- static scanner (src/bindings/scan.rs) -----------------------------------------------

def check_cli(
    paths: list[str],
    format: str = "table",
    select: list[str] = ...,
    ignore: list[str] = ...,
    overrides: list[tuple[str, str]] = ...,
    skip: list[str] = ...,
    strict: bool = False,
    width: int = 80,
) -> tuple[str, int, list[str]]:
    """Scan and render in one call: (text, exit code, notes for stderr)."""

def scan(
    paths: list[str],
    overrides: list[tuple[str, str]] = ...,
    skip: list[str] = ...,
    with_migrations: bool = False,
) -> tuple[
    list[tuple[str, str, str, str, str, int, str, int, str | None]],
    list[dict[str, Any]],
    list[str],
]:
    """(findings in RiskWarning field order, migrations as dicts, unknown override keys)."""

def rules() -> list[tuple[str, str, str, str, str]]:
    """Every rule: (code, name, pattern, severity, summary)."""

def rule_doc(key: str) -> str:
    """One rule's documentation, by code, name or pattern name."""

# -- mrt fix / mrt explain (src/bindings/fix.rs) -----------------------------------------

def fix_source(path: str, source: str) -> tuple[str, str, str]:
    """(status: missing|noop|replace|nothing, the whole new file text, one-line summary)."""

def explain_source(path: str, source: str) -> str:
    """A plain-English account of one migration's text: steps, data at risk, verdict."""
