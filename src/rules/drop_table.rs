use crate::diagnostic::{Diagnostic, Severity};
use crate::scanner::model::{same_name, MigrationAST, OpKind, Operation};
use crate::scanner::state::usable;

use super::{DjangoStep, GraphFindings, Rule};

declare_rule! {
    /// ## What it does
    /// Flags `upgrade()` code that drops a table: `op.drop_table(...)` or `DROP TABLE` in raw SQL.
    ///
    /// ## Why is this bad?
    /// Every row of the table is deleted. A downgrade that recreates the table brings back an
    /// empty table, so a rollback silently loses all of its data.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.drop_table("audit_log")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def upgrade():
    ///     op.rename_table("audit_log", "audit_log_archived")  # drop it in a later release
    /// ```
    ///
    /// Not reported for `_alembic_tmp_*`, the scratch table Alembic's batch mode builds on
    /// SQLite, which a failed run leaves behind (open-webui 1af9b942657b drops
    /// `_alembic_tmp_tag` before its own batch). Not reported either when the rows are followed
    /// and survive: a rebuild that copies the table, drops it and renames the copy to its
    /// name (also a copy through Python: rows fetched, then inserted one by one, open-webui
    /// 374d2f66af06), or a table rebuilt in place (rows fetched, the table dropped and created
    /// again under its name, the rows inserted back: pgadmin4 ac2c2e27dc2d), or rows copied
    /// into another table that `downgrade()` copies back, or that stay there because
    /// `downgrade()` raises or does nothing (dagster 567bc23fd1ac moves `event_log` into
    /// `event_logs` in a base revision that cannot be rolled back; a `pass` downgrade is MRT005's
    /// finding). Copies written by ORM
    /// code over the models declared in the migration file count too: `row.col =
    /// row.related[0].col` in a loop over `session.query(Model)`, and
    /// `session.add(Model(col=row.col))` (superset af30ca79208f moves each alert's observer
    /// into `alerts` and its downgrade re-creates the observers). Nor when nothing is left to
    /// lose: the upgrade created the table, emptied it (`DELETE` with no `WHERE`, `TRUNCATE`),
    /// or runs the drop only when a count found no rows (`n = conn.execute(text("SELECT
    /// COUNT(*) FROM related")).fetchone()`, then `if n[0] > 0: return`, ckan 083), or drops a
    /// table each of whose rows needs a row of such an empty table: the downgrade declares it
    /// with a foreign key on NOT NULL columns to it (ckan 083's `related_dataset.related_id`;
    /// on SQLite this trusts that foreign keys were enforced). Nor
    /// for a guarded drop (`IF EXISTS`, `try:`, `if has_table`, `drop_all` with its check) of a
    /// table the replayed chain shows is not there: no revision created it, or one dropped it
    /// (ckan 090 drops `migrate_version`, the version table of the tool used before Alembic,
    /// `IF EXISTS`). Nothing of the chain's is dropped.
    ///
    /// ## Severity
    /// An error when `downgrade()` creates the table again (or calls code that may): it claims
    /// the old state, but the rows are gone. A warning when the drop is conditional and the
    /// downgrade does not bring the table back (superset f92a3124dd66 drops leftover tables of
    /// removed features behind `if table in tables:` and its downgrade is `pass`): a clean-up
    /// that claims no restore. An unconditional drop the downgrade does not undo stays an
    /// error: the rollback then also leaves the old revision without its table. A warning
    /// that quotes why when the migration says the rows are derived (see MRT001).
    ///
    /// A warning too when the chain shows the table to be derived: an upgrade created it
    /// empty and every row any upgrade wrote into it was copied from other tables (`INSERT
    /// ... SELECT`, or rows read and written back in Python), and those tables still exist
    /// when it is dropped (superset's `sl_*` tables, a shadow copy of `tables`, `table_columns`
    /// and `sql_metrics` that a9422eeaae74 filled and later revisions drop). The rows the
    /// application wrote into it afterwards are not visible in the migrations: the message
    /// names the sources so that a reviewer can check. Calls to code defined elsewhere are
    /// not followed.
    ///
    /// A warning too when the chain shows the table to be a lookup table the migrations seed:
    /// an upgrade created it empty, every row any upgrade wrote into it was a literal row of a
    /// `bulk_insert`, and the downgrade creates it again and inserts the same rows in the same
    /// order (quay d17c695859ea drops `tagkind`, seeded with `tag`, `release` and `channel` by
    /// 7a525c68eb13, and its downgrade seeds it again). Only rows the application added are
    /// lost, and the migrations do not show whether it adds any. Some of the rows, or rows
    /// written any other way, keep the error.
    ///
    /// A warning too when an earlier revision copied every row of the table, all its
    /// columns as they were (`INSERT INTO copy SELECT * FROM t`, no WHERE), into a table
    /// created empty for them, and that copy still exists: the expand step of an
    /// expand/contract change, this revision being the contract (quay 5d463ea1e8a8 copies
    /// `blob`, `manifest` and five more into the `appr*` tables through its helper
    /// `copy_table_contents`, and d17c695859ea drops them). Rolling this revision back keeps
    /// the copy; only rows the application wrote into the old table after it are lost, and
    /// the message names the copy and its revision. A copy of some rows or some columns
    /// keeps the error.
    ///
    /// A warning when the table the downgrade recreates is runtime state the application
    /// refills: it has a heartbeat column (prefect's `worker`, a registry of live workers with
    /// `last_heartbeat_time`), or it is named a queue and holds only keys and timestamps
    /// (prefect's `flow_run_notification_queue`: pending notifications pointing at policies
    /// and states). A queue with settings of its own (prefect's `work_pool_queue`: name,
    /// priority, concurrency) is configuration, and its drop stays an error. A table named a
    /// cache (`usercache`, `auth_cache`) is a warning too: its rows are copies the application
    /// makes again. So is the version table of the migration tool a project used before,
    /// known by its exact name (`migrate_version` of sqlalchemy-migrate, `south_migrationhistory`,
    /// `flyway_schema_history`, ...): it records which of that tool's migrations ran (ckan 090
    /// drops `migrate_version` on databases that came from sqlalchemy-migrate).
    ///
    /// A warning that names where the rows went when the upgrade converted them before the
    /// drop: it reads every row of the table (a `SELECT` with no WHERE, join or limit), then
    /// inserts rows built from them into another table that it did not create (the version
    /// before already has it) and that the downgrade neither drops nor deletes from (prefect
    /// 7655f31c5157 turns each `flow_run_notification_policy` into an `automation`). After a
    /// rollback the data is still there, in the form the newer version gave it; what the
    /// downgrade lacks is the conversion back. Rows moved into a table the same upgrade
    /// creates, or that the downgrade drops, stay an error (prefect b75d279ba985 moves block
    /// names into `block_type`, which its downgrade drops).
    ///
    /// A warning, in a Django project, when the models had given the table up before: an
    /// earlier migration deleted the model (or removed the many-to-many field whose table
    /// Django made) in the `state_operations` of a `SeparateDatabaseAndState`, and this
    /// `RunSQL` drops the table (saleor discount 0054 takes the `Sale` models out of the
    /// state, 0055 drops their tables): the code of the migration before this one no longer
    /// reads it, and the message names the first step (see MRT001).
    pub struct DropTable;
}

/// What MRT002 adds to its message when the dropped table's rows were copies.
pub(crate) fn copied_from(
    graph: &crate::scanner::graph::Graph<'_>,
    created_by: usize,
    from: &[String],
) -> String {
    let (names, revision) = super::derived_sources(graph, created_by, from, |f| format!("'{f}'"));
    format!(
        "; but every row the migrations wrote into it was copied from {names} (it was created empty by {revision}), and those tables still exist"
    )
}

/// What MRT002 adds to its message when an earlier revision (`copied_by`) copied every row
/// of the dropped table into `into`, which the rollback of this revision keeps.
pub(crate) fn rows_copied(
    graph: &crate::scanner::graph::Graph<'_>,
    copied_by: usize,
    into: &str,
) -> String {
    let revision = super::revision_name(graph, copied_by);
    format!(
        "; but {revision} copied all its rows as they were into '{into}' (created empty for them), which still exists: rolling this revision back keeps them there, and only rows written since that copy are lost"
    )
}

/// What MRT002 adds to its message when the dropped table held only the literal rows the
/// migrations seeded it with (`seeds`, since `created_by` created it) and the downgrade
/// creates it again and inserts the same rows, in the same order. `None` otherwise.
pub(crate) fn seeded_again(
    graph: &crate::scanner::graph::Graph<'_>,
    m: &MigrationAST,
    table: &str,
    created_by: usize,
    seeds: &[String],
) -> Option<String> {
    let down = super::active_downgrade(m)?;
    let recreated = super::creation_of(down, table)?;
    let mut again = Vec::new();
    for o in &down[recreated + 1..] {
        let on_table = o.table.as_deref().is_some_and(|t| same_name(t, table));
        if o.kind == OpKind::BulkInsert && on_table && !o.guarded {
            again.push(o.literal_row_values.clone()?);
        } else if on_table && (!o.writes.is_empty() || matches!(o.kind, OpKind::Delete | OpKind::DropTable | OpKind::Truncate)) {
            return None;
        }
    }
    if again != seeds {
        return None;
    }
    let revision = super::revision_name(graph, created_by);
    Some(format!(
        "; but every row the migrations wrote into it is a literal row of a bulk_insert (it was created by {revision} and seeded there), and the downgrade inserts the same rows again: only rows the application added are lost"
    ))
}

/// The tables the upgrade converted every row of `table` into before dropping it at `at`: a
/// statement reads the whole table, and later ones insert rows (built in Python from what it
/// read) into a table the upgrade did not create and the downgrade does not drop or delete
/// from. Empty when there is none.
fn converted_into<'a>(m: &MigrationAST, up: &'a [Operation], down: &[Operation], at: usize, table: &str) -> Vec<&'a str> {
    let before = &up[..at.min(up.len())];
    let Some(read) = before.iter().position(|o| super::reads_every_row(o, table)) else {
        return Vec::new();
    };
    let kept = |target: &str| {
        !m.creates_table(target)
            && !down.iter().any(|d| {
                matches!(
                    d.kind,
                    OpKind::DropTable | OpKind::Truncate | OpKind::Delete | OpKind::RenameTable
                ) && d.table.as_deref().is_none_or(|x| same_name(x, target))
            })
    };
    let mut into: Vec<&str> = Vec::new();
    for o in &before[read + 1..] {
        if o.kind == OpKind::Insert
            && !o.writes.is_empty()
            && !o.literal_rows
            && let Some(target) = o.table.as_deref()
            && !same_name(target, table)
            && usable(o.table.as_ref()).is_some()
            && kept(target)
            && !into.iter().any(|t| same_name(t, target))
        {
            into.push(target);
        }
    }
    into
}

/// Every row of `table` references a row of a table with nothing in it at `at`: the
/// downgrade, which restores the table as it was, gives it a foreign key on NOT NULL columns
/// to a table [`super::nothing_to_lose`] shows empty there (ckan 083 counts `related`, returns
/// when it has rows, then drops `related_dataset`, whose `related_id` is a NOT NULL key to
/// it). A nullable key, or one the downgrade does not declare, says nothing.
fn needs_rows_of_empty(up: &[Operation], down: &[Operation], at: usize, table: &str) -> bool {
    use crate::scanner::model::ConstraintKind;
    let Some(created) = super::creation_of(down, table).map(|i| &down[i]) else {
        return false;
    };
    let not_null = |column: &str| {
        created.columns.iter().any(|c| {
            same_name(&c.name, column) && (c.nullable == Some(false) || c.primary_key)
        })
    };
    let inline = created
        .columns
        .iter()
        .filter_map(|c| Some((vec![c.name.clone()], c.fk_table.clone()?)));
    let declared = created
        .constraints
        .iter()
        .chain(
            down.iter()
                .filter(|d| {
                    d.kind == OpKind::CreateForeignKey
                        && d.table.as_deref().is_some_and(|t| same_name(t, table))
                })
                .flat_map(|d| d.constraints.iter()),
        )
        .filter(|k| k.kind == ConstraintKind::ForeignKey)
        .filter_map(|k| Some((k.columns.clone(), k.ref_table.clone()?)));
    inline.chain(declared).any(|(columns, parent)| {
        !columns.is_empty()
            && columns.iter().all(|c| not_null(c))
            && !same_name(&parent, table)
            && super::nothing_to_lose(up, at, Some(&parent))
    })
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let up = m.upgrade_ops();
    let down = m.downgrade_ops();
    for (i, op) in up.iter().enumerate().filter(|(_, op)| op.kind == OpKind::DropTable) {
        // A scratch table created (or a table emptied) earlier in this upgrade holds nothing a
        // rollback could lose.
        if super::nothing_to_lose(up, i, op.table.as_ref())
            || op.table.as_deref().is_some_and(|t| needs_rows_of_empty(up, down, i, t))
        {
            continue;
        }
        // Alembic's own scratch table of a batch operation, left behind by a failed run
        // (open-webui 1af9b942657b clears `_alembic_tmp_tag` first): no data of the project.
        if op.table.as_deref().is_some_and(|t| {
            t.trim_matches(['"', '`']).to_ascii_lowercase().starts_with("_alembic_tmp_")
        }) {
            continue;
        }
        // A downgrade that raises, does nothing, or none at all: no rollback claims the rows
        // back, so rows moved elsewhere first are kept where they went.
        let stays = super::moved_data_stays(m);
        if let Some(t) = &op.table
            && (super::table_swapped_in(up, i, t)
                || super::table_rebuilt_in_place(up, i, t)
                || super::table_copied_out(up, i, t) && (stays || super::restores_table(down, t)))
        {
            // A table rebuild (copy, drop, rename the copy), or rows moved and copied back.
            continue;
        }
        // Dropped only if present (`if has_table(...)`), and the downgrade does not bring it
        // back: a clean-up of leftovers, which claims no restore of these rows.
        let claimed = op.table.as_deref().is_some_and(|t| super::downgrade_recreates(down, t, None));
        out.push(
            Diagnostic::new(
                Rule::DropTable,
                format!(
                    "upgrade() drops table {}: every row is lost and {}",
                    super::q(op.table.as_ref()),
                    super::no_downgrade_to(m, "a downgrade can only recreate it empty")
                ),
                op.range,
            )
            .with_fix("rename the table aside and drop it in a later release, or skip the revision with a documented reason"),
        );
        if op.guarded
            && !claimed
            && let Some(d) = out.last_mut()
        {
            d.severity = Some(Severity::Warning);
        }
        if let Some(d) = out.last_mut() {
            super::derived_warning(op, d);
            let why = op.table.as_deref().and_then(|t| {
                super::runtime_state::table_reason(down, t)
                    .or_else(|| super::runtime_state::cache_reason(t))
                    .or_else(|| super::runtime_state::bookkeeping_reason(t))
            });
            if let Some(why) = why {
                super::runtime_state::warn(d, &why);
            }
            let into = op.table.as_deref().map(|t| converted_into(m, up, down, i, t)).unwrap_or_default();
            if !into.is_empty() {
                let names: Vec<String> = into.iter().map(|t| format!("'{t}'")).collect();
                d.severity = Some(Severity::Warning);
                d.message.push_str(&format!(
                    "; but the upgrade first read every row and inserted rows built from them into {}, which the version before already has and the downgrade keeps: the data is converted, not lost, and only the conversion back is missing",
                    names.join(", ")
                ));
            }
        }
    }
}

/// A Django `RunSQL` that drops a table the models had already given up: an earlier migration
/// deleted the model (or removed a many-to-many field, whose table Django made) in the
/// `state_operations` of a `SeparateDatabaseAndState` and left the table in the database
/// (saleor discount 0054 takes the `Sale` models out of the state, 0055 drops their tables).
/// The code of the migration before this one no longer reads it: a warning that names the
/// first step.
pub(crate) fn check_state(s: &DjangoStep<'_>, out: &mut GraphFindings) {
    for (table, left_in_db) in s.run_sql_left_in_db() {
        if let Some(left) = left_in_db.iter().find(|l| l.column.is_empty()) {
            out.demoted_named.push((
                s.node,
                Rule::DropTable,
                s.step.range,
                format!("table '{table}'"),
                format!(
                    "; but the models had already given it up: {} {} removed it from Django's state only (SeparateDatabaseAndState), so the code of the migration before this one no longer reads the table; this is the second step of a two-step removal, and only a rollback past {} needs the rows",
                    left.app, left.migration, left.migration
                ),
            ));
        }
    }
}
