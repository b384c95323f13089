use crate::diagnostic::Diagnostic;
use crate::scanner::model::{MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER TYPE ... ADD VALUE` (a new PostgreSQL enum value) in `upgrade()`.
    ///
    /// ## Why is this bad?
    /// PostgreSQL cannot remove a value from an enum. Once rows use the new value, the only way
    /// back is to rebuild the type and rewrite every column using it, which a downgrade rarely
    /// does. The rollback leaves the value in place, or fails.
    ///
    /// ## Severity
    /// A warning: the value staying behind is inherent to PostgreSQL enums, and a downgrade
    /// that leaves it runs. When a downgrade does try to drop or recreate the type while
    /// columns still use it, the chain rules report that statement (MRT066-MRT068).
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.execute("ALTER TYPE order_status ADD VALUE 'refunded'")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # A lookup table or a CHECK constraint can be changed in both directions:
    /// op.create_check_constraint("ck_orders_status", "orders", "status IN ('new', 'paid', 'refunded')")
    /// ```
    pub struct EnumValueAdded;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for op in m.upgrade_ops().iter().filter(|op| op.kind == OpKind::AlterTypeAddValue) {
        out.push(
            Diagnostic::new(
                Rule::EnumValueAdded,
                format!(
                    "upgrade() adds value {} to enum type {}: PostgreSQL cannot remove it once rows use it",
                    super::q(op.new_name.as_ref()),
                    super::q(op.name.as_ref())
                ),
                op.range,
            )
            .with_fix("use a lookup table or a CHECK constraint, or plan the type rebuild in downgrade()"),
        );
    }
}
