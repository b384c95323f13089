//! Django migration files: `class Migration(migrations.Migration)` → `operations = [...]`.

use std::collections::HashMap;

use ruff_python_ast::{
    ExceptHandler, Expr, ExprCall, Stmt, StmtClassDef, StmtFor, StmtFunctionDef, StmtIf, StmtTry,
};
use ruff_text_size::{Ranged, TextRange};

use super::django_flow;
use super::django_helpers::{self, Helper};
use super::django_state::{Change, DataFlow, DjangoFacts, FieldFacts, Opt, Options, Step};
use super::django_unroll;
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
    /// What the project-state replay needs ([`super::django_state`]).
    pub facts: DjangoFacts,
}

impl DjangoMigration {
    fn empty(header: TextRange) -> Self {
        DjangoMigration {
            operations: Function {
                header,
                body: BodyKind::Empty,
                is_async: false,
                ops: Vec::new(),
                repair_note: None,
                may_drop_types: false,
            },
            atomic: true,
            replaces: 0,
            dependencies: Parents::None,
            header,
            facts: DjangoFacts {
                header,
                ..DjangoFacts::default()
            },
        }
    }
}

/// Read the class body; `module` is the file's top level, where `RunPython` functions live;
/// `path` (the file on disk) finds the project modules it imports functions from.
#[must_use]
pub fn read(
    class: &StmtClassDef,
    source: &str,
    module: &[Stmt],
    path: Option<&std::path::Path>,
) -> DjangoMigration {
    let functions: HashMap<&str, &StmtFunctionDef> = module
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) => Some((f.name.as_str(), f)),
            _ => None,
        })
        .collect();
    let modules = django_helpers::load(path, module, class);
    let helpers = django_helpers::helpers(&modules, module, class);
    // `state_operations = [...]` in the class body, handed to an operation by name (oscar).
    let lists: HashMap<&str, &Expr> = class
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::Assign(a) => match (a.targets.as_slice(), a.value.as_ref()) {
                ([Expr::Name(n)], v @ (Expr::List(_) | Expr::Tuple(_)))
                    if n.id.as_str() != "operations" =>
                {
                    Some((n.id.as_str(), v))
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    // `MODELS = ("a", "b")` at the top of the module, for loops over it.
    let constants: HashMap<&str, &Expr> = module
        .iter()
        .filter_map(|s| match s {
            Stmt::Assign(a) => match (a.targets.as_slice(), a.value.as_ref()) {
                ([Expr::Name(n)], v @ (Expr::List(_) | Expr::Tuple(_))) => Some((n.id.as_str(), v)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let ctx = Ctx {
        source,
        functions: &functions,
        helpers: &helpers,
        lists: Some(&lists),
        constants: Some(&constants),
        depth: 0,
    };
    let header = TextRange::new(class.range.start(), class.name.range().end());
    let mut out = DjangoMigration::empty(header);
    for stmt in &class.body {
        class_stmt(stmt, &ctx, &mut out);
    }
    if !out.operations.ops.is_empty() {
        out.operations.body = BodyKind::Active;
    }
    out
}

/// One statement of the `Migration` class body, read into `out`.
fn class_stmt(stmt: &Stmt, ctx: &Ctx<'_>, out: &mut DjangoMigration) {
    if extend_operations(stmt, ctx, out) {
        return;
    }
    if builds_operations(stmt) {
        let read = match stmt {
            Stmt::If(branch) => branches(branch, ctx, out),
            Stmt::For(each) => unroll(each, ctx, out),
            Stmt::Try(attempt) => try_arms(attempt, ctx, out),
            _ => false,
        };
        if read {
            return;
        }
    }
    if matches!(
        stmt,
        Stmt::If(_) | Stmt::Try(_) | Stmt::For(_) | Stmt::With(_) | Stmt::Match(_) | Stmt::While(_)
    ) && builds_operations(stmt)
    {
        mark_unknown(stmt, out);
        return;
    }
    let (target, value) = match stmt {
        Stmt::Assign(a) if a.targets.len() == 1 => (&a.targets[0], a.value.as_ref()),
        Stmt::AnnAssign(a) => match &a.value {
            Some(v) => (a.target.as_ref(), v.as_ref()),
            None => return,
        },
        _ => return,
    };
    let Expr::Name(name) = target else { return };
    match name.id.as_str() {
        "atomic" => out.atomic = eval(value).as_bool() != Some(false),
        "replaces" => {
            if let Value::List(items) = eval(value) {
                out.replaces = items.len();
                out.facts.replaces = pairs(&items);
            }
        }
        "run_before" => {
            if let Value::List(items) = eval(value) {
                out.facts.run_before = pairs(&items);
            }
        }
        "dependencies" => {
            if let Value::List(items) = eval(value) {
                out.facts.dependencies = pairs(&items);
                let ids: Vec<String> = items
                    .iter()
                    .filter_map(|dep| match dep {
                        Value::List(pair) => {
                            let parts: Vec<&str> = pair.iter().filter_map(Value::as_str).collect();
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
            // A fresh assignment replaces what was read before it.
            out.operations.ops.clear();
            out.facts.steps.clear();
            add_operations(value, ctx, out);
        }
        _ => {}
    }
}

/// Operations built under an `if` (`if connection.vendor == "postgresql":`): each arm is
/// read on its own and replayed as alternatives ([`Change::Branches`]), so what every arm
/// leaves alike stays known. Not when an arm assigns `operations` afresh after operations
/// were read before the `if` (it would discard them in one arm only): then [`mark_unknown`].
/// Per-file rules see the operations of every arm (each may be the one that runs), and the
/// rules on the state see each against the state its arm has reached.
fn branches(stmt: &StmtIf, ctx: &Ctx<'_>, out: &mut DjangoMigration) -> bool {
    let mut bodies: Vec<Vec<&Stmt>> = vec![stmt.body.iter().collect()];
    bodies.extend(
        stmt.elif_else_clauses
            .iter()
            .map(|c| c.body.iter().collect()),
    );
    // No `else`: running none of the arms is one of the alternatives.
    if stmt
        .elif_else_clauses
        .last()
        .is_none_or(|c| c.test.is_some())
    {
        bodies.push(Vec::new());
    }
    alternatives(&bodies, stmt.range(), ctx, out)
}

/// Operations built under a `try` (openimis: `try: <query a column> except:
/// operations.append(migrations.AddField(...))`): the body with its `else`, or one of the
/// handlers, are alternatives as the arms of an `if` are ([`branches`]); the `finally` runs
/// after either. Only when an exception can stop the body before it built anything: every
/// statement after the first that builds `operations` builds it too (appending never raises
/// here). Otherwise [`mark_unknown`].
fn try_arms(stmt: &StmtTry, ctx: &Ctx<'_>, out: &mut DjangoMigration) -> bool {
    let first = stmt.body.iter().position(builds_operations);
    if stmt.is_star || first.is_some_and(|i| !stmt.body[i..].iter().all(builds_operations)) {
        return false;
    }
    let mut bodies: Vec<Vec<&Stmt>> = vec![stmt.body.iter().chain(&stmt.orelse).collect()];
    bodies.extend(stmt.handlers.iter().map(|h| match h {
        ExceptHandler::ExceptHandler(h) => h.body.iter().collect(),
    }));
    if !alternatives(&bodies, stmt.range(), ctx, out) {
        return false;
    }
    for s in &stmt.finalbody {
        class_stmt(s, ctx, out);
    }
    true
}

/// Read each of `bodies` on its own and replay them as alternatives ([`Change::Branches`]).
/// `false` (nothing read) when a body assigns `operations` afresh after operations were read
/// before: that would discard them on one path only.
fn alternatives(
    bodies: &[Vec<&Stmt>],
    range: TextRange,
    ctx: &Ctx<'_>,
    out: &mut DjangoMigration,
) -> bool {
    let assigns = |body: &[&Stmt]| {
        body.iter().any(|s| {
            matches!(s, Stmt::Assign(a) if a.targets.iter().any(
                |t| matches!(t, Expr::Name(n) if n.id.as_str() == "operations")))
        })
    };
    if !out.facts.steps.is_empty() && bodies.iter().any(|b| assigns(b)) {
        return false;
    }
    let mut arms: Vec<Vec<Step>> = Vec::with_capacity(bodies.len());
    for body in bodies {
        let mut arm = DjangoMigration::empty(out.header);
        for s in body {
            class_stmt(s, ctx, &mut arm);
        }
        out.operations.ops.append(&mut arm.operations.ops);
        arms.push(arm.facts.steps);
    }
    out.facts.steps.push(Step {
        change: Change::Branches { arms },
        range,
        state: true,
        db: true,
    });
    true
}

/// `operations = build_operations()`: a function of the module, called without arguments,
/// that returns a list written out, or one it builds under a name of its own (`ops = []`,
/// appends, loops and `if`s as the class body may have them, `return ops` last): read as if
/// the class built it. `false` (nothing read) for anything else: parameters, decorators, a
/// `return` before the end.
fn built_by(call: &ExprCall, ctx: &Ctx<'_>, out: &mut DjangoMigration) -> bool {
    let Expr::Name(name) = call.func.as_ref() else {
        return false;
    };
    let Some(func) = ctx.functions.get(name.id.as_str()) else {
        return false;
    };
    if !call.arguments.is_empty()
        || !func.parameters.is_empty()
        || !func.decorator_list.is_empty()
        || func.is_async
        || ctx.depth >= MAX_CALL_DEPTH
    {
        return false;
    }
    let ctx = &Ctx {
        depth: ctx.depth + 1,
        ..*ctx
    };
    let Some((Stmt::Return(last), body)) = func.body.split_last() else {
        return false;
    };
    if django_unroll::returns(body) {
        return false;
    }
    match last.value.as_deref() {
        Some(Expr::Name(local)) => {
            // Built apart: its `ops = []` must not discard what the class read before.
            let mut built = DjangoMigration::empty(out.header);
            for s in body {
                let s = django_unroll::renamed(s, local.id.as_str(), "operations");
                class_stmt(&s, ctx, &mut built);
            }
            out.operations.ops.append(&mut built.operations.ops);
            out.facts.steps.append(&mut built.facts.steps);
            true
        }
        Some(list @ (Expr::List(_) | Expr::Tuple(_) | Expr::ListComp(_))) if body.is_empty() => {
            add_operations(list, ctx, out);
            true
        }
        _ => false,
    }
}

/// `for name in ("a", "b"): operations.append(...)` over literal values (written out, or a
/// list bound in the class body or at the module's top): the body read once per value, in
/// order ([`django_unroll`]). `false` (nothing read) for anything else, or a body that can
/// leave the loop early, or an `else`.
fn unroll(stmt: &StmtFor, ctx: &Ctx<'_>, out: &mut DjangoMigration) -> bool {
    if stmt.is_async || !stmt.orelse.is_empty() || django_unroll::leaves_early(&stmt.body) {
        return false;
    }
    let Some(iterations) =
        django_unroll::iterations(&stmt.target, &stmt.iter, &|name| ctx.constant(name))
    else {
        return false;
    };
    for iteration in iterations {
        for s in &stmt.body {
            class_stmt(&iteration.stmt(s), ctx, out);
        }
    }
    true
}

/// `operations = [...]`, `+= [...]`, `.append(op)`, `.extend([...])` at the class level: the
/// list as built in order. Under an `if` the arms are alternatives ([`branches`]); under a
/// `try`/`for`/`with`/`match` what runs is not known ([`mark_unknown`]).
fn extend_operations(stmt: &Stmt, ctx: &Ctx<'_>, out: &mut DjangoMigration) -> bool {
    match stmt {
        Stmt::AugAssign(a)
            if matches!(a.target.as_ref(), Expr::Name(n) if n.id.as_str() == "operations")
                && a.op == ruff_python_ast::Operator::Add =>
        {
            add_operations(&a.value, ctx, out);
            true
        }
        Stmt::Expr(e) => {
            let Expr::Call(call) = e.value.as_ref() else {
                return false;
            };
            let Expr::Attribute(attr) = call.func.as_ref() else {
                return false;
            };
            if !matches!(attr.value.as_ref(), Expr::Name(n) if n.id.as_str() == "operations") {
                return false;
            }
            match (attr.attr.as_str(), &*call.arguments.args) {
                ("append", [op]) => add_operation(op, ctx, out),
                ("extend", [ops]) => add_operations(ops, ctx, out),
                // Anything else (`insert`, `remove`, ...) reorders what we read.
                _ => mark_unknown(stmt, out),
            }
            true
        }
        _ => false,
    }
}

/// A list of operations (`[...]`, `(...)`, `a + b`, `a if c else b`, a comprehension or a
/// function of the module we can read); anything else is opaque.
fn add_operations(expr: &Expr, ctx: &Ctx<'_>, out: &mut DjangoMigration) {
    match expr {
        Expr::List(l) => l.elts.iter().for_each(|e| add_operation(e, ctx, out)),
        Expr::Tuple(t) => t.elts.iter().for_each(|e| add_operation(e, ctx, out)),
        Expr::BinOp(b) if b.op == ruff_python_ast::Operator::Add => {
            add_operations(&b.left, ctx, out);
            add_operations(&b.right, ctx, out);
        }
        Expr::Call(call) if built_by(call, ctx, out) => {}
        // `[...] if connection.vendor == "postgresql" else []`: alternatives, as an `if`'s arms.
        Expr::If(choice) => {
            let mut arms = Vec::with_capacity(2);
            for side in [&choice.body, &choice.orelse] {
                let mut arm = DjangoMigration::empty(out.header);
                add_operations(side, ctx, &mut arm);
                out.operations.ops.append(&mut arm.operations.ops);
                arms.push(arm.facts.steps);
            }
            out.facts.steps.push(Step {
                change: Change::Branches { arms },
                range: choice.range(),
                state: true,
                db: true,
            });
        }
        Expr::ListComp(comp) => {
            match django_unroll::comprehension(&comp.generators, &|name| ctx.constant(name)) {
                Some(iterations) => {
                    for iteration in iterations {
                        add_operation(&iteration.expr(&comp.elt), ctx, out);
                    }
                }
                None => opaque(comp.range(), None, out),
            }
        }
        Expr::Name(n) if ctx.lists.is_some_and(|l| l.contains_key(n.id.as_str())) => {
            ctx.elements(Some(expr))
                .unwrap_or_default()
                .iter()
                .for_each(|e| add_operation(e, ctx, out));
        }
        other => opaque(other.range(), None, out),
    }
}

fn add_operation(expr: &Expr, ctx: &Ctx<'_>, out: &mut DjangoMigration) {
    if let Expr::Call(call) = expr {
        operation(call, ctx, &mut out.operations.ops);
        step(call, ctx, (true, true), &mut out.facts.steps);
    } else {
        // `*other_ops`, a name bound elsewhere: which models it touches is not known.
        opaque(expr.range(), None, out);
    }
}

/// Operations the replay cannot read: the models they name (all of the app's when `None`)
/// are unknown from here on, and their rows may have changed.
fn opaque(range: TextRange, models: Option<Vec<String>>, out: &mut DjangoMigration) {
    for change in [Change::Unknown { models }, Change::RunSql { tables: None }] {
        out.facts.steps.push(Step {
            change,
            range,
            state: true,
            db: true,
        });
    }
}

/// Does the statement (an `if`, `try`, `for`, ...) build `operations` anywhere inside?
fn builds_operations(stmt: &Stmt) -> bool {
    use ruff_python_ast::statement_visitor::{StatementVisitor, walk_stmt};
    struct Finds(bool);
    impl<'x> StatementVisitor<'x> for Finds {
        fn visit_stmt(&mut self, stmt: &'x Stmt) {
            let is_ops = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == "operations");
            self.0 |= match stmt {
                Stmt::Assign(a) => a.targets.iter().any(is_ops),
                Stmt::AnnAssign(a) => is_ops(&a.target),
                Stmt::AugAssign(a) => is_ops(&a.target),
                Stmt::Expr(e) => matches!(e.value.as_ref(), Expr::Call(c)
                    if matches!(c.func.as_ref(), Expr::Attribute(a) if is_ops(&a.value))),
                _ => false,
            };
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                walk_stmt(self, stmt);
            }
        }
    }
    let mut f = Finds(false);
    f.visit_stmt(stmt);
    f.0
}

/// Operations built where what runs is not known (under a `try`, a loop, a `with`, a `match`,
/// or an `if` whose arm discards operations read before it): nothing in them is read as
/// fact. The models their operations name become unknown (every model of the app when one
/// names none we can read), and their rows may have changed.
fn mark_unknown(stmt: &Stmt, out: &mut DjangoMigration) {
    let mut models = Some(Vec::new());
    for_each_expr(stmt, &mut |expr| {
        let Expr::Call(call) = expr else { return };
        let Some(list) = models.as_mut() else { return };
        let name = last_name(&call.func).unwrap_or("");
        // Operations are `migrations.X(...)` or the ones Django names elsewhere; fields,
        // indexes and helpers inside them are not.
        let is_operation = matches!(call.func.as_ref(), Expr::Attribute(a)
                if matches!(a.value.as_ref(), Expr::Name(m) if m.id.as_str() == "migrations"))
            || STATELESS.contains(&name);
        if !is_operation {
            return;
        }
        match name {
            "RunSQL" | "RunPython" | "SeparateDatabaseAndState" => {}
            _ => {
                let mut named = false;
                for a in call.arguments.args.iter().take(2) {
                    if let Some(s) = literal_str(a) {
                        list.push(s);
                        named = true;
                    }
                }
                for kw in ["name", "model_name", "old_name", "new_name"] {
                    if let Some(s) = arg(call, None, kw).and_then(literal_str) {
                        list.push(s);
                        named = true;
                    }
                }
                if !named {
                    models = None;
                }
            }
        }
    });
    opaque(stmt.range(), models, out);
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
        spec.nullable = if null.is_none() && project_field(&f.func) {
            None
        } else {
            Some(null == Some(true) || class == "ManyToManyField")
        };
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

/// A field class from a project module (`oscar.models.fields.NullCharField`), not Django's
/// (`models.CharField`, `django.contrib.postgres.fields.ArrayField`): its constructor may set
/// `null=True` itself (oscar's `NullCharField` does), so nullability without `null=` is unknown.
fn project_field(func: &Expr) -> bool {
    let Expr::Attribute(a) = func else {
        return false;
    };
    let module = super::python::dotted(&a.value).unwrap_or_default();
    !(module == "models" || module.starts_with("django."))
}

/// What operations are read against: the source, the module's functions and the functions
/// imported from the project.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    source: &'a str,
    functions: &'a HashMap<&'a str, &'a StmtFunctionDef>,
    helpers: &'a HashMap<&'a str, Helper<'a>>,
    /// Lists bound to names in the class body.
    lists: Option<&'a HashMap<&'a str, &'a Expr>>,
    /// Lists and tuples bound to names at the module's top.
    constants: Option<&'a HashMap<&'a str, &'a Expr>>,
    /// How many functions that build the operations ([`built_by`]) are being read.
    depth: usize,
}

impl<'a> Ctx<'a> {
    /// A list given by name (`state_operations=state_operations`) or written out.
    fn elements(&self, expr: Option<&'a Expr>) -> Option<&'a [Expr]> {
        match expr {
            Some(Expr::Name(n)) => elements(self.lists?.get(n.id.as_str()).copied()),
            other => elements(other),
        }
    }

    /// A list or tuple bound to `name` in the class body, else at the module's top.
    fn constant(&self, name: &str) -> Option<&'a Expr> {
        let class = self.lists.and_then(|l| l.get(name).copied());
        class.or_else(|| self.constants?.get(name).copied())
    }
}

impl<'a> Ctx<'a> {
    /// The context a project helper's body is read in: its own module's text and functions.
    fn of(helper: &'a Helper<'a>, none: &'a HashMap<&'a str, Helper<'a>>) -> Self {
        Ctx {
            source: helper.source,
            functions: &helper.functions,
            helpers: none,
            lists: None,
            constants: None,
            depth: 0,
        }
    }
}

fn operation(call: &ExprCall, ctx: &Ctx<'_>, out: &mut Vec<Operation>) {
    let source = ctx.source;
    let name = last_name(&call.func).unwrap_or("");
    if name == "SeparateDatabaseAndState" {
        // Only the database half touches the database.
        let Some(elts) = ctx.elements(arg(call, None, "database_operations")) else {
            return;
        };
        for e in elts {
            if let Expr::Call(c) = e {
                operation(c, ctx, out);
            }
        }
        return;
    }
    let kind = op_kind(name);
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
            op.columns = model_columns(call);
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
        OpKind::RunPython => run_python_op(call, ctx, &mut op),
        OpKind::RunSql => {
            if let Some(reverse) = arg(call, Some(1), "reverse_sql") {
                set_kwarg(&mut op, "reverse_sql", reverse, source);
            }
            if let Some(sql_expr) = arg(call, Some(0), "sql") {
                let parsed = run_sql_ops(sql_expr, source, &mut op);
                out.push(op);
                out.extend(parsed);
                return;
            }
        }
        _ => {}
    }
    out.push(op);
}

/// The operation kind of a Django operation class.
fn op_kind(name: &str) -> OpKind {
    match name {
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
        _ => OpKind::Other,
    }
}

/// The fields of a `CreateModel` (`fields=[("name", field), ...]`) as columns.
fn model_columns(call: &ExprCall) -> Vec<ColumnSpec> {
    let fields = match arg(call, Some(1), "fields") {
        Some(Expr::List(l)) => l.elts.as_slice(),
        Some(Expr::Tuple(t)) => t.elts.as_slice(),
        _ => &[],
    };
    fields
        .iter()
        .filter_map(|f| match f {
            Expr::Tuple(pair) => match pair.elts.as_slice() {
                [name, field] => Some(field_spec(literal_str(name), Some(field))),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// A `RunPython`'s reverse, the function it names and the first row write of that function.
fn run_python_op(call: &ExprCall, ctx: &Ctx<'_>, op: &mut Operation) {
    if let Some(reverse) = arg(call, Some(1), "reverse_code") {
        set_kwarg(op, "reverse_code", reverse, ctx.source);
    } else if let Some(star) = call.arguments.args.iter().find(|a| a.is_starred_expr()) {
        // `RunPython(*make_sql_migration(...))`: the pair may well hold the reverse
        // (label-studio tasks 0059); unknown, so no rule claims it is missing.
        set_kwarg(op, "reverse_code", star, ctx.source);
    }
    if let Some(Expr::Name(code)) = arg(call, Some(0), "code") {
        let mut visiting = vec![code.id.to_string()];
        if let Some(def) = ctx.functions.get(code.id.as_str()) {
            op.name = Some(code.id.to_string());
            op.data_write = data_write(&def.body, ctx, &mut visiting);
        } else if let Some(helper) = ctx.helpers.get(code.id.as_str()) {
            // Read in its own module; the finding points at the name in this file.
            let none = HashMap::new();
            op.name = Some(code.id.to_string());
            op.data_write = data_write(&helper.def.body, &Ctx::of(helper, &none), &mut visiting)
                .map(|(what, _)| (what, code.range()));
        }
    }
}

/// The statements of a `RunSQL`'s SQL (a string or a list of them), as parsed; the first parse
/// error goes on `op`.
fn run_sql_ops(sql_expr: &Expr, source: &str, op: &mut Operation) -> Vec<Operation> {
    let mut parsed = Vec::new();
    for text_expr in sql_texts(sql_expr) {
        let mut holes = Vec::new();
        if let Some(text) = resolve_string(text_expr, source, &|_| None, &mut holes, 0) {
            let (ops, error) = sql::analyse(&text, &holes, DialectHint::Unknown, op.range);
            if op.sql_error.is_none() {
                op.sql_error = error;
            }
            parsed.extend(ops);
        }
    }
    parsed
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
    let resets = sequence_resets(body);
    let mut visit = |expr: &Expr| {
        if found.is_none() {
            found = find_write(expr, ctx, &resets, visiting);
        }
    };
    for stmt in body {
        for_each_expr(stmt, &mut visit);
    }
    found
}

/// Names bound to the statements of `connection.ops.sequence_reset_sql(...)` (and the loop
/// variables over them): executing them moves a sequence, it writes no row.
fn sequence_resets(body: &[Stmt]) -> Vec<String> {
    use ruff_python_ast::statement_visitor::{StatementVisitor, walk_stmt};
    struct Resets(Vec<String>);
    impl<'x> StatementVisitor<'x> for Resets {
        fn visit_stmt(&mut self, stmt: &'x Stmt) {
            let is_reset = |e: &Expr, names: &[String]| match e {
                Expr::Call(c) => last_name(&c.func) == Some("sequence_reset_sql"),
                Expr::Name(n) => names.iter().any(|v| v == n.id.as_str()),
                _ => false,
            };
            match stmt {
                Stmt::Assign(a) if is_reset(&a.value, &self.0) => {
                    for t in &a.targets {
                        if let Expr::Name(n) = t {
                            self.0.push(n.id.to_string());
                        }
                    }
                }
                Stmt::For(f) if is_reset(&f.iter, &self.0) => {
                    if let Expr::Name(n) = f.target.as_ref() {
                        self.0.push(n.id.to_string());
                    }
                }
                _ => {}
            }
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                walk_stmt(self, stmt);
            }
        }
    }
    let mut r = Resets(Vec::new());
    r.visit_body(body);
    r.0
}

fn find_write(
    expr: &Expr,
    ctx: &Ctx<'_>,
    resets: &[String],
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
                "save" | "bulk_update" | "bulk_create" => true,
                "execute" | "executemany" => match args.args.first() {
                    Some(Expr::Name(n)) if resets.iter().any(|r| r == n.id.as_str()) => false,
                    first => sql_writes(first, ctx.source),
                },
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

/// Does SQL handed to `execute(...)` write rows? Text we can read that only sets up the session
/// or changes the schema (`PRAGMA`, `SET`, `ALTER TABLE ... COLLATE`, `SELECT`) does not; DML,
/// and SQL we cannot read (a variable, a parse error), may.
fn sql_writes(sql: Option<&Expr>, source: &str) -> bool {
    let Some(sql) = sql else {
        return true;
    };
    let mut holes = Vec::new();
    let Some(text) = resolve_string(sql, source, &|_| None, &mut holes, 0) else {
        return true;
    };
    let (ops, error) = sql::analyse(&text, &holes, DialectHint::Unknown, sql.range());
    if error.is_some() {
        // What the parser cannot read (`ALTER COLUMN ... COLLATE "C"`): its leading keyword
        // tells session set-up and schema changes that keep every row from the rest.
        let upper = text.trim_start().to_ascii_uppercase();
        let keeps_rows = [
            "ALTER ", "CREATE ", "PRAGMA ", "SET ", "SELECT ", "SHOW ", "COMMENT ",
        ]
        .iter()
        .any(|k| upper.starts_with(k))
            && !upper.contains("DROP")
            && !upper.contains(';');
        return !keeps_rows;
    }
    ops.is_empty()
        || ops.iter().any(|o| {
            o.sql_error.is_some()
                || matches!(
                    o.kind,
                    OpKind::Update
                        | OpKind::Delete
                        | OpKind::Insert
                        | OpKind::Truncate
                        | OpKind::BulkInsert
                        | OpKind::Execute
                        | OpKind::Call
                )
        })
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

/// `[("app", "0001_initial"), ...]` as (app, name) pairs; anything else is left out
/// (`migrations.swappable_dependency(...)`).
fn pairs(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .filter_map(|item| match item {
            Value::List(pair) => match pair.as_slice() {
                [Value::Str(a), Value::Str(b)] => Some((a.clone(), b.clone())),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn elements(expr: Option<&Expr>) -> Option<&[Expr]> {
    match expr {
        Some(Expr::List(l)) => Some(&l.elts),
        Some(Expr::Tuple(t)) => Some(&t.elts),
        _ => None,
    }
}

/// Django operations that change nothing the project state tracks.
const STATELESS: &[&str] = &[
    "AddIndex",
    "AddIndexConcurrently",
    "RemoveIndex",
    "RemoveIndexConcurrently",
    "RenameIndex",
    "AddConstraint",
    "AddConstraintNotValid",
    "ValidateConstraint",
    "RemoveConstraint",
    "AlterConstraint",
    "AlterUniqueTogether",
    "AlterIndexTogether",
    "AlterOrderWithRespectTo",
    "AlterModelManagers",
    "AlterModelTableComment",
    "CreateExtension",
    "BloomExtension",
    "BtreeGinExtension",
    "BtreeGistExtension",
    "CITextExtension",
    "CryptoExtension",
    "HStoreExtension",
    "TrigramExtension",
    "UnaccentExtension",
    "CreateCollation",
    "RemoveCollation",
];

/// One operation as steps of the project-state replay ([`super::django_state`]).
/// `half`: (changes the state, runs on the database), false inside the other half of a
/// `SeparateDatabaseAndState`.
fn step(call: &ExprCall, ctx: &Ctx<'_>, half: (bool, bool), out: &mut Vec<Step>) {
    let (state, db) = half;
    if !state && !db {
        return;
    }
    let name = last_name(&call.func).unwrap_or("");
    let text = |pos: usize, kw: &str| str_kw(call, pos, kw).unwrap_or_default();
    let mut state = state;
    let change = match name {
        "SeparateDatabaseAndState" => {
            separate_steps(call, ctx, half, out);
            return;
        }
        "CreateModel" => create_model_change(call),
        "DeleteModel" => Change::DeleteModel {
            name: text(0, "name"),
        },
        "RenameModel" => Change::RenameModel {
            old: text(0, "old_name"),
            new: text(1, "new_name"),
        },
        "AlterModelOptions" => Change::AlterModelOptions {
            name: text(0, "name"),
            options: options(arg(call, Some(1), "options")),
        },
        "AlterModelTable" => Change::AlterModelTable {
            name: text(0, "name"),
            table: match arg(call, Some(1), "table") {
                None | Some(Expr::NoneLiteral(_)) => Opt::Absent,
                Some(e) => literal_str(e).map_or(Opt::Unknown, Opt::Known),
            },
        },
        "AddField" => Change::AddField {
            model: text(0, "model_name"),
            field: declared_field(call),
        },
        "AlterField" => Change::AlterField {
            model: text(0, "model_name"),
            field: declared_field(call),
        },
        "RemoveField" => Change::RemoveField {
            model: text(0, "model_name"),
            name: text(1, "name"),
        },
        "RenameField" => Change::RenameField {
            model: text(0, "model_name"),
            old: text(1, "old_name"),
            new: text(2, "new_name"),
        },
        "RunPython" if db => run_python_change(call, ctx),
        "RunPython" => return,
        "RunSQL" => {
            for e in elements(arg(call, Some(2), "state_operations")).unwrap_or_default() {
                if let Expr::Call(c) = e {
                    step(c, ctx, (state, false), out);
                }
            }
            if !db {
                return;
            }
            let sql = arg(call, Some(0), "sql");
            if sql.is_some_and(|e| sql_writes_no_rows(e, ctx.source)) {
                Change::Other
            } else {
                Change::RunSql {
                    tables: sql.and_then(|e| sql_tables(e, ctx.source)),
                }
            }
        }
        n if STATELESS.contains(&n) => stateless_change(call, n),
        _ => {
            // A project's own operation: it runs on the database (or not at all).
            state = db;
            custom_change(call)
        }
    };
    out.push(Step {
        change,
        range: call.range(),
        state,
        db,
    });
}

/// An operation the state tracks nothing of; an index or constraint names its model.
fn stateless_change(call: &ExprCall, name: &str) -> Change {
    match str_kw(call, 0, "model_name") {
        Some(model) if name.contains("Index") || name.contains("Constraint") => {
            Change::Index { model }
        }
        _ => Change::Other,
    }
}

/// The field an `AddField`/`AlterField` declares (`name=`, `field=`).
fn declared_field(call: &ExprCall) -> FieldFacts {
    let name = str_kw(call, 1, "name").unwrap_or_default();
    match arg(call, Some(2), "field") {
        Some(f) => field_facts(&name, f),
        None => FieldFacts::unknown(&name),
    }
}

/// The two halves of a `SeparateDatabaseAndState`, each as steps that run on one side only.
fn separate_steps(call: &ExprCall, ctx: &Ctx<'_>, half: (bool, bool), out: &mut Vec<Step>) {
    let (state, db) = half;
    let halves = [
        (arg(call, Some(0), "database_operations"), (false, db)),
        (arg(call, Some(1), "state_operations"), (state, false)),
    ];
    for (list, half) in halves {
        for e in ctx.elements(list).unwrap_or_default() {
            if let Expr::Call(c) = e {
                step(c, ctx, half, out);
            }
        }
    }
}

fn create_model_change(call: &ExprCall) -> Change {
    let text = |pos: usize, kw: &str| str_kw(call, pos, kw).unwrap_or_default();
    let fields = elements(arg(call, Some(1), "fields")).map(|fs| {
        fs.iter()
            .map(|f| match f {
                Expr::Tuple(pair) => match pair.elts.as_slice() {
                    [n, field] => literal_str(n).map(|n| field_facts(&n, field)),
                    _ => None,
                },
                _ => None,
            })
            .collect::<Option<Vec<FieldFacts>>>()
    });
    Change::CreateModel {
        name: text(0, "name"),
        fields: fields.flatten(),
        options: options(arg(call, Some(2), "options")),
    }
}

/// A `RunPython` that runs on the database: what its functions do to rows; a function we
/// cannot read may write any row of its app ([`Change::RunSql`] of unknown tables).
fn run_python_change(call: &ExprCall, ctx: &Ctx<'_>) -> Change {
    let flow = |e: Option<&Expr>| -> Option<DataFlow> {
        match e {
            None | Some(Expr::NoneLiteral(_)) => Some(DataFlow::default()),
            Some(e) if last_name(e) == Some("noop") => Some(DataFlow::default()),
            Some(Expr::Name(n)) => match ctx.functions.get(n.id.as_str()) {
                Some(f) => Some(django_flow::data_flow(f, ctx.functions, &HashMap::new())),
                None => ctx
                    .helpers
                    .get(n.id.as_str())
                    .map(|h| django_flow::data_flow(h.def, &h.functions, &h.bindings)),
            },
            Some(_) => None,
        }
    };
    // Where the per-file finding on a writing function points (see `data_write`).
    let finding = match arg(call, Some(0), "code") {
        Some(Expr::Name(code)) => match ctx.functions.get(code.id.as_str()) {
            Some(def) => data_write(&def.body, ctx, &mut vec![code.id.to_string()]).map(|w| w.1),
            None => ctx.helpers.get(code.id.as_str()).and_then(|h| {
                let none = HashMap::new();
                data_write(
                    &h.def.body,
                    &Ctx::of(h, &none),
                    &mut vec![code.id.to_string()],
                )
                .map(|_| code.range())
            }),
        },
        _ => None,
    };
    match (
        flow(arg(call, Some(0), "code")),
        flow(arg(call, Some(1), "reverse_code")),
    ) {
        (Some(forward), Some(reverse)) => Change::RunPython {
            forward: Box::new(forward),
            reverse: Box::new(reverse),
            finding,
        },
        // A function we cannot read may write any row of its app.
        (None, _) => Change::RunSql { tables: None },
        (Some(forward), None) => Change::RunPython {
            forward: Box::new(forward),
            reverse: Box::default(),
            finding,
        },
    }
}

/// A project's own operation: the models it names (literal arguments, `model_name=`,
/// `model=`, `name=`) may have changed in any way.
fn custom_change(call: &ExprCall) -> Change {
    let mut models = Vec::new();
    for a in &call.arguments.args {
        if let Some(s) = literal_str(a) {
            models.push(s);
        }
    }
    for kw in ["model_name", "model", "name"] {
        if let Some(s) = arg(call, None, kw).and_then(literal_str) {
            models.push(s);
        }
    }
    Change::Custom { models }
}

/// The texts of a `RunSQL`'s SQL: one string, or a list or tuple of them.
fn sql_texts(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::List(l) => l.elts.iter().collect(),
        Expr::Tuple(t) => t.elts.iter().collect(),
        other => vec![other],
    }
}

/// The SQL of a `RunSQL` (a string or a list of them) only sets how the session behaves,
/// as `SET CONSTRAINTS ALL IMMEDIATE` does: it writes no row ([`sql::writes_no_rows`]).
fn sql_writes_no_rows(expr: &Expr, source: &str) -> bool {
    let texts = sql_texts(expr);
    !texts.is_empty()
        && texts.iter().all(|e| {
            let mut holes = Vec::new();
            resolve_string(e, source, &|_| None, &mut holes, 0)
                .is_some_and(|text| holes.is_empty() && sql::writes_no_rows(&text))
        })
}

/// The tables raw SQL touches, lower-case; `None` when the SQL cannot be read.
fn sql_tables(expr: &Expr, source: &str) -> Option<Vec<String>> {
    let texts = sql_texts(expr);
    let mut tables = Vec::new();
    for e in texts {
        let mut holes = Vec::new();
        let text = resolve_string(e, source, &|_| None, &mut holes, 0)?;
        let (ops, error) = sql::analyse(&text, &holes, DialectHint::Unknown, e.range());
        if error.is_some() {
            return None;
        }
        for op in ops {
            if let Some(t) = op.table {
                if super::model::is_unresolved(&t) || t.contains('\u{0}') {
                    return None;
                }
                tables.push(t.trim_matches('"').to_ascii_lowercase());
            }
        }
    }
    Some(tables)
}

/// A field call as the state keeps it.
fn field_facts(name: &str, field: &Expr) -> FieldFacts {
    let Expr::Call(f) = field else {
        return FieldFacts::unknown(name);
    };
    let class = last_name(&f.func).unwrap_or("").to_string();
    // A literal bool, `Some(false)` when not given; `None` when not a literal.
    let flag = |kw: &str| match arg(f, None, kw) {
        None => Some(false),
        Some(e) => eval(e).as_bool(),
    };
    let blank = flag("blank") == Some(true);
    let null = if class == "ManyToManyField" {
        // Its own table: never a column on this one.
        Some(true)
    } else if arg(f, None, "null").is_none() && project_field(&f.func) {
        None
    } else {
        flag("null")
    };
    let has_default = arg(f, None, "default").is_some()
        || arg(f, None, "db_default").is_some()
        || blank && STRING_FIELDS.contains(&class.as_str())
        || flag("auto_now") == Some(true)
        || flag("auto_now_add") == Some(true);
    let db_column = match arg(f, None, "db_column") {
        None => Opt::Absent,
        Some(e) => literal_str(e).map_or(Opt::Unknown, Opt::Known),
    };
    // `**kwargs` hides any of the arguments above.
    let known = f.arguments.keywords.iter().all(|k| k.arg.is_some())
        && null.is_some()
        && flag("primary_key").is_some();
    let through_model = class == "ManyToManyField" && arg(f, None, "through").is_some();
    FieldFacts {
        name: name.to_string(),
        through_model,
        primary_key: flag("primary_key") == Some(true),
        on_delete: arg(f, Some(1), "on_delete")
            .and_then(last_name)
            .map(str::to_ascii_uppercase),
        class,
        null,
        blank,
        has_default,
        db_column,
        known,
    }
}

/// `options={"managed": False, "db_table": "x", ...}`; a non-literal dict is opaque.
fn options(expr: Option<&Expr>) -> Options {
    let Some(expr) = expr else {
        return Options::default();
    };
    let Expr::Dict(d) = expr else {
        return Options {
            opaque: true,
            ..Options::default()
        };
    };
    let mut out = Options::default();
    for item in &d.items {
        let Some(key) = item.key.as_ref() else {
            // `**other`: any option may be in it.
            out.opaque = true;
            continue;
        };
        let Some(key) = literal_str(key) else {
            out.opaque = true;
            continue;
        };
        let as_bool = || eval(&item.value).as_bool().map_or(Opt::Unknown, Opt::Known);
        match key.as_str() {
            "managed" => out.managed = as_bool(),
            "proxy" => out.proxy = as_bool(),
            "db_table" => out.db_table = literal_str(&item.value).map_or(Opt::Unknown, Opt::Known),
            _ => {}
        }
    }
    out
}
