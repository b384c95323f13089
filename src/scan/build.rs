//! Model building: parse one file, recognise it as a Django or Alembic migration, build its
//! [`MigrationAST`] (guessing the SQL dialect it targets) and run the per-file rules.

use std::path::Path;

use ruff_python_ast::{ModModule, PySourceType, Stmt, StmtClassDef};
use ruff_python_parser::Parsed;
use ruff_text_size::TextRange;

use super::{FileScan, stem};
use crate::diagnostic::Diagnostic;
use crate::rules::{self, Rule};
use crate::scanner::model::{self, Framework, MigrationAST, Suppression};
use crate::scanner::{alembic, django, source};

/// Parse one file into its migration model and run the per-file rules.
#[must_use]
pub fn scan_file(path: String, group: usize, bytes: &[u8]) -> FileScan {
    scan_file_with_syntax(path, group, bytes).0
}

/// [`scan_file`], also handing back the parsed module (when the file parsed) so that a tool
/// working on the same text (`mrt fix`) reads the syntax tree the model came from instead of
/// parsing the file a second time.
#[must_use]
pub fn scan_file_with_syntax(
    path: String,
    group: usize,
    bytes: &[u8],
) -> (FileScan, Option<Parsed<ModModule>>) {
    let mut scan = FileScan {
        path,
        group,
        source: String::new(),
        migration: None,
        diagnostics: Vec::new(),
        is_migration: false,
    };
    let source = match source::decode(bytes) {
        Ok(s) => s,
        Err(msg) => {
            scan.is_migration = true;
            scan.diagnostics.push(Diagnostic::new(
                Rule::UnreadableFile,
                msg,
                TextRange::default(),
            ));
            return (scan, None);
        }
    };
    scan.source = source;
    // The parser and the model builder recurse: hostile nesting gets one finding, not a
    // stack overflow (and Python itself could not import such a file).
    if let Some((offset, why)) = source::too_deep(&scan.source) {
        scan.is_migration = true;
        scan.diagnostics.push(Diagnostic::new(
            Rule::UnreadableFile,
            why,
            TextRange::empty(offset),
        ));
        return (scan, None);
    }
    let parsed = ruff_python_parser::parse_unchecked_source(&scan.source, PySourceType::Python);
    if let Some(err) = parsed.errors().first() {
        scan.is_migration = true;
        scan.diagnostics.push(
            Diagnostic::new(
                Rule::SyntaxError,
                format!("syntax error: {}", err.error),
                err.location,
            )
            .with_fix("fix the Python syntax; Alembic/Django cannot import this file either"),
        );
        return (scan, None);
    }
    let body = &parsed.syntax().body;
    let suppressions = source::suppressions(&scan.source, parsed.tokens());
    let file_stem = stem(&scan.path);
    let migration = if let Some(class) = django::migration_class(body) {
        django_migration(&scan, class, body, suppressions, file_stem)
    } else {
        let Some(migration) = alembic_migration(&scan, body, suppressions, file_stem) else {
            // A helper module next to the revisions (or an empty file): not a migration.
            return (scan, Some(parsed));
        };
        migration
    };
    scan.is_migration = true;
    scan.diagnostics = rules::check_migration(&migration);
    scan.migration = Some(migration);
    (scan, Some(parsed))
}

/// The model of a Django migration (the `Migration` class `class` of the module `body`).
fn django_migration(
    scan: &FileScan,
    class: &StmtClassDef,
    body: &[Stmt],
    suppressions: Vec<Suppression>,
    file_stem: String,
) -> MigrationAST {
    let d = django::read(
        class,
        &scan.source,
        body,
        Some(std::path::Path::new(&scan.path)),
    );
    let created = d
        .operations
        .ops
        .iter()
        .filter(|o| o.kind == model::OpKind::CreateModel)
        .filter_map(|o| o.table.clone())
        .collect();
    let hint = if imports_postgres(body) {
        model::DialectHint::Postgres
    } else {
        model::DialectHint::Unknown
    };
    MigrationAST {
        path: scan.path.clone(),
        framework: Framework::Django,
        revision: file_stem,
        title: docstring_title(body),
        revision_declared: false,
        revision_range: d.header,
        down_revision: d.dependencies,
        branch_labels: Vec::new(),
        depends_on: Vec::new(),
        upgrade: Some(d.operations),
        downgrade: None,
        atomic: d.atomic,
        replaces: d.replaces,
        class_range: d.header,
        suppressions,
        dialect: hint,
        created_tables: created,
        django: Some(Box::new(d.facts)),
    }
}

/// The model of an Alembic revision, or `None` for a module that declares no revision and
/// has no `upgrade()`.
fn alembic_migration(
    scan: &FileScan,
    body: &[Stmt],
    suppressions: Vec<Suppression>,
    file_stem: String,
) -> Option<MigrationAST> {
    let id = alembic::identity(body);
    if id.revision.is_none() && !id.has_upgrade {
        return None;
    }
    let module = alembic::Module::new(&scan.source, body).at(&scan.path);
    let upgrade = module.function("upgrade");
    let downgrade = module.function("downgrade");
    let created = upgrade
        .as_ref()
        .map(|f| {
            f.ops
                .iter()
                .filter(|o| o.kind == model::OpKind::CreateTable)
                .filter_map(|o| o.table.clone())
                .collect()
        })
        .unwrap_or_default();
    let (revision, revision_range, declared) = match id.revision {
        Some((r, range)) => (r, range, true),
        None => (
            file_stem,
            upgrade.as_ref().map(|f| f.header).unwrap_or_default(),
            false,
        ),
    };
    let dialect = dialect_of(
        &scan.path,
        module.hint(),
        module.hint_from_arguments(),
        upgrade.iter().chain(&downgrade),
    );
    Some(MigrationAST {
        path: scan.path.clone(),
        framework: Framework::Alembic,
        revision,
        title: docstring_title(body),
        revision_declared: declared,
        revision_range,
        down_revision: id.down_revision,
        branch_labels: id.branch_labels,
        depends_on: id.depends_on,
        upgrade,
        downgrade,
        atomic: true,
        replaces: 0,
        class_range: TextRange::default(),
        suppressions,
        dialect,
        created_tables: created,
        django: None,
    })
}

/// The first line of the module's docstring, where Alembic writes the revision message
/// (`"""Add users\n\nRevision ID: ..."""` → `Add users`); empty without one.
fn docstring_title(body: &[Stmt]) -> String {
    let Some(Stmt::Expr(first)) = body.first() else {
        return String::new();
    };
    let ruff_python_ast::Expr::StringLiteral(doc) = first.value.as_ref() else {
        return String::new();
    };
    let text = doc.value.to_str();
    text.trim_start()
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Whether a Django migration imports from a PostgreSQL module (`django.contrib.postgres`):
/// its operations and fields only run there.
fn imports_postgres(body: &[Stmt]) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::Import(i) => i.names.iter().any(|a| a.name.contains("postgres")),
        Stmt::ImportFrom(i) => i.module.as_ref().is_some_and(|m| m.contains("postgres")),
        _ => false,
    })
}

/// The dialect a revision targets: its imports, else `PRAGMA` statements (SQLite only), else a
/// folder named after a database (one history per dialect), else `postgresql_*` arguments.
/// Those arguments come last: other dialects ignore them, so a revision in prefect's
/// `versions/sqlite` folder keeps the `postgresql_include=` its PostgreSQL twin has.
fn dialect_of<'f>(
    path: &str,
    hint: model::DialectHint,
    hint_from_arguments: bool,
    functions: impl Iterator<Item = &'f model::Function>,
) -> model::DialectHint {
    if hint != model::DialectHint::Unknown && !hint_from_arguments {
        return hint;
    }
    let pragma = functions
        .flat_map(|f| &f.ops)
        // A PRAGMA in an `if dialect == "sqlite":` branch says nothing about the file.
        .any(|o| {
            o.kind == model::OpKind::Read
                && o.name.as_deref() == Some("PRAGMA")
                && o.dialects.is_all()
        });
    if pragma {
        return model::DialectHint::Sqlite;
    }
    for part in Path::new(path).components().rev().skip(1) {
        match part
            .as_os_str()
            .to_string_lossy()
            .to_ascii_lowercase()
            .as_str()
        {
            "sqlite" | "sqlite3" => return model::DialectHint::Sqlite,
            "postgresql" | "postgres" | "pg" => return model::DialectHint::Postgres,
            "mysql" | "mariadb" => return model::DialectHint::MySql,
            _ => {}
        }
    }
    hint
}
