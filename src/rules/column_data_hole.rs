use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;
use crate::scanner::model::OpKind;

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a column that an earlier revision (an ancestor) dropped and a later one adds
    /// again: the *same* table and column name. Adding an unrelated column is not reported.
    ///
    /// ## Why is this bad?
    /// The re-added column starts empty: the values from before the drop are gone, and rows
    /// written in between never had one. Rolling back past the drop cannot restore them either.
    ///
    /// ## Example
    /// ```python
    /// # 004: op.drop_column("users", "phone")
    /// # 009: op.add_column("users", sa.Column("phone", sa.String(30)))
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # Restore the column's data from a backup in 009 (or do not drop it in 004).
    /// ```
    pub struct ColumnDataHole;
}

fn key(table: &str, column: &str) -> (String, String) {
    (table.to_ascii_lowercase(), column.to_ascii_lowercase())
}

pub(crate) fn check(g: &Graph<'_>, out: &mut Vec<(usize, Diagnostic)>) {
    let mut drops: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, m) in g.migs.iter().enumerate() {
        for op in m.upgrade_ops().iter().filter(|o| o.kind == OpKind::DropColumn && !o.column_object) {
            if let (Some(t), Some(c)) = (&op.table, &op.column) {
                drops.entry(key(t, c)).or_default().push(i);
            }
        }
    }
    if drops.is_empty() {
        return;
    }
    for (i, m) in g.migs.iter().enumerate() {
        for op in m.upgrade_ops().iter().filter(|o| o.kind == OpKind::AddColumn) {
            let (Some(t), Some(c)) = (&op.table, &op.column) else { continue };
            let Some(droppers) = drops.get(&key(t, c)) else { continue };
            if let Some(a) = g.ancestors(i).find(|a| droppers.contains(a)) {
                out.push((
                    i,
                    Diagnostic::new(
                        Rule::ColumnDataHole,
                        format!(
                            "column {t}.{c} was dropped by revision '{}' and is added again here: its earlier data is gone",
                            g.migs[a].revision
                        ),
                        op.range,
                    )
                    .with_fix("restore the data from a backup, or keep the column instead of dropping it"),
                ));
            }
        }
    }
}
