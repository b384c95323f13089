//! What the revision chain says about the schema just before one migration runs, for `mrt fix`:
//! the definitions of the columns its upgrade drops or alters, copied from the revision that
//! wrote them. Only a file that sits on disk among its siblings has a chain; anything the
//! replay is not sure of is left out, and `fix` then says what it cannot know.

use std::collections::HashMap;
use std::path::Path;

use ruff_python_ast::Expr;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_text_size::Ranged;

use crate::scanner::graph::Graph;
use crate::scanner::model::{MigrationAST, OpKind};
use crate::scanner::python::{arg, last_name};
use crate::scanner::state::Replay;

/// One column as the chain last defined it, as source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnBefore {
    /// The whole `sa.Column(...)` call, on one line.
    pub definition: String,
    /// Its type expression (`sa.String(30)`).
    pub type_: Option<String>,
    /// `True`/`False`: stated, or SQLAlchemy's default (nullable unless primary key).
    pub nullable: String,
    /// The `server_default=` expression, `None` when it had none.
    pub server_default: String,
    /// The names the definition starts from (`sa` in `sa.String(30)`): a file may copy it only
    /// when it binds them all.
    pub names: Vec<String>,
}

/// (table, column), lower-case → its definition before `path`'s upgrade. Empty when `source`
/// is not the file on disk, or the chain does not know.
#[must_use]
pub fn columns_before(path: &str, source: &str) -> HashMap<(String, String), ColumnBefore> {
    columns_before_inner(path, source).unwrap_or_default()
}

fn columns_before_inner(
    path: &str,
    source: &str,
) -> Option<HashMap<(String, String), ColumnBefore>> {
    let file = Path::new(path);
    if std::fs::read_to_string(file).ok()? != source {
        return None;
    }
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty())?;
    let wanted = file.canonicalize().ok()?;
    let scans = crate::scan::scan_paths(&[dir.to_path_buf()]).ok()?;
    let with_migration: Vec<(&str, &MigrationAST)> = scans
        .iter()
        .filter_map(|f| Some((f.path.as_str(), f.migration.as_ref()?)))
        .collect();
    let graph = Graph::new(with_migration.iter().map(|(_, m)| *m).collect());
    let target = with_migration
        .iter()
        .position(|(p, _)| Path::new(p).canonicalize().is_ok_and(|p| p == wanted))?;
    if !graph.is_canonical(target) {
        return None;
    }
    let before = Replay::schema_before(&graph, target);
    let mut texts: HashMap<usize, String> = HashMap::new();
    let mut out = HashMap::new();
    for op in graph.migs[target].upgrade_ops() {
        if !matches!(
            op.kind,
            OpKind::DropColumn | OpKind::AlterColumn | OpKind::RenameColumn
        ) {
            continue;
        }
        let (Some(table), Some(column)) = (op.table.as_deref(), op.column.as_deref()) else {
            continue;
        };
        let Some(at) = before.definition(table, column) else {
            continue;
        };
        let text = texts.entry(at.rev).or_insert_with(|| {
            std::fs::read_to_string(with_migration[at.rev].0).unwrap_or_default()
        });
        let Some(call_text) = text.get(at.range.start().into()..at.range.end().into()) else {
            continue;
        };
        if let Some(found) = parse_column(call_text) {
            out.insert(
                (table.to_ascii_lowercase(), column.to_ascii_lowercase()),
                found,
            );
        }
    }
    Some(out)
}

/// A `Column(...)` call's parts, or `None` when the text is not one.
fn parse_column(text: &str) -> Option<ColumnBefore> {
    let parsed = ruff_python_parser::parse_expression(text).ok()?;
    let Expr::Call(call) = parsed.expr() else {
        return None;
    };
    if last_name(&call.func) != Some("Column") {
        return None;
    }
    let slice = |e: &Expr| one_line(&text[e.range()]);
    // As SQLAlchemy reads it: the name first, then the type, foreign keys and constraints.
    let type_ = arg(call, None, "type_").map(slice).or_else(|| {
        call.arguments
            .args
            .iter()
            .skip(1)
            .find(|a| match a {
                Expr::Call(c) => !matches!(
                    last_name(&c.func),
                    Some("ForeignKey" | "CheckConstraint" | "Identity" | "Computed" | "Sequence")
                ),
                _ => true,
            })
            .map(slice)
    });
    let primary_key = arg(call, None, "primary_key").map(slice).as_deref() == Some("True");
    let nullable = arg(call, None, "nullable")
        .map(slice)
        .unwrap_or_else(|| if primary_key { "False" } else { "True" }.to_string());
    let server_default = arg(call, None, "server_default")
        .map(slice)
        .unwrap_or_else(|| "None".to_string());
    Some(ColumnBefore {
        definition: one_line(text),
        type_,
        nullable,
        server_default,
        names: root_names(parsed.expr()),
    })
}

/// The plain names an expression reads (`sa` in `sa.Column(...)`, `String` in `String(30)`):
/// not attributes, keywords or the text inside strings.
#[must_use]
pub fn root_names(expr: &Expr) -> Vec<String> {
    struct Names(Vec<String>);
    impl<'a> Visitor<'a> for Names {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Name(n) = expr {
                self.0.push(n.id.to_string());
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut names = Names(Vec::new());
    names.visit_expr(expr);
    names.0.sort();
    names.0.dedup();
    names.0
}

/// Source text on one line: runs of whitespace become one space, with none just inside
/// brackets and no trailing comma before a closing one.
fn one_line(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.replace("( ", "(")
        .replace(" )", ")")
        .replace(",)", ")")
        .replace("[ ", "[")
        .replace(" ]", "]")
        .replace(",]", "]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_column_definition_as_sqlalchemy_does() {
        let c = parse_column(
            "sa.Column(\n    \"phone\",\n    sa.String(30),\n    sa.ForeignKey(\"x.id\"),\n    server_default=\"n/a\",\n)",
        )
        .unwrap();
        assert_eq!(
            c.definition,
            "sa.Column(\"phone\", sa.String(30), sa.ForeignKey(\"x.id\"), server_default=\"n/a\")"
        );
        assert_eq!(c.type_.as_deref(), Some("sa.String(30)"));
        assert_eq!(c.nullable, "True");
        assert_eq!(c.server_default, "\"n/a\"");
        let pk = parse_column("Column('id', Integer, primary_key=True)").unwrap();
        assert_eq!(
            (pk.type_.as_deref(), pk.nullable.as_str()),
            (Some("Integer"), "False")
        );
        assert!(parse_column("sa.Index('ix', 'a')").is_none());
        assert!(parse_column("not python (").is_none());
    }
}
