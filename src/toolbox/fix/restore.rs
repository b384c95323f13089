//! What the upgrade drops, re-created from the chain's state before it: a table with its
//! columns, keys and indexes; an index or a constraint. Column definitions and `op.create_*`
//! calls are copied from the revisions that wrote them; keys the state knows whole (primary
//! key and unique columns) are written from it. What the state does not know is named in a
//! marked comment, never guessed. The rows of a dropped table are gone either way.

use ruff_python_ast::ExprCall;

use super::undo::{Gen, Site};
use crate::scanner::model::{ConstraintKind, Operation};
use crate::scanner::state::{Object, usable};
use crate::toolbox::chain::TableBefore;
use crate::toolbox::py_str;

/// A `create_table` call and what must follow it.
struct TableText {
    create: String,
    /// `op.create_index(...)` and other calls copied from the revisions that made them.
    follow: Vec<String>,
    /// What the state does not know, one sentence each.
    unknown: Vec<String>,
}

impl<'a> Gen<'a> {
    pub(super) fn restore_table(
        &mut self,
        op: &Operation,
        call: &'a ExprCall,
        at: &Site<'a>,
        shown: &str,
    ) {
        let target = op.table.clone().unwrap_or_else(|| "?".into());
        let loss = format!(
            "upgrade() deletes table {target} with all its rows; re-creating it (op.create_table) gives an empty table."
        );
        let table = usable(op.table.as_ref())
            .and_then(|t| self.chain.as_ref()?.table(t))
            .filter(|t| !t.columns.is_empty());
        let (Some(table), Some(name)) = (table, self.arg(call, Some(0), "table_name")) else {
            return self.comment(vec![format!("NOT REVERSIBLE: {shown}"), loss]);
        };
        let text = self.table_text(&table, name, &at.receiver, &at.schema);
        let mut lines = vec![
            format!("NOT REVERSIBLE: {shown}"),
            format!(
                "upgrade() deletes table {target} with all its rows; no downgrade can bring them back."
            ),
            "The table comes back empty, as the chain before this revision defines it:".to_string(),
        ];
        lines.extend(text.unknown.iter().map(|u| format!("TODO: {u}")));
        self.comment(lines);
        self.reversed += 1;
        self.push(at.block, text.create);
        for stmt in text.follow {
            self.push(at.block, stmt);
        }
    }

    fn table_text(&self, table: &TableBefore, name: &str, r: &str, schema: &str) -> TableText {
        let mut args = vec![name.to_string()];
        let mut follow = Vec::new();
        let mut unknown = Vec::new();
        for c in &table.columns {
            match &c.definition {
                Some(d) => args.push(d.clone()),
                None => unknown.push(format!(
                    "column {}: the chain does not say its whole definition (or it uses names this file does not import); add it to create_table.",
                    c.name
                )),
            }
        }
        if !table.complete {
            unknown.push(format!(
                "code mrt could not read may have added columns or constraints to {}; add them.",
                table.name
            ));
        }
        for o in &table.objects {
            let dropped_first = o
                .name
                .as_deref()
                .is_some_and(|n| self.dropped_objects.contains(&n.to_ascii_lowercase()));
            if dropped_first || declared_on_column(table, o) {
                continue;
            }
            let copied = o.name.as_deref().and_then(|n| {
                self.chain
                    .as_ref()?
                    .object_call(&table.name, n, &self.op_name)
            });
            if let Some(call) = copied {
                follow.push(call);
            } else if let Some(text) = self.sqlalchemy.as_deref().and_then(|sa| key_text(sa, o)) {
                args.push(text);
            } else {
                unknown.push(format!(
                    "{}: the chain does not keep its whole definition; re-create it here.",
                    describe(o)
                ));
            }
        }
        TableText {
            create: format!("{r}.create_table({}{schema})", args.join(", ")),
            follow,
            unknown,
        }
    }

    /// A dropped index or constraint back: the call that created it, or (primary keys and
    /// unique constraints) written from the state.
    pub(super) fn restore_object(&mut self, op: &Operation, at: &Site<'a>, shown: &str) {
        // A copied `op.create_*` call names its table: it runs outside any batch block.
        let block = if at.batch.is_some() { None } else { at.block };
        let table = usable(op.table.as_ref());
        let name = usable(op.name.as_ref());
        let restored = table.zip(name).and_then(|(t, n)| {
            let chain = self.chain.as_ref()?;
            chain
                .object_call(t, n, &self.op_name)
                .or_else(|| op_text(&self.op_name, t, &chain.object(t, n)?))
        });
        if let Some(stmt) = restored {
            self.reversed += 1;
            self.push(block, stmt);
            return;
        }
        let what = if op.kind == crate::scanner::model::OpKind::DropIndex {
            "mrt cannot see the dropped index's columns; re-create it here with op.create_index(...). No row data is lost."
        } else {
            "mrt cannot see the dropped constraint's definition; re-create it here. No row data is lost, but rows written since may violate it."
        };
        self.comment(vec![format!("NOT REVERSED: {shown}"), what.to_string()]);
    }
}

/// Is `o` declared by its column's own definition (`primary_key=True`, `unique=True`,
/// `index=True`, a `ForeignKey`), which `create_table` repeats?
fn declared_on_column(table: &TableBefore, o: &Object) -> bool {
    let [column] = o.columns.as_slice() else {
        return false;
    };
    o.name.is_none()
        && table.columns.iter().any(|c| {
            c.name.eq_ignore_ascii_case(column)
                && c.definition.is_some()
                && c.inline.contains(&o.kind)
        })
}

fn quoted_columns(o: &Object) -> Vec<String> {
    o.columns.iter().map(|c| py_str(c)).collect()
}

/// `sa.PrimaryKeyConstraint("a", "b", name="pk")` inside `create_table`: keys the state
/// knows whole (their columns and name). `None` for the rest.
fn key_text(sa: &str, o: &Object) -> Option<String> {
    let class = match o.kind {
        ConstraintKind::PrimaryKey => "PrimaryKeyConstraint",
        ConstraintKind::Unique => "UniqueConstraint",
        _ => return None,
    };
    if !o.sure || o.columns.is_empty() {
        return None;
    }
    let mut args = quoted_columns(o);
    if let Some(n) = &o.name {
        args.push(format!("name={}", py_str(n)));
    }
    Some(format!("{sa}.{class}({})", args.join(", ")))
}

/// `op.create_primary_key` / `op.create_unique_constraint` for a named key the state knows.
fn op_text(op_name: &str, table: &str, o: &Object) -> Option<String> {
    let function = match o.kind {
        ConstraintKind::PrimaryKey => "create_primary_key",
        ConstraintKind::Unique => "create_unique_constraint",
        _ => return None,
    };
    let name = o
        .name
        .as_deref()
        .filter(|_| o.sure && !o.columns.is_empty())?;
    Some(format!(
        "{op_name}.{function}({}, {}, [{}])",
        py_str(name),
        py_str(table),
        quoted_columns(o).join(", ")
    ))
}

/// An index or constraint as users read it: `foreign key fk_a (a) → t`.
fn describe(o: &Object) -> String {
    let kind = match o.kind {
        ConstraintKind::PrimaryKey => "primary key",
        ConstraintKind::Unique => "unique constraint",
        ConstraintKind::ForeignKey => "foreign key",
        ConstraintKind::Check => "check constraint",
        ConstraintKind::Index => "index",
    };
    let name = o
        .name
        .as_deref()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    let target = o
        .ref_table
        .as_deref()
        .map(|t| format!(" → {t}"))
        .unwrap_or_default();
    format!("{kind}{name} ({}){target}", o.columns.join(", "))
}
