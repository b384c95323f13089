//! `mrt fix`: write the `downgrade()` that undoes `upgrade()`.
//!
//! The scanner's model says what each upgrade operation is; its ranges lead back to the call
//! in the source, whose argument text is reused verbatim. Operations are undone in reverse
//! order; `batch_alter_table` blocks stay batch blocks. What cannot be undone (dropped columns
//! and tables, rewritten rows, SQL we cannot invert) becomes a clearly marked comment that says
//! which data cannot come back, never a fake inverse.
//!
//! Only the downgrade's body is replaced (or a new function appended); every other byte of the
//! file, including its line endings, stays as it was.

use ruff_python_ast::token::TokenKind;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall, PySourceType, Stmt, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::chain::{ColumnBefore, columns_before};
use super::{one_line, py_str, scan_one};
use crate::Error;
use crate::scanner::model::{BodyKind, Framework, OpKind, Operation, Origin, Value};

/// What `mrt fix` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// No `downgrade()` at all: one is appended.
    Missing,
    /// `downgrade()` only passes (or holds a docstring / `...`): its body is replaced.
    Noop,
    /// `downgrade()` already does something: the proposal replaces it, `--apply` refuses.
    Replace,
    /// Nothing to do: `upgrade()` changes nothing, or the downgrade already matches.
    Nothing,
}

impl Status {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Missing => "missing",
            Status::Noop => "noop",
            Status::Replace => "replace",
            Status::Nothing => "nothing",
        }
    }
}

/// The proposal: the whole new file text and a one-line summary.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub status: Status,
    pub new_source: String,
    pub message: String,
    /// Upgrade operations that could not be undone (written as comments).
    pub irreversible: usize,
    /// Operations undone by generated code.
    pub reversed: usize,
    /// [`Status::Replace`]: the line of the `def downgrade` that already has code.
    pub existing_line: Option<usize>,
}

/// Marks every comment `mrt fix` writes, so users can grep for what needs their attention.
pub const MARK: &str = "# mrt fix:";

/// One generated piece of the downgrade, before indentation.
enum Item {
    /// A statement, inside the batch block with this index (None: at function level).
    Stmt(Option<usize>, String),
    /// Comment lines (without `# `), always at function level.
    Comment(Vec<String>),
}

struct Batch<'a> {
    call: &'a ExprCall,
    var: String,
    body: TextRange,
}

/// Every call and batch block of the module, for mapping model operations back to source.
struct Index<'a> {
    calls: Vec<&'a ExprCall>,
    batches: Vec<Batch<'a>>,
}

impl<'a> Visitor<'a> for Index<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let Stmt::With(w) = stmt
            && let (Some(first), Some(last)) = (w.body.first(), w.body.last())
        {
            for item in &w.items {
                let Expr::Call(call) = &item.context_expr else {
                    continue;
                };
                let Expr::Attribute(a) = call.func.as_ref() else {
                    continue;
                };
                let body = TextRange::new(first.start(), last.end());
                match (a.attr.as_str(), item.optional_vars.as_deref()) {
                    ("batch_alter_table", Some(Expr::Name(var))) => self.batches.push(Batch {
                        call,
                        var: var.id.as_str().to_string(),
                        body,
                    }),
                    // `with op.get_context().autocommit_block():` (CONCURRENTLY needs it).
                    ("autocommit_block", None) => self.batches.push(Batch {
                        call,
                        var: String::new(),
                        body,
                    }),
                    _ => {}
                }
            }
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            self.calls.push(call);
        }
        visitor::walk_expr(self, expr);
    }
}

struct Gen<'a> {
    source: &'a str,
    index: Index<'a>,
    /// The name `alembic.op` is bound to (`op`, or the alias).
    op_name: String,
    /// Tables created by this upgrade: their rows need no separate comment.
    created: Vec<String>,
    items: Vec<Item>,
    /// Batch blocks used by the downgrade, by index into `index.batches`.
    irreversible: usize,
    reversed: usize,
    /// The chain's definitions of the columns this upgrade drops or alters.
    before: std::collections::HashMap<(String, String), ColumnBefore>,
    /// The names this file's imports bind: copied definitions may use only these.
    imported: std::collections::HashSet<String>,
}

impl<'a> Gen<'a> {
    fn text(&self, range: TextRange) -> &'a str {
        &self.source[range]
    }

    /// The chain's definition of the column `op` drops or alters, when this file can use its
    /// text as it stands: every name it starts from (`sa`, `String`) is imported here.
    fn column_before(&self, op: &Operation) -> Option<&ColumnBefore> {
        let key = (
            op.table.as_deref()?.to_ascii_lowercase(),
            op.column.as_deref()?.to_ascii_lowercase(),
        );
        self.before
            .get(&key)
            .filter(|c| c.names.iter().all(|n| self.imported.contains(n)))
    }

    /// Positional argument `pos` or keyword `kw`, as source text.
    fn arg(&self, call: &ExprCall, pos: Option<usize>, kw: &str) -> Option<&'a str> {
        crate::scanner::python::arg(call, pos, kw).map(|e| self.text(e.range()))
    }

    fn kw(&self, call: &ExprCall, kw: &str) -> Option<&'a str> {
        self.arg(call, None, kw)
    }

    /// The parsed call behind an `op.*` operation.
    fn call_of(&self, op: &Operation) -> Option<&'a ExprCall> {
        let text = op.sql.as_deref()?;
        // Calls are collected in source order: skip straight to the statement's start.
        let first = self
            .index
            .calls
            .partition_point(|c| c.start() < op.range.start());
        self.index.calls[first..]
            .iter()
            .copied()
            .take_while(|c| c.start() < op.range.end())
            .find(|c| op.range.contains_range(c.range()) && self.text(c.range()) == text)
    }

    /// The batch block a call sits in, when it is made on the block's variable.
    fn batch_of(&self, call: &ExprCall) -> Option<usize> {
        let Expr::Attribute(a) = call.func.as_ref() else {
            return None;
        };
        let Expr::Name(n) = a.value.as_ref() else {
            return None;
        };
        self.index
            .batches
            .iter()
            .enumerate()
            .filter(|(_, b)| b.var == n.id.as_str() && b.body.contains_range(call.range()))
            .min_by_key(|(_, b)| b.body.len())
            .map(|(i, _)| i)
    }

    /// The `autocommit_block()` a call sits in: its inverse must run in one too.
    fn autocommit_of(&self, call: &ExprCall) -> Option<usize> {
        self.index
            .batches
            .iter()
            .enumerate()
            .filter(|(_, b)| b.var.is_empty() && b.body.contains_range(call.range()))
            .min_by_key(|(_, b)| b.body.len())
            .map(|(i, _)| i)
    }

    /// The receiver of `op.method(...)` as written (`op`, `o`, `alembic.op`, `batch_op`).
    fn receiver(&self, call: &ExprCall) -> String {
        match call.func.as_ref() {
            Expr::Attribute(a) => self.text(a.value.range()).to_string(),
            _ => self.op_name.clone(),
        }
    }

    fn push(&mut self, batch: Option<usize>, stmt: String) {
        self.items.push(Item::Stmt(batch, stmt));
    }

    fn comment(&mut self, lines: Vec<String>) {
        self.irreversible += 1;
        self.items.push(Item::Comment(lines));
    }

    fn passthrough(&self, call: &ExprCall, names: &[&str]) -> String {
        let mut out = String::new();
        for name in names {
            if let Some(t) = self.kw(call, name) {
                out.push_str(&format!(", {name}={t}"));
            }
        }
        out
    }

    /// `if_not_exists=X` on a create becomes `if_exists=X` on its drop.
    fn if_exists(&self, call: &ExprCall) -> String {
        self.kw(call, "if_not_exists")
            .map(|t| format!(", if_exists={t}"))
            .unwrap_or_default()
    }

    /// Undo one upgrade operation (the model's view) made by `call`.
    #[allow(clippy::too_many_lines)]
    fn undo_call(&mut self, op: &Operation, call: &'a ExprCall) {
        let batch = self.batch_of(call);
        let block = batch.or_else(|| self.autocommit_of(call));
        let b = usize::from(batch.is_some());
        let pos = |p: usize| p.checked_sub(b);
        let r = self.receiver(call);
        let shown = one_line(self.text(call.range()), 100);
        let table = if batch.is_some() {
            None
        } else {
            self.arg(call, Some(0), "table_name")
        };
        let schema = self.passthrough(call, &["schema"]);
        match op.kind {
            OpKind::AddColumn => {
                let Some(col) = op.column.as_deref() else {
                    return self.cannot(&shown, "mrt cannot read the added column's name");
                };
                let stmt = match table {
                    Some(t) => format!("{r}.drop_column({t}, {}{schema})", py_str(col)),
                    None => format!("{r}.drop_column({}{schema})", py_str(col)),
                };
                self.reversed += 1;
                self.push(block, stmt);
            }
            OpKind::DropColumn => {
                let col = self
                    .arg(call, pos(1), "column_name")
                    .unwrap_or("\"<column>\"");
                let target = op.target();
                let known = self.column_before(op).cloned();
                let loss = format!("upgrade() deletes column {target} and every value in it; no downgrade can bring the values back.");
                // Re-adding a NOT NULL column without a server default fails on a filled table:
                // such a definition stays a hint.
                if let Some(c) = known
                    .as_ref()
                    .filter(|c| c.nullable == "True" || c.server_default != "None")
                {
                    let add = match table {
                        Some(t) => format!("{r}.add_column({t}, {})", c.definition),
                        None => format!("{r}.add_column({})", c.definition),
                    };
                    self.comment(vec![
                        format!("NOT REVERSIBLE: {shown}"),
                        loss,
                        "The column comes back empty, as the revision that created it defined it:".to_string(),
                    ]);
                    self.reversed += 1;
                    self.push(block, add);
                    return;
                }
                let definition = known.as_ref().map_or_else(
                    || format!("sa.Column({col}, ..., nullable=True)"),
                    |c| c.definition.clone(),
                );
                let add = match table {
                    Some(t) => format!("{r}.add_column({t}, {definition})"),
                    None => format!("{r}.add_column({definition})"),
                };
                let mut lines = vec![
                    format!("NOT REVERSIBLE: {shown}"),
                    loss,
                    if known.is_some() {
                        "Its definition is NOT NULL without a server default, so adding it back fails on a filled table; give it a server_default or make it nullable:".to_string()
                    } else {
                        "To restore the column's structure (empty), write its definition (type for ...) here:".to_string()
                    },
                ];
                // The hint sits behind `# mrt fix: ` (11 columns) in the function body.
                let hint = wrap_at(&add, "    ", "    ", MAX_LINE - 11 - 4);
                lines.extend(hint.lines().map(str::to_string));
                self.comment(lines);
            }
            OpKind::AlterColumn | OpKind::RenameColumn => self.undo_alter(op, call, batch, block, &r),
            OpKind::CreateTable => {
                let t = self.arg(call, Some(0), "table_name").unwrap_or("\"?\"");
                let guard = self.if_exists(call);
                self.reversed += 1;
                self.push(block, format!("{r}.drop_table({t}{schema}{guard})"));
            }
            OpKind::DropTable => {
                let target = op.table.clone().unwrap_or_else(|| "?".into());
                self.comment(vec![
                    format!("NOT REVERSIBLE: {shown}"),
                    format!("upgrade() deletes table {target} with all its rows; re-creating it (op.create_table) gives an empty table."),
                ]);
            }
            OpKind::RenameTable => {
                let old = self.arg(call, Some(0), "old_table_name");
                let new = self.arg(call, Some(1), "new_table_name");
                let (Some(old), Some(new)) = (old, new) else {
                    return self.cannot(&shown, "mrt cannot read the table names");
                };
                self.reversed += 1;
                self.push(block, format!("{r}.rename_table({new}, {old}{schema})"));
            }
            OpKind::CreateIndex => {
                let name = self.arg(call, Some(0), "index_name");
                let Some(name) = name.filter(|_| !op.name_is_none) else {
                    return self.cannot(&shown, "the index has no name, so it cannot be dropped by name; name it in upgrade()");
                };
                let mut extra = self.passthrough(call, &["schema", "postgresql_concurrently"]);
                extra.push_str(&self.if_exists(call));
                let stmt = match self.arg(call, pos(1), "table_name").filter(|_| b == 0) {
                    Some(t) => format!("{r}.drop_index({name}, table_name={t}{extra})"),
                    None => format!("{r}.drop_index({name}{extra})"),
                };
                self.reversed += 1;
                self.push(block, stmt);
            }
            OpKind::CreateUniqueConstraint
            | OpKind::CreateForeignKey
            | OpKind::CreateCheckConstraint
            | OpKind::CreatePrimaryKey => {
                let type_ = match op.kind {
                    OpKind::CreateUniqueConstraint => "unique",
                    OpKind::CreateForeignKey => "foreignkey",
                    OpKind::CreateCheckConstraint => "check",
                    _ => "primary",
                };
                let name = self.arg(call, Some(0), "constraint_name");
                let Some(name) = name.filter(|_| !op.name_is_none) else {
                    return self.cannot(&shown, "the constraint has no name, so it cannot be dropped by name; name it in upgrade()");
                };
                let table_kw = if op.kind == OpKind::CreateForeignKey {
                    "source_table"
                } else {
                    "table_name"
                };
                let stmt = match self.arg(call, pos(1), table_kw).filter(|_| b == 0) {
                    Some(t) => format!(
                        "{r}.drop_constraint({name}, {t}, type_={}{schema})",
                        py_str(type_)
                    ),
                    None => format!("{r}.drop_constraint({name}, type_={})", py_str(type_)),
                };
                self.reversed += 1;
                self.push(block, stmt);
            }
            OpKind::DropIndex => self.comment(vec![
                format!("NOT REVERSED: {shown}"),
                "mrt cannot see the dropped index's columns; re-create it here with op.create_index(...). No row data is lost.".to_string(),
            ]),
            OpKind::DropConstraint => self.comment(vec![
                format!("NOT REVERSED: {shown}"),
                "mrt cannot see the dropped constraint's definition; re-create it here. No row data is lost, but rows written since may violate it.".to_string(),
            ]),
            OpKind::BulkInsert => {
                let t = op.table.clone().unwrap_or_else(|| "?".into());
                if !self.created.iter().any(|c| c.eq_ignore_ascii_case(&t)) {
                    self.comment(vec![
                        format!("NOT REVERSED: {shown}"),
                        format!("the rows inserted into {t} stay after downgrade; delete them here if they must go."),
                    ]);
                }
            }
            OpKind::Read => {}
            _ => self.cannot(&shown, "mrt knows no automatic inverse for this call"),
        }
    }

    fn cannot(&mut self, shown: &str, why: &str) {
        self.comment(vec![format!("NOT REVERSED: {shown}"), format!("{why}.")]);
    }

    /// alter_column back: the new name back to the old, `type_` ↔ `existing_type`,
    /// `nullable` ↔ `existing_nullable`, `server_default` ↔ `existing_server_default`.
    fn undo_alter(
        &mut self,
        op: &Operation,
        call: &'a ExprCall,
        batch: Option<usize>,
        block: Option<usize>,
        r: &str,
    ) {
        let shown = one_line(self.text(call.range()), 100);
        let b = usize::from(batch.is_some());
        let Some(col) = op.column.as_deref() else {
            return self.cannot(&shown, "mrt cannot read the column name");
        };
        let new_name = op
            .kwarg_value("new_column_name")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut args = Vec::new();
        if b == 0 {
            let Some(t) = self.arg(call, Some(0), "table_name") else {
                return self.cannot(&shown, "mrt cannot read the table name");
            };
            args.push(t.to_string());
        }
        args.push(py_str(new_name.as_deref().unwrap_or(col)));
        let mut changes = 0;
        let mut notes = Vec::new();
        if new_name.is_some() {
            args.push(format!("new_column_name={}", py_str(col)));
            changes += 1;
        }
        let target = op.target();
        // What upgrade() does not say about the column before it, the chain may.
        let chain = self.column_before(op).cloned();
        for (now, before, what) in [
            ("type_", "existing_type", "type"),
            ("nullable", "existing_nullable", "nullability"),
            (
                "server_default",
                "existing_server_default",
                "server default",
            ),
        ] {
            let new_val = self.kw(call, now);
            let from_chain = chain.as_ref().and_then(|c| match now {
                "type_" => c.type_.clone(),
                "nullable" => Some(c.nullable.clone()),
                _ => Some(c.server_default.clone()),
            });
            let old_val = self.kw(call, before).or(from_chain.as_deref());
            match (new_val, old_val) {
                (Some(n), Some(o)) => {
                    args.push(format!("{now}={o}"));
                    args.push(format!("{before}={n}"));
                    changes += 1;
                }
                (Some(n), None) if now == "nullable" && matches!(n, "True" | "False") => {
                    // Setting nullable=X only makes sense when it was not X before.
                    let o = if n == "True" { "False" } else { "True" };
                    args.push(format!("{now}={o}"));
                    args.push(format!("{before}={n}"));
                    changes += 1;
                }
                (Some(n), None) if now == "server_default" => {
                    args.push(format!("{now}=None"));
                    args.push(format!("{before}={n}"));
                    notes.push(format!("assumed {target} had no server default before upgrade(); add existing_server_default= to upgrade()'s alter_column if it had one."));
                    changes += 1;
                }
                (Some(n), None) => {
                    args.push(format!("{before}={n}"));
                    notes.push(format!("NOT REVERSED: the {what} of {target}: upgrade() does not say what it was (add {before}=... to its alter_column, then run mrt fix again)."));
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

    /// Undo raw SQL: the statements parsed out of one `execute` (or Django `RunSQL`).
    fn undo_sql(&mut self, exec: &Operation, stmts: &[&Operation]) {
        let sql = exec.sql.as_deref().unwrap_or("");
        let shown = one_line(sql, 100);
        let changes: Vec<&&Operation> = stmts.iter().filter(|o| o.kind != OpKind::Read).collect();
        if exec.sql_error.is_none() && changes.is_empty() && !stmts.is_empty() {
            return; // SELECT only
        }
        let o = self.op_name.clone();
        let mut out = Vec::new();
        let mut why = None;
        if let Some(err) = &exec.sql_error {
            why = Some(format!(
                "mrt could not analyse this SQL ({err}); write its inverse here."
            ));
        }
        for s in changes.iter().rev() {
            if why.is_some() {
                break;
            }
            let table = s.table.as_deref();
            let name = s.name.as_deref();
            let stmt = match (s.kind, table, name) {
                (OpKind::CreateTable, Some(t), _) => Some(format!("{o}.drop_table({})", py_str(t))),
                (OpKind::AddColumn, Some(t), _) => s
                    .column
                    .as_deref()
                    .map(|c| format!("{o}.drop_column({}, {})", py_str(t), py_str(c))),
                (OpKind::CreateIndex, Some(t), Some(n)) => Some(format!(
                    "{o}.drop_index({}, table_name={})",
                    py_str(n),
                    py_str(t)
                )),
                (OpKind::RenameTable, Some(t), _) => s
                    .new_name
                    .as_deref()
                    .map(|n| format!("{o}.rename_table({}, {})", py_str(n), py_str(t))),
                (OpKind::RenameColumn, Some(t), _) => match (&s.column, &s.new_name) {
                    (Some(c), Some(n)) => Some(format!(
                        "{o}.alter_column({}, {}, new_column_name={})",
                        py_str(t),
                        py_str(n),
                        py_str(c)
                    )),
                    _ => None,
                },
                (
                    OpKind::CreateUniqueConstraint
                    | OpKind::CreateForeignKey
                    | OpKind::CreateCheckConstraint
                    | OpKind::CreatePrimaryKey,
                    Some(t),
                    Some(n),
                ) => {
                    let type_ = match s.kind {
                        OpKind::CreateUniqueConstraint => "unique",
                        OpKind::CreateForeignKey => "foreignkey",
                        OpKind::CreateCheckConstraint => "check",
                        _ => "primary",
                    };
                    Some(format!(
                        "{o}.drop_constraint({}, {}, type_={})",
                        py_str(n),
                        py_str(t),
                        py_str(type_)
                    ))
                }
                (OpKind::CreateView, _, Some(n)) => Some(format!(
                    "{o}.execute({})",
                    py_str(&format!("DROP VIEW {n}"))
                )),
                (OpKind::CreateSequence, _, Some(n)) => Some(format!(
                    "{o}.execute({})",
                    py_str(&format!("DROP SEQUENCE {n}"))
                )),
                // PostgreSQL spelling, as the upgrade's own SQL was.
                (OpKind::SetNotNull | OpKind::DropNotNull, Some(t), _) => {
                    s.column.as_deref().map(|c| {
                        let action = if s.kind == OpKind::SetNotNull {
                            "DROP"
                        } else {
                            "SET"
                        };
                        format!(
                            "{o}.execute({})",
                            py_str(&format!(
                                "ALTER TABLE {t} ALTER COLUMN {c} {action} NOT NULL"
                            ))
                        )
                    })
                }
                (OpKind::CreateType, _, Some(n)) => Some(format!(
                    "{o}.execute({})",
                    py_str(&format!("DROP TYPE {n}"))
                )),
                _ => None,
            };
            match stmt {
                Some(stmt) => out.push(stmt),
                None => why = Some(sql_loss(s)),
            }
        }
        match why {
            Some(why) => self.comment(vec![format!("NOT REVERSIBLE: SQL: {shown}"), why]),
            None => {
                self.reversed += 1;
                for stmt in out {
                    self.push(None, stmt);
                }
            }
        }
    }
}

/// What a raw SQL statement we cannot invert does to data.
fn sql_loss(s: &Operation) -> String {
    let t = s.table.clone().unwrap_or_else(|| "the table".into());
    let name = s.name.clone().unwrap_or_else(|| "it".into());
    match s.kind {
        OpKind::Update if s.backfill => format!(
            "it fills NULLs in {t}; which rows were NULL is not recorded, so the downgrade cannot put the NULLs back (often harmless)."
        ),
        OpKind::DropView
        | OpKind::DropTrigger
        | OpKind::DropType
        | OpKind::DropSequence
        | OpKind::DropFunction
        | OpKind::DropIndex => format!(
            "it drops {} {name}; mrt cannot see its definition, so re-create it here. No row data is lost.",
            s.kind.as_str().trim_start_matches("drop_")
        ),
        OpKind::DropConstraint => format!(
            "it drops constraint {name}; mrt cannot see its definition, so re-create it here."
        ),
        OpKind::AlterTypeAddValue => format!(
            "PostgreSQL cannot remove a value from enum type {name}; change the rows using it, then re-create the type without it."
        ),
        OpKind::Update => format!(
            "it rewrites rows of {t}; the previous values are not kept anywhere, so the downgrade cannot restore them."
        ),
        OpKind::Delete => format!("it deletes rows from {t}; they cannot come back."),
        OpKind::Truncate => format!("it empties {t}; its rows cannot come back."),
        OpKind::Insert => format!(
            "the rows it inserts into {t} stay after downgrade; delete them here if they must go."
        ),
        OpKind::DropColumn => format!(
            "it drops column {} and its values; they cannot come back.",
            s.target()
        ),
        OpKind::DropTable => format!("it drops table {t} with its rows; they cannot come back."),
        _ => "mrt knows no automatic inverse for this statement; write it here.".to_string(),
    }
}

/// Indentation of the line holding `offset`.
fn indent_at(source: &str, offset: TextSize) -> &str {
    let at = offset.to_usize();
    let start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &source[start..];
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..n]
}

/// The end of a `def` header: just after its `:` token.
fn header_end(
    parsed: &ruff_python_parser::Parsed<ruff_python_ast::ModModule>,
    def: &StmtFunctionDef,
) -> Option<TextSize> {
    let body_start = def.body.first()?.start();
    parsed
        .tokens()
        .iter()
        .rfind(|t| {
            t.kind() == TokenKind::Colon && t.start() >= def.name.end() && t.end() <= body_start
        })
        .map(Ranged::end)
}

/// Propose (or compute) the fix for one Alembic file.
pub fn fix_source(path: &str, source: &str) -> Result<Outcome, Error> {
    let (_file, m) = scan_one(path, source)?;
    if m.framework == Framework::Django {
        return Err(Error::Usage(format!(
            "{path}: a Django migration: Django reverses its operations itself (give RunPython/RunSQL a reverse); mrt fix writes Alembic downgrade() functions"
        )));
    }
    let nothing = |message: String| Outcome {
        status: Status::Nothing,
        new_source: source.to_string(),
        message,
        irreversible: 0,
        reversed: 0,
        existing_line: None,
    };
    let Some(upgrade) = &m.upgrade else {
        return Err(Error::Usage(format!(
            "{path}: no upgrade() function to reverse"
        )));
    };
    if !upgrade.changes_something() {
        return Ok(nothing(
            "nothing to fix: upgrade() changes nothing".to_string(),
        ));
    }
    let parsed = ruff_python_parser::parse_unchecked_source(source, PySourceType::Python);
    let body = &parsed.syntax().body;
    let find_def = |name: &str| {
        body.iter().find_map(|s| match s {
            Stmt::FunctionDef(f) if f.name.as_str() == name => Some(f),
            _ => None,
        })
    };
    let up_def = find_def("upgrade")
        .ok_or_else(|| Error::Usage(format!("{path}: no upgrade() function to reverse")))?;
    let mut index = Index {
        calls: Vec::new(),
        batches: Vec::new(),
    };
    for stmt in body {
        index.visit_stmt(stmt);
    }
    // Stable: an outer call stays before the inner call that starts at the same offset.
    index.calls.sort_by_key(|c| c.start());
    let op_name = op_alias(body);
    let mut g = Gen {
        source,
        index,
        op_name,
        created: m.created_tables.clone(),
        items: Vec::new(),
        irreversible: 0,
        reversed: 0,
        before: columns_before(path, source),
        imported: imported_names(body),
    };
    let ops = &upgrade.ops;
    let mut i = 0;
    // Walk forward to group each execute with its SQL statements, then reverse the items.
    let mut groups: Vec<Vec<Item>> = Vec::new();
    let mut done_calls: Vec<TextRange> = Vec::new();
    while i < ops.len() {
        let op = &ops[i];
        let before = g.items.len();
        if op.kind == OpKind::Execute {
            let mut j = i + 1;
            let mut stmts = Vec::new();
            while j < ops.len() && ops[j].origin == Origin::Sql && ops[j].range == op.range {
                stmts.push(&ops[j]);
                j += 1;
            }
            g.undo_sql(op, &stmts);
            i = j;
        } else if op.kind == OpKind::Call {
            // A function imported from elsewhere: its effects are invisible here.
            let name = op.name.clone().unwrap_or_else(|| "a function".into());
            g.cannot(
                &format!("{name}()"),
                &format!("upgrade() calls {name}(), defined outside this file; mrt cannot see what it changes, so undo it here (e.g. call its counterpart)"),
            );
            i += 1;
        } else if op.origin == Origin::Sql {
            // A SQLAlchemy Core statement or SQL outside an execute we saw.
            g.undo_sql(op, &[op]);
            i += 1;
        } else {
            i += 1;
            match g.call_of(op) {
                Some(call) => {
                    if done_calls.contains(&call.range()) {
                        continue;
                    }
                    done_calls.push(call.range());
                    g.undo_call(op, call);
                }
                None => {
                    if op.kind != OpKind::Read {
                        let shown = one_line(op.sql.as_deref().unwrap_or(op.kind.as_str()), 100);
                        g.cannot(&shown, "mrt could not locate this call in the source");
                    }
                }
            }
        }
        let produced: Vec<Item> = g.items.drain(before..).collect();
        if !produced.is_empty() {
            groups.push(produced);
        }
    }
    let items: Vec<Item> = groups.into_iter().rev().flatten().collect();

    // Layout: indentation unit and line ending of the file.
    let unit = up_def
        .body
        .first()
        .map_or("    ", |s| indent_at(source, s.start()))
        .to_string();
    let unit = if unit.is_empty() {
        "    ".to_string()
    } else {
        unit
    };
    let nl = if source.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let lines = render(&items, &unit, &g);
    let new_body = lines.join(nl);

    let mut replace_line = None;
    let (status, new_source) = match (&m.downgrade, find_def("downgrade")) {
        (Some(down), Some(def)) => {
            let Some(colon) = header_end(&parsed, def) else {
                return Err(Error::Internal(format!(
                    "{path}: cannot find the end of the downgrade() header"
                )));
            };
            // A comment after the header's colon stays: replace from the end of that line.
            let body_start = def.body.first().map_or(def.end(), Ranged::start);
            let start = source[colon.to_usize()..body_start.to_usize()]
                .find(['\r', '\n'])
                .map_or(colon, |i| colon + TextSize::try_from(i).unwrap_or_default());
            let replaced = TextRange::new(start, def.end());
            let old_body: Vec<&str> = source[replaced]
                .trim_start_matches(['\r', '\n'])
                .lines()
                .map(str::trim_end)
                .collect();
            let new_lines: Vec<&str> = lines.iter().map(|l| l.trim_end()).collect();
            if old_body == new_lines {
                return Ok(nothing(
                    "nothing to fix: downgrade() already undoes upgrade()".to_string(),
                ));
            }
            let status = if down.body == BodyKind::Empty {
                Status::Noop
            } else {
                let line = crate::scanner::source::Lines::new(source).line(def.start());
                replace_line = Some(line);
                Status::Replace
            };
            let mut out = String::with_capacity(source.len() + new_body.len());
            out.push_str(&source[..start.to_usize()]);
            out.push_str(nl);
            out.push_str(&new_body);
            out.push_str(&source[def.end().to_usize()..]);
            (status, out)
        }
        _ => {
            let header_text = match header_end(&parsed, up_def) {
                Some(end) => {
                    let start = up_def.start().to_usize();
                    let name = up_def.name.range();
                    format!(
                        "{}downgrade{}",
                        &source[start..name.start().to_usize()],
                        &source[name.end().to_usize()..end.to_usize()]
                    )
                }
                None => "def downgrade() -> None:".to_string(),
            };
            let mut out = source.to_string();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(nl);
            }
            out.push_str(nl);
            out.push_str(nl);
            out.push_str(&header_text);
            out.push_str(nl);
            out.push_str(&new_body);
            out.push_str(nl);
            (Status::Missing, out)
        }
    };
    // Never hand back a file that does not parse.
    let check = ruff_python_parser::parse_unchecked_source(&new_source, PySourceType::Python);
    if let Some(err) = check.errors().first() {
        return Err(Error::Internal(format!(
            "{path}: the generated downgrade does not parse ({}); please report this",
            err.error
        )));
    }
    let message = match (g.reversed, g.irreversible) {
        (r, 0) => format!("downgrade() undoes all {r} operation(s) of upgrade()"),
        (r, n) => format!(
            "downgrade() undoes {r} operation(s); {n} cannot be undone (see the '{MARK}' comments)"
        ),
    };

    Ok(Outcome {
        status,
        new_source,
        message,
        irreversible: g.irreversible,
        reversed: g.reversed,
        existing_line: replace_line,
    })
}

/// Indent the items; consecutive statements of one batch block share a `with` block.
fn render(items: &[Item], unit: &str, g: &Gen<'_>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut open: Option<usize> = None;
    let mut has_stmt = false;
    for item in items {
        match item {
            Item::Stmt(batch, text) => {
                has_stmt = true;
                if *batch != open {
                    open = *batch;
                    if let Some(b) = batch {
                        let block = &g.index.batches[*b];
                        let call = g.text(block.call.range());
                        if block.var.is_empty() {
                            lines.push(format!("{unit}with {call}:"));
                        } else {
                            lines.push(format!("{unit}with {call} as {}:", block.var));
                        }
                    }
                }
                let indent = if batch.is_some() {
                    format!("{unit}{unit}")
                } else {
                    unit.to_string()
                };
                lines.push(wrap(text, &indent, unit));
            }
            Item::Comment(text) => {
                open = None;
                let room = MAX_LINE.saturating_sub(unit.len() + MARK.len() + 1).max(40);
                for line in text {
                    // Code hints (indented) stay whole; sentences wrap like prose.
                    let parts = if line.starts_with(' ') {
                        vec![line.clone()]
                    } else {
                        word_wrap(line, room)
                    };
                    for part in parts {
                        lines.push(format!("{unit}{MARK} {part}").trim_end().to_string());
                    }
                }
            }
        }
    }
    if !has_stmt {
        lines.push(format!("{unit}pass"));
    }
    // One entry per physical line; text copied from a CRLF file loses its `\r` here and
    // gets the file's line ending back when joined.
    lines
        .iter()
        .flat_map(|l| l.split('\n'))
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect()
}

/// Greedy word wrap; a word longer than `width` gets a line of its own.
fn word_wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

/// Longest generated line before a call is split one argument per line (black's style).
const MAX_LINE: usize = 99;

/// `indent + stmt`, or, when too long, the call split one argument per line.
fn wrap(stmt: &str, indent: &str, unit: &str) -> String {
    wrap_at(stmt, indent, unit, MAX_LINE)
}

fn wrap_at(stmt: &str, indent: &str, unit: &str, max: usize) -> String {
    if indent.len() + stmt.len() <= max || stmt.contains('\n') {
        return format!("{indent}{stmt}");
    }
    let Ok(parsed) = ruff_python_parser::parse_expression(stmt) else {
        return format!("{indent}{stmt}");
    };
    let Expr::Call(call) = &*parsed.syntax().body else {
        return format!("{indent}{stmt}");
    };
    let mut ranges: Vec<TextRange> = call.arguments.args.iter().map(Ranged::range).collect();
    ranges.extend(call.arguments.keywords.iter().map(Ranged::range));
    ranges.sort_by_key(|r| r.start());
    let mut out = format!("{indent}{}(\n", &stmt[call.func.range()]);
    for r in ranges {
        out.push_str(&format!("{indent}{unit}{},\n", &stmt[r]));
    }
    out.push_str(&format!("{indent})"));
    out
}

/// The name `from alembic import op [as x]` binds (default `op`).
fn op_alias(body: &[Stmt]) -> String {
    for stmt in body {
        if let Stmt::ImportFrom(i) = stmt
            && i.module.as_ref().is_some_and(|m| m.as_str() == "alembic")
        {
            for alias in &i.names {
                if alias.name.as_str() == "op" {
                    return alias
                        .asname
                        .as_ref()
                        .unwrap_or(&alias.name)
                        .as_str()
                        .to_string();
                }
            }
        }
    }
    "op".to_string()
}

/// The names a module's imports bind: `import a.b as c` binds c, `import a.b` binds a,
/// `from m import x as y` binds y.
fn imported_names(body: &[Stmt]) -> std::collections::HashSet<String> {
    let mut names = std::collections::HashSet::new();
    for stmt in body {
        match stmt {
            Stmt::Import(i) => names.extend(i.names.iter().map(|a| match &a.asname {
                Some(alias) => alias.to_string(),
                None => a.name.split('.').next().unwrap_or_default().to_string(),
            })),
            Stmt::ImportFrom(i) => names.extend(
                i.names
                    .iter()
                    .map(|a| a.asname.as_ref().unwrap_or(&a.name).to_string()),
            ),
            _ => {}
        }
    }
    names
}

#[cfg(test)]
mod chain_text_tests {
    use ruff_python_ast::PySourceType;

    use super::imported_names;
    use crate::toolbox::chain::root_names;

    /// Is every name `expr` starts from bound by an import of `source`?
    fn names_imported(source: &str, expr: &str) -> bool {
        let module = ruff_python_parser::parse_unchecked_source(source, PySourceType::Python);
        let imported = imported_names(&module.syntax().body);
        let parsed = ruff_python_parser::parse_expression(expr).unwrap();
        root_names(parsed.expr())
            .iter()
            .all(|n| imported.contains(n))
    }

    #[test]
    fn copied_text_may_only_use_names_this_file_imports() {
        let source = "import sqlalchemy as sa\nfrom alembic import op\nfrom x import (A as B, C)\n";
        assert!(names_imported(
            source,
            "sa.Column(\"a\", sa.String(30), nullable=True)"
        ));
        assert!(names_imported(
            source,
            "sa.Column('a', B, C(1), server_default='x.y')"
        ));
        assert!(!names_imported(source, "sa.Column('a', String(30))"));
        assert!(!names_imported(
            source,
            "sa.Column('a', postgresql.JSONB())"
        ));
    }
}
