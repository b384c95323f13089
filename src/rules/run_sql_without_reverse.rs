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
    ///
    /// One finding per migration, at the first such `RunSQL`; its message counts the others
    /// (netbox vpn 0005 renames its indexes with 18 of them: one finding, not 18).
    pub struct RunSqlWithoutReverse;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let mut missing = m
        .upgrade_ops()
        .iter()
        .filter(|o| o.kind == OpKind::RunSql && !super::has_reverse(o, "reverse_sql"));
    let Some(first) = missing.next() else {
        return;
    };
    // One finding per migration: Django refuses to unapply it for the first as for all.
    let message = match missing.count() {
        0 => "RunSQL without reverse_sql: the change cannot be undone and Django refuses to unapply the migration".to_string(),
        more => format!(
            "RunSQL without reverse_sql, the first of {} in this migration: their changes cannot be undone and Django refuses to unapply the migration",
            more + 1
        ),
    };
    out.push(
        Diagnostic::new(Rule::RunSqlWithoutReverse, message, first.range).with_fix(
            "pass each RunSQL reverse_sql= the SQL that undoes it (or migrations.RunSQL.noop)",
        ),
    );
}
