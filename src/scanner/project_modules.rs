//! Python modules of the project a migration imports from, read from disk: the file of
//! `from shop.utils import f` is looked up by searching upward from the migration's folder
//! (as model imports are, [`super::models::module_file`]), and relative imports from the
//! migration's package. Nothing is imported or executed: the file is parsed.
//!
//! Each module file is parsed once and kept in a cache shared by the scan's threads (256 files
//! at most, checked against the file's size and modification time), so that fifty migrations
//! calling one `utils.py` parse it once. Django's imported `RunPython` functions
//! ([`super::django_helpers`]) and Alembic's imported helper functions ([`super::alembic`])
//! both read modules through it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall, ModModule, PySourceType, Stmt, StmtFunctionDef};
use ruff_python_parser::Parsed;

/// `op.*` methods that only read (or name) and change nothing.
const READS: [&str; 4] = ["get_bind", "get_context", "f", "inline_literal"];

/// How deep calls between the module's own functions are followed.
const MAX_DEPTH: usize = 4;

/// How many parsed project modules the cache holds; when full it starts over.
const MAX_CACHED: usize = 256;

/// A file's size and modification time: a cached parse is used only while they match.
type Stamp = (u64, Option<SystemTime>);

/// Parsed modules by file (`None`: not readable as Python).
type Cache = HashMap<PathBuf, (Stamp, Option<Arc<Module>>)>;

static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();

/// The module in `file`, parsed once per scan (per change of the file).
#[must_use]
pub fn cached(file: &Path) -> Option<Arc<Module>> {
    let meta = std::fs::metadata(file).ok()?;
    let stamp = (meta.len(), meta.modified().ok());
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some((s, m)) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(file)
        && *s == stamp
    {
        return m.clone();
    }
    let module = parse(file).map(Arc::new);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() >= MAX_CACHED {
        cache.clear();
    }
    cache.insert(file.to_path_buf(), (stamp, module.clone()));
    module
}

/// A project module read from disk.
pub struct Module {
    pub path: PathBuf,
    pub source: String,
    parsed: Parsed<ModModule>,
    functions: Functions,
}

impl Module {
    #[must_use]
    pub fn body(&self) -> &[Stmt] {
        &self.parsed.syntax().body
    }

    /// The function `name` defined at the top level of the module.
    #[must_use]
    pub fn function(&self, name: &str) -> Option<&StmtFunctionDef> {
        self.body().iter().find_map(|s| match s {
            Stmt::FunctionDef(f) if f.name.as_str() == name => Some(f),
            _ => None,
        })
    }
}

/// The file of a module imported by a migration in `dir`: relative imports from the
/// migration's package (`from ..utils import f`), absolute ones under the nearest ancestor
/// that holds them.
#[must_use]
pub fn module_file(dir: &Path, module: &str, level: u32) -> Option<PathBuf> {
    if level == 0 {
        return super::models::module_file(dir, module);
    }
    let base = dir.ancestors().nth(level as usize - 1)?;
    let rel: PathBuf = module.split('.').filter(|p| !p.is_empty()).collect();
    let file = base.join(&rel).with_extension("py");
    if !module.is_empty() && file.is_file() {
        return Some(file);
    }
    let init = base.join(&rel).join("__init__.py");
    init.is_file().then_some(init)
}

/// Read like a migration: a regular file of sane size, nesting the parser survives.
fn parse(file: &Path) -> Option<Module> {
    let source = String::from_utf8(super::source::read_file(file).ok()?).ok()?;
    if super::source::too_deep(&source).is_some() {
        return None;
    }
    let parsed = ruff_python_parser::parse_unchecked_source(&source, PySourceType::Python);
    if !parsed.errors().is_empty() {
        return None;
    }
    let functions = Functions::new(parsed.syntax().body.as_slice());
    Some(Module {
        path: file.to_path_buf(),
        source,
        parsed,
        functions,
    })
}

/// A module's top-level functions by name (the last definition of a name, as Python binds
/// it; the index into the body) and the name it binds `alembic.op` to, read once per module.
struct Functions {
    defs: HashMap<String, usize>,
    op: String,
}

impl Functions {
    fn new(body: &[Stmt]) -> Self {
        Functions {
            defs: body
                .iter()
                .enumerate()
                .filter_map(|(i, s)| match s {
                    Stmt::FunctionDef(f) => Some((f.name.to_string(), i)),
                    _ => None,
                })
                .collect(),
            op: op_alias(body),
        }
    }
}

impl Module {
    /// The top-level function a call of `name` runs (the last one defined under it).
    #[must_use]
    pub fn def(&self, name: &str) -> Option<&StmtFunctionDef> {
        let at = *self.functions.defs.get(name)?;
        self.body()[at].as_function_def_stmt()
    }

    /// The name the module binds `alembic.op` to (default `op`).
    #[must_use]
    pub fn op(&self) -> &str {
        &self.functions.op
    }

    /// Does a module function change nothing: no `op.*` call but reads, no `execute`, no
    /// call of a function it was handed, and the module's functions it calls change nothing
    /// either? (A logging helper does not; `create_table(name, *columns)` does.)
    #[must_use]
    pub fn changes_nothing(&self, def: &StmtFunctionDef) -> bool {
        self.only_reads(def, 0)
    }

    fn only_reads(&self, def: &StmtFunctionDef, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let calls = Calls::of(&def.body, self.op());
        let is_parameter = |n: &str| def.parameters.iter().any(|p| p.name().as_str() == n);
        calls.writes.is_empty()
            && !calls.other_writes
            && calls.names.iter().all(|n| {
                !is_parameter(n)
                    && self
                        .def(n)
                        .is_none_or(|d| d.name != def.name && self.only_reads(d, depth + 1))
            })
    }
}

/// The name `from alembic import op [as x]` binds (default `op`).
#[must_use]
pub fn op_alias(body: &[Stmt]) -> String {
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

/// The calls of a function body: `op.*` calls that change the schema, the plain names it
/// calls, and whether a call on anything else may write (`conn.execute`, `batch_op.*`).
pub struct Calls<'m> {
    /// The name the module binds `alembic.op` to.
    op: String,
    pub writes: Vec<&'m ExprCall>,
    pub names: Vec<String>,
    pub other_writes: bool,
}

/// A method name that may change the schema or rows, on whatever object.
fn writes_anything(method: &str) -> bool {
    ["create_", "drop_", "add_", "alter_", "rename_", "batch_"]
        .iter()
        .any(|p| method.starts_with(p))
        || [
            "execute",
            "bulk_insert",
            "delete",
            "merge",
            "commit",
            "flush",
            "update",
            "insert",
            "add",
            "exec_driver_sql",
        ]
        .contains(&method)
}

impl<'m> Calls<'m> {
    #[must_use]
    pub fn of(body: &'m [Stmt], op: &str) -> Self {
        let mut calls = Calls {
            op: op.to_string(),
            writes: Vec::new(),
            names: Vec::new(),
            other_writes: false,
        };
        for stmt in body {
            calls.visit_stmt(stmt);
        }
        calls
    }
}

impl<'m> Visitor<'m> for Calls<'m> {
    fn visit_expr(&mut self, expr: &'m Expr) {
        if let Expr::Call(call) = expr {
            match call.func.as_ref() {
                Expr::Attribute(a) => {
                    let method = a.attr.as_str();
                    let on_op =
                        matches!(a.value.as_ref(), Expr::Name(n) if n.id.as_str() == self.op);
                    if on_op && !READS.contains(&method) {
                        self.writes.push(call);
                    } else if !on_op && writes_anything(method) {
                        // `batch_op.add_column`, `conn.execute`, `session.delete`, ...
                        self.other_writes = true;
                    }
                }
                Expr::Name(n) => self.names.push(n.id.to_string()),
                _ => {}
            }
        }
        visitor::walk_expr(self, expr);
    }
}
