"""`RevisionResult`'s list and dict fields behave as the fields of pytest-mrt 1.9.1's dataclass
(SPEC: ``failures: list[str]``, ``warnings: list[str]``, ``coverage: dict[str, int]``): the
same object each time, and what a caller changes in it is what the result holds."""

from __future__ import annotations

import json

import pytest
from pytest_mrt import _core
from pytest_mrt.models import RevisionResult


def test_a_line_appended_to_failures_counts_everywhere() -> None:
    result = RevisionResult("a1", False)
    assert result.failures is result.failures
    result.failures.append("Table 'users': 3/3 rows lost after rollback")
    assert result.failures == ["Table 'users': 3/3 rows lost after rollback"]
    assert result.risk_score == 25
    assert result.failure_summary().endswith("  - Table 'users': 3/3 rows lost after rollback")
    assert result.to_dict()["failures"] == ["Table 'users': 3/3 rows lost after rollback"]
    saved = json.loads(_core.results_json([result]))
    assert saved[0]["failures"] == result.failures
    assert [p.what for p in result.problems] == ["line"]
    assert result == RevisionResult("a1", False, failures=list(result.failures))


def test_lines_left_in_the_list_keep_their_data() -> None:
    boom = _core.Failure.step_failed("downgrade", "boom")
    result = RevisionResult("a1", False, failures=[boom])
    result.failures.append("a note")
    assert [p.what for p in result.problems] == ["step_failed", "line"]
    del result.failures[0]
    assert [p.what for p in result.problems] == ["line"]
    result.failures[0] = "another note"
    assert [p.what for p in result.problems] == ["line"]


def test_the_handed_out_list_shows_what_the_result_does() -> None:
    result = RevisionResult("a1", False)
    failures, warnings = result.failures, result.warnings
    result.add("upgrade after the rollback failed: x")
    assert failures == ["upgrade after the rollback failed: x"]
    result.status = "unverified"
    result.settle(allow_unverified=True)  # its lines move to the warnings
    assert (failures, warnings) == ([], ["upgrade after the rollback failed: x"])
    assert result.passed


def test_coverage_and_warnings_changes_count() -> None:
    result = RevisionResult("a1", True, coverage={"users": 3})
    result.coverage["tags"] = 0
    result.warnings.append("tags: no rows")
    assert result.to_dict()["coverage"] == {"tags": 0, "users": 3}
    assert result.to_dict()["warnings"] == ["tags: no rows"]
    result.coverage["tags"] = "none"
    with pytest.raises(TypeError, match="coverage must map table names to row counts"):
        result.to_dict()


def test_assigning_a_list_replaces_the_field_as_for_a_dataclass() -> None:
    result = RevisionResult("a1", False, failures=["old"])
    before = result.failures
    result.failures = ["new"]
    before.append("into the old list")
    assert result.failures == ["new"]
    assert result.failures is not before


def test_a_value_that_is_not_a_line_is_named_when_the_result_is_read() -> None:
    result = RevisionResult("a1", False)
    result.failures.append(3)
    with pytest.raises(TypeError, match=r"RevisionResult\.failures holds 3"):
        result.failure_summary()
