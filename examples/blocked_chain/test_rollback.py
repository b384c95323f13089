"""Checked by tests/test_dynamic.py through pytester."""


def test_rollback(mrt):
    mrt.assert_all_reversible()
