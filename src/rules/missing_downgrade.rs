use crate::diagnostic::Diagnostic;
use crate::scanner::model::{Framework, MigrationAST};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags an Alembic revision that has an `upgrade()` changing the database but no
    /// `downgrade()` function at all.
    ///
    /// ## Why is this bad?
    /// The migration is completely irreversible: `alembic downgrade` fails at this revision and
    /// blocks every rollback below it.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.add_column("users", sa.Column("age", sa.Integer))
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.drop_column("users", "age")
    /// ```
    pub struct MissingDowngrade;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    if m.framework != Framework::Alembic || m.downgrade.is_some() {
        return;
    }
    let Some(up) = &m.upgrade else { return };
    if !up.changes_something() {
        return;
    }
    let inverse = super::noop_downgrade::inverse_ops(m);
    let fix = if inverse.is_empty() {
        "add a downgrade() that undoes upgrade()".to_string()
    } else {
        format!("add def downgrade(): {}", inverse.join("; "))
    };
    out.push(
        Diagnostic::new(
            Rule::MissingDowngrade,
            "no downgrade() function: the migration cannot be rolled back",
            up.header,
        )
        .with_fix(fix),
    );
}
