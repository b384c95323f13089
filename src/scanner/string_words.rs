//! Which tables a migration's strings name outside `downgrade()`: the dynamic check's
//! suspects when an upgrade fails on data with an error that names no table (raw SQL such
//! as `"UPDATE spans SET ..."`, `sa.table("spans", ...)`, also in the helpers the upgrade
//! calls). A string is taken whole, as Python holds it: implicitly concatenated parts and an
//! f-string's text between two `{}` are one string.

use std::collections::HashSet;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{
    Expr, FStringPart, InterpolatedStringElement, InterpolatedStringElements, Stmt,
};

/// The `tables` that some string of `source` outside any function named `downgrade` holds as
/// a word (letters, digits and `_`), compared case-insensitively; none when the file does not
/// parse.
#[must_use]
pub fn tables_named_in_strings(source: &str, tables: &[String]) -> Vec<String> {
    let Ok(parsed) = ruff_python_parser::parse_module(source) else {
        return Vec::new();
    };
    let mut words = Words(HashSet::new());
    words.visit_body(parsed.suite());
    tables
        .iter()
        .filter(|t| words.0.contains(&t.to_lowercase()))
        .cloned()
        .collect()
}

struct Words(HashSet<String>);

impl Words {
    fn add(&mut self, text: &str) {
        let words = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase);
        self.0.extend(words);
    }

    /// The text of an f-string's elements, a run of literal text at a time; the expressions
    /// (and their format specs) are visited on their own.
    fn add_elements(&mut self, elements: &InterpolatedStringElements, text: &mut String) {
        for element in elements {
            match element {
                InterpolatedStringElement::Literal(literal) => text.push_str(&literal.value),
                InterpolatedStringElement::Interpolation(field) => {
                    self.add(&std::mem::take(text));
                    self.visit_expr(&field.expression);
                    if let Some(spec) = &field.format_spec {
                        let mut spec_text = String::new();
                        self.add_elements(&spec.elements, &mut spec_text);
                        self.add(&spec_text);
                    }
                }
            }
        }
    }
}

impl<'a> Visitor<'a> for Words {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let Stmt::FunctionDef(def) = stmt
            && def.name.as_str() == "downgrade"
        {
            return; // its decorators, defaults and body included
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::StringLiteral(literal) => self.add(literal.value.to_str()),
            Expr::FString(fstring) => {
                let mut text = String::new();
                for part in &fstring.value {
                    match part {
                        FStringPart::Literal(literal) => text.push_str(&literal.value),
                        FStringPart::FString(f) => self.add_elements(&f.elements, &mut text),
                    }
                }
                self.add(&text);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tables_named_in_strings;

    fn named(source: &str, tables: &[&str]) -> Vec<String> {
        let tables: Vec<String> = tables.iter().map(ToString::to_string).collect();
        tables_named_in_strings(source, &tables)
    }

    #[test]
    fn strings_outside_downgrade_name_tables_as_whole_words() {
        let source = r#"
def upgrade():
    op.execute("UPDATE Spans SET x = 1")
    op.execute("DELETE FROM " "run" "s_old")
    op.execute(f"UPDATE {name} SET y = 'tasks'")
    op.execute(b"UPDATE blobs SET z = 1")

def helper(t="jobs"):
    return sa.table("users")

def downgrade(t="hidden"):
    op.execute("UPDATE spans_old SET x = 0")
"#;
        assert_eq!(
            named(
                source,
                &[
                    "spans",
                    "runs_old",
                    "tasks",
                    "blobs",
                    "jobs",
                    "users",
                    "hidden",
                    "spans_old",
                    "name"
                ]
            ),
            ["spans", "runs_old", "tasks", "jobs", "users"]
        );
    }

    #[test]
    fn a_file_that_does_not_parse_names_nothing() {
        assert!(named("def upgrade(:\n    'users'", &["users"]).is_empty());
    }
}
