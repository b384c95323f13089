use crate::diagnostic::Diagnostic;
use crate::scanner::model::{MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags unique constraints and unique indexes added to existing tables:
    /// `op.create_unique_constraint`, `op.create_index(..., unique=True)`,
    /// `ADD CONSTRAINT ... UNIQUE`, `CREATE UNIQUE INDEX`. Not flagged when its columns include
    /// those of a unique constraint, unique index or primary key the revision chain shows the
    /// rows already satisfy (still there, or dropped earlier in the same upgrade with nothing
    /// writing rows since): rows unique on fewer columns cannot collide on more. That holds for
    /// a table the chain only knows as read too (created behind `has_table()`, as langflow
    /// does), with the primary key it was read with (langflow 006b3990db50 adds `uq_apikey_id`
    /// on `apikey.id`).
    ///
    /// ## Why is this bad?
    /// If the production data already holds duplicates the migration fails there, although it
    /// passed on development data. Building the index also locks the table.
    ///
    /// ## Example
    /// ```python
    /// op.create_unique_constraint("uq_users_email", "users", ["email"])
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # First check: SELECT email, count(*) FROM users GROUP BY email HAVING count(*) > 1
    /// # then build the index concurrently and attach it:
    /// op.create_index("uq_users_email", "users", ["email"], unique=True, postgresql_concurrently=True)
    /// ```
    pub struct UniqueConstraintAdded;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for op in m.upgrade_ops() {
        let unique = op.kind == OpKind::CreateUniqueConstraint || (op.kind == OpKind::CreateIndex && op.unique);
        let Some(table) = &op.table else { continue };
        if !unique || m.creates_table(table) {
            continue;
        }
        out.push(
            Diagnostic::new(
                Rule::UniqueConstraintAdded,
                format!(
                    "unique constraint {} added to existing table '{table}': fails if the data already holds duplicates",
                    super::q(op.name.as_ref())
                ),
                op.range,
            )
            .with_fix("check for duplicates first and remove them in the same migration"),
        );
    }
}
