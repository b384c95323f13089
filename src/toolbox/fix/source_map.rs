//! Where things are in the file being fixed: every call and `with` block of the module the
//! scan parsed (one walk), and the names its imports bind.

use std::collections::HashSet;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall, Stmt};
use ruff_text_size::{Ranged, TextRange};

pub(super) struct Batch<'a> {
    pub call: &'a ExprCall,
    /// The block's variable (`batch_op`); empty for `autocommit_block()`.
    pub var: String,
    pub body: TextRange,
}

/// Every call and batch block of the module, for mapping model operations back to source.
pub(super) struct Index<'a> {
    /// In source order (an outer call before the calls inside it).
    pub calls: Vec<&'a ExprCall>,
    pub batches: Vec<Batch<'a>>,
}

impl<'a> Index<'a> {
    /// One walk over the module the scan parsed.
    pub fn of(body: &'a [Stmt]) -> Self {
        let mut index = Index {
            calls: Vec::new(),
            batches: Vec::new(),
        };
        for stmt in body {
            index.visit_stmt(stmt);
        }
        // Stable: an outer call stays before the inner call that starts at the same offset.
        index.calls.sort_by_key(ruff_text_size::Ranged::start);
        index
    }
}

impl<'a> Visitor<'a> for Index<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let Stmt::With(w) = stmt
            && let (Some(first), Some(last)) = (w.body.first(), w.body.last())
        {
            for item in &w.items {
                let Expr::Call(call) = &item.context_expr else {
                    continue;
                };
                let Expr::Attribute(a) = call.func.as_ref() else {
                    continue;
                };
                let body = TextRange::new(first.start(), last.end());
                match (a.attr.as_str(), item.optional_vars.as_deref()) {
                    ("batch_alter_table", Some(Expr::Name(var))) => self.batches.push(Batch {
                        call,
                        var: var.id.as_str().to_string(),
                        body,
                    }),
                    // `with op.get_context().autocommit_block():` (CONCURRENTLY needs it).
                    ("autocommit_block", None) => self.batches.push(Batch {
                        call,
                        var: String::new(),
                        body,
                    }),
                    _ => {}
                }
            }
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
/// The name `from alembic import op [as x]` binds (default `op`).
pub(super) fn op_alias(body: &[Stmt]) -> String {
    for stmt in body {
        if let Stmt::ImportFrom(i) = stmt
            && i.module.as_ref().is_some_and(|m| m.as_str() == "alembic")
        {
            for alias in &i.names {
                if alias.name.as_str() == "op" {
                    return alias
                        .asname
                        .as_ref()
                        .unwrap_or(&alias.name)
                        .as_str()
                        .to_string();
                }
            }
        }
    }
    "op".to_string()
}

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

    use super::imported_names;
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
}
