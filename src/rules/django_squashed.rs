use crate::diagnostic::Diagnostic;
use crate::scanner::model::MigrationAST;

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Reports Django squashed migrations (a `replaces = [...]` list).
    ///
    /// ## Why is this bad?
    /// While the replaced migrations still exist, databases part-way through them follow the old
    /// path and others the squashed one; `RunPython`/`RunSQL` operations elided during squashing
    /// and irreversible steps inside make rollbacks across the squash differ between
    /// environments. Review it, and delete the originals only after every environment has
    /// migrated past them.
    ///
    /// ## Example
    /// ```python
    /// class Migration(migrations.Migration):
    ///     replaces = [("shop", "0001_initial"), ("shop", "0002_order_total")]
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # Keep the squash, check its operations with `mrt check`, and remove `replaces` (and the
    /// # originals) once all databases are past it.
    /// ```
    pub struct DjangoSquashed;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    if m.replaces > 0 {
        out.push(
            Diagnostic::new(
                Rule::DjangoSquashed,
                format!("squashed migration replacing {} migrations: rollbacks across it depend on which path a database took", m.replaces),
                m.class_range,
            )
            .with_fix("delete the replaced migrations (and `replaces`) once every environment has migrated past them"),
        );
    }
}
