use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;
use crate::scanner::state::{Event, Phase, Replay};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Replays the revision chain into a symbolic schema and flags a `downgrade()` that drops a
    /// table while another table still has a foreign key to it at that point.
    ///
    /// Only foreign keys the replay knows for certain count, and SQLite-only histories are
    /// left alone (SQLite does not check foreign keys on `DROP TABLE` unless asked to).
    ///
    /// ## Why is this bad?
    /// PostgreSQL and MySQL/MariaDB refuse to drop a table that a foreign key references: the
    /// rollback aborts half-way. The referencing table (or its foreign key) must go first.
    ///
    /// ## Example
    /// ```python
    /// def downgrade():
    ///     op.drop_table("registered_models")  # model_versions.name still references it
    ///     op.drop_table("model_versions")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.drop_table("model_versions")
    ///     op.drop_table("registered_models")
    /// ```
    pub struct DropReferencedTable;
}

pub(crate) fn check(g: &Graph<'_>, replay: &Replay, out: &mut Vec<(usize, Diagnostic)>) {
    for (i, event) in replay.known_events() {
        let Event::Referenced {
            phase: Phase::Downgrade,
            table,
            by,
            fk,
            range,
        } = event
        else {
            continue;
        };
        let fk = fk
            .as_ref()
            .map_or_else(String::new, |n| format!(" (foreign key '{n}')"));
        out.push((
            i,
            Diagnostic::new(
                Rule::DropReferencedTable,
                format!(
                    "downgrade() of '{}' drops table '{table}' while table '{by}' still references it{fk}: PostgreSQL and MySQL refuse",
                    g.migs[i].revision
                ),
                *range,
            )
            .with_fix(format!(
                "drop '{by}' (or its foreign key) before '{table}'"
            )),
        ));
    }
}
