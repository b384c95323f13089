//! `alter_column` back: the new name back to the old, and the type, nullability and server
//! default the column had before the upgrade. The chain's state says what they were; an
//! `existing_*` argument of the upgrade is read only where the chain does not know (a file
//! with no chain), or first for a step under an `if` on the dialect (the replay has one state
//! for every database). Where neither says, the downgrade leaves that attribute and a marked
//! comment asks for it: never a guess.

use ruff_python_ast::ExprCall;
use ruff_text_size::Ranged;

use super::Item;
use super::undo::Gen;
use crate::scanner::model::{Operation, Value};
use crate::toolbox::chain::ColumnBefore;
use crate::toolbox::{one_line, py_str};

/// The attributes an `alter_column` can change: its keyword, the keyword that states the
/// value before, and the word users know.
const ATTRIBUTES: [(&str, &str, &str); 3] = [
    ("type_", "existing_type", "type"),
    ("nullable", "existing_nullable", "nullability"),
    (
        "server_default",
        "existing_server_default",
        "server default",
    ),
];

/// What the chain says `attribute` was, as Python source text.
fn from_chain(column: &ColumnBefore, attribute: &str) -> Option<String> {
    match attribute {
        "type_" => column.type_.clone(),
        "nullable" => column
            .nullable
            .map(|n| if n { "True" } else { "False" }.to_string()),
        _ => column
            .server_default
            .clone()
            .map(|d| d.unwrap_or_else(|| "None".to_string())),
    }
}

impl<'a> Gen<'a> {
    pub(super) fn undo_alter(
        &mut self,
        op: &Operation,
        call: &'a ExprCall,
        batch: Option<usize>,
        block: Option<usize>,
        r: &str,
    ) {
        let shown = one_line(self.text(call.range()), 100);
        let Some(col) = op.column.as_deref() else {
            return self.cannot(&shown, "mrt cannot read the column name");
        };
        let new_name = op
            .kwarg_value("new_column_name")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut args = Vec::new();
        if batch.is_none() {
            let Some(t) = self.arg(call, Some(0), "table_name") else {
                return self.cannot(&shown, "mrt cannot read the table name");
            };
            args.push(t.to_string());
        }
        args.push(py_str(new_name.as_deref().unwrap_or(col)));
        let mut changes = 0;
        if new_name.is_some() {
            args.push(format!("new_column_name={}", py_str(col)));
            changes += 1;
        }
        let target = op.target();
        let chain = self.column_before(op);
        let mut notes = Vec::new();
        for (now, before, what) in ATTRIBUTES {
            let new_val = self.kw(call, now).map(str::to_string);
            let from_chain = chain.as_ref().and_then(|c| from_chain(c, now));
            let stated = self.kw(call, before).map(str::to_string);
            // The replay does not keep a state per dialect: a step for some dialects only is
            // told by its own existing_* first.
            let old_val = if op.dialects.is_all() {
                from_chain.or(stated)
            } else {
                stated.or(from_chain)
            };
            match (new_val, old_val) {
                (Some(n), Some(o)) => {
                    args.push(format!("{now}={o}"));
                    args.push(format!("{before}={n}"));
                    changes += 1;
                }
                (Some(n), None) => {
                    args.push(format!("{before}={n}"));
                    notes.push(format!("NOT REVERSED: the {what} of {target}: upgrade() does not say what it was, nor does the chain before it (add {before}=... to its alter_column, then run mrt fix again)."));
                    self.irreversible += 1;
                }
                (None, Some(o)) => args.push(format!("{before}={o}")),
                (None, None) => {}
            }
        }
        for kw in ["schema", "existing_comment"] {
            if let Some(t) = self.kw(call, kw) {
                args.push(format!("{kw}={t}"));
            }
        }
        if !notes.is_empty() {
            self.items.push(Item::Comment(notes));
        }
        if changes == 0 {
            return;
        }
        self.reversed += 1;
        self.push(block, format!("{r}.alter_column({})", args.join(", ")));
    }
}
