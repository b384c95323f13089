use crate::diagnostic::Diagnostic;
use crate::scanner::django_state::{Change, Seen};
use crate::scanner::model::{same_opt, MigrationAST, OpKind, Operation};

use super::{DjangoStep, GraphFindings, Rule};

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

/// `AlterField` against the replayed project state: reported when the field was nullable
/// just before and nothing filled it since; a field already NOT NULL (an `AlterField` that only
/// changes `verbose_name`, say), a model without a table or created in the same migration,
/// and anything the state cannot tell, are not. A model the replay never saw is judged by the
/// file alone. An `AddField` on a model without a table (or one the state cannot tell) adds
/// no column.
pub(crate) fn check_state(s: &DjangoStep<'_>, out: &mut GraphFindings) {
    let (model, field) = match &s.step.change {
        Change::AddField { model, .. } => {
            if s.no_known_table(model) {
                out.cleared.push((s.node, Rule::DjangoNotNullWithoutDefault, s.step.range));
            }
            return;
        }
        Change::AlterField { model, field } => (model, field),
        _ => return,
    };
    if field.null != Some(false) || field.has_default || field.primary_key {
        return;
    }
    let flag = match s.state.model(s.app, model) {
        Seen::Unseen => true,
        Seen::Unknown => false,
        Seen::Known(m) => {
            m.tableless() == Some(false)
                && !m.created_in.eq_ignore_ascii_case(s.name)
                && m.field(&field.name).is_some_and(|f| {
                    f.facts.known && f.facts.null == Some(true) && !f.filled && !f.data_unknown
                })
        }
    };
    if flag {
        out.found.push((
            s.node,
            Diagnostic::new(
                Rule::DjangoNotNullWithoutDefault,
                format!(
                    "AlterField makes {model}.{} NOT NULL without default or db_default: fails on a table with rows",
                    field.name
                ),
                s.step.range,
            )
            .with_fix(FIX),
        ));
    }
}

const FIX: &str = "give the field db_default= (or default=), or null=True then backfill";

fn created_here(ops: &[Operation], op: &Operation) -> bool {
    ops.iter().any(|c| c.kind == OpKind::CreateModel && same_opt(c.table.as_ref(), op.table.as_ref()))
}

fn flag(op: &Operation, out: &mut Vec<Diagnostic>) {
    for col in &op.columns {
        if col.fails_on_filled_table() && !col.has_default {
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
                .with_fix(FIX),
            );
        }
    }
}
