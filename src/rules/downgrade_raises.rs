use crate::diagnostic::Diagnostic;
use crate::scanner::model::{BodyKind, MigrationAST};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a `downgrade()` that raises (for example `raise NotImplementedError`) while
    /// `upgrade()` changes the database.
    ///
    /// ## Why is this bad?
    /// The revision is irreversible by declaration. That is honest, but every rollback across it
    /// fails, so it deserves a conscious decision (and a `skip` entry with the reason) rather
    /// than a surprise during an incident.
    ///
    /// ## Example
    /// ```python
    /// def downgrade():
    ///     raise NotImplementedError("one-way data migration")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # conftest.py: document the decision where the rollback test can see it
    /// MRTConfig(skip={"abc123": "One-way data migration, see ADR-7"})
    /// ```
    pub struct DowngradeRaises;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let (Some(up), Some(down)) = (&m.upgrade, &m.downgrade) else { return };
    if down.body == BodyKind::Raises && up.changes_something() {
        out.push(
            Diagnostic::new(
                Rule::DowngradeRaises,
                "downgrade() raises: this revision is irreversible by declaration and blocks every rollback across it",
                down.header,
            )
            .with_fix("implement the downgrade, or record the decision in MRTConfig.skip with the reason"),
        );
    }
}
