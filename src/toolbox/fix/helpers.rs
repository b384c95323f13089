//! A function of the migration itself that `upgrade()` calls with arguments, as dagster's
//! `_create_primary_key(tablename)` (called once per table) or mlflow's
//! `_add_analytics_columns()`. The scanner reads its body as part of `upgrade()`, its
//! parameters bound to the caller's arguments; each operation it makes says through which
//! call of `upgrade()` it came (`Operation::via`).
//!
//! Undone in one of two ways:
//! - the file has its natural inverse, a function named with the opposite verb
//!   (`_create_x` / `_drop_x`, `add_` / `drop_` or `remove_`, `enable_` / `disable_`,
//!   `upgrade_` / `downgrade_`) that takes the same parameters: the downgrade calls it with
//!   the caller's own argument text;
//! - otherwise each of its operations is undone as any other, in reverse order, and the
//!   helper's parameters in the generated code are replaced by the caller's argument text
//!   (`op.drop_column(tablename, "id")` → `op.drop_column("kvs", "id")`). Where that cannot be
//!   done exactly (a parameter the body reassigns, a starred argument, a parameter inside an
//!   f-string), the parameter stays and the statement becomes a marked comment, as any code
//!   that reads a name only `upgrade()` binds.

use std::collections::HashMap;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall, ExprContext, Parameters, StmtFunctionDef};
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::Item;
use super::undo::Gen;
use crate::scanner::model::Operation;

/// One call of a helper function in `upgrade()`, its parameters bound.
pub(super) struct HelperCall<'a> {
    pub def: &'a StmtFunctionDef,
    pub call: &'a ExprCall,
    /// Parameter → the caller's argument text (or the parameter's default); `None` when the
    /// parameters cannot be replaced by text (see the module doc).
    pub args: Option<HashMap<String, String>>,
}

/// Verbs whose functions undo each other.
const OPPOSITES: [(&str, &[&str]); 8] = [
    ("create", &["drop"]),
    ("add", &["drop", "remove"]),
    ("drop", &["create", "add"]),
    ("remove", &["add"]),
    ("enable", &["disable"]),
    ("disable", &["enable"]),
    ("upgrade", &["downgrade"]),
    ("downgrade", &["upgrade"]),
];

impl<'a> Gen<'a> {
    /// The helper call an operation was made through, when it is the helper's own statement
    /// (not one of a helper it calls in turn).
    pub(super) fn helper_call(&self, op: &Operation) -> Option<HelperCall<'a>> {
        let via = op.via?;
        let call = self
            .index
            .calls
            .iter()
            .copied()
            .find(|c| c.range() == via)?;
        let helper = self.helper_at(call)?;
        helper
            .def
            .range()
            .contains_range(op.range)
            .then_some(helper)
    }

    /// `call` as a call of one of the module's functions.
    pub(super) fn helper_at(&self, call: &'a ExprCall) -> Option<HelperCall<'a>> {
        let Expr::Name(name) = call.func.as_ref() else {
            return None;
        };
        let def = match self.defs.get(name.id.as_str()) {
            Some(def) => *def,
            None => *self.nested_defs.get(name.id.as_str())?,
        };
        let args = self.bind(def, call);
        Some(HelperCall { def, call, args })
    }

    /// The caller's argument text for each parameter of `def`.
    fn bind(&self, def: &StmtFunctionDef, call: &ExprCall) -> Option<HashMap<String, String>> {
        let p = &def.parameters;
        if p.vararg.is_some() || p.kwarg.is_some() || reassigns_parameter(def) {
            return None;
        }
        let positional: Vec<&str> = p
            .posonlyargs
            .iter()
            .chain(&p.args)
            .map(|a| a.parameter.name.as_str())
            .collect();
        let mut out = HashMap::new();
        for (i, arg) in call.arguments.args.iter().enumerate() {
            if matches!(arg, Expr::Starred(_)) {
                return None;
            }
            out.insert((*positional.get(i)?).to_string(), self.arg_text(arg));
        }
        for k in &call.arguments.keywords {
            let name = k.arg.as_ref()?.as_str();
            if !p
                .args
                .iter()
                .chain(&p.kwonlyargs)
                .any(|a| a.parameter.name.as_str() == name)
            {
                return None;
            }
            out.insert(name.to_string(), self.arg_text(&k.value));
        }
        for a in p.iter_non_variadic_params() {
            let name = a.parameter.name.as_str();
            if !out.contains_key(name) {
                // A default is evaluated in the module's scope: its text means the same here.
                let default = a.default.as_deref()?;
                out.insert(name.to_string(), self.arg_text(default));
            }
        }
        Some(out)
    }

    /// An argument's text, in brackets when it could bind differently where it goes.
    fn arg_text(&self, e: &Expr) -> String {
        let text = self.text(e.range());
        match e {
            Expr::Name(_)
            | Expr::Attribute(_)
            | Expr::Call(_)
            | Expr::Subscript(_)
            | Expr::StringLiteral(_)
            | Expr::BytesLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
            | Expr::List(_)
            | Expr::Dict(_) => text.to_string(),
            _ => format!("({text})"),
        }
    }

    /// The function of this file that undoes `helper` (same parameters, opposite verb).
    pub(super) fn inverse_of(&self, helper: &HelperCall<'_>) -> Option<&'a StmtFunctionDef> {
        let name = helper.def.name.as_str();
        let bare = name.trim_start_matches('_');
        let lead = &name[..name.len() - bare.len()];
        let (verb, rest) = bare.split_once('_')?;
        let (_, opposites) = OPPOSITES.iter().find(|(v, _)| *v == verb)?;
        let found: Vec<&StmtFunctionDef> = opposites
            .iter()
            .filter_map(|o| self.defs.get(format!("{lead}{o}_{rest}").as_str()).copied())
            .collect();
        let [inverse] = found.as_slice() else {
            return None;
        };
        same_parameters(&helper.def.parameters, &inverse.parameters).then_some(*inverse)
    }

    /// `inverse(<the caller's arguments>)`, the whole undo of one helper call.
    pub(super) fn call_inverse(&mut self, helper: &HelperCall<'a>, inverse: &StmtFunctionDef) {
        let func = helper.call.func.range();
        let args = TextRange::new(func.end(), helper.call.end());
        self.reversed += 1;
        let stmt = format!("{}{}", inverse.name.as_str(), self.text(args));
        self.push(None, stmt);
    }

    /// The items generated for one of `helper`'s operations, with the caller's argument text
    /// in place of its parameters (in statements and in the headers of their batch blocks).
    pub(super) fn substituted(&mut self, items: Vec<Item>, helper: &HelperCall<'a>) -> Vec<Item> {
        let Some(args) = &helper.args else {
            return items;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let Item::Stmt(block, text) = item else {
                out.push(item);
                continue;
            };
            let text = substitute(&text, args).unwrap_or(text);
            let block = block.map(|b| self.substituted_block(b, args));
            out.push(Item::Stmt(block, text));
        }
        out
    }

    /// Batch block `b` with its header's parameters replaced: a new block when that changes
    /// the header (one per header text).
    fn substituted_block(&mut self, b: usize, args: &HashMap<String, String>) -> usize {
        let batch = &self.index.batches[b];
        let own = self.text(batch.call.range());
        let Some(header) = substitute(own, args).filter(|h| h != own) else {
            return b;
        };
        if let Some(i) = self.index.batches.iter().position(|x| {
            x.call.range() == batch.call.range() && x.header.as_deref() == Some(header.as_str())
        }) {
            return i;
        }
        let copy = super::source_map::Batch {
            call: batch.call,
            header: Some(header),
            var: batch.var.clone(),
            body: batch.body,
        };
        self.index.batches.push(copy);
        self.index.batches.len() - 1
    }
}

/// `text` (one expression) with each name of `args` read in it replaced by its text; `None`
/// when a name to replace sits inside an f-string (the text may hold the same quotes) or a
/// lambda or comprehension (it may be theirs).
pub(super) fn substitute(text: &str, args: &HashMap<String, String>) -> Option<String> {
    struct Names<'s> {
        args: &'s HashMap<String, String>,
        found: Vec<(TextRange, &'s str)>,
        unsure: bool,
    }
    impl<'e> Visitor<'e> for Names<'_> {
        fn visit_expr(&mut self, expr: &'e Expr) {
            match expr {
                Expr::Name(n) => {
                    if let Some(text) = self.args.get(n.id.as_str()) {
                        self.found.push((n.range(), text));
                    }
                }
                Expr::FString(_)
                | Expr::TString(_)
                | Expr::Lambda(_)
                | Expr::ListComp(_)
                | Expr::SetComp(_)
                | Expr::DictComp(_)
                | Expr::Generator(_) => {
                    let before = self.found.len();
                    visitor::walk_expr(self, expr);
                    self.unsure |= self.found.len() > before;
                    return;
                }
                _ => {}
            }
            visitor::walk_expr(self, expr);
        }
    }
    let parsed = ruff_python_parser::parse_expression(text).ok()?;
    let mut names = Names {
        args,
        found: Vec::new(),
        unsure: false,
    };
    names.visit_expr(parsed.expr());
    if names.unsure {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = TextSize::default();
    for (range, replacement) in names.found {
        out.push_str(&text[TextRange::new(at, range.start())]);
        out.push_str(replacement);
        at = range.end();
    }
    out.push_str(&text[at.to_usize()..]);
    Some(out)
}

/// Does the function assign to one of its parameters (then its value is not the caller's)?
fn reassigns_parameter(def: &StmtFunctionDef) -> bool {
    struct Stores<'p> {
        params: Vec<&'p str>,
        hit: bool,
    }
    impl<'e> Visitor<'e> for Stores<'_> {
        fn visit_expr(&mut self, expr: &'e Expr) {
            if let Expr::Name(n) = expr
                && n.ctx != ExprContext::Load
                && self.params.contains(&n.id.as_str())
            {
                self.hit = true;
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut stores = Stores {
        params: def.parameters.iter().map(|p| p.name().as_str()).collect(),
        hit: false,
    };
    for stmt in &def.body {
        stores.visit_stmt(stmt);
    }
    stores.hit
}

/// The same parameter names, in the same places.
fn same_parameters(a: &Parameters, b: &Parameters) -> bool {
    let names = |p: &Parameters| -> Vec<(u8, String)> {
        let group = |n: u8, list: &[ruff_python_ast::ParameterWithDefault]| {
            list.iter()
                .map(|x| (n, x.parameter.name.to_string()))
                .collect::<Vec<_>>()
        };
        let mut out = group(0, &p.posonlyargs);
        out.extend(group(1, &p.args));
        out.extend(group(2, &p.kwonlyargs));
        out.extend(p.vararg.iter().map(|v| (3, v.name.to_string())));
        out.extend(p.kwarg.iter().map(|v| (4, v.name.to_string())));
        out
    };
    names(a) == names(b)
}
