//! A function `upgrade()` imports from its own project that makes one `op.*` call with the
//! arguments it was given, as superset's `create_table(name, *columns)` and
//! `create_index(table_name, index_name, columns)` in `migrations/shared/utils.py` do (they
//! only skip the call when the object already exists). Its module is found above the versions
//! folder as the scanner finds models; the call is then undone as that `op.*` call, with the
//! caller's own argument text. Anything else it does (a loop, a second `op.*` call, a call
//! to a module function that changes the schema) leaves it a marked comment.

use std::collections::HashMap;
use std::path::Path;

use ruff_python_ast::{Expr, ExprCall, Stmt, StmtFunctionDef};
use ruff_text_size::Ranged;

use super::undo::Gen;
use crate::scanner::model::Operation;
use crate::scanner::models::module_file;
use crate::scanner::project_modules::{self, Calls};

impl Gen<'_> {
    /// Undo `name(...)`, a function imported from the project, as the one `op.*` call it
    /// forwards its arguments to; false when it is not such a function (or the call has no
    /// automatic inverse).
    pub(super) fn undo_imported(&mut self, op: &Operation) -> bool {
        let Some(name) = op.name.as_deref() else {
            return false;
        };
        let Some((module, original)) = self.imports.get(name) else {
            return false;
        };
        let call = self.index.calls.iter().copied().find(|c| {
            c.start() == op.range.start()
                && matches!(c.func.as_ref(), Expr::Name(n) if n.id.as_str() == name)
        });
        let dir = Path::new(&self.path).parent();
        let (Some(call), Some(dir)) = (call, dir) else {
            return false;
        };
        let Some(file) = module_file(dir, module) else {
            return false;
        };
        // Read and parsed once per process, as the scan that came before already did.
        let Some(helpers) = project_modules::cached(&file) else {
            return false;
        };
        let Some((method, args)) = forwarded(&helpers, original).and_then(|f| f.with(self, call))
        else {
            return false;
        };
        let get = |pos: usize, kw: &str| {
            args.positional
                .get(pos)
                .or_else(|| args.keywords.get(kw))
                .cloned()
        };
        let schema = args
            .keywords
            .get("schema")
            .map(|s| format!(", schema={s}"))
            .unwrap_or_default();
        let o = &self.op_name;
        let stmt = match method.as_str() {
            "create_table" => get(0, "table_name").map(|t| format!("{o}.drop_table({t}{schema})")),
            "create_index" => get(0, "index_name")
                .zip(get(1, "table_name"))
                .map(|(i, t)| format!("{o}.drop_index({i}, table_name={t}{schema})")),
            _ => None,
        };
        let Some(stmt) = stmt else {
            return false;
        };
        if !self.bound.contains(o) {
            // superset's 65a167d4c62e calls only the helpers: `op` is not imported.
            self.comment(vec![
                format!("NOT REVERSED: {name}()"),
                format!(
                    "{name}() of {module} makes one op.{method}() call; this file does not import alembic's op: import it, then:"
                ),
                format!("    {stmt}"),
            ]);
            return true;
        }
        self.reversed += 1;
        self.push(None, stmt);
        true
    }
}

/// The one `op.*` call a module function makes with its parameters.
struct Forward<'m> {
    def: &'m StmtFunctionDef,
    call: &'m ExprCall,
}

/// The arguments of the forwarded call, as the caller's source text.
#[derive(Default)]
struct Args {
    positional: Vec<String>,
    keywords: HashMap<String, String>,
}

impl Forward<'_> {
    /// The forwarded call's method and arguments for one call of the function in the file
    /// being fixed; `None` when an argument is not one of the function's parameters.
    fn with(&self, g: &Gen<'_>, caller: &ExprCall) -> Option<(String, Args)> {
        let Expr::Attribute(a) = self.call.func.as_ref() else {
            return None;
        };
        let params: Vec<&str> = self
            .def
            .parameters
            .iter_non_variadic_params()
            .map(|p| p.parameter.name.as_str())
            .collect();
        let vararg = self.def.parameters.vararg.as_ref().map(|v| v.name.as_str());
        let kwarg = self.def.parameters.kwarg.as_ref().map(|v| v.name.as_str());
        // The caller's arguments bound to the parameters.
        let mut bound: HashMap<&str, String> = HashMap::new();
        let mut extra_positional = Vec::new();
        for (i, arg) in caller.arguments.args.iter().enumerate() {
            if matches!(arg, Expr::Starred(_)) {
                return None;
            }
            let text = g.text(arg.range()).to_string();
            match params.get(i) {
                Some(p) => {
                    bound.insert(p, text);
                }
                None if vararg.is_some() => extra_positional.push(text),
                None => return None,
            }
        }
        let mut extra_keywords = HashMap::new();
        for k in &caller.arguments.keywords {
            let name = k.arg.as_ref()?.as_str();
            let text = g.text(k.value.range()).to_string();
            if let Some(p) = params.iter().find(|p| **p == name) {
                bound.insert(p, text);
            } else if kwarg.is_some() {
                extra_keywords.insert(name.to_string(), text);
            } else {
                return None;
            }
        }
        let param = |e: &Expr| match e {
            Expr::Name(n) => bound.get(n.id.as_str()).cloned(),
            _ => None,
        };
        let mut args = Args::default();
        for arg in &self.call.arguments.args {
            match arg {
                Expr::Starred(s) if matches!(s.value.as_ref(), Expr::Name(n) if Some(n.id.as_str()) == vararg) =>
                {
                    args.positional.extend(extra_positional.iter().cloned());
                }
                other => args.positional.push(param(other)?),
            }
        }
        for k in &self.call.arguments.keywords {
            match (&k.arg, &k.value) {
                (None, Expr::Name(n)) if Some(n.id.as_str()) == kwarg => {
                    args.keywords.extend(extra_keywords.clone());
                }
                (Some(name), value) => {
                    // A parameter the caller left out keeps the function's default: the op's
                    // own default may differ, so only a bound one is passed on.
                    if let Some(text) = param(value) {
                        args.keywords.insert(name.to_string(), text);
                    } else if !matches!(value, Expr::Name(n) if params.contains(&n.id.as_str())) {
                        return None;
                    }
                }
                (None, _) => return None,
            }
        }
        Some((a.attr.to_string(), args))
    }
}

/// The function `name` of a module when its only change to the schema is one `op.*` call at
/// the top of its body (not in a loop or a block), whose arguments are its parameters.
fn forwarded<'m>(m: &'m project_modules::Module, name: &str) -> Option<Forward<'m>> {
    let def = m.def(name)?;
    let calls = Calls::of(&def.body, m.op());
    let [write] = calls.writes.as_slice() else {
        return None;
    };
    let top_level = def.body.iter().any(|s| match s {
        Stmt::Expr(e) => e.value.range() == write.range(),
        _ => false,
    });
    let helpers_read = calls
        .names
        .iter()
        .all(|n| m.def(n).is_none_or(|d| m.changes_nothing(d)));
    (top_level && !calls.other_writes && helpers_read).then_some(Forward { def, call: write })
}
