"""How a project tests its migrations with pytest-mrt.

This example ships unsafe migrations on purpose (004-008), so the two whole-chain checks are
expected to fail: run with ``-s`` to see what pytest-mrt reports about each revision.
"""

import pytest

UNSAFE = "examples/blog ships unsafe migrations on purpose"


def test_upgrade_and_downgrade_run(mrt):
    mrt.upgrade("head")
    mrt.downgrade("base")


def test_safe_revision_is_reversible(mrt):
    mrt.upgrade("001")
    mrt.assert_reversible("002")


@pytest.mark.xfail(reason=UNSAFE, strict=True)
def test_no_static_errors(mrt):
    mrt.assert_no_static_errors()


@pytest.mark.xfail(reason=UNSAFE, strict=True)
def test_all_migrations_are_reversible(mrt):
    mrt.assert_all_reversible()
