//! Alembic revision files → [`MigrationAST`]: identifiers, `upgrade()`/`downgrade()`
//! operation lists, aliases, batch blocks, helper functions and raw SQL.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ruff_python_ast::{
    Expr, ExprCall, Stmt, StmtAssign, StmtFunctionDef, StmtImport, StmtImportFrom,
};
use ruff_text_size::{Ranged, TextRange};

use super::model::{
    BatchBlock, BodyKind, ConstraintKind, ConstraintSpec, DialectHint, Dialects, Function,
    KeyDetail, OpKind, Operation, Origin, Parents, Recreate, Value, in_schema,
};
use super::models;
use super::project_modules;
use super::python::{self, Constants, arg, column_spec, kwargs, last_name, literal_str, str_arg};
use super::sql;

/// A raw SQL text, its f-string holes and the dialect read first: what [`Module::analyse_sql`]
/// remembers its answer by.
type SqlKey = (String, Vec<String>, DialectHint);

/// Module-level facts the function bodies are read against.
pub struct Module<'a> {
    pub source: &'a str,
    /// Names bound to `alembic.op` (`op`, or `o` after `from alembic import op as o`).
    op_names: HashSet<String>,
    /// Names bound to the `alembic` package itself (`alembic.op.x`).
    alembic_names: HashSet<String>,
    helpers: HashMap<String, &'a StmtFunctionDef>,
    /// Functions defined inside a top-level function whose body only returns a string
    /// (`def populate(batch_size): return f"UPDATE ... LIMIT {batch_size}"`): name → the
    /// returned expression. A name defined twice with different bodies is left out.
    sql_builders: HashMap<String, Option<(&'a StmtFunctionDef, &'a Expr)>>,
    constants: Constants,
    /// `users = sa.table("users", ...)` at module level: variable → table name.
    tables: HashMap<String, String>,
    /// The same table objects' declared columns, in order, by table name (lower-case): what
    /// `row[1]` of a query over one reads.
    declared: HashMap<String, Vec<String>>,
    /// Module-level literal lists and tuples (`TABLES = ("a", "b")`), for `for` loops.
    values: HashMap<String, Value>,
    /// The same lists as written, for items that are table objects
    /// (`new_tables = [Model.__table__, assoc_table]`, handed to `metadata.create_all`).
    lists: HashMap<String, &'a Expr>,
    /// `class Model(Base): __tablename__ = "t"` defined in this file.
    classes: HashMap<String, String>,
    /// ORM relationships between the classes of this file: (table, attribute) → the related
    /// table (`alerts`, `sql_observer` → `sql_observers`), see [`models::relationships`].
    relations: HashMap<(String, String), String>,
    /// `from pkg.models import Model as M`: bound name → (module, imported name).
    imports: HashMap<String, (String, String)>,
    /// The file's path: imported models are looked up on disk next to it.
    path: Option<std::path::PathBuf>,
    hint: DialectHint,
    /// The hint only comes from `postgresql_*` arguments: other dialects ignore them, so a
    /// file written for every database (or copied from a PostgreSQL twin) may carry them.
    hint_from_arguments: bool,
    /// See [`Function::may_drop_types`]; read once per module.
    may_drop_types: bool,
    /// Parsed SQL by text: helpers called several times share one analysis.
    sql_cache: RefCell<HashMap<SqlKey, SqlAnalysis>>,
    /// For a module of project helpers: the dialect of the migration calling them now (the
    /// SQL they run is the migration's).
    caller_hint: std::cell::Cell<Option<DialectHint>>,
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

/// The labels of `branch_labels`: its strings, and a name the file imports for one
/// (`(cli.EXPAND_BRANCH,)`, as neutron writes them) by that name, so that the revision still
/// counts as labelled.
fn labels(expr: &Expr, evaluated: &Value) -> Vec<String> {
    let items: Vec<&Expr> = match expr {
        Expr::Tuple(t) => t.elts.iter().collect(),
        Expr::List(l) => l.elts.iter().collect(),
        other => vec![other],
    };
    let mut out = strings(evaluated);
    out.extend(
        items
            .into_iter()
            .filter(|e| !matches!(e, Expr::StringLiteral(_) | Expr::NoneLiteral(_)))
            .filter_map(python::dotted),
    );
    out
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
            "branch_labels" => id.branch_labels = labels(value, &evaluated),
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
            sql_builders: HashMap::new(),
            constants: Constants::new(),
            tables: HashMap::new(),
            declared: HashMap::new(),
            values: HashMap::new(),
            lists: HashMap::new(),
            classes: HashMap::new(),
            relations: HashMap::new(),
            imports: HashMap::new(),
            path: None,
            hint: DialectHint::Unknown,
            hint_from_arguments: false,
            may_drop_types: mentions_type_drop(source),
            sql_cache: RefCell::new(HashMap::new()),
            caller_hint: std::cell::Cell::new(None),
        };
        for stmt in body {
            match stmt {
                Stmt::ImportFrom(i) => m.note_import_from(i),
                Stmt::Import(i) => m.note_import(i),
                Stmt::FunctionDef(f) => {
                    m.helpers.insert(f.name.as_str().to_string(), f);
                    m.note_sql_builders(f);
                }
                // `new_tables: list[sa.Table] = [...]`: a list of table objects.
                Stmt::AnnAssign(a) => {
                    if let (Expr::Name(n), Some(value)) = (a.target.as_ref(), a.value.as_deref())
                        && matches!(value, Expr::List(_) | Expr::Tuple(_))
                    {
                        m.lists.insert(n.id.as_str().to_string(), value);
                    }
                }
                Stmt::ClassDef(c) => {
                    if let Some(table) = models::tablename(&c.body) {
                        m.classes.insert(c.name.to_string(), table);
                    }
                }
                Stmt::Assign(a) if a.targets.len() == 1 => m.note_assign(a),
                _ => {}
            }
        }
        for (name, def) in nested_functions(body, source) {
            m.helpers.entry(name).or_insert(def);
        }
        // peewee models copied into the migration (their fields declared, no `__tablename__`).
        if m.imports.values().any(|(module, _)| module == "peewee") {
            for stmt in body {
                if let Stmt::ClassDef(c) = stmt
                    && !m.classes.contains_key(c.name.as_str())
                    && let Some(table) = models::peewee_table(c.name.as_str(), &c.body)
                {
                    m.classes.insert(c.name.to_string(), table);
                }
            }
        }
        for stmt in body {
            if let Stmt::ClassDef(c) = stmt {
                for (owner, attr, target) in models::relationships(c.name.as_str(), &c.body) {
                    if let (Some(o), Some(t)) = (m.classes.get(&owner), m.classes.get(&target)) {
                        m.relations.insert((o.clone(), attr), t.clone());
                    }
                }
            }
        }
        if m.op_names.is_empty() && m.alembic_names.is_empty() {
            // A file that uses `op` without importing it (star import, unusual templates).
            m.op_names.insert("op".to_string());
        }
        if m.hint == DialectHint::Unknown && source.contains("postgresql_") {
            m.hint = DialectHint::Postgres;
            m.hint_from_arguments = true;
        }
        m
    }

    /// The functions `f` defines whose body (after a docstring) is one `return <expr>`.
    fn note_sql_builders(&mut self, f: &'a StmtFunctionDef) {
        for stmt in &f.body {
            let Stmt::FunctionDef(inner) = stmt else {
                continue;
            };
            let body = match inner.body.as_slice() {
                [Stmt::Expr(doc), rest @ ..] if doc.value.is_string_literal_expr() => rest,
                all => all,
            };
            let [Stmt::Return(r)] = body else { continue };
            let Some(value) = r.value.as_deref() else {
                continue;
            };
            let source = self.source;
            self.sql_builders
                .entry(inner.name.as_str().to_string())
                .and_modify(|known| {
                    // Two definitions under one name: kept only when they are the same text.
                    if known.is_some_and(|(k, _)| source[k.range()] != source[inner.range()]) {
                        *known = None;
                    }
                })
                .or_insert(Some((inner, value)));
        }
    }

    /// `from module import name [as bound]`: `op` from alembic, other imports by name.
    fn note_import_from(&mut self, i: &StmtImportFrom) {
        let module = i.module.as_ref().map_or("", |m| m.as_str());
        let is_op = |name: &str| module == "alembic" && name == "op";
        for alias in i.names.iter().filter(|a| is_op(a.name.as_str())) {
            self.op_names
                .insert(alias.asname.as_ref().unwrap_or(&alias.name).to_string());
        }
        for (bound, module, name) in python::absolute_imports(i) {
            if !module.is_empty() && !is_op(name) {
                self.imports
                    .insert(bound, (module.to_string(), name.to_string()));
            }
        }
        self.note_dialect(module);
    }

    /// `import alembic[.op] [as name]`.
    fn note_import(&mut self, i: &StmtImport) {
        for alias in &i.names {
            let name = alias.name.as_str();
            if name == "alembic.op" {
                match &alias.asname {
                    Some(a) => {
                        self.op_names.insert(a.as_str().to_string());
                    }
                    None => {
                        self.alembic_names.insert("alembic".to_string());
                    }
                }
            } else if name == "alembic" {
                self.alembic_names.insert(
                    alias
                        .asname
                        .as_ref()
                        .map_or("alembic", |a| a.as_str())
                        .to_string(),
                );
            }
            self.note_dialect(name);
        }
    }

    /// `NAME = ...`: a list or tuple of values, a table object, a string constant.
    fn note_assign(&mut self, a: &'a StmtAssign) {
        if let Expr::Name(n) = &a.targets[0] {
            if matches!(a.value.as_ref(), Expr::List(_) | Expr::Tuple(_)) {
                self.values
                    .insert(n.id.as_str().to_string(), python::eval(&a.value));
                self.lists
                    .insert(n.id.as_str().to_string(), a.value.as_ref());
            }
            if let Some(table) = table_object_name(&a.value, &self.constants) {
                if let Expr::Call(call) = a.value.as_ref() {
                    self.declared
                        .insert(table.to_ascii_lowercase(), declared_columns(call));
                }
                self.tables.insert(n.id.as_str().to_string(), table);
            }
            let mut holes = Vec::new();
            if let Some(s) = python::resolve_string(&a.value, self.source, &|_| None, &mut holes, 0)
                && holes.is_empty()
            {
                self.constants.insert(n.id.as_str().to_string(), s);
            }
        }
    }

    /// What reading whole rows of `table` reads: the columns its table object declares
    /// (neutron's `sa.Table(TABLE, ..., sa.Column("id"), sa.Column("description"))`), else
    /// every column.
    fn whole_rows(&self, table: &str) -> Vec<(String, String)> {
        match self.declared.get(&table.to_ascii_lowercase()) {
            Some(columns) if !columns.is_empty() => columns
                .iter()
                .map(|c| (table.to_string(), c.clone()))
                .collect(),
            _ => vec![(table.to_string(), "*".to_string())],
        }
    }

    /// Where the file lives: models imported from the project are read from disk.
    #[must_use]
    pub fn at(self, path: &str) -> Self {
        self.at_path(std::path::Path::new(path))
    }

    fn at_path(mut self, path: &std::path::Path) -> Self {
        self.path = Some(path.to_path_buf());
        self
    }

    /// The table name of a model class: defined in this file, or imported from a module of
    /// the project found on disk above the file.
    fn model_table(&self, class: &str) -> Option<String> {
        if let Some(t) = self.classes.get(class) {
            return Some(t.clone());
        }
        let (module, name) = self.imports.get(class)?;
        models::imported_tablename(self.path.as_deref()?, module, name)
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

    /// The dialect the SQL this module runs is read with: the calling migration's for a module
    /// of project helpers, else the file's own.
    fn sql_hint(&self) -> DialectHint {
        self.caller_hint.get().unwrap_or(self.hint)
    }

    /// [`sql::analyse`], remembered per text: the operations come back with `range`.
    /// `branch` is the dialect of the `if` branch the text runs in, when it names one: that
    /// dialect reads the text first, before the file's own hint.
    fn analyse_sql(
        &self,
        text: &str,
        holes: &[String],
        branch: Option<DialectHint>,
        range: TextRange,
    ) -> SqlAnalysis {
        let hint = branch.unwrap_or(self.sql_hint());
        let key = (text.to_string(), holes.to_vec(), hint);
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
        let result = sql::analyse(text, holes, hint, range);
        self.sql_cache.borrow_mut().insert(key, result.clone());
        result
    }

    /// What the file says about the data the statement at `range` destroys: a comment at it,
    /// or a comment or docstring of the module-level function it is in that names its
    /// `table` or `column`. `claims` keeps each function's sentences, read once.
    fn derived_note(
        &self,
        op: &Operation,
        claims: &mut HashMap<ruff_text_size::TextSize, Vec<String>>,
    ) -> Option<String> {
        let def = self
            .helpers
            .values()
            .find(|d| d.range.contains_range(op.range));
        let claims: &[String] = match def {
            Some(d) => claims.entry(d.range.start()).or_insert_with(|| {
                super::notes::function_claims(self.source, d.range, docstring(&d.body))
            }),
            None => &[],
        };
        let names: Vec<&str> = [op.table.as_deref(), op.column.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        super::notes::derived_note(self.source, op.range, claims, &names)
    }

    #[must_use]
    pub fn hint(&self) -> DialectHint {
        self.hint
    }

    /// Whether [`Self::hint`] only comes from `postgresql_*` arguments (a weaker sign than an
    /// import of a dialect, a `PRAGMA` or the folder the revision lives in).
    #[must_use]
    pub fn hint_from_arguments(&self) -> bool {
        self.hint_from_arguments
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
            raised: false,
            dialects: Dialects::ALL,
            inert_call: false,
            loops: 0,
            counts: HashMap::new(),
        };
        for p in def.parameters.iter_non_variadic_params() {
            let name = p.parameter.name.as_str();
            if name != "op" {
                walker.locals.insert(name.to_string(), Local::EnvParam);
            }
        }
        walker.suite(&def.body);
        let header_end = def.name.range().end();
        let mut body = body_kind(&def.body);
        // `log(...); raise NotImplementedError`: nothing reaches the database before the raise.
        if walker.raised && body == BodyKind::Active && walker.ops.iter().all(|o| o.kind.is_inert())
        {
            body = BodyKind::Raises;
        }
        let mut ops = walker.ops;
        // `@skip_if_sqlite def downgrade():`: the decorator decides whether the body runs.
        if !def.decorator_list.is_empty() {
            for op in &mut ops {
                op.guarded = true;
                op.conditional = true;
            }
        }
        // Only where a data-loss rule may ask: the comments are read per statement.
        let mut claims = HashMap::new();
        for op in &mut ops {
            if matches!(
                op.kind,
                OpKind::DropColumn | OpKind::DropTable | OpKind::Truncate | OpKind::Delete
            ) {
                op.derived = self.derived_note(op, &mut claims);
            }
        }
        let repair_note = (body == BodyKind::Empty)
            .then(|| super::notes::repair_note(self.source, def.range, docstring(&def.body)))
            .flatten();
        Some(Function {
            header: TextRange::new(def.range.start(), header_end),
            body,
            is_async: def.is_async,
            ops,
            repair_note,
            may_drop_types: self.may_drop_types,
        })
    }
}

/// A batch block in scope: its variable, its table, and how it runs (`None`: not known).
type Batch = (String, String, Option<BatchBlock>);

/// How many modules of project helpers each scanning thread keeps read.
const MAX_HELPER_MODULES: usize = 64;

type HelperModules =
    HashMap<std::path::PathBuf, (Arc<project_modules::Module>, &'static Module<'static>)>;

thread_local! {
    /// Modules of project helpers read into [`Module`]s: once per thread per version of the
    /// file, not once per call (superset's migrations call `create_table` hundreds of times).
    /// Each is kept for the rest of the process, as the parsed file is, up to
    /// [`MAX_HELPER_MODULES`] per thread.
    static HELPER_MODULES: RefCell<HelperModules> = RefCell::new(HashMap::new());
}

/// The [`Module`] of a file of project helpers, read once per thread; `None` past the cap.
fn helper_module(project: &Arc<project_modules::Module>) -> Option<&'static Module<'static>> {
    HELPER_MODULES.with(|cache| {
        let mut cache = cache.borrow_mut();
        // The same text, even when the shared cache parsed it again after a clear: the
        // module read from it is still the one to use (no second copy is leaked).
        if let Some((known, module)) = cache.get(&project.path)
            && (Arc::ptr_eq(known, project) || known.source == project.source)
        {
            return Some(*module);
        }
        if cache.len() >= MAX_HELPER_MODULES {
            return None;
        }
        // Kept for the process: the module borrows the parsed file, which must outlive it.
        let file: &'static project_modules::Module = Box::leak(Box::new(Arc::clone(project)));
        let module = Module::new(&file.source, file.body()).at_path(&file.path);
        let module: &'static Module<'static> = Box::leak(Box::new(module));
        cache.insert(project.path.clone(), (Arc::clone(project), module));
        Some(module)
    })
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
/// The docstring of a function body, if it starts with one.
fn docstring(body: &[Stmt]) -> Option<&str> {
    match body.first() {
        Some(Stmt::Expr(e)) => match e.value.as_ref() {
            Expr::StringLiteral(s) => Some(s.value.to_str()),
            _ => None,
        },
        _ => None,
    }
}

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
            // `print("downgrade not supported")`, `logger.info(...)`: words, no change.
            Stmt::Expr(e) if logs_only(&e.value) => {}
            Stmt::Raise(_) => return BodyKind::Raises,
            _ => return BodyKind::Active,
        }
    }
    BodyKind::Empty
}

#[derive(Clone)]
enum Local {
    /// A string (a literal, a loop variable, a helper's parameter, SQL built in Python).
    Sql(String, Vec<String>),
    /// `conn = op.get_bind()` and friends.
    Bind,
    /// `expr = sa.Computed("...")`: what makes a column generated.
    Computed,
    /// `users = sa.table("users", ...)`: the table's name.
    Table(String),
    /// `for x in (...)` over tuples: one value per target name is bound separately; a tuple
    /// value bound to one name is kept for later unpacking.
    Tuple(Vec<Value>),
    /// `for row in session.query(Model)...:`: rows of a table (`filtered` when the query
    /// restricts them), for `session.delete(row)`.
    Rows { table: String, filtered: bool },
    /// `ob = Model(sql=row.sql, ...)`: a new ORM row of `table` (a model of this file), the
    /// columns its keywords set and the row values they read; `session.add(ob)` inserts it.
    NewRow {
        table: String,
        writes: Vec<String>,
        reads: Vec<(String, String)>,
    },
    /// `stmt = t.update().values(...)`, `page = sa.select(t.c.a)`: a SQLAlchemy Core
    /// statement built once and executed later (`conn.execute(stmt, rows)`,
    /// `conn.execute(page.limit(250))`), read as the operation it will be.
    Stmt(Box<Operation>),
    /// `queries = [populate_a, populate_b]` of SQL builders (see `Module::sql_builders`), or
    /// one of them bound to a loop variable: a call to it is the SQL it returns.
    Builders(Vec<String>),
    /// A helper's `*columns` given the caller's `sa.Column(...)` and constraint objects
    /// (`create_table("t", sa.Column("id", ...), sa.PrimaryKeyConstraint("id"))`), read in
    /// the caller's file, for `op.create_table(table_name, *columns)` in the helper.
    Schema(Vec<super::model::ColumnSpec>, Vec<ConstraintSpec>),
    /// A helper's parameter given an expression only known at run time: its text in the
    /// caller, so that names built from it read `{caller_expr}`, not the parameter's name.
    Unknown(String),
    /// A helper's parameter given `True` or `False` (`_copy_records(..., up_migration=True)`):
    /// the branch a conditional expression on it takes.
    Flag(bool),
    /// `from app.utils import drop_fks` inside the function: (module, imported name).
    Imported(String, String),
    /// A `lambda`: whether it only logs or prints (a progress callback handed to a helper),
    /// and, bound in the function that calls it, the lambda itself (manila 2d708a9a3ba9's
    /// `set_az_id_in_table = lambda table, id, name: op.execute(table.update()...)`).
    Lambda {
        only_logs: bool,
        def: Option<Box<ruff_python_ast::ExprLambda>>,
    },
    /// One of a helper's `*columns` (`for col in columns:`): the caller's column.
    Column(Box<super::model::ColumnSpec>),
    /// `cols = []` filled by `cols.append(col)` (as helpers collect the columns that are not
    /// there yet): what was appended, each maybe (the appends sit under conditions).
    Appended(Vec<Local>),
    /// A parameter of `upgrade()`/`downgrade()` other than `op`, which the project's env.py
    /// passes (`context.run_migrations(op=..., tables=..., tester=...)`, read by quay's
    /// `def upgrade(op, tables, tester):`). Where a table is expected, its attribute names
    /// the table (`op.bulk_insert(tables.tagkind, ...)`, `tables.mediatype.delete()`).
    EnvParam,
    /// `repo = "%s/%s" % (row.registry, row.namespace)`, `parts = row.ref.split("/")`: a value
    /// computed from ORM row values (the table and column of each), written back later
    /// (`row.ref = repo`).
    RowValues(Vec<(String, String)>),
    /// `mood = postgresql.ENUM("happy", "sad", name="mood")`: a type object whose
    /// `.create(bind)` / `.drop(bind)` creates or drops the type so named.
    EnumType(String),
}

/// One item of a `for` loop the walker unrolls: what its name target (the `String`) holds,
/// or a literal value bound to its target as an assignment binds it.
enum LoopItem {
    Local(String, Local),
    Value(Value),
}

/// How many iterations of a `for` loop over a literal are unrolled.
const MAX_UNROLL: usize = 64;
/// How deep helper functions may call each other.
const MAX_HELPER_DEPTH: usize = 8;

struct Walker<'m, 'a> {
    module: &'m Module<'a>,
    /// `with op.batch_alter_table("t") as b:` → ("b", "t", the block).
    batches: Vec<Batch>,
    locals: HashMap<String, Local>,
    ops: Vec<Operation>,
    visiting: Vec<String>,
    /// The function body (not a nested block) reached a `raise`.
    raised: bool,
    /// The dialects the statements being read run on (from enclosing `if` branches).
    dialects: Dialects,
    /// The last call read was to a project function that changes nothing (a logging helper):
    /// not an opaque call.
    inert_call: bool,
    /// How many `for` / `while` bodies enclose the statements being read.
    loops: usize,
    /// Variables holding the result of a `SELECT COUNT(*) FROM t` with no WHERE: the index of
    /// its read in `ops`, and `t`.
    counts: HashMap<String, (usize, String)>,
}

impl Walker<'_, '_> {
    fn suite(&mut self, body: &[Stmt]) {
        self.block(body, true);
    }

    /// Walk statements in order. A `raise` or `return` ends the block: what follows it is
    /// unreachable and never runs.
    ///
    /// A statement that may leave the block early under a condition (`if has_table(t):
    /// return`, as project helpers guard their work) makes what follows it guarded.
    fn block(&mut self, body: &[Stmt], top: bool) {
        let outer = self.dialects;
        let mut may_have_left = false;
        // `if has_table("t"): return`: what follows creates `t` only when it is missing.
        let mut created_if_missing: Vec<String> = Vec::new();
        for stmt in body {
            let first = self.ops.len();
            self.stmt(stmt);
            if !self.dialects.is_all() {
                for op in &mut self.ops[first..] {
                    op.dialects = op.dialects.and(self.dialects);
                }
            }
            for op in &mut self.ops[first..] {
                if created_if_missing.iter().any(|n| op.creates_named(n)) {
                    op.if_exists = true;
                }
            }
            let existence_guard = self.leaves_if_exists(stmt);
            if may_have_left {
                self.guard(first);
            }
            // An existence guard leaves only where the object already is: what follows runs
            // on every database the chain built, and creates the object only if missing.
            if let Some(name) = existence_guard {
                created_if_missing.push(name);
            } else if may_leave(stmt, self.module.source) {
                may_have_left = true;
                self.leaves_unless_empty(stmt);
            }
            // `if dialect == "sqlite": ...; return`: the rest runs on the other dialects.
            if let Stmt::If(i) = stmt
                && ends_by_leaving(&i.body)
                && let Some(test) = dialect_test(&i.test, self.module.source)
            {
                self.dialects = self.dialects.and(test.complement());
            }
            match stmt {
                Stmt::Raise(_) => {
                    if top && self.visiting.len() == 1 {
                        self.raised = true;
                    }
                    break;
                }
                Stmt::Return(_) => break,
                _ => {}
            }
        }
        self.dialects = outer;
    }

    /// `if has_table("t"): return` (or `raise`, or `if inspector.has_table(t):` with `t` bound):
    /// the name whose existence makes the block leave.
    fn leaves_if_exists(&self, stmt: &Stmt) -> Option<String> {
        let Stmt::If(i) = stmt else { return None };
        if !i.elif_else_clauses.is_empty() || !ends_by_leaving(&i.body) {
            return None;
        }
        let Expr::Call(call) = i.test.as_ref() else {
            return None;
        };
        if !asks_existence(last_name(&call.func)?) {
            return None;
        }
        let args = call.arguments.args.iter();
        let keywords = call.arguments.keywords.iter().map(|k| &k.value);
        args.chain(keywords).rev().find_map(|a| self.name(a))
    }

    /// `if n[0] > 0: return` (or `raise`), where `n` holds a `SELECT COUNT(*) FROM t`: what
    /// follows runs only when `t` has no rows (ckan 083 drops `related` only when it is
    /// empty). The count's read is marked so.
    fn leaves_unless_empty(&mut self, stmt: &Stmt) {
        let Stmt::If(i) = stmt else {
            return;
        };
        let leaves = ends_by_leaving(&i.body);
        if !leaves || !i.elif_else_clauses.is_empty() {
            return;
        }
        if let Some(name) = tests_for_rows(&i.test)
            && let Some((at, table)) = self.counts.get(name)
        {
            let read = &mut self.ops[*at];
            read.table = Some(table.clone());
            read.asserts_empty = true;
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        let range = stmt.range();
        match stmt {
            Stmt::Expr(e) => self.expr_stmt(e, range),
            Stmt::Assign(a) => self.assign(a, range),
            Stmt::AugAssign(a) => self.extend_sql(a),
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
            Stmt::With(w) => self.with_stmt(w, range),
            Stmt::If(i) => self.if_stmt(i),
            Stmt::For(f) => {
                self.loops += 1;
                self.for_stmt(f, range);
                self.loops -= 1;
            }
            Stmt::While(w) => {
                let first = self.ops.len();
                self.loops += 1;
                self.block(&w.body, false);
                self.loops -= 1;
                self.block(&w.orelse, false);
                self.guard(first);
            }
            Stmt::Try(t) => self.try_stmt(t, range),
            Stmt::ImportFrom(i) => {
                for (bound, module, name) in python::absolute_imports(i) {
                    let imported = Local::Imported(module.to_string(), name.to_string());
                    self.locals.insert(bound, imported);
                }
            }
            Stmt::Match(m) => {
                let first = self.ops.len();
                for case in &m.cases {
                    self.block(&case.body, false);
                }
                self.guard(first);
            }
            _ => {}
        }
    }

    /// An expression statement; a call to a function imported from elsewhere is an opaque `Call`.
    fn expr_stmt(&mut self, e: &ruff_python_ast::StmtExpr, range: TextRange) {
        let before = self.ops.len();
        self.inert_call = false;
        self.expr(&e.value, range);
        // `create_run_tables()` imported from elsewhere: its effects are invisible
        // here, but the upgrade evidently does something.
        if self.ops.len() == before
            && !self.inert_call
            && let Expr::Call(c) = e.value.as_ref()
            && let Expr::Name(n) = c.func.as_ref()
            && !BUILTINS.contains(&n.id.as_str())
            && !matches!(
                self.locals.get(n.id.as_str()),
                Some(Local::Lambda {
                    only_logs: true,
                    ..
                })
            )
        {
            let mut op = Operation::new(OpKind::Call, Origin::Op, range);
            op.name = Some(n.id.as_str().to_string());
            self.ops.push(op);
        }
    }

    /// `sql += f"({a}, {b}),"`: a SQL string built piece by piece (the rows of an `INSERT
    /// ... VALUES`, zenml 6119cd9b93c2). A piece that is not known text becomes a hole, so the
    /// statement keeps its known head; any other `+=` forgets the name.
    fn extend_sql(&mut self, a: &ruff_python_ast::StmtAugAssign) {
        let Expr::Name(n) = a.target.as_ref() else {
            return;
        };
        let Some(Local::Sql(text, holes)) = self.locals.get(n.id.as_str()) else {
            return;
        };
        if a.op != ruff_python_ast::Operator::Add {
            self.locals.remove(n.id.as_str());
            return;
        }
        let (mut text, mut holes) = (text.clone(), holes.clone());
        // The piece's own holes are numbered after the text's.
        let mut piece_holes = holes.clone();
        match self.resolve_sql(&a.value, &mut piece_holes) {
            Some(piece) => {
                text.push_str(&piece);
                holes = piece_holes;
            }
            None => {
                text.push_str(&sql::hole(holes.len()));
                holes.push(self.module.source[a.value.range()].to_string());
            }
        }
        self.locals
            .insert(n.id.to_string(), Local::Sql(text, holes));
    }

    /// `x = ...` and `a, b = "x", "y"`: bind what the names hold, then read the value.
    fn assign(&mut self, a: &ruff_python_ast::StmtAssign, range: TextRange) {
        match a.targets.as_slice() {
            [Expr::Name(n)] => self.bind_local(n.id.as_str(), &a.value),
            [Expr::Tuple(t)] => {
                // `a, b = "x", "y"`, or `a, b = (x, y) if flag else (y, x)` with `flag` a
                // helper's parameter given `True` or `False`.
                let value = self.taken_branch(&a.value).unwrap_or(&a.value);
                if let Expr::Tuple(values) = value
                    && values.elts.len() == t.elts.len()
                {
                    for (target, value) in t.elts.iter().zip(&values.elts) {
                        if let Expr::Name(n) = target {
                            self.bind_local(n.id.as_str(), value);
                        }
                    }
                } else {
                    for target in &t.elts {
                        if let Expr::Name(n) = target {
                            self.locals.remove(n.id.as_str());
                        }
                    }
                }
            }
            [Expr::Attribute(t)] => self.orm_set(t, &a.value, range),
            _ => {}
        }
        let first = self.ops.len();
        self.expr(&a.value, range);
        if let [Expr::Name(n)] = a.targets.as_slice() {
            self.counts.remove(n.id.as_str());
            // The statement (`Execute`) and what it reads.
            let reads: Vec<usize> = (first..self.ops.len())
                .filter(|&i| self.ops[i].kind == OpKind::Read)
                .collect();
            if let [at] = reads.as_slice()
                && let Some(table) = counted_table(&self.ops[*at])
            {
                self.counts.insert(n.id.to_string(), (*at, table));
            }
        }
    }

    /// `with op.batch_alter_table("t") as batch:` names the batch's table;
    /// `with engine.begin() as conn:` binds a connection.
    fn with_stmt(&mut self, w: &ruff_python_ast::StmtWith, range: TextRange) {
        let mut pushed = 0;
        for item in &w.items {
            if let (Expr::Call(call), Some(Expr::Name(var))) =
                (&item.context_expr, item.optional_vars.as_deref())
            {
                if self.is_op_call(call, "batch_alter_table")
                    && let Some(table) = arg(call, Some(0), "table_name").and_then(|t| self.name(t))
                {
                    let schema = arg(call, None, "schema").and_then(literal_str);
                    let table = in_schema(table, schema.as_deref());
                    let recreate = match arg(call, None, "recreate").map(literal_str) {
                        None => Some(Recreate::Auto),
                        Some(Some(r)) if r == "auto" => Some(Recreate::Auto),
                        Some(Some(r)) if r == "always" => Some(Recreate::Always),
                        Some(Some(r)) if r == "never" => Some(Recreate::Never),
                        // Not a literal: nothing is known of how the block runs.
                        Some(_) => None,
                    };
                    let block = recreate.map(|recreate| BatchBlock {
                        call: call.range(),
                        recreate,
                    });
                    self.batches
                        .push((var.id.as_str().to_string(), table, block));
                    pushed += 1;
                    continue;
                }
                if last_name(&call.func) == Some("begin")
                    || last_name(&call.func) == Some("connect")
                {
                    self.locals.insert(var.id.as_str().to_string(), Local::Bind);
                }
            }
            // `with disable_sqlite_fkeys(op):` imported from the project: set-up and tear-down
            // around the block (PRAGMAs), not statements of the migration.
            if let Expr::Call(call) = &item.context_expr
                && let Expr::Name(n) = call.func.as_ref()
                && !self.module.helpers.contains_key(n.id.as_str())
            {
                continue;
            }
            self.expr(&item.context_expr, range);
        }
        self.block(&w.body, false);
        for _ in 0..pushed {
            self.batches.pop();
        }
    }

    /// `if dialect == "sqlite": ... elif ...: ... else: ...`: each branch runs on the dialects
    /// its test leaves; any other condition (`if has_table(...)`) guards the statements.
    fn if_stmt(&mut self, i: &ruff_python_ast::StmtIf) {
        // Rows deleted under a condition (`if record.x is None: session.delete(record)`)
        // are restricted.
        let unfiltered = self.unfiltered_rows();
        self.set_rows_filtered(&unfiltered, true);
        let outer = self.dialects;
        let first = self.ops.len();
        let test = dialect_test(&i.test, self.module.source);
        self.dialects = outer.and(test.unwrap_or(Dialects::ALL));
        self.block(&i.body, false);
        let offline = offline_test(&i.test, self.module.source);
        let body_end = self.ops.len();
        if let Some(missing) = missing_test(&i.test) {
            for op in &mut self.ops[first..body_end] {
                if op.creates_named(&missing) {
                    op.if_exists = true;
                }
            }
        }
        if offline == Some(true) {
            for op in &mut self.ops[first..body_end] {
                op.offline = true;
            }
        }
        let rest = test.map_or(Dialects::ALL, Dialects::complement);
        self.else_clauses(&i.elif_else_clauses, outer, rest);
        self.dialects = outer;
        if offline == Some(false) {
            for op in &mut self.ops[body_end..] {
                op.offline = true;
            }
        }
        self.set_rows_filtered(&unfiltered, false);
        // Any other condition (`if has_table(...)`): the statements may not run.
        if test.is_none() {
            self.guard(first);
        }
    }

    /// The `elif`/`else` clauses of an `if`: each runs on the dialects the earlier tests
    /// (`rest`) and its own leave.
    fn else_clauses(
        &mut self,
        clauses: &[ruff_python_ast::ElifElseClause],
        outer: Dialects,
        mut rest: Dialects,
    ) {
        for clause in clauses {
            let test = clause
                .test
                .as_ref()
                .map(|t| dialect_test(t, self.module.source));
            let this = match test {
                Some(Some(t)) => rest.and(t),
                _ => rest,
            };
            self.dialects = outer.and(this);
            self.block(&clause.body, false);
            if let Some(Some(t)) = test {
                rest = rest.and(t.complement());
            }
        }
    }

    /// The row variables (`for record in session.query(T):`) not yet known to be filtered.
    fn unfiltered_rows(&self) -> Vec<String> {
        self.locals
            .iter()
            .filter(|(_, l)| {
                matches!(
                    l,
                    Local::Rows {
                        filtered: false,
                        ..
                    }
                )
            })
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn set_rows_filtered(&mut self, names: &[String], filtered: bool) {
        for n in names {
            if let Some(Local::Rows { filtered: f, .. }) = self.locals.get_mut(n) {
                *f = filtered;
            }
        }
    }

    /// A `for` loop: over a literal sequence it is unrolled with the names bound; over anything
    /// else the body may not run.
    fn for_stmt(&mut self, f: &ruff_python_ast::StmtFor, range: TextRange) {
        // `for row in conn.execute(t.select()):` reads before the body runs.
        self.expr(&f.iter, range);
        if let Some((items, maybe)) = self.unrolled_items(f) {
            let saved: Vec<(String, Option<Local>)> = names_in(&f.target)
                .into_iter()
                .map(|n| {
                    let old = self.locals.remove(&n);
                    (n, old)
                })
                .collect();
            let first = self.ops.len();
            for item in items {
                match item {
                    LoopItem::Local(name, local) => {
                        self.locals.insert(name, local);
                    }
                    LoopItem::Value(value) => self.bind_target(&f.target, &value),
                }
                self.block(&f.body, false);
            }
            if maybe {
                self.guard(first);
            }
            for (n, old) in saved {
                match old {
                    Some(l) => self.locals.insert(n, l),
                    None => self.locals.remove(&n),
                };
            }
        } else {
            let first = self.ops.len();
            for n in names_in(&f.target) {
                self.locals.remove(&n);
            }
            if let (Expr::Name(var), Some((table, filtered))) =
                (f.target.as_ref(), self.rows_of(&f.iter))
            {
                self.locals
                    .insert(var.id.to_string(), Local::Rows { table, filtered });
            }
            self.block(&f.body, false);
            self.guard(first);
        }
        self.block(&f.orelse, false);
    }

    /// `try:` guards its body; handlers that only swallow the error mark the body's operations.
    fn try_stmt(&mut self, t: &ruff_python_ast::StmtTry, range: TextRange) {
        let first = self.ops.len();
        self.block(&t.body, false);
        if !t.handlers.is_empty()
            && t.handlers.iter().all(|h| {
                let ruff_python_ast::ExceptHandler::ExceptHandler(h) = h;
                swallows(&h.body)
            })
        {
            for op in &mut self.ops[first..] {
                op.swallowed.get_or_insert(range);
            }
        }
        for handler in &t.handlers {
            let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
            self.block(&h.body, false);
        }
        self.block(&t.orelse, false);
        // A `try` guards what it holds, but sets no condition on it.
        for op in &mut self.ops[first..] {
            op.guarded = true;
        }
        self.block(&t.finalbody, false);
    }

    /// The operations from `first` on ran under a condition, a loop or a `try`.
    fn guard(&mut self, first: usize) {
        for op in &mut self.ops[first..] {
            op.guarded = true;
            op.conditional = true;
        }
    }

    /// The items of a `for` loop the body runs once per item, and whether the body may not run
    /// for each (its operations are then guarded): with a plain name as target, a helper's
    /// `*columns` or a list it appended them to, or a list of SQL builders (`query(...)` being
    /// each one's SQL); else literal items (`for table, col in [("a", "x"), ...]`).
    fn unrolled_items(&self, f: &ruff_python_ast::StmtFor) -> Option<(Vec<LoopItem>, bool)> {
        if let Expr::Name(var) = f.target.as_ref() {
            let bind = |local| LoopItem::Local(var.id.to_string(), local);
            if let Some((items, maybe)) = self.bound_items(&f.iter) {
                return Some((items.into_iter().map(bind).collect(), maybe));
            }
            if let Some(names) = self.builder_list(&f.iter) {
                let builders = names.into_iter().map(|n| Local::Builders(vec![n]));
                return Some((builders.map(bind).collect(), false));
            }
            if let Some(tables) = self.table_objects(&f.iter) {
                return Some((tables.into_iter().map(bind).collect(), false));
            }
        }
        let items = self.literal_items(&f.iter)?;
        if items.is_empty() || items.len() > MAX_UNROLL {
            return None;
        }
        Some((items.into_iter().map(LoopItem::Value).collect(), false))
    }

    /// `[services_table, share_instances_table]`: a literal list of names bound to table
    /// objects (manila 1f0bd302c1a6 loops over two so), one table per item.
    fn table_objects(&self, expr: &Expr) -> Option<Vec<Local>> {
        let elts = match expr {
            Expr::List(l) => &l.elts,
            Expr::Tuple(t) => &t.elts,
            _ => return None,
        };
        if elts.is_empty() || elts.len() > MAX_UNROLL {
            return None;
        }
        elts.iter()
            .map(|e| match e {
                Expr::Name(_) => self.table_expr(e).map(Local::Table),
                _ => None,
            })
            .collect()
    }

    /// The items of a literal sequence: `("a", "b")`, `[("a", "x"), ...]`, a module-level
    /// constant holding one, or `.items()` of... nothing else: unknown sequences are `None`.
    fn literal_items(&self, expr: &Expr) -> Option<Vec<Value>> {
        // `reversed(TABLES)`, `list(TABLES)`: the same items (reversed).
        if let Expr::Call(c) = expr
            && let Expr::Name(f) = c.func.as_ref()
            && matches!(f.id.as_str(), "reversed" | "list" | "tuple")
            && let [inner] = &*c.arguments.args
            && c.arguments.keywords.is_empty()
            && !self.locals.contains_key(f.id.as_str())
        {
            let mut items = self.literal_items(inner)?;
            if f.id.as_str() == "reversed" {
                items.reverse();
            }
            return Some(items);
        }
        // `[name for name in COLUMNS if exists(name)]`: some of the items, each maybe (the
        // loop that walks them guards its statements).
        if let Expr::ListComp(comp) = expr
            && let [generator] = &*comp.generators
            && !generator.is_async
            && let (Expr::Name(elt), Expr::Name(target)) = (comp.elt.as_ref(), &generator.target)
            && elt.id == target.id
        {
            return self.literal_items(&generator.iter);
        }
        let value = match expr {
            Expr::List(_) | Expr::Tuple(_) | Expr::Set(_) => python::eval(expr),
            Expr::Name(n) => match self.locals.get(n.id.as_str()) {
                Some(Local::Tuple(items)) => Value::List(items.clone()),
                Some(_) => return None,
                None => self.module.values.get(n.id.as_str())?.clone(),
            },
            _ => return None,
        };
        let Value::List(items) = value else {
            return None;
        };
        // Only strings (or tuples of strings) are worth binding; `Unknown` items stay unbound.
        Some(items)
    }

    /// The items of a helper's `*columns` bound to the caller's columns, or of a list built
    /// by `append` (then `true`: each item maybe).
    fn bound_items(&self, expr: &Expr) -> Option<(Vec<Local>, bool)> {
        let Expr::Name(n) = expr else { return None };
        match self.locals.get(n.id.as_str())? {
            Local::Schema(columns, constraints) if constraints.is_empty() => Some((
                columns
                    .iter()
                    .map(|c| Local::Column(Box::new(c.clone())))
                    .collect(),
                false,
            )),
            // An empty list may be one branch's value (`except Exception: rows = []` after
            // `rows = conn.execute(...).fetchall()`): the loop is not unrolled over nothing.
            Local::Appended(items) if !items.is_empty() && items.len() <= MAX_UNROLL => {
                Some((items.clone(), true))
            }
            _ => None,
        }
    }

    /// `cols.append(col)` on a list bound by `cols = []`: what `col` holds is appended; an
    /// item that cannot be read makes the list unknown.
    fn append(&mut self, call: &ExprCall) -> bool {
        let Expr::Attribute(a) = call.func.as_ref() else {
            return false;
        };
        let Expr::Name(list) = a.value.as_ref() else {
            return false;
        };
        if !matches!(self.locals.get(list.id.as_str()), Some(Local::Appended(_))) {
            return false;
        }
        let item = match call.arguments.args.first() {
            Some(Expr::Name(n)) => self.locals.get(n.id.as_str()).cloned(),
            Some(other) => literal_str(other).map(|s| Local::Sql(s, Vec::new())),
            None => None,
        };
        match (item, self.locals.get_mut(list.id.as_str())) {
            (Some(item), Some(Local::Appended(items))) => items.push(item),
            _ => {
                self.locals.remove(list.id.as_str());
            }
        }
        true
    }

    /// Bind a loop target to one item.
    fn bind_target(&mut self, target: &Expr, item: &Value) {
        match (target, item) {
            (Expr::Name(n), Value::Str(s)) => {
                self.locals
                    .insert(n.id.as_str().to_string(), Local::Sql(s.clone(), Vec::new()));
            }
            (Expr::Name(n), Value::List(items)) => {
                self.locals
                    .insert(n.id.as_str().to_string(), Local::Tuple(items.clone()));
            }
            (Expr::Tuple(t), Value::List(items)) if t.elts.len() == items.len() => {
                for (target, item) in t.elts.iter().zip(items) {
                    self.bind_target(target, item);
                }
            }
            (Expr::List(t), Value::List(items)) if t.elts.len() == items.len() => {
                for (target, item) in t.elts.iter().zip(items) {
                    self.bind_target(target, item);
                }
            }
            _ => {
                for n in names_in(target) {
                    self.locals.remove(&n);
                }
            }
        }
    }

    /// The branch `body if flag else orelse` takes when `flag` is a parameter given `True` or
    /// `False`.
    fn taken_branch<'e>(&self, expr: &'e Expr) -> Option<&'e Expr> {
        let Expr::If(i) = expr else { return None };
        let Expr::Name(test) = i.test.as_ref() else {
            return None;
        };
        match self.locals.get(test.id.as_str()) {
            Some(Local::Flag(true)) => Some(&i.body),
            Some(Local::Flag(false)) => Some(&i.orelse),
            _ => None,
        }
    }

    fn bind_local(&mut self, name: &str, value: &Expr) {
        let mut holes = Vec::new();
        if let Some(names) = self.builder_list(value) {
            self.locals.insert(name.to_string(), Local::Builders(names));
        } else if let Some(table) = self.table_expr(value) {
            self.locals.insert(name.to_string(), Local::Table(table));
        } else if let Some(s) = self.resolve_sql(value, &mut holes) {
            self.locals.insert(name.to_string(), Local::Sql(s, holes));
        } else if let Expr::Call(c) = value
            && matches!(
                last_name(&c.func),
                Some("get_bind" | "connect" | "begin" | "get_context" | "connection")
            )
        {
            self.locals.insert(name.to_string(), Local::Bind);
        } else if let Expr::Name(other) = value
            && matches!(self.locals.get(other.id.as_str()), Some(Local::Bind))
        {
            self.locals.insert(name.to_string(), Local::Bind);
        } else if let Some(op) = self
            .core_statement(value, value.range())
            .or_else(|| self.core_select(value, value.range()))
        {
            self.locals
                .insert(name.to_string(), Local::Stmt(Box::new(op)));
        } else if let Some(type_name) = self.enum_type(value) {
            self.locals
                .insert(name.to_string(), Local::EnumType(type_name));
        } else if let Some(row) = self.orm_rows_or_new(value) {
            self.locals.insert(name.to_string(), row);
        } else if let Some(reads) = self.orm_values(value) {
            self.locals
                .insert(name.to_string(), Local::RowValues(reads));
        } else if let Expr::Call(c) = value
            && last_name(&c.func) == Some("Computed")
        {
            self.locals.insert(name.to_string(), Local::Computed);
        } else if let Expr::Lambda(l) = value {
            self.locals.insert(name.to_string(), lambda(l));
        } else if let Expr::ListComp(_) = value
            && let Some(items) = self.literal_items(value)
        {
            self.locals.insert(name.to_string(), Local::Tuple(items));
        } else if matches!(value, Expr::List(l) if l.elts.is_empty()) {
            self.locals
                .insert(name.to_string(), Local::Appended(Vec::new()));
        } else if let Some(items) = string_tuple(value) {
            // `old = ("volume", "")`: pieces of names built later (`old[0] + "_types"`).
            self.locals.insert(name.to_string(), Local::Tuple(items));
        } else if let Expr::Name(other) = value
            && let Some(Local::Tuple(items)) = self.locals.get(other.id.as_str())
        {
            let items = items.clone();
            self.locals.insert(name.to_string(), Local::Tuple(items));
        } else {
            // Rebound to something we cannot see (a reflection, a query): forget the old value.
            self.locals.remove(name);
        }
    }

    /// `[populate_a, populate_b]` where every item names a SQL builder, or a variable bound to
    /// such a list.
    fn builder_list(&self, expr: &Expr) -> Option<Vec<String>> {
        let items = match expr {
            Expr::List(l) => &l.elts,
            Expr::Tuple(t) => &t.elts,
            Expr::Name(n) => {
                return match self.locals.get(n.id.as_str()) {
                    Some(Local::Builders(names)) => Some(names.clone()),
                    _ => None,
                };
            }
            _ => return None,
        };
        let names: Vec<String> = items
            .iter()
            .map(|e| match e {
                Expr::Name(n)
                    if !self.locals.contains_key(n.id.as_str())
                        && self
                            .module
                            .sql_builders
                            .get(n.id.as_str())
                            .is_some_and(Option::is_some) =>
                {
                    Some(n.id.to_string())
                }
                _ => None,
            })
            .collect::<Option<_>>()?;
        (!names.is_empty() && names.len() <= MAX_UNROLL).then_some(names)
    }

    /// A name (table, column, index, constraint) written as an expression: a literal, a
    /// constant, a bound variable, an f-string over known values, or a model's table name.
    /// What cannot be resolved comes back as `{expr}`: the same expression is the same unknown
    /// object within the file, and rules never treat it as a real name.
    fn name(&self, expr: &Expr) -> Option<String> {
        if let Some(s) = literal_str(expr) {
            return Some(s);
        }
        if let Expr::Call(c) = expr
            && matches!(last_name(&c.func), Some("f" | "conv" | "quoted_name"))
        {
            return c.arguments.args.first().and_then(|a| self.name(a));
        }
        if let Some(t) = self.model_attr(expr) {
            return Some(t);
        }
        let mut holes = Vec::new();
        if let Some(s) = self.resolve_sql(expr, &mut holes) {
            return Some(sql::restore(&s, &holes));
        }
        match expr {
            Expr::Name(n) if let Some(Local::Unknown(text)) = self.locals.get(n.id.as_str()) => {
                Some(python::unresolved(text))
            }
            Expr::Name(_) | Expr::Attribute(_) => {
                python::dotted(expr).map(|d| python::unresolved(&d))
            }
            _ => None,
        }
    }

    /// `sa.Column(...)` with its name resolved like any other name (`sa.Column(column, ...)`
    /// in a helper gets the caller's argument).
    fn column(&self, call: &ExprCall) -> Option<super::model::ColumnSpec> {
        let mut spec = column_spec(call, self.module.source)?;
        if let Some(first) = call.arguments.args.first()
            && call.arguments.args.len() > 1
            && !matches!(first, Expr::StringLiteral(_))
            && let Some(name) = self.name(first)
        {
            spec.name = name;
        }
        // `sa.Column("vnfd_ids", type, vnfd_ids)` with `vnfd_ids = sa.Computed(...)` bound in
        // each dialect's branch (tacker c31f65e0d099): a generated column.
        for (i, a) in call.arguments.args.iter().enumerate().skip(1) {
            if let Expr::Name(n) = a
                && matches!(self.locals.get(n.id.as_str()), Some(Local::Computed))
            {
                spec.generated = true;
                // Taken for the type when it came first.
                if i == 1 {
                    spec.type_ = call.arguments.args.get(2).map(python::eval);
                }
            }
        }
        Some(spec)
    }

    /// A name argument; `Err(())` when it is the literal `None`.
    fn name_arg(
        &self,
        call: &ExprCall,
        pos: Option<usize>,
        kw: &str,
    ) -> Result<Option<String>, ()> {
        match arg(call, pos, kw) {
            Some(Expr::NoneLiteral(_)) => Err(()),
            Some(expr) => Ok(self.name(expr)),
            None => Ok(None),
        }
    }

    /// `Model.__tablename__` / `Model.__table__.name` of a model we can read.
    fn model_attr(&self, expr: &Expr) -> Option<String> {
        let Expr::Attribute(a) = expr else {
            return None;
        };
        let class = match (a.attr.as_str(), a.value.as_ref()) {
            // A helper's parameter bound to a model (`target.__tablename__`).
            ("__tablename__", Expr::Name(n))
                if let Some(Local::Table(t)) = self.locals.get(n.id.as_str()) =>
            {
                return Some(t.clone());
            }
            ("__tablename__", Expr::Name(n)) => n.id.as_str(),
            ("name", Expr::Attribute(inner)) if inner.attr.as_str() == "__table__" => {
                let Expr::Name(n) = inner.value.as_ref() else {
                    return None;
                };
                n.id.as_str()
            }
            _ => return None,
        };
        self.module.model_table(class)
    }

    /// A table object: `sa.table("t", ...)`, a variable bound to one, `Model.__table__`.
    fn table_expr(&self, expr: &Expr) -> Option<String> {
        match expr {
            // A model class stands for its table in Core (`sa.update(Model)`,
            // `insert_from_select(Model, ...)`).
            Expr::Name(n) => match self.locals.get(n.id.as_str()) {
                Some(Local::Table(t)) => Some(t.clone()),
                Some(_) => None,
                None => self
                    .module
                    .tables
                    .get(n.id.as_str())
                    .cloned()
                    .or_else(|| self.module.classes.get(n.id.as_str()).cloned()),
            },
            Expr::Attribute(a) if a.attr.as_str() == "__table__" => {
                let Expr::Name(n) = a.value.as_ref() else {
                    return None;
                };
                self.module.model_table(n.id.as_str())
            }
            // `tables.tagkind` for a collection of tables the environment passes.
            Expr::Attribute(a)
                if matches!(a.value.as_ref(), Expr::Name(n)
                    if matches!(self.locals.get(n.id.as_str()), Some(Local::EnvParam))) =>
            {
                Some(a.attr.to_string())
            }
            // `t = op.create_table("share_instances", ...)`: Alembic returns the new table.
            Expr::Call(c)
                if matches!(last_name(&c.func), Some("table" | "Table" | "create_table")) =>
            {
                c.arguments
                    .args
                    .first()
                    .and_then(|a| self.name(a))
                    .filter(|n| !n.starts_with('{'))
            }
            // `meta.tables["block_schema"]` after `meta.reflect(...)`: the reflected table.
            Expr::Subscript(sub) if matches!(sub.value.as_ref(), Expr::Attribute(a) if a.attr.as_str() == "tables") => {
                self.name(&sub.slice).filter(|n| !n.starts_with('{'))
            }
            Expr::Call(c) => self.returned_table(c),
            _ => None,
        }
    }

    /// A call of a function that returns a table object for the name it is given, as
    /// manila's `utils.load_table(name, connection)` does (`return sa.Table(name,
    /// sa.MetaData(), autoload_with=connection)`): the table the call's argument names. The
    /// function is one of the module's, or one it imports from its project (`from
    /// manila.db.migrations import utils`, then `utils.load_table(...)`).
    fn returned_table(&self, call: &ExprCall) -> Option<String> {
        let project;
        let def: &StmtFunctionDef = match call.func.as_ref() {
            Expr::Name(n) => match self.module.helpers.get(n.id.as_str()) {
                Some(def) => def,
                None => {
                    let (module, original) = self.module.imports.get(n.id.as_str())?;
                    project = self.project_module(module)?;
                    project.function(original)?
                }
            },
            Expr::Attribute(a) => {
                let Expr::Name(base) = a.value.as_ref() else {
                    return None;
                };
                let (package, module) = self.module.imports.get(base.id.as_str())?;
                project = self.project_module(&format!("{package}.{module}"))?;
                project.function(a.attr.as_str())?
            }
            _ => return None,
        };
        // The function's one `return`: a table object built from one of its parameters.
        let [.., Stmt::Return(ret)] = def.body.as_slice() else {
            return None;
        };
        let Some(Expr::Call(table)) = ret.value.as_deref() else {
            return None;
        };
        if !matches!(last_name(&table.func), Some("table" | "Table")) {
            return None;
        }
        let Some(Expr::Name(param)) = table.arguments.args.first() else {
            return None;
        };
        let position = def
            .parameters
            .iter_non_variadic_params()
            .position(|p| p.parameter.name.as_str() == param.id.as_str())?;
        let given = call.arguments.args.get(position).or_else(|| {
            call.arguments
                .find_keyword(param.id.as_str())
                .map(|k| &k.value)
        })?;
        self.name(given).filter(|n| !n.starts_with('{'))
    }

    /// The project module `module` (dotted), found above the migration on disk.
    fn project_module(&self, module: &str) -> Option<Arc<project_modules::Module>> {
        let dir = self.module.path.as_deref()?.parent()?;
        project_modules::cached(&project_modules::module_file(dir, module, 0)?)
    }

    /// SQL given as a Python expression (a literal, `sa.text("...")`, module constants and
    /// concatenations of them) when every part of it is known.
    fn sql_value(&self, expr: &Expr) -> Option<String> {
        let mut holes = Vec::new();
        self.resolve_sql(expr, &mut holes)
            .filter(|_| holes.is_empty())
    }

    fn resolve_sql(&self, expr: &Expr, holes: &mut Vec<String>) -> Option<String> {
        if let Some(s) = self.builder_sql(expr, holes) {
            return Some(s);
        }
        // `stmt = sa.text(query(batch_size))` then `conn.execute(stmt)`: the text keeps its
        // holes (numbered from 0, so only where nothing else has one yet).
        // `sa.text(stmt)` and `stmt[:-1] + ";"` (a trailing comma cut off SQL built piece by
        // piece) keep the holes too.
        if holes.is_empty()
            && let Some((s, h)) = self.sql_local(expr)
        {
            holes.extend(h);
            return Some(s);
        }
        let lookup = |e: &Expr| -> Option<String> {
            match e {
                Expr::Name(n) => match self.locals.get(n.id.as_str()) {
                    Some(Local::Sql(s, h)) if h.is_empty() => Some(s.clone()),
                    // A table object where a name is expected (`metadata.tables[target]`).
                    Some(Local::Table(t)) => Some(t.clone()),
                    Some(_) => None,
                    None => self.module.constants.get(n.id.as_str()).cloned(),
                },
                Expr::Attribute(_) => self.model_attr(e),
                // `old[0]` of `old = ("volume", "")`.
                Expr::Subscript(sub) => match (sub.value.as_ref(), sub.slice.as_ref()) {
                    (Expr::Name(n), Expr::NumberLiteral(i)) => {
                        let Some(Local::Tuple(items)) = self.locals.get(n.id.as_str()) else {
                            return None;
                        };
                        let i = i.value.as_int()?.as_usize()?;
                        items.get(i)?.as_str().map(str::to_string)
                    }
                    _ => None,
                },
                _ => None,
            }
        };
        python::resolve_string(expr, self.module.source, &lookup, holes, 0)
    }

    /// The SQL text and holes of a string local: `stmt`, `sa.text(stmt)`, `stmt[:-k]`, and
    /// any of those `+` a literal.
    fn sql_local(&self, expr: &Expr) -> Option<(String, Vec<String>)> {
        match expr {
            Expr::Name(n) => match self.locals.get(n.id.as_str()) {
                Some(Local::Sql(s, h)) => Some((s.clone(), h.clone())),
                _ => None,
            },
            Expr::Call(c)
                if matches!(last_name(&c.func), Some("text")) && c.arguments.args.len() == 1 =>
            {
                self.sql_local(&c.arguments.args[0])
            }
            Expr::Subscript(sub) => {
                let (mut s, h) = self.sql_local(&sub.value)?;
                let Expr::Slice(slice) = sub.slice.as_ref() else {
                    return None;
                };
                let cut = match (&slice.lower, slice.upper.as_deref(), &slice.step) {
                    (None, Some(Expr::UnaryOp(u)), None)
                        if u.op == ruff_python_ast::UnaryOp::USub =>
                    {
                        match u.operand.as_ref() {
                            Expr::NumberLiteral(num) => num.value.as_int()?.as_usize()?,
                            _ => return None,
                        }
                    }
                    _ => return None,
                };
                // Cut known text only; a hole at the end absorbs the cut.
                let known_tail = match h.len() {
                    0 => s.len(),
                    n => {
                        let last = sql::hole(n - 1);
                        s.len() - s.rfind(&last).map_or(0, |i| i + last.len())
                    }
                };
                if known_tail >= cut {
                    s.truncate(s.len() - cut);
                }
                Some((s, h))
            }
            Expr::BinOp(b) if b.op == ruff_python_ast::Operator::Add => {
                let (s, h) = self.sql_local(&b.left)?;
                let Expr::StringLiteral(lit) = b.right.as_ref() else {
                    return None;
                };
                Some((s + lit.value.to_str(), h))
            }
            _ => None,
        }
    }

    /// The SQL a call to a builder returns (`sa.text(query(batch_size))` with `query` bound to
    /// one of `Module::sql_builders`): its parameters bound to what the call passes, where
    /// that is a known string; the others stay holes.
    fn builder_sql(&self, expr: &Expr, holes: &mut Vec<String>) -> Option<String> {
        let Expr::Call(call) = expr else { return None };
        if matches!(last_name(&call.func), Some("text" | "dedent")) {
            return self.builder_sql(call.arguments.args.first()?, holes);
        }
        let Expr::Name(n) = call.func.as_ref() else {
            return None;
        };
        let name = match self.locals.get(n.id.as_str()) {
            Some(Local::Builders(names)) if names.len() == 1 => names[0].as_str(),
            Some(_) => return None,
            None => n.id.as_str(),
        };
        let (def, returned) = (*self.module.sql_builders.get(name)?)?;
        let params: Vec<&ruff_python_ast::ParameterWithDefault> =
            def.parameters.iter_non_variadic_params().collect();
        let mut bound: HashMap<String, String> = HashMap::new();
        let mut bind = |param: &str, value: &Expr| {
            if let Some(v) = self.sql_value(value) {
                bound.entry(param.to_string()).or_insert(v);
            }
        };
        for (p, a) in params.iter().zip(&call.arguments.args) {
            bind(p.parameter.name.as_str(), a);
        }
        for k in &call.arguments.keywords {
            if let Some(a) = &k.arg {
                bind(a.as_str(), &k.value);
            }
        }
        for p in &params {
            if let Some(d) = p.default.as_deref() {
                bind(p.parameter.name.as_str(), d);
            }
        }
        let lookup = |e: &Expr| -> Option<String> {
            let Expr::Name(v) = e else { return None };
            match bound.get(v.id.as_str()) {
                Some(s) => Some(s.clone()),
                None if params
                    .iter()
                    .any(|p| p.parameter.name.as_str() == v.id.as_str()) =>
                {
                    None
                }
                None => self.module.constants.get(v.id.as_str()).cloned(),
            }
        };
        python::resolve_string(returned, self.module.source, &lookup, holes, 0)
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

    fn batch_table(&self, call: &ExprCall) -> Option<(String, String, Option<BatchBlock>)> {
        let Expr::Attribute(attr) = call.func.as_ref() else {
            return None;
        };
        let Expr::Name(n) = attr.value.as_ref() else {
            return None;
        };
        self.batches
            .iter()
            .rev()
            .find(|(var, _, _)| var == n.id.as_str())
            .map(|(_, table, block)| (attr.attr.as_str().to_string(), table.clone(), *block))
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
        if let Some((method, table, block)) = self.batch_table(call) {
            let first = self.ops.len();
            self.op_call(&method, call, Some(table), range);
            self.ops[first..].iter_mut().for_each(|op| op.batch = block);
            return true;
        }
        match call.func.as_ref() {
            // `conn.execute("SELECT ...").scalar()`: one row of what the query reads.
            Expr::Attribute(attr)
                if matches!(
                    attr.attr.as_str(),
                    "scalar"
                        | "scalar_one"
                        | "scalar_one_or_none"
                        | "first"
                        | "fetchone"
                        | "one"
                        | "one_or_none"
                ) && matches!(attr.value.as_ref(), Expr::Call(inner) if matches!(inner.func.as_ref(), Expr::Attribute(e) if matches!(e.attr.as_str(), "execute" | "exec_driver_sql"))) =>
            {
                let first = self.ops.len();
                self.expr(&attr.value, range);
                if self.loops == 0 {
                    for op in self.ops[first..]
                        .iter_mut()
                        .filter(|o| o.kind == OpKind::Read)
                    {
                        op.one_row = true;
                    }
                }
                true
            }
            Expr::Attribute(attr)
                if matches!(attr.attr.as_str(), "execute" | "exec_driver_sql") =>
            {
                // conn.execute(...), op.get_bind().execute(...), session.execute(...)
                if let Some(first) = call.arguments.args.first() {
                    return self.execute(first, call, range, false);
                }
                false
            }
            Expr::Attribute(attr) if attr.attr.as_str() == "append" => self.append(call),
            Expr::Attribute(attr)
                if matches!(attr.attr.as_str(), "create" | "drop")
                    && let Some(name) = self.enum_type(&attr.value) =>
            {
                self.type_object_call(call, attr.attr.as_str(), name, range);
                true
            }
            Expr::Attribute(attr) if matches!(attr.attr.as_str(), "delete" | "update") => {
                self.orm_write(call, attr.attr.as_str(), range)
            }
            Expr::Attribute(attr) if matches!(attr.attr.as_str(), "add" | "add_all" | "merge") => {
                self.orm_add(call, range)
            }
            Expr::Attribute(attr) if matches!(attr.attr.as_str(), "create_all" | "drop_all") => {
                self.metadata_all(call, attr.attr.as_str(), range)
            }
            Expr::Attribute(attr)
                if matches!(
                    attr.attr.as_str(),
                    "all"
                        | "first"
                        | "one"
                        | "one_or_none"
                        | "yield_per"
                        | "query"
                        | "filter"
                        | "filter_by"
                ) =>
            {
                self.orm_read(call, range)
            }
            Expr::Name(n) => self.helper(n.id.as_str(), call, range),
            _ => false,
        }
    }

    /// `session.query(Model).all()`: rows read into Python (and maybe written elsewhere next).
    fn orm_read(&mut self, call: &ExprCall, range: TextRange) -> bool {
        let Some((table, _)) = self.orm_query(&Expr::Call(call.clone())) else {
            return false;
        };
        let mut op = Operation::new(OpKind::Read, Origin::Op, range);
        op.reads = self.module.whole_rows(&table);
        self.ops.push(op);
        true
    }

    /// `mood.create(bind)` / `mood.drop(bind)` of a type object (see [`Self::enum_type`]): a
    /// CREATE TYPE / DROP TYPE, only if missing (or present) with `checkfirst=True`.
    fn type_object_call(&mut self, call: &ExprCall, method: &str, name: String, range: TextRange) {
        let kind = if method == "create" {
            OpKind::CreateType
        } else {
            OpKind::DropType
        };
        let mut op = Operation::new(kind, Origin::Op, range);
        op.name = Some(name);
        op.if_exists = matches!(
            arg(call, None, "checkfirst"),
            Some(Expr::BooleanLiteral(b)) if b.value
        );
        self.ops.push(op);
    }

    /// The name of the type an expression builds: `sa.Enum(..., name="mood")`,
    /// `postgresql.ENUM(..., name="mood")`, or a variable bound to one.
    fn enum_type(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Call(c) if matches!(last_name(&c.func), Some("Enum" | "ENUM")) => {
                self.name(arg(c, None, "name")?)
            }
            Expr::Name(n) => match self.locals.get(n.id.as_str()) {
                Some(Local::EnumType(name)) => Some(name.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// `session.query(Model).filter(...)` (also `.all()`, `.yield_per(...)`): the model's table
    /// and whether the rows are restricted.
    fn orm_query(&self, expr: &Expr) -> Option<(String, bool)> {
        let mut cur = expr;
        let mut filtered = false;
        while let Expr::Call(c) = cur {
            let Expr::Attribute(a) = c.func.as_ref() else {
                return None;
            };
            match a.attr.as_str() {
                "query" => {
                    let model = c.arguments.args.first()?;
                    let table = match model {
                        Expr::Name(n) => self
                            .table_expr(model)
                            .or_else(|| self.module.model_table(n.id.as_str()))
                            .unwrap_or_else(|| {
                                python::unresolved(&format!("{}.__tablename__", n.id))
                            }),
                        _ => self.queried_columns_table(&c.arguments.args)?,
                    };
                    return Some((table, filtered));
                }
                // peewee: `Model.select().where(...)` of a model of this file.
                "select"
                    if let Expr::Name(n) = a.value.as_ref()
                        && !self.locals.contains_key(n.id.as_str())
                        && let Some(table) = self.module.classes.get(n.id.as_str()) =>
                {
                    return Some((table.clone(), filtered));
                }
                "filter" | "filter_by" | "where" | "limit" | "first" | "one" | "get"
                | "one_or_none" => filtered = true,
                _ => {}
            }
            cur = &a.value;
        }
        None
    }

    /// The table of `session.query(t.c.a, t.c.b)`: columns of one table object (manila
    /// 56cdbe267881 reads `share_export_locations` so in its downgrade), aggregates over them
    /// (`func.min(t.c.updated_at)`) left aside.
    fn queried_columns_table(&self, args: &[Expr]) -> Option<String> {
        let mut found: Option<String> = None;
        for a in args {
            let Expr::Attribute(col) = a else {
                if matches!(a, Expr::Call(_)) {
                    continue;
                }
                return None;
            };
            // `t.c.x` (as `core_column` reads it), or `t.x` of a table object.
            let table = match self.core_column(a) {
                Some((table, _)) => table,
                None => self.table_expr(&col.value)?,
            };
            match &found {
                Some(t) if *t != table => return None,
                _ => found = Some(table),
            }
        }
        found
    }

    /// ORM writes: `session.query(Model)...delete()` / `.update({...})`, and
    /// `session.delete(row)` for a row of a loop over such a query.
    fn orm_write(&mut self, call: &ExprCall, method: &str, range: TextRange) -> bool {
        let Expr::Attribute(attr) = call.func.as_ref() else {
            return false;
        };
        let kind = if method == "delete" {
            OpKind::Delete
        } else {
            OpKind::Update
        };
        let target = if let Some((table, filtered)) = self.orm_query(&attr.value) {
            Some((table, filtered))
        } else if method == "delete"
            && let Some(Expr::Name(row)) = call.arguments.args.first()
            && let Some(Local::Rows { table, filtered }) = self.locals.get(row.id.as_str())
        {
            Some((table.clone(), *filtered))
        } else {
            None
        };
        let Some((table, filtered)) = target else {
            return false;
        };
        let mut op = Operation::new(kind, Origin::Op, range);
        op.table = Some(table);
        op.has_where = filtered;
        op.sql = Some(self.module.source[call.range()].to_string());
        if kind == OpKind::Update {
            op.writes = vec!["*".to_string()];
        }
        self.ops.push(op);
        true
    }

    /// `Base.metadata.create_all(bind, tables=[...])` / `drop_all(...)`: one `create_table`
    /// (columns unknown) or `drop_table` per table of the list, when every item names a table
    /// (`Model.__table__`, a `sa.Table` variable). Both check first (`checkfirst=True`): each
    /// is conditional (`guarded`, `if_exists`); SQLAlchemy orders the drops by their foreign
    /// keys, so they are emitted in reverse order of the list. Without `tables=` the set is
    /// the whole metadata, which the file does not show: not read.
    fn metadata_all(&mut self, call: &ExprCall, method: &str, range: TextRange) -> bool {
        let Some(list) = arg(call, None, "tables") else {
            return false;
        };
        let items: Vec<&Expr> = match list {
            Expr::List(l) => l.elts.iter().collect(),
            Expr::Tuple(t) => t.elts.iter().collect(),
            Expr::Name(n) => match self.module.lists.get(n.id.as_str()) {
                Some(Expr::List(l)) => l.elts.iter().collect(),
                Some(Expr::Tuple(t)) => t.elts.iter().collect(),
                _ => return false,
            },
            _ => return false,
        };
        let Some(tables) = items
            .iter()
            .map(|e| self.table_expr(e))
            .collect::<Option<Vec<String>>>()
        else {
            return false;
        };
        let kind = if method == "create_all" {
            OpKind::CreateTable
        } else {
            OpKind::DropTable
        };
        let mut ordered = tables;
        if kind == OpKind::DropTable {
            // Dependants first, as SQLAlchemy drops them (the list is written parents first).
            ordered.reverse();
        }
        for table in ordered {
            let mut op = Operation::new(kind, Origin::Op, range);
            op.table = Some(table);
            op.name = Some(method.to_string());
            op.if_exists = true;
            // `checkfirst`: each table only if it is there (or not there): conditional.
            op.guarded = true;
            op.conditional = true;
            op.sql = Some(self.module.source[call.range()].to_string());
            self.ops.push(op);
        }
        true
    }

    /// A module-level helper called from upgrade(): its operations count as ours, with its
    /// parameters bound to the call's arguments (strings, tables, connections, batch
    /// contexts) and to their defaults. A function imported from the project is read the same
    /// way ([`Self::imported_helper`]).
    fn helper(&mut self, name: &str, call: &ExprCall, range: TextRange) -> bool {
        if self.visiting.len() > MAX_HELPER_DEPTH {
            return false;
        }
        if let Some(Local::Lambda { def: Some(l), .. }) = self.locals.get(name) {
            let l = l.clone();
            return self.call_lambda(name, &l, call, range);
        }
        let Some(def) = self.module.helpers.get(name) else {
            return self.imported_helper(name, call);
        };
        if self.visiting.iter().any(|v| v == name) {
            return false;
        }
        let (locals, batches) = self.bind_arguments(&def.parameters, call);
        self.in_call(name, locals, batches, call, |w| w.block(&def.body, false));
        true
    }

    /// Read a called body (`read`) with `locals` and `batches` as its scope, then restore the
    /// caller's; what it does is reached through `call`.
    fn in_call(
        &mut self,
        name: &str,
        locals: HashMap<String, Local>,
        batches: Vec<Batch>,
        call: &ExprCall,
        read: impl FnOnce(&mut Self),
    ) {
        self.visiting.push(name.to_string());
        let saved = std::mem::replace(&mut self.locals, locals);
        let pushed = batches.len();
        self.batches.extend(batches);
        let first = self.ops.len();
        read(self);
        // The outermost call wins: a helper's helper is reached through this call too.
        for op in &mut self.ops[first..] {
            op.via = Some(call.range());
        }
        for _ in 0..pushed {
            self.batches.pop();
        }
        self.locals = saved;
        self.visiting.pop();
    }

    /// A function the file imports from its own project (`from app.migrations.utils import
    /// create_table`), read from its module on disk (found above the file, parsed once per
    /// process) with its parameters bound as for a helper of the file. Its statements are
    /// read against its own module (its `op`, its helpers, its constants) and count as made
    /// at the call, in the file being scanned. A module that is not found (a third-party
    /// package) leaves the call opaque.
    fn imported_helper(&mut self, name: &str, call: &ExprCall) -> bool {
        let (module, original) = match self.locals.get(name) {
            Some(Local::Imported(module, original)) => (module, original),
            Some(_) => return false,
            None => match self.module.imports.get(name) {
                Some((module, original)) => (module, original),
                None => return false,
            },
        };
        let Some(project) = self.project_module(module) else {
            return false;
        };
        let key = format!("{}:{original}", project.path.display());
        if self.visiting.contains(&key) {
            return false;
        }
        let Some(def) = project.function(original) else {
            return false;
        };
        let local;
        let helpers: &Module = match helper_module(&project) {
            Some(m) => m,
            None => {
                local = Module::new(&project.source, project.body()).at_path(&project.path);
                &local
            }
        };
        // The SQL it runs is the migration's: read with the migration's dialect.
        helpers.caller_hint.set(Some(self.module.hint));
        let (locals, batches) = self.bind_arguments(&def.parameters, call);
        let mut visiting = self.visiting.clone();
        visiting.push(key);
        let mut inner = Walker {
            module: helpers,
            batches,
            locals,
            ops: Vec::new(),
            visiting,
            raised: false,
            dialects: self.dialects,
            inert_call: false,
            loops: 0,
            counts: HashMap::new(),
        };
        inner.block(&def.body, false);
        // `op.get_bind()` / `op.get_context()` alone read nothing of the migration's data.
        inner
            .ops
            .retain(|o| !(o.kind == OpKind::Read && o.reads.is_empty()));
        if inner.ops.is_empty() {
            self.inert_call = project.changes_nothing(def);
        }
        // The call, not its whole statement (`t = create_table(...)`): where `mrt fix` finds it.
        let range = call.range();
        for mut op in inner.ops {
            op.relocate(range, name);
            // What the helper does to a table it names itself at run time, or SQL it runs
            // that cannot be read, stays as unknown as the call was.
            let unnamed = op.table.as_deref().is_some_and(|t| t.contains('{'));
            if unnamed || (op.kind == OpKind::Execute && op.sql_error.is_some()) {
                let mut call = Operation::new(OpKind::Call, Origin::Op, range);
                call.name = Some(name.to_string());
                call.guarded = op.guarded;
                call.conditional = op.conditional;
                call.dialects = op.dialects;
                call.imported = op.imported;
                op = call;
            }
            self.ops.push(op);
        }
        true
    }

    /// A call to a `lambda` bound in this function: its body read with its parameters bound
    /// to the arguments, in the caller's scope (a lambda sees the names around it).
    fn call_lambda(
        &mut self,
        name: &str,
        l: &ruff_python_ast::ExprLambda,
        call: &ExprCall,
        range: TextRange,
    ) -> bool {
        if self.visiting.iter().any(|v| v == name) {
            return false;
        }
        let empty = ruff_python_ast::Parameters::default();
        let (bound, batches) = self.bind_arguments(l.parameters.as_deref().unwrap_or(&empty), call);
        let mut locals = self.locals.clone();
        if let Some(parameters) = l.parameters.as_deref() {
            // A parameter the call leaves unbound must not read the caller's name.
            for p in parameters.iter_non_variadic_params() {
                locals.remove(p.parameter.name.as_str());
            }
        }
        locals.extend(bound);
        self.in_call(name, locals, batches, call, |w| w.expr(&l.body, range));
        true
    }

    /// A helper's parameters bound to what `call` passes (evaluated in the caller's scope) and
    /// to their defaults: the locals the helper's body starts with, and the batch contexts
    /// it is handed.
    // long: one case per kind of value a parameter can be bound to (a batch context, a table,
    // a connection, a tuple, a query, a string, a model's table, the caller's column objects).
    #[allow(clippy::too_many_lines)]
    fn bind_arguments(
        &self,
        parameters: &ruff_python_ast::Parameters,
        call: &ExprCall,
    ) -> (HashMap<String, Local>, Vec<Batch>) {
        let params: Vec<&ruff_python_ast::ParameterWithDefault> =
            parameters.iter_non_variadic_params().collect();
        let mut bound: Vec<(String, &Expr)> = Vec::new();
        let mut extra: Option<Vec<&Expr>> = Some(Vec::new());
        for (i, a) in call.arguments.args.iter().enumerate() {
            if matches!(a, Expr::Starred(_)) {
                extra = None;
                break;
            }
            match params.get(i) {
                Some(p) => bound.push((p.parameter.name.to_string(), a)),
                None => {
                    if let Some(extra) = extra.as_mut() {
                        extra.push(a);
                    }
                }
            }
        }
        for k in &call.arguments.keywords {
            if let Some(a) = &k.arg {
                bound.push((a.to_string(), &k.value));
            }
        }
        for p in &params {
            let pname = p.parameter.name.as_str();
            if let Some(default) = p.default.as_deref()
                && !bound.iter().any(|(n, _)| n == pname)
            {
                bound.push((pname.to_string(), default));
            }
        }
        // Evaluate the arguments in the caller's scope.
        let mut locals: HashMap<String, Local> = HashMap::new();
        let mut batches = Vec::new();
        for (param, value) in bound {
            if let Expr::Name(v) = value
                && let Some((_, table, block)) = self
                    .batches
                    .iter()
                    .rev()
                    .find(|(var, _, _)| var == v.id.as_str())
            {
                batches.push((param, table.clone(), *block));
                continue;
            }
            if let Some(table) = self.table_expr(value) {
                locals.insert(param, Local::Table(table));
                continue;
            }
            if let Expr::Name(v) = value {
                match self.locals.get(v.id.as_str()) {
                    Some(Local::Bind) => {
                        locals.insert(param, Local::Bind);
                        continue;
                    }
                    Some(Local::Tuple(items)) => {
                        locals.insert(param, Local::Tuple(items.clone()));
                        continue;
                    }
                    Some(Local::Unknown(text)) => {
                        locals.insert(param, Local::Unknown(text.clone()));
                        continue;
                    }
                    _ => {}
                }
            }
            if let Expr::Lambda(l) = value {
                locals.insert(param, lambda(l));
                continue;
            }
            if let Expr::BooleanLiteral(b) = value {
                locals.insert(param, Local::Flag(b.value));
                continue;
            }
            if matches!(value, Expr::List(_) | Expr::Tuple(_)) {
                if let Value::List(items) = python::eval(value) {
                    locals.insert(param, Local::Tuple(items));
                }
                continue;
            }
            // `insert_from_select(Model, select(...))`: the query, read where it is used.
            if let Some(read) = self.core_select(value, value.range()) {
                locals.insert(param, Local::Stmt(Box::new(read)));
                continue;
            }
            let mut holes = Vec::new();
            if let Some(s) = self.resolve_sql(value, &mut holes) {
                locals.insert(param, Local::Sql(s, holes));
            } else if let Some(s) = self.model_attr(value) {
                locals.insert(param, Local::Sql(s, Vec::new()));
            } else if let Some(s) = self.name(value).filter(|n| !n.contains('{')) {
                // `op.f(index)`, a name the caller resolves.
                locals.insert(param, Local::Sql(s, Vec::new()));
            } else if let Some(text) = python::dotted(value) {
                locals.insert(param, Local::Unknown(text));
            }
        }
        // `def create_table(table_name, *columns)`: what the caller passes past the named
        // parameters, when every item is a string or every item a column or constraint.
        if let (Some(vararg), Some(extra)) = (parameters.vararg.as_ref(), extra)
            && !extra.is_empty()
        {
            let values: Vec<Value> = extra.iter().map(|e| python::eval(e)).collect();
            let mut columns = Vec::new();
            let mut constraints = Vec::new();
            let schema = extra.iter().all(|e| {
                let Expr::Call(c) = e else { return false };
                if let Some(spec) = self.column(c) {
                    columns.push(spec);
                } else if let Some(k) = table_constraint(c, &|e| self.sql_value(e)) {
                    constraints.push(k);
                } else {
                    return false;
                }
                true
            });
            let name = vararg.name.to_string();
            if values.iter().all(|v| matches!(v, Value::Str(_))) {
                locals.insert(name, Local::Tuple(values));
            } else if schema {
                locals.insert(name, Local::Schema(columns, constraints));
            }
        }
        (locals, batches)
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
        let mut resolved = self.resolve_sql(sql_expr, &mut holes);
        // `conn.execute("... %s ...", (a, b))`: the driver fills the `%s`.
        if call.arguments.args.len() > 1 {
            resolved = resolved.map(|text| sql::driver_params(&text, &mut holes));
        }
        let mut exec = Operation::new(OpKind::Execute, Origin::Op, range);
        exec.kwargs = kwargs(call, self.module.source);
        match resolved {
            Some(text) => {
                let branch = self.dialects.only();
                let (ops, error) = self.module.analyse_sql(&text, &holes, branch, range);
                exec.sql = Some(sql::restore(&text, &holes));
                exec.sql_error = error;
                self.ops.push(exec);
                self.ops.extend(ops);
                true
            }
            None => {
                if let Some(op) = self
                    .core_statement(sql_expr, range)
                    .or_else(|| self.core_select(sql_expr, range))
                {
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

    /// The tables of `a.join(b, ...)` (or `outerjoin`, chained), when each is known.
    fn joined_tables(&self, expr: &Expr) -> Option<Vec<String>> {
        let Expr::Call(c) = expr else { return None };
        let Expr::Attribute(a) = c.func.as_ref() else {
            return None;
        };
        if !matches!(a.attr.as_str(), "join" | "outerjoin") {
            return None;
        }
        let mut tables = match self.table_expr(&a.value) {
            Some(t) => vec![t],
            None => self.joined_tables(&a.value)?,
        };
        tables.push(self.table_expr(c.arguments.args.first()?)?);
        Some(tables)
    }

    /// `sa.select(t.c.id, t.c.value).where(...)`, `t.select()`: a read of those columns (data
    /// that Python may write elsewhere next).
    fn core_select(&self, expr: &Expr, range: TextRange) -> Option<Operation> {
        let mut cur = expr;
        // A `.where(...)`, `.limit(...)` or join on the way: only some rows are read.
        let mut restricted = false;
        // The columns a `.where(...)` tests: they pick the rows read.
        let mut filter_reads = Vec::new();
        loop {
            // `page.limit(250)` / `page` where `page = sa.select(...)` earlier.
            if let Expr::Name(n) = cur
                && let Some(Local::Stmt(op)) = self.locals.get(n.id.as_str())
                && op.kind == OpKind::Read
            {
                let mut op = op.as_ref().clone();
                op.range = range;
                op.has_where |= restricted;
                return Some(op);
            }
            let Expr::Call(c) = cur else {
                break;
            };
            let (method, receiver) = match c.func.as_ref() {
                Expr::Attribute(a) => (a.attr.as_str(), Some(a.value.as_ref())),
                Expr::Name(n) => (n.id.as_str(), None),
                _ => return None,
            };
            if matches!(method, "where" | "filter") {
                for a in &c.arguments.args {
                    self.core_reads(a, &mut filter_reads);
                }
            }
            restricted |= matches!(
                method,
                "where"
                    | "filter"
                    | "filter_by"
                    | "limit"
                    | "offset"
                    | "fetch"
                    | "join"
                    | "outerjoin"
                    | "having"
                    | "distinct"
            );
            if method == "select" {
                let mut op = Operation::new(OpKind::Read, Origin::Sql, range);
                op.has_where = restricted;
                op.filter_reads = std::mem::take(&mut filter_reads);
                match receiver {
                    Some(r) if !is_module_name(r) => {
                        if let Some(t) = self.table_expr(r) {
                            op.reads.push((t, "*".to_string()));
                        } else if let Some(tables) = self.joined_tables(r) {
                            // `a.join(b, on).select()`: every column of both, on the rows
                            // the join pairs.
                            op.has_where = true;
                            op.reads
                                .extend(tables.into_iter().map(|t| (t, "*".to_string())));
                        }
                    }
                    _ => {
                        for a in &c.arguments.args {
                            let items: Vec<&Expr> = match a {
                                Expr::List(l) => l.elts.iter().collect(),
                                other => vec![other],
                            };
                            for item in items {
                                match self.core_column(item) {
                                    Some(read) => op.reads.push(read),
                                    // `t.c.id.label("x")`, `func.coalesce(t.c.a, ...)`.
                                    None => self.core_reads(item, &mut op.reads),
                                }
                            }
                        }
                    }
                }
                return Some(op);
            }
            cur = receiver?;
        }
        None
    }

    /// Every `t.c.col` (and `Model.col`) inside a Core expression.
    fn core_reads(&self, expr: &Expr, out: &mut Vec<(String, String)>) {
        use ruff_python_ast::visitor::{Visitor, walk_expr};
        struct Columns<'w, 'm, 'a> {
            walker: &'w Walker<'m, 'a>,
            out: &'w mut Vec<(String, String)>,
        }
        impl<'x> Visitor<'x> for Columns<'_, '_, '_> {
            fn visit_expr(&mut self, expr: &'x Expr) {
                if matches!(expr, Expr::Attribute(_) | Expr::Subscript(_))
                    && let Some(read) = self.walker.core_column(expr)
                    && read.1 != "*"
                {
                    self.out.push(read);
                    return;
                }
                // A value of a row read in Python (`description=row[1]` in a loop over
                // `session.query(table)`).
                if let Some(read) = self.walker.orm_value(expr) {
                    self.out.push(read);
                    return;
                }
                walk_expr(self, expr);
            }
        }
        Columns { walker: self, out }.visit_expr(expr);
    }

    /// Does a WHERE condition compare the `.name` of a table object (`tables.logentrykind.name
    /// == op.inline_literal("x")`)? That is the table's name, a Python string, not its `name`
    /// column (`.c.name`): the condition compares two constants.
    fn tests_table_name(&self, cond: &Expr) -> bool {
        // Only where the object is surely a Core table: an attribute of a table collection
        // the environment passes, or `meta.tables["t"]` (an ORM model's `Model.name` is its
        // column).
        let names_table = |e: &Expr| {
            matches!(e, Expr::Attribute(a) if a.attr.as_str() == "name"
                && matches!(a.value.as_ref(), Expr::Attribute(_) | Expr::Subscript(_))
                && self.table_expr(&a.value).is_some())
        };
        match cond {
            Expr::Compare(c) => names_table(&c.left) || c.comparators.iter().any(names_table),
            _ => false,
        }
    }

    /// `t.c.col`, `t.c["col"]`, `Model.col` of a model we can read, or a whole table `t`.
    fn core_column(&self, expr: &Expr) -> Option<(String, String)> {
        match expr {
            Expr::Attribute(a) => {
                // `t.c.x`, or its long form `t.columns.x` (pgadmin4).
                if let Expr::Attribute(c) = a.value.as_ref()
                    && matches!(c.attr.as_str(), "c" | "columns")
                {
                    return Some((self.table_expr(&c.value)?, a.attr.to_string()));
                }
                if let Expr::Name(n) = a.value.as_ref() {
                    return Some((self.module.model_table(n.id.as_str())?, a.attr.to_string()));
                }
                None
            }
            Expr::Subscript(s) => {
                let Expr::Attribute(c) = s.value.as_ref() else {
                    return None;
                };
                if !matches!(c.attr.as_str(), "c" | "columns") {
                    return None;
                }
                Some((self.table_expr(&c.value)?, literal_str(&s.slice)?))
            }
            other => self.table_expr(other).map(|t| (t, "*".to_string())),
        }
    }

    /// `table.update().where(...).values(x=None)`, `sa.delete(table)`, `sa.insert(t)`,
    /// `Model.__table__.delete()`: SQLAlchemy Core statements, as the same operations raw SQL
    /// gives (table, WHERE or not, the columns written).
    // long: one walk down a chained Core call (`.where(...).values(...)`); every link updates
    // the same state (methods seen, table, columns read and written).
    #[allow(clippy::too_many_lines)]
    fn core_statement(&self, expr: &Expr, range: TextRange) -> Option<Operation> {
        let mut methods: Vec<&str> = Vec::new();
        let mut cur = expr;
        let mut table: Option<String> = None;
        let mut table_expr: Option<&Expr> = None;
        let mut writes = Vec::new();
        let mut reads = Vec::new();
        let mut filter_reads = Vec::new();
        let mut where_names_table = false;
        let mut constant_values = true;
        while let Expr::Call(c) = cur {
            match c.func.as_ref() {
                Expr::Attribute(a) => {
                    let method = a.attr.as_str();
                    methods.push(method);
                    if method == "where" {
                        where_names_table |=
                            c.arguments.args.iter().any(|w| self.tests_table_name(w));
                    }
                    if matches!(method, "values" | "where" | "filter") {
                        // `.values(x=t.c.y)` reads values; `.where(t.c.name == ...)` the key
                        // of a re-join.
                        let into = if method == "values" {
                            &mut reads
                        } else {
                            &mut filter_reads
                        };
                        for a in c
                            .arguments
                            .args
                            .iter()
                            .chain(c.arguments.keywords.iter().map(|k| &k.value))
                        {
                            self.core_reads(a, into);
                        }
                    }
                    if method == "from_select"
                        && let Some(source) = arg(c, Some(1), "select")
                    {
                        // `t.insert().from_select(cols, select(...))`: INSERT ... SELECT (or
                        // a `session.query(Model.a, ...)`: the columns it names).
                        match self.core_select(source, source.range()) {
                            Some(read) => reads.extend(read.reads),
                            None => self.core_reads(source, &mut reads),
                        }
                    }
                    if method == "values" {
                        constant_values &= c.arguments.args.is_empty()
                            && c.arguments.keywords.iter().all(|k| is_constant(&k.value));
                        for k in &c.arguments.keywords {
                            match &k.arg {
                                Some(name) => writes.push(name.to_string()),
                                None => writes.push("*".to_string()),
                            }
                        }
                        for a in &c.arguments.args {
                            // `.values({"old": t.c.new})`: the dict's keys name the columns
                            // (redash 640888ce445d); anything else may write any of them.
                            match dict_keys(a) {
                                Some(keys) => writes.extend(keys),
                                None => writes.push("*".to_string()),
                            }
                        }
                    }
                    if matches!(method, "update" | "delete" | "insert") {
                        // `t.update()` or `sa.update(t)`.
                        match c.arguments.args.first() {
                            Some(first) if is_module_name(&a.value) => table_expr = Some(first),
                            _ => table_expr = Some(&a.value),
                        }
                    }
                    cur = &a.value;
                }
                Expr::Name(n) => {
                    let method = n.id.as_str();
                    methods.push(method);
                    if matches!(method, "update" | "delete" | "insert") {
                        table_expr = c.arguments.args.first();
                    }
                    break;
                }
                _ => break,
            }
        }
        // `update_stmt` (or `update_stmt.where(...)`) bound earlier to a Core write.
        if let Expr::Name(n) = cur
            && let Some(Local::Stmt(base)) = self.locals.get(n.id.as_str())
            && matches!(base.kind, OpKind::Update | OpKind::Delete | OpKind::Insert)
        {
            let mut op = base.as_ref().clone();
            op.range = range;
            op.has_where |= methods
                .iter()
                .any(|m| matches!(*m, "where" | "filter" | "filter_by"));
            if methods.contains(&"values") {
                // Constant when what this adds is, and what the bound statement set was.
                op.constant_values =
                    constant_values && (base.writes.is_empty() || base.constant_values);
            }
            op.reads.extend(reads);
            op.filter_reads.extend(filter_reads);
            op.writes.extend(writes);
            return Some(op);
        }
        let kind = if methods.contains(&"update") {
            OpKind::Update
        } else if methods.contains(&"delete") {
            OpKind::Delete
        } else if methods.contains(&"insert") {
            OpKind::Insert
        } else {
            return None;
        };
        if let Some(t) = table_expr {
            table = self.table_expr(t).or_else(|| self.name(t));
        }
        let mut op = Operation::new(kind, Origin::Sql, range);
        op.table = table;
        op.where_names_table = where_names_table;
        op.has_where = methods
            .iter()
            .any(|m| matches!(*m, "where" | "filter" | "filter_by"));
        // `.where(t.c.x.is_(None))` / `.where(t.c.x == None)`: a backfill of NULLs.
        op.backfill = kind == OpKind::Update && where_is_null(expr, self.module.source);
        op.constant_values =
            kind == OpKind::Update && constant_values && methods.contains(&"values");
        op.reads = reads;
        op.filter_reads = filter_reads;
        op.writes = if kind == OpKind::Insert && writes.is_empty() {
            vec!["*".to_string()]
        } else {
            writes
        };
        Some(op)
    }

    // long: one arm per `op.*` method, each reading that method's own argument positions
    // (indexes and constraints are already apart, in `key_op`).
    #[allow(clippy::too_many_lines)]
    fn op_call(&mut self, method: &str, call: &ExprCall, batch: Option<String>, range: TextRange) {
        let source = self.module.source;
        // In batch mode the table argument disappears: positions shift left by one.
        let b = usize::from(batch.is_some());
        let pos = |p: usize| p.checked_sub(b);
        let table_at = |p: usize, kw: &str| -> Option<String> {
            batch
                .clone()
                .or_else(|| self.name_arg(call, Some(p), kw).ok().flatten())
        };
        if method == "execute" {
            if let Some(first) = arg(call, Some(0), "sqltext") {
                self.execute(first, call, range, true);
            }
            return;
        }
        let kind = op_kind(method);
        let mut op = Operation::new(kind, Origin::Op, range);
        op.kwargs = kwargs(call, source);
        op.spread = call.arguments.keywords.iter().any(|k| k.arg.is_none())
            || call.arguments.args.iter().any(Expr::is_starred_expr);
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
                let spec = match arg(call, pos(1), "column") {
                    Some(Expr::Call(col)) => self.column(col),
                    // `batch_op.add_column(col)` over a helper's `*columns`.
                    Some(Expr::Name(n)) => match self.locals.get(n.id.as_str()) {
                        Some(Local::Column(spec)) => Some(spec.as_ref().clone()),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(spec) = spec {
                    op.column = Some(spec.name.clone());
                    op.columns.push(spec);
                }
            }
            OpKind::DropColumn => {
                op.table = table_at(0, "table_name");
                if let Some(Expr::Call(col)) = arg(call, pos(1), "column_name")
                    && let Some(spec) = self.column(col)
                {
                    // `op.drop_column("t", sa.Column("x"))`: Alembic raises (MRT018).
                    op.column_object = true;
                    op.column = Some(spec.name).filter(|n| !n.is_empty());
                } else {
                    op.column = self.name_arg(call, pos(1), "column_name").ok().flatten();
                }
            }
            OpKind::AlterColumn => {
                op.table = table_at(0, "table_name");
                op.column = self.name_arg(call, pos(1), "column_name").ok().flatten();
                if let Ok(Some(new)) = self.name_arg(call, None, "new_column_name") {
                    let mut rename = op.clone();
                    rename.kind = OpKind::RenameColumn;
                    rename.new_name = Some(new);
                    self.ops.push(rename);
                    let changes = ["type_", "nullable", "server_default"];
                    if !op.kwargs.iter().any(|k| changes.contains(&k.name.as_str())) {
                        return;
                    }
                }
            }
            OpKind::CreateTable => {
                op.table = self.name_arg(call, Some(0), "table_name").ok().flatten();
                for a in call.arguments.args.iter().skip(1) {
                    // `op.create_table(table_name, *columns)` in a helper: the caller's.
                    if let Expr::Starred(star) = a
                        && let Expr::Name(n) = star.value.as_ref()
                        && let Some(Local::Schema(columns, constraints)) =
                            self.locals.get(n.id.as_str())
                    {
                        op.columns.extend(columns.iter().cloned());
                        op.unique |= constraints.iter().any(|c| c.kind == ConstraintKind::Unique);
                        op.constraints.extend(constraints.iter().cloned());
                    }
                    if let Expr::Call(col) = a {
                        if let Some(spec) = self.column(col) {
                            op.columns.push(spec);
                        } else if let Some(c) = table_constraint(col, &|e| self.sql_value(e)) {
                            if c.kind == ConstraintKind::Unique {
                                op.unique = true;
                            }
                            op.constraints.push(c);
                        }
                    }
                }
            }
            OpKind::DropTable => {
                op.table = self.name_arg(call, Some(0), "table_name").ok().flatten();
            }
            OpKind::RenameTable => {
                op.table = self
                    .name_arg(call, Some(0), "old_table_name")
                    .ok()
                    .flatten();
                op.new_name = self
                    .name_arg(call, Some(1), "new_table_name")
                    .ok()
                    .flatten();
            }
            OpKind::CreateIndex
            | OpKind::DropIndex
            | OpKind::CreateUniqueConstraint
            | OpKind::CreateCheckConstraint
            | OpKind::CreatePrimaryKey
            | OpKind::DropConstraint
            | OpKind::CreateForeignKey => self.key_op(call, batch.as_ref(), &mut op),
            OpKind::BulkInsert => {
                op.table = call
                    .arguments
                    .args
                    .first()
                    .and_then(|arg| self.table_expr(arg).or_else(|| self.name(arg)));
                op.writes = vec!["*".to_string()];
                op.literal_rows = matches!(
                    arg(call, Some(1), "rows"),
                    Some(Expr::List(_) | Expr::Tuple(_))
                );
                op.literal_row_values = arg(call, Some(1), "rows").and_then(literal_row_values);
            }
            _ => {
                op.name = Some(method.to_string());
            }
        }
        // `schema="users"`: the table is `users.<table>` (indico keeps same-named tables in
        // several schemas). A batch's table was qualified where the batch began.
        if batch.is_none() {
            let own = if kind == OpKind::CreateForeignKey {
                "source_schema"
            } else {
                "schema"
            };
            let schema = op
                .kwarg_value(own)
                .and_then(Value::as_str)
                .map(str::to_string);
            op.table = op.table.take().map(|t| in_schema(t, schema.as_deref()));
            if kind == OpKind::RenameTable {
                op.new_name = op.new_name.take().map(|t| in_schema(t, schema.as_deref()));
            }
        }
        let referent = op
            .kwarg_value("referent_schema")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(referent) = referent {
            for c in &mut op.constraints {
                c.ref_table = c.ref_table.take().map(|t| in_schema(t, Some(&referent)));
            }
        }
        self.ops.push(op);
    }

    /// `op.create_index`, `drop_index`, `create_*_constraint`, `create_primary_key`,
    /// `create_foreign_key` and `drop_constraint`: the key's name, table and definition.
    // long: one arm per index and constraint method, each building its `ConstraintSpec` from
    // that method's own argument positions.
    #[allow(clippy::too_many_lines)]
    fn key_op(&self, call: &ExprCall, batch: Option<&String>, op: &mut Operation) {
        // In batch mode the table argument disappears: positions shift left by one.
        let b = usize::from(batch.is_some());
        let pos = |p: usize| p.checked_sub(b);
        let table_at = |p: usize, kw: &str| -> Option<String> {
            batch
                .cloned()
                .or_else(|| self.name_arg(call, Some(p), kw).ok().flatten())
        };
        let kind = op.kind;
        match kind {
            OpKind::CreateIndex => {
                self.named(op, call);
                op.table = table_at(1, "table_name");
                op.unique = op.kwarg_value("unique").and_then(Value::as_bool) == Some(true);
                let mut columns = Vec::new();
                if let Some(Value::List(cols)) = arg(call, pos(2), "columns").map(python::eval) {
                    op.column = cols.first().and_then(|c| c.as_str().map(str::to_string));
                    columns = strings(&Value::List(cols));
                }
                let sql = |e: &Expr| self.sql_value(e);
                let elements = match arg(call, pos(2), "columns") {
                    Some(Expr::List(l)) => index_elements(&l.elts, &sql),
                    _ => None,
                };
                let where_ = where_clauses(call, &sql);
                // An expression element hangs the index on the columns it names.
                for (_, text) in elements
                    .iter()
                    .flatten()
                    .filter(|(expression, _)| *expression)
                {
                    for c in super::sql::condition_columns(text) {
                        if !columns.iter().any(|x| x.eq_ignore_ascii_case(&c)) {
                            columns.push(c);
                        }
                    }
                }
                op.constraints.push(ConstraintSpec {
                    kind: ConstraintKind::Index,
                    name: op.name.clone(),
                    columns,
                    ref_table: None,
                    detail: KeyDetail {
                        unique: op.unique,
                        whole: only_keywords(
                            call,
                            &["index_name", "table_name", "columns", "unique", "postgresql_where", "sqlite_where"],
                        )
                            // `unique=flag`: whether it is unique is not known.
                            && op.kwarg_value("unique").is_none_or(|v| v.as_bool().is_some())
                            && elements.is_some()
                            && where_.is_some(),
                        elements: elements.unwrap_or_default(),
                        where_: where_.unwrap_or_default(),
                        ..KeyDetail::default()
                    },
                });
            }
            OpKind::DropIndex => {
                self.named(op, call);
                op.table = batch
                    .cloned()
                    .or_else(|| self.name_arg(call, Some(1), "table_name").ok().flatten());
            }
            OpKind::CreateUniqueConstraint
            | OpKind::CreateCheckConstraint
            | OpKind::CreatePrimaryKey
            | OpKind::DropConstraint => {
                self.named(op, call);
                op.table = table_at(1, "table_name");
                // `type_=` or the third argument (`drop_constraint("fk", "t", "foreignkey")`),
                // kept as `type_=` either way.
                if kind == OpKind::DropConstraint
                    && let Some(t) = arg(call, pos(2), "type_")
                {
                    if let Expr::StringLiteral(s) = t {
                        op.new_name = Some(s.value.to_str().to_string());
                    }
                    if op.kwarg_value("type_").is_none() {
                        op.kwargs.push(super::model::Kwarg {
                            name: "type_".to_string(),
                            text: self.module.source[t.range()].to_string(),
                            value: python::eval(t),
                        });
                    }
                }
                let constraint = match kind {
                    OpKind::CreateUniqueConstraint => Some(ConstraintKind::Unique),
                    OpKind::CreatePrimaryKey => Some(ConstraintKind::PrimaryKey),
                    OpKind::CreateCheckConstraint => Some(ConstraintKind::Check),
                    _ => None,
                };
                if let Some(ckind) = constraint {
                    // `create_check_constraint("ck", "t", "x > 0")`: the condition, read once.
                    // Python values in it leave holes: its column names stay, but it is only
                    // the literal condition when there are none.
                    let mut holes = Vec::new();
                    let text = (ckind == ConstraintKind::Check)
                        .then(|| {
                            arg(call, pos(2), "condition")
                                .and_then(|e| self.resolve_sql(e, &mut holes))
                        })
                        .flatten();
                    let condition = text.clone().filter(|_| holes.is_empty());
                    let columns = if let Some(text) = &text {
                        super::sql::condition_columns(text)
                    } else if ckind == ConstraintKind::Check {
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
                        detail: KeyDetail {
                            whole: condition.is_some()
                                && only_keywords(
                                    call,
                                    &["constraint_name", "table_name", "condition"],
                                ),
                            condition,
                            ..KeyDetail::default()
                        },
                    });
                }
            }
            OpKind::CreateForeignKey => {
                self.named(op, call);
                op.table = table_at(1, "source_table");
                if let Some(ondelete) = op.kwarg_value("ondelete").and_then(Value::as_str) {
                    op.columns.push(python_fk(ondelete, op.range));
                }
                op.constraints.push(ConstraintSpec {
                    kind: ConstraintKind::ForeignKey,
                    name: op.name.clone(),
                    columns: arg(call, pos(3), "local_cols")
                        .map(|c| strings(&python::eval(c)))
                        .unwrap_or_default(),
                    ref_table: str_arg(call, pos(2), "referent_table").ok().flatten(),
                    detail: foreign_key_detail(call, pos(3), pos(4)),
                });
            }
            _ => {}
        }
    }

    /// The first argument as the operation's name; `None` literal is remembered.
    fn named(&self, op: &mut Operation, call: &ExprCall) {
        let kw = match op.kind {
            OpKind::CreateIndex | OpKind::DropIndex => "index_name",
            _ => "constraint_name",
        };
        match self.name_arg(call, Some(0), kw) {
            Ok(name) => op.name = name,
            Err(()) => op.name_is_none = true,
        }
    }
}

// ORM code: rows read with `session.query(Model)`, their attributes set in a loop, new rows
// built from them and `session.add`ed. Read as the same data flow as raw SQL (superset
// af30ca79208f moves each alert's observer into `alerts` and its downgrade re-creates the
// observers from them), for the models declared in the migration file.
impl Walker<'_, '_> {
    /// The rows an expression stands for: `session.query(Model)...`, or a name bound to
    /// such rows (`alerts = session.query(Alert).all()`, then `for a in alerts:`).
    fn rows_of(&self, expr: &Expr) -> Option<(String, bool)> {
        if let Expr::Name(n) = expr
            && let Some(Local::Rows { table, filtered }) = self.locals.get(n.id.as_str())
        {
            return Some((table.clone(), *filtered));
        }
        if let Expr::Call(c) = expr
            && let Expr::Name(f) = c.func.as_ref()
            && !self.locals.contains_key(f.id.as_str())
        {
            // `list(Model.select()...)`: the same rows, read at once.
            if f.id.as_str() == "list"
                && let [inner] = c.arguments.args.as_ref()
                && c.arguments.keywords.is_empty()
            {
                return self.rows_of(inner);
            }
            // `_iterate(Model, clause)`: a generator of this file that yields the rows of
            // `model_class.select()...` for the model it is given (quay's batched loops).
            if let Some(def) = self.module.helpers.get(f.id.as_str())
                && let Some((index, name)) = yielded_rows_of_parameter(def)
                && let Some(Expr::Name(model)) = arg(c, Some(index), &name)
                && !self.locals.contains_key(model.id.as_str())
                && let Some(table) = self.module.classes.get(model.id.as_str())
            {
                return Some((table.clone(), true));
            }
        }
        // `connection.execute(t.select())`: the rows of the one table a Core SELECT reads.
        if let Expr::Call(c) = expr
            && let Expr::Attribute(a) = c.func.as_ref()
            && a.attr.as_str() == "execute"
            && let Some(first) = c.arguments.args.first()
            && let Some(read) = self.core_select(first, first.range())
            && let Some((table, _)) = read.reads.first()
            && read.reads.iter().all(|(t, _)| t == table)
        {
            return Some((table.clone(), read.has_where));
        }
        self.orm_query(expr)
    }

    /// `session.query(Model).all()` (rows) or `Model(col=value, ...)` for a model class of
    /// this file (a new row).
    fn orm_rows_or_new(&self, value: &Expr) -> Option<Local> {
        if let Some((table, filtered)) = self.orm_query(value) {
            return Some(Local::Rows { table, filtered });
        }
        let Expr::Call(call) = value else {
            return None;
        };
        let Expr::Name(class) = call.func.as_ref() else {
            return None;
        };
        let table = self.module.classes.get(class.id.as_str())?.clone();
        let mut writes = Vec::new();
        let mut reads = Vec::new();
        for k in &call.arguments.keywords {
            let Some(name) = &k.arg else {
                return None;
            };
            writes.push(name.to_string());
            self.orm_reads(&k.value, &mut reads);
        }
        Some(Local::NewRow {
            table,
            writes,
            reads,
        })
    }

    /// A value read from an ORM row: `row.col` is (the row's table, `col`); `row.rel[0].col`
    /// and `row.rel.col` read `col` of the related table.
    fn orm_value(&self, expr: &Expr) -> Option<(String, String)> {
        // `row[1]` of a query over a table object: its second declared column.
        if let Expr::Subscript(s) = expr
            && let Expr::Name(n) = s.value.as_ref()
            && let Some(Local::Rows { table, .. }) = self.locals.get(n.id.as_str())
            && let Expr::NumberLiteral(i) = s.slice.as_ref()
            && let Some(i) = i.value.as_int().and_then(ruff_python_ast::Int::as_usize)
        {
            let column = self
                .module
                .declared
                .get(&table.to_ascii_lowercase())?
                .get(i)?;
            return Some((table.clone(), column.clone()));
        }
        let Expr::Attribute(a) = expr else {
            return None;
        };
        let rows = |e: &Expr| match e {
            Expr::Name(n) => match self.locals.get(n.id.as_str()) {
                Some(Local::Rows { table, .. }) => Some(table.clone()),
                _ => None,
            },
            _ => None,
        };
        let base = match a.value.as_ref() {
            Expr::Subscript(s) => s.value.as_ref(),
            other => other,
        };
        if let Some(table) = rows(base) {
            let key = (table, a.attr.to_string());
            // A relationship is not a column of the row.
            return (!self.module.relations.contains_key(&key)).then_some(key);
        }
        let Expr::Attribute(rel) = base else {
            return None;
        };
        let table = rows(&rel.value)?;
        let related = self.module.relations.get(&(table, rel.attr.to_string()))?;
        Some((related.clone(), a.attr.to_string()))
    }

    /// Every ORM row value inside an expression.
    fn orm_reads(&self, expr: &Expr, out: &mut Vec<(String, String)>) {
        use ruff_python_ast::visitor::{Visitor, walk_expr};
        struct Values<'w, 'm, 'a> {
            walker: &'w Walker<'m, 'a>,
            out: &'w mut Vec<(String, String)>,
        }
        impl<'x> Visitor<'x> for Values<'_, '_, '_> {
            fn visit_expr(&mut self, expr: &'x Expr) {
                if let Some(read) = self.walker.orm_value(expr) {
                    self.out.push(read);
                    return;
                }
                if let Expr::Name(n) = expr
                    && let Some(Local::RowValues(reads)) = self.walker.locals.get(n.id.as_str())
                {
                    self.out.extend(reads.iter().cloned());
                    return;
                }
                walk_expr(self, expr);
            }
        }
        Values { walker: self, out }.visit_expr(expr);
    }

    /// The ORM row values an expression reads, if any.
    fn orm_values(&self, expr: &Expr) -> Option<Vec<(String, String)>> {
        let mut out = Vec::new();
        self.orm_reads(expr, &mut out);
        (!out.is_empty()).then_some(out)
    }

    /// `row.col = value` for a row of an ORM query: an UPDATE of that row (a WHERE on its
    /// key), writing `col` from what `value` reads.
    fn orm_set(&mut self, target: &ruff_python_ast::ExprAttribute, value: &Expr, range: TextRange) {
        let Expr::Name(row) = target.value.as_ref() else {
            return;
        };
        let Some(Local::Rows { table, .. }) = self.locals.get(row.id.as_str()) else {
            return;
        };
        if self
            .module
            .relations
            .contains_key(&(table.clone(), target.attr.to_string()))
        {
            return;
        }
        let mut op = Operation::new(OpKind::Update, Origin::Op, range);
        op.table = Some(table.clone());
        op.writes = vec![target.attr.to_string()];
        op.sql = Some(self.module.source[range].to_string());
        self.orm_reads(value, &mut op.reads);
        // `row.new = row.old`: a verbatim copy within the row.
        if let Expr::Attribute(source) = value
            && matches!(source.value.as_ref(), Expr::Name(n) if n.id == row.id)
            && let Some(read) = self.orm_value(value)
        {
            op.copies.push((target.attr.to_string(), read));
        }
        self.ops.push(op);
    }

    /// `session.add(row)` / `session.merge(row)` / `session.add_all([...])` of new rows built
    /// from a model of this file: an INSERT of the columns they set.
    fn orm_add(&mut self, call: &ExprCall, range: TextRange) -> bool {
        let Some(first) = call.arguments.args.first() else {
            return false;
        };
        let items: Vec<&Expr> = match first {
            Expr::List(l) => l.elts.iter().collect(),
            Expr::Tuple(t) => t.elts.iter().collect(),
            other => vec![other],
        };
        let mut ops = Vec::new();
        for item in items {
            let row = match item {
                Expr::Name(n) => match self.locals.get(n.id.as_str()) {
                    Some(Local::NewRow { .. }) => self.locals.get(n.id.as_str()).cloned(),
                    _ => None,
                },
                other => self.orm_rows_or_new(other),
            };
            let Some(Local::NewRow {
                table,
                writes,
                reads,
            }) = row
            else {
                return false;
            };
            let mut op = Operation::new(OpKind::Insert, Origin::Op, range);
            op.table = Some(table);
            op.writes = writes;
            op.reads = reads;
            op.sql = Some(self.module.source[call.range()].to_string());
            ops.push(op);
        }
        self.ops.extend(ops);
        true
    }
}

/// A literal the statement sets as it is: a string, number, boolean or `None`.
fn is_constant(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::StringLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
    )
}

/// The rows of a `bulk_insert` written as dicts of literals (`[{"id": 1, "name": "tag"}]`), in
/// order, each row's entries sorted by key: `id=1,name='tag'`, rows joined by `;`. `None` when
/// any key or value is not a literal.
fn literal_row_values(rows: &Expr) -> Option<String> {
    let items = match rows {
        Expr::List(l) => &l.elts,
        Expr::Tuple(t) => &t.elts,
        _ => return None,
    };
    let value = |e: &Expr| -> Option<String> {
        match python::eval(e) {
            Value::Str(s) => Some(format!("{s:?}")),
            Value::Int(i) => Some(i.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::None => Some("None".to_string()),
            _ => None,
        }
    };
    let mut out = Vec::new();
    for item in items {
        let Expr::Dict(d) = item else { return None };
        let mut entries = Vec::new();
        for entry in &d.items {
            let key = entry.key.as_ref().and_then(literal_str)?;
            entries.push(format!("{key}={}", value(&entry.value)?));
        }
        entries.sort();
        out.push(entries.join(","));
    }
    (!out.is_empty()).then(|| out.join(";"))
}

/// A generator function that yields the rows of a model it is given: `for row in
/// [list(]model_class.select()...[)]: yield row` somewhere in its body, `model_class` one of
/// its parameters. The parameter's position and name.
fn yielded_rows_of_parameter(def: &StmtFunctionDef) -> Option<(usize, String)> {
    fn root_select(expr: &Expr) -> Option<&str> {
        let mut cur = expr;
        if let Expr::Call(c) = cur
            && matches!(c.func.as_ref(), Expr::Name(n) if n.id.as_str() == "list")
            && let [inner] = c.arguments.args.as_ref()
        {
            cur = inner;
        }
        while let Expr::Call(c) = cur {
            let Expr::Attribute(a) = c.func.as_ref() else {
                return None;
            };
            if a.attr.as_str() == "select"
                && let Expr::Name(n) = a.value.as_ref()
            {
                return Some(n.id.as_str());
            }
            cur = &a.value;
        }
        None
    }
    fn yields(body: &[Stmt], row: &str) -> bool {
        body.iter().any(|s| match s {
            Stmt::Expr(e) => matches!(e.value.as_ref(), Expr::Yield(y)
                if matches!(y.value.as_deref(), Some(Expr::Name(n)) if n.id.as_str() == row)),
            Stmt::If(i) => {
                yields(&i.body, row) || i.elif_else_clauses.iter().any(|c| yields(&c.body, row))
            }
            _ => false,
        })
    }
    fn find(body: &[Stmt]) -> Option<&str> {
        body.iter().find_map(|s| match s {
            Stmt::For(f) => match (f.target.as_ref(), root_select(&f.iter)) {
                (Expr::Name(row), Some(model)) if yields(&f.body, row.id.as_str()) => Some(model),
                _ => find(&f.body),
            },
            Stmt::While(w) => find(&w.body),
            Stmt::If(i) => find(&i.body),
            Stmt::With(w) => find(&w.body),
            _ => None,
        })
    }
    let model = find(&def.body)?;
    def.parameters
        .iter_non_variadic_params()
        .position(|p| p.parameter.name.as_str() == model)
        .map(|i| (i, model.to_string()))
}

/// `sa.ForeignKeyConstraint([...], ["t.id"])`, `sa.PrimaryKeyConstraint(...)`,
/// `sa.UniqueConstraint(...)`, `sa.CheckConstraint(...)`, `sa.Index(...)` inside `create_table`.
/// `sql` reads SQL given as a Python expression (a check's condition, an index's `sa.text`).
fn table_constraint(
    call: &ExprCall,
    sql: &dyn Fn(&Expr) -> Option<String>,
) -> Option<ConstraintSpec> {
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
        detail: KeyDetail::default(),
    };
    match kind {
        ConstraintKind::ForeignKey => {
            spec.columns = args
                .first()
                .map(|a| strings(&python::eval(a)))
                .unwrap_or_default();
            // `["t.id", "t.kind"]`: one table, its columns in order.
            let targets: Vec<(String, String)> = args
                .get(1)
                .map(|a| strings(&python::eval(a)))
                .unwrap_or_default()
                .iter()
                .filter_map(|t| t.rsplit_once('.'))
                .map(|(t, c)| (t.to_string(), c.to_string()))
                .collect();
            spec.ref_table = targets.first().map(|(t, _)| t.clone());
            if targets
                .iter()
                .all(|(t, _)| Some(t) == spec.ref_table.as_ref())
            {
                spec.detail.ref_columns = targets.into_iter().map(|(_, c)| c).collect();
                let ondelete = arg(call, None, "ondelete").map(literal_str);
                spec.detail.ondelete = ondelete.clone().flatten().map(|d| d.to_ascii_uppercase());
                let options = key_options(call, &mut spec.detail);
                spec.detail.whole = only_keywords(
                    call,
                    &["name", "ondelete", "onupdate", "deferrable", "initially"],
                ) && options
                    && !matches!(ondelete, Some(None))
                    && !spec.columns.is_empty()
                    && spec.columns.len() == spec.detail.ref_columns.len();
            }
        }
        ConstraintKind::Index => {
            spec.name = args.first().and_then(literal_str);
            spec.columns = args.iter().skip(1).filter_map(literal_str).collect();
            spec.detail.unique =
                arg(call, None, "unique").is_some_and(|v| python::eval(v) == Value::Bool(true));
            let elements = args.get(1..).and_then(|e| index_elements(e, sql));
            let where_ = where_clauses(call, sql);
            spec.detail.whole =
                only_keywords(call, &["unique", "postgresql_where", "sqlite_where"])
                    && arg(call, None, "unique")
                        .is_none_or(|v| python::eval(v).as_bool().is_some())
                    && elements.is_some()
                    && where_.is_some();
            spec.detail.elements = elements.unwrap_or_default();
            spec.detail.where_ = where_.unwrap_or_default();
        }
        ConstraintKind::Check => {
            spec.detail.condition = args.first().and_then(sql);
            let condition = spec.detail.condition.as_deref().unwrap_or_default();
            spec.columns = super::sql::condition_columns(condition);
            spec.detail.whole = spec.detail.condition.is_some()
                && args.len() == 1
                && only_keywords(call, &["name"]);
        }
        _ => spec.columns = args.iter().filter_map(literal_str).collect(),
    }
    Some(spec)
}

/// The operation an `op.<method>(...)` call is (`execute` is read apart).
fn op_kind(method: &str) -> OpKind {
    match method {
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
        "get_bind" | "get_context" | "f" | "inline_literal" | "invoke" | "implementation_for" => {
            OpKind::Read
        }
        _ => OpKind::Other,
    }
}

/// Does the call pass no keyword outside `allowed` (options the state does not keep)?
fn only_keywords(call: &ExprCall, allowed: &[&str]) -> bool {
    call.arguments.keywords.iter().all(|k| {
        k.arg
            .as_ref()
            .is_some_and(|a| allowed.contains(&a.as_str()))
    })
}

/// `op.create_foreign_key(name, source, referent, local_cols, remote_cols)`: the referenced
/// columns, whole when nothing else (`ondelete=`, ...) is passed.
fn foreign_key_detail(call: &ExprCall, local: Option<usize>, remote: Option<usize>) -> KeyDetail {
    let list = |at: Option<usize>, kw: &str| -> Option<Vec<String>> {
        match arg(call, at, kw)? {
            Expr::List(l) => l.elts.iter().map(literal_str).collect(),
            _ => None,
        }
    };
    let local = list(local, "local_cols");
    let remote = list(remote, "remote_cols");
    // `ondelete="CASCADE"` is kept; a computed action is not.
    let ondelete = arg(call, None, "ondelete").map(literal_str);
    let mut detail = KeyDetail::default();
    let options = key_options(call, &mut detail);
    let whole = only_keywords(
        call,
        &[
            "constraint_name",
            "source_table",
            "referent_table",
            "local_cols",
            "remote_cols",
            "ondelete",
            "onupdate",
            "deferrable",
            "initially",
        ],
    ) && options
        && !matches!(ondelete, Some(None))
        && local.as_ref().is_some_and(|l| !l.is_empty())
        && local.as_ref().map(Vec::len) == remote.as_ref().map(Vec::len);
    KeyDetail {
        ref_columns: remote.unwrap_or_default(),
        ondelete: ondelete.flatten().map(|d| d.to_ascii_uppercase()),
        whole,
        ..detail
    }
}

/// A key's `onupdate=`, `deferrable=` and `initially=` into `detail`; false when one is
/// given but not as a literal.
fn key_options(call: &ExprCall, detail: &mut KeyDetail) -> bool {
    let mut ok = true;
    if let Some(v) = arg(call, None, "onupdate") {
        detail.onupdate = literal_str(v).map(|a| a.to_ascii_uppercase());
        ok &= detail.onupdate.is_some();
    }
    if let Some(v) = arg(call, None, "deferrable") {
        detail.deferrable = python::eval(v).as_bool();
        ok &= detail.deferrable.is_some();
    }
    if let Some(v) = arg(call, None, "initially") {
        detail.initially = literal_str(v).map(|a| a.to_ascii_uppercase());
        ok &= detail.initially.is_some();
    }
    ok
}

/// An index's elements: plain column names, and `sa.text("lower(name)")` expressions read
/// by `sql`. Every element in order when one is an expression, none when all are columns;
/// `None` when one cannot be read.
fn index_elements(
    items: &[Expr],
    sql: &dyn Fn(&Expr) -> Option<String>,
) -> Option<Vec<(bool, String)>> {
    let mut out = Vec::with_capacity(items.len());
    for e in items {
        match (literal_str(e), e) {
            (Some(column), _) => out.push((false, column)),
            (None, Expr::Call(c)) if last_name(&c.func) == Some("text") => {
                out.push((true, sql(e)?));
            }
            _ => return None,
        }
    }
    if out.is_empty() {
        return None;
    }
    if out.iter().all(|(expression, _)| !expression) {
        out.clear();
    }
    Some(out)
}

/// A partial index's `postgresql_where=` / `sqlite_where=` conditions as SQL; `None` when one
/// cannot be read.
fn where_clauses(
    call: &ExprCall,
    sql: &dyn Fn(&Expr) -> Option<String>,
) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for kw in ["postgresql_where", "sqlite_where"] {
        if let Some(v) = arg(call, None, kw) {
            out.push((kw.to_string(), sql(v)?));
        }
    }
    Some(out)
}

fn python_fk(ondelete: &str, range: TextRange) -> super::model::ColumnSpec {
    super::model::ColumnSpec {
        fk_ondelete: Some(ondelete.to_ascii_uppercase()),
        range,
        ..Default::default()
    }
}

/// `sa` / `sqlalchemy` / `expression`: `sa.update(t)` takes the table as its argument.
fn is_module_name(expr: &Expr) -> bool {
    match expr {
        Expr::Name(n) => matches!(
            n.id.as_str(),
            "sa" | "sqlalchemy" | "expression" | "sql" | "db"
        ),
        Expr::Attribute(a) => matches!(a.attr.as_str(), "sql" | "expression"),
        _ => false,
    }
}

/// Every plain name a `for` target binds.
fn names_in(target: &Expr) -> Vec<String> {
    match target {
        Expr::Name(n) => vec![n.id.as_str().to_string()],
        Expr::Tuple(t) => t.elts.iter().flat_map(names_in).collect(),
        Expr::List(l) => l.elts.iter().flat_map(names_in).collect(),
        Expr::Starred(s) => names_in(&s.value),
        _ => Vec::new(),
    }
}

/// Functions defined inside module-level functions (fides 14acee6f5459 defines
/// `create_experience_translations` inside `migrate_experiences` and calls it there), by name:
/// read as helpers of the file. Two of them under one name with different code are left out.
pub(crate) fn nested_functions<'a>(
    body: &'a [Stmt],
    source: &str,
) -> HashMap<String, &'a StmtFunctionDef> {
    let mut nested: HashMap<String, Option<&'a StmtFunctionDef>> = HashMap::new();
    let outer = body.iter().filter_map(Stmt::as_function_def_stmt);
    for inner in outer.flat_map(|f| f.body.iter().filter_map(Stmt::as_function_def_stmt)) {
        nested
            .entry(inner.name.to_string())
            .and_modify(|known| {
                if known.is_some_and(|k| source[k.range()] != source[inner.range()]) {
                    *known = None;
                }
            })
            .or_insert(Some(inner));
    }
    nested
        .into_iter()
        .filter_map(|(name, def)| Some((name, def?)))
        .collect()
}

/// The columns `sa.Table(name, metadata, sa.Column("a", ...), ...)` declares, in order
/// (empty when one of them is not named by a literal: positions would not match).
fn declared_columns(call: &ExprCall) -> Vec<String> {
    let mut out = Vec::new();
    for arg in &call.arguments.args {
        let Expr::Call(c) = arg else { continue };
        if !matches!(last_name(&c.func), Some("Column" | "column")) {
            continue;
        }
        match c
            .arguments
            .args
            .first()
            .and_then(|a| a.as_string_literal_expr())
        {
            Some(name) => out.push(name.value.to_str().to_string()),
            None => return Vec::new(),
        }
    }
    out
}

/// `sa.table("users", ...)` / `Table("users", metadata, ...)` → `users`; the name may be a
/// module constant.
fn table_object_name(expr: &Expr, constants: &Constants) -> Option<String> {
    let Expr::Call(call) = expr else { return None };
    if !matches!(last_name(&call.func), Some("table" | "Table")) {
        return None;
    }
    // `sa.Table(TABLE, ...)` with `TABLE = "address_groups"` above it (neutron).
    match call.arguments.args.first()? {
        Expr::Name(n) => constants.get(n.id.as_str()).cloned(),
        first => first
            .as_string_literal_expr()
            .map(|s| s.value.to_str().to_string()),
    }
}

/// `Some(true)` when an `if` test is `context.is_offline_mode()` (any receiver), `Some(false)`
/// when it is `not ...is_offline_mode()`: the branch taken only in offline mode.
pub(crate) fn offline_test(test: &Expr, source: &str) -> Option<bool> {
    match test {
        Expr::UnaryOp(u) if u.op == ruff_python_ast::UnaryOp::Not => {
            offline_test(&u.operand, source).map(|b| !b)
        }
        Expr::Call(c) if c.arguments.is_empty() => {
            let callee = &source[c.func.range()];
            callee.ends_with("is_offline_mode").then_some(true)
        }
        _ => None,
    }
}

/// Does a call of this name ask whether something exists (`has_table`, `index_exists`)?
fn asks_existence(callee: &str) -> bool {
    callee.starts_with("has_") || callee.ends_with("_exists")
}

/// Does the block end with a `return` or `raise`, leaving whatever encloses it?
fn ends_by_leaving(body: &[Stmt]) -> bool {
    matches!(body.last(), Some(Stmt::Return(_) | Stmt::Raise(_)))
}

/// Does the module drop types in a way the scanner does not read as an operation: a
/// `.drop(...)` call (`sa.Enum(name="kind").drop(bind)`) or `DROP TYPE` in any casing.
fn mentions_type_drop(source: &str) -> bool {
    let has = |needle: &[u8]| {
        source
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    has(b".drop(") || has(b"drop type")
}

/// The name an `if` test finds missing, when the test says that object does not exist yet:
/// `"status" not in columns` (a list the migration reflected), `not inspector.has_table("t")`,
/// `not column_exists("t", "c")` (the last string argument of a `has_*` / `*_exists` call).
/// A statement under it that creates the object so named runs only if the object is missing,
/// as `IF NOT EXISTS` would.
pub(crate) fn missing_test(test: &Expr) -> Option<String> {
    use ruff_python_ast::{CmpOp, UnaryOp};
    match test {
        Expr::Compare(c) if c.ops.as_ref() == [CmpOp::NotIn] => literal_str(&c.left),
        Expr::UnaryOp(u) if u.op == UnaryOp::Not => {
            let Expr::Call(call) = u.operand.as_ref() else {
                return None;
            };
            if !asks_existence(last_name(&call.func)?) {
                return None;
            }
            call.arguments.args.iter().rev().find_map(literal_str)
        }
        _ => None,
    }
}

/// The dialects for which an `if` test holds, when it is a test of the dialect:
/// `dialect == "sqlite"`, `conn.dialect.name != "mysql"`, `dialect in ("mysql", "mssql")`,
/// `"sqlite" in inspector.dialect.dialect_description`, `isinstance(bind.dialect, SQLiteDialect)`,
/// `not ...`, `and`/`or` of those. `None` for any other test.
pub(crate) fn dialect_test(test: &Expr, source: &str) -> Option<Dialects> {
    use ruff_python_ast::{BoolOp, CmpOp, UnaryOp};
    let names = |e: &Expr| -> Option<Dialects> {
        match e {
            Expr::StringLiteral(s) => Dialects::named(s.value.to_str()),
            Expr::Tuple(_) | Expr::List(_) | Expr::Set(_) => {
                let elts: &[Expr] = match e {
                    Expr::Tuple(t) => &t.elts,
                    Expr::List(l) => &l.elts,
                    Expr::Set(s) => &s.elts,
                    _ => &[],
                };
                elts.iter().try_fold(Dialects(0), |acc, x| match x {
                    Expr::StringLiteral(s) => Dialects::named(s.value.to_str()).map(|d| acc.or(d)),
                    _ => None,
                })
            }
            _ => None,
        }
    };
    let about_dialect = |e: &Expr| {
        let text = source[e.range()].to_ascii_lowercase();
        text.contains("dialect") || text.contains("engine.name") || text.contains("db_type")
    };
    match test {
        Expr::Compare(c) if c.ops.len() == 1 && c.comparators.len() == 1 => {
            let right = &c.comparators[0];
            let (subject, value) = match c.ops[0] {
                // `"sqlite" in inspector.dialect.dialect_description`
                CmpOp::In | CmpOp::NotIn if matches!(c.left.as_ref(), Expr::StringLiteral(_)) => {
                    (right, c.left.as_ref())
                }
                _ => (&c.left as &Expr, right),
            };
            let subject: &Expr = subject;
            if !about_dialect(subject) {
                return None;
            }
            let d = names(value)?;
            match c.ops[0] {
                CmpOp::Eq | CmpOp::Is | CmpOp::In => Some(d),
                CmpOp::NotEq | CmpOp::IsNot | CmpOp::NotIn => Some(d.complement()),
                _ => None,
            }
        }
        Expr::Call(call) if last_name(&call.func) == Some("isinstance") => {
            let [subject, class] = call.arguments.args.as_ref() else {
                return None;
            };
            if !about_dialect(subject) {
                return None;
            }
            let classes: Vec<&Expr> = match class {
                Expr::Tuple(t) => t.elts.iter().collect(),
                other => vec![other],
            };
            classes.iter().try_fold(Dialects(0), |acc, c| {
                Dialects::named(&source[c.range()]).map(|d| acc.or(d))
            })
        }
        Expr::UnaryOp(u) if u.op == UnaryOp::Not => {
            dialect_test(&u.operand, source).map(Dialects::complement)
        }
        Expr::BoolOp(b) => {
            let parts: Vec<Option<Dialects>> =
                b.values.iter().map(|v| dialect_test(v, source)).collect();
            match b.op {
                // `dialect == "postgresql" and not offline`: at most the dialect's branch.
                BoolOp::And => parts.into_iter().flatten().reduce(Dialects::and),
                BoolOp::Or => parts
                    .into_iter()
                    .try_fold(Dialects(0), |acc, p| p.map(|d| acc.or(d))),
            }
        }
        _ => None,
    }
}

/// `print(...)`, or a logging call on a logger (`logger.info(...)`, `logging.warning(...)`,
/// `log.debug(...)`): it says something and changes nothing.
fn logs_only(expr: &Expr) -> bool {
    let Expr::Call(c) = expr else { return false };
    match c.func.as_ref() {
        Expr::Name(n) => n.id.as_str() == "print",
        Expr::Attribute(a) => {
            matches!(
                a.attr.as_str(),
                "info" | "debug" | "warning" | "warn" | "error" | "exception" | "critical" | "log"
            ) && last_name(&a.value).is_some_and(|r| r.to_ascii_lowercase().contains("log"))
        }
        _ => false,
    }
}

/// A tuple or list of string literals only (`("volume", "")`).
fn string_tuple(expr: &Expr) -> Option<Vec<Value>> {
    if !matches!(expr, Expr::Tuple(_) | Expr::List(_)) {
        return None;
    }
    match python::eval(expr) {
        Value::List(items) if !items.is_empty() && items.iter().all(|v| v.as_str().is_some()) => {
            Some(items)
        }
        _ => None,
    }
}

/// A `lambda` as a local: `lambda current, total: logger.info(...)` only logs; any other is
/// kept to be read where it is called.
fn lambda(l: &ruff_python_ast::ExprLambda) -> Local {
    let only_logs = match l.body.as_ref() {
        Expr::Call(c) => matches!(
            last_name(&c.func),
            Some("print" | "info" | "debug" | "warning" | "warn" | "error" | "exception" | "log")
        ),
        _ => false,
    };
    Local::Lambda {
        only_logs,
        def: (!only_logs).then(|| Box::new(l.clone())),
    }
}

/// The table a read counts the rows of, when it is `SELECT COUNT(*) FROM t` with no WHERE or
/// join (`COUNT(1)` and `COUNT(id)` too).
fn counted_table(read: &Operation) -> Option<String> {
    if read.kind != OpKind::Read || read.has_where {
        return None;
    }
    let words: Vec<&str> = read.sql.as_deref()?.split_whitespace().collect();
    // `SELECT COUNT(*) FROM t`, nothing after the table but a `;`.
    let [select, count, from, table] = words.as_slice() else {
        return None;
    };
    let counts = select.eq_ignore_ascii_case("SELECT")
        && count.to_ascii_uppercase().starts_with("COUNT(")
        && from.eq_ignore_ascii_case("FROM");
    let name = table.trim_end_matches(';').trim_matches('"');
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    (counts && plain).then(|| name.to_string())
}

/// The variable an `if` test checks for rows: `n[0] > 0`, `n > 0`, `n != 0`, `n >= 1`, or `n`
/// (or `n[0]`) alone.
fn tests_for_rows(test: &Expr) -> Option<&str> {
    use ruff_python_ast::CmpOp;
    fn subject(e: &Expr) -> Option<&str> {
        match e {
            Expr::Name(n) => Some(n.id.as_str()),
            Expr::Subscript(s) if matches!(s.slice.as_ref(), Expr::NumberLiteral(i) if i.value.as_int().and_then(ruff_python_ast::Int::as_u8) == Some(0)) => {
                match s.value.as_ref() {
                    Expr::Name(n) => Some(n.id.as_str()),
                    _ => None,
                }
            }
            _ => None,
        }
    }
    let number = |e: &Expr| match e {
        Expr::NumberLiteral(i) => i.value.as_int().and_then(ruff_python_ast::Int::as_u8),
        _ => None,
    };
    match test {
        Expr::Compare(c) if c.ops.len() == 1 && c.comparators.len() == 1 => {
            let n = number(&c.comparators[0])?;
            let holds = matches!(
                (c.ops[0], n),
                (CmpOp::Gt | CmpOp::NotEq, 0) | (CmpOp::GtE, 1)
            );
            if holds { subject(&c.left) } else { None }
        }
        other => subject(other),
    }
}

/// May a statement end the function before the statements after it run: a `return` or
/// `raise` under a condition, a loop or a `try`? Not one under an `if` on the dialect: that
/// is a database the migration does not support, or a branch the replay reads per dialect.
fn may_leave(stmt: &Stmt, source: &str) -> bool {
    use ruff_python_ast::statement_visitor::{StatementVisitor, walk_stmt};
    /// A `return` or `raise` anywhere in the statement, not in a nested function or class.
    #[derive(Default)]
    struct Leaves(bool);
    impl StatementVisitor<'_> for Leaves {
        fn visit_stmt(&mut self, stmt: &Stmt) {
            match stmt {
                Stmt::Return(_) | Stmt::Raise(_) => self.0 = true,
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                other => walk_stmt(self, other),
            }
        }
    }
    if !matches!(
        stmt,
        Stmt::If(_) | Stmt::For(_) | Stmt::While(_) | Stmt::Try(_) | Stmt::With(_) | Stmt::Match(_)
    ) {
        return false;
    }
    if let Stmt::If(i) = stmt
        && dialect_test(&i.test, source).is_some()
    {
        return false;
    }
    let mut leaves = Leaves::default();
    walk_stmt(&mut leaves, stmt);
    leaves.0
}

/// An `except` body that carries on as if nothing happened: `pass`, `continue`, `...`, a log or
/// print call; nothing re-raised.
fn swallows(body: &[Stmt]) -> bool {
    body.iter().all(|stmt| match stmt {
        Stmt::Pass(_) | Stmt::Continue(_) => true,
        Stmt::Expr(e) => match e.value.as_ref() {
            Expr::StringLiteral(_) | Expr::EllipsisLiteral(_) => true,
            Expr::Call(c) => matches!(
                last_name(&c.func),
                Some("print" | "debug" | "info" | "warning" | "warn" | "error" | "exception")
            ),
            _ => false,
        },
        _ => false,
    })
}

/// Does a Core statement chain restrict its rows to `... IS NULL` only?
fn where_is_null(expr: &Expr, source: &str) -> bool {
    let mut cur = expr;
    while let Expr::Call(c) = cur {
        let Expr::Attribute(a) = c.func.as_ref() else {
            return false;
        };
        if a.attr.as_str() == "where"
            && let [cond] = c.arguments.args.as_ref()
        {
            let text: String = source[cond.range()].split_whitespace().collect();
            return text.ends_with(".is_(None)")
                || text.ends_with("==None")
                || text.ends_with(".is_(sa.null())");
        }
        cur = &a.value;
    }
    false
}

/// The column names a dict literal's keys give (`{"old_schedule": ...}`, `{t.c.old: ...}`), or
/// `None` when one key is anything else (`**kwargs`, a variable).
fn dict_keys(expr: &Expr) -> Option<Vec<String>> {
    let Expr::Dict(d) = expr else { return None };
    d.items
        .iter()
        .map(|item| match item.key.as_ref()? {
            Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
            Expr::Attribute(a) => Some(a.attr.to_string()),
            _ => None,
        })
        .collect()
}
