//! `mrt fix` on files that sit among their ancestors: what the downgrade restores comes from
//! the chain's replayed state. The chains are small copies of real shapes (mlflow's model
//! registry, airflow's and prefect's column changes).

use super::fix_source;

const BASE: &str = r#"import sqlalchemy as sa
from alembic import op

revision = "base"
down_revision = None


def upgrade():
    op.create_table(
        "registered_models",
        sa.Column("name", sa.String(256), primary_key=True),
    )
    op.create_table(
        "model_versions",
        sa.Column("name", sa.String(256), sa.ForeignKey("registered_models.name", onupdate="cascade"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), server_default="READY"),
        sa.Column("run_link", sa.String(500), nullable=True),
        sa.Column("state_type", sa.String(50), nullable=False),
        sa.PrimaryKeyConstraint("name", "version", name="model_version_pk"),
    )
    op.create_index("ix_model_versions_status", "model_versions", ["status"], unique=False)


def downgrade():
    op.drop_index("ix_model_versions_status", table_name="model_versions")
    op.drop_table("model_versions")
    op.drop_table("registered_models")
"#;

/// Fix `upgrade_body` as revision "next" on top of [`BASE`] (and `middle`, when given), in a
/// folder of their own: the downgrade body it writes.
fn fixed_on_chain(name: &str, middle: Option<&str>, upgrade_body: &str) -> String {
    fixed_on_chain_importing(name, middle, "import sqlalchemy as sa\n", upgrade_body)
}

/// [`fixed_on_chain`] for a file whose imports are `imports` and `from alembic import op`.
fn fixed_on_chain_importing(
    name: &str,
    middle: Option<&str>,
    imports: &str,
    upgrade_body: &str,
) -> String {
    let dir = std::env::temp_dir().join(format!("mrt-fix-chain-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("base.py"), BASE).unwrap();
    let parent = match middle {
        Some(body) => {
            let mid = format!(
                "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = \"mid\"\ndown_revision = \"base\"\n\n\ndef upgrade():\n{body}\n\ndef downgrade():\n    pass\n"
            );
            std::fs::write(dir.join("mid.py"), mid).unwrap();
            "mid"
        }
        None => "base",
    };
    let src = format!(
        "{imports}from alembic import op\n\nrevision = \"next\"\ndown_revision = \"{parent}\"\n\n\ndef upgrade():\n{upgrade_body}\n\ndef downgrade():\n    pass\n"
    );
    let path = dir.join("next.py");
    std::fs::write(&path, &src).unwrap();
    let out = fix_source(&path.to_string_lossy(), &src);
    std::fs::remove_dir_all(&dir).unwrap();
    let new = out.expect("fix").new_source;
    let at = new.rfind("def downgrade():\n").expect("a downgrade");
    new[at + "def downgrade():\n".len()..].to_string()
}

/// The lines of `body` that are code, not the marked comments `mrt fix` writes, trimmed.
fn code_lines(body: &str) -> Vec<&str> {
    body.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect()
}

#[test]
fn a_dropped_column_with_a_server_default_comes_back_as_defined() {
    let body = fixed_on_chain(
        "drop-col",
        None,
        "    op.drop_column(\"model_versions\", \"status\")\n",
    );
    assert_eq!(
        body,
        r#"    # mrt fix: NOT REVERSIBLE: op.drop_column("model_versions", "status")
    # mrt fix: upgrade() deletes column model_versions.status and every value in it; no downgrade
    # mrt fix: can bring the values back.
    # mrt fix: The column comes back empty, as the chain before this revision defines it:
    op.add_column("model_versions", sa.Column("status", sa.String(20), server_default="READY"))
"#
    );
}

#[test]
fn an_altered_column_gets_its_old_type_nullability_and_default_from_the_chain() {
    // upgrade() states a wrong existing_type: the chain, which replayed the revision that
    // wrote the column, wins.
    let body = fixed_on_chain(
        "alter",
        None,
        "    op.alter_column(\"model_versions\", \"state_type\", type_=sa.Text(), existing_type=sa.String(20), server_default=\"RUNNING\")\n",
    );
    assert_eq!(
        body,
        "    op.alter_column(\n        \"model_versions\",\n        \"state_type\",\n        type_=sa.String(50),\n        existing_type=sa.Text(),\n        existing_nullable=False,\n        server_default=None,\n        existing_server_default=\"RUNNING\",\n    )\n"
    );
}

#[test]
fn a_dropped_table_is_re_created_with_its_keys_and_indexes() {
    let body = fixed_on_chain(
        "drop-table",
        None,
        "    op.drop_table(\"model_versions\")\n",
    );
    assert_eq!(
        body,
        r#"    # mrt fix: NOT REVERSIBLE: op.drop_table("model_versions")
    # mrt fix: upgrade() deletes table model_versions with all its rows; no downgrade can bring
    # mrt fix: them back.
    # mrt fix: The table comes back empty, as the chain before this revision defines it:
    op.create_table(
        "model_versions",
        sa.Column("name", sa.String(256), sa.ForeignKey("registered_models.name", onupdate="cascade"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), server_default="READY"),
        sa.Column("run_link", sa.String(500), nullable=True),
        sa.Column("state_type", sa.String(50), nullable=False),
        sa.PrimaryKeyConstraint("name", "version", name="model_version_pk"),
    )
    op.create_index("ix_model_versions_status", "model_versions", ["status"], unique=False)
"#
    );
}

#[test]
fn what_the_state_does_not_know_is_named_not_guessed() {
    // A later revision altered run_link in raw SQL (no Python text says what it is now) and
    // added a foreign key with a MATCH clause the state does not keep.
    let middle = "    op.execute(\"ALTER TABLE model_versions ALTER COLUMN run_link TYPE text\")\n    op.create_table(\"runs\", sa.Column(\"id\", sa.Integer(), primary_key=True))\n    op.execute(\"ALTER TABLE model_versions ADD CONSTRAINT fk_run FOREIGN KEY (version) REFERENCES runs (id) MATCH FULL\")\n";
    let body = fixed_on_chain(
        "unknown",
        Some(middle),
        "    op.drop_table(\"model_versions\")\n",
    );
    assert!(
        body.contains(
            "# mrt fix: TODO: column run_link: the chain does not say its whole definition"
        ),
        "{body}"
    );
    assert!(
        body.contains("# mrt fix: TODO: foreign key fk_run (version) → runs: the chain does not keep its whole"),
        "{body}"
    );
    assert!(!body.contains("sa.Column(\"run_link\""), "{body}");
    // A table short of a column is no table to write: what the state knows is a hint.
    assert!(
        body.contains(
            "# mrt fix:         sa.Column(\"state_type\", sa.String(50), nullable=False),"
        ),
        "{body}"
    );
    assert_eq!(code_lines(&body), ["pass"], "{body}");
}

#[test]
fn a_dropped_index_is_re_created_by_the_call_that_made_it() {
    let body = fixed_on_chain(
        "drop-index",
        None,
        "    op.drop_index(\"ix_model_versions_status\", table_name=\"model_versions\")\n    op.drop_constraint(\"model_version_pk\", \"model_versions\", type_=\"primary\")\n",
    );
    assert_eq!(
        body,
        "    op.create_primary_key(\"model_version_pk\", \"model_versions\", [\"name\", \"version\"])\n    op.create_index(\"ix_model_versions_status\", \"model_versions\", [\"status\"], unique=False)\n"
    );
}

#[test]
fn without_its_chain_a_dropped_table_and_index_stay_comments() {
    // The same upgrade where no chain is known: nothing is invented.
    let src = "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = \"next\"\ndown_revision = \"base\"\n\n\ndef upgrade():\n    op.drop_table(\"model_versions\")\n    op.drop_index(\"ix_model_versions_status\", table_name=\"model_versions\")\n\n\ndef downgrade():\n    pass\n";
    let out = fix_source("nowhere/next.py", src).unwrap().new_source;
    let body = &out[out.rfind("def downgrade():\n").unwrap()..];
    assert_eq!(code_lines(body), ["def downgrade():", "pass"], "{body}");
    assert!(body.contains("NOT REVERSED: op.drop_index"), "{body}");
}

/// A revision after [`BASE`] that declares keys inside `create_table` and in raw SQL: no
/// `op.create_*` call to copy, so the fix writes them from the state.
const KEYS: &str = "    op.create_table(\"tags\", sa.Column(\"id\", sa.Integer(), primary_key=True), sa.Column(\"model\", sa.String(256)), sa.Column(\"version\", sa.Integer()), sa.Column(\"key\", sa.String(50)), sa.ForeignKeyConstraint([\"model\", \"version\"], [\"model_versions.name\", \"model_versions.version\"], name=\"fk_tags_version\"), sa.CheckConstraint(\"length(key) > 0\", name=\"ck_tags_key\"), sa.Index(\"ix_tags_key\", \"key\", unique=True))\n    op.execute(\"ALTER TABLE tags ADD CONSTRAINT fk_tags_model FOREIGN KEY (model) REFERENCES registered_models (name)\")\n    op.execute(\"CREATE UNIQUE INDEX ix_tags_model ON tags (model, key)\")\n";

#[test]
fn foreign_keys_checks_and_unique_indexes_come_back_from_the_state() {
    // `drop_index` without `table_name`: the state knows which table holds the index.
    let body = fixed_on_chain(
        "keys",
        Some(KEYS),
        "    op.drop_constraint(\"fk_tags_version\", \"tags\", type_=\"foreignkey\")\n    op.drop_constraint(\"fk_tags_model\", \"tags\", type_=\"foreignkey\")\n    op.drop_constraint(\"ck_tags_key\", \"tags\", type_=\"check\")\n    op.drop_index(\"ix_tags_key\")\n    op.drop_index(\"ix_tags_model\", table_name=\"tags\")\n",
    );
    assert_eq!(
        body,
        r#"    op.create_index("ix_tags_model", "tags", ["model", "key"], unique=True)
    op.create_index("ix_tags_key", "tags", ["key"], unique=True)
    op.create_check_constraint("ck_tags_key", "tags", "length(key) > 0")
    op.create_foreign_key("fk_tags_model", "tags", "registered_models", ["model"], ["name"])
    op.create_foreign_key(
        "fk_tags_version",
        "tags",
        "model_versions",
        ["model", "version"],
        ["name", "version"],
    )
"#
    );
}

#[test]
fn a_dropped_table_gets_its_foreign_keys_and_checks_from_the_state() {
    let body = fixed_on_chain("keys-table", Some(KEYS), "    op.drop_table(\"tags\")\n");
    for expected in [
        r#"sa.ForeignKeyConstraint(["model", "version"], ["model_versions.name", "model_versions.version"], name="fk_tags_version"),"#,
        r#"sa.CheckConstraint("length(key) > 0", name="ck_tags_key"),"#,
        r#"sa.ForeignKeyConstraint(["model"], ["registered_models.name"], name="fk_tags_model"),"#,
        r#"op.create_index("ix_tags_key", "tags", ["key"], unique=True)"#,
        r#"op.create_index("ix_tags_model", "tags", ["model", "key"], unique=True)"#,
    ] {
        assert!(body.contains(expected), "{expected} not in\n{body}");
    }
    assert!(!body.contains("TODO"), "{body}");
}

#[test]
fn keys_with_options_come_back_with_them() {
    // ON UPDATE, DEFERRABLE, a partial index and an expression index, made in raw SQL: no
    // call to copy, the state keeps every option.
    let middle = "    op.execute(\"ALTER TABLE model_versions ADD CONSTRAINT fk_mv FOREIGN KEY (name) REFERENCES registered_models (name) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED\")\n    op.execute(\"CREATE INDEX ix_mv_ready ON model_versions (status) WHERE status = 'READY'\")\n    op.execute(\"CREATE INDEX ix_mv_lower ON model_versions (lower(state_type), version DESC)\")\n";
    let body = fixed_on_chain(
        "keys-options",
        Some(middle),
        "    op.drop_constraint(\"fk_mv\", \"model_versions\", type_=\"foreignkey\")\n    op.drop_index(\"ix_mv_ready\", table_name=\"model_versions\")\n    op.drop_index(\"ix_mv_lower\", table_name=\"model_versions\")\n",
    );
    assert_eq!(
        body,
        r#"    op.create_index(
        "ix_mv_lower",
        "model_versions",
        [sa.text("lower(state_type)"), sa.text("version DESC")],
    )
    op.create_index(
        "ix_mv_ready",
        "model_versions",
        ["status"],
        postgresql_where=sa.text("status = 'READY'"),
        sqlite_where=sa.text("status = 'READY'"),
    )
    op.create_foreign_key(
        "fk_mv",
        "model_versions",
        "registered_models",
        ["name"],
        ["name"],
        onupdate="CASCADE",
        deferrable=True,
        initially="DEFERRED",
    )
"#
    );
}

#[test]
fn a_dropped_table_gets_its_keys_options_expressions_and_conditions() {
    // Declared inside create_table in Python: sa.text elements and conditions, module
    // constants, ON UPDATE and DEFERRABLE on a foreign key.
    let middle = "    op.create_table(\"runs\", sa.Column(\"id\", sa.Integer(), primary_key=True), sa.Column(\"name\", sa.String(50)), sa.Column(\"model\", sa.String(256)), sa.ForeignKeyConstraint([\"model\"], [\"registered_models.name\"], name=\"fk_runs_model\", onupdate=\"cascade\", deferrable=True, initially=\"deferred\"), sa.CheckConstraint(sa.text(\"length(name) > \" + \"0\"), name=\"ck_runs_name\"), sa.Index(\"ix_runs_lower\", sa.text(\"lower(name)\"), \"model\", unique=True, postgresql_where=sa.text(\"name IS NOT NULL\")))\n";
    let body = fixed_on_chain(
        "keys-table-options",
        Some(middle),
        "    op.drop_table(\"runs\")\n",
    );
    for expected in [
        r#"sa.ForeignKeyConstraint(["model"], ["registered_models.name"], onupdate="CASCADE", deferrable=True, initially="DEFERRED", name="fk_runs_model"),"#,
        r#"sa.CheckConstraint("length(name) > 0", name="ck_runs_name"),"#,
        r#"op.create_index(
        "ix_runs_lower",
        "runs",
        [sa.text("lower(name)"), "model"],
        unique=True,
        postgresql_where=sa.text("name IS NOT NULL"),
    )"#,
    ] {
        assert!(body.contains(expected), "{expected} not in\n{body}");
    }
    assert!(!body.contains("TODO"), "{body}");
}

#[test]
fn an_expression_index_stays_a_comment_in_a_file_without_sqlalchemy() {
    let middle =
        "    op.execute(\"CREATE INDEX ix_mv_lower ON model_versions (lower(state_type))\")\n";
    let body = fixed_on_chain_importing(
        "expr-no-sa",
        Some(middle),
        "",
        "    op.drop_index(\"ix_mv_lower\", table_name=\"model_versions\")\n",
    );
    assert_eq!(code_lines(&body), ["pass"], "{body}");
    assert!(
        body.contains("NOT REVERSED: op.drop_index(\"ix_mv_lower\""),
        "{body}"
    );
}

#[test]
fn a_renamed_table_is_named_as_it_is_at_this_point_of_the_chain() {
    // BASE's `op.create_index(..., "model_versions", ...)` names the table's old name: the
    // copy would re-create the index on a table that no longer exists.
    let body = fixed_on_chain(
        "renamed",
        Some(
            "    op.rename_table(\"model_versions\", \"versions\")\n    op.alter_column(\"registered_models\", \"name\", new_column_name=\"title\")\n",
        ),
        "    op.drop_index(\"ix_model_versions_status\", table_name=\"versions\")\n",
    );
    assert_eq!(
        body,
        "    op.create_index(\"ix_model_versions_status\", \"versions\", [\"status\"])\n"
    );
}

#[test]
fn a_table_none_of_whose_columns_this_file_can_write_stays_a_comment() {
    // The file does not import `sa`: no column definition can be copied, and an empty
    // `create_table("model_versions")` would be a table that never was.
    let body =
        fixed_on_chain_importing("no-sa", None, "", "    op.drop_table(\"model_versions\")\n");
    assert_eq!(code_lines(&body), ["pass"], "{body}");
    assert!(
        body.contains("NOT REVERSIBLE: op.drop_table(\"model_versions\")"),
        "{body}"
    );
}

#[test]
fn a_foreign_key_follows_a_renamed_referenced_column() {
    let middle = format!(
        "{KEYS}    op.alter_column(\"registered_models\", \"name\", new_column_name=\"title\")\n"
    );
    let body = fixed_on_chain(
        "renamed-column",
        Some(&middle),
        "    op.drop_constraint(\"fk_tags_model\", \"tags\", type_=\"foreignkey\")\n",
    );
    assert_eq!(
        body,
        "    op.create_foreign_key(\"fk_tags_model\", \"tags\", \"registered_models\", [\"model\"], [\"title\"])\n"
    );
}

#[test]
fn dropping_an_index_named_like_a_foreign_key_does_not_re_create_the_key() {
    // airflow 0028 on MySQL: `drop_index("..._fkey")` drops the key's index, not the key.
    let body = fixed_on_chain(
        "index-not-key",
        Some(KEYS),
        "    op.drop_index(\"fk_tags_model\", table_name=\"tags\")\n    op.drop_constraint(\"ix_tags_key\", \"tags\", type_=\"unique\")\n",
    );
    assert_eq!(code_lines(&body), ["pass"], "{body}");
    assert!(
        body.contains("NOT REVERSED: op.drop_index(\"fk_tags_model\""),
        "{body}"
    );
    assert!(
        body.contains("NOT REVERSED: op.drop_constraint(\"ix_tags_key\""),
        "{body}"
    );
}

#[test]
fn a_foreign_key_keeps_its_on_delete_action() {
    let middle = "    op.create_table(\"runs\", sa.Column(\"id\", sa.Integer(), primary_key=True))\n    op.execute(\"ALTER TABLE model_versions ADD CONSTRAINT fk_run FOREIGN KEY (version) REFERENCES runs (id) ON DELETE CASCADE\")\n    op.create_table(\"notes\", sa.Column(\"id\", sa.Integer(), primary_key=True), sa.Column(\"run_id\", sa.Integer()), sa.ForeignKeyConstraint([\"run_id\"], [\"runs.id\"], name=\"fk_notes_run\", ondelete=\"set null\"))\n";
    let body = fixed_on_chain(
        "ondelete",
        Some(middle),
        "    op.drop_constraint(\"fk_run\", \"model_versions\", type_=\"foreignkey\")\n    op.drop_table(\"notes\")\n",
    );
    assert!(
        body.contains(r#"sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="SET NULL", name="fk_notes_run")"#),
        "{body}"
    );
    assert!(
        body.contains("    op.create_foreign_key(\n        \"fk_run\",\n        \"model_versions\",\n        \"runs\",\n        [\"version\"],\n        [\"id\"],\n        ondelete=\"CASCADE\",\n    )\n"),
        "{body}"
    );
}

#[test]
fn an_earlier_alter_in_the_chain_gives_the_old_type_not_existing_type() {
    // `mid` widened state_type; this upgrade still says existing_type=sa.String(50) (stale):
    // the downgrade restores what the replayed state says it was just before.
    let body = fixed_on_chain(
        "alter-after-alter",
        Some(
            "    op.alter_column(\"model_versions\", \"state_type\", type_=sa.String(100), existing_type=sa.String(50))\n",
        ),
        "    op.alter_column(\"model_versions\", \"state_type\", type_=sa.Text(), existing_type=sa.String(50))\n",
    );
    assert_eq!(
        body,
        "    op.alter_column(\n        \"model_versions\",\n        \"state_type\",\n        type_=sa.String(100),\n        existing_type=sa.Text(),\n        existing_nullable=False,\n        existing_server_default=None,\n    )\n"
    );
}

#[test]
fn a_dropped_column_altered_and_renamed_since_comes_back_as_the_state_has_it() {
    // Its definition is written again from the call that created it, with the name, type,
    // nullability and server default the chain gave it since.
    let body = fixed_on_chain(
        "drop-altered",
        Some(
            "    op.alter_column(\"model_versions\", \"run_link\", new_column_name=\"link\", type_=sa.Text(), server_default=\"none\")\n",
        ),
        "    op.drop_column(\"model_versions\", \"link\")\n",
    );
    assert_eq!(
        body,
        r#"    # mrt fix: NOT REVERSIBLE: op.drop_column("model_versions", "link")
    # mrt fix: upgrade() deletes column model_versions.link and every value in it; no downgrade can
    # mrt fix: bring the values back.
    # mrt fix: The column comes back empty, as the chain before this revision defines it:
    op.add_column(
        "model_versions",
        sa.Column("link", sa.Text(), nullable=True, server_default="none"),
    )
"#
    );
}

#[test]
fn a_dropped_column_made_not_null_in_sql_since_is_not_written_back_as_nullable() {
    // The created call says nullable=True; raw SQL made it NOT NULL since. Adding it back NOT
    // NULL without a default fails on a filled table: a hint with the state's definition.
    let body = fixed_on_chain(
        "drop-set-not-null",
        Some("    op.execute(\"ALTER TABLE model_versions ALTER COLUMN run_link SET NOT NULL\")\n"),
        "    op.drop_column(\"model_versions\", \"run_link\")\n",
    );
    assert!(
        body.contains("sa.Column(\"run_link\", sa.String(500), nullable=False)"),
        "{body}"
    );
    assert_eq!(code_lines(&body), ["pass"], "{body}");
}

/// superset's `migrations/shared/utils.py`, cut down: helpers that skip what exists, then make
/// one `op.*` call with their arguments; and one that loops.
const SHARED_UTILS: &str = r#"import logging

from alembic import op
from sqlalchemy import inspect

logger = logging.getLogger("alembic")


def has_table(table_name):
    insp = inspect(op.get_context().bind)
    return insp.has_table(table_name)


def create_table(table_name, *columns, **kwargs):
    """Creates a table unless it exists."""
    if has_table(table_name=table_name):
        logger.info("Table %s already exists. Skipping...", table_name)
        return
    op.create_table(table_name, *columns, **kwargs)


def create_index(table_name, index_name, columns, *, unique=False):
    op.create_index(table_name=table_name, index_name=index_name, unique=unique, columns=columns)


def add_columns(table_name, *columns):
    with op.batch_alter_table(table_name) as batch_op:
        for col in columns:
            batch_op.add_column(col)


def create_logged(table_name, *columns):
    op.create_table(table_name, *columns)
    op.execute("INSERT INTO log VALUES ('created')")
"#;

#[test]
fn a_project_helper_that_forwards_to_one_op_call_is_undone_as_that_call() {
    // superset e0f6f91c2055: `create_table(...)` from superset.migrations.shared.utils.
    let root = std::env::temp_dir().join(format!("mrt-fix-imported-{}", std::process::id()));
    let shared = root.join("proj/migrations/shared");
    let versions = root.join("proj/migrations/versions");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(shared.join("utils.py"), SHARED_UTILS).unwrap();
    let src = "import sqlalchemy as sa\nfrom alembic import op\n\nfrom proj.migrations.shared.utils import add_columns, create_index, create_logged, create_table as make\n\nrevision = \"next\"\ndown_revision = None\n\n\ndef upgrade():\n    make(\n        \"user_favorite_tag\",\n        sa.Column(\"user_id\", sa.Integer(), nullable=False),\n        sa.ForeignKeyConstraint([\"user_id\"], [\"ab_user.id\"]),\n    )\n    create_index(\"user_favorite_tag\", index_name=\"ix_fav_user\", columns=[\"user_id\"])\n    add_columns(\"user_favorite_tag\", sa.Column(\"note\", sa.Text()))\n    create_logged(\"audit\", sa.Column(\"id\", sa.Integer()))\n\n\ndef downgrade():\n    pass\n";
    let path = versions.join("next.py");
    std::fs::write(&path, src).unwrap();
    let out = fix_source(&path.to_string_lossy(), src).unwrap();
    let new = out.new_source;
    let body = &new[new.rfind("def downgrade():\n").unwrap() + "def downgrade():\n".len()..];
    // Without `from alembic import op` the undo is a hint to import it.
    let no_op = src.replace("from alembic import op\n", "");
    std::fs::write(&path, &no_op).unwrap();
    let hint = fix_source(&path.to_string_lossy(), &no_op)
        .unwrap()
        .new_source;
    std::fs::remove_dir_all(&root).unwrap();
    assert!(
        hint.contains("# mrt fix: NOT REVERSED: make()\n    # mrt fix: make() of proj.migrations.shared.utils makes one op.create_table() call; this file\n"),
        "{hint}"
    );
    assert!(
        hint.contains("    # mrt fix:     op.drop_table(\"user_favorite_tag\")\n"),
        "{hint}"
    );
    assert_eq!(
        body,
        r#"    # mrt fix: NOT REVERSED: create_logged()
    # mrt fix: upgrade() calls create_logged(), defined outside this file; mrt cannot see what it
    # mrt fix: changes, so undo it here (e.g. call its counterpart).
    # mrt fix: NOT REVERSED: add_columns()
    # mrt fix: upgrade() calls add_columns(), defined outside this file; mrt cannot see what it
    # mrt fix: changes, so undo it here (e.g. call its counterpart).
    op.drop_index("ix_fav_user", table_name="user_favorite_tag")
    op.drop_table("user_favorite_tag")
"#
    );
}

#[test]
fn a_step_for_one_dialect_is_told_by_its_own_existing_type() {
    // airflow 0007 then 0017: the column was added as Text on MySQL and String elsewhere; the
    // replay has one state for every database, so on MySQL's branch the call's existing_type
    // says what the type was, not the chain (which last saw the String branch).
    let middle = "    if op.get_context().dialect.name == \"mysql\":\n        op.add_column(\"model_versions\", sa.Column(\"subdir\", sa.Text(length=2000), nullable=True))\n    else:\n        op.add_column(\"model_versions\", sa.Column(\"subdir\", sa.String(length=2000), nullable=True))\n";
    let body = fixed_on_chain(
        "dialect-alter",
        Some(middle),
        "    if op.get_context().dialect.name == \"mysql\":\n        op.alter_column(\"model_versions\", \"subdir\", existing_type=sa.Text(length=2000), type_=sa.String(length=2000), existing_nullable=True)\n",
    );
    assert!(
        body.starts_with("    if op.get_context().dialect.name in (\"mysql\", \"mariadb\"):\n        op.alter_column(\n            \"model_versions\",\n            \"subdir\",\n            type_=sa.Text(length=2000),\n            existing_type=sa.String(length=2000),\n"),
        "{body}"
    );
}

#[test]
fn a_history_in_nested_version_folders_is_read_whole() {
    // neutron keeps its revisions in `versions/<release>/<branch>/`: the parent of a file is
    // often in another folder under `versions`.
    let root = std::env::temp_dir().join(format!("mrt-nested-{}", std::process::id()));
    let (older, newer) = (
        root.join("versions/2023.2/expand"),
        root.join("versions/2024.1/expand"),
    );
    std::fs::create_dir_all(&older).unwrap();
    std::fs::create_dir_all(&newer).unwrap();
    std::fs::write(older.join("base.py"), BASE).unwrap();
    let src = "import sqlalchemy as sa\nfrom alembic import op\n\nrevision = \"next\"\ndown_revision = \"base\"\n\n\ndef upgrade():\n    op.drop_column(\"model_versions\", \"run_link\")\n\n\ndef downgrade():\n    pass\n";
    let path = newer.join("next.py");
    std::fs::write(&path, src).unwrap();
    let path = path.to_string_lossy().into_owned();
    let fixed = fix_source(&path, src).expect("fix").new_source;
    let explained = crate::toolbox::explain::explain_source(&path, src, &[]).unwrap();
    std::fs::remove_dir_all(&root).unwrap();
    // The column's definition comes from the base revision, in the other folder.
    assert!(fixed.contains("sa.String(500)"), "{fixed}");
    assert!(!explained.contains("MRT061"), "{explained}");
}
