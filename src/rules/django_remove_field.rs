use crate::diagnostic::{Diagnostic, Severity};
use crate::scanner::django_state::{Change, Seen};
use crate::scanner::model::{MigrationAST, OpKind};

use super::{DjangoStep, GraphFindings, Rule};

declare_rule! {
    /// ## What it does
    /// Flags Django `migrations.RemoveField(...)` operations.
    ///
    /// ## Why is this bad?
    /// The column and its data are dropped. Django can reverse the operation by adding the field
    /// back, but empty (or filled with the default): the data does not come back.
    ///
    /// ## Example
    /// ```python
    /// migrations.RemoveField(model_name="user", name="phone")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # Release N: stop using the field (keep it in the model, nullable).
    /// # Release N+1: remove it, once rolling back past N is no longer an option.
    /// ```
    ///
    /// Not reported when the same migration deletes the model afterwards (wagtail search 0008
    /// removes `querydailyhits.query`, then `QueryDailyHits`): MRT041 reports that loss once.
    ///
    /// Not reported when the replayed migrations show the data was moved, not lost: an earlier
    /// `RunPython` copied the field's values into another field of the model (`F("field")` in
    /// its `.update(...)`), and that migration's reverse function writes the field back, so
    /// rolling back past it restores the values (wagtail 0086 copies
    /// `grouppagepermission.permission_type` into `permission` and back; 0090 removes it).
    /// Nor on a model without a table (`managed = False`, a proxy) or whose options the replay
    /// cannot read.
    ///
    /// ## Severity
    /// An error: reversing the migration brings the table back empty, so the rows are lost
    /// under a claimed restore. A warning in a test-suite app
    /// (`<test|tests>/<app>/migrations/`, such as `wagtail/test/testapp/migrations/`): its rows
    /// are fixtures, not data anyone keeps.
    pub struct DjangoRemoveField;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let test_app = super::test_app(m);
    let ops = m.upgrade_ops();
    for (i, op) in ops.iter().enumerate().filter(|(_, o)| o.kind == OpKind::RemoveField) {
        // The same migration deletes the whole model afterwards: MRT041 reports that loss once.
        let model_deleted = ops[i + 1..].iter().any(|d| {
            d.kind == OpKind::DeleteModel
                && matches!((&d.table, &op.table), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
        });
        if model_deleted {
            continue;
        }
        out.push(
            Diagnostic::new(
                Rule::DjangoRemoveField,
                format!("RemoveField drops {}: its data is lost and reversing only re-adds an empty column", op.target()),
                op.range,
            )
            .with_fix("stop using the field first and remove it in a later release"),
        );
        if test_app
            && let Some(d) = out.last_mut()
        {
            d.severity = Some(Severity::Warning);
        }
    }
}

/// The field's values live on elsewhere (moved by an earlier `RunPython` whose reverse moves
/// them back), or the model has no table we know of.
pub(crate) fn check_state(s: &DjangoStep<'_>, out: &mut GraphFindings) {
    let Change::RemoveField { model, name } = &s.step.change else {
        return;
    };
    let moved = match s.state.model(s.app, model) {
        Seen::Known(m) => m.field(name).is_some_and(|f| f.moved_by.is_some()),
        _ => false,
    };
    if moved || s.no_known_table(model) {
        out.cleared.push((s.node, Rule::DjangoRemoveField, s.step.range));
    }
}
