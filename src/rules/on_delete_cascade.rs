use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_name, ConstraintKind, MigrationAST, OpKind, Operation};

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
    ///
    /// Not reported when `downgrade()` puts back a cascading foreign key on the same columns
    /// (of the same table, or of the name it had before a rename in this migration): the key
    /// cascaded before the upgrade too, and re-creating it (after a rename, or to change its
    /// name) adds nothing.
    pub struct OnDeleteCascade;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for op in m.upgrade_ops() {
        if !matches!(op.kind, OpKind::CreateForeignKey | OpKind::AddColumn) {
            continue;
        }
        let Some(table) = &op.table else { continue };
        if m.creates_table(table) || cascaded_before(m, op, table) {
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

/// The local columns of each `ON DELETE CASCADE` foreign key `op` creates (lower case).
fn cascading_columns(op: &Operation) -> Vec<Vec<String>> {
    let lower = |cols: &[String]| -> Vec<String> {
        let mut v: Vec<String> = cols.iter().map(|c| c.to_ascii_lowercase()).collect();
        v.sort();
        v
    };
    let mut out: Vec<Vec<String>> = op
        .constraints
        .iter()
        .filter(|c| c.kind == ConstraintKind::ForeignKey && c.detail.ondelete.as_deref() == Some("CASCADE"))
        .filter(|c| !c.columns.is_empty())
        .map(|c| lower(&c.columns))
        .collect();
    out.extend(
        op.columns
            .iter()
            .filter(|c| c.fk_ondelete.as_deref() == Some("CASCADE") && !c.name.is_empty())
            .map(|c| vec![c.name.to_ascii_lowercase()]),
    );
    out
}

/// Does the downgrade put back a cascading foreign key on the columns `op` gives one, on
/// `table` or on the name `table` had before a rename in this migration (airflow
/// 05234396c6fc renames dataset_alias_dataset_event and re-creates its cascading keys)?
fn cascaded_before(m: &MigrationAST, op: &Operation, table: &str) -> bool {
    let Some(down) = super::active_downgrade(m) else {
        return false;
    };
    let created = cascading_columns(op);
    if created.is_empty() {
        return false;
    }
    let mut names = vec![table.to_string()];
    for r in m.upgrade_ops().iter().chain(down).filter(|o| o.kind == OpKind::RenameTable) {
        if let (Some(old), Some(new)) = (&r.table, &r.new_name) {
            if same_name(new, table) {
                names.push(old.clone());
            } else if same_name(old, table) {
                names.push(new.clone());
            }
        }
    }
    created.iter().all(|cols| {
        down.iter()
            .filter(|d| matches!(d.kind, OpKind::CreateForeignKey | OpKind::AddColumn))
            .filter(|d| d.table.as_deref().is_some_and(|t| names.iter().any(|n| same_name(n, t))))
            .any(|d| cascading_columns(d).contains(cols))
    })
}
