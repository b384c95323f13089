"""`mrt.check_static()` / `mrt.assert_no_static_errors()` on the blog example, through pytester."""

from __future__ import annotations

import pytest

CHECK = """
def test_findings(mrt):
    findings = mrt.check_static()
    by_revision = {}
    for w in findings:
        by_revision.setdefault(w.revision, set()).add((w.rule, w.pattern, w.severity))
    assert ("MRT001", "DROP COLUMN", "error") in by_revision["004"]
    assert ("MRT005", "No-op downgrade", "error") in by_revision["005"]
    assert ("MRT014", "Bulk UPDATE without reverse", "warning") in by_revision["006"]
    assert ("MRT009", "RENAME not reversed", "error") in by_revision["007"]
    assert ("MRT022", "Column type narrowed", "error") in by_revision["008"]
    for rev in ("001", "002", "003"):
        assert not [f for f in by_revision.get(rev, ()) if f[2] == "error"], rev
    print("checked", len(findings))


def test_assert_no_static_errors_lists_them(mrt):
    mrt.assert_no_static_errors()
"""


def test_check_static_on_the_blog_example(pytester: pytest.Pytester) -> None:
    pytester.copy_example("blog")
    pytester.makepyfile(test_static=CHECK)
    result = pytester.runpytest("test_static.py", "-s")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*checked *",
            "*mrt: 5 static errors:*",
            "*004_drop_users_phone.py:17: MRT001 DROP COLUMN: upgrade() drops column users.phone*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_blog_xfail_static_test_still_fails_as_expected(pytester: pytest.Pytester) -> None:
    pytester.copy_example("blog")
    result = pytester.runpytest("test_migrations.py", "-k", "static")
    result.assert_outcomes(xfailed=1, deselected=3)
