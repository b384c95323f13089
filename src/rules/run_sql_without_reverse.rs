use crate::diagnostic::Diagnostic;
use crate::scanner::model::{MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags Django `migrations.RunSQL(sql)` without a `reverse_sql` (or with
    /// `reverse_sql=None`). `reverse_sql=migrations.RunSQL.noop` is accepted as a decision.
    ///
    /// ## Why is this bad?
    /// Django refuses to unapply the migration, and whatever the SQL changed stays changed.
    ///
    /// ## Example
    /// ```python
    /// migrations.RunSQL("UPDATE shop_order SET status = 'paid' WHERE paid_at IS NOT NULL")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// migrations.RunSQL(
    ///     "UPDATE shop_order SET status = 'paid' WHERE paid_at IS NOT NULL",
    ///     reverse_sql="UPDATE shop_order SET status = 'new' WHERE paid_at IS NOT NULL",
    /// )
    /// ```
    pub struct RunSqlWithoutReverse;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for op in m.upgrade_ops().iter().filter(|o| o.kind == OpKind::RunSql) {
        if super::has_reverse(op, "reverse_sql") {
            continue;
        }
        out.push(
            Diagnostic::new(
                Rule::RunSqlWithoutReverse,
                "RunSQL without reverse_sql: the change cannot be undone and Django refuses to unapply the migration",
                op.range,
            )
            .with_fix("pass reverse_sql= the SQL that undoes it (or migrations.RunSQL.noop)"),
        );
    }
}
