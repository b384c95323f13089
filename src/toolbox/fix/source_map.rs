//! Where things are in the file being fixed: the calls and `with` blocks of the statements the
//! scan's operations come from, and the names its imports bind.
//!
//! The scan already walked the whole tree once; its operations carry their statements' ranges.
//! [`Index::of`] goes straight down to those statements through the blocks around them (a
//! binary search on ranges at each level) and reads only them, never the rest of the module.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall, Stmt, StmtIf, StmtWith};
use ruff_text_size::{Ranged, TextRange};

use crate::scanner::alembic::{dialect_test, offline_test};
use crate::scanner::model::{Dialects, Operation};
use crate::scanner::python::absolute_imports;

pub(super) struct Batch<'a> {
    pub call: &'a ExprCall,
    /// The header as the downgrade writes it, when it is not the call's own text (a block
    /// of a migration's helper function, with the caller's arguments in place of its
    /// parameters).
    pub header: Option<String>,
    /// The block's variable (`batch_op`); empty for `autocommit_block()`.
    pub var: String,
    pub body: TextRange,
}

/// The calls and batch blocks around the model's operations, for mapping them back to source.
pub(super) struct Index<'a> {
    /// In source order (an outer call before the calls inside it).
    pub calls: Vec<&'a ExprCall>,
    pub batches: Vec<Batch<'a>>,
    /// Statement range → the dialects the `if` branches around it let it run on, when those
    /// tests say it all: `None` when anything else decides whether it runs (a test that is not
    /// only about the dialect, such as `dialect == "sqlite" and flag` or an inner `if flag:`,
    /// a loop, a `try`, or a helper function whose caller mrt does not see from here).
    dialects: HashMap<TextRange, Option<Dialects>>,
    /// Statement range → the tests other than on the dialect that decide whether it runs.
    conditions: HashMap<TextRange, Vec<Cond<'a>>>,
}

/// A test other than on the dialect that an upgrade step runs under ([`super::conditions`]).
#[derive(Clone, Copy)]
pub(super) enum Cond<'a> {
    /// Branch `k` of this `if` (0: its body, then its `elif`/`else` clauses).
    Branch(&'a StmtIf, usize),
    /// After `if test: return` (or `raise`) in the same or an enclosing block: the test was false.
    Unless(&'a Expr),
}

impl<'a> Index<'a> {
    /// The statements of `ops`, reached from the module's top by their ranges.
    pub fn of(body: &'a [Stmt], ops: &[Operation], source: &str) -> Self {
        let mut index = Index {
            calls: Vec::new(),
            batches: Vec::new(),
            dialects: HashMap::new(),
            conditions: HashMap::new(),
        };
        // A helper function's statements, and the calls of it in upgrade() (`via`).
        for range in ops.iter().flat_map(|op| [Some(op.range), op.via]).flatten() {
            if !index.dialects.contains_key(&range) {
                let mut conditions = Vec::new();
                let dialects = index.descend(body, range, source, &mut conditions);
                index.dialects.insert(range, dialects);
                index.conditions.insert(range, conditions);
            }
        }
        // Stable: an outer call stays before the inner call that starts at the same offset.
        index.calls.sort_by_key(Ranged::start);
        index.calls.dedup_by_key(|c| c.range());
        index
    }

    /// The dialects the statement at `range` runs on, when the tests around it say exactly.
    pub fn dialects(&self, range: TextRange) -> Option<Dialects> {
        self.dialects.get(&range).copied().flatten()
    }

    /// The tests other than on the dialect that the statement at `range` runs under.
    pub fn conditions(&self, range: TextRange) -> &[Cond<'a>] {
        self.conditions.get(&range).map_or(&[], Vec::as_slice)
    }

    /// Down to the innermost statement holding `range`: the `with` blocks on the way are
    /// noted, the calls of that statement read. The dialects of the branches taken; the other
    /// tests on the way go to `conditions`.
    fn descend(
        &mut self,
        body: &'a [Stmt],
        range: TextRange,
        source: &str,
        conditions: &mut Vec<Cond<'a>>,
    ) -> Option<Dialects> {
        let mut dialects = Some(Dialects::ALL);
        let mut stmts = body;
        let mut innermost = None;
        loop {
            let i = stmts.partition_point(|s| s.end() < range.start());
            let Some(stmt) = stmts.get(i).filter(|s| s.range().contains_range(range)) else {
                break;
            };
            innermost = Some(stmt);
            conditions.extend(early_returns(&stmts[..i], source).map(Cond::Unless));
            let mut inner: &'a [Stmt] = &[];
            for (k, child) in blocks(stmt).into_iter().enumerate() {
                let holds = match (child.first(), child.last()) {
                    (Some(first), Some(last)) => {
                        TextRange::new(first.start(), last.end()).contains_range(range)
                    }
                    _ => false,
                };
                if holds {
                    let this = match stmt {
                        Stmt::If(s) if no_dialect_test(s, k, source) => {
                            conditions.push(Cond::Branch(s, k));
                            Some(Dialects::ALL)
                        }
                        Stmt::If(s) => branch_dialects(s, k, source),
                        Stmt::With(_) => Some(Dialects::ALL),
                        // upgrade(), or a helper: its caller's branches are added apart.
                        Stmt::FunctionDef(_) => Some(Dialects::ALL),
                        _ => None,
                    };
                    dialects = dialects.zip(this).map(|(a, b)| a.and(b));
                    inner = child;
                    break;
                }
            }
            if inner.is_empty() {
                break;
            }
            if let Stmt::With(w) = stmt {
                self.note_with(w);
            }
            stmts = inner;
        }
        if let Some(stmt) = innermost {
            self.visit_stmt(stmt);
        }
        dialects
    }

    /// A `with op.batch_alter_table(...) as b:` or `with ....autocommit_block():` block.
    fn note_with(&mut self, w: &'a StmtWith) {
        let (Some(first), Some(last)) = (w.body.first(), w.body.last()) else {
            return;
        };
        let body = TextRange::new(first.start(), last.end());
        if self.batches.iter().any(|b| b.body == body) {
            return;
        }
        for item in &w.items {
            let Expr::Call(call) = &item.context_expr else {
                continue;
            };
            let Expr::Attribute(a) = call.func.as_ref() else {
                continue;
            };
            match (a.attr.as_str(), item.optional_vars.as_deref()) {
                ("batch_alter_table", Some(Expr::Name(var))) => self.batches.push(Batch {
                    call,
                    header: None,
                    var: var.id.as_str().to_string(),
                    body,
                }),
                // `with op.get_context().autocommit_block():` (CONCURRENTLY needs it).
                ("autocommit_block", None) => self.batches.push(Batch {
                    call,
                    header: None,
                    var: String::new(),
                    body,
                }),
                _ => {}
            }
        }
    }
}

/// The statement lists directly inside `stmt`, in order; an `if`'s body first, then each
/// `elif`/`else` clause's.
fn blocks(stmt: &Stmt) -> Vec<&[Stmt]> {
    match stmt {
        Stmt::If(s) => std::iter::once(s.body.as_slice())
            .chain(s.elif_else_clauses.iter().map(|c| c.body.as_slice()))
            .collect(),
        Stmt::With(s) => vec![&s.body],
        Stmt::For(s) => vec![&s.body, &s.orelse],
        Stmt::While(s) => vec![&s.body, &s.orelse],
        Stmt::Try(s) => {
            let mut out = vec![s.body.as_slice()];
            for handler in &s.handlers {
                let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
                out.push(&h.body);
            }
            out.extend([s.orelse.as_slice(), s.finalbody.as_slice()]);
            out
        }
        Stmt::FunctionDef(s) => vec![&s.body],
        Stmt::ClassDef(s) => vec![&s.body],
        Stmt::Match(s) => s.cases.iter().map(|c| c.body.as_slice()).collect(),
        _ => Vec::new(),
    }
}

/// Do the tests that lead to branch `k` of an `if` say nothing about the dialect (nor about
/// Alembic's offline mode, which a downgrade run online does not meet either)?
fn no_dialect_test(s: &StmtIf, k: usize, source: &str) -> bool {
    std::iter::once(Some(s.test.as_ref()))
        .chain(s.elif_else_clauses.iter().map(|c| c.test.as_ref()))
        .take(k + 1)
        .flatten()
        .all(|t| dialect_test(t, source).is_none() && !offline_only(t, source))
}

/// `context.is_offline_mode()`, `migration_context.as_sql`, or `not` one of them.
fn offline_only(test: &Expr, source: &str) -> bool {
    match test {
        Expr::UnaryOp(u) if u.op == ruff_python_ast::UnaryOp::Not => {
            offline_only(&u.operand, source)
        }
        Expr::Attribute(a) => a.attr.as_str() == "as_sql",
        _ => offline_test(test, source).is_some(),
    }
}

/// The tests of `if test: return` (or `raise`) statements among `stmts` that are not about
/// the dialect: what follows them runs only when the test is false.
fn early_returns<'a>(stmts: &'a [Stmt], source: &str) -> impl Iterator<Item = &'a Expr> {
    stmts.iter().filter_map(move |s| match s {
        Stmt::If(i)
            if i.elif_else_clauses.is_empty()
                && matches!(i.body.last(), Some(Stmt::Return(_) | Stmt::Raise(_)))
                && dialect_test(&i.test, source).is_none()
                && !offline_only(&i.test, source) =>
        {
            Some(i.test.as_ref())
        }
        _ => None,
    })
}

/// The dialects branch `k` of an `if` (0: its body, then each `elif`/`else`) runs on: its own
/// test holds and every earlier one does not. `None` when one of them is not exactly a test
/// of the dialect.
fn branch_dialects(s: &StmtIf, k: usize, source: &str) -> Option<Dialects> {
    let tests = std::iter::once(Some(s.test.as_ref()))
        .chain(s.elif_else_clauses.iter().map(|c| c.test.as_ref()))
        .take(k + 1);
    let mut out = Dialects::ALL;
    for (j, test) in tests.enumerate() {
        let Some(test) = test else { continue };
        let this = exact_dialect_test(test, source)?;
        out = out.and(if j == k { this } else { this.complement() });
    }
    Some(out)
}

/// [`dialect_test`] when the test is about nothing but the dialect: `dialect == "sqlite" and
/// flag` is not (the scanner reads it as at most SQLite).
fn exact_dialect_test(test: &Expr, source: &str) -> Option<Dialects> {
    match test {
        Expr::BoolOp(b) => {
            let parts: Option<Vec<Dialects>> = b
                .values
                .iter()
                .map(|v| exact_dialect_test(v, source))
                .collect();
            let fold = match b.op {
                ruff_python_ast::BoolOp::And => Dialects::and,
                ruff_python_ast::BoolOp::Or => Dialects::or,
            };
            parts?.into_iter().reduce(fold)
        }
        Expr::UnaryOp(u) if u.op == ruff_python_ast::UnaryOp::Not => {
            exact_dialect_test(&u.operand, source).map(Dialects::complement)
        }
        _ => dialect_test(test, source),
    }
}

impl<'a> Visitor<'a> for Index<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let Stmt::With(w) = stmt {
            self.note_with(w);
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            self.calls.push(call);
        }
        visitor::walk_expr(self, expr);
    }
}

pub(super) use crate::scanner::project_modules::op_alias;

/// The names a module's imports bind: `import a.b as c` binds c, `import a.b` binds a,
/// `from m import x as y` binds y.
pub(super) fn imported_names(body: &[Stmt]) -> HashSet<String> {
    let mut names = HashSet::new();
    for stmt in body {
        match stmt {
            Stmt::Import(i) => names.extend(i.names.iter().map(|a| match &a.asname {
                Some(alias) => alias.to_string(),
                None => a.name.split('.').next().unwrap_or_default().to_string(),
            })),
            Stmt::ImportFrom(i) => names.extend(
                i.names
                    .iter()
                    .map(|a| a.asname.as_ref().unwrap_or(&a.name).to_string()),
            ),
            _ => {}
        }
    }
    names
}

/// `from package.module import name [as alias]` (absolute imports only): alias → (module,
/// name), for following a project's own functions.
pub(super) fn imported_from(body: &[Stmt]) -> HashMap<String, (String, String)> {
    let mut out = HashMap::new();
    for stmt in body {
        if let Stmt::ImportFrom(i) = stmt {
            for (bound, module, name) in absolute_imports(i) {
                if !module.is_empty() {
                    out.insert(bound, (module.to_string(), name.to_string()));
                }
            }
        }
    }
    out
}

/// The names the module binds outside its functions: imports, assignments, functions and
/// classes (also inside module-level `if`, `try` and `with` blocks). Generated code may read
/// only these (and builtins): a name `upgrade()` binds for itself is not there in `downgrade()`.
pub(super) fn module_names(body: &[Stmt]) -> HashSet<String> {
    fn target(e: &Expr, out: &mut HashSet<String>) {
        match e {
            Expr::Name(n) => {
                out.insert(n.id.to_string());
            }
            Expr::Tuple(t) => t.elts.iter().for_each(|e| target(e, out)),
            Expr::List(l) => l.elts.iter().for_each(|e| target(e, out)),
            _ => {}
        }
    }
    fn walk(body: &[Stmt], out: &mut HashSet<String>) {
        out.extend(imported_names(body));
        for stmt in body {
            match stmt {
                Stmt::Assign(a) => a.targets.iter().for_each(|t| target(t, out)),
                Stmt::AnnAssign(a) => target(&a.target, out),
                Stmt::FunctionDef(f) => {
                    out.insert(f.name.to_string());
                }
                Stmt::ClassDef(c) => {
                    out.insert(c.name.to_string());
                }
                Stmt::If(i) => {
                    walk(&i.body, out);
                    for clause in &i.elif_else_clauses {
                        walk(&clause.body, out);
                    }
                }
                Stmt::Try(t) => {
                    walk(&t.body, out);
                    for handler in &t.handlers {
                        let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
                        walk(&h.body, out);
                    }
                    walk(&t.orelse, out);
                    walk(&t.finalbody, out);
                }
                Stmt::With(w) => walk(&w.body, out),
                _ => {}
            }
        }
    }
    let mut out = HashSet::new();
    walk(body, &mut out);
    out
}

/// The name `import sqlalchemy [as sa]` binds, for constraints written from the chain's state.
pub(super) fn sqlalchemy_alias(body: &[Stmt]) -> Option<String> {
    body.iter().find_map(|stmt| match stmt {
        Stmt::Import(i) => i
            .names
            .iter()
            .find(|a| a.name.as_str() == "sqlalchemy")
            .map(|a| a.asname.as_ref().unwrap_or(&a.name).to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use ruff_python_ast::PySourceType;

    use super::{imported_from, imported_names};
    use crate::toolbox::chain::root_names;

    /// Is every name `expr` starts from bound by an import of `source`?
    fn names_imported(source: &str, expr: &str) -> bool {
        let module = ruff_python_parser::parse_unchecked_source(source, PySourceType::Python);
        let imported = imported_names(&module.syntax().body);
        let parsed = ruff_python_parser::parse_expression(expr).unwrap();
        root_names(parsed.expr())
            .iter()
            .all(|n| imported.contains(n))
    }

    #[test]
    fn copied_text_may_only_use_names_this_file_imports() {
        let source = "import sqlalchemy as sa\nfrom alembic import op\nfrom x import (A as B, C)\n";
        assert!(names_imported(
            source,
            "sa.Column(\"a\", sa.String(30), nullable=True)"
        ));
        assert!(names_imported(
            source,
            "sa.Column('a', B, C(1), server_default='x.y')"
        ));
        assert!(!names_imported(source, "sa.Column('a', String(30))"));
        assert!(!names_imported(
            source,
            "sa.Column('a', postgresql.JSONB())"
        ));
    }

    #[test]
    fn absolute_from_imports_are_followed_relative_ones_not() {
        let source = "from shop.utils import create as make, drop\nfrom .local import helper\n\
                      import shop.other\nfrom alembic import op\n";
        let module = ruff_python_parser::parse_unchecked_source(source, PySourceType::Python);
        let mut imports: Vec<_> = imported_from(&module.syntax().body).into_iter().collect();
        imports.sort();
        let pair = |m: &str, n: &str| (m.to_string(), n.to_string());
        assert_eq!(
            imports,
            [
                ("drop".to_string(), pair("shop.utils", "drop")),
                ("make".to_string(), pair("shop.utils", "create")),
                ("op".to_string(), pair("alembic", "op")),
            ]
        );
    }
}
