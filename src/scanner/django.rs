//! Django migration files: `class Migration(migrations.Migration)` → `operations = [...]`.

use std::collections::HashMap;

use ruff_python_ast::{Expr, ExprCall, Stmt, StmtClassDef, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange};

use super::model::{
    BodyKind, ColumnSpec, DialectHint, Function, Kwarg, OpKind, Operation, Origin, Parents, Value,
};
use super::python::{arg, eval, kwargs, last_name, literal_str, resolve_string};
use super::sql;

/// The module's `class Migration(...)`, when it is a Django migration.
#[must_use]
pub fn migration_class(body: &[Stmt]) -> Option<&StmtClassDef> {
    body.iter().find_map(|stmt| match stmt {
        Stmt::ClassDef(c)
            if c.name.as_str() == "Migration"
                && c.arguments
                    .as_ref()
                    .is_some_and(|a| a.args.iter().any(|b| last_name(b) == Some("Migration"))) =>
        {
            Some(c)
        }
        _ => None,
    })
}

/// What the Migration class declares.
pub struct DjangoMigration {
    pub operations: Function,
    pub atomic: bool,
    pub replaces: usize,
    pub dependencies: Parents,
    pub header: TextRange,
}

/// Read the class body; `module` is the file's top level, where `RunPython` functions live.
#[must_use]
pub fn read(class: &StmtClassDef, source: &str, module: &[Stmt]) -> DjangoMigration {
    let functions: HashMap<&str, &StmtFunctionDef> = module
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some((f.name.as_str(), f)),
            _ => None,
        })
        .collect();
    let ctx = Ctx {
        source,
        functions: &functions,
    };
    let header = TextRange::new(class.range.start(), class.name.range().end());
    let mut out = DjangoMigration {
        operations: Function {
            header,
            body: BodyKind::Empty,
            is_async: false,
            ops: Vec::new(),
        },
        atomic: true,
        replaces: 0,
        dependencies: Parents::None,
        header,
    };
    for stmt in &class.body {
        let (target, value) = match stmt {
            Stmt::Assign(a) if a.targets.len() == 1 => (&a.targets[0], a.value.as_ref()),
            Stmt::AnnAssign(a) => match &a.value {
                Some(v) => (a.target.as_ref(), v.as_ref()),
                None => continue,
            },
            _ => continue,
        };
        let Expr::Name(name) = target else { continue };
        match name.id.as_str() {
            "atomic" => out.atomic = eval(value).as_bool() != Some(false),
            "replaces" => {
                if let Value::List(items) = eval(value) {
                    out.replaces = items.len();
                }
            }
            "dependencies" => {
                if let Value::List(items) = eval(value) {
                    let ids: Vec<String> = items
                        .iter()
                        .filter_map(|dep| match dep {
                            Value::List(pair) => {
                                let parts: Vec<&str> =
                                    pair.iter().filter_map(Value::as_str).collect();
                                (parts.len() == 2).then(|| format!("{}.{}", parts[0], parts[1]))
                            }
                            _ => None,
                        })
                        .collect();
                    out.dependencies = if ids.is_empty() {
                        Parents::None
                    } else {
                        Parents::Many(ids)
                    };
                }
            }
            "operations" => {
                let elts = match value {
                    Expr::List(l) => &l.elts,
                    Expr::Tuple(t) => &t.elts,
                    _ => continue,
                };
                for e in elts {
                    if let Expr::Call(call) = e {
                        operation(call, &ctx, &mut out.operations.ops);
                    }
                }
                if !out.operations.ops.is_empty() {
                    out.operations.body = BodyKind::Active;
                }
            }
            _ => {}
        }
    }
    out
}

fn str_kw(call: &ExprCall, pos: usize, name: &str) -> Option<String> {
    arg(call, Some(pos), name).and_then(literal_str)
}

fn set_kwarg(op: &mut Operation, name: &str, expr: &Expr, source: &str) {
    if op.kwarg(name).is_none() {
        op.kwargs.push(Kwarg {
            name: name.to_string(),
            text: source[expr.range()].to_string(),
            value: eval(expr),
        });
    }
}

/// A field call (`models.CharField(max_length=10, null=True)`) as a column.
fn field_spec(name: Option<String>, field: Option<&Expr>) -> ColumnSpec {
    let mut spec = ColumnSpec {
        name: name.unwrap_or_default(),
        ..ColumnSpec::default()
    };
    if let Some(Expr::Call(f)) = field {
        spec.range = f.range();
        let class = last_name(&f.func).unwrap_or("");
        spec.type_ = Some(Value::Name(class.to_string()));
        let null = arg(f, None, "null").map(eval).and_then(|v| v.as_bool());
        // ManyToMany fields live in their own table: never NOT NULL on this one.
        spec.nullable = Some(null == Some(true) || class == "ManyToManyField");
        let flag =
            |name: &str| arg(f, None, name).map(eval).and_then(|v| v.as_bool()) == Some(true);
        // Django fills existing rows with the field's effective default: `default=`, `''` for
        // a `blank=True` string field, now() for `auto_now`/`auto_now_add`.
        spec.has_default = arg(f, None, "default").is_some()
            || flag("blank") && STRING_FIELDS.contains(&class)
            || flag("auto_now")
            || flag("auto_now_add");
        spec.server_default = arg(f, None, "db_default").map(|_| "db_default".to_string());
        spec.primary_key = arg(f, None, "primary_key")
            .map(eval)
            .and_then(|v| v.as_bool())
            == Some(true);
        spec.unique = arg(f, None, "unique").map(eval).and_then(|v| v.as_bool()) == Some(true);
        if let Some(on_delete) = arg(f, Some(1), "on_delete") {
            spec.fk_ondelete = last_name(on_delete).map(str::to_ascii_uppercase);
        }
    }
    spec
}

/// What operations are read against: the source and the module's functions.
struct Ctx<'a> {
    source: &'a str,
    functions: &'a HashMap<&'a str, &'a StmtFunctionDef>,
}

fn operation(call: &ExprCall, ctx: &Ctx<'_>, out: &mut Vec<Operation>) {
    let source = ctx.source;
    let name = last_name(&call.func).unwrap_or("");
    let kind = match name {
        "RemoveField" => OpKind::RemoveField,
        "DeleteModel" => OpKind::DeleteModel,
        "AddField" => OpKind::AddField,
        "AlterField" => OpKind::AlterField,
        "RenameField" => OpKind::RenameField,
        "RenameModel" => OpKind::RenameModel,
        "AddIndex" => OpKind::AddIndex,
        "AddIndexConcurrently" => OpKind::AddIndexConcurrently,
        "RemoveIndex" | "RemoveIndexConcurrently" => OpKind::RemoveIndex,
        "CreateModel" => OpKind::CreateModel,
        "AddConstraint" => OpKind::AddConstraint,
        "RemoveConstraint" => OpKind::RemoveConstraint,
        "RunPython" => OpKind::RunPython,
        "RunSQL" => OpKind::RunSql,
        "SeparateDatabaseAndState" => {
            // Only the database half touches the database.
            let elts = match arg(call, None, "database_operations") {
                Some(Expr::List(l)) => &l.elts,
                Some(Expr::Tuple(t)) => &t.elts,
                _ => return,
            };
            for e in elts {
                if let Expr::Call(c) = e {
                    operation(c, ctx, out);
                }
            }
            return;
        }
        _ => OpKind::Other,
    };
    let range = call.range();
    let mut op = Operation::new(kind, Origin::Django, range);
    op.kwargs = kwargs(call, source);
    op.sql = Some(source[range].to_string());
    match kind {
        OpKind::RemoveField | OpKind::AddField | OpKind::AlterField => {
            op.table = str_kw(call, 0, "model_name");
            op.column = str_kw(call, 1, "name");
            if kind != OpKind::RemoveField {
                op.columns
                    .push(field_spec(op.column.clone(), arg(call, Some(2), "field")));
            }
        }
        OpKind::DeleteModel => op.table = str_kw(call, 0, "name"),
        OpKind::CreateModel => {
            op.table = str_kw(call, 0, "name");
            let fields = match arg(call, Some(1), "fields") {
                Some(Expr::List(l)) => l.elts.as_slice(),
                Some(Expr::Tuple(t)) => t.elts.as_slice(),
                _ => &[],
            };
            for f in fields {
                if let Expr::Tuple(pair) = f
                    && let [name, field] = pair.elts.as_slice()
                {
                    op.columns.push(field_spec(literal_str(name), Some(field)));
                }
            }
        }
        OpKind::RenameField => {
            op.table = str_kw(call, 0, "model_name");
            op.column = str_kw(call, 1, "old_name");
            op.new_name = str_kw(call, 2, "new_name");
        }
        OpKind::RenameModel => {
            op.table = str_kw(call, 0, "old_name");
            op.new_name = str_kw(call, 1, "new_name");
        }
        OpKind::AddIndex | OpKind::AddIndexConcurrently | OpKind::AddConstraint => {
            op.table = str_kw(call, 0, "model_name");
            if let Some(Expr::Call(index)) =
                arg(call, Some(1), "index").or_else(|| arg(call, Some(1), "constraint"))
            {
                op.name = arg(index, None, "name").and_then(literal_str);
            }
        }
        OpKind::RemoveIndex | OpKind::RemoveConstraint => {
            op.table = str_kw(call, 0, "model_name");
            op.name = str_kw(call, 1, "name");
        }
        OpKind::RunPython => {
            if let Some(reverse) = arg(call, Some(1), "reverse_code") {
                set_kwarg(&mut op, "reverse_code", reverse, source);
            }
            if let Some(Expr::Name(code)) = arg(call, Some(0), "code")
                && let Some(def) = ctx.functions.get(code.id.as_str())
            {
                op.name = Some(code.id.to_string());
                let mut visiting = vec![code.id.to_string()];
                op.data_write = data_write(&def.body, ctx, &mut visiting);
            }
        }
        OpKind::RunSql => {
            if let Some(reverse) = arg(call, Some(1), "reverse_sql") {
                set_kwarg(&mut op, "reverse_sql", reverse, source);
            }
            if let Some(sql_expr) = arg(call, Some(0), "sql") {
                let texts: Vec<&Expr> = match sql_expr {
                    Expr::List(l) => l.elts.iter().collect(),
                    Expr::Tuple(t) => t.elts.iter().collect(),
                    other => vec![other],
                };
                let mut parsed = Vec::new();
                for text_expr in texts {
                    let mut holes = Vec::new();
                    if let Some(text) = resolve_string(text_expr, source, &|_| None, &mut holes, 0)
                    {
                        let (ops, error) = sql::analyse(&text, &holes, DialectHint::Unknown, range);
                        if op.sql_error.is_none() {
                            op.sql_error = error;
                        }
                        parsed.extend(ops);
                    }
                }
                out.push(op);
                out.extend(parsed);
                return;
            }
        }
        _ => {}
    }
    out.push(op);
}

/// Field classes whose `blank=True` makes Django's effective default `''` (empty strings are
/// allowed), including common third-party subclasses of `TextField`.
const STRING_FIELDS: &[&str] = &[
    "CharField",
    "TextField",
    "SlugField",
    "EmailField",
    "URLField",
    "FilePathField",
    "FileField",
    "ImageField",
    "BinaryField",
    "RichTextField",
    "CICharField",
    "CITextField",
    "CIEmailField",
];

/// How deep functions called from a `RunPython` function are followed.
const MAX_CALL_DEPTH: usize = 6;

/// The first call in a `RunPython` function (or a module function it calls) that writes rows:
/// `.save()`, `.delete()`, a queryset `.update(...)`, `bulk_update`/`bulk_create`,
/// `objects.create(...)`, raw SQL through `.execute(...)`.
fn data_write(
    body: &[Stmt],
    ctx: &Ctx<'_>,
    visiting: &mut Vec<String>,
) -> Option<(String, TextRange)> {
    let mut found = None;
    let mut visit = |expr: &Expr| {
        if found.is_none() {
            found = find_write(expr, ctx, visiting);
        }
    };
    for stmt in body {
        for_each_expr(stmt, &mut visit);
    }
    found
}

fn find_write(
    expr: &Expr,
    ctx: &Ctx<'_>,
    visiting: &mut Vec<String>,
) -> Option<(String, TextRange)> {
    let Expr::Call(call) = expr else {
        return None;
    };
    match call.func.as_ref() {
        Expr::Attribute(a) => {
            let method = a.attr.as_str();
            let args = &call.arguments;
            let receiver_is_query = matches!(a.value.as_ref(), Expr::Call(_))
                || matches!(a.value.as_ref(), Expr::Attribute(r) if r.attr.as_str() == "objects");
            let writes = match method {
                "save" | "bulk_update" | "bulk_create" | "execute" | "executemany" => true,
                "delete" => args.args.is_empty(),
                // QuerySet.update(field=value); dict.update({...}) takes a positional mapping.
                "update" => args.args.is_empty() && !args.keywords.is_empty(),
                "create" | "get_or_create" | "update_or_create" => receiver_is_query,
                _ => false,
            };
            if writes {
                return Some((format!(".{method}()"), call.range()));
            }
        }
        Expr::Name(n) => {
            let name = n.id.as_str();
            if visiting.len() < MAX_CALL_DEPTH
                && !visiting.iter().any(|v| v == name)
                && let Some(def) = ctx.functions.get(name)
            {
                visiting.push(name.to_string());
                let found = data_write(&def.body, ctx, visiting);
                visiting.pop();
                if let Some((what, _)) = found {
                    // Point at the call in the function RunPython names.
                    return Some((what, call.range()));
                }
            }
        }
        _ => {}
    }
    None
}

/// Every call expression in a statement, nested ones included, in source order.
fn for_each_expr(stmt: &Stmt, visit: &mut dyn FnMut(&Expr)) {
    use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
    struct Calls<'v> {
        visit: &'v mut dyn FnMut(&Expr),
    }
    impl<'x> Visitor<'x> for Calls<'_> {
        fn visit_stmt(&mut self, stmt: &'x Stmt) {
            // Nested function and class definitions run only when called.
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'x Expr) {
            if matches!(expr, Expr::Call(_)) {
                (self.visit)(expr);
            }
            walk_expr(self, expr);
        }
    }
    Calls { visit }.visit_stmt(stmt);
}

/// The nullability of every field of one app, replayed through its migrations in order.
/// Unknown fields (created by a migration we did not read) answer `None`.
#[derive(Default)]
pub struct FieldState {
    /// (model, field), lower-case → nullable.
    fields: HashMap<(String, String), Option<bool>>,
}

fn key(model: &str, field: &str) -> (String, String) {
    (model.to_ascii_lowercase(), field.to_ascii_lowercase())
}

impl FieldState {
    /// `Some(false)` when the field is known to be NOT NULL at this point.
    #[must_use]
    pub fn nullable(&self, model: &str, field: &str) -> Option<bool> {
        self.fields.get(&key(model, field)).copied().flatten()
    }

    /// Apply one operation.
    pub fn apply(&mut self, op: &Operation) {
        let (Some(model), column) = (op.table.as_deref(), op.column.as_deref()) else {
            return;
        };
        match op.kind {
            OpKind::CreateModel => {
                for c in &op.columns {
                    self.fields.insert(key(model, &c.name), c.nullable);
                }
            }
            OpKind::AddField | OpKind::AlterField => {
                if let (Some(field), Some(spec)) = (column, op.columns.first()) {
                    self.fields.insert(key(model, field), spec.nullable);
                }
            }
            OpKind::RemoveField => {
                if let Some(field) = column {
                    self.fields.remove(&key(model, field));
                }
            }
            OpKind::RenameField => {
                if let (Some(old), Some(new)) = (column, op.new_name.as_deref())
                    && let Some(v) = self.fields.remove(&key(model, old))
                {
                    self.fields.insert(key(model, new), v);
                }
            }
            OpKind::RenameModel | OpKind::DeleteModel => {
                let old = model.to_ascii_lowercase();
                let moved: Vec<((String, String), Option<bool>)> = self
                    .fields
                    .iter()
                    .filter(|((m, _), _)| *m == old)
                    .map(|(k, v)| (k.clone(), *v))
                    .collect();
                for (k, v) in moved {
                    self.fields.remove(&k);
                    if let (OpKind::RenameModel, Some(new)) = (op.kind, op.new_name.as_deref()) {
                        self.fields.insert(key(new, &k.1), v);
                    }
                }
            }
            _ => {}
        }
    }
}
