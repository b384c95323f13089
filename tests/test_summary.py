"""The console summary printed by ``assert_all_reversible``."""

from __future__ import annotations

from pytest_mrt.models import RevisionResult
from pytest_mrt.summary import _width, render_summary, verdict


def _results() -> list[RevisionResult]:
    return [
        RevisionResult("001", passed=True),
        RevisionResult(
            "002", passed=False, failures=["Table 'users': 3/3 rows lost after rollback"]
        ),
        RevisionResult("003", passed=True, skipped=True, skip_reason="one-way by design"),
        RevisionResult(
            "004",
            passed=False,
            failures=[
                "Table 'tags' still exists after rollback",
                "upgrade after the rollback failed: x",
            ],
        ),
    ]


def test_lists_every_revision_and_boxes_the_failures() -> None:
    text = render_summary(_results())
    lines = text.splitlines()
    assert "MRT — Migration Rollback Test" in lines[1]
    assert "  ✓  001  reversible" in lines
    assert "  ✗  002  data loss detected" in lines
    assert "     └─ Table 'users': 3/3 rows lost after rollback" in lines
    assert "  -  003  skipped: one-way by design" in lines
    assert "  ✗  004  rollback failed" in lines
    box = [line for line in lines if line.startswith(("  ╭", "  │", "  ╰"))]
    assert len({_width(line) for line in box}) == 1, "box edges must line up"
    body = "\n".join(box)
    # Only lost rows count as data loss; a rollback that fails is said to fail.
    assert "1 migration loses data on rollback; 1 fails to roll back." in body
    assert "    002" in body and "      └─ Table 'tags' still exists after rollback" in body
    assert "1 skipped." in body


def test_all_green_summary_and_verdicts() -> None:
    text = render_summary([RevisionResult("001", passed=True)])
    assert "The 1 checked migration is reversible." in text
    two = render_summary([RevisionResult("001", passed=True), RevisionResult("002", passed=True)])
    assert "All 2 checked migrations are reversible." in two
    schema_only = RevisionResult(
        "9", passed=False, failures=["Index 'ix' still exists after rollback"]
    )
    assert verdict(schema_only) == "schema not restored"
