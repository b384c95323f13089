"""The values pytest-mrt hands to users: findings, per-revision verdicts, parsed migrations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from . import _core

Severity = Literal["error", "warning"]
Status = Literal["passed", "failed", "upgrade_fails_on_data", "unverified", "blocked", "skipped"]
FailureKind = Literal["rollback_failed", "data_lost", "schema_drift"]
"""What makes a ``failed`` revision fail, worst first: a step that failed (or timed out), rows
the rollback lost or changed, or a schema the rollback did not restore."""
FAILURE_KINDS: tuple[FailureKind, ...] = ("rollback_failed", "data_lost", "schema_drift")
STATUSES: tuple[Status, ...] = (
    "passed",
    "failed",
    "upgrade_fails_on_data",
    "unverified",
    "blocked",
    "skipped",
)


# One class each on both sides of the boundary (src/bindings/public_types.rs): the scanner
# builds them, custom checks build and receive them.
MigrationAST = _core.MigrationAST
Operation = _core.Operation
RiskWarning = _core.RiskWarning


def plural(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``: the counts users read."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def parents_of(down_revision: str | Sequence[str] | None) -> tuple[str, ...]:
    """Alembic's ``down_revision`` (None, one id, or several for a merge) as a tuple."""
    if down_revision is None:
        return ()
    if isinstance(down_revision, str):
        return (down_revision,)
    return tuple(down_revision)


@dataclass
class RevisionResult:
    """The rollback verdict for one revision."""

    revision: str
    passed: bool
    skipped: bool = False
    skip_reason: str = ""
    failures: list[str] = field(default_factory=list)
    down_revision: str | tuple[str, ...] | None = None
    duration_s: float = 0.0
    warnings: list[str] = field(default_factory=list)
    """Things that weakened the check without failing it (a table that could not be seeded)."""
    status: Status | None = None
    """``passed``, ``failed``, ``upgrade_fails_on_data``, ``unverified``, ``blocked`` or
    ``skipped`` (see SPEC); derived from ``passed``/``skipped`` when not given."""
    coverage: dict[str, int] = field(default_factory=dict)
    """Table → rows present when the upgrade ran, for every table the revision touches
    (for a table the revision creates: the rows seeded into it before the downgrade)."""
    failure_kind: FailureKind | None = None
    """For a ``failed`` revision, the worst kind among its failures (set by the check, as
    data: the summary never reads it out of the failure lines); None reads as
    ``schema_drift``."""

    def found(self, kind: FailureKind) -> None:
        """Record a failure of ``kind``: the worst one found so far is kept."""
        if self.failure_kind is None or FAILURE_KINDS.index(kind) < FAILURE_KINDS.index(
            self.failure_kind
        ):
            self.failure_kind = kind

    def __post_init__(self) -> None:
        if self.status is None:
            self.status = "skipped" if self.skipped else ("passed" if self.passed else "failed")

    @property
    def risk_score(self) -> int:
        """0-100: 25 per failure, capped."""
        return min(100, 25 * len(self.failures))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what `MRTFixture.write_results` saves)."""
        return {
            "revision": self.revision,
            "down_revision": self.down_revision,
            "passed": self.passed,
            "status": self.status,
            "failure_kind": self.failure_kind,
            "skipped": self.skipped,
            "skip_reason": self.skip_reason,
            "failures": list(self.failures),
            "warnings": list(self.warnings),
            "coverage": dict(self.coverage),
            "risk_score": self.risk_score,
            "duration_s": round(self.duration_s, 3),
        }

    def failure_summary(self) -> str:
        """All failure lines, one per line, under the revision id."""
        if self.skipped:
            return f"{self.revision}: skipped ({self.skip_reason})"
        if self.passed:
            if self.status == "unverified":
                return f"{self.revision}: unverified, allowed by allow_unverified"
            return f"{self.revision}: reversible"
        label = {
            "upgrade_fails_on_data": "upgrade fails on data",
            "unverified": "unverified (its data could not be exercised)",
            "blocked": "blocked (its parent cannot be reached)",
        }.get(str(self.status), plural(len(self.failures), "rollback failure"))
        lines = [f"{self.revision}: {label}"]
        lines += [f"  - {failure}" for failure in self.failures]
        return "\n".join(lines)
