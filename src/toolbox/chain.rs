//! What the revision chain says about the schema just before one migration runs, for `mrt fix`:
//! the state the replay of its ancestors leaves ([`crate::scanner::state`]), and the source
//! text that defined each column, index and constraint in it, so a downgrade can bring them
//! back as they were written. Only a file that sits on disk among its siblings has a chain.
//! Anything the replay is not sure of comes back as `None`, and `fix` then says what it
//! cannot know instead of guessing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use ruff_python_ast::Expr;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_text_size::Ranged;

use crate::scan::{FileScan, discover, on_scan_threads, scan_file};
use crate::scanner::graph::Graph;
use crate::scanner::model::{ConstraintKind, MigrationAST, OpKind};
use crate::scanner::python::{arg, last_name};
use crate::scanner::source;
use crate::scanner::state::{Definition, Object, Replay, Schema};

/// One column as the state before the upgrade has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnBefore {
    pub name: String,
    /// The revision's `sa.Column(...)` call on one line, when its text still says what the
    /// column is (not altered since) and this file imports every name it uses.
    pub definition: Option<String>,
    /// Its type expression (`sa.String(30)`), from that definition.
    pub type_: Option<String>,
    /// `None`: the replay does not know.
    pub nullable: Option<bool>,
    /// `Some(None)`: no server default; `None`: not known.
    pub server_default: Option<Option<String>>,
    /// What the definition declares on the column itself (a primary key, `unique=True`,
    /// `index=True`, a `ForeignKey`): `create_table` needs no separate constraint for them.
    pub inline: Vec<ConstraintKind>,
}

/// One table as the state before the upgrade has it.
#[derive(Clone, Debug)]
pub struct TableBefore {
    pub name: String,
    /// False when code the replay could not read may have added columns or constraints.
    pub complete: bool,
    pub columns: Vec<ColumnBefore>,
    pub objects: Vec<Object>,
}

/// The chain of one migration file: the state before its upgrade and the sibling revisions
/// whose text defined it.
pub struct Chain {
    schema: Schema,
    /// The sibling files (the migration being fixed is not among them: it is never re-read).
    siblings: Vec<FileScan>,
    /// Graph index → index into `siblings` (`None`: the migration being fixed).
    files: Vec<Option<usize>>,
    /// The names the fixed file's imports bind: copied text may use only these.
    imported: HashSet<String>,
}

impl Chain {
    /// The chain of `target` (the model the scan built from `source`), when `path` is the file
    /// on disk with that text and its folder holds its ancestors.
    #[must_use]
    pub fn load(
        path: &str,
        source: &str,
        target: &MigrationAST,
        imported: HashSet<String>,
    ) -> Option<Chain> {
        let file = Path::new(path);
        if std::fs::read_to_string(file).ok()? != source {
            return None;
        }
        // `mrt fix 0042_x.py` run inside the versions folder: its siblings are here.
        let dir = file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let siblings = scan_siblings(history_root(dir), &file.canonicalize().ok()?)?;
        let mut migs: Vec<&MigrationAST> = Vec::with_capacity(siblings.len() + 1);
        let mut files = Vec::with_capacity(siblings.len() + 1);
        for (i, scan) in siblings.iter().enumerate() {
            if let Some(m) = &scan.migration {
                migs.push(m);
                files.push(Some(i));
            }
        }
        let at = migs.len();
        migs.push(target);
        files.push(None);
        let graph = Graph::new(migs);
        if !graph.is_canonical(at) {
            return None;
        }
        let schema = Replay::schema_before(&graph, at);
        drop(graph);
        Some(Chain {
            schema,
            siblings,
            files,
            imported,
        })
    }

    /// The source text a definition points at.
    fn text(&self, at: Definition) -> Option<&str> {
        let scan = &self.siblings[(*self.files.get(at.rev)?)?];
        scan.source
            .get(at.range.start().to_usize()..at.range.end().to_usize())
    }

    /// Can this file use `expr` as written: does it import every name it starts from?
    fn usable_here(&self, names: &[String]) -> bool {
        names.iter().all(|n| self.imported.contains(n))
    }

    /// The column before the upgrade, when the replay knows its table for sure: its type and
    /// server default as the state says they are now (an `alter_column` since its creation
    /// wins over the `Column(...)` call that created it), and its whole definition, written
    /// again from that call when the column was altered or renamed since.
    #[must_use]
    pub fn column(&self, table: &str, column: &str) -> Option<ColumnBefore> {
        let t = self.schema.table(table).filter(|t| t.sure)?;
        let col = t.column(column)?;
        let written = self.schema.written(table, column);
        let created = written
            .and_then(|w| w.created)
            .and_then(|at| self.text(at))
            .and_then(parse_column);
        let python = |text: &str| {
            let parsed = ruff_python_parser::parse_expression(text).ok()?;
            let text = one_line(text)?;
            self.usable_here(&root_names(parsed.expr())).then_some(text)
        };
        let type_ = match written.and_then(|w| w.type_.as_deref()) {
            Some(altered) => python(altered),
            None => created.as_ref().and_then(|c| python(c.type_.as_deref()?)),
        };
        let server_default = match written.and_then(|w| w.server_default.as_ref()) {
            Some(Some(altered)) => python(altered).map(Some),
            Some(None) => Some(None),
            None => match &created {
                Some(c) => match &c.server_default {
                    Some(d) => python(d).map(Some),
                    None => Some(None),
                },
                None if col.default_known && col.default.is_none() => Some(None),
                None => None,
            },
        };
        let definition = match (written, &created) {
            (Some(w), Some(c)) if w.whole => Some(c.definition.clone()),
            (Some(_), Some(c)) => rebuilt(
                c,
                &col.name,
                type_.as_deref(),
                col.nullable,
                server_default.as_ref(),
            ),
            _ => None,
        }
        .filter(|d| python(d).is_some());
        Some(ColumnBefore {
            name: col.name.clone(),
            nullable: col.nullable,
            server_default,
            type_,
            inline: created.map(|c| c.inline).unwrap_or_default(),
            definition,
        })
    }

    /// The table before the upgrade, when the replay created it itself (not an unknown one).
    #[must_use]
    pub fn table(&self, name: &str) -> Option<TableBefore> {
        let t = self.schema.table(name).filter(|t| t.sure)?;
        let columns = t
            .columns
            .iter()
            .filter_map(|c| self.column(name, &c.name))
            .collect::<Vec<_>>();
        Some(TableBefore {
            name: t.name.clone(),
            complete: t.complete && columns.len() == t.columns.len(),
            columns,
            objects: t.objects.clone(),
        })
    }

    /// The index or constraint `name` of `table` before the upgrade, when the replay is sure
    /// of it.
    #[must_use]
    pub fn object(&self, table: &str, name: &str) -> Option<Object> {
        let t = self.schema.table(table).filter(|t| t.sure)?;
        t.object(name).filter(|o| o.sure).cloned()
    }

    /// The table that holds index or constraint `name` before the upgrade, when the replay
    /// knows exactly one.
    #[must_use]
    pub fn table_of_object(&self, name: &str) -> Option<String> {
        Some(self.schema.table_of_object(name)?.name.clone())
    }

    /// The `op.create_*(...)` call that made index or constraint `name` of `table`, on one
    /// line, its receiver written as `op_name`; `None` when it was made any other way or this
    /// file cannot use its text.
    #[must_use]
    pub fn object_call(&self, table: &str, name: &str, op_name: &str) -> Option<String> {
        let at = self.schema.object_definition(table, name)?;
        let scan = &self.siblings[(*self.files.get(at.rev)?)?];
        let op = scan.migration.as_ref()?.upgrade_ops().iter().find(|o| {
            o.range == at.range
                && o.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
                && matches!(
                    o.kind,
                    OpKind::CreateIndex
                        | OpKind::CreateUniqueConstraint
                        | OpKind::CreateForeignKey
                        | OpKind::CreateCheckConstraint
                        | OpKind::CreatePrimaryKey
                )
        })?;
        // The table renamed since: the call names it by its old name.
        if !op
            .table
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(table))
        {
            return None;
        }
        // A batch block's call (`batch_op.create_index("ix", ["a"])`) names no table.
        let call = op.sql.as_deref()?.strip_prefix("op.")?;
        let text = format!("{op_name}.{}", one_line(call)?);
        let parsed = ruff_python_parser::parse_expression(&text).ok()?;
        self.usable_here(&root_names(parsed.expr())).then_some(text)
    }
}

/// Every migration file under `dir` but `target`, scanned on the scanner's threads.
/// The folder that holds a migration's whole history: the nearest `versions` folder at
/// `dir` or up to two levels above it (Alembic's `recursive_version_locations`, neutron's
/// `versions/2024.1/expand/`), else `dir` itself. A Django `migrations` folder is its app's
/// whole history.
pub(crate) fn history_root(dir: &Path) -> &Path {
    if dir.file_name().is_some_and(|n| n == "migrations") {
        return dir;
    }
    dir.ancestors()
        .take(3)
        .find(|d| d.file_name().is_some_and(|n| n == "versions"))
        .unwrap_or(dir)
}

fn scan_siblings(dir: &Path, target: &Path) -> Option<Vec<FileScan>> {
    let found = discover(&[dir.to_path_buf()]).ok()?;
    let paths: Vec<PathBuf> = found
        .into_iter()
        .map(|(_, p, _)| p)
        .filter(|p| p.canonicalize().map_or(true, |c| c != target))
        .collect();
    Some(on_scan_threads(|| {
        paths
            .par_iter()
            .filter_map(|p| {
                let bytes = source::read_file(p).ok()?;
                let scan = scan_file(p.to_string_lossy().into_owned(), 0, &bytes);
                scan.is_migration.then_some(scan)
            })
            .collect()
    }))
}

/// A `Column(...)` call as written.
#[derive(Clone, Debug, PartialEq, Eq)]
struct WrittenColumn {
    definition: String,
    /// The callee as written (`sa.Column`).
    func: String,
    /// The positional arguments after the name other than the type (`sa.ForeignKey(...)`),
    /// and the keywords other than `type_`, `nullable` and `server_default`, on one line each.
    others: Vec<String>,
    type_: Option<String>,
    /// `None` when it had none.
    server_default: Option<String>,
    inline: Vec<ConstraintKind>,
    /// The names the definition starts from (`sa` in `sa.String(30)`).
    names: Vec<String>,
}

/// A `Column(...)` call's parts, or `None` when the text is not one.
fn parse_column(text: &str) -> Option<WrittenColumn> {
    let parsed = ruff_python_parser::parse_expression(text).ok()?;
    let Expr::Call(call) = parsed.expr() else {
        return None;
    };
    if last_name(&call.func) != Some("Column") {
        return None;
    }
    let slice =
        |e: &Expr| one_line(&text[e.range()]).unwrap_or_else(|| text[e.range()].to_string());
    // As SQLAlchemy reads it: the name first, then the type, foreign keys and constraints.
    let is_true = |kw: &str| arg(call, None, kw).map(slice).as_deref() == Some("True");
    let mut inline = Vec::new();
    for (kw, kind) in [
        ("primary_key", ConstraintKind::PrimaryKey),
        ("unique", ConstraintKind::Unique),
        ("index", ConstraintKind::Index),
    ] {
        if is_true(kw) {
            inline.push(kind);
        }
    }
    let foreign_key = call
        .arguments
        .args
        .iter()
        .any(|a| matches!(a, Expr::Call(c) if last_name(&c.func) == Some("ForeignKey")));
    if foreign_key {
        inline.push(ConstraintKind::ForeignKey);
    }
    let type_at = arg(call, None, "type_").or_else(|| {
        call.arguments.args.iter().skip(1).find(|a| match a {
            Expr::Call(c) => !matches!(
                last_name(&c.func),
                Some("ForeignKey" | "CheckConstraint" | "Identity" | "Computed" | "Sequence")
            ),
            _ => true,
        })
    });
    let mut others: Vec<String> = call
        .arguments
        .args
        .iter()
        .skip(1)
        .filter(|a| type_at.is_none_or(|t| t.range() != a.range()))
        .map(slice)
        .collect();
    for k in &call.arguments.keywords {
        match k.arg.as_ref().map(ruff_python_ast::Identifier::as_str) {
            Some("type_" | "nullable" | "server_default") => {}
            Some(name) => others.push(format!("{name}={}", slice(&k.value))),
            None => others.push(format!("**{}", slice(&k.value))),
        }
    }
    Some(WrittenColumn {
        definition: one_line(text)?,
        func: slice(&call.func),
        others,
        type_: type_at.map(slice),
        server_default: arg(call, None, "server_default").map(slice),
        inline,
        names: root_names(parsed.expr()),
    })
}

/// A column written again from the call that created it, as the state has it now: its current
/// name, type, nullability and server default; `None` when the state does not know one of
/// them (never a guess).
fn rebuilt(
    created: &WrittenColumn,
    name: &str,
    type_: Option<&str>,
    nullable: Option<bool>,
    server_default: Option<&Option<String>>,
) -> Option<String> {
    let mut args = vec![crate::toolbox::py_str(name), type_?.to_string()];
    args.extend(created.others.iter().cloned());
    args.push(format!(
        "nullable={}",
        if nullable? { "True" } else { "False" }
    ));
    if let Some(default) = server_default? {
        args.push(format!("server_default={default}"));
    }
    Some(format!("{}({})", created.func, args.join(", ")))
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

/// Source text of one expression on one line, rebuilt from its tokens: comments and line
/// breaks go, tokens keep their text (string literals stay byte for byte), one space where the
/// source had any, none just inside brackets, and no trailing comma before a closing one.
/// `None` when the text is not one expression.
fn one_line(text: &str) -> Option<String> {
    use ruff_python_ast::token::TokenKind as K;
    let parsed = ruff_python_parser::parse_expression(text).ok()?;
    let tokens: Vec<_> = parsed
        .tokens()
        .iter()
        .filter(|t| {
            !matches!(
                t.kind(),
                K::Comment
                    | K::NonLogicalNewline
                    | K::Newline
                    | K::EndOfFile
                    | K::Indent
                    | K::Dedent
            )
        })
        .collect();
    let closing = |k: K| matches!(k, K::Rpar | K::Rsqb | K::Rbrace);
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<(ruff_text_size::TextSize, K)> = None;
    for (i, t) in tokens.iter().enumerate() {
        let kind = t.kind();
        if kind == K::Comma && tokens.get(i + 1).is_some_and(|n| closing(n.kind())) {
            prev = Some((t.end(), kind));
            continue;
        }
        if let Some((end, before)) = prev
            && t.start() > end
            && !matches!(before, K::Lpar | K::Lsqb | K::Lbrace)
            && !closing(kind)
        {
            out.push(' ');
        }
        out.push_str(&text[t.range()]);
        prev = Some((t.end(), kind));
    }
    Some(out)
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
        assert_eq!(c.server_default.as_deref(), Some("\"n/a\""));
        assert_eq!(c.inline, vec![ConstraintKind::ForeignKey]);
        let pk = parse_column("Column('id', Integer, primary_key=True)").unwrap();
        assert_eq!(
            (pk.type_.as_deref(), pk.server_default, pk.inline),
            (Some("Integer"), None, vec![ConstraintKind::PrimaryKey])
        );
        // Comments go and string literals stay byte for byte when the call is put on one line.
        let commented = parse_column(
            "sa.Column(\n    \"note\",  # why\n    sa.String(30),\n    server_default=\"a  ( b\",\n)",
        )
        .unwrap();
        assert_eq!(
            commented.definition,
            "sa.Column(\"note\", sa.String(30), server_default=\"a  ( b\")"
        );
        assert!(parse_column("sa.Index('ix', 'a')").is_none());
        assert!(parse_column("not python (").is_none());
    }
}
