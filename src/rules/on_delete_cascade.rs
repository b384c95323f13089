use crate::diagnostic::Diagnostic;
use crate::scanner::model::{MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags foreign keys with `ON DELETE CASCADE` added to existing tables:
    /// `op.create_foreign_key(..., ondelete="CASCADE")`, a new column with
    /// `sa.ForeignKey(..., ondelete="CASCADE")`, or the same in raw SQL.
    ///
    /// ## Why is this bad?
    /// Deleting one parent row now silently deletes every child row, including rows that the
    /// current application code expects to survive. A rollback does not bring them back.
    ///
    /// ## Example
    /// ```python
    /// op.create_foreign_key("fk_posts_user", "posts", "users", ["user_id"], ["id"], ondelete="CASCADE")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// op.create_foreign_key("fk_posts_user", "posts", "users", ["user_id"], ["id"], ondelete="RESTRICT")
    /// ```
    pub struct OnDeleteCascade;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for op in m.upgrade_ops() {
        if !matches!(op.kind, OpKind::CreateForeignKey | OpKind::AddColumn) {
            continue;
        }
        let Some(table) = &op.table else { continue };
        if m.creates_table(table) {
            continue;
        }
        if op.columns.iter().any(|c| c.fk_ondelete.as_deref() == Some("CASCADE")) {
            out.push(
                Diagnostic::new(
                    Rule::OnDeleteCascade,
                    format!("ON DELETE CASCADE added on existing table '{table}': deleting a parent row silently deletes its children"),
                    op.range,
                )
                .with_fix("use RESTRICT (or SET NULL) and delete children explicitly in application code"),
            );
        }
    }
}
