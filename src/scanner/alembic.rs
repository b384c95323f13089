//! Alembic revision files → [`MigrationAST`]: identifiers, `upgrade()`/`downgrade()`
//! operation lists, aliases, batch blocks, helper functions and raw SQL.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use ruff_python_ast::{Expr, ExprCall, Stmt, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange};

use super::model::{
    BodyKind, ConstraintKind, ConstraintSpec, Function, OpKind, Operation, Origin, Parents, Value,
};
use super::python::{self, Constants, arg, column_spec, kwargs, last_name, literal_str, str_arg};
use super::sql::{self, DialectHint};

/// Module-level facts the function bodies are read against.
pub struct Module<'a> {
    pub source: &'a str,
    /// Names bound to `alembic.op` (`op`, or `o` after `from alembic import op as o`).
    op_names: HashSet<String>,
    /// Names bound to the `alembic` package itself (`alembic.op.x`).
    alembic_names: HashSet<String>,
    helpers: HashMap<String, &'a StmtFunctionDef>,
    constants: Constants,
    /// `users = sa.table("users", ...)` at module level: variable → table name.
    tables: HashMap<String, String>,
    hint: DialectHint,
    /// Parsed SQL by text: helpers called several times share one analysis.
    sql_cache: RefCell<HashMap<(String, Vec<String>), SqlAnalysis>>,
}

type SqlAnalysis = (Vec<Operation>, Option<String>);

/// The identifiers of a revision file.
#[derive(Default)]
pub struct Identity {
    pub revision: Option<(String, TextRange)>,
    pub down_revision: Parents,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<String>,
    pub has_upgrade: bool,
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Str(s) => vec![s.clone()],
        Value::List(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// `revision`, `down_revision`, `branch_labels`, `depends_on` in both the classic
/// (`revision = "x"`) and the annotated (`revision: str = "x"`) forms.
#[must_use]
pub fn identity(body: &[Stmt]) -> Identity {
    let mut id = Identity::default();
    for stmt in body {
        let (target, value, range) = match stmt {
            Stmt::Assign(a) if a.targets.len() == 1 => {
                (&a.targets[0], Some(a.value.as_ref()), a.range)
            }
            Stmt::AnnAssign(a) => (a.target.as_ref(), a.value.as_deref(), a.range),
            Stmt::FunctionDef(f) => {
                if f.name.as_str() == "upgrade" {
                    id.has_upgrade = true;
                }
                continue;
            }
            _ => continue,
        };
        let (Expr::Name(name), Some(value)) = (target, value) else {
            continue;
        };
        let evaluated = python::eval(value);
        match name.id.as_str() {
            "revision" => {
                if let Value::Str(s) = evaluated {
                    id.revision = Some((s, range));
                }
            }
            "down_revision" => {
                id.down_revision = match evaluated {
                    Value::Str(s) => Parents::One(s),
                    Value::List(_) => {
                        let ids = strings(&evaluated);
                        if ids.is_empty() {
                            Parents::None
                        } else {
                            Parents::Many(ids)
                        }
                    }
                    _ => Parents::None,
                };
            }
            "branch_labels" => id.branch_labels = strings(&evaluated),
            "depends_on" => id.depends_on = strings(&evaluated),
            _ => {}
        }
    }
    id
}

impl<'a> Module<'a> {
    #[must_use]
    pub fn new(source: &'a str, body: &'a [Stmt]) -> Self {
        let mut m = Module {
            source,
            op_names: HashSet::new(),
            alembic_names: HashSet::new(),
            helpers: HashMap::new(),
            constants: Constants::new(),
            tables: HashMap::new(),
            hint: DialectHint::Unknown,
            sql_cache: RefCell::new(HashMap::new()),
        };
        for stmt in body {
            match stmt {
                Stmt::ImportFrom(i) => {
                    let module = i.module.as_ref().map_or("", |m| m.as_str());
                    for alias in &i.names {
                        let bound = alias
                            .asname
                            .as_ref()
                            .unwrap_or(&alias.name)
                            .as_str()
                            .to_string();
                        if module == "alembic" && alias.name.as_str() == "op" {
                            m.op_names.insert(bound);
                        }
                    }
                    m.note_dialect(module);
                }
                Stmt::Import(i) => {
                    for alias in &i.names {
                        let name = alias.name.as_str();
                        if name == "alembic.op" {
                            match &alias.asname {
                                Some(a) => {
                                    m.op_names.insert(a.as_str().to_string());
                                }
                                None => {
                                    m.alembic_names.insert("alembic".to_string());
                                }
                            }
                        } else if name == "alembic" {
                            m.alembic_names.insert(
                                alias
                                    .asname
                                    .as_ref()
                                    .map_or("alembic", |a| a.as_str())
                                    .to_string(),
                            );
                        }
                        m.note_dialect(name);
                    }
                }
                Stmt::FunctionDef(f) => {
                    m.helpers.insert(f.name.as_str().to_string(), f);
                }
                Stmt::Assign(a) if a.targets.len() == 1 => {
                    if let Expr::Name(n) = &a.targets[0] {
                        if let Some(table) = table_object_name(&a.value) {
                            m.tables.insert(n.id.as_str().to_string(), table);
                        }
                        let mut holes = Vec::new();
                        if let Some(s) =
                            python::resolve_string(&a.value, source, &|_| None, &mut holes, 0)
                            && holes.is_empty()
                        {
                            m.constants.insert(n.id.as_str().to_string(), s);
                        }
                    }
                }
                _ => {}
            }
        }
        if m.op_names.is_empty() && m.alembic_names.is_empty() {
            // A file that uses `op` without importing it (star import, unusual templates).
            m.op_names.insert("op".to_string());
        }
        if m.hint == DialectHint::Unknown && source.contains("postgresql_") {
            m.hint = DialectHint::Postgres;
        }
        m
    }

    fn note_dialect(&mut self, module: &str) {
        if module.contains("dialects") {
            if module.contains("postgresql") {
                self.hint = DialectHint::Postgres;
            } else if module.contains("mysql") {
                self.hint = DialectHint::MySql;
            } else if module.contains("sqlite") {
                self.hint = DialectHint::Sqlite;
            }
        }
    }

    /// [`sql::analyse`], remembered per text: the operations come back with `range`.
    fn analyse_sql(&self, text: &str, holes: &[String], range: TextRange) -> SqlAnalysis {
        let key = (text.to_string(), holes.to_vec());
        if let Some((ops, error)) = self.sql_cache.borrow().get(&key) {
            let ops = ops
                .iter()
                .cloned()
                .map(|mut op| {
                    op.range = range;
                    op
                })
                .collect();
            return (ops, error.clone());
        }
        let result = sql::analyse(text, holes, self.hint, range);
        self.sql_cache.borrow_mut().insert(key, result.clone());
        result
    }

    #[must_use]
    pub fn hint(&self) -> DialectHint {
        self.hint
    }

    /// The `upgrade`/`downgrade` function of the module, read into operations.
    #[must_use]
    pub fn function(&self, name: &str) -> Option<Function> {
        let def = self.helpers.get(name)?;
        let mut walker = Walker {
            module: self,
            batches: Vec::new(),
            locals: HashMap::new(),
            ops: Vec::new(),
            visiting: vec![name.to_string()],
        };
        walker.suite(&def.body);
        let header_end = def.name.range().end();
        Some(Function {
            header: TextRange::new(def.range.start(), header_end),
            body: body_kind(&def.body),
            is_async: def.is_async,
            ops: walker.ops,
        })
    }
}

/// Builtins called as statements that change no database.
const BUILTINS: &[&str] = &[
    "print",
    "len",
    "isinstance",
    "setattr",
    "delattr",
    "exec",
    "eval",
    "breakpoint",
    "next",
    "iter",
    "sorted",
    "list",
    "dict",
    "set",
    "tuple",
    "str",
    "int",
    "repr",
    "format",
];

/// What a body amounts to: nothing (`pass`, docstring, `...`), a `raise`, or real work.
#[must_use]
pub fn body_kind(body: &[Stmt]) -> BodyKind {
    for stmt in body {
        match stmt {
            Stmt::Pass(_) => {}
            Stmt::Expr(e)
                if matches!(
                    e.value.as_ref(),
                    Expr::StringLiteral(_) | Expr::EllipsisLiteral(_)
                ) => {}
            Stmt::Return(r)
                if r.value
                    .as_deref()
                    .is_none_or(|v| matches!(v, Expr::NoneLiteral(_))) => {}
            Stmt::Raise(_) => return BodyKind::Raises,
            _ => return BodyKind::Active,
        }
    }
    BodyKind::Empty
}

enum Local {
    Sql(String, Vec<String>),
    /// `conn = op.get_bind()` and friends.
    Bind,
    /// `users = sa.table("users", ...)`: the table's name.
    Table(String),
}

struct Walker<'m, 'a> {
    module: &'m Module<'a>,
    /// `with op.batch_alter_table("t") as b:` → ("b", "t").
    batches: Vec<(String, String)>,
    locals: HashMap<String, Local>,
    ops: Vec<Operation>,
    visiting: Vec<String>,
}

impl Walker<'_, '_> {
    fn suite(&mut self, body: &[Stmt]) {
        for stmt in body {
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        let range = stmt.range();
        match stmt {
            Stmt::Expr(e) => {
                let before = self.ops.len();
                self.expr(&e.value, range);
                // `create_run_tables()` imported from elsewhere: its effects are invisible
                // here, but the upgrade evidently does something.
                if self.ops.len() == before
                    && let Expr::Call(c) = e.value.as_ref()
                    && let Expr::Name(n) = c.func.as_ref()
                    && !BUILTINS.contains(&n.id.as_str())
                {
                    let mut op = Operation::new(OpKind::Call, Origin::Op, range);
                    op.name = Some(n.id.as_str().to_string());
                    self.ops.push(op);
                }
            }
            Stmt::Assign(a) => {
                if let [Expr::Name(n)] = a.targets.as_slice() {
                    self.bind_local(n.id.as_str(), &a.value);
                }
                self.expr(&a.value, range);
            }
            Stmt::AnnAssign(a) => {
                if let (Expr::Name(n), Some(v)) = (a.target.as_ref(), a.value.as_deref()) {
                    self.bind_local(n.id.as_str(), v);
                }
                if let Some(v) = &a.value {
                    self.expr(v, range);
                }
            }
            Stmt::Return(r) => {
                if let Some(v) = &r.value {
                    self.expr(v, range);
                }
            }
            Stmt::With(w) => {
                let mut pushed = 0;
                for item in &w.items {
                    if let (Expr::Call(call), Some(Expr::Name(var))) =
                        (&item.context_expr, item.optional_vars.as_deref())
                    {
                        if self.is_op_call(call, "batch_alter_table")
                            && let Some(table) = arg(call, Some(0), "table_name")
                                .and_then(|t| literal_str(t).or_else(|| python::dotted(t)))
                        {
                            self.batches.push((var.id.as_str().to_string(), table));
                            pushed += 1;
                            continue;
                        }
                        if last_name(&call.func) == Some("begin")
                            || last_name(&call.func) == Some("connect")
                        {
                            self.locals.insert(var.id.as_str().to_string(), Local::Bind);
                        }
                    }
                    self.expr(&item.context_expr, range);
                }
                self.suite(&w.body);
                for _ in 0..pushed {
                    self.batches.pop();
                }
            }
            Stmt::If(i) => {
                let first = self.ops.len();
                self.suite(&i.body);
                for clause in &i.elif_else_clauses {
                    self.suite(&clause.body);
                }
                self.guard(first);
            }
            Stmt::For(f) => {
                let first = self.ops.len();
                self.suite(&f.body);
                self.suite(&f.orelse);
                self.guard(first);
            }
            Stmt::While(w) => {
                let first = self.ops.len();
                self.suite(&w.body);
                self.suite(&w.orelse);
                self.guard(first);
            }
            Stmt::Try(t) => {
                let first = self.ops.len();
                self.suite(&t.body);
                for handler in &t.handlers {
                    let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
                    self.suite(&h.body);
                }
                self.suite(&t.orelse);
                self.guard(first);
                self.suite(&t.finalbody);
            }
            Stmt::Match(m) => {
                let first = self.ops.len();
                for case in &m.cases {
                    self.suite(&case.body);
                }
                self.guard(first);
            }
            _ => {}
        }
    }

    /// The operations from `first` on ran under a condition, a loop or a `try`.
    fn guard(&mut self, first: usize) {
        for op in &mut self.ops[first..] {
            op.guarded = true;
        }
    }

    fn bind_local(&mut self, name: &str, value: &Expr) {
        let mut holes = Vec::new();
        if let Some(table) = table_object_name(value) {
            self.locals.insert(name.to_string(), Local::Table(table));
        } else if let Some(s) = self.resolve_sql(value, &mut holes) {
            self.locals.insert(name.to_string(), Local::Sql(s, holes));
        } else if let Expr::Call(c) = value
            && matches!(
                last_name(&c.func),
                Some("get_bind" | "connect" | "begin" | "get_context")
            )
        {
            self.locals.insert(name.to_string(), Local::Bind);
        }
    }

    fn resolve_sql(&self, expr: &Expr, holes: &mut Vec<String>) -> Option<String> {
        let lookup = |name: &str| -> Option<String> {
            match self.locals.get(name) {
                Some(Local::Sql(s, h)) if h.is_empty() => Some(s.clone()),
                Some(_) => None,
                None => self.module.constants.get(name).cloned(),
            }
        };
        python::resolve_string(expr, self.module.source, &lookup, holes, 0)
    }

    /// Is `call` `<op>.<method>(...)` (or `alembic.op.<method>(...)`)?
    fn is_op_call(&self, call: &ExprCall, method: &str) -> bool {
        self.op_receiver(call).is_some_and(|m| m == method)
    }

    /// The method name when `call` is made on Alembic's `op`.
    fn op_receiver<'c>(&self, call: &'c ExprCall) -> Option<&'c str> {
        let Expr::Attribute(attr) = call.func.as_ref() else {
            return None;
        };
        match attr.value.as_ref() {
            Expr::Name(n) if self.module.op_names.contains(n.id.as_str()) => {
                Some(attr.attr.as_str())
            }
            Expr::Attribute(inner) if inner.attr.as_str() == "op" => match inner.value.as_ref() {
                Expr::Name(n) if self.module.alembic_names.contains(n.id.as_str()) => {
                    Some(attr.attr.as_str())
                }
                _ => None,
            },
            _ => None,
        }
    }

    fn batch_table(&self, call: &ExprCall) -> Option<(String, String)> {
        let Expr::Attribute(attr) = call.func.as_ref() else {
            return None;
        };
        let Expr::Name(n) = attr.value.as_ref() else {
            return None;
        };
        self.batches
            .iter()
            .rev()
            .find(|(var, _)| var == n.id.as_str())
            .map(|(_, table)| (attr.attr.as_str().to_string(), table.clone()))
    }

    /// Visit an expression: recognised calls become operations; other calls are searched
    /// for nested ones (`conn.execute(...).fetchall()`, `await ...`).
    fn expr(&mut self, expr: &Expr, range: TextRange) {
        match expr {
            Expr::Call(call) => {
                if self.call(call, range) {
                    return;
                }
                self.expr(&call.func, range);
                for a in &call.arguments.args {
                    self.expr(a, range);
                }
                for k in &call.arguments.keywords {
                    self.expr(&k.value, range);
                }
            }
            Expr::Attribute(a) => self.expr(&a.value, range),
            Expr::Await(a) => self.expr(&a.value, range),
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.expr(e, range)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.expr(e, range)),
            _ => {}
        }
    }

    /// Turn one call into operations; false when it is not one we understand.
    fn call(&mut self, call: &ExprCall, range: TextRange) -> bool {
        if let Some(method) = self.op_receiver(call) {
            let method = method.to_string();
            self.op_call(&method, call, None, range);
            return true;
        }
        if let Some((method, table)) = self.batch_table(call) {
            self.op_call(&method, call, Some(table), range);
            return true;
        }
        match call.func.as_ref() {
            Expr::Attribute(attr)
                if matches!(attr.attr.as_str(), "execute" | "exec_driver_sql") =>
            {
                // conn.execute(...), op.get_bind().execute(...), session.execute(...)
                if let Some(first) = call.arguments.args.first() {
                    return self.execute(first, call, range, false);
                }
                false
            }
            Expr::Name(n) => {
                let name = n.id.as_str();
                if self.visiting.iter().any(|v| v == name) || self.visiting.len() > 8 {
                    return false;
                }
                let Some(def) = self.module.helpers.get(name) else {
                    return false;
                };
                // A module-level helper called from upgrade(): its operations count as ours,
                // with its parameters bound to the call's literal arguments and batch contexts.
                let params: Vec<&str> = def
                    .parameters
                    .iter_non_variadic_params()
                    .map(|p| p.parameter.name.as_str())
                    .collect();
                let mut strings: Vec<(String, String)> = Vec::new();
                let mut batches = 0;
                let bound = call
                    .arguments
                    .args
                    .iter()
                    .enumerate()
                    .filter_map(|(i, a)| params.get(i).map(|p| (*p, a)))
                    .chain(
                        call.arguments
                            .keywords
                            .iter()
                            .filter_map(|k| k.arg.as_ref().map(|a| (a.as_str(), &k.value))),
                    );
                for (param, value) in bound {
                    if let Some(s) = literal_str(value) {
                        strings.push((param.to_string(), s));
                    } else if let Expr::Name(v) = value
                        && let Some((_, table)) = self
                            .batches
                            .iter()
                            .rev()
                            .find(|(var, _)| var == v.id.as_str())
                    {
                        let table = table.clone();
                        self.batches.push((param.to_string(), table));
                        batches += 1;
                    }
                }
                self.visiting.push(name.to_string());
                let saved = std::mem::take(&mut self.locals);
                let first = self.ops.len();
                self.suite(&def.body);
                for op in &mut self.ops[first..] {
                    let fields = [
                        &mut op.table,
                        &mut op.column,
                        &mut op.name,
                        &mut op.new_name,
                    ];
                    for value in fields.into_iter().flatten() {
                        for (param, literal) in &strings {
                            if value == param {
                                value.clone_from(literal);
                            } else if value.contains('{') {
                                // An f-string hole naming the parameter: `{table_name}`.
                                *value = value.replace(&format!("{{{param}}}"), literal);
                            }
                        }
                    }
                    for col in &mut op.columns {
                        if let Some((_, s)) = strings.iter().find(|(p, _)| *p == col.name) {
                            col.name = s.clone();
                        }
                    }
                }
                for _ in 0..batches {
                    self.batches.pop();
                }
                self.locals = saved;
                self.visiting.pop();
                true
            }
            _ => false,
        }
    }

    /// Raw SQL (or a SQLAlchemy Core statement) handed to `execute`.
    fn execute(
        &mut self,
        sql_expr: &Expr,
        call: &ExprCall,
        range: TextRange,
        from_op: bool,
    ) -> bool {
        let mut holes = Vec::new();
        let resolved = self.resolve_sql(sql_expr, &mut holes);
        let mut exec = Operation::new(OpKind::Execute, Origin::Op, range);
        exec.kwargs = kwargs(call, self.module.source);
        match resolved {
            Some(text) => {
                let (ops, error) = self.module.analyse_sql(&text, &holes, range);
                exec.sql = Some(sql::restore(&text, &holes));
                exec.sql_error = error;
                self.ops.push(exec);
                self.ops.extend(ops);
                true
            }
            None => {
                if let Some(op) = core_statement(sql_expr, range) {
                    exec.sql = Some(self.module.source[sql_expr.range()].to_string());
                    self.ops.push(exec);
                    self.ops.push(op);
                    return true;
                }
                if from_op {
                    exec.sql = Some(self.module.source[sql_expr.range()].to_string());
                    exec.sql_error = Some("the SQL is built at run time".to_string());
                    self.ops.push(exec);
                    return true;
                }
                false
            }
        }
    }

    #[allow(clippy::too_many_lines)]
    fn op_call(&mut self, method: &str, call: &ExprCall, batch: Option<String>, range: TextRange) {
        let source = self.module.source;
        // In batch mode the table argument disappears: positions shift left by one.
        let b = usize::from(batch.is_some());
        let pos = |p: usize| p.checked_sub(b);
        let table_at = |p: usize, kw: &str| -> Option<String> {
            batch
                .clone()
                .or_else(|| str_arg(call, Some(p), kw).ok().flatten())
        };
        let kind = match method {
            "add_column" => OpKind::AddColumn,
            "drop_column" => OpKind::DropColumn,
            "alter_column" => OpKind::AlterColumn,
            "create_table" => OpKind::CreateTable,
            "drop_table" => OpKind::DropTable,
            "rename_table" => OpKind::RenameTable,
            "create_index" => OpKind::CreateIndex,
            "drop_index" => OpKind::DropIndex,
            "create_unique_constraint" => OpKind::CreateUniqueConstraint,
            "create_foreign_key" => OpKind::CreateForeignKey,
            "create_check_constraint" => OpKind::CreateCheckConstraint,
            "create_primary_key" => OpKind::CreatePrimaryKey,
            "drop_constraint" => OpKind::DropConstraint,
            "bulk_insert" => OpKind::BulkInsert,
            "execute" => {
                if let Some(first) = arg(call, Some(0), "sqltext") {
                    self.execute(first, call, range, true);
                }
                return;
            }
            "get_bind" | "get_context" | "f" | "inline_literal" | "invoke"
            | "implementation_for" => OpKind::Read,
            _ => OpKind::Other,
        };
        let mut op = Operation::new(kind, Origin::Op, range);
        op.kwargs = kwargs(call, source);
        op.sql = Some(source[call.range()].to_string());
        if let Some(Value::Bool(true)) = op.kwarg_value("postgresql_concurrently") {
            op.concurrently = true;
        }
        op.if_exists = ["if_exists", "if_not_exists"]
            .iter()
            .any(|k| op.kwarg_value(k).is_some_and(|v| *v != Value::Bool(false)));
        match kind {
            OpKind::AddColumn => {
                op.table = table_at(0, "table_name");
                if let Some(Expr::Call(col)) = arg(call, pos(1), "column")
                    && let Some(spec) = column_spec(col, source)
                {
                    op.column = Some(spec.name.clone());
                    op.columns.push(spec);
                }
            }
            OpKind::DropColumn => {
                op.table = table_at(0, "table_name");
                op.column = str_arg(call, pos(1), "column_name").ok().flatten();
            }
            OpKind::AlterColumn => {
                op.table = table_at(0, "table_name");
                op.column = str_arg(call, pos(1), "column_name").ok().flatten();
                if let Some(new) = op.kwarg_value("new_column_name").and_then(Value::as_str) {
                    let mut rename = op.clone();
                    rename.kind = OpKind::RenameColumn;
                    rename.new_name = Some(new.to_string());
                    self.ops.push(rename);
                    let changes = ["type_", "nullable", "server_default"];
                    if !op.kwargs.iter().any(|k| changes.contains(&k.name.as_str())) {
                        return;
                    }
                }
            }
            OpKind::CreateTable => {
                op.table = str_arg(call, Some(0), "table_name").ok().flatten();
                for a in call.arguments.args.iter().skip(1) {
                    if let Expr::Call(col) = a {
                        if let Some(spec) = column_spec(col, source) {
                            op.columns.push(spec);
                        } else if let Some(c) = table_constraint(col) {
                            if c.kind == ConstraintKind::Unique {
                                op.unique = true;
                            }
                            op.constraints.push(c);
                        }
                    }
                }
            }
            OpKind::DropTable => op.table = str_arg(call, Some(0), "table_name").ok().flatten(),
            OpKind::RenameTable => {
                op.table = str_arg(call, Some(0), "old_table_name").ok().flatten();
                op.new_name = str_arg(call, Some(1), "new_table_name").ok().flatten();
            }
            OpKind::CreateIndex => {
                self.named(&mut op, call);
                op.table = table_at(1, "table_name");
                op.unique = op.kwarg_value("unique").and_then(Value::as_bool) == Some(true);
                let mut columns = Vec::new();
                if let Some(Value::List(cols)) = arg(call, pos(2), "columns").map(python::eval) {
                    op.column = cols.first().and_then(|c| c.as_str().map(str::to_string));
                    columns = strings(&Value::List(cols));
                }
                op.constraints.push(ConstraintSpec {
                    kind: ConstraintKind::Index,
                    name: op.name.clone(),
                    columns,
                    ref_table: None,
                });
            }
            OpKind::DropIndex => {
                self.named(&mut op, call);
                op.table = batch
                    .clone()
                    .or_else(|| str_arg(call, Some(1), "table_name").ok().flatten());
            }
            OpKind::CreateUniqueConstraint
            | OpKind::CreateCheckConstraint
            | OpKind::CreatePrimaryKey
            | OpKind::DropConstraint => {
                self.named(&mut op, call);
                op.table = table_at(1, "table_name");
                if kind == OpKind::DropConstraint
                    && let Some(t) = op.kwarg_value("type_").and_then(Value::as_str)
                {
                    op.new_name = Some(t.to_string());
                }
                let constraint = match kind {
                    OpKind::CreateUniqueConstraint => Some(ConstraintKind::Unique),
                    OpKind::CreatePrimaryKey => Some(ConstraintKind::PrimaryKey),
                    OpKind::CreateCheckConstraint => Some(ConstraintKind::Check),
                    _ => None,
                };
                if let Some(ckind) = constraint {
                    let columns = if ckind == ConstraintKind::Check {
                        Vec::new()
                    } else {
                        arg(call, pos(2), "columns")
                            .map(|c| strings(&python::eval(c)))
                            .unwrap_or_default()
                    };
                    op.constraints.push(ConstraintSpec {
                        kind: ckind,
                        name: op.name.clone(),
                        columns,
                        ref_table: None,
                    });
                }
            }
            OpKind::CreateForeignKey => {
                self.named(&mut op, call);
                op.table = table_at(1, "source_table");
                if let Some(ondelete) = op.kwarg_value("ondelete").and_then(Value::as_str) {
                    op.columns.push(python_fk(ondelete, range));
                }
                op.constraints.push(ConstraintSpec {
                    kind: ConstraintKind::ForeignKey,
                    name: op.name.clone(),
                    columns: arg(call, pos(3), "local_cols")
                        .map(|c| strings(&python::eval(c)))
                        .unwrap_or_default(),
                    ref_table: str_arg(call, pos(2), "referent_table").ok().flatten(),
                });
            }
            OpKind::BulkInsert => {
                op.table = call.arguments.args.first().and_then(|arg| match arg {
                    Expr::Name(n) => {
                        let var = n.id.as_str();
                        Some(match self.locals.get(var) {
                            Some(Local::Table(t)) => t.clone(),
                            _ => self
                                .module
                                .tables
                                .get(var)
                                .cloned()
                                .unwrap_or_else(|| var.to_string()),
                        })
                    }
                    other => table_object_name(other),
                });
            }
            _ => {
                op.name = Some(method.to_string());
            }
        }
        self.ops.push(op);
    }

    /// The first argument as the operation's name; `None` literal is remembered.
    fn named(&self, op: &mut Operation, call: &ExprCall) {
        let kw = match op.kind {
            OpKind::CreateIndex | OpKind::DropIndex => "index_name",
            _ => "constraint_name",
        };
        match str_arg(call, Some(0), kw) {
            Ok(name) => op.name = name,
            Err(()) => op.name_is_none = true,
        }
    }
}

/// `sa.ForeignKeyConstraint([...], ["t.id"])`, `sa.PrimaryKeyConstraint(...)`,
/// `sa.UniqueConstraint(...)`, `sa.CheckConstraint(...)`, `sa.Index(...)` inside `create_table`.
fn table_constraint(call: &ExprCall) -> Option<ConstraintSpec> {
    let kind = match last_name(&call.func)? {
        "ForeignKeyConstraint" => ConstraintKind::ForeignKey,
        "PrimaryKeyConstraint" => ConstraintKind::PrimaryKey,
        "UniqueConstraint" => ConstraintKind::Unique,
        "CheckConstraint" => ConstraintKind::Check,
        "Index" => ConstraintKind::Index,
        _ => return None,
    };
    // `use_alter=True`: not created with the table but by a later `create_foreign_key`.
    if arg(call, None, "use_alter").is_some_and(|v| python::eval(v) == Value::Bool(true)) {
        return None;
    }
    let args = &call.arguments.args;
    let name = arg(call, None, "name").and_then(literal_str);
    let mut spec = ConstraintSpec {
        kind,
        name,
        columns: Vec::new(),
        ref_table: None,
    };
    match kind {
        ConstraintKind::ForeignKey => {
            spec.columns = args
                .first()
                .map(|a| strings(&python::eval(a)))
                .unwrap_or_default();
            spec.ref_table = args
                .get(1)
                .map(|a| strings(&python::eval(a)))
                .and_then(|targets| targets.first().cloned())
                .and_then(|t| t.rsplit_once('.').map(|(table, _)| table.to_string()));
        }
        ConstraintKind::Index => {
            spec.name = args.first().and_then(literal_str);
            spec.columns = args.iter().skip(1).filter_map(literal_str).collect();
        }
        ConstraintKind::Check => {}
        _ => spec.columns = args.iter().filter_map(literal_str).collect(),
    }
    Some(spec)
}

fn python_fk(ondelete: &str, range: TextRange) -> super::model::ColumnSpec {
    super::model::ColumnSpec {
        fk_ondelete: Some(ondelete.to_ascii_uppercase()),
        range,
        ..Default::default()
    }
}

/// `table.update().where(...)`, `sa.delete(table)`, ...: SQLAlchemy Core statements.
fn core_statement(expr: &Expr, range: TextRange) -> Option<Operation> {
    let mut methods = Vec::new();
    let mut cur = expr;
    let mut table = None;
    while let Expr::Call(c) = cur {
        let Expr::Attribute(a) = c.func.as_ref() else {
            if let Expr::Name(n) = c.func.as_ref() {
                methods.push(n.id.as_str().to_string());
                if let Some(Expr::Name(t)) = c.arguments.args.first() {
                    table = Some(t.id.as_str().to_string());
                }
            }
            break;
        };
        methods.push(a.attr.as_str().to_string());
        if matches!(a.attr.as_str(), "update" | "delete" | "insert") {
            match a.value.as_ref() {
                Expr::Name(t) => table = Some(t.id.as_str().to_string()),
                _ => {
                    if let Some(Expr::Name(t)) = c.arguments.args.first() {
                        table = Some(t.id.as_str().to_string());
                    }
                }
            }
        }
        cur = &a.value;
    }
    let kind = if methods.iter().any(|m| m == "update") {
        OpKind::Update
    } else if methods.iter().any(|m| m == "delete") {
        OpKind::Delete
    } else if methods.iter().any(|m| m == "insert") {
        OpKind::Insert
    } else {
        return None;
    };
    let mut op = Operation::new(kind, Origin::Sql, range);
    op.table = table;
    op.has_where = methods
        .iter()
        .any(|m| m == "where" || m == "filter" || m == "filter_by");
    Some(op)
}

/// `sa.table("users", ...)` / `Table("users", metadata, ...)` → `users`.
fn table_object_name(expr: &Expr) -> Option<String> {
    let Expr::Call(call) = expr else { return None };
    if !matches!(last_name(&call.func), Some("table" | "Table")) {
        return None;
    }
    call.arguments
        .args
        .first()
        .and_then(|a| a.as_string_literal_expr())
        .map(|s| s.value.to_str().to_string())
}
