//! Table names given through the project's own ORM models: `Model.__tablename__` and
//! `Model.__table__.name`. A class defined in the migration file is read directly; an imported
//! one (`from pkg.models import Model`) is looked up on disk by searching upward from the
//! migration's folder for `pkg/models.py` (mlflow's revisions import the package they live in).
//! Each model file is parsed once per process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use ruff_python_ast::{Expr, PySourceType, Stmt};

/// How many folders above the migration are searched for the package root.
const MAX_UP: usize = 12;
/// How many re-exports (`from .models import Model` in a package `__init__`) are followed.
const MAX_HOPS: usize = 3;

/// `__tablename__ = "t"` in a class body.
#[must_use]
pub fn tablename(body: &[Stmt]) -> Option<String> {
    body.iter().find_map(|stmt| {
        let (target, value) = match stmt {
            Stmt::Assign(a) if a.targets.len() == 1 => (&a.targets[0], a.value.as_ref()),
            Stmt::AnnAssign(a) => (a.target.as_ref(), a.value.as_deref()?),
            _ => return None,
        };
        match (target, value) {
            (Expr::Name(n), Expr::StringLiteral(s)) if n.id.as_str() == "__tablename__" => {
                Some(s.value.to_str().to_string())
            }
            _ => None,
        }
    })
}

/// The table of a peewee model class: `class Meta: table_name = "t"` (`db_table` in peewee
/// 2), else the class name lowercased with anything but letters, digits and `_` made `_`
/// (peewee's `legacy_table_names`, its default). A class is a peewee model when the file
/// imports from `peewee` and the class declares a field (`name = CharField(...)`, any call
/// whose name ends in `Field`): quay's migrations copy the models they need this way
/// (34c8ef052ec9's `RepoMirrorConfig(BaseModel)`).
#[must_use]
pub fn peewee_table(class: &str, body: &[Stmt]) -> Option<String> {
    fn assigns(body: &[Stmt]) -> impl Iterator<Item = (&str, &Expr)> {
        body.iter().filter_map(|stmt| match stmt {
            Stmt::Assign(a) if a.targets.len() == 1 => match &a.targets[0] {
                Expr::Name(n) => Some((n.id.as_str(), a.value.as_ref())),
                _ => None,
            },
            _ => None,
        })
    }
    let fields = assigns(body).any(|(_, v)| {
        matches!(v, Expr::Call(c) if super::python::last_name(&c.func).is_some_and(|n| n.ends_with("Field")))
    });
    if !fields {
        return None;
    }
    for stmt in body {
        if let Stmt::ClassDef(meta) = stmt
            && meta.name.as_str() == "Meta"
            && let Some(name) = assigns(&meta.body).find_map(|(k, v)| {
                matches!(k, "table_name" | "db_table")
                    .then(|| super::python::literal_str(v))
                    .flatten()
            })
        {
            return Some(name);
        }
    }
    Some(
        class
            .to_lowercase()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect(),
    )
}

/// The relationships a model class declares, as (class, attribute, target class) triples:
/// `alert = relationship("Alert", backref=backref("sql_observer"))` in `SQLObserver` (or
/// returned by a `@declared_attr` method named `alert`) gives (`SQLObserver`, `alert`,
/// `Alert`) and, for the backref, (`Alert`, `sql_observer`, `SQLObserver`). ORM code reads
/// related rows through them (`alert.sql_observer[0].sql`).
#[must_use]
pub fn relationships(class: &str, body: &[Stmt]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for stmt in body {
        let (attr, value) = match stmt {
            Stmt::Assign(a) if a.targets.len() == 1 => match &a.targets[0] {
                Expr::Name(n) => (n.id.as_str(), a.value.as_ref()),
                _ => continue,
            },
            Stmt::FunctionDef(f) => match f.body.last() {
                Some(Stmt::Return(r)) => match r.value.as_deref() {
                    Some(v) => (f.name.as_str(), v),
                    None => continue,
                },
                _ => continue,
            },
            _ => continue,
        };
        let Expr::Call(call) = value else { continue };
        if super::python::last_name(&call.func) != Some("relationship") {
            continue;
        }
        let Some(target) = call.arguments.args.first().and_then(class_name) else {
            continue;
        };
        out.push((class.to_string(), attr.to_string(), target.clone()));
        let backref = super::python::arg(call, None, "backref").and_then(|b| match b {
            Expr::Call(c) if super::python::last_name(&c.func) == Some("backref") => c
                .arguments
                .args
                .first()
                .and_then(super::python::literal_str),
            other => super::python::literal_str(other),
        });
        if let Some(back) = backref {
            out.push((target, back, class.to_string()));
        }
    }
    out
}

/// `"Alert"` or `Alert`: the class a relationship points at.
fn class_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(n) => Some(n.id.to_string()),
        other => super::python::literal_str(other),
    }
}

/// What one model module declares.
#[derive(Default)]
struct ModelFile {
    /// Class name → `__tablename__`.
    tables: HashMap<String, String>,
    /// `from pkg.x import Name [as Bound]`: bound name → (absolute module, imported name).
    imports: HashMap<String, (String, String)>,
}

type FileCache = Mutex<HashMap<PathBuf, Option<Arc<ModelFile>>>>;
type LookupCache = Mutex<HashMap<(PathBuf, String), Option<PathBuf>>>;

fn files() -> &'static FileCache {
    static CACHE: OnceLock<FileCache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn lookups() -> &'static LookupCache {
    static CACHE: OnceLock<LookupCache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The file of `module` (dotted) under the nearest ancestor of `dir` that holds it.
pub(crate) fn module_file(dir: &Path, module: &str) -> Option<PathBuf> {
    let key = (dir.to_path_buf(), module.to_string());
    if let Some(found) = lookups().lock().ok()?.get(&key) {
        return found.clone();
    }
    let rel: PathBuf = module.split('.').collect();
    let found = dir.ancestors().take(MAX_UP).find_map(|base| {
        let file = base.join(&rel).with_extension("py");
        if file.is_file() {
            return Some(file);
        }
        let init = base.join(&rel).join("__init__.py");
        init.is_file().then_some(init)
    });
    if let Ok(mut cache) = lookups().lock() {
        cache.insert(key, found.clone());
    }
    found
}

/// The package a module file belongs to, for resolving `from .x import Y`.
fn package_of(file: &Path, module: &str) -> String {
    if file.file_name().is_some_and(|n| n == "__init__.py") {
        module.to_string()
    } else {
        module.rsplit_once('.').map_or("", |(p, _)| p).to_string()
    }
}

fn read(file: &Path, module: &str) -> Option<Arc<ModelFile>> {
    if let Some(found) = files().lock().ok()?.get(file) {
        return found.clone();
    }
    // Read like a migration: a regular file of sane size, nesting the parser survives.
    let text = super::source::read_file(file)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|text| super::source::too_deep(text).is_none());
    let parsed = text.and_then(|source| {
        let parsed = ruff_python_parser::parse_unchecked_source(&source, PySourceType::Python);
        if !parsed.errors().is_empty() {
            return None;
        }
        let mut out = ModelFile::default();
        let package = package_of(file, module);
        for stmt in &parsed.syntax().body {
            match stmt {
                Stmt::ClassDef(c) => {
                    if let Some(t) = tablename(&c.body) {
                        out.tables.insert(c.name.to_string(), t);
                    }
                }
                Stmt::ImportFrom(i) => {
                    let base = i.module.as_ref().map_or("", |m| m.as_str());
                    let absolute = if i.level == 0 {
                        base.to_string()
                    } else {
                        let mut parts: Vec<&str> = package.split('.').collect();
                        for _ in 1..i.level {
                            parts.pop();
                        }
                        if !base.is_empty() {
                            parts.push(base);
                        }
                        parts.join(".")
                    };
                    for alias in &i.names {
                        let bound = alias.asname.as_ref().unwrap_or(&alias.name).to_string();
                        out.imports
                            .insert(bound, (absolute.clone(), alias.name.to_string()));
                    }
                }
                _ => {}
            }
        }
        Some(Arc::new(out))
    });
    if let Ok(mut cache) = files().lock() {
        cache.insert(file.to_path_buf(), parsed.clone());
    }
    parsed
}

/// The `__tablename__` of `name` imported from `module` by the migration at `migration`.
#[must_use]
pub fn imported_tablename(migration: &Path, module: &str, name: &str) -> Option<String> {
    let dir = migration.parent()?;
    let mut module = module.to_string();
    let mut name = name.to_string();
    for _ in 0..MAX_HOPS {
        let file = module_file(dir, &module)?;
        let models = read(&file, &module)?;
        if let Some(t) = models.tables.get(&name) {
            return Some(t.clone());
        }
        let (next_module, next_name) = models.imports.get(&name)?.clone();
        module = next_module;
        name = next_name;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imported_models_are_found_above_the_versions_folder() {
        let root = std::env::temp_dir().join(format!("mrt-models-{}", std::process::id()));
        let pkg = root.join("proj/store/dbmodels");
        let versions = root.join("proj/store/migrations/versions");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::create_dir_all(&versions).unwrap();
        std::fs::write(
            pkg.join("models.py"),
            "class SqlModel(Base):\n    __tablename__ = \"registered_models\"\n",
        )
        .unwrap();
        std::fs::write(
            pkg.join("__init__.py"),
            "from .models import SqlModel as Exported\n",
        )
        .unwrap();
        let migration = versions.join("001_x.py");
        assert_eq!(
            imported_tablename(&migration, "proj.store.dbmodels.models", "SqlModel").as_deref(),
            Some("registered_models")
        );
        assert_eq!(
            imported_tablename(&migration, "proj.store.dbmodels", "Exported").as_deref(),
            Some("registered_models")
        );
        assert_eq!(
            imported_tablename(&migration, "proj.store.dbmodels.models", "Missing"),
            None
        );
        assert_eq!(imported_tablename(&migration, "nowhere.models", "X"), None);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
