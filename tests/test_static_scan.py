"""`pytest_mrt.static`: the native scan as `RiskWarning`s, custom checks, config handling."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_mrt import MigrationAST, MRTConfig, Operation, RiskWarning
from pytest_mrt.static import CustomCheckError, format_findings, scan

ROOT = Path(__file__).resolve().parent.parent
BLOG = ROOT / "examples" / "blog" / "migrations" / "versions"


def test_scan_returns_risk_warnings_with_every_field() -> None:
    findings = scan([BLOG], MRTConfig())
    assert all(isinstance(w, RiskWarning) for w in findings)
    drop = next(w for w in findings if w.rule == "MRT001")
    assert (drop.revision, drop.pattern, drop.severity, drop.line, drop.column) == (
        "004",
        "DROP COLUMN",
        "error",
        17,
        5,
    )
    assert drop.file.endswith("004_drop_users_phone.py")
    assert drop.fix
    assert drop.to_dict()["rule"] == "MRT001"


def test_skip_and_severity_overrides_by_code_and_pattern() -> None:
    config = MRTConfig(
        skip={"004": "reviewed: phone numbers moved to the contacts service"},
        severity_overrides={"no-op downgrade": "warning", "MRT022": "off"},
    )
    findings = scan([BLOG], config)
    assert "004" not in {w.revision for w in findings}
    assert "MRT022" not in {w.rule for w in findings}
    noops = [w for w in findings if w.rule == "MRT005"]
    assert noops and all(w.severity == "warning" for w in noops)


REVISION = """revision = "{rev}"
down_revision = {down}
from alembic import op


def upgrade():
    op.add_column("users", sa.Column("note", sa.Text()))


def downgrade():
    op.drop_column("users", "note")
"""


def test_skip_by_unique_prefix_leaves_the_revision_out_of_custom_checks_too(
    tmp_path: Path,
) -> None:
    # One skip rule (src/scan/settings.rs skipped_revisions) for built-in and custom checks.
    (tmp_path / "a.py").write_text(REVISION.format(rev="abc123", down="None"))
    (tmp_path / "b.py").write_text(REVISION.format(rev="def456", down='"abc123"'))
    seen: list[str] = []

    def house_rule(m: MigrationAST) -> list[RiskWarning]:
        seen.append(m.revision)
        return []

    scan([tmp_path], MRTConfig(custom_checks=[house_rule], skip={"abc": "reviewed"}))
    assert seen == ["def456"]
    seen.clear()
    scan([tmp_path], MRTConfig(custom_checks=[house_rule], skip={"": "names nothing"}))
    assert sorted(seen) == ["abc123", "def456"]


def test_custom_checks_receive_the_parsed_migration() -> None:
    seen: dict[str, MigrationAST] = {}

    def no_truncate(m: MigrationAST) -> list[RiskWarning]:
        seen[m.revision] = m
        if any(op.kind == "drop_column" for op in m.upgrade_ops):
            return [
                RiskWarning(
                    revision=m.revision,
                    file=m.filename,
                    pattern="Drop column (house rule)",
                    message="drop columns in the cleanup release only",
                    severity="warning",
                )
            ]
        return []

    findings = scan([BLOG], MRTConfig(custom_checks=[no_truncate]))
    assert sorted(seen) == ["001", "002", "003", "004", "005", "006", "007", "008"]
    m4 = seen["004"]
    assert (m4.down_revision, m4.kind, m4.has_downgrade) == ("003", "alembic", True)
    assert "op.drop_column" in m4.source
    [drop] = m4.upgrade_ops
    assert (drop.kind, drop.table, drop.column, drop.line) == ("drop_column", "users", "phone", 17)
    [add] = m4.downgrade_ops
    assert add.kind == "add_column" and add.column == "phone"
    m7 = seen["007"]
    assert m7.upgrade_ops[0].kind == "rename_column"
    assert m7.upgrade_ops[0].kwargs["new_column_name"] == '"content"'
    m6 = seen["006"]
    assert [op.kind for op in m6.upgrade_ops] == ["execute", "update"]
    assert m6.upgrade_ops[0].sql == "UPDATE users SET name = UPPER(name)"
    custom = [w for w in findings if w.pattern == "Drop column (house rule)"]
    assert [w.revision for w in custom] == ["004"]
    assert custom[0].rule is None


def test_overrides_apply_to_custom_patterns_too() -> None:
    def flag_everything(m: MigrationAST) -> list[RiskWarning]:
        return [RiskWarning(m.revision, m.filename, "House Rule", "x", "warning")]

    config = MRTConfig(custom_checks=[flag_everything], severity_overrides={"house-rule": "error"})
    custom = [w for w in scan([BLOG], config) if w.pattern == "House Rule"]
    assert len(custom) == 8 and {w.severity for w in custom} == {"error"}
    config = MRTConfig(custom_checks=[flag_everything], severity_overrides={"House Rule": "off"})
    assert not [w for w in scan([BLOG], config) if w.pattern == "House Rule"]


def test_a_failing_custom_check_is_named_not_a_traceback() -> None:
    def broken_check(m: MigrationAST) -> list[RiskWarning]:
        raise KeyError("boom")

    with pytest.raises(CustomCheckError) as info:
        scan([BLOG], MRTConfig(custom_checks=[broken_check]))
    message = str(info.value)
    assert "broken_check" in message and "KeyError" in message and "001_create" in message


def test_a_custom_check_returning_garbage_is_named() -> None:
    def sloppy(m: MigrationAST) -> list[RiskWarning]:
        return "not a list"  # type: ignore[return-value]

    with pytest.raises(CustomCheckError, match="sloppy must return a list of RiskWarning"):
        scan([BLOG], MRTConfig(custom_checks=[sloppy]))


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    from pytest_mrt import UsageError

    with pytest.raises(UsageError, match="no such file or directory"):
        scan([tmp_path / "nope"], MRTConfig())


def test_format_findings_one_line_each() -> None:
    findings = [
        RiskWarning("004", "v/004.py", "DROP COLUMN", "gone", "error", line=17, rule="MRT001"),
        RiskWarning("x", "v/x.py", "House Rule", "custom", "warning"),
    ]
    assert format_findings(findings) == (
        "v/004.py:17: MRT001 DROP COLUMN: gone\nv/x.py: House Rule: custom"
    )


DJANGO = """\
from django.db import migrations, models


def forwards(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [
        migrations.RemoveField(model_name="order", name="note"),
        migrations.RunPython(forwards),
        migrations.RunSQL("DELETE FROM shop_cart", reverse_sql=migrations.RunSQL.noop),
        migrations.AddField(
            model_name="order", name="code", field=models.CharField(max_length=8)
        ),
    ]
"""


def test_django_migrations(tmp_path: Path) -> None:
    app = tmp_path / "shop" / "migrations"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "0002_cleanup.py").write_text(DJANGO)
    seen: list[MigrationAST] = []
    findings = scan([tmp_path], MRTConfig(custom_checks=[lambda m: seen.append(m) or []]))
    assert sorted((w.rule, w.line) for w in findings) == [
        ("MRT004", 13),
        ("MRT040", 11),
        ("MRT042", 12),
        ("MRT044", 14),
    ]
    [m] = seen
    assert (m.kind, m.revision, m.down_revision) == (
        "django",
        "0002_cleanup",
        ("shop.0001_initial",),
    )
    assert [op.kind for op in m.upgrade_ops] == [
        "RemoveField",
        "RunPython",
        "RunSQL",
        "delete",
        "AddField",
    ]


def test_a_findings_dict_has_the_json_renderers_keys_in_order() -> None:
    # One shape: RiskWarning.to_dict and `mrt check --format json` (src/render/json.rs).
    import json

    from pytest_mrt import _core

    out = _core.check_cli([str(BLOG)], "json").text
    rendered = json.loads(out)[0]
    warning = RiskWarning(**rendered)
    assert list(warning.to_dict()) == list(rendered) == _core.FINDING_KEYS


def test_the_scanners_findings_are_the_public_risk_warning_class() -> None:
    # One type across the boundary: no copy into a second class.
    import copy
    import pickle

    from pytest_mrt import _core

    findings = scan([BLOG], MRTConfig())
    assert findings and all(type(w) is RiskWarning is _core.RiskWarning for w in findings)
    first = findings[0]
    assert copy.copy(first) == first and pickle.loads(pickle.dumps(first)) == first
    assert copy.copy(first) is not first
    custom = RiskWarning("x", "v/x.py", "House Rule", "custom")
    assert repr(custom) == (
        "RiskWarning(revision='x', file='v/x.py', pattern='House Rule', message='custom', "
        "severity='error', line=None, rule=None, column=None, fix=None)"
    )
    custom.severity = "warning"
    assert custom != RiskWarning("x", "v/x.py", "House Rule", "custom")
    with pytest.raises(ValueError, match="must be 'error' or 'warning', got 'fatal'"):
        custom.severity = "fatal"
    with pytest.raises(ValueError, match="got 'fatal'"):
        RiskWarning("x", "v/x.py", "House Rule", "custom", "fatal")


def test_a_custom_check_can_be_tested_on_a_hand_made_migration() -> None:
    # MigrationAST and Operation keep the dataclass constructors and equality users relied on.
    drop = Operation("drop_column", table="users", column="phone", line=3)
    made = MigrationAST("abc", None, "v/abc.py", "...", upgrade_ops=[drop])
    assert made.upgrade_ops == [Operation("drop_column", "users", "phone", line=3)]
    assert (made.kind, made.has_downgrade, made.downgrade_ops, drop.kwargs) == (
        "alembic",
        True,
        [],
        {},
    )
    made.upgrade_ops.append(Operation("drop_table", table="old"))
    assert [op.kind for op in made.upgrade_ops] == ["drop_column", "drop_table"]
    assert made != MigrationAST("abc", None, "v/abc.py", "...", upgrade_ops=[drop])
    assert "Operation(kind='drop_column', table='users'" in repr(made)
