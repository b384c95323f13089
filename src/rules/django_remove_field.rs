use crate::diagnostic::{Diagnostic, Severity};
use crate::scanner::model::{MigrationAST, OpKind};

use super::Rule;

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
