use crate::diagnostic::{Diagnostic, Severity};
use crate::scanner::model::{same_name, MigrationAST, OpKind, Operation};

use super::{DjangoStep, GraphFindings, Rule};

declare_rule! {
    /// ## What it does
    /// Flags `upgrade()` code that drops a column: `op.drop_column(...)`, `batch.drop_column(...)`
    /// inside `batch_alter_table`, helper functions called from `upgrade()`, and
    /// `ALTER TABLE ... DROP COLUMN` in raw SQL.
    ///
    /// ## Why is this bad?
    /// The column's values are gone the moment the upgrade runs. A downgrade can add the column
    /// back, but only empty (or filled with a default): rolling back does not restore the data,
    /// even though `alembic downgrade` exits 0.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.drop_column("users", "phone")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # Release N: stop reading and writing users.phone (and back it up if it matters).
    /// # Release N+1, once no rollback past N is possible: drop it, and skip this revision in
    /// # the rollback test with a documented reason.
    /// ```
    ///
    /// Not reported when the data is followed and survives: the upgrade copies the values
    /// elsewhere first (`UPDATE t SET new = old`, `INSERT INTO t2 SELECT old FROM t`, or rows
    /// read and written back in Python, also read as columns of one table,
    /// `session.query(t.c.key, t.c.path)`, manila 56cdbe267881, or written through a lambda
    /// bound in the function, manila 2d708a9a3ba9) and `downgrade()` copies them back, also through a
    /// `WITH` query or a sub-select in `FROM` (indico 416f9c877300 moves `reservations.event_id`
    /// with `WITH moved AS (SELECT ...), links AS (INSERT ... SELECT ... FROM moved) UPDATE ...`
    /// and copies it back `FROM (SELECT id, event_id FROM reservation_links) l`), or no rollback
    /// claims them back (`downgrade()` raises, or, in OpenStack's contract migrations, does not
    /// exist: neutron 4ffceebfcdc moves `securitygroups.description` into
    /// `standardattributes`), or none removes them (`downgrade()` does nothing, which MRT005
    /// reports: pgadmin4 f656e56dfdc8 folds the SSL columns into `connection_params`); or the
    /// upgrade itself adds the column again and copies the values back (a column rebuilt
    /// through a scratch copy), or added it in the first place; or the column is replaced by a
    /// copy renamed to its name (the copy-swap of a type change); or `downgrade()`
    /// re-derives the values from other columns of the same rows that the upgrade keeps
    /// (`SET external_trigger = CASE WHEN run_type = 'manual' ...`, or that CASE split into
    /// UPDATEs that each set a value on the rows their WHERE picks, the column re-added with a
    /// server default for the rest, or a literal lookup table joined on such a column: `UPDATE
    /// sports AS s SET img = si.img FROM (VALUES ...) AS si(label, img) WHERE si.label =
    /// s.label`, fittrackee 080acc8ee956). A constant fill of every row is no restore. Rows read and
    /// written in Python include peewee models copied into the migration (fields declared,
    /// the table named by `Meta.table_name` or the class name lowercased), their rows read
    /// with `Model.select()` or through a generator of the file that yields them, and values
    /// computed from a row held in a variable first (quay 34c8ef052ec9 joins
    /// `external_registry`, `external_namespace` and `external_repository` into
    /// `external_reference` and its downgrade splits it back). Nor when a boolean column is kept in other data: the upgrade copies the rows
    /// with one value into another table, or encodes the value in another column of the row,
    /// and `downgrade()` re-adds the column with a server default and sets the other value on
    /// the rows it picks by that data (airflow 5a5d66100783 keeps `dataset.is_orphaned` as the
    /// rows of `asset_active`; indico ef7a8b2e6737 keeps `registered_only` as `access = 2`;
    /// rows read in Python, `select(t.c.id).where(t.c.flag == True)`, inserted one per row
    /// read and set back row by row from a read of every kept row count too). Nor when the
    /// chain shows the column is generated (`sa.Computed(...)`): the database computes its
    /// values from the row, so it holds none of its own.
    ///
    /// A warning, saying so, when `downgrade()` sets the column again from a column of another
    /// table the upgrade leaves alone, matched on a kept column of each row (`UPDATE members
    /// SET zone = (SELECT s.zone FROM services s WHERE s.host = members.host)`, or a loop over
    /// that table's rows, manila 03da71c0e321): the author holds it for a copy of that column;
    /// only values that differed from it are lost. A warning too when a boolean is kept as rows
    /// of another table and set back from them, as above, but re-added with no server
    /// default: the rows the upgrade did not pick come back NULL (open-webui 4de81c2a3af1
    /// keeps pinned notes as rows of `pinned_note`).
    ///
    /// Nor for a drop given a `Column` object, which raises before it drops anything (MRT018
    /// reports it), nor for a guarded drop (`try:`, `if has_column`) of a column the replayed
    /// chain shows the table does not have. Where MRT012 reports the same statement as an
    /// add + migrate + drop, its finding takes this one's place.
    ///
    /// ## Severity
    /// An error when `downgrade()` adds the column back (or calls code that may): it claims the
    /// old state, but the values are lost. Whether they mattered (a cache the application
    /// refills, a feature removed on purpose) needs the project's knowledge: skip the revision
    /// with a documented reason. A warning when the drop is conditional (`if has_column(...)`)
    /// and the downgrade does not bring the column back: a clean-up of leftovers that claims
    /// no restore. An unconditional drop the downgrade does not undo stays an error: the
    /// rollback then also leaves the old revision without its column.
    ///
    /// A warning, whose message quotes why, when the migration says the data is derived: a
    /// comment at the statement, or a comment or the docstring of the function it is in that
    /// speaks of the data, saying it is regenerated, re-populated, re-filled, recomputed, a cache,
    /// transient or not worth keeping (airflow 29ce7909c52b: "We decided to not migrate/correct
    /// the data for task_reschedule as we decided the time to do it wasn't worth it"; airflow 15d84ca19038: "The asset_watcher table will be
    /// populated automatically by the DAG parsing process"). A sentence that negates ("cannot
    /// be regenerated", "not a cache") says nothing and the error stays.
    ///
    /// A warning too when an earlier `DELETE` of the upgrade removed every row where the column
    /// was set (`DELETE FROM t WHERE c IS NOT NULL OR d IS NOT NULL`) and nothing wrote the table
    /// since: the column is empty when dropped, and the message points at the deleted rows,
    /// which are the loss (fides 81226042d7d4).
    ///
    /// A warning too when the column's name says it is runtime state the application sets
    /// again: a lock or a heartbeat (airflow 486ac7936b78 drops the flag `dag.scheduler_lock`),
    /// or a hash computed from other data (airflow 2b47dc6bc8df drops `dag_run.dag_hash`; a
    /// password's hash stays an error).
    /// Whole words only: `work_pool_queue_id` or `unlocked_at` are not. And when its table is
    /// named a cache (`usercache`, `auth_cache`): the rows are copies the application makes
    /// again (privacyidea 4238eac8ccab drops `usercache.realm`).
    ///
    /// A warning too when the chain shows the column to be derived: an upgrade added it empty
    /// (no server default) and every value any upgrade wrote into it was computed from other
    /// columns (`UPDATE t SET has_data = (data IS NOT NULL)`, `INSERT INTO artifact
    /// (task_run_state_id) SELECT id FROM task_run_state`), and those columns still exist when
    /// it is dropped (prefect f92143d30c25 adds `has_data` for its artifact migration and
    /// f92143d30c27 drops it). The values the application wrote afterwards are not visible in
    /// the migrations: the message names the sources so that a reviewer can check. A value
    /// written from a literal, a bound parameter or rows read in Python is no known source,
    /// and the column stays an error.
    ///
    /// A warning too when the revision that added the column empty says in its message that
    /// it materializes or denormalizes it (superset e46f2d27a08e, "materialize perms", adds
    /// `dbs.perm`, which a72cb0ebeb22 drops), and no migration wrote it since: a stored copy
    /// of what the application computes from other data. The message must name the column.
    ///
    /// A warning too when an earlier revision copied the column's values as they were into
    /// a column it had added empty, on the same rows or into another table with each row's
    /// primary key beside them (`INSERT INTO translation (config_id, title) SELECT id, title
    /// FROM config`, fides 14acee6f5459), and that column still exists: the
    /// expand step of an expand/contract change, this revision being the contract (superset
    /// 33d996bcc382 copies `slices.druid_datasource_id` and `table_id` into `datasource_id`
    /// in an ORM loop, 3b626e2a6783 drops them). Rolling this revision back keeps the copy;
    /// only values the application wrote into the old column after the copy are lost, and
    /// the message names the copy and its revision so that a reviewer can check. A value
    /// computed from the column (`SET has_data = (data IS NOT NULL)`), a copy of the rows
    /// some other column picks (`WHERE kind = 'table'`), a copy dropped first, or one this
    /// revision drops too (its rollback brings both back empty) keep the error.
    ///
    /// A warning too, in a Django project, when the models had given the column up before:
    /// an earlier migration removed the field in the `state_operations` of a
    /// `SeparateDatabaseAndState` and left the column in the database, and this `RunSQL`
    /// drops it (saleor payment 0043 takes `transactionevent.name` out of the model, 0050
    /// drops the column). That is the two-step removal recommended above: the code of the
    /// migration before this one no longer reads the column, and only a rollback past the
    /// first step needs its values. The message names that migration. A column the same
    /// operation takes out of the state is a one-step removal and stays an error.
    pub struct DropColumn;
}

/// What MRT001 adds to its message when the dropped column's values were computed from others.
pub(crate) fn computed_from(
    graph: &crate::scanner::graph::Graph<'_>,
    created_by: usize,
    from: &[(String, String)],
) -> String {
    let (names, revision) = super::derived_sources(graph, created_by, from, |(t, c)| format!("{t}.{c}"));
    format!(
        "; but every value the migrations wrote into it was computed from {names} (it was added empty by {revision}), and those columns still exist"
    )
}

/// What MRT001 adds to its message when the revision that added `column` empty (`created_by`),
/// none writing it since, says in its message that it materializes or denormalizes it
/// (superset e46f2d27a08e "materialize perms" adds `dbs.perm`); `None` when it does not.
pub(crate) fn materialized(
    graph: &crate::scanner::graph::Graph<'_>,
    created_by: usize,
    column: &str,
) -> Option<String> {
    let title = &graph.migs.get(created_by)?.title;
    crate::scanner::notes::materializes(title, column).then(|| {
        format!(
            "; but {} added it empty as a computed copy (\"{}\") and no migration wrote it since: the application computes its values from data that stays",
            super::revision_name(graph, created_by),
            title.trim()
        )
    })
}

/// What MRT001 adds to its message when an earlier revision (`copied_by`) copied the dropped
/// column's values as is into `into`, which the rollback of this revision keeps.
pub(crate) fn values_copied(
    graph: &crate::scanner::graph::Graph<'_>,
    copied_by: usize,
    into: &(String, String),
) -> String {
    let revision = super::revision_name(graph, copied_by);
    values_kept(revision, &format!("{}.{} (added empty for them)", into.0, into.1), "revision")
}

/// The note MRT001 and MRT040 add when an earlier step (`by`) copied the dropped values as
/// they were into `into`, which rolling back this `step` ("revision", "migration") keeps.
pub(crate) fn values_kept(by: &str, into: &str, step: &str) -> String {
    format!(
        "; but {by} copied its values as they were into {into}, which still exists: rolling this {step} back keeps them there, and only values written since that copy are lost"
    )
}

/// The column (`table.column`) that the upgrade adds to `table` as NOT NULL with neither a
/// server default nor a backfill: on a table with rows the upgrade fails on SQLite and
/// PostgreSQL before anything is lost (prefect c8ff35f94028 drops `block.blockref` in the
/// batch that adds `block_spec_id`).
fn needs_empty_table(m: &MigrationAST, up: &[Operation], table: &str) -> Option<String> {
    if m.creates_table(table) {
        return None;
    }
    // An UPDATE of the table, or SQL the scanner could not read, may be the backfill.
    let backfilled = up.iter().any(|u| match u.kind {
        OpKind::Update => u.table.as_deref().is_none_or(|t| same_name(t, table)),
        OpKind::Execute => u.sql_error.is_some(),
        _ => false,
    });
    if backfilled {
        return None;
    }
    up.iter()
        .filter(|u| u.kind == OpKind::AddColumn && u.table.as_deref().is_some_and(|t| same_name(t, table)))
        .flat_map(|u| &u.columns)
        .find(|c| c.fails_on_filled_table())
        .map(|c| format!("{table}.{}", c.name))
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let up = m.upgrade_ops();
    let down = m.downgrade_ops();
    // A drop given a `Column` object raises before it drops anything (MRT018).
    for (i, op) in up.iter().enumerate().filter(|(_, op)| op.kind == OpKind::DropColumn && !op.column_object) {
        // A table created or emptied earlier in this upgrade has no data in the column.
        if super::nothing_to_lose(up, i, op.table.as_ref()) {
            continue;
        }
        if let (Some(t), Some(c)) = (&op.table, &op.column)
            && super::column_kept(m, up, down, i, t, c)
        {
            // The values were moved, and the downgrade copies them back (or the column is
            // the copy-swap of a type change): nothing is lost.
            continue;
        }
        // Dropped only if present (`if has_table(...)`), and the downgrade does not bring it
        // back: a clean-up of leftovers, which claims no restore of these rows.
        let claimed = op.table.as_deref().is_some_and(|t| super::downgrade_recreates(down, t, op.column.as_deref()));
        out.push(
            Diagnostic::new(
                Rule::DropColumn,
                format!(
                    "upgrade() drops column {}: its data is lost and {}",
                    op.target(),
                    super::no_downgrade_to(m, "a downgrade can only bring the column back empty")
                ),
                op.range,
            )
            .with_fix("stop using the column first and drop it in a later release; skip the revision with a documented reason if the loss is intended"),
        );
        if op.guarded
            && !claimed
            && let Some(d) = out.last_mut()
        {
            d.severity = Some(Severity::Warning);
        }
        if let Some(d) = out.last_mut()
            && let Some(added) = op.table.as_deref().and_then(|t| needs_empty_table(m, up, t))
        {
            d.severity = Some(Severity::Warning);
            d.message.push_str(&format!(
                "; but the same upgrade adds NOT NULL column {added} without a default (MRT020), so on SQLite and PostgreSQL it only runs on an empty table, with nothing to lose (MySQL fills a default and loses the values)"
            ));
        }
        if let Some(d) = out.last_mut()
            && let (Some(t), Some(c)) = (&op.table, &op.column)
            && let Some(delete) = emptied_by_delete(up, i, t, c)
        {
            d.severity = Some(Severity::Warning);
            d.message.push_str(&format!(
                "; but an earlier DELETE FROM {} removed every row where it was set: the column holds nothing by then, and the loss is those rows, which no downgrade brings back",
                delete.table.as_deref().unwrap_or(t)
            ));
        }
        if let Some(d) = out.last_mut()
            && let (Some(t), Some(c)) = (&op.table, &op.column)
            && let Some(rows) = pinned_by_rows(up, down, i, t, c)
        {
            d.severity = Some(Severity::Warning);
            d.message.push_str(&format!(
                "; but the upgrade keeps the rows it picked by it as rows of '{rows}', and downgrade() sets it again on each row those name: the other rows come back NULL, not with their old value"
            ));
        }
        if let Some(d) = out.last_mut()
            && let (Some(t), Some(c)) = (&op.table, &op.column)
            && let Some(source) = rejoined_from(up, down, t, c)
        {
            d.severity = Some(Severity::Warning);
            d.message.push_str(&format!(
                "; but downgrade() sets it again from {source}, matched on each row: if it was a copy of that, the rollback restores it; values that differed from it are lost"
            ));
        }
        if let Some(d) = out.last_mut() {
            super::derived_warning(op, d);
            let why = op.column.as_deref().and_then(super::runtime_state::column_reason);
            if let Some(why) = why.or_else(|| op.table.as_deref().and_then(super::runtime_state::cache_reason)) {
                super::runtime_state::warn(d, &why);
            }
        }
    }
}

/// A boolean kept as rows of another table ([`super::kept_as_rows`]) and set again from them
/// by `downgrade()` ([`super::set_from_rows`]), re-added with no server default: the rows
/// the upgrade picked get their value back, the others NULL. That table's name.
fn pinned_by_rows<'o>(
    up: &'o [Operation],
    down: &[Operation],
    at: usize,
    table: &str,
    column: &str,
) -> Option<&'o str> {
    let rows = super::kept_as_rows(up, at, table, column);
    (!rows.is_empty()
        && super::re_added(down, table, column, super::is_boolean)
        && super::set_from_rows(down, table, column, &rows))
    .then(|| rows[0])
}

/// Does `downgrade()` set `table.column` again from a column of another table the upgrade
/// leaves alone (neither creates, drops nor writes), matched on a kept column of each row (`UPDATE members SET
/// share_type_id = si.share_type_id ... WHERE members.share_instance_id = si.id`, manila
/// 03da71c0e321 in a loop over `share_instances`)? Then the column was a copy of that one
/// (denormalized), as far as the migration's author knows: `other_table.column`.
fn rejoined_from(up: &[Operation], down: &[Operation], table: &str, column: &str) -> Option<String> {
    // A table the upgrade creates, drops, renames or writes rows into is where the values
    // may have been moved: the copy-back rules judge that, not this one.
    let touched = |t: &str| {
        up.iter().any(|u| {
            matches!(
                u.kind,
                OpKind::CreateTable
                    | OpKind::DropTable
                    | OpKind::RenameTable
                    | OpKind::Insert
                    | OpKind::Update
                    | OpKind::Delete
                    | OpKind::BulkInsert
            ) && u.table.as_deref().is_some_and(|ut| same_name(ut, t))
        })
    };
    // The downgrade may rename the table back first (manila 03da71c0e321 renames
    // `share_group_snapshot_members` to `cgsnapshot_members`, then fills it).
    let mut names = vec![table.to_string()];
    for d in down.iter().filter(|d| d.kind == OpKind::RenameTable) {
        if let (Some(old), Some(new)) = (&d.table, &d.new_name)
            && names.iter().any(|n| same_name(n, old))
        {
            names.push(new.clone());
        }
    }
    let ours = |t: &str| names.iter().any(|n| same_name(n, t));
    let sets_it = |d: &&Operation| d.kind == OpKind::Update && names.iter().any(|n| d.writes_column(n, column));
    down.iter().filter(sets_it).find_map(|d| {
        let mine = |(t, _): &&(String, String)| ours(t);
        // Matched on a kept column of the row: a WHERE of the statement (Core), or, in SQL,
        // a column named with its table (`WHERE s.host = members.host`); a bare name read in
        // a sub-select may be any table's.
        let kept = |c: &str| c != "*" && !same_name(c, column);
        let sql = d.sql.as_deref().unwrap_or("").to_ascii_lowercase();
        let keyed = d.filter_reads.iter().filter(mine).any(|(_, c)| kept(c))
            || d.reads.iter().filter(mine).any(|(t, c)| {
                kept(c) && sql.contains(&format!("{t}.{c}").to_ascii_lowercase())
            });
        let own_value = d.reads.iter().filter(mine).any(|(_, c)| c == "*" || same_name(c, column));
        let (other, other_column) = d.reads.iter().find(|(t, c)| !ours(t) && c != "*")?;
        let others_kept = d.reads.iter().chain(&d.filter_reads).all(|(t, _)| ours(t) || !touched(t));
        (keyed && !own_value && others_kept).then(|| format!("{other}.{other_column}"))
    })
}

/// A `DELETE FROM t WHERE c IS NOT NULL [OR d IS NOT NULL ...]` earlier in the upgrade, with
/// nothing writing `t` in between: every row left has `c` NULL, so dropping `c` loses nothing
/// more; the rows the DELETE removed are the loss (fides 81226042d7d4 deletes the consent
/// records saved against a purpose, vendor or system, then drops those columns).
fn emptied_by_delete<'a>(up: &'a [Operation], at: usize, table: &str, column: &str) -> Option<&'a Operation> {
    // What only runs in offline mode empties nothing for the online drop.
    let offline = up[at].offline;
    for o in up[..at].iter().rev().filter(|o| offline || !o.offline) {
        // SQL we could not read, or code we cannot see, may have written the table.
        if o.table.is_none() && (matches!(o.kind, OpKind::Call | OpKind::Other) || o.sql_error.is_some()) {
            return None;
        }
        if !o.table.as_deref().is_some_and(|t| same_name(t, table)) {
            continue;
        }
        if o.kind == OpKind::Delete && !o.guarded && o.nulled.iter().any(|c| same_name(c, column)) {
            return Some(o);
        }
        if !o.writes.is_empty() || matches!(o.kind, OpKind::Insert | OpKind::Update | OpKind::BulkInsert | OpKind::Execute | OpKind::Other | OpKind::RenameColumn) {
            return None;
        }
    }
    None
}

/// A Django `RunSQL` that drops a column the models had already given up: an earlier
/// migration removed the field in the `state_operations` of a `SeparateDatabaseAndState` and
/// left the column in the database (saleor payment 0043 takes `transactionevent.name` out of
/// the model, 0050 drops the column). The code of the migration before this one no longer
/// reads it: this is the second step of the two-step removal, a warning that names the first.
pub(crate) fn check_state(s: &DjangoStep<'_>, out: &mut GraphFindings) {
    for (table, left_in_db) in s.run_sql_left_in_db() {
        for left in left_in_db.iter().filter(|l| !l.column.is_empty()) {
            out.demoted_named.push((
                s.node,
                Rule::DropColumn,
                s.step.range,
                format!("column {table}.{}:", left.column),
                format!(
                    "; but the model had already dropped the field: {} {} removed it from Django's state only (SeparateDatabaseAndState), so the code of the migration before this one no longer reads the column; this is the second step of a two-step removal, and only a rollback past {} needs the values",
                    left.app, left.migration, left.migration
                ),
            ));
        }
    }
}
