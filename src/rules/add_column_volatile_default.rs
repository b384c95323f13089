use crate::diagnostic::Diagnostic;
use crate::scanner::model::{MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags a column added to an existing table with a *volatile* server default: `now()`,
    /// `CURRENT_TIMESTAMP`, `random()`, `gen_random_uuid()`, `uuid_generate_v4()`,
    /// `clock_timestamp()`, `nextval(...)`.
    ///
    /// ## Why is this bad?
    /// Since PostgreSQL 11 a constant default is stored once and the column is added instantly.
    /// A volatile default must be computed per row, so the whole table is rewritten under an
    /// exclusive lock (on PostgreSQL < 11 and on MySQL any default rewrites the table).
    ///
    /// ## Example
    /// ```python
    /// op.add_column("events", sa.Column("uid", UUID, server_default=sa.text("gen_random_uuid()")))
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// op.add_column("events", sa.Column("uid", UUID, nullable=True))
    /// # backfill in batches, then set the default for new rows:
    /// op.alter_column("events", "uid", server_default=sa.text("gen_random_uuid()"))
    /// ```
    pub struct AddColumnVolatileDefault;
}

const VOLATILE: &[&str] = &[
    "now(",
    "func.now",
    "current_timestamp",
    "clock_timestamp",
    "statement_timestamp",
    "timeofday",
    "random(",
    "func.random",
    "gen_random_uuid",
    "uuid_generate",
    "newid(",
    "uuid(",
    "nextval",
];

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for op in m.upgrade_ops().iter().filter(|o| o.kind == OpKind::AddColumn) {
        let Some(table) = &op.table else { continue };
        if m.creates_table(table) {
            continue;
        }
        for col in &op.columns {
            let Some(default) = &col.server_default else { continue };
            let lower = default.to_ascii_lowercase();
            if VOLATILE.iter().any(|v| lower.contains(v)) {
                out.push(
                    Diagnostic::new(
                        Rule::AddColumnVolatileDefault,
                        format!(
                            "column {table}.{} added with volatile default {default}: the whole table is rewritten under an exclusive lock",
                            col.name
                        ),
                        op.range,
                    )
                    .with_fix("add the column without the default, backfill in batches, then set the default"),
                );
            }
        }
    }
}
