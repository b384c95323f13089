use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_opt, ColumnSpec, MigrationAST, OpKind, Operation, Value};

use crate::scanner::type_compare::{compare, show, Change};
use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags column type changes whose safety the types do not tell: `alter_column(type_=...)`
    /// without `existing_type`, or between unrelated types, and `ALTER COLUMN ... TYPE` in raw
    /// SQL. Also flags a `downgrade()` that narrows a column back (values written after the
    /// upgrade may not fit), taking the old type from `existing_type=` or, without one, from
    /// the type the upgrade gave the column (airflow d75389605139). Pure widenings are not
    /// reported, also where the old type comes from the revision chain rather than
    /// `existing_type`; narrowings in `upgrade()` are reported by `column-type-narrowed`.
    ///
    /// ## Why is this bad?
    /// A conversion may be lossy (text to integer, timestamp to date), may fail on existing
    /// values, and usually rewrites the whole table under an exclusive lock.
    ///
    /// ## Example
    /// ```python
    /// op.alter_column("orders", "total", type_=sa.Integer)
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// op.alter_column("orders", "total", type_=sa.Numeric(12, 2), existing_type=sa.Numeric(10, 2))
    /// ```
    pub struct ColumnTypeChange;
}

/// The old and new types of an alter operation.
pub(crate) fn types(op: &Operation) -> Option<(Option<&Value>, &Value)> {
    if op.kind != OpKind::AlterColumn {
        return None;
    }
    if let Some(new) = op.kwarg_value("type_") {
        return Some((op.kwarg_value("existing_type"), new));
    }
    op.columns.first().and_then(|c: &ColumnSpec| c.type_.as_ref()).map(|t| (None, t))
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for op in m.upgrade_ops() {
        let Some((old, new)) = types(op) else { continue };
        if compare(old, new) == Change::Unknown {
            let from = old.map(|o| format!(" from {}", show(o))).unwrap_or_default();
            out.push(
                Diagnostic::new(
                    Rule::ColumnTypeChange,
                    format!("upgrade() changes the type of {}{from} to {}: the conversion may lose data or fail", op.target(), show(new)),
                    op.range,
                )
                .with_fix("state existing_type= so the change can be judged, and check that every value converts"),
            );
        }
    }
    for op in m.downgrade_ops() {
        let Some((old, new)) = types(op) else { continue };
        // Without `existing_type=`, the type the upgrade gave the column is the one narrowed
        // (airflow d75389605139 widens `log.event` to String(60), its downgrade sets String(30)).
        let old = old.or_else(|| upgraded_type(m, op));
        if compare(old, new) == Change::Narrowing {
            out.push(
                Diagnostic::new(
                    Rule::ColumnTypeChange,
                    format!(
                        "downgrade() narrows {} from {} to {}: values written after the upgrade may not fit",
                        op.target(),
                        old.map_or_else(|| "?".to_string(), show),
                        show(new)
                    ),
                    op.range,
                )
                .with_fix("make sure no value written since the upgrade exceeds the old type before rolling back"),
            );
        }
    }
}

/// The type `upgrade()` last gave the column `op` alters (`alter_column(..., type_=...)`).
fn upgraded_type<'m>(m: &'m MigrationAST, op: &Operation) -> Option<&'m Value> {
    m.upgrade_ops()
        .iter()
        .rev()
        .filter(|u| {
            u.kind == OpKind::AlterColumn
                && same_opt(u.table.as_ref(), op.table.as_ref())
                && same_opt(u.column.as_ref(), op.column.as_ref())
        })
        .find_map(|u| u.kwarg_value("type_"))
}
