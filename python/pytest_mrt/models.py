"""The values pytest-mrt hands to users: findings, per-revision verdicts, parsed migrations."""

from __future__ import annotations

from typing import Literal

from . import _core

Severity = Literal["error", "warning"]
Status = Literal["passed", "failed", "upgrade_fails_on_data", "unverified", "blocked", "skipped"]
FailureKind = Literal["rollback_failed", "data_lost", "schema_drift"]
"""What makes a ``failed`` revision fail, worst first: a step that failed (or timed out), rows
the rollback lost or changed, or a schema the rollback did not restore."""


# One class each on both sides of the boundary (src/bindings/public_types.rs): the scanner
# builds them, custom checks build and receive them.
MigrationAST = _core.MigrationAST
Operation = _core.Operation
RiskWarning = _core.RiskWarning
# The rollback verdict for one revision: built by the dynamic check from `_core.Failure`s,
# saved as JSON by its `to_dict` (src/bindings/outcome.rs).
RevisionResult = _core.RevisionResult


def plural(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``: the counts users read."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
