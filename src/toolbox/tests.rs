//! Unit tests for `mrt fix` and `mrt explain` on in-memory sources.

use super::explain::explain_source;
use super::fix::{Status, fix_source};
use crate::Error;

const HEAD: &str = "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = \"r2\"\ndown_revision = \"r1\"\n\n\n";

fn fixed(upgrade_body: &str, downgrade: &str) -> (Status, String) {
    let src = format!("{HEAD}def upgrade():\n{upgrade_body}\n{downgrade}");
    let out = fix_source("m.py", &src).expect("fix");
    (out.status, out.new_source)
}

/// The generated downgrade body (everything after the last `def downgrade():` line).
fn down(new_source: &str) -> &str {
    let at = new_source.rfind("def downgrade():\n").expect("a downgrade");
    &new_source[at + "def downgrade():\n".len()..]
}

#[test]
fn undo_that_cannot_run_in_downgrade_is_shown_not_written() {
    // mlflow bd07f7e963c5 (a loop variable), 0584bdc529eb (a local), cfd24bdc0731 (a local in
    // the batch block's header): the undo would raise NameError. The dialect branch is undone
    // in the same branch.
    let (_, new) = fixed(
        "    for table in [\"params\", \"tags\"]:\n        op.create_index(f\"ix_{table}\", table, [\"run_uuid\"])\n    name = \"fk_a_b\"\n    op.create_foreign_key(name, \"a\", \"b\", [\"b_id\"], [\"id\"])\n    args = []\n    with op.batch_alter_table(\"runs\", table_args=args) as batch_op:\n        batch_op.add_column(sa.Column(\"x\", sa.Integer()))\n    if op.get_context().dialect.name == \"sqlite\":\n        op.create_index(\"ix_lite\", \"a\", [\"x\"])\n    op.create_index(INDEX, \"a\", [\"y\"])\n",
        "def downgrade():\n    pass\n\n\nINDEX = \"ix_y\"\n",
    );
    let body = down(&new);
    let code: Vec<&str> = body
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .collect();
    // A module constant is there in downgrade() too.
    assert_eq!(
        code,
        [
            "    op.drop_index(INDEX, table_name=\"a\")",
            "    if op.get_context().dialect.name == \"sqlite\":",
            "        op.drop_index(\"ix_lite\", table_name=\"a\")",
            "INDEX = \"ix_y\""
        ],
        "{body}"
    );
    for expected in [
        "# mrt fix: its undo reads args, which is bound inside upgrade() only; bind it here too,",
        "# mrt fix:     with op.batch_alter_table(\"runs\", table_args=args) as batch_op:",
        "# mrt fix:         batch_op.drop_column(\"x\")",
        "# mrt fix: its undo reads name, which is bound inside upgrade() only; bind it here too,",
        "# mrt fix:     op.drop_constraint(name, \"a\", type_=\"foreignkey\")",
        "# mrt fix: its undo reads table, which is bound inside upgrade() only; bind it here too,",
        "# mrt fix:     op.drop_index(f\"ix_{table}\", table_name=table)",
    ] {
        assert!(body.contains(expected), "{expected} not in\n{body}");
    }
}

#[test]
fn a_multi_line_block_header_shown_in_a_comment_stays_comment() {
    // Under a dialect test mrt cannot restate (it is not only about the dialect).
    let (_, new) = fixed(
        "    if op.get_context().dialect.name == \"sqlite\" and FLAG:\n        with op.batch_alter_table(\n            \"runs\",\n            recreate=\"always\",\n        ) as batch_op:\n            batch_op.add_column(sa.Column(\"x\", sa.Integer()))\n",
        "def downgrade():\n    pass\n",
    );
    let body = down(&new);
    assert!(
        body.lines()
            .all(|l| l.starts_with("    # mrt fix:") || l == "    pass"),
        "{body}"
    );
    assert!(
        body.contains("# mrt fix:             recreate=\"always\","),
        "{body}"
    );
    assert!(
        body.contains("under conditions mrt cannot restate"),
        "{body}"
    );
}

#[test]
fn a_dialect_branch_with_another_condition_inside_stays_a_comment() {
    // dagster 037: on MySQL, either a rename or an added column, decided by a test on the
    // data: undoing both in one `if` on MySQL would drop the column, then rename it.
    let (_, new) = fixed(
        "    if op.get_context().dialect.name == \"mysql\":\n        if FLAG:\n            op.execute(\"ALTER TABLE kvs RENAME COLUMN my_row_id TO id\")\n        else:\n            op.add_column(\"kvs\", sa.Column(\"id\", sa.BigInteger()))\n",
        "def downgrade():\n    pass\n\n\nFLAG = True\n",
    );
    let body = down(&new);
    assert!(!body.contains("    if "), "{body}");
    assert!(
        body.contains("# mrt fix: upgrade() runs it only when `FLAG` is false, a test mrt cannot"),
        "{body}"
    );
    assert!(
        body.contains("# mrt fix:     op.drop_column(\"kvs\", \"id\")"),
        "{body}"
    );
}

#[test]
fn dialect_branches_of_the_upgrade_are_undone_in_matching_branches() {
    // airflow and mlflow shape: `if dialect == "sqlite": <batch> else: <op>`, `elif`, and
    // `!=`; consecutive undos of one branch share one `if`.
    let (_, new) = fixed(
        "    dialect = op.get_context().dialect.name\n    if dialect == \"sqlite\":\n        with op.batch_alter_table(\n            \"runs\",\n            recreate=\"always\",\n        ) as batch_op:\n            batch_op.add_column(sa.Column(\"x\", sa.Integer()))\n    elif dialect in (\"mysql\", \"mssql\"):\n        op.add_column(\"runs\", sa.Column(\"x\", sa.Integer()))\n        op.create_index(\"ix_x\", \"runs\", [\"x\"])\n    else:\n        op.add_column(\"runs\", sa.Column(\"x\", sa.BigInteger()))\n    if not dialect == \"postgresql\":\n        op.create_index(\"ix_y\", \"runs\", [\"y\"])\n",
        "def downgrade():\n    pass\n",
    );
    assert_eq!(
        down(&new),
        r#"    if op.get_context().dialect.name != "postgresql":
        op.drop_index("ix_y", table_name="runs")
    if op.get_context().dialect.name not in ("mysql", "mariadb", "sqlite", "mssql"):
        op.drop_column("runs", "x")
    if op.get_context().dialect.name in ("mysql", "mariadb", "mssql"):
        op.drop_index("ix_x", table_name="runs")
        op.drop_column("runs", "x")
    if op.get_context().dialect.name == "sqlite":
        with op.batch_alter_table(
            "runs",
            recreate="always",
        ) as batch_op:
            batch_op.drop_column("x")
"#
    );
}

#[test]
fn missing_downgrade_is_appended_in_reverse_order() {
    let (status, new) = fixed(
        "    op.add_column(\"users\", sa.Column(\"phone\", sa.String(30)))\n    op.create_index(\"ix_p\", \"users\", [\"phone\"], unique=True)\n",
        "",
    );
    assert_eq!(status, Status::Missing);
    assert_eq!(
        down(&new),
        "    op.drop_index(\"ix_p\", table_name=\"users\")\n    op.drop_column(\"users\", \"phone\")\n"
    );
}

#[test]
fn noop_downgrade_keeps_its_header_and_the_rest_of_the_file() {
    let src = format!(
        "{HEAD}def upgrade():\n    op.create_table(\"t\", sa.Column(\"id\", sa.Integer))\n\n\ndef downgrade():  # keep me\n    pass\n\n\nX = 1\n"
    );
    let out = fix_source("m.py", &src).unwrap();
    assert_eq!(out.status, Status::Noop);
    assert_eq!(
        out.new_source,
        src.replace(
            "  # keep me\n    pass",
            "  # keep me\n    op.drop_table(\"t\")"
        )
    );
}

#[test]
fn batch_blocks_stay_batch_blocks_in_reverse() {
    let (_, new) = fixed(
        "    with op.batch_alter_table(\"a\") as b:\n        b.add_column(sa.Column(\"x\", sa.Integer))\n        b.create_unique_constraint(\"uq_a_x\", [\"x\"])\n    with op.batch_alter_table(\"b\", recreate=\"always\") as c:\n        c.alter_column(\"y\", new_column_name=\"z\")\n",
        "def downgrade():\n    pass\n",
    );
    assert_eq!(
        down(&new),
        "    with op.batch_alter_table(\"b\", recreate=\"always\") as c:\n        c.alter_column(\"z\", new_column_name=\"y\")\n    with op.batch_alter_table(\"a\") as b:\n        b.drop_constraint(\"uq_a_x\", type_=\"unique\")\n        b.drop_column(\"x\")\n"
    );
}

#[test]
fn alter_column_swaps_existing_values_and_marks_what_it_cannot_know() {
    let (_, new) = fixed(
        "    op.alter_column(\"t\", \"c\", type_=sa.Text(), nullable=False, existing_server_default=\"x\")\n    op.alter_column(\"t\", \"d\", nullable=True, existing_nullable=False)\n",
        "def downgrade():\n    pass\n",
    );
    let body = down(&new);
    // No chain (the file is not on disk): what upgrade() states is all there is, and nothing
    // is assumed about the rest (setting nullable=False says nothing of what it was).
    assert_eq!(
        body,
        "    op.alter_column(\"t\", \"d\", nullable=False, existing_nullable=True)\n    # mrt fix: NOT REVERSED: the type of t.c: upgrade() does not say what it was, nor does the\n    # mrt fix: chain before it (add existing_type=... to its alter_column, then run mrt fix again).\n    # mrt fix: NOT REVERSED: the nullability of t.c: upgrade() does not say what it was, nor does\n    # mrt fix: the chain before it (add existing_nullable=... to its alter_column, then run mrt fix\n    # mrt fix: again).\n"
    );
}

#[test]
fn unnamed_index_and_drops_are_comments_not_code() {
    let (_, new) = fixed(
        "    op.create_index(None, \"t\", [\"c\"])\n    op.drop_table(\"old\")\n",
        "def downgrade():\n    pass\n",
    );
    let body = down(&new);
    assert!(body.contains("# mrt fix: NOT REVERSIBLE: op.drop_table(\"old\")"));
    assert!(body.contains("# mrt fix: NOT REVERSED: op.create_index(None, \"t\", [\"c\"])"));
    assert!(body.ends_with("    pass\n"), "{body}");
}

#[test]
fn crlf_files_get_crlf() {
    let src = format!(
        "{HEAD}def upgrade():\n    op.create_table(\"t\")\n\n\ndef downgrade():\n    pass\n"
    )
    .replace('\n', "\r\n");
    let out = fix_source("m.py", &src).unwrap();
    assert!(
        out.new_source
            .ends_with("def downgrade():\r\n    op.drop_table(\"t\")\r\n")
    );
    assert_eq!(
        out.new_source.matches('\n').count(),
        out.new_source.matches("\r\n").count()
    );
}

#[test]
fn raw_sql_is_inverted_when_simple_and_marked_otherwise() {
    let (_, new) = fixed(
        "    op.execute(\"CREATE INDEX ix_a ON a (x)\")\n    op.execute(\"DELETE FROM a WHERE x = 1\")\n",
        "",
    );
    let body = down(&new);
    assert!(body.starts_with("    # mrt fix: NOT REVERSIBLE: SQL: DELETE FROM a WHERE x = 1\n    # mrt fix: it deletes rows from a; they cannot come back.\n"), "{body}");
    assert!(
        body.ends_with("    op.drop_index(\"ix_a\", table_name=\"a\")\n"),
        "{body}"
    );
}

#[test]
fn nothing_to_fix_and_bad_input() {
    let src = format!("{HEAD}def upgrade():\n    pass\n");
    assert_eq!(fix_source("m.py", &src).unwrap().status, Status::Nothing);
    let err = |src: &str| match fix_source("m.py", src) {
        Err(Error::Usage(msg)) => msg,
        other => panic!("expected a usage error, got {other:?}"),
    };
    assert!(err("def upgrade(:\n").starts_with("m.py:1:"));
    assert!(err("x = 1\n").contains("not an Alembic or Django migration"));
    assert!(err("from django.db import migrations\nclass Migration(migrations.Migration):\n    operations = []\n").contains("Django"));
}

#[test]
fn explain_numbers_steps_and_gives_a_verdict() {
    let src = format!(
        "{HEAD}def upgrade():\n    op.add_column(\"users\", sa.Column(\"phone\", sa.String(30), nullable=False, server_default=\"x\"))\n    op.execute(\"UPDATE users SET name = UPPER(name)\")\n\n\ndef downgrade():\n    op.drop_column(\"users\", \"phone\")\n"
    );
    let text = explain_source("m.py", &src, &[]).unwrap();
    let quiet = explain_source("m.py", &src, &[("MRT014".into(), "off".into())]).unwrap();
    assert!(quiet.ends_with("Rollback: safe — no findings\n"), "{quiet}");
    assert!(text.contains("\nupgrade():\n  1. Adds NOT NULL column users.phone (VARCHAR(30), server default \"x\")\n  2. Runs SQL: UPDATE users SET name = UPPER(name) — rewrites every row of users\n"), "{text}");
    assert!(
        text.contains("\ndowngrade():\n  1. Drops column users.phone\n"),
        "{text}"
    );
    assert!(text.contains("upgrade step 2 (line 10)"), "{text}");
    assert!(
        text.ends_with("Rollback: probably safe — 1 warning to review\n"),
        "{text}"
    );
}

#[test]
fn constraints_outside_batch_name_their_table_and_type() {
    let (_, new) = fixed(
        "    op.create_foreign_key(\"fk_p_u\", \"posts\", \"users\", [\"user_id\"], [\"id\"], ondelete=\"CASCADE\")\n    op.create_unique_constraint(\"uq_e\", \"users\", [\"email\"])\n    op.create_check_constraint(\"ck_n\", \"users\", \"length(name) > 0\")\n    op.create_primary_key(\"pk_l\", \"links\", [\"a\", \"b\"])\n    op.rename_table(\"a\", \"b\")\n",
        "def downgrade(): pass\n",
    );
    assert_eq!(
        down(&new),
        concat!(
            "    op.rename_table(\"b\", \"a\")\n",
            "    op.drop_constraint(\"pk_l\", \"links\", type_=\"primary\")\n",
            "    op.drop_constraint(\"ck_n\", \"users\", type_=\"check\")\n",
            "    op.drop_constraint(\"uq_e\", \"users\", type_=\"unique\")\n",
            "    op.drop_constraint(\"fk_p_u\", \"posts\", type_=\"foreignkey\")\n",
        )
    );
}

#[test]
fn long_comments_wrap_and_long_calls_split() {
    let (_, new) = fixed(
        "    op.alter_column(\"a_rather_long_table_name\", \"a_rather_long_column_name\", type_=sa.String(length=200), existing_type=sa.String(length=100))\n    op.drop_column(\"a_rather_long_table_name\", \"another_rather_long_column_name\")\n",
        "",
    );
    let body = down(&new);
    assert!(body.lines().all(|l| l.len() <= 99), "{body}");
    assert!(
        body.contains("    op.alter_column(\n        \"a_rather_long_table_name\",\n        \"a_rather_long_column_name\",\n        type_=sa.String(length=100),\n        existing_type=sa.String(length=200),\n    )\n"),
        "{body}"
    );
}

#[test]
fn not_null_sql_is_inverted_and_drops_say_what_to_recreate() {
    let (_, new) = fixed(
        "    op.execute(\"ALTER TABLE users ALTER COLUMN email SET NOT NULL\")\n    op.execute(\"DROP VIEW report\")\n",
        "def downgrade():\n    pass\n",
    );
    let body = down(&new);
    assert!(
        body.starts_with("    # mrt fix: NOT REVERSIBLE: SQL: DROP VIEW report\n    # mrt fix: it drops view report; mrt cannot see its definition"),
        "{body}"
    );
    assert!(
        body.ends_with("    op.execute(\"ALTER TABLE users ALTER COLUMN email DROP NOT NULL\")\n"),
        "{body}"
    );
}

#[test]
fn imported_helpers_are_named_not_guessed() {
    let src = format!(
        "{HEAD}from app.db import create_run_tables\n\n\ndef upgrade():\n    create_run_tables()\n\n\ndef downgrade():\n    pass\n"
    );
    let out = fix_source("m.py", &src).unwrap();
    let body = down(&out.new_source);
    assert!(body.starts_with("    # mrt fix: NOT REVERSED: create_run_tables()\n    # mrt fix: upgrade() calls create_run_tables(), defined outside this file;"), "{body}");
    assert!(body.ends_with("    pass\n"), "{body}");
    let text = explain_source("m.py", &src, &[]).unwrap();
    assert!(
        text.contains(
            "  1. Calls create_run_tables() (defined elsewhere: its changes are not visible here)\n"
        ),
        "{text}"
    );
}

#[test]
fn if_not_exists_becomes_if_exists() {
    let (_, new) = fixed(
        "    op.create_table(\"t\", sa.Column(\"id\", sa.Integer), if_not_exists=True)\n    op.create_index(\"ix_t\", \"t\", [\"id\"], if_not_exists=True)\n",
        "",
    );
    assert_eq!(
        down(&new),
        "    op.drop_index(\"ix_t\", table_name=\"t\", if_exists=True)\n    op.drop_table(\"t\", if_exists=True)\n"
    );
}

#[test]
fn explain_agrees_with_the_chain_rules_of_the_folder() {
    // airflow 4bc4d934e2bc's shape: the file alone looks fine; the replay of its folder shows
    // the downgrade dropping an index on a table that never existed.
    let dir = std::env::temp_dir().join(format!("mrt-explain-chain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = \"a\"\ndown_revision = None\n\n\ndef upgrade():\n    op.create_table(\"dag\", sa.Column(\"dag_id\", sa.String(250), primary_key=True))\n\n\ndef downgrade():\n    op.drop_index(\"sm_dag\", table_name=\"sla_miss\")\n    op.drop_table(\"dag\")\n";
    let path = dir.join("a_base.py");
    std::fs::write(&path, src).unwrap();
    let shown = path.to_string_lossy().into_owned();
    let text = explain_source(&shown, src, &[]).unwrap();
    let alone = explain_source("elsewhere/a_base.py", src, &[]).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(text.contains("MRT066"), "{text}");
    assert!(text.ends_with("Rollback: NOT safe — 1 error\n"), "{text}");
    // Not on disk as given: only the file's own rules (the single-file chain still replays).
    assert!(!alone.contains("Rollback: safe"), "{alone}");
}

/// The code lines of a generated downgrade body (comments and blank lines left out).
fn code_lines(body: &str) -> Vec<&str> {
    body.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .collect()
}

#[test]
fn a_helper_with_parameters_is_undone_per_call_with_the_callers_arguments() {
    // dagster 037_d9092588866f: `_create_primary_key(tablename)` adds the column in a batch
    // block on SQLite and with op.add_column elsewhere; upgrade() calls it once per table.
    let (_, new) = fixed(
        "    _create_primary_key(\"kvs\")\n    _create_primary_key(table_name=\"runs\")\n",
        "def downgrade():\n    pass\n\n\ndef _create_primary_key(tablename):\n    if op.get_context().dialect.name == \"sqlite\":\n        with op.batch_alter_table(tablename, recreate=\"always\") as batch_op:\n            batch_op.add_column(sa.Column(\"id\", sa.Integer(), primary_key=True))\n    else:\n        op.add_column(tablename, sa.Column(\"id\", sa.BigInteger(), primary_key=True))\n",
    );
    let body = down(&new);
    // `table_name=` is not one of its parameters: that call stays a comment.
    assert!(
        body.contains("# mrt fix: _create_primary_key(table_name=\"runs\"))"),
        "{body}"
    );
    assert_eq!(
        code_lines(body)[..5],
        [
            "    if op.get_context().dialect.name != \"sqlite\":",
            "        op.drop_column(\"kvs\", \"id\")",
            "    if op.get_context().dialect.name == \"sqlite\":",
            "        with op.batch_alter_table(\"kvs\", recreate=\"always\") as batch_op:",
            "            batch_op.drop_column(\"id\")",
        ],
        "{body}"
    );
}

#[test]
fn a_function_defined_inside_upgrade_is_undone_statement_by_statement() {
    // mlflow 1b5f0d9ad7c1 defines `_create_workspace_indexes()` inside upgrade() and calls it;
    // its inverse, defined inside the old downgrade(), is not callable from a new one.
    let (_, new) = fixed(
        "    def _create_workspace_indexes():\n        op.create_index(\"idx_experiments_workspace\", \"experiments\", [\"workspace\"])\n        op.create_index(\"idx_secrets_workspace\", \"secrets\", [\"workspace\"])\n\n    _create_workspace_indexes()\n",
        "def downgrade():\n    pass\n",
    );
    let body = down(&new);
    assert_eq!(
        code_lines(body),
        [
            "    op.drop_index(\"idx_secrets_workspace\", table_name=\"secrets\")",
            "    op.drop_index(\"idx_experiments_workspace\", table_name=\"experiments\")",
        ],
        "{body}"
    );
}

#[test]
fn a_helper_with_an_inverse_in_the_file_is_undone_by_calling_it() {
    // mlflow 75868b020152: `_add_analytics_columns()` / `_drop_analytics_columns()`; with a
    // parameter, the caller's argument text goes to the inverse.
    let (_, new) = fixed(
        "    _add_columns()\n    _create_index_on(\"runs\", unique=True)\n    op.create_index(\"ix_z\", \"runs\", [\"z\"])\n",
        "def downgrade():\n    pass\n\n\ndef _add_columns():\n    op.add_column(\"runs\", sa.Column(\"x\", sa.Integer()))\n    op.add_column(\"runs\", sa.Column(\"y\", sa.Integer()))\n\n\ndef _drop_columns():\n    op.drop_column(\"runs\", \"y\")\n    op.drop_column(\"runs\", \"x\")\n\n\ndef _create_index_on(table, unique=False):\n    op.create_index(\"ix_x\", table, [\"x\"], unique=unique)\n\n\ndef _drop_index_on(table, unique=False):\n    op.drop_index(\"ix_x\", table_name=table)\n",
    );
    let body = down(&new);
    assert_eq!(
        code_lines(body)[..3],
        [
            "    op.drop_index(\"ix_z\", table_name=\"runs\")",
            "    _drop_index_on(\"runs\", unique=True)",
            "    _drop_columns()",
        ],
        "{body}"
    );
}

#[test]
fn a_helper_parameter_that_cannot_be_replaced_keeps_the_undo_a_comment() {
    // The helper reassigns its parameter, or uses it in an f-string: the caller's text is not
    // what the call saw (or cannot go there), so the undo is shown, not written.
    let (_, new) = fixed(
        "    _add(\"kvs\")\n    _index(\"runs\")\n",
        "def downgrade():\n    pass\n\n\ndef _add(table):\n    table = table.upper()\n    op.add_column(table, sa.Column(\"id\", sa.Integer()))\n\n\ndef _index(table):\n    op.create_index(f\"ix_{table}\", table, [\"x\"])\n",
    );
    let body = down(&new);
    assert_eq!(code_lines(body)[0], "    pass", "{body}");
    assert!(
        body.contains("# mrt fix:     op.drop_column(table, \"id\")"),
        "{body}"
    );
    assert!(
        body.contains("# mrt fix:     op.drop_index(f\"ix_{table}\", table_name=table)"),
        "{body}"
    );
}

#[test]
fn an_existence_check_around_a_step_is_mirrored_around_its_undo() {
    // dagster 031 and 043: `if not has_table(...)` / `if not has_index(...)` around the
    // step flip (the object exists after the upgrade); a check on something else stays, also
    // after an early `return`.
    let (_, new) = fixed(
        "    if not has_table(\"runs\"):\n        return\n    if not has_table(\"kvs\"):\n        op.create_table(\"kvs\", sa.Column(\"key\", sa.Text))\n    if not has_index(\"kvs\", \"idx_kvs\"):\n        op.create_index(\"idx_kvs\", \"kvs\", [\"key\"])\n    if has_table(\"runs\") and not has_column(\"runs\", \"mode\"):\n        op.add_column(\"runs\", sa.Column(\"mode\", sa.Text))\n",
        "def downgrade():\n    pass\n\n\nfrom dagster_utils import has_column, has_index, has_table\n",
    );
    let body = down(&new);
    assert_eq!(
        code_lines(body)[..6],
        [
            "    if has_table(\"runs\") and has_column(\"runs\", \"mode\"):",
            "        op.drop_column(\"runs\", \"mode\")",
            "    if has_table(\"runs\") and has_index(\"kvs\", \"idx_kvs\"):",
            "        op.drop_index(\"idx_kvs\", table_name=\"kvs\")",
            "    if has_table(\"runs\") and has_table(\"kvs\"):",
            "        op.drop_table(\"kvs\")",
        ],
        "{body}"
    );
}

#[test]
fn a_test_that_cannot_be_mirrored_keeps_the_undo_a_comment() {
    // dagster 005: `if "event_logs" in has_tables:` reads a local list; a flag is no
    // existence check.
    let (_, new) = fixed(
        "    has_tables = sa.inspect(op.get_bind()).get_table_names()\n    if \"event_logs\" in has_tables:\n        op.add_column(\"event_logs\", sa.Column(\"asset_key\", sa.String))\n    if FLAG:\n        op.create_index(\"ix_a\", \"a\", [\"x\"])\n",
        "def downgrade():\n    pass\n\n\nFLAG = True\n",
    );
    let body = down(&new);
    assert_eq!(code_lines(body)[0], "    pass", "{body}");
    for expected in [
        "# mrt fix: upgrade() runs it only when `\"event_logs\" in has_tables`, a test mrt cannot",
        "# mrt fix:     op.drop_column(\"event_logs\", \"asset_key\")",
        "# mrt fix: upgrade() runs it only when `FLAG`, a test mrt cannot mirror (only existence",
        "# mrt fix:     op.drop_index(\"ix_a\", table_name=\"a\")",
    ] {
        assert!(body.contains(expected), "{expected} not in\n{body}");
    }
}

#[test]
fn a_byte_order_mark_is_kept_and_does_not_shift_the_downgrade() {
    // The fuzzer's case: a file that starts with a BOM and has no downgrade().
    let plain = "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = \"r9\"\ndown_revision = None\n\n\ndef upgrade():\n    op.add_column(\"ports\", sa.Column(\"c9\", sa.Integer(), nullable=True))\n";
    let with_bom = format!("\u{feff}{plain}");
    let out = fix_source("m.py", plain).expect("fix");
    let out_bom = fix_source("m.py", &with_bom).expect("fix with a BOM");
    assert_eq!(out_bom.new_source, format!("\u{feff}{}", out.new_source));
    assert!(out.new_source.contains("op.drop_column(\"ports\", \"c9\")"));
}
