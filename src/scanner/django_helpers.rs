//! Data-migration functions a Django migration imports from its own project: `RunPython`
//! code named by an import (`from shop.data import fill_slugs`), or built by a factory called
//! in the class body (wagtail's `forward, reverse = get_fill_filter_spec_migrations(
//! "wagtailimages", "Rendition")`). The module is looked up on disk by searching upward from
//! the migrations folder, as model imports are ([`super::models`]); a module that is not
//! found leaves the function unread, and the replay treats what it touches as unknown.
//!
//! The modules are read through [`super::project_modules`]: each is parsed once per scan.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use ruff_python_ast::{Expr, Stmt, StmtClassDef, StmtFunctionDef};

use super::project_modules::{Module, cached, module_file};
use super::python::literal_str;

/// What a migration imports from where: bound name → (module as written, dots, name).
type Imports<'a> = HashMap<&'a str, (&'a str, u32, &'a str)>;

/// One function as a `RunPython` argument names it.
pub struct Helper<'m> {
    pub def: &'m StmtFunctionDef,
    /// The module the function is read in, for slicing its text.
    pub source: &'m str,
    /// The functions it may call: its module's, and a factory's nested ones.
    pub functions: HashMap<&'m str, &'m StmtFunctionDef>,
    /// A factory's parameters bound to the string literals it was called with.
    pub bindings: HashMap<String, String>,
}

/// The project modules a migration's imported `RunPython` functions live in.
#[must_use]
pub fn load(
    path: Option<&Path>,
    module: &[Stmt],
    class: &StmtClassDef,
) -> Vec<(String, Arc<Module>)> {
    let Some(dir) = path.and_then(Path::parent) else {
        return Vec::new();
    };
    let imports = imports(module);
    let mut wanted: Vec<String> = Vec::new();
    for stmt in &class.body {
        if let Some((callee, _, _)) = factory_call(stmt) {
            wanted.push(callee.to_string());
        }
    }
    for call in run_python_calls(&class.body) {
        for a in call
            .arguments
            .args
            .iter()
            .chain(call.arguments.keywords.iter().map(|k| &k.value))
        {
            if let Expr::Name(n) = a {
                wanted.push(n.id.to_string());
            }
        }
    }
    let mut out: Vec<(String, Arc<Module>)> = Vec::new();
    for name in &wanted {
        let Some(&(module, level, _)) = imports.get(name.as_str()) else {
            continue;
        };
        let key = format!("{level}:{module}");
        if out.iter().any(|(k, _)| *k == key) {
            continue;
        }
        if let Some(m) = module_file(dir, module, level).and_then(|f| cached(&f)) {
            out.push((key, m));
        }
    }
    out
}

/// The helpers of `class` found in `modules` (as [`load`] returned them), by the name the
/// `RunPython` call uses.
#[must_use]
pub fn helpers<'m>(
    modules: &'m [(String, Arc<Module>)],
    module: &'m [Stmt],
    class: &'m StmtClassDef,
) -> HashMap<&'m str, Helper<'m>> {
    let imports = imports(module);
    let mut out = HashMap::new();
    // `forward, reverse = factory("app", "Model")`: the nested functions it returns.
    for stmt in &class.body {
        let Some((callee, targets, call)) = factory_call(stmt) else {
            continue;
        };
        let Some((m, factory)) = imported_function(modules, &imports, callee) else {
            continue;
        };
        let nested = functions_of(&factory.body);
        let returned: Vec<&str> = match factory.body.iter().rev().find_map(|s| match s {
            Stmt::Return(r) => r.value.as_deref(),
            _ => None,
        }) {
            Some(Expr::Tuple(t)) => t.elts.iter().filter_map(name_of).collect(),
            Some(e) => name_of(e).into_iter().collect(),
            None => Vec::new(),
        };
        if returned.len() != targets.len() {
            continue;
        }
        let bindings = bindings(factory, call);
        let mut functions = functions_of(m.body());
        functions.extend(nested.iter().map(|(k, v)| (*k, *v)));
        for (target, ret) in targets.iter().zip(returned) {
            if let Some(def) = nested.get(ret) {
                out.insert(
                    *target,
                    Helper {
                        def,
                        source: &m.source,
                        functions: functions.clone(),
                        bindings: bindings.clone(),
                    },
                );
            }
        }
    }
    // `from shop.data import fill_slugs` used as `RunPython(fill_slugs, ...)`.
    for &bound in imports.keys() {
        if out.contains_key(bound) {
            continue;
        }
        if let Some((m, def)) = imported_function(modules, &imports, bound) {
            out.insert(
                bound,
                Helper {
                    def,
                    source: &m.source,
                    functions: functions_of(m.body()),
                    bindings: HashMap::new(),
                },
            );
        }
    }
    out
}

/// The top-level function a name imported by the migration stands for, and its module (one of
/// `modules`).
fn imported_function<'m>(
    modules: &'m [(String, Arc<Module>)],
    imports: &Imports<'_>,
    bound: &str,
) -> Option<(&'m Module, &'m StmtFunctionDef)> {
    let &(m, level, name) = imports.get(bound)?;
    let key = format!("{level}:{m}");
    let (_, module) = modules.iter().find(|(k, _)| *k == key)?;
    let module: &'m Module = module;
    Some((module, module.function(name)?))
}

/// The functions defined directly in `body`, by name.
fn functions_of(body: &[Stmt]) -> HashMap<&str, &StmtFunctionDef> {
    body.iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some((f.name.as_str(), f)),
            _ => None,
        })
        .collect()
}

/// A factory's parameters bound to the string literals `call` passes them.
fn bindings(
    factory: &StmtFunctionDef,
    call: &ruff_python_ast::ExprCall,
) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let params = &factory.parameters;
    for (p, a) in params
        .posonlyargs
        .iter()
        .chain(&params.args)
        .zip(call.arguments.args.iter())
    {
        if let Some(v) = literal_str(a) {
            out.insert(p.parameter.name.to_string(), v);
        }
    }
    for kw in &call.arguments.keywords {
        if let (Some(k), Some(v)) = (&kw.arg, literal_str(&kw.value)) {
            out.insert(k.to_string(), v);
        }
    }
    out
}

/// Every `RunPython(...)` call in the class body, nested ones included.
fn run_python_calls(body: &[Stmt]) -> Vec<&ruff_python_ast::ExprCall> {
    use ruff_python_ast::visitor::{Visitor, walk_expr};
    struct Calls<'a>(Vec<&'a ruff_python_ast::ExprCall>);
    impl<'a> Visitor<'a> for Calls<'a> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(c) = expr
                && super::python::last_name(&c.func) == Some("RunPython")
            {
                self.0.push(c);
            }
            walk_expr(self, expr);
        }
    }
    let mut calls = Calls(Vec::new());
    calls.visit_body(body);
    calls.0
}

fn name_of(e: &Expr) -> Option<&str> {
    match e {
        Expr::Name(n) => Some(n.id.as_str()),
        _ => None,
    }
}

/// `a, b = factory(...)` / `a = factory(...)` in the class body: (factory, targets, call).
fn factory_call(stmt: &Stmt) -> Option<(&str, Vec<&str>, &ruff_python_ast::ExprCall)> {
    let Stmt::Assign(a) = stmt else { return None };
    let [target] = a.targets.as_slice() else {
        return None;
    };
    let Expr::Call(call) = a.value.as_ref() else {
        return None;
    };
    let Expr::Name(callee) = call.func.as_ref() else {
        return None;
    };
    let targets: Vec<&str> = match target {
        Expr::Tuple(t) => t.elts.iter().map(name_of).collect::<Option<_>>()?,
        Expr::Name(n) => vec![n.id.as_str()],
        _ => return None,
    };
    Some((callee.id.as_str(), targets, call))
}

fn imports(module: &[Stmt]) -> Imports<'_> {
    let mut out = HashMap::new();
    for stmt in module {
        if let Stmt::ImportFrom(i) = stmt {
            let m = i.module.as_ref().map_or("", |m| m.as_str());
            for alias in &i.names {
                let bound = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
                out.insert(bound, (m, i.level, alias.name.as_str()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A migration naming functions of six modules reads all six (the cap was four per file),
    /// and a second migration reading one of them gets the same parse from the cache.
    #[test]
    fn reads_every_named_module_once() {
        let root = std::env::temp_dir().join(format!("mrt-helpers-{}", std::process::id()));
        let migrations = root.join("shop/migrations");
        std::fs::create_dir_all(&migrations).unwrap();
        let mut imports = String::new();
        let mut ops = String::new();
        for i in 0..6 {
            let text = format!("def fill{i}(apps, schema_editor):\n    pass\n");
            std::fs::write(root.join(format!("shop/data{i}.py")), text).unwrap();
            imports.push_str(&format!("from shop.data{i} import fill{i}\n"));
            ops.push_str(&format!("        migrations.RunPython(fill{i}),\n"));
        }
        let source = format!(
            "{imports}from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [\n{ops}    ]\n"
        );
        let path = migrations.join("0002_fill.py");
        let parsed = ruff_python_parser::parse_unchecked_source(
            &source,
            ruff_python_ast::PySourceType::Python,
        );
        let body = &parsed.syntax().body;
        let class = super::super::django::migration_class(body).unwrap();
        let first = load(Some(&path), body, class);
        let again = load(Some(&path), body, class);
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(first.len(), 6);
        assert_eq!(helpers(&first, body, class).len(), 6);
        assert!(Arc::ptr_eq(&first[5].1, &again[5].1));
    }
}
