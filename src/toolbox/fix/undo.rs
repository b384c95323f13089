//! One upgrade operation undone: the call found back in the source, its argument text reused.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::{Expr, ExprCall, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange};

use super::Item;
use super::conditions::Guard;
use super::layout::{MAX_LINE, wrap_at};
use super::source_map::Index;
use crate::scanner::model::{Dialects, OpKind, Operation, Origin};
use crate::toolbox::chain::{Chain, ColumnBefore, root_names};
use crate::toolbox::{one_line, py_str};

/// The downgrade being generated.
pub(super) struct Gen<'a> {
    pub source: &'a str,
    pub index: Index<'a>,
    /// The name `alembic.op` is bound to (`op`, or the alias).
    pub op_name: String,
    /// The name `sqlalchemy` is imported as, for constraints written from the chain's state.
    pub sqlalchemy: Option<String>,
    /// Tables created by this upgrade: their rows need no separate comment.
    pub created: Vec<String>,
    pub items: Vec<Item>,
    pub irreversible: usize,
    pub reversed: usize,
    /// The schema before this upgrade, when the file sits among its ancestors.
    pub chain: Option<Chain>,
    /// Indexes and constraints (lower-case names) the upgrade drops by name: their own undo
    /// re-creates them, so a re-created table leaves them out.
    pub dropped_objects: Vec<String>,
    /// The names the module binds outside its functions ([`super::source_map::module_names`]).
    pub bound: HashSet<String>,
    /// The file's `from m import f` bindings: f → (m, f) ([`super::source_map::imported_from`]).
    pub imports: HashMap<String, (String, String)>,
    /// The file's path, to find the project's modules from.
    pub path: String,
    /// The module's own functions, by name ([`super::helpers`]).
    pub defs: HashMap<&'a str, &'a StmtFunctionDef>,
    /// Functions defined inside the module's functions, as the scanner reads them
    /// (mlflow 1b5f0d9ad7c1's `_create_workspace_indexes_and_catalog` inside `upgrade()`):
    /// their statements are undone one by one; never called from the downgrade.
    pub nested_defs: HashMap<String, &'a StmtFunctionDef>,
    /// While a helper's operation is undone: the call of it in upgrade() and its arguments.
    pub calling: Option<(TextRange, HashMap<String, String>)>,
}

/// Builtins generated code may read besides the module's own names.
const BUILTINS: [&str; 16] = [
    "str", "int", "float", "bool", "bytes", "len", "range", "list", "dict", "tuple", "set",
    "sorted", "min", "max", "repr", "print",
];

impl<'a> Gen<'a> {
    pub fn new(source: &'a str, index: Index<'a>, op_name: String, chain: Option<Chain>) -> Self {
        Gen {
            source,
            index,
            op_name,
            sqlalchemy: None,
            created: Vec::new(),
            items: Vec::new(),
            irreversible: 0,
            reversed: 0,
            chain,
            dropped_objects: Vec::new(),
            bound: HashSet::new(),
            imports: HashMap::new(),
            path: String::new(),
            defs: HashMap::new(),
            nested_defs: HashMap::new(),
            calling: None,
        }
    }

    /// Undo every operation of `upgrade()`: walk forward to group each `execute` with its SQL
    /// statements, then hand back the groups in reverse.
    pub fn undo_upgrade(&mut self, ops: &[Operation]) -> Vec<Item> {
        self.dropped_objects = ops
            .iter()
            .filter(|o| matches!(o.kind, OpKind::DropIndex | OpKind::DropConstraint))
            .filter_map(|o| Some(o.name.as_deref()?.to_ascii_lowercase()))
            .collect();
        let mut groups: Vec<Vec<Item>> = Vec::new();
        // A call of a helper is undone once per call of the helper in upgrade().
        let mut done_calls: Vec<(Option<TextRange>, TextRange)> = Vec::new();
        let mut inverted: Vec<TextRange> = Vec::new();
        let mut i = 0;
        while i < ops.len() {
            let mut op = &ops[i];
            let before = self.items.len();
            let reversed = self.reversed;
            let helper = self.helper_call(op).or_else(|| self.local_call(op));
            let inverse = helper.as_ref().and_then(|h| Some((h, self.inverse_of(h)?)));
            i += 1;
            // The statements of a function imported from the project are undone as its call
            // (its counterpart, or the one `op.*` call it forwards to).
            let call;
            if let Some(name) = &op.imported {
                while i < ops.len() && ops[i].range == op.range && ops[i].imported == op.imported {
                    i += 1;
                }
                let mut c = Operation::new(OpKind::Call, Origin::Op, op.range);
                c.name = Some(name.clone());
                c.dialects = op.dialects;
                c.guarded = op.guarded;
                call = c;
                op = &call;
            }
            if let Some((h, inverse)) = inverse {
                // The file's own inverse of the helper, once per call of it.
                if !inverted.contains(&h.call.range()) {
                    inverted.push(h.call.range());
                    self.call_inverse(h, inverse);
                }
            } else if op.kind == OpKind::Execute {
                let mut stmts = Vec::new();
                while i < ops.len() && ops[i].origin == Origin::Sql && ops[i].range == op.range {
                    stmts.push(&ops[i]);
                    i += 1;
                }
                self.undo_sql(op, &stmts);
            } else if op.kind == OpKind::Call && self.undo_imported(op) {
                // A project function that forwards to one `op.*` call: undone as that call.
            } else if op.kind == OpKind::Call
                && op
                    .name
                    .as_deref()
                    .is_some_and(|n| self.defs.contains_key(n))
            {
                let name = op.name.clone().unwrap_or_else(|| "a function".into());
                self.cannot(
                    &format!("{name}()"),
                    &format!("upgrade() calls {name}(), a function of this file that makes no schema change mrt can read (rows it writes through a session or connection are not followed); undo what it does here"),
                );
            } else if op.kind == OpKind::Call {
                // A function imported from elsewhere: its effects are invisible here.
                let name = op.name.clone().unwrap_or_else(|| "a function".into());
                self.cannot(
                    &format!("{name}()"),
                    &format!("upgrade() calls {name}(), defined outside this file; mrt cannot see what it changes, so undo it here (e.g. call its counterpart)"),
                );
            } else if op.origin == Origin::Sql {
                // A SQLAlchemy Core statement or SQL outside an execute we saw.
                self.undo_sql(op, &[op]);
            } else if let Some(call) = self.call_of(op) {
                if !done_calls.contains(&(op.via, call.range())) {
                    done_calls.push((op.via, call.range()));
                    self.calling = helper
                        .as_ref()
                        .and_then(|h| Some((h.call.range(), h.args.clone()?)));
                    self.undo_call(op, call);
                    self.calling = None;
                }
            } else if op.kind != OpKind::Read {
                let shown = one_line(op.sql.as_deref().unwrap_or(op.kind.as_str()), 100);
                self.cannot(&shown, "mrt could not locate this call in the source");
            }
            let produced: Vec<Item> = self.items.drain(before..).collect();
            let produced = self.placed(op, helper.as_ref(), inverse.is_some(), produced, reversed);
            if !produced.is_empty() {
                groups.push(produced);
            }
        }
        merge_branches(groups.into_iter().rev().flatten())
    }

    /// What was generated for `op`, placed where it can run ([`Self::runnable`]); for a
    /// helper's operation, with the caller's arguments and a note of the call in comments.
    fn placed(
        &mut self,
        op: &Operation,
        helper: Option<&super::helpers::HelperCall<'a>>,
        inverse: bool,
        mut produced: Vec<Item>,
        reversed: usize,
    ) -> Vec<Item> {
        let mut site = Where::of(self, op);
        match helper {
            Some(h) if inverse => {
                // Only the call is written: it runs where the call ran.
                site = Where::call(self, h.call.range());
                site.shown = Some(one_line(self.text(h.call.range()), 100));
                self.runnable(op, &site, produced, reversed)
            }
            Some(h) => {
                produced = self.substituted(produced, h);
                let produced = self.runnable(op, &site, produced, reversed);
                self.noting_call(produced, h)
            }
            None => self.runnable(op, &site, produced, reversed),
        }
    }

    /// The statements generated for `op`; under an `if` on the same dialects when `op` runs
    /// under such an `if`. Or, when they cannot run where the downgrade puts them, a comment
    /// that shows them: they read names `upgrade()` binds for itself (a local, a loop
    /// variable), which `downgrade()` does not have, or `op`'s `if` on the dialect has a test
    /// mrt cannot restate exactly.
    fn runnable(
        &mut self,
        op: &Operation,
        site: &Where<'_>,
        produced: Vec<Item>,
        reversed: usize,
    ) -> Vec<Item> {
        let (code, unbound) = self.as_hint(&produced);
        let why = if code.is_empty() {
            return produced;
        } else if !unbound.is_empty() {
            let (them, it) = if unbound.len() == 1 {
                ("it", "is")
            } else {
                ("them", "are")
            };
            format!(
                "its undo reads {}, which {it} bound inside upgrade() only; bind {them} here too, then:",
                unbound.join(", ")
            )
        } else if let Err(test) = self.mirrored(op, &site.guards) {
            format!(
                "upgrade() runs it only when {test}, a test mrt cannot mirror (only existence checks on literal names that downgrade() can call are); undo it under the matching test here:"
            )
        } else if site.dialects.is_all() || site.exact == Some(site.dialects) {
            let guard = self.mirrored(op, &site.guards).ok().flatten();
            // The same branch in the downgrade: `if op.get_context().dialect.name == ...:`.
            let produced = if site.dialects.is_all() {
                produced
            } else {
                vec![Item::Branch(site.dialects, produced)]
            };
            return match guard {
                Some(test) => vec![Item::If(test, produced)],
                None => produced,
            };
        } else {
            "upgrade() runs it only on some databases, under conditions mrt cannot restate as an `if` on the dialect; undo it in the same branch here:".to_string()
        };
        self.reversed = reversed;
        let shown = site
            .shown
            .clone()
            .unwrap_or_else(|| one_line(op.sql.as_deref().unwrap_or(op.kind.as_str()), 100));
        let mut out: Vec<Item> = produced
            .into_iter()
            .filter(|i| matches!(i, Item::Comment(_)))
            .collect();
        self.irreversible += 1;
        let mut lines = vec![format!("NOT REVERSED: {shown}"), why];
        // Text copied from the file may span lines: every line stays a hint (indented).
        for part in code.iter().flat_map(|c| c.lines()) {
            let part = part.trim_end_matches('\r');
            if part.starts_with(' ') {
                lines.push(part.to_string());
            } else {
                lines.push(format!("    {part}"));
            }
        }
        out.push(Item::Comment(lines));
        out
    }

    /// The statements among `items` as the lines a comment shows them in (batch blocks with
    /// their `with` header), and the names they read that `downgrade()` does not bind.
    fn as_hint(&self, produced: &[Item]) -> (Vec<String>, Vec<String>) {
        let mut unbound: Vec<String> = Vec::new();
        let mut code: Vec<String> = Vec::new();
        for item in produced {
            let Item::Stmt(block, stmt) = item else {
                continue;
            };
            let batch = block.map(|b| &self.index.batches[b]);
            let header = batch.map(|b| self.header(b));
            for text in header.iter().map(String::as_str).chain([stmt.as_str()]) {
                let Ok(parsed) = ruff_python_parser::parse_expression(text) else {
                    continue;
                };
                for name in root_names(parsed.expr()) {
                    let known = self.bound.contains(&name)
                        || BUILTINS.contains(&name.as_str())
                        || batch.is_some_and(|b| b.var == name);
                    if !known && !unbound.contains(&name) {
                        unbound.push(name);
                    }
                }
            }
            let indent = match batch {
                Some(b) => {
                    let header = header.as_deref().unwrap_or_default();
                    let with = if b.var.is_empty() {
                        format!("    with {header}:")
                    } else {
                        format!("    with {header} as {}:", b.var)
                    };
                    if code.last() != Some(&with) {
                        code.push(with);
                    }
                    "        "
                }
                None => "    ",
            };
            code.extend(
                wrap_at(stmt, indent, "    ", MAX_LINE - 11 - 4)
                    .lines()
                    .map(str::to_string),
            );
        }
        (code, unbound)
    }

    pub(super) fn text(&self, range: TextRange) -> &'a str {
        &self.source[range]
    }

    /// A batch block's header as the downgrade writes it.
    pub(super) fn header(&self, b: &super::source_map::Batch<'_>) -> String {
        b.header
            .clone()
            .unwrap_or_else(|| self.text(b.call.range()).to_string())
    }

    /// A `Call` operation that is a call of one of the module's functions (one that made no
    /// operation the scanner reads).
    fn local_call(&self, op: &Operation) -> Option<super::helpers::HelperCall<'a>> {
        if op.kind != OpKind::Call {
            return None;
        }
        let name = op.name.as_deref()?;
        let call = self.index.calls.iter().copied().find(|c| {
            c.start() == op.range.start()
                && matches!(c.func.as_ref(), Expr::Name(n) if n.id.as_str() == name)
        })?;
        self.helper_at(call)
    }

    /// The comments written for a helper's operation say through which call it came.
    fn noting_call(&self, items: Vec<Item>, h: &super::helpers::HelperCall<'_>) -> Vec<Item> {
        let called = format!(
            "(made by {}(), called in upgrade() as {})",
            h.def.name.as_str(),
            one_line(self.text(h.call.range()), 80)
        );
        items
            .into_iter()
            .map(|item| match item {
                Item::Comment(mut lines) if !lines.is_empty() => {
                    lines.insert(1, called.clone());
                    Item::Comment(lines)
                }
                other => other,
            })
            .collect()
    }

    /// The chain's view of the column `op` drops or alters.
    pub(super) fn column_before(&self, op: &Operation) -> Option<ColumnBefore> {
        self.chain
            .as_ref()?
            .column(op.table.as_deref()?, op.column.as_deref()?)
    }

    /// Positional argument `pos` or keyword `kw`, as source text.
    pub(super) fn arg(&self, call: &ExprCall, pos: Option<usize>, kw: &str) -> Option<&'a str> {
        crate::scanner::python::arg(call, pos, kw).map(|e| self.text(e.range()))
    }

    pub(super) fn kw(&self, call: &ExprCall, kw: &str) -> Option<&'a str> {
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
        // In a helper given the caller's batch variable (`_rename_index(batch_op=batch_op)`):
        // the caller's block around the call.
        let (var, at) = match &self.calling {
            Some((via, args)) if !call.range().contains_range(*via) => {
                match args.get(n.id.as_str()) {
                    Some(var) => (var.as_str(), *via),
                    None => (n.id.as_str(), call.range()),
                }
            }
            _ => (n.id.as_str(), call.range()),
        };
        self.index
            .batches
            .iter()
            .enumerate()
            .filter(|(_, b)| b.var == var && b.body.contains_range(at))
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
    pub(super) fn receiver(&self, call: &ExprCall) -> String {
        match call.func.as_ref() {
            Expr::Attribute(a) => self.text(a.value.range()).to_string(),
            _ => self.op_name.clone(),
        }
    }

    pub(super) fn push(&mut self, batch: Option<usize>, stmt: String) {
        self.items.push(Item::Stmt(batch, stmt));
    }

    pub(super) fn comment(&mut self, lines: Vec<String>) {
        self.irreversible += 1;
        self.items.push(Item::Comment(lines));
    }

    pub(super) fn passthrough(&self, call: &ExprCall, names: &[&str]) -> String {
        let mut out = String::new();
        for name in names {
            if let Some(t) = self.kw(call, name) {
                out.push_str(&format!(", {name}={t}"));
            }
        }
        out
    }

    /// `if_not_exists=X` on a create becomes `if_exists=X` on its drop.
    pub(super) fn if_exists(&self, call: &ExprCall) -> String {
        self.kw(call, "if_not_exists")
            .map(|t| format!(", if_exists={t}"))
            .unwrap_or_default()
    }

    /// Undo one upgrade operation (the model's view) made by `call`.
    fn undo_call(&mut self, op: &Operation, call: &'a ExprCall) {
        let at = Site::of(self, call);
        let shown = one_line(self.text(call.range()), 100);
        match op.kind {
            OpKind::AddColumn => self.undo_add_column(op, &at, &shown),
            OpKind::DropColumn => self.undo_drop_column(op, call, &at, &shown),
            OpKind::AlterColumn | OpKind::RenameColumn => {
                self.undo_alter(op, call, at.batch, at.block, &at.receiver);
            }
            OpKind::CreateTable => {
                let t = self.arg(call, Some(0), "table_name").unwrap_or("\"?\"");
                let guard = self.if_exists(call);
                self.reversed += 1;
                let stmt = format!("{}.drop_table({t}{}{guard})", at.receiver, at.schema);
                self.push(at.block, stmt);
            }
            OpKind::DropTable => self.restore_table(op, call, &at, &shown),
            OpKind::RenameTable => {
                let old = self.arg(call, Some(0), "old_table_name");
                let new = self.arg(call, Some(1), "new_table_name");
                let (Some(old), Some(new)) = (old, new) else {
                    return self.cannot(&shown, "mrt cannot read the table names");
                };
                self.reversed += 1;
                let stmt = format!("{}.rename_table({new}, {old}{})", at.receiver, at.schema);
                self.push(at.block, stmt);
            }
            OpKind::CreateIndex => self.undo_create_index(op, call, &at, &shown),
            OpKind::CreateUniqueConstraint
            | OpKind::CreateForeignKey
            | OpKind::CreateCheckConstraint
            | OpKind::CreatePrimaryKey => self.undo_create_constraint(op, call, &at, &shown),
            OpKind::DropIndex | OpKind::DropConstraint => self.restore_object(op, &at, &shown),
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
            // `return op.batch_alter_table(...)` in a helper only opens the block; what is
            // done in it is undone call by call.
            _ if matches!(call.func.as_ref(), Expr::Attribute(a) if a.attr.as_str() == "batch_alter_table") =>
                {}
            _ => self.cannot(&shown, "mrt knows no automatic inverse for this call"),
        }
    }

    fn undo_add_column(&mut self, op: &Operation, at: &Site<'a>, shown: &str) {
        let Some(col) = op.column.as_deref() else {
            return self.cannot(shown, "mrt cannot read the added column's name");
        };
        let (r, schema) = (&at.receiver, &at.schema);
        let stmt = match at.table {
            Some(t) => format!("{r}.drop_column({t}, {}{schema})", py_str(col)),
            None => format!("{r}.drop_column({}{schema})", py_str(col)),
        };
        self.reversed += 1;
        self.push(at.block, stmt);
    }

    /// The values are gone; the column comes back as the chain defined it, when re-adding it
    /// works on a filled table (nullable, or with a server default).
    fn undo_drop_column(&mut self, op: &Operation, call: &ExprCall, at: &Site<'a>, shown: &str) {
        let col = self
            .arg(call, at.pos(1), "column_name")
            .unwrap_or("\"<column>\"");
        let known = self.column_before(op);
        let loss = format!(
            "upgrade() deletes column {} and every value in it; no downgrade can bring the values back.",
            op.target()
        );
        let add = |definition: &str| match at.table {
            Some(t) => format!("{}.add_column({t}, {definition})", at.receiver),
            None => format!("{}.add_column({definition})", at.receiver),
        };
        let definition = known.as_ref().and_then(|c| c.definition.clone());
        if let (Some(c), Some(definition)) = (&known, &definition)
            && (c.nullable == Some(true) || matches!(c.server_default, Some(Some(_))))
        {
            self.comment(vec![
                format!("NOT REVERSIBLE: {shown}"),
                loss,
                "The column comes back empty, as the chain before this revision defines it:"
                    .to_string(),
            ]);
            self.reversed += 1;
            self.push(at.block, add(definition));
            return;
        }
        // Re-adding a NOT NULL column without a server default fails on a filled table (and an
        // unknown definition cannot be written): such a definition stays a hint.
        let why = match (&definition, known.as_ref().and_then(|c| c.nullable)) {
            (Some(_), Some(false)) => {
                "Its definition is NOT NULL without a server default, so adding it back fails on a filled table; give it a server_default or make it nullable:"
            }
            (Some(_), _) => {
                "The chain does not say whether it is nullable; if it is NOT NULL without a server default, adding it back fails on a filled table:"
            }
            (None, _) => {
                "To restore the column's structure (empty), write its definition (type for ...) here:"
            }
        };
        let hint =
            add(&definition.unwrap_or_else(|| format!("sa.Column({col}, ..., nullable=True)")));
        let mut lines = vec![format!("NOT REVERSIBLE: {shown}"), loss, why.to_string()];
        // The hint sits behind `# mrt fix: ` (11 columns) in the function body.
        let hint = wrap_at(&hint, "    ", "    ", MAX_LINE - 11 - 4);
        lines.extend(hint.lines().map(str::to_string));
        self.comment(lines);
    }

    fn undo_create_index(&mut self, op: &Operation, call: &ExprCall, at: &Site<'a>, shown: &str) {
        let name = self.arg(call, Some(0), "index_name");
        let Some(name) = name.filter(|_| !op.name_is_none) else {
            return self.cannot(
                shown,
                "the index has no name, so it cannot be dropped by name; name it in upgrade()",
            );
        };
        let mut extra = self.passthrough(call, &["schema", "postgresql_concurrently"]);
        extra.push_str(&self.if_exists(call));
        let r = &at.receiver;
        let stmt = match self
            .arg(call, at.pos(1), "table_name")
            .filter(|_| at.batch.is_none())
        {
            Some(t) => format!("{r}.drop_index({name}, table_name={t}{extra})"),
            None => format!("{r}.drop_index({name}{extra})"),
        };
        self.reversed += 1;
        self.push(at.block, stmt);
    }

    fn undo_create_constraint(
        &mut self,
        op: &Operation,
        call: &ExprCall,
        at: &Site<'a>,
        shown: &str,
    ) {
        let type_ = constraint_type(op.kind);
        let name = self.arg(call, Some(0), "constraint_name");
        let Some(name) = name.filter(|_| !op.name_is_none) else {
            return self.cannot(
                shown,
                "the constraint has no name, so it cannot be dropped by name; name it in upgrade()",
            );
        };
        let table_kw = if op.kind == OpKind::CreateForeignKey {
            "source_table"
        } else {
            "table_name"
        };
        let r = &at.receiver;
        let stmt = match self
            .arg(call, at.pos(1), table_kw)
            .filter(|_| at.batch.is_none())
        {
            Some(t) => format!(
                "{r}.drop_constraint({name}, {t}, type_={}{})",
                py_str(type_),
                at.schema
            ),
            None => format!("{r}.drop_constraint({name}, type_={})", py_str(type_)),
        };
        self.reversed += 1;
        self.push(at.block, stmt);
    }

    pub(super) fn cannot(&mut self, shown: &str, why: &str) {
        self.comment(vec![format!("NOT REVERSED: {shown}"), format!("{why}.")]);
    }
}

/// The dialects an undo runs on: the scanner's (`if` branches on the dialect around the
/// statement and around the helper call it came through), and the same as exactly restated by
/// the tests on the way to it (`None` when anything else decides whether it runs).
pub(super) struct Where<'a> {
    pub dialects: Dialects,
    pub exact: Option<Dialects>,
    /// What a comment names as not reversed, when not the operation's own text.
    pub shown: Option<String>,
    /// The other tests it runs under ([`super::conditions`]).
    pub guards: Vec<Guard<'a>>,
}

impl<'a> Where<'a> {
    fn of(g: &Gen<'a>, op: &Operation) -> Self {
        let own = |args: Option<HashMap<String, String>>| -> Vec<Guard<'a>> {
            g.index
                .conditions(op.range)
                .iter()
                .map(|c| (*c, args.clone()))
                .collect()
        };
        let (exact, guards) = match op.via {
            // A helper's statement: its branches inside the helper and those around the call.
            Some(via) if let Some(h) = g.helper_call(op) => {
                let exact = g
                    .index
                    .dialects(op.range)
                    .zip(g.index.dialects(via))
                    .map(|(a, b)| a.and(b));
                let mut guards = own(h.args);
                guards.extend(g.index.conditions(via).iter().map(|c| (*c, None)));
                (exact, guards)
            }
            // A helper's helper: the branches of the one in between are not read.
            Some(_) => (None, Vec::new()),
            None => (g.index.dialects(op.range), own(None)),
        };
        Where {
            dialects: op.dialects,
            exact,
            shown: None,
            guards,
        }
    }

    /// Where the call at `range` in upgrade() runs.
    fn call(g: &Gen<'a>, range: TextRange) -> Self {
        let exact = g.index.dialects(range);
        Where {
            dialects: exact.unwrap_or(Dialects::ALL),
            exact,
            shown: None,
            guards: g
                .index
                .conditions(range)
                .iter()
                .map(|c| (*c, None))
                .collect(),
        }
    }
}

/// Consecutive branches on the same dialects (or under the same test) as one `if`.
fn merge_branches(items: impl Iterator<Item = Item>) -> Vec<Item> {
    let mut out: Vec<Item> = Vec::new();
    for item in items {
        match (item, out.last_mut()) {
            (Item::Branch(d, inner), Some(Item::Branch(last, body))) if d == *last => {
                body.extend(inner);
            }
            (Item::If(t, inner), Some(Item::If(last, body))) if t == *last => body.extend(inner),
            (item, _) => out.push(item),
        }
    }
    for item in &mut out {
        if let Item::Branch(_, body) | Item::If(_, body) = item {
            *body = merge_branches(std::mem::take(body).into_iter());
        }
    }
    out
}

/// Alembic's `type_` for `drop_constraint` of what an operation creates.
pub(super) fn constraint_type(kind: OpKind) -> &'static str {
    match kind {
        OpKind::CreateUniqueConstraint => "unique",
        OpKind::CreateForeignKey => "foreignkey",
        OpKind::CreateCheckConstraint => "check",
        _ => "primary",
    }
}

/// Where an upgrade call sits, and what its inverse repeats of it.
pub(super) struct Site<'a> {
    /// The `batch_alter_table` block it is made in (on the block's variable).
    pub batch: Option<usize>,
    /// The block its inverse goes in: the batch block, or an `autocommit_block()`.
    pub block: Option<usize>,
    /// `op`, the alias, or the batch variable.
    pub receiver: String,
    /// The table argument's text (none inside a batch block).
    pub table: Option<&'a str>,
    /// `, schema=...` when the call had one.
    pub schema: String,
}

impl<'a> Site<'a> {
    fn of(g: &Gen<'a>, call: &'a ExprCall) -> Self {
        let batch = g.batch_of(call);
        Site {
            batch,
            block: batch.or_else(|| g.autocommit_of(call)),
            receiver: g.receiver(call),
            table: if batch.is_some() {
                None
            } else {
                g.arg(call, Some(0), "table_name")
            },
            schema: g.passthrough(call, &["schema"]),
        }
    }

    /// Positional argument `p` as written outside a batch block (inside, the table is not
    /// passed, so every later argument moves one place left).
    pub fn pos(&self, p: usize) -> Option<usize> {
        p.checked_sub(usize::from(self.batch.is_some()))
    }
}
