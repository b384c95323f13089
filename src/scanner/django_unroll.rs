//! Loops over literal values in a Django `Migration` class (`for name in ("a", "b"):` and
//! `[migrations.DeleteModel(name=n) for n in ("A", "B")]`), unrolled: each iteration is the
//! loop's body with its variables replaced by that iteration's values, so the operations it
//! builds are read as if written out. Also the list a module function builds under another
//! name (`ops = []; ops.append(...); return ops`), read as `operations` ([`renamed`]).

use ruff_python_ast::visitor::transformer::{Transformer, walk_expr};
use ruff_python_ast::{Comprehension, Expr, Stmt};

/// How many iterations are unrolled; a longer loop stays unknown.
const MAX_ITERATIONS: usize = 64;

/// One iteration: each loop variable and the literal it holds.
pub struct Iteration<'v> {
    names: Vec<(&'v str, &'v Expr)>,
}

impl Transformer for Iteration<'_> {
    fn visit_expr(&self, expr: &mut Expr) {
        if let Expr::Name(n) = expr
            && let Some((_, value)) = self.names.iter().find(|(k, _)| *k == n.id.as_str())
        {
            *expr = (*value).clone();
            return;
        }
        walk_expr(self, expr);
    }
}

impl Iteration<'_> {
    /// A statement of the loop's body as this iteration runs it.
    #[must_use]
    pub fn stmt(&self, stmt: &Stmt) -> Stmt {
        let mut out = stmt.clone();
        self.visit_stmt(&mut out);
        out
    }

    /// An expression as this iteration evaluates it.
    #[must_use]
    pub fn expr(&self, expr: &Expr) -> Expr {
        let mut out = expr.clone();
        self.visit_expr(&mut out);
        out
    }
}

/// `stmt` with the name `from` read as `to` (a function's local list as the class's
/// `operations`).
#[must_use]
pub fn renamed(stmt: &Stmt, from: &str, to: &'static str) -> Stmt {
    struct Rename<'r> {
        from: &'r str,
        to: &'static str,
    }
    impl Transformer for Rename<'_> {
        fn visit_expr(&self, expr: &mut Expr) {
            if let Expr::Name(n) = expr
                && n.id.as_str() == self.from
            {
                n.id = ruff_python_ast::name::Name::new_static(self.to);
            }
            walk_expr(self, expr);
        }
    }
    let mut out = stmt.clone();
    Rename { from, to }.visit_stmt(&mut out);
    out
}

/// Does a function body `return` anywhere (nested functions and classes aside)?
#[must_use]
pub fn returns(body: &[Stmt]) -> bool {
    use ruff_python_ast::statement_visitor::{StatementVisitor, walk_stmt};
    struct Finds(bool);
    impl<'x> StatementVisitor<'x> for Finds {
        fn visit_stmt(&mut self, stmt: &'x Stmt) {
            match stmt {
                Stmt::Return(_) => self.0 = true,
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                _ => walk_stmt(self, stmt),
            }
        }
    }
    let mut f = Finds(false);
    f.visit_body(body);
    f.0
}

/// The iterations of `for <target> in <values>`, where `values` is a literal list or tuple
/// (or `named` resolves it to one) of literals the target unpacks. `None` otherwise, or when
/// there are more than [`MAX_ITERATIONS`].
#[must_use]
pub fn iterations<'v>(
    target: &'v Expr,
    values: &'v Expr,
    named: &dyn Fn(&str) -> Option<&'v Expr>,
) -> Option<Vec<Iteration<'v>>> {
    let values = match values {
        Expr::Name(n) => named(n.id.as_str())?,
        other => other,
    };
    let items = items(values)?;
    if items.len() > MAX_ITERATIONS {
        return None;
    }
    items
        .iter()
        .map(|item| {
            let mut names = Vec::new();
            bind(target, item, &mut names).then_some(Iteration { names })
        })
        .collect()
}

/// The iterations of a list comprehension with one `for` over literals and no condition.
#[must_use]
pub fn comprehension<'v>(
    generators: &'v [Comprehension],
    named: &dyn Fn(&str) -> Option<&'v Expr>,
) -> Option<Vec<Iteration<'v>>> {
    match generators {
        [g] if g.ifs.is_empty() && !g.is_async => iterations(&g.target, &g.iter, named),
        _ => None,
    }
}

/// Does the loop body leave the loop early (`break`, `continue`) anywhere outside nested
/// loops? Then not every iteration runs all of it.
#[must_use]
pub fn leaves_early(body: &[Stmt]) -> bool {
    body.iter().any(|s| match s {
        Stmt::Break(_) | Stmt::Continue(_) | Stmt::Return(_) => true,
        Stmt::If(i) => {
            leaves_early(&i.body) || i.elif_else_clauses.iter().any(|c| leaves_early(&c.body))
        }
        Stmt::Try(t) => {
            leaves_early(&t.body)
                || leaves_early(&t.orelse)
                || leaves_early(&t.finalbody)
                || t.handlers.iter().any(|h| match h {
                    ruff_python_ast::ExceptHandler::ExceptHandler(h) => leaves_early(&h.body),
                })
        }
        Stmt::With(w) => leaves_early(&w.body),
        Stmt::Match(m) => m.cases.iter().any(|c| leaves_early(&c.body)),
        _ => false,
    })
}

fn items(expr: &Expr) -> Option<&[Expr]> {
    match expr {
        Expr::List(l) => Some(&l.elts),
        Expr::Tuple(t) => Some(&t.elts),
        _ => None,
    }
}

/// Bind `target` (a name, or a tuple of them) to the literal `value`, unpacking tuples.
fn bind<'v>(target: &'v Expr, value: &'v Expr, out: &mut Vec<(&'v str, &'v Expr)>) -> bool {
    match target {
        Expr::Name(n) if literal(value) => {
            out.push((n.id.as_str(), value));
            true
        }
        Expr::Tuple(_) | Expr::List(_) => {
            let (Some(targets), Some(values)) = (items(target), items(value)) else {
                return false;
            };
            targets.len() == values.len()
                && targets.iter().zip(values).all(|(t, v)| bind(t, v, out))
        }
        _ => false,
    }
}

/// A value the loop can hand on as written: strings, numbers, booleans, `None`, and lists or
/// tuples of them.
fn literal(expr: &Expr) -> bool {
    match expr {
        Expr::StringLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_) => true,
        Expr::List(_) | Expr::Tuple(_) => items(expr).is_some_and(|i| i.iter().all(literal)),
        _ => false,
    }
}
