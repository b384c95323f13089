//! What a Django `RunPython` function does to rows, as far as its own body shows
//! ([`DataFlow`]): the fields it writes, the fields it reads into those writes, and the whole
//! models whose rows it copies into another model. Models are the names bound to
//! `apps.get_model("app", "Model")` / `apps.get_model("app.Model")`.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{Comprehension, Expr, ExprCall, Stmt, StmtAssign, StmtFunctionDef};

use super::django_state::{DataFlow, FieldRef};
use super::model::Value;
use super::python::{arg, eval, last_name, literal_str};

/// How deep calls to the module's functions are followed; deeper, a call may write anything.
const FOLLOWED_CALLS: usize = 3;

/// How many calls one `RunPython` function's reading follows in all (each call is read anew):
/// past it, a call may write anything, and the work stays linear in the module's size.
const FOLLOW_BUDGET: usize = 64;

/// Read a `RunPython` function. `functions`: the functions of its module (a call to one is
/// read as part of the function, up to [`FOLLOWED_CALLS`] deep); `bindings`: names that stand
/// for string literals (a factory's parameters).
#[must_use]
pub(crate) fn data_flow(
    def: &StmtFunctionDef,
    functions: &HashMap<&str, &StmtFunctionDef>,
    bindings: &HashMap<String, String>,
) -> DataFlow {
    let budget = std::cell::Cell::new(FOLLOW_BUDGET);
    flow_of(
        def,
        functions,
        bindings,
        vec![def.name.to_string()],
        &budget,
    )
}

/// [`data_flow`] of `def`, called through `following` (the functions being read, outermost
/// first).
fn flow_of(
    def: &StmtFunctionDef,
    functions: &HashMap<&str, &StmtFunctionDef>,
    bindings: &HashMap<String, String>,
    following: Vec<String>,
    budget: &std::cell::Cell<usize>,
) -> DataFlow {
    let mut flow = Flow {
        functions,
        bindings,
        following,
        budget,
        filters: HashMap::new(),
        models: HashMap::new(),
        rows: HashMap::new(),
        conditions: 0,
        set_tests: Vec::new(),
        chosen_rows: HashSet::new(),
        row_picks: HashMap::new(),
        queryset_picks: HashMap::new(),
        queryset_flags: HashMap::new(),
        new_rows: HashMap::new(),
        copies_into_new: Vec::new(),
        out: DataFlow::default(),
    };
    for stmt in &def.body {
        flow.visit_stmt(stmt);
    }
    for (new, model, from, to) in std::mem::take(&mut flow.copies_into_new) {
        if let Some(row) = flow.new_rows.get(&new).filter(|r| r.linked) {
            let copy = (model, from, row.model.clone(), to);
            flow.out.copied_fields.push(copy);
        }
    }
    flow.out.emptied = def
        .body
        .iter()
        .filter_map(|stmt| match stmt {
            Stmt::Expr(e) => flow.deletes_all(&e.value),
            Stmt::If(check) => flow.refuses_rows(check),
            Stmt::For(each) => flow.deletes_each(each),
            _ => None,
        })
        .collect();
    flow.out.copies.sort();
    flow.out.copies.dedup();
    flow.out.copied_fields.sort();
    flow.out.copied_fields.dedup();
    flow.out.converted_fields.sort();
    flow.out.converted_fields.dedup();
    flow.out.reset_fields.sort();
    flow.out.reset_fields.dedup();
    flow.out.computed_writes.sort();
    flow.out.computed_writes.dedup();
    flow.out
}

struct Flow<'f> {
    functions: &'f HashMap<&'f str, &'f StmtFunctionDef>,
    bindings: &'f HashMap<String, String>,
    /// The functions being read, outermost first: a call to one of them again is not followed.
    following: Vec<String>,
    /// Calls still to follow ([`FOLLOW_BUDGET`]), shared by every function read.
    budget: &'f std::cell::Cell<usize>,
    /// Names bound to a model or a queryset of one: name → model.
    models: HashMap<String, String>,
    /// Querysets bound to names: the fields their filters read.
    filters: HashMap<String, Vec<FieldRef>>,
    /// Loop variables over a model's rows: variable → model.
    rows: HashMap<String, String>,
    /// How many `if`s the statement being read sits in: a constant written under one is
    /// chosen by the condition (`if row.kind == "pool": row.is_pool = True`).
    conditions: usize,
    /// The fields tested set by those `if`s that test only that (`if row.f:`, `if row.f is
    /// not None:`, with no `else`): a value computed from `f` under them reaches every row
    /// where `f` holds something (pulpcore core 0123 converts `pulp_label_select` into
    /// `q_select` under `if upstream.pulp_label_select:`).
    set_tests: Vec<String>,
    /// Loop variables over rows a filter picks (`for p in Prefix.objects.filter(...)`).
    chosen_rows: HashSet<String>,
    /// Loop variables over a model's rows, with the fields whose being set alone picks them
    /// (empty: every row); `None` when something else picks them ([`set_fields_picked`]).
    row_picks: HashMap<String, Option<Vec<String>>>,
    /// Querysets bound to names, with the fields whose being set alone picks their rows, as
    /// in `row_picks`.
    queryset_picks: HashMap<String, Option<Vec<String>>>,
    /// Querysets bound to names whose one filter picks the rows where a boolean field holds
    /// a value (`pending_units = Unit.objects.filter(pending=True)`): (field, value).
    queryset_flags: HashMap<String, (String, bool)>,
    /// New rows bound to names in a loop over another model's rows (`base =
    /// ExerciseBase.objects.create(...)`), as in [`NewRow`].
    new_rows: HashMap<String, NewRow>,
    /// Values of a loop's rows copied into such a new row (`base.status = row.status`, or a
    /// keyword of its `create`): (the new row's name, model, from, to), kept when the new row
    /// is linked to its source row; each unconditional, on every row its loop picks.
    copies_into_new: Vec<(String, String, String, String)>,
    out: DataFlow,
}

/// A new row of `model` made for each row of the loop variable `source`: `linked` once one
/// of them points at the other (`Base(exercise=row)`, or `row.base = base` later).
struct NewRow {
    model: String,
    source: String,
    linked: bool,
}

/// The model a query expression starts from: `Model.objects.filter(...)...`.
fn root_model<'e>(expr: &'e Expr, models: &'e HashMap<String, String>) -> Option<&'e String> {
    match expr {
        Expr::Name(n) => models.get(n.id.as_str()),
        Expr::Attribute(a) => root_model(&a.value, models),
        Expr::Call(c) => root_model(&c.func, models),
        Expr::Subscript(s) => root_model(&s.value, models),
        _ => None,
    }
}

/// The name a query chain starts from (`rows` in `rows.filter(...).update(...)`).
fn root_name(expr: &Expr) -> &str {
    match expr {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => root_name(&a.value),
        Expr::Call(c) => root_name(&c.func),
        Expr::Subscript(s) => root_name(&s.value),
        _ => "",
    }
}

/// Fields named by the `.filter(...)`/`.exclude(...)` keywords of a query chain.
fn filter_refs(expr: &Expr, model: &str, out: &mut Vec<FieldRef>) {
    match expr {
        Expr::Call(c) => {
            if let Expr::Attribute(a) = c.func.as_ref() {
                if matches!(a.attr.as_str(), "filter" | "exclude") {
                    for kw in &c.arguments.keywords {
                        if let Some(k) = &kw.arg {
                            let field = k.as_str().split("__").next().unwrap_or("");
                            out.push((model.to_string(), field.to_ascii_lowercase()));
                        }
                    }
                }
                filter_refs(&a.value, model, out);
            }
        }
        Expr::Attribute(a) => filter_refs(&a.value, model, out),
        _ => {}
    }
}

/// Fields named by `F("field")` inside an expression.
fn f_refs(expr: &Expr, model: &str, out: &mut Vec<FieldRef>) {
    struct Refs<'o> {
        model: &'o str,
        out: &'o mut Vec<FieldRef>,
    }
    impl<'x> Visitor<'x> for Refs<'_> {
        fn visit_expr(&mut self, expr: &'x Expr) {
            if let Expr::Call(c) = expr
                && last_name(&c.func) == Some("F")
                && let Some(field) = c.arguments.args.first().and_then(literal_str)
            {
                let field = field.split("__").next().unwrap_or("").to_ascii_lowercase();
                self.out.push((self.model.to_string(), field));
            }
            walk_expr(self, expr);
        }
    }
    Refs { model, out }.visit_expr(expr);
}

/// The objects whose values a call's arguments read: `row` for every `row.field` in them.
/// A bare `row` (`page=page`) or its key (`row.pk`, `row.page_id`) only links to the row.
fn read_objects(call: &ExprCall) -> Vec<&str> {
    struct Reads<'n>(Vec<&'n str>);
    impl<'x> Visitor<'x> for Reads<'x> {
        fn visit_expr(&mut self, expr: &'x Expr) {
            if let Expr::Attribute(a) = expr
                && let Expr::Name(n) = a.value.as_ref()
            {
                let attr = a.attr.as_str();
                if !(matches!(attr, "pk" | "id") || attr.ends_with("_id")) {
                    self.0.push(n.id.as_str());
                }
            }
            walk_expr(self, expr);
        }
    }
    let mut reads = Reads(Vec::new());
    for a in &call.arguments.args {
        reads.visit_expr(a);
    }
    for kw in &call.arguments.keywords {
        reads.visit_expr(&kw.value);
    }
    reads.0
}

/// `swapper.get_model_name("app", "Model")` (a swappable model, wagtail's `Page`): the default
/// model `"app.Model"`. A project that swaps it names another model, which a migration written
/// for the default guards against (wagtail 0075 returns early for a custom `Page`).
fn swappable(call: &ExprCall) -> Option<String> {
    if super::python::dotted(&call.func).as_deref() != Some("swapper.get_model_name") {
        return None;
    }
    match call.arguments.args.as_ref() {
        [app, model] if call.arguments.keywords.is_empty() => {
            Some(format!("{}.{}", literal_str(app)?, literal_str(model)?))
        }
        _ => None,
    }
}

/// `settings.AUTH_USER_MODEL`, `oauth2_settings.APPLICATION_MODEL`: a setting that names a
/// swappable model, read as the model its name spells (`APPLICATION_MODEL` → `application`,
/// `ACCESS_TOKEN_MODEL` → `accesstoken`; Django's own `AUTH_USER_MODEL` → `user`), without an
/// app: a project that swaps it names another model, which a migration written for the
/// default guards against (django-oauth-toolkit 0019 returns early for a custom application).
fn swappable_setting(expr: &Expr) -> Option<String> {
    let Expr::Attribute(a) = expr else {
        return None;
    };
    let name = a.attr.as_str().strip_suffix("_MODEL")?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
        return None;
    }
    let model = if name == "AUTH_USER" {
        "user".to_string()
    } else {
        name.replace('_', "")
    };
    Some(model.to_ascii_lowercase())
}

impl Flow<'_> {
    /// `if Model.objects.exists(): raise ...` (or `.count()`, `.all().exists()`) in the
    /// function's own body: past this step the table is empty, or the migration stopped
    /// (pulpcore 0104 checks that no `Label` is left before it deletes the model).
    fn refuses_rows(&self, check: &ruff_python_ast::StmtIf) -> Option<String> {
        if !check.elif_else_clauses.is_empty() || !matches!(check.body.as_slice(), [Stmt::Raise(_)])
        {
            return None;
        }
        let Expr::Call(test) = check.test.as_ref() else {
            return None;
        };
        let Expr::Attribute(method) = test.func.as_ref() else {
            return None;
        };
        if !matches!(method.attr.as_str(), "exists" | "count") || !test.arguments.is_empty() {
            return None;
        }
        self.whole_model(&method.value)
    }

    /// `Model.objects.all().delete()` (or `Model.objects.delete()`) on a name bound to
    /// `apps.get_model(...)`: the model, every row of which it deletes.
    fn deletes_all(&self, expr: &Expr) -> Option<String> {
        let Expr::Call(delete) = expr else {
            return None;
        };
        let Expr::Attribute(d) = delete.func.as_ref() else {
            return None;
        };
        if d.attr.as_str() != "delete" || !delete.arguments.is_empty() {
            return None;
        }
        self.whole_model(&d.value)
    }

    /// `for row in Model.objects.all(): ... row.delete()`, the delete a statement of the loop
    /// itself and nothing skipping rows (`continue`, `break`, `return`): the model, every row
    /// of which it deletes one by one (django-helpdesk 0009 turns each `QueueMembership` into
    /// permissions, then deletes it).
    fn deletes_each(&self, each: &ruff_python_ast::StmtFor) -> Option<String> {
        let Expr::Name(row) = each.target.as_ref() else {
            return None;
        };
        if !each.orelse.is_empty() || skips_rows(&each.body) {
            return None;
        }
        // `row.delete()`: a call with no arguments of the loop variable's `delete`.
        let deletes_row = |stmt: &Stmt| {
            let Stmt::Expr(e) = stmt else { return false };
            let Expr::Call(c) = e.value.as_ref() else {
                return false;
            };
            let Expr::Attribute(a) = c.func.as_ref() else {
                return false;
            };
            c.arguments.is_empty()
                && a.attr.as_str() == "delete"
                && matches!(a.value.as_ref(), Expr::Name(n) if n.id == row.id)
        };
        if each.body.iter().any(deletes_row) {
            self.whole_model(&each.iter)
        } else {
            None
        }
    }

    /// `Model.objects.all()` or `Model.objects` (through `.using(alias)` too) on a name bound to
    /// `apps.get_model(...)`, not to a filtered queryset: the model, all of whose rows it
    /// stands for.
    fn whole_model(&self, expr: &Expr) -> Option<String> {
        // `.all()` with no arguments, or the manager itself.
        let manager = match expr {
            Expr::Call(all) if all.arguments.is_empty() => match all.func.as_ref() {
                Expr::Attribute(a) if a.attr.as_str() == "all" => a.value.as_ref(),
                _ => return None,
            },
            other => other,
        };
        // `.using(alias)` picks the database, not rows.
        let manager = match manager {
            Expr::Call(using) if using.arguments.len() == 1 => match using.func.as_ref() {
                Expr::Attribute(u) if u.attr.as_str() == "using" => u.value.as_ref(),
                _ => manager,
            },
            other => other,
        };
        let Expr::Attribute(objects) = manager else {
            return None;
        };
        let Expr::Name(model) = objects.value.as_ref() else {
            return None;
        };
        // A name bound to a queryset (its filters recorded) holds only some rows.
        if objects.attr.as_str() != "objects" || self.filters.contains_key(model.id.as_str()) {
            return None;
        }
        self.models.get(model.id.as_str()).cloned()
    }

    /// `apps.get_model("app", "Model")` (or `"app.Model"`, a factory's parameters, or a
    /// swappable model's setting, [`swappable_setting`]): the model, lower-case.
    fn get_model(&self, call: &ExprCall) -> Option<String> {
        if last_name(&call.func) != Some("get_model") {
            return None;
        }
        // `get_model(app_label=..., model_name=...)` names the same two parts (mayan-edms
        // writes every call so).
        let keyword = |name: &str| {
            call.arguments
                .keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
                .map(|k| &k.value)
        };
        let given: Vec<&Expr> = call
            .arguments
            .args
            .iter()
            .chain(keyword("app_label"))
            .chain(keyword("model_name"))
            .collect();
        let parts: Vec<String> = given
            .iter()
            .filter_map(|a| match a {
                Expr::Name(n) => self.bindings.get(n.id.as_str()).cloned(),
                Expr::Call(c) => swappable(c),
                other => literal_str(other),
            })
            .collect();
        let model = match (parts.as_slice(), given.as_slice()) {
            ([label], _) if label.contains('.') => label.clone(),
            ([app, model], _) => format!("{app}.{model}"),
            ([], [setting]) => swappable_setting(setting)?,
            _ => return None,
        };
        Some(model.to_ascii_lowercase())
    }

    /// `Model = apps.get_model(...)`, `rows = Model.objects.filter(...)`, and
    /// `row.field = value` in a loop over a model's rows.
    fn assign(&mut self, a: &StmtAssign) {
        self.new_row_copies(a);
        if let [Expr::Name(target)] = a.targets.as_slice() {
            if let Expr::Call(c) = a.value.as_ref()
                && let Some(model) = self.get_model(c)
            {
                self.models.insert(target.id.to_string(), model);
            } else if let Some(model) = root_model(&a.value, &self.models).cloned() {
                // A queryset of the model, and the fields its filters read.
                let reads = self.filters_of(&a.value, &model);
                let picks = self.set_fields_picked(&a.value);
                match flag_picked(&a.value, &self.models) {
                    Some(flag) => self.queryset_flags.insert(target.id.to_string(), flag),
                    None => self.queryset_flags.remove(target.id.as_str()),
                };
                self.filters.insert(target.id.to_string(), reads);
                self.queryset_picks.insert(target.id.to_string(), picks);
                self.models.insert(target.id.to_string(), model);
            }
        }
        for t in &a.targets {
            if let Expr::Attribute(attr) = t
                && let Expr::Name(var) = attr.value.as_ref()
                && let Some(model) = self.rows.get(var.id.as_str())
                && !matches!(a.value.as_ref(), Expr::NoneLiteral(_))
            {
                let write = (model.clone(), attr.attr.as_str().to_ascii_lowercase());
                let chosen = self.conditions > 0 || self.chosen_rows.contains(var.id.as_str());
                if !chosen && is_literal(&a.value) {
                    self.out.literal_writes.push(write.clone());
                }
                // `row.to = row.from`: the value copied as it is.
                let picks = self.row_picks_of(var.id.as_str());
                if let Some(from) = field_of(&a.value, var.id.as_str()) {
                    self.copied(&write.0, &from, (&write.0, &write.1), picks.as_deref());
                } else {
                    // `row.to = logic[(row.a, row.b)]`: computed from the row's own fields.
                    for from in fields_read(&a.value, var.id.as_str()) {
                        if from != write.1 && self.reaches_every_row(&from, picks.as_deref()) {
                            let conversion = (write.0.clone(), from, write.1.clone());
                            self.out.converted_fields.push(conversion);
                        }
                    }
                }
                self.out.writes.push(write);
            }
        }
    }

    /// The extract-model step (wger exercises 0009): in a loop over a model's rows, `base =
    /// ExerciseBase.objects.create(category=row.category)` (or `ExerciseBase(...)`), then
    /// `base.status = row.status`, and `row.exercise_base = base` links the two. Each value
    /// copied so into the new row is a copy of the field into a row linked to its source,
    /// as `Target(link=row, to=row.from)` is; one unlinked new row copies nothing.
    fn new_row_copies(&mut self, a: &StmtAssign) {
        let [target] = a.targets.as_slice() else {
            return;
        };
        match (target, a.value.as_ref()) {
            (Expr::Name(var), Expr::Call(c)) => {
                self.new_rows.remove(var.id.as_str());
                let model = match c.func.as_ref() {
                    Expr::Attribute(f) if f.attr.as_str() == "create" => {
                        root_model(&f.value, &self.models)
                    }
                    Expr::Name(n) => self.models.get(n.id.as_str()),
                    _ => None,
                };
                let Some(model) = model.cloned() else {
                    return;
                };
                // The loop row it is made for: the one its keywords read, or the only one.
                let read = c.arguments.keywords.iter().find_map(|k| match &k.value {
                    Expr::Attribute(v) => match v.value.as_ref() {
                        Expr::Name(n) if self.rows.contains_key(n.id.as_str()) => {
                            Some(n.id.to_string())
                        }
                        _ => None,
                    },
                    Expr::Name(n) if self.rows.contains_key(n.id.as_str()) => {
                        Some(n.id.to_string())
                    }
                    _ => None,
                });
                let only = (self.rows.len() == 1)
                    .then(|| self.rows.keys().next().cloned())
                    .flatten();
                let Some(source) = read.or(only) else {
                    return;
                };
                let linked = c
                    .arguments
                    .keywords
                    .iter()
                    .any(|k| matches!(&k.value, Expr::Name(n) if n.id.as_str() == source));
                for k in &c.arguments.keywords {
                    if let Some(to) = &k.arg {
                        self.copy_into_new(var.id.as_str(), &source, to.as_str(), &k.value);
                    }
                }
                let row = NewRow {
                    model,
                    source,
                    linked,
                };
                self.new_rows.insert(var.id.to_string(), row);
            }
            // `base.status = row.status`
            (Expr::Attribute(t), value) if let Expr::Name(new) = t.value.as_ref() => {
                if let Some(source) = self.new_rows.get(new.id.as_str()).map(|r| r.source.clone()) {
                    self.copy_into_new(new.id.as_str(), &source, t.attr.as_str(), value);
                }
                // `row.exercise_base = base`: the source row now points at its new row.
                if let Expr::Name(v) = value
                    && let Some(row) = self.new_rows.get_mut(v.id.as_str())
                    && row.source == new.id.as_str()
                {
                    row.linked = true;
                }
            }
            _ => {}
        }
    }

    /// `base.equipment.set(row.equipment.all())`: the links of a many-to-many field copied
    /// into a new row made for the loop row (see [`Self::new_row_copies`]).
    fn links_into_new(&mut self, c: &ExprCall) {
        let Expr::Attribute(set) = c.func.as_ref() else {
            return;
        };
        let Expr::Attribute(field) = set.value.as_ref() else {
            return;
        };
        let (Expr::Name(new), [value]) = (field.value.as_ref(), &*c.arguments.args) else {
            return;
        };
        if set.attr.as_str() != "set" {
            return;
        }
        let Some(source) = self.new_rows.get(new.id.as_str()).map(|r| r.source.clone()) else {
            return;
        };
        // `row.equipment.all()` or `row.equipment`
        let links = match value {
            Expr::Call(all) if all.arguments.is_empty() => match all.func.as_ref() {
                Expr::Attribute(a) if a.attr.as_str() == "all" => a.value.as_ref(),
                _ => return,
            },
            other => other,
        };
        self.copy_into_new(new.id.as_str(), &source, field.attr.as_str(), links);
    }

    /// `to=row.from` into the new row `new` made for the loop row `source`: kept for the end
    /// of the function, when whether the two rows are linked is known.
    fn copy_into_new(&mut self, new: &str, source: &str, to: &str, value: &Expr) {
        let (Some(from), Some(model)) = (field_of(value, source), self.rows.get(source).cloned())
        else {
            return;
        };
        if self.reaches_every_row(&from, self.row_picks_of(source).as_deref()) {
            let to = to.to_ascii_lowercase();
            self.copies_into_new
                .push((new.to_string(), model, from, to));
        }
    }

    /// `setattr(row, "field", value)` on a loop variable over a model's rows: a write of that
    /// field, or of any field when the name is computed (`setattr(row, name, value)`).
    fn set_attribute(&mut self, c: &ExprCall) {
        if !matches!(c.func.as_ref(), Expr::Name(n) if n.id.as_str() == "setattr") {
            return;
        }
        let [Expr::Name(var), name, value] = &*c.arguments.args else {
            return;
        };
        let Some(model) = self.rows.get(var.id.as_str()) else {
            return;
        };
        if matches!(value, Expr::NoneLiteral(_)) {
            return;
        }
        match literal_str(name) {
            Some(field) => self
                .out
                .writes
                .push((model.clone(), field.to_ascii_lowercase())),
            None => self.out.computed_writes.push(model.clone()),
        }
    }

    /// The fields the filters of a query chain on `model` read: those of the queryset it
    /// starts from (a name bound earlier) and its own `.filter(...)`/`.exclude(...)`.
    fn filters_of(&self, query: &Expr, model: &str) -> Vec<FieldRef> {
        let mut reads = self
            .filters
            .get(root_name(query))
            .cloned()
            .unwrap_or_default();
        filter_refs(query, model, &mut reads);
        reads
    }

    /// Record `from` copied into `to` on `model`'s rows when every row where `from` is set
    /// gets it: the rows `picks` names are all rows, or those where `from` (or another field
    /// copied alike) is set; and no `if` chooses among them.
    fn copied(&mut self, model: &str, from: &str, into: (&str, &str), picks: Option<&[String]>) {
        let (into_model, to) = into;
        if self.reaches_every_row(from, picks) && (from != to || model != into_model) {
            let copy = (
                model.to_string(),
                from.to_string(),
                into_model.to_string(),
                to.to_string(),
            );
            self.out.copied_fields.push(copy);
        }
    }

    /// Does a copy of `from` here reach every row where it is set: the rows `picks` names are
    /// all rows, or those where `from` (or another field copied alike) is set, and no `if`
    /// chooses among them?
    fn reaches_every_row(&self, from: &str, picks: Option<&[String]>) -> bool {
        let unconditional = self.conditions == self.set_tests.len()
            && self.set_tests.iter().all(|tested| tested == from);
        unconditional && picks.is_some_and(|p| p.is_empty() || p.iter().any(|f| f == from))
    }

    /// The field `if row.f:` or `if row.f is not None:` tests, for a loop variable over a
    /// model's rows, when the `if` has no `elif`/`else`.
    fn set_test(&self, stmt: &ruff_python_ast::StmtIf) -> Option<String> {
        if !stmt.elif_else_clauses.is_empty() {
            return None;
        }
        let tested = match stmt.test.as_ref() {
            Expr::Compare(c)
                if matches!(&*c.ops, [ruff_python_ast::CmpOp::IsNot])
                    && matches!(&*c.comparators, [Expr::NoneLiteral(_)]) =>
            {
                c.left.as_ref()
            }
            other => other,
        };
        let Expr::Attribute(a) = tested else {
            return None;
        };
        self.row_model(&a.value)?;
        Some(a.attr.as_str().to_ascii_lowercase())
    }

    /// `Target(link=row, to=row.from)` (also `.create(...)`) in a loop over a model's rows:
    /// each row's value copied into a new row of `target` that links back to it.
    fn copied_into_rows(&mut self, c: &ExprCall, target: &str) {
        let kws = &c.arguments.keywords;
        for kw in kws {
            let (Some(to), Expr::Attribute(src)) = (&kw.arg, as_text(&kw.value)) else {
                continue;
            };
            let Expr::Name(var) = src.value.as_ref() else {
                continue;
            };
            let Some(model) = self.rows.get(var.id.as_str()).cloned() else {
                continue;
            };
            let linked = kws
                .iter()
                .any(|k| matches!(&k.value, Expr::Name(n) if n.id == var.id));
            if linked && model != target {
                let from = src.attr.as_str().to_ascii_lowercase();
                let picks = self.row_picks_of(var.id.as_str());
                let to = to.as_str().to_ascii_lowercase();
                self.copied(&model, &from, (target, &to), picks.as_deref());
            }
        }
    }

    /// `row.title_set.update(to=row.from)` in a loop over a model's rows: each row's value
    /// copied into every row of the related model that links to it (django-cms 0030 copies
    /// `page.template` into each of the page's titles). Only Django's default accessor
    /// (`<model>_set`) names the related model.
    fn copied_into_related(&mut self, c: &ExprCall) {
        let Expr::Attribute(update) = c.func.as_ref() else {
            return;
        };
        let Expr::Attribute(accessor) = update.value.as_ref() else {
            return;
        };
        let Expr::Name(var) = accessor.value.as_ref() else {
            return;
        };
        let (Some(target), Some(model)) = (
            accessor.attr.as_str().strip_suffix("_set"),
            self.rows.get(var.id.as_str()).cloned(),
        ) else {
            return;
        };
        if update.attr.as_str() != "update" || target.is_empty() {
            return;
        }
        let picks = self.row_picks_of(var.id.as_str());
        for kw in &c.arguments.keywords {
            if let (Some(to), Some(from)) = (&kw.arg, field_of(&kw.value, var.id.as_str())) {
                let to = to.as_str().to_ascii_lowercase();
                self.copied(&model, &from, (target, &to), picks.as_deref());
            }
        }
    }

    /// The fields whose being set picks the rows of a query chain (`.filter(a__isnull=False)`,
    /// `.filter(Q(a__isnull=False) | Q(b__isnull=False))`): empty when the chain takes every
    /// row, `None` when it picks them any other way (another lookup, `.exclude`, a slice, a
    /// queryset bound with filters of its own).
    fn set_fields_picked(&self, query: &Expr) -> Option<Vec<String>> {
        match query {
            Expr::Name(n) => match self.queryset_picks.get(n.id.as_str()) {
                Some(picks) => picks.clone(),
                None => Some(Vec::new()),
            },
            Expr::Attribute(a) => self.set_fields_picked(&a.value),
            Expr::Call(c) => {
                let Expr::Attribute(a) = c.func.as_ref() else {
                    return None;
                };
                let picked = self.set_fields_picked(&a.value)?;
                match a.attr.as_str() {
                    "all" | "iterator" | "only" | "defer" | "select_related"
                    | "prefetch_related" | "order_by" | "using" => Some(picked),
                    // One test, or tests joined by `|`: a row is picked when any is set.
                    "filter" if picked.is_empty() => {
                        let mut tests = c.arguments.args.iter().map(not_null_tests).chain(
                            c.arguments.keywords.iter().map(|kw| {
                                kw.arg
                                    .as_ref()
                                    .and_then(|k| not_null_test(k, &kw.value))
                                    .map(|f| vec![f])
                            }),
                        );
                        match (tests.next(), tests.next()) {
                            (Some(only), None) => only,
                            _ => None,
                        }
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// What picks the rows a loop variable goes over, as in `row_picks`.
    fn row_picks_of(&self, var: &str) -> Option<Vec<String>> {
        self.row_picks.get(var).cloned().flatten()
    }

    /// The model whose rows `expr` loops over, when it is a loop variable.
    fn row_model(&self, expr: &Expr) -> Option<&String> {
        match expr {
            Expr::Name(var) => self.rows.get(var.id.as_str()),
            _ => None,
        }
    }

    /// A loop variable (of a `for` or a comprehension) over a model's rows.
    fn bind_rows(&mut self, target: &Expr, iter: &Expr) {
        if let Expr::Name(var) = target
            && let Some(model) = root_model(iter, &self.models).cloned()
        {
            if !self.filters_of(iter, &model).is_empty() {
                self.chosen_rows.insert(var.id.to_string());
            }
            let picks = self.set_fields_picked(iter);
            self.row_picks.insert(var.id.to_string(), picks);
            self.rows.insert(var.id.to_string(), model);
        }
    }

    /// A call to `name`, a function of the module: what it does to rows is what this function
    /// does. The models it binds itself (`apps.get_model` in its body) are followed; a model
    /// it is given as an argument is not, so its writes through one stay unattributed. What
    /// it empties is not counted (it may run under a condition here), nor are its copies
    /// when the call sits under an `if`. Too deep, recursive, or past the budget: it may write
    /// anything.
    fn follow(&mut self, name: &str) {
        let def = self.functions[name];
        if self.following.len() > FOLLOWED_CALLS
            || self.following.iter().any(|f| f == name)
            || self.budget.get() == 0
        {
            self.out.unattributed = true;
            return;
        }
        self.budget.set(self.budget.get() - 1);
        let mut following = self.following.clone();
        following.push(name.to_string());
        let sub = flow_of(def, self.functions, self.bindings, following, self.budget);
        let out = &mut self.out;
        out.writes.extend(sub.writes);
        out.literal_writes.extend(sub.literal_writes);
        out.reads.extend(sub.reads);
        out.copies.extend(sub.copies);
        if self.conditions == 0 {
            out.copied_fields.extend(sub.copied_fields);
        }
        out.computed_writes.extend(sub.computed_writes);
        out.unattributed |= sub.unattributed;
    }

    /// Calls that may write rows the flow does not attribute to a field.
    fn unattributed(&mut self, c: &ExprCall) {
        match c.func.as_ref() {
            // A helper of the module: read as part of this function.
            Expr::Name(n) if self.functions.contains_key(n.id.as_str()) => {
                self.follow(n.id.as_str());
            }
            Expr::Attribute(a) => {
                let attributed = match a.attr.as_str() {
                    "update" | "bulk_update" => root_model(&a.value, &self.models).is_some(),
                    // `row.save()` on a loop variable: its assignments are the writes.
                    "save" => matches!(a.value.as_ref(),
                        Expr::Name(v) if self.rows.contains_key(v.id.as_str())),
                    "delete" | "bulk_create" | "create" | "get_or_create" | "update_or_create"
                    | "execute" | "executemany" => false,
                    _ => true,
                };
                if !attributed {
                    self.out.unattributed = true;
                }
            }
            _ => {}
        }
    }

    /// `Model.objects...update(f=...)` and `bulk_update(objs, ["f"])`: the fields written,
    /// and the fields read into them.
    fn field_writes(&mut self, expr: &Expr, c: &ExprCall) {
        let Expr::Attribute(a) = c.func.as_ref() else {
            return;
        };
        let Some(model) = root_model(&a.value, &self.models).cloned() else {
            return;
        };
        match a.attr.as_str() {
            "update" if c.arguments.args.is_empty() => {
                let chosen = self.filters_of(&a.value, &model);
                for kw in &c.arguments.keywords {
                    if let Some(field) = &kw.arg
                        && !matches!(kw.value, Expr::NoneLiteral(_))
                    {
                        let write = (model.clone(), field.as_str().to_ascii_lowercase());
                        // A constant on rows a filter picks is chosen by that filter
                        // (`.filter(type=POOL).update(is_pool=True)`).
                        if chosen.is_empty() && is_literal(&kw.value) {
                            self.out.literal_writes.push(write.clone());
                        }
                        if let Some(from) = f_field(&kw.value) {
                            let picks = self.set_fields_picked(&a.value);
                            self.copied(&model, &from, (&model, &write.1), picks.as_deref());
                        }
                        // `.filter(required=True).update(question_required="required")`: the
                        // flag's value is kept in the other field of the same rows.
                        let flag = match a.value.as_ref() {
                            Expr::Name(n) => self.queryset_flags.get(n.id.as_str()).cloned(),
                            query => flag_picked(query, &self.models),
                        };
                        if is_literal(&kw.value)
                            && self.conditions == 0
                            && let Some((flag, picked)) = flag
                        {
                            if flag != write.1 {
                                let conversion = (model.clone(), flag, write.1.clone());
                                self.out.converted_fields.push(conversion);
                            } else if matches!(&kw.value, Expr::BooleanLiteral(b) if b.value != picked)
                            {
                                // `.filter(f=True).update(f=False)`: every row holds False now.
                                self.out.reset_fields.push(write.clone());
                            }
                        }
                        self.out.writes.push(write);
                    }
                }
                f_refs(expr, &model, &mut self.out.reads);
                // The rows it writes are chosen by the fields its filters read:
                // `.filter(filter=flt).update(filter_spec=flt.spec)` derives one from the other.
                self.out.reads.extend(chosen);
            }
            "bulk_update" => {
                if let Some(Value::List(fields)) = arg(c, Some(1), "fields").map(eval) {
                    for field in fields.iter().filter_map(Value::as_str) {
                        self.out
                            .writes
                            .push((model.clone(), field.to_ascii_lowercase()));
                    }
                }
            }
            _ => {}
        }
    }

    /// A write into one model (`update`, `create`, `get_or_create`, `update_or_create`,
    /// `bulk_create`, or a new instance `Target(...)`) whose values are read from the rows
    /// of another model being looped over (`spec=flt.spec`): that model's rows are copied.
    fn copies(&mut self, c: &ExprCall) {
        self.copied_into_related(c);
        let target = match c.func.as_ref() {
            Expr::Attribute(a)
                if matches!(
                    a.attr.as_str(),
                    "update" | "create" | "get_or_create" | "update_or_create" | "bulk_create"
                ) =>
            {
                root_model(&a.value, &self.models)
            }
            Expr::Name(n) => self.models.get(n.id.as_str()),
            _ => None,
        };
        let Some(target) = target.cloned() else {
            return;
        };
        let creates_row = match c.func.as_ref() {
            Expr::Attribute(a) => a.attr.as_str() == "create",
            _ => true,
        };
        if creates_row {
            self.copied_into_rows(c, &target);
        }
        for name in read_objects(c) {
            if let Some(source) = self.rows.get(name)
                && *source != target
            {
                self.out.copies.push((source.clone(), target.clone()));
            }
        }
    }
}

impl<'x> Visitor<'x> for Flow<'_> {
    fn visit_stmt(&mut self, stmt: &'x Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            Stmt::Assign(a) => self.assign(a),
            Stmt::For(f) => {
                self.bind_rows(&f.target, &f.iter);
                // `if ...: continue` skips rows as an `if` around the copy would.
                if let Expr::Name(var) = f.target.as_ref()
                    && skips_rows(&f.body)
                {
                    self.row_picks.insert(var.id.to_string(), None);
                }
            }
            Stmt::If(i) => {
                let tested = self.set_test(i);
                self.conditions += 1;
                if let Some(field) = tested {
                    self.visit_expr(&i.test);
                    self.set_tests.push(field);
                    self.visit_body(&i.body);
                    self.set_tests.pop();
                } else {
                    walk_stmt(self, stmt);
                }
                self.conditions -= 1;
                return;
            }
            _ => {}
        }
        walk_stmt(self, stmt);
    }

    fn visit_comprehension(&mut self, comprehension: &'x Comprehension) {
        self.bind_rows(&comprehension.target, &comprehension.iter);
        ruff_python_ast::visitor::walk_comprehension(self, comprehension);
    }

    fn visit_expr(&mut self, expr: &'x Expr) {
        if let Expr::Call(c) = expr {
            self.set_attribute(c);
            self.links_into_new(c);
            self.unattributed(c);
            self.field_writes(expr, c);
            self.copies(c);
            // `row.save()`: a method of the row, not a field read off it.
            if let Expr::Attribute(method) = c.func.as_ref()
                && self.row_model(&method.value).is_some()
            {
                self.visit_arguments(&c.arguments);
                return;
            }
        }
        // `row.field` read off a loop variable over a model's rows.
        if let Expr::Attribute(a) = expr
            && a.ctx.is_load()
            && let Some(model) = self.row_model(&a.value)
        {
            let read = (model.clone(), a.attr.as_str().to_ascii_lowercase());
            self.out.reads.push(read);
        }
        // A comprehension binds its loop variables before its element is read.
        match expr {
            Expr::ListComp(l) => {
                l.generators
                    .iter()
                    .for_each(|g| self.visit_comprehension(g));
                self.visit_expr(&l.elt);
            }
            Expr::SetComp(l) => {
                l.generators
                    .iter()
                    .for_each(|g| self.visit_comprehension(g));
                self.visit_expr(&l.elt);
            }
            Expr::Generator(l) => {
                l.generators
                    .iter()
                    .for_each(|g| self.visit_comprehension(g));
                self.visit_expr(&l.elt);
            }
            _ => walk_expr(self, expr),
        }
    }
}

/// A constant written as it is: a string, number or bool literal, or an empty list, tuple or
/// dict.
fn is_literal(expr: &Expr) -> bool {
    match expr {
        Expr::StringLiteral(_) | Expr::NumberLiteral(_) | Expr::BooleanLiteral(_) => true,
        Expr::List(l) => l.elts.is_empty(),
        Expr::Tuple(t) => t.elts.is_empty(),
        Expr::Dict(d) => d.items.is_empty(),
        _ => false,
    }
}

/// Every field `var.field` an expression reads off the name `var`, lower-case, in order.
/// A key (`var.pk`, `var.id`) names the row, not a value of it.
fn fields_read(expr: &Expr, var: &str) -> Vec<String> {
    struct Reads<'v> {
        var: &'v str,
        out: Vec<String>,
    }
    impl<'x> Visitor<'x> for Reads<'_> {
        fn visit_expr(&mut self, expr: &'x Expr) {
            if let Some(field) = field_of(expr, self.var) {
                if !matches!(field.as_str(), "pk" | "id") && !self.out.contains(&field) {
                    self.out.push(field);
                }
                return;
            }
            walk_expr(self, expr);
        }
    }
    let mut reads = Reads {
        var,
        out: Vec::new(),
    };
    reads.visit_expr(expr);
    reads.out
}

/// The field `var.field` reads off the name `var`, lower-case.
fn field_of(expr: &Expr, var: &str) -> Option<String> {
    match expr {
        Expr::Attribute(a) if matches!(a.value.as_ref(), Expr::Name(n) if n.id.as_str() == var) => {
            Some(a.attr.as_str().to_ascii_lowercase())
        }
        _ => None,
    }
}

/// `field__isnull=False` (also `is_null`, as some projects spell it): the field it tests.
fn not_null_test(keyword: &str, value: &Expr) -> Option<String> {
    let (field, lookup) = keyword.split_once("__")?;
    (matches!(lookup, "isnull" | "is_null") && matches!(value, Expr::BooleanLiteral(b) if !b.value))
        .then(|| field.to_ascii_lowercase())
}

/// The fields of `Q(a__isnull=False)`, or of such `Q`s joined by `|`.
fn not_null_tests(expr: &Expr) -> Option<Vec<String>> {
    match expr {
        Expr::Call(c) if last_name(&c.func) == Some("Q") && c.arguments.args.is_empty() => {
            match &*c.arguments.keywords {
                [kw] => Some(vec![not_null_test(kw.arg.as_ref()?, &kw.value)?]),
                _ => None,
            }
        }
        Expr::BinOp(b) if b.op == ruff_python_ast::Operator::BitOr => {
            let mut fields = not_null_tests(&b.left)?;
            fields.extend(not_null_tests(&b.right)?);
            Some(fields)
        }
        _ => None,
    }
}

/// The boolean field whose one value alone picks the rows of `Model.objects.filter(f=True)`
/// (or `False`; `.all()` before it changes nothing): a write of a constant on those rows keeps
/// the flag in the field written (pretalx submission 0058 turns `required` into
/// `question_required = "required"`).
fn flag_picked(query: &Expr, models: &HashMap<String, String>) -> Option<(String, bool)> {
    let Expr::Call(c) = query else { return None };
    let Expr::Attribute(filter) = c.func.as_ref() else {
        return None;
    };
    let [kw] = &*c.arguments.keywords else {
        return None;
    };
    let field = kw.arg.as_ref()?.as_str();
    let mut base = filter.value.as_ref();
    if let Expr::Call(all) = base
        && let Expr::Attribute(a) = all.func.as_ref()
        && a.attr.as_str() == "all"
        && all.arguments.is_empty()
    {
        base = a.value.as_ref();
    }
    let from_model = matches!(base, Expr::Attribute(o)
        if o.attr.as_str() == "objects"
            && matches!(o.value.as_ref(), Expr::Name(n) if models.contains_key(n.id.as_str())));
    let Expr::BooleanLiteral(value) = &kw.value else {
        return None;
    };
    (filter.attr.as_str() == "filter"
        && c.arguments.args.is_empty()
        && from_model
        && !field.contains("__"))
    .then(|| (field.to_ascii_lowercase(), value.value))
}

/// `x` for `str(x)`: the value as text keeps all of it (misago oauth2 0002 copies each
/// user's `sso_id` into `Subject(sub=str(user.sso_id), user=user)`); any other expression as
/// it is.
fn as_text(expr: &Expr) -> &Expr {
    match expr {
        Expr::Call(c)
            if matches!(c.func.as_ref(), Expr::Name(n) if n.id.as_str() == "str")
                && c.arguments.keywords.is_empty() =>
        {
            match &*c.arguments.args {
                [only] => only,
                _ => expr,
            }
        }
        _ => expr,
    }
}

/// The field `F("field")` names, when the expression is just that.
fn f_field(expr: &Expr) -> Option<String> {
    let Expr::Call(c) = expr else { return None };
    let [arg] = &*c.arguments.args else {
        return None;
    };
    let field = literal_str(arg)?;
    (last_name(&c.func) == Some("F") && c.arguments.keywords.is_empty() && !field.contains("__"))
        .then(|| field.to_ascii_lowercase())
}

/// A loop body that may leave some rows out: a `continue`, `break` or `return` in it, also
/// under an `if`, `with` or `try` (not in a loop of its own).
fn skips_rows(body: &[Stmt]) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::Continue(_) | Stmt::Break(_) | Stmt::Return(_) => true,
        Stmt::If(i) => {
            skips_rows(&i.body) || i.elif_else_clauses.iter().any(|c| skips_rows(&c.body))
        }
        Stmt::With(w) => skips_rows(&w.body),
        Stmt::Try(t) => {
            skips_rows(&t.body)
                || skips_rows(&t.orelse)
                || skips_rows(&t.finalbody)
                || t.handlers.iter().any(|h| match h {
                    ruff_python_ast::ExceptHandler::ExceptHandler(h) => skips_rows(&h.body),
                })
        }
        _ => false,
    })
}
