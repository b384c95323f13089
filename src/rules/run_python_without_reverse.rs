use crate::diagnostic::Diagnostic;
use crate::scanner::model::{MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags Django `migrations.RunPython(forwards)` without a `reverse_code` (or with
    /// `reverse_code=None`). `reverse_code=migrations.RunPython.noop` counts as a decision and is
    /// not flagged.
    ///
    /// ## Why is this bad?
    /// Django refuses to unapply the migration ("is not reversible"), which blocks every rollback
    /// across it, and the data transformation cannot be undone.
    ///
    /// ## Example
    /// ```python
    /// migrations.RunPython(fill_slugs)
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// migrations.RunPython(fill_slugs, reverse_code=clear_slugs)
    /// ```
    ///
    /// Not reported for `RunPython(*pair)`: the starred arguments may well hold the reverse
    /// (label-studio's `RunPython(*make_sql_migration(...))`), and mrt cannot see them.
    pub struct RunPythonWithoutReverse;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for op in m.upgrade_ops().iter().filter(|o| o.kind == OpKind::RunPython) {
        if super::has_reverse(op, "reverse_code") {
            continue;
        }
        out.push(
            Diagnostic::new(
                Rule::RunPythonWithoutReverse,
                "RunPython without reverse_code: the data change cannot be undone and Django refuses to unapply the migration",
                op.range,
            )
            .with_fix("pass reverse_code= a function that undoes it (or migrations.RunPython.noop if nothing needs undoing)"),
        );
    }
}
