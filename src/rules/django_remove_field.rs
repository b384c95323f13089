use crate::diagnostic::Diagnostic;
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
    pub struct DjangoRemoveField;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for op in m.upgrade_ops().iter().filter(|o| o.kind == OpKind::RemoveField) {
        out.push(
            Diagnostic::new(
                Rule::DjangoRemoveField,
                format!("RemoveField drops {}: its data is lost and reversing only re-adds an empty column", op.target()),
                op.range,
            )
            .with_fix("stop using the field first and remove it in a later release"),
        );
    }
}
