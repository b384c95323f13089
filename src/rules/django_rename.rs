use crate::diagnostic::Diagnostic;
use crate::scanner::model::{MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags Django `RenameModel` and `RenameField` operations.
    ///
    /// ## Why is this bad?
    /// During a rolling deploy the previous release is still running and uses the old table or
    /// column name; it fails until every instance is replaced. After a rollback the reverse
    /// rename has the same effect on the new release.
    ///
    /// ## Example
    /// ```python
    /// migrations.RenameField(model_name="post", old_name="body", new_name="content")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # Add the new field, write both, backfill, switch reads, then remove the old field.
    /// ```
    pub struct DjangoRename;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for op in m.upgrade_ops() {
        let what = match op.kind {
            OpKind::RenameField => format!("RenameField renames {} to {}", op.target(), super::q(op.new_name.as_ref())),
            OpKind::RenameModel => format!("RenameModel renames {} to {}", super::q(op.table.as_ref()), super::q(op.new_name.as_ref())),
            _ => continue,
        };
        out.push(
            Diagnostic::new(Rule::DjangoRename, format!("{what}: code still using the old name breaks during the deploy"), op.range)
                .with_fix("expand and contract: add the new name, migrate, then remove the old one in a later release"),
        );
    }
}
