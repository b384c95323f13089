use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_name, same_opt, DialectHint, MigrationAST, OpKind, Operation};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags a `downgrade()` that creates again a foreign key its `upgrade()` dropped (by the
    /// same name), with no `DELETE` or `UPDATE` of the table before it. Not when the upgrade
    /// links the table again itself (a foreign key created on it, or on the name it renames it
    /// to): its rows were checked all along. Nor when the downgrade first adds the column back
    /// (every value NULL, which no foreign key refuses) or creates the table again, empty.
    ///
    /// ## Why is this bad?
    /// Dropping a foreign key is usually how an upgrade lets rows outlive what they point at
    /// (prefect 7d918a392297 keeps a flow run when its deployment is deleted). Rows written
    /// that way after the upgrade point nowhere, and on PostgreSQL and MySQL `ADD CONSTRAINT
    /// ... FOREIGN KEY` checks every row: the rollback fails on them. On an empty development
    /// database it passes. SQLite does not check existing rows when a constraint comes back,
    /// so a revision that targets SQLite only is not reported.
    ///
    /// A warning: whether such rows exist depends on what the application wrote since.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.drop_constraint("fk_artifact__flow_run_id__flow_run", "artifact", type_="foreignkey")
    ///
    /// def downgrade():
    ///     op.create_foreign_key(
    ///         "fk_artifact__flow_run_id__flow_run", "artifact", "flow_run", ["flow_run_id"], ["id"]
    ///     )
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.execute(
    ///         "UPDATE artifact SET flow_run_id = NULL"
    ///         " WHERE flow_run_id NOT IN (SELECT id FROM flow_run)"
    ///     )
    ///     op.create_foreign_key(
    ///         "fk_artifact__flow_run_id__flow_run", "artifact", "flow_run", ["flow_run_id"], ["id"]
    ///     )
    /// ```
    pub struct ForeignKeyRestored;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let Some(down) = super::active_downgrade(m) else { return };
    // SQLite does not check the rows when the constraint comes back.
    if m.dialect == DialectHint::Sqlite {
        return;
    }
    let up = m.upgrade_ops();
    for (at, op) in down.iter().enumerate() {
        let Some(table) = op.table.as_deref() else { continue };
        if op.kind != OpKind::CreateForeignKey || !super::known(op.name.as_ref()) {
            continue;
        }
        let same = |o: &Operation| same_opt(o.name.as_ref(), op.name.as_ref());
        let on_table = |o: &Operation| o.table.as_deref().is_some_and(|t| same_name(t, table));
        let dropped = up.iter().any(|u| u.kind == OpKind::DropConstraint && same(u));
        // Created again by the upgrade, under this name or another, on the table or the name
        // the upgrade renames it to (airflow 05234396c6fc renames `dataset_*` to `asset_*`
        // and links them again): the rows never went unchecked.
        let renamed_to = |t: &str| {
            up.iter().any(|u| {
                u.kind == OpKind::RenameTable
                    && on_table(u)
                    && u.new_name.as_deref().is_some_and(|n| same_name(n, t))
            })
        };
        let rebuilt = up.iter().any(|u| {
            u.kind == OpKind::CreateForeignKey
                && (same(u) || on_table(u) || u.table.as_deref().is_some_and(renamed_to))
        });
        // Rows picked or cleared first, a table the downgrade (re)creates empty, or a column
        // it adds back before linking it (superset 3e1b21cd94a4: every value NULL, which no
        // foreign key refuses).
        let prepared = down[..at].iter().any(|d| {
            (matches!(d.kind, OpKind::Delete | OpKind::Update | OpKind::CreateTable | OpKind::AddColumn)
                && on_table(d))
                || (d.kind == OpKind::Execute && d.sql_error.is_some())
        });
        if dropped && !rebuilt && !prepared {
            out.push(
                Diagnostic::new(
                    Rule::ForeignKeyRestored,
                    format!(
                        "downgrade() creates again foreign key {} on {}, which the upgrade dropped: rows written since that point nowhere make the rollback fail on PostgreSQL and MySQL",
                        super::q(op.name.as_ref()),
                        super::q(op.table.as_ref())
                    ),
                    op.range,
                )
                .with_fix("delete the rows whose reference is gone, or set it to NULL, before creating the foreign key again"),
            );
        }
    }
}
