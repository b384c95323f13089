use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;
use crate::scanner::state::{Event, Phase, Replay};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Replays the revision chain and flags a `batch_alter_table` block that SQLite runs by
    /// copying its table, when the table holds a generated column (`sa.Computed`) that the
    /// block does not drop.
    ///
    /// With `recreate="auto"` (the default), Alembic copies the table on SQLite for every batch
    /// operation except `add_column`, `create_index` and `drop_index`: it creates the new table,
    /// then runs `INSERT INTO new (...) SELECT ... FROM old` over every column it keeps. A
    /// generated column is among them, and SQLite refuses: `cannot INSERT into generated
    /// column`. The migration fails on every SQLite database, empty or not (mlflow
    /// c8d9e0f1a2b3's downgrade drops a column of `spans`, whose `duration_ns` is generated).
    ///
    /// Revisions that target PostgreSQL or MySQL only, and blocks with `recreate="never"`, are
    /// not reported: no table is copied there.
    ///
    /// ## Why is this bad?
    /// `alembic upgrade` or `downgrade` stops with an error on SQLite, so the revision cannot
    /// be applied or rolled back there. Often the other dialects were tested and SQLite was not.
    ///
    /// ## Example
    /// ```python
    /// def downgrade():
    ///     with op.batch_alter_table("spans") as batch_op:
    ///         batch_op.drop_column("dimension_attributes")  # spans.duration_ns is generated
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     # Drop the generated column in the same block and add it back (mlflow 75868b020152).
    ///     with op.batch_alter_table("spans") as batch_op:
    ///         batch_op.drop_column("duration_ns")
    ///         batch_op.drop_column("dimension_attributes")
    ///         batch_op.add_column(
    ///             sa.Column("duration_ns", sa.BigInteger(), sa.Computed("end_time_unix_nano - start_time_unix_nano"))
    ///         )
    /// ```
    pub struct BatchCopiesGenerated;
}

pub(crate) fn check(_g: &Graph<'_>, replay: &Replay, out: &mut Vec<(usize, Diagnostic)>) {
    for (i, event) in replay.known_events() {
        let Event::BatchCopiesGenerated {
            phase,
            range,
            table,
            columns,
        } = event
        else {
            continue;
        };
        let function = match phase {
            Phase::Upgrade => "upgrade()",
            Phase::Downgrade => "downgrade()",
        };
        let names = columns
            .iter()
            .map(|c| format!("'{c}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let plural = if columns.len() == 1 { "" } else { "s" };
        out.push((
            i,
            Diagnostic::new(
                Rule::BatchCopiesGenerated,
                format!(
                    "{function} alters '{table}' in a batch that SQLite runs by copying the table, and the copy inserts into generated column{plural} {names}: SQLite refuses (cannot INSERT into generated column), so the migration fails on every SQLite database"
                ),
                *range,
            )
            .with_fix(format!(
                "drop the generated column{plural} {names} first in the same batch and add {} back after, with its sa.Computed(...)",
                if columns.len() == 1 { "it" } else { "them" }
            )),
        ));
    }
}
