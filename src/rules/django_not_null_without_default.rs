use crate::diagnostic::Diagnostic;
use crate::scanner::django::FieldState;
use crate::scanner::model::{same_opt, MigrationAST, OpKind, Operation};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags Django `AddField` / `AlterField` of a NOT NULL field (no `null=True`) without a
    /// `default` or `db_default`, on a model not created in the same migration.
    ///
    /// ## Why is this bad?
    /// `AddField` on a table with rows needs a value for them; `AlterField` to NOT NULL fails if
    /// any row holds NULL. The migration passes on an empty development database and fails in
    /// production.
    ///
    /// ## Example
    /// ```python
    /// migrations.AddField(model_name="user", name="country", field=models.CharField(max_length=2))
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// migrations.AddField(
    ///     model_name="user", name="country", field=models.CharField(max_length=2, db_default="US")
    /// )
    /// ```
    pub struct DjangoNotNullWithoutDefault;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let ops = m.upgrade_ops();
    for op in ops.iter().filter(|o| o.kind == OpKind::AddField) {
        if !created_here(ops, op) {
            flag(op, out);
        }
    }
}

/// `AlterField` over one app's migrations in order: a field whose earlier state is already
/// NOT NULL (an `AlterField` that only changes `verbose_name`, say) is not made NOT NULL here.
pub(crate) fn check_app(migs: &[&MigrationAST], out: &mut Vec<(usize, Diagnostic)>) {
    let mut fields = FieldState::default();
    for (i, m) in migs.iter().enumerate() {
        let ops = m.upgrade_ops();
        for op in ops {
            if op.kind == OpKind::AlterField && !created_here(ops, op) {
                let was_not_null = match (&op.table, &op.column) {
                    (Some(t), Some(c)) => fields.nullable(t, c) == Some(false),
                    _ => false,
                };
                if !was_not_null {
                    let mut found = Vec::new();
                    flag(op, &mut found);
                    out.extend(found.into_iter().map(|d| (i, d)));
                }
            }
            fields.apply(op);
        }
    }
}

fn created_here(ops: &[Operation], op: &Operation) -> bool {
    ops.iter().any(|c| c.kind == OpKind::CreateModel && same_opt(c.table.as_ref(), op.table.as_ref()))
}

fn flag(op: &Operation, out: &mut Vec<Diagnostic>) {
    for col in &op.columns {
        if col.nullable == Some(false) && !col.has_default && col.server_default.is_none() && !col.primary_key {
            out.push(
                Diagnostic::new(
                    Rule::DjangoNotNullWithoutDefault,
                    format!(
                        "{} makes {} NOT NULL without default or db_default: fails on a table with rows",
                        op.kind.as_str(),
                        op.target()
                    ),
                    op.range,
                )
                .with_fix("give the field db_default= (or default=), or null=True then backfill"),
            );
        }
    }
}
