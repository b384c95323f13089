"""The console summary printed by ``assert_all_reversible``."""

from __future__ import annotations

from pytest_mrt.models import RevisionResult
from pytest_mrt.summary import _width, render_summary, verdict


def _results() -> list[RevisionResult]:
    return [
        RevisionResult("001", passed=True),
        RevisionResult(
            "002",
            passed=False,
            failures=["Table 'users': 3/3 rows lost after rollback"],
            failure_kind="data_lost",
        ),
        RevisionResult("003", passed=True, skipped=True, skip_reason="one-way by design"),
        RevisionResult(
            "004",
            passed=False,
            failures=[
                "Table 'tags' still exists after rollback",
                "upgrade after the rollback failed: x",
            ],
            failure_kind="rollback_failed",
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


def test_long_failure_lines_wrap_inside_a_box_that_fits_the_width() -> None:
    long = "Foreign key trace_request_metadata(request_id) → trace_info(request_id): " * 6
    text = render_summary([RevisionResult("5b0e", passed=False, failures=[long.strip()])], 80)
    box = [line for line in text.splitlines() if line.startswith(("  ╭", "  │", "  ╰"))]
    assert len({_width(line) for line in box}) == 1, "box edges must line up"
    assert _width(box[0]) <= 80
    inside = [line[5:-1].rstrip() for line in box[1:-1]]
    # Nothing is lost: the wrapped pieces give the failure back word for word.
    start = next(i for i, line in enumerate(inside) if "└─" in line)
    pieces = [inside[start].split("└─ ", 1)[1]] + [p.strip() for p in inside[start + 1 :]]
    assert " ".join(pieces) == long.strip()


def test_all_green_summary_and_verdicts() -> None:
    text = render_summary([RevisionResult("001", passed=True)])
    assert "The 1 checked migration is reversible." in text
    two = render_summary([RevisionResult("001", passed=True), RevisionResult("002", passed=True)])
    assert "All 2 checked migrations are reversible." in two
    schema_only = RevisionResult(
        "9", passed=False, failures=["Index 'ix' still exists after rollback"]
    )
    assert verdict(schema_only) == "schema not restored"


def test_the_verdict_comes_from_the_failure_kind_not_from_the_words() -> None:
    # The line's words do not decide: the kind the check recorded does.
    worded = RevisionResult("1", passed=False, failures=["rows lost, values changed, x failed: y"])
    assert verdict(worded) == "schema not restored"
    worded.found("data_lost")
    assert verdict(worded) == "data loss detected"
    worded.found("schema_drift")  # a milder kind never replaces a worse one
    assert verdict(worded) == "data loss detected"
    worded.found("rollback_failed")
    assert verdict(worded) == "rollback failed"
    assert worded.to_dict()["failure_kind"] == "rollback_failed"
