//! What the upgrade drops, re-created from the chain's state before it: a table with its
//! columns, keys and indexes; an index or a constraint. Column definitions and `op.create_*`
//! calls are copied from the revisions that wrote them; keys the state knows whole (primary
//! key and unique columns) are written from it. What the state does not know is named in a
//! marked comment, never guessed. The rows of a dropped table are gone either way.

use ruff_python_ast::ExprCall;

use super::layout::{MAX_LINE, wrap_at};
use super::undo::{Gen, Site};
use crate::scanner::model::{ConstraintKind, OpKind, Operation};
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
            // Not one column it can write (this file may not import `sa`): no create_table.
            .filter(|t| t.columns.iter().any(|c| c.definition.is_some()));
        let (Some(table), Some(name)) = (table, self.arg(call, Some(0), "table_name")) else {
            return self.comment(vec![format!("NOT REVERSIBLE: {shown}"), loss]);
        };
        let text = self.table_text(&table, name, &at.receiver, &at.schema);
        let mut lines = vec![
            format!("NOT REVERSIBLE: {shown}"),
            format!(
                "upgrade() deletes table {target} with all its rows; no downgrade can bring them back."
            ),
        ];
        if text.unknown.is_empty() {
            lines.push(
                "The table comes back empty, as the chain before this revision defines it:"
                    .to_string(),
            );
            self.comment(lines);
            self.reversed += 1;
            self.push(at.block, text.create);
            for stmt in text.follow {
                self.push(at.block, stmt);
            }
            return;
        }
        // A table short of a column would be a table that never was (and a key on the missing
        // column fails): what the state knows stays a hint to complete.
        lines.push(
            "The chain before this revision knows only part of it; complete and write back:"
                .to_string(),
        );
        lines.extend(text.unknown.iter().map(|u| format!("TODO: {u}")));
        for stmt in std::iter::once(&text.create).chain(&text.follow) {
            let hint = wrap_at(stmt, "    ", "    ", MAX_LINE - 11 - 4);
            lines.extend(hint.lines().map(str::to_string));
        }
        self.comment(lines);
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
            } else if let Some(call) = (o.kind == ConstraintKind::Index)
                .then(|| op_text(&self.op_name, self.sqlalchemy.as_deref(), &table.name, o))
                .flatten()
            {
                follow.push(call);
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
        let name = usable(op.name.as_ref());
        // `op.drop_index("ix")` names no table: the state knows which one holds it.
        let table = usable(op.table.as_ref()).map(str::to_string).or_else(|| {
            (op.kind == OpKind::DropIndex)
                .then(|| self.chain.as_ref()?.table_of_object(name?))
                .flatten()
        });
        let restored = table.as_deref().zip(name).and_then(|(t, n)| {
            let chain = self.chain.as_ref()?;
            let object = chain.object(t, n).filter(|o| dropped_by(op, o))?;
            chain
                .object_call(t, n, &self.op_name)
                .or_else(|| op_text(&self.op_name, self.sqlalchemy.as_deref(), t, &object))
        });
        if let Some(stmt) = restored {
            self.reversed += 1;
            self.push(block, stmt);
            return;
        }
        let what = if op.kind == OpKind::DropIndex {
            "mrt cannot see the dropped index's columns; re-create it here with op.create_index(...). No row data is lost."
        } else {
            "mrt cannot see the dropped constraint's definition; re-create it here. No row data is lost, but rows written since may violate it."
        };
        self.comment(vec![format!("NOT REVERSED: {shown}"), what.to_string()]);
    }
}

/// Is `o` what `op` drops: `drop_index` an index, `drop_constraint` a constraint of its
/// `type_` (MySQL drops a foreign key's index under the key's own name: not the key).
fn dropped_by(op: &Operation, o: &Object) -> bool {
    if op.kind == OpKind::DropIndex {
        return o.kind == ConstraintKind::Index;
    }
    let kind = match op
        .new_name
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => return o.kind != ConstraintKind::Index,
        Some("foreignkey") => ConstraintKind::ForeignKey,
        Some("unique") => ConstraintKind::Unique,
        Some("check") => ConstraintKind::Check,
        Some("primary") => ConstraintKind::PrimaryKey,
        Some(_) => return false,
    };
    o.kind == kind
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

/// The referenced columns of a foreign key as `sa.ForeignKeyConstraint` writes them.
fn referenced(o: &Object) -> Option<Vec<String>> {
    let table = o.ref_table.as_deref()?;
    let whole = o.detail.whole && o.detail.ref_columns.len() == o.columns.len();
    whole.then(|| {
        o.detail
            .ref_columns
            .iter()
            .map(|c| py_str(&format!("{table}.{c}")))
            .collect()
    })
}

/// A foreign key's options as `ForeignKeyConstraint` and `create_foreign_key` take them:
/// `ondelete="CASCADE"`, `onupdate=...`, `deferrable=True`, `initially="DEFERRED"`.
fn key_options(o: &Object) -> Vec<String> {
    let d = &o.detail;
    let mut out = Vec::new();
    for (kw, value) in [("ondelete", &d.ondelete), ("onupdate", &d.onupdate)] {
        if let Some(action) = value {
            out.push(format!("{kw}={}", py_str(action)));
        }
    }
    if let Some(deferrable) = d.deferrable {
        out.push(format!(
            "deferrable={}",
            if deferrable { "True" } else { "False" }
        ));
    }
    if let Some(initially) = &d.initially {
        out.push(format!("initially={}", py_str(initially)));
    }
    out
}

/// An index's columns as `create_index` takes them, `sa.text("...")` for an expression, and
/// its `postgresql_where=sa.text("...")` conditions. `None` when it needs `sa` and the file
/// does not import it.
fn index_args(sa: Option<&str>, o: &Object) -> Option<(String, Vec<String>)> {
    let d = &o.detail;
    let columns = if d.elements.is_empty() {
        quoted_columns(o)
    } else {
        let sa = sa?;
        d.elements
            .iter()
            .map(|(expression, text)| {
                if *expression {
                    format!("{sa}.text({})", py_str(text))
                } else {
                    py_str(text)
                }
            })
            .collect()
    };
    let mut options = Vec::new();
    for (kw, condition) in &d.where_ {
        options.push(format!("{kw}={}.text({})", sa?, py_str(condition)));
    }
    Some((format!("[{}]", columns.join(", ")), options))
}

/// A key inside `create_table` as the state knows it whole: `sa.PrimaryKeyConstraint("a",
/// "b", name="pk")`, `sa.UniqueConstraint`, `sa.ForeignKeyConstraint(["a"], ["t.id"])`,
/// `sa.CheckConstraint("x > 0")`. `None` for the rest (indexes follow the table).
fn key_text(sa: &str, o: &Object) -> Option<String> {
    if !o.sure {
        return None;
    }
    let (class, mut args) = match o.kind {
        ConstraintKind::PrimaryKey | ConstraintKind::Unique if !o.columns.is_empty() => {
            let class = if o.kind == ConstraintKind::PrimaryKey {
                "PrimaryKeyConstraint"
            } else {
                "UniqueConstraint"
            };
            (class, quoted_columns(o))
        }
        ConstraintKind::ForeignKey => {
            let mut args = vec![
                format!("[{}]", quoted_columns(o).join(", ")),
                format!("[{}]", referenced(o)?.join(", ")),
            ];
            args.extend(key_options(o));
            ("ForeignKeyConstraint", args)
        }
        ConstraintKind::Check if o.detail.whole => (
            "CheckConstraint",
            vec![py_str(o.detail.condition.as_deref()?)],
        ),
        _ => return None,
    };
    if let Some(n) = &o.name {
        args.push(format!("name={}", py_str(n)));
    }
    Some(format!("{sa}.{class}({})", args.join(", ")))
}

/// `op.create_primary_key`, `op.create_unique_constraint`, `op.create_foreign_key`,
/// `op.create_check_constraint` or `op.create_index` for a named key the state knows whole;
/// `sa` is the name this file imports `sqlalchemy` as (an expression index needs it).
fn op_text(op_name: &str, sa: Option<&str>, table: &str, o: &Object) -> Option<String> {
    let name = py_str(o.name.as_deref().filter(|_| o.sure)?);
    let table_arg = py_str(table);
    let columns = format!("[{}]", quoted_columns(o).join(", "));
    let (function, args) = match o.kind {
        ConstraintKind::PrimaryKey | ConstraintKind::Unique if !o.columns.is_empty() => {
            let function = if o.kind == ConstraintKind::PrimaryKey {
                "create_primary_key"
            } else {
                "create_unique_constraint"
            };
            (function, vec![name, table_arg, columns])
        }
        ConstraintKind::ForeignKey => {
            let remote: Vec<String> = o.detail.ref_columns.iter().map(|c| py_str(c)).collect();
            referenced(o)?;
            let referent = py_str(o.ref_table.as_deref()?);
            let remote = format!("[{}]", remote.join(", "));
            let mut args = vec![name, table_arg, referent, columns, remote];
            args.extend(key_options(o));
            ("create_foreign_key", args)
        }
        ConstraintKind::Check if o.detail.whole => {
            let condition = py_str(o.detail.condition.as_deref()?);
            ("create_check_constraint", vec![name, table_arg, condition])
        }
        ConstraintKind::Index
            if o.detail.whole && (!o.columns.is_empty() || !o.detail.elements.is_empty()) =>
        {
            let (elements, options) = index_args(sa, o)?;
            let mut args = vec![name, table_arg, elements];
            if o.detail.unique {
                args.push("unique=True".to_string());
            }
            args.extend(options);
            ("create_index", args)
        }
        _ => return None,
    };
    Some(format!("{op_name}.{function}({})", args.join(", ")))
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
