use crate::diagnostic::{Diagnostic, Severity};
use crate::scanner::model::{MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags Django `migrations.DeleteModel(...)` operations.
    ///
    /// ## Why is this bad?
    /// The model's table is dropped with every row. Reversing recreates an empty table.
    ///
    /// ## Example
    /// ```python
    /// migrations.DeleteModel(name="AuditLog")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # Keep the model (unused) for a release, archive the rows, then delete it.
    /// ```
    ///
    /// ## Severity
    /// An error: reversing the migration brings the table back empty, so the rows are lost
    /// under a claimed restore. A warning in a test-suite app
    /// (`<test|tests>/<app>/migrations/`, such as `wagtail/test/testapp/migrations/`): its rows
    /// are fixtures, not data anyone keeps.
    pub struct DjangoDeleteModel;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let test_app = super::test_app(m);
    for op in m.upgrade_ops().iter().filter(|o| o.kind == OpKind::DeleteModel) {
        out.push(
            Diagnostic::new(
                Rule::DjangoDeleteModel,
                format!("DeleteModel drops model {} and all its rows: reversing recreates an empty table", super::q(op.table.as_ref())),
                op.range,
            )
            .with_fix("archive the rows and delete the model in a later release"),
        );
        if test_app
            && let Some(d) = out.last_mut()
        {
            d.severity = Some(Severity::Warning);
        }
    }
}
