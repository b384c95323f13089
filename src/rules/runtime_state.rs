//! Runtime state the application refills: signals in the schema itself that a dropped table
//! or column holds no records anyone keeps, so that a data-loss finding (MRT001, MRT002)
//! is a warning that says why. The migration's own words are [`super::derived_warning`];
//! these are for code that says nothing.
//!
//! Each signal is narrow on purpose and was checked against every judged finding of the
//! real corpora (`bench/judged_sample*.json`): a name alone is not enough where the same word
//! also names configuration (prefect's `work_pool_queue` is a user's work queue).
//! - A table with a heartbeat column (`last_heartbeat_time`) is a registry of live
//!   processes, which register again (prefect's `worker`).
//! - A table named a queue whose columns are only keys and timestamps holds pending work
//!   that points at rows kept elsewhere, not records of its own (prefect's
//!   `flow_run_notification_queue`).
//! - A column named a lock or a heartbeat (`dag.scheduler_lock`) is a flag or a time stamp
//!   the running application sets again; one named a hash (`dag_run.dag_hash`) is computed
//!   from other data (not a password's hash: that is the only copy).
//! - A table named a cache (`usercache`, `auth_cache`) holds copies the application makes
//!   again, and so do its columns (privacyidea 4238eac8ccab drops `usercache.realm`). A column
//!   named so (`enable_cache`) is a setting, not a cache.
//! - A table with the exact name another migration tool gives its version table
//!   (`migrate_version`, `south_migrationhistory`, `flyway_schema_history`, ...) records which
//!   of that tool's migrations ran: bookkeeping a project drops once it moved to Alembic.

use crate::diagnostic::{Diagnostic, Severity};
use crate::scanner::model::{ColumnSpec, Operation};

/// The `_`-separated words of a name, lower case.
fn words(name: &str) -> impl Iterator<Item = String> + '_ {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
}

/// A column that identifies or stamps a row: `id`, `*_id`, creation and update times.
fn key_or_timestamp(column: &str) -> bool {
    let c = column.to_ascii_lowercase();
    c == "id"
        || c.ends_with("_id")
        || matches!(
            c.as_str(),
            "created" | "updated" | "created_at" | "updated_at" | "created_on" | "changed_on"
        )
}

/// The columns `downgrade()` gives `table` when it creates it again.
fn recreated_columns<'d>(down: &'d [Operation], table: &str) -> Option<&'d [ColumnSpec]> {
    super::creation_of(down, table)
        .map(|i| down[i].columns.as_slice())
        .filter(|c| !c.is_empty())
}

/// Why the rows of `table` are runtime state, from the columns the downgrade recreates it
/// with; `None` when nothing says so.
pub(crate) fn table_reason(down: &[Operation], table: &str) -> Option<String> {
    let columns = recreated_columns(down, table)?;
    if let Some(beat) = columns
        .iter()
        .find(|c| words(&c.name).any(|w| w == "heartbeat"))
    {
        return Some(format!(
            "'{table}' has a heartbeat column ('{}'): a registry of live processes, which register again",
            beat.name
        ));
    }
    if words(table).last().as_deref() == Some("queue")
        && columns.iter().all(|c| key_or_timestamp(&c.name))
    {
        return Some(format!(
            "'{table}' is a queue whose columns are only keys and timestamps: pending work pointing at rows kept elsewhere"
        ));
    }
    None
}

/// Why `column` is runtime state or derived, from its name; `None` when nothing says so.
pub(crate) fn column_reason(column: &str) -> Option<String> {
    let ws: Vec<String> = words(column).collect();
    if let Some(word) = ws
        .iter()
        .find(|w| matches!(w.as_str(), "lock" | "heartbeat"))
    {
        return Some(format!(
            "'{column}' names a {word}: runtime state the application sets again, not data"
        ));
    }
    // A password's hash is the only copy of what it stands for: not derived.
    if ws.iter().any(|w| w == "hash")
        && !ws.iter().any(|w| {
            matches!(
                w.as_str(),
                "password" | "passwd" | "pwd" | "secret" | "token"
            )
        })
    {
        return Some(format!(
            "'{column}' names a hash: computed from other data, not data of its own"
        ));
    }
    None
}

/// Why the rows of `table` are copies the application makes again: it is named a cache.
pub(crate) fn cache_reason(table: &str) -> Option<String> {
    let name = table.to_ascii_lowercase();
    (name.ends_with("cache") || name.ends_with("caches"))
        .then(|| format!("'{table}' is named a cache: it holds copies the application makes again"))
}

/// The version tables other migration tools keep, and the tool: what they hold records which
/// of that tool's migrations ran, not the project's data.
const VERSION_TABLES: [(&str, &str); 7] = [
    ("migrate_version", "sqlalchemy-migrate"),
    ("south_migrationhistory", "South"),
    ("schema_migrations", "Rails, golang-migrate and dbmate"),
    ("flyway_schema_history", "Flyway"),
    ("goose_db_version", "goose"),
    ("databasechangelog", "Liquibase"),
    ("databasechangeloglock", "Liquibase"),
];

/// Why the rows of `table` are the bookkeeping of the migration tool a project used before:
/// it has the exact name that tool gives its version table (ckan 090 drops
/// sqlalchemy-migrate's `migrate_version`).
pub(crate) fn bookkeeping_reason(table: &str) -> Option<String> {
    let name = table
        .rsplit('.')
        .next()
        .unwrap_or(table)
        .trim_matches(['"', '`']);
    VERSION_TABLES
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(name))
        .map(|(t, tool)| {
            format!("'{t}' is the version table of {tool}: it records which of that tool's migrations ran, not the project's data")
        })
}

/// Make `d` a warning that says why the data is runtime state.
pub(crate) fn warn(d: &mut Diagnostic, why: &str) {
    if d.severity == Some(Severity::Warning) {
        return;
    }
    d.severity = Some(Severity::Warning);
    d.message.push_str(&format!("; but {why}"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::model::{OpKind, Origin};
    use ruff_text_size::TextRange;

    fn table(name: &str, columns: &[&str]) -> Operation {
        let mut op = Operation::new(OpKind::CreateTable, Origin::Op, TextRange::default());
        op.table = Some(name.to_string());
        op.columns = columns
            .iter()
            .map(|c| ColumnSpec {
                name: (*c).to_string(),
                ..ColumnSpec::default()
            })
            .collect();
        op
    }

    #[test]
    fn tables_named_a_cache_hold_copies() {
        assert!(cache_reason("usercache").is_some());
        assert!(cache_reason("auth_cache").is_some());
        assert!(cache_reason("query_caches").is_some());
        assert!(cache_reason("cached_report").is_none());
        assert!(cache_reason("step_run").is_none());
    }

    #[test]
    fn other_tools_version_tables_are_bookkeeping() {
        assert!(
            bookkeeping_reason("migrate_version")
                .unwrap()
                .contains("sqlalchemy-migrate")
        );
        assert!(bookkeeping_reason("public.\"schema_migrations\"").is_some());
        assert_eq!(bookkeeping_reason("version"), None);
        assert_eq!(bookkeeping_reason("document_version"), None);
        assert_eq!(bookkeeping_reason("alembic_version"), None);
    }

    #[test]
    fn heartbeat_registries_and_queues_of_keys_are_runtime_state() {
        let down = [table("worker", &["id", "name", "last_heartbeat_time"])];
        assert!(
            table_reason(&down, "worker")
                .unwrap()
                .contains("last_heartbeat_time")
        );
        let down = [table(
            "flow_run_notification_queue",
            &[
                "id",
                "created",
                "updated",
                "flow_run_notification_policy_id",
                "flow_run_state_id",
            ],
        )];
        assert!(table_reason(&down, "flow_run_notification_queue").is_some());
    }

    #[test]
    fn configuration_named_like_state_is_not() {
        // prefect's work queues are configuration: they have names and settings.
        let down = [table(
            "work_pool_queue",
            &["id", "name", "description", "priority"],
        )];
        assert_eq!(table_reason(&down, "work_pool_queue"), None);
        // A queue's name alone, or a table the downgrade does not recreate, says nothing.
        assert_eq!(table_reason(&[], "flow_run_notification_queue"), None);
        let down = [table("queue_settings", &["id", "created"])];
        assert_eq!(table_reason(&down, "queue_settings"), None);
        // Words, not substrings: `blockref` and `unlocked_at` are no lock.
        assert_eq!(column_reason("blockref"), None);
        assert_eq!(column_reason("unlocked_at"), None);
        assert_eq!(column_reason("work_pool_queue_id"), None);
        assert!(column_reason("scheduler_lock").is_some());
        assert!(column_reason("dag_hash").is_some());
        assert_eq!(column_reason("password_hash"), None);
        assert_eq!(column_reason("hashed_password"), None);
        assert_eq!(column_reason("hashtag"), None);
    }
}
