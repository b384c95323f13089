//! Django migration files: `class Migration(migrations.Migration)` → `operations = [...]`.

use ruff_python_ast::{Expr, ExprCall, Stmt, StmtClassDef};
use ruff_text_size::{Ranged, TextRange};

use super::model::{
    BodyKind, ColumnSpec, Function, Kwarg, OpKind, Operation, Origin, Parents, Value,
};
use super::python::{arg, eval, kwargs, last_name, literal_str, resolve_string};
use super::sql::{self, DialectHint};

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

/// Read the class body.
#[must_use]
pub fn read(class: &StmtClassDef, source: &str) -> DjangoMigration {
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
                        operation(call, source, &mut out.operations.ops);
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
        spec.has_default = arg(f, None, "default").is_some();
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

fn operation(call: &ExprCall, source: &str, out: &mut Vec<Operation>) {
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
            if let Some(Expr::List(l)) = arg(call, None, "database_operations") {
                for e in &l.elts {
                    if let Expr::Call(c) = e {
                        operation(c, source, out);
                    }
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
        OpKind::DeleteModel | OpKind::CreateModel => op.table = str_kw(call, 0, "name"),
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
