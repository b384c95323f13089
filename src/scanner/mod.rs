//! The static scanner: discover migration files, parse each once (in parallel), build its
//! [`MigrationAST`], run the rules, check the revision graph, then apply the user's settings
//! (select/ignore, severity overrides, skipped revisions, suppression comments).

pub mod alembic;
pub mod django;
pub mod graph;
#[cfg(test)]
mod guard_tests;
pub mod model;
pub mod models;
pub mod python;
pub mod source;
pub mod sql;
pub mod state;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use ruff_python_ast::PySourceType;
use ruff_text_size::TextRange;

use crate::Error;
use crate::diagnostic::{Diagnostic, Finding, Severity};
use crate::rules::{self, Rule};

use model::{Framework, MigrationAST};
use source::Lines;

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Only these rules (None: all).
    pub select: Option<HashSet<Rule>>,
    pub ignore: HashSet<Rule>,
    /// Applied in order; `None` severity means "off".
    pub overrides: Vec<(Rule, Option<Severity>)>,
    /// Revision ids whose findings are dropped (documented as skipped in the config).
    pub skip: HashSet<String>,
}

impl Settings {
    /// Build settings from user keys (codes, kebab names or pattern names). Unknown keys in
    /// select/ignore are a usage error; unknown override keys are returned (they may name a
    /// custom check's pattern).
    pub fn from_keys(
        select: &[String],
        ignore: &[String],
        overrides: &[(String, String)],
        skip: &[String],
    ) -> Result<(Settings, Vec<String>), Error> {
        let resolve = |keys: &[String], option: &str| -> Result<HashSet<Rule>, Error> {
            let mut out = HashSet::new();
            for key in keys
                .iter()
                .flat_map(|k| k.split(','))
                .map(str::trim)
                .filter(|k| !k.is_empty())
            {
                let found = Rule::lookup(key);
                if found.is_empty() {
                    return Err(Error::Usage(format!(
                        "{option}: unknown rule '{key}' (see 'mrt rules')"
                    )));
                }
                out.extend(found);
            }
            Ok(out)
        };
        let select = if select.is_empty() {
            None
        } else {
            Some(resolve(select, "--select")?)
        };
        let ignore = resolve(ignore, "--ignore")?;
        let mut unknown = Vec::new();
        let mut resolved = Vec::new();
        for (key, severity) in overrides {
            let sev = match severity.to_ascii_lowercase().as_str() {
                "error" => Some(Severity::Error),
                "warning" => Some(Severity::Warning),
                "off" => None,
                other => {
                    return Err(Error::Usage(format!(
                        "severity_overrides['{key}']: severity must be 'error', 'warning' or 'off', got '{other}'"
                    )));
                }
            };
            let rules = Rule::lookup(key);
            if rules.is_empty() {
                unknown.push(key.clone());
            }
            resolved.extend(rules.into_iter().map(|r| (r, sev)));
        }
        Ok((
            Settings {
                select,
                ignore,
                overrides: resolved,
                skip: skip.iter().cloned().collect(),
            },
            unknown,
        ))
    }

    #[must_use]
    pub fn enabled(&self, rule: Rule) -> bool {
        !self.ignore.contains(&rule) && self.select.as_ref().is_none_or(|s| s.contains(&rule))
    }

    /// The severity after overrides; None when turned off.
    #[must_use]
    pub fn severity(&self, rule: Rule) -> Option<Severity> {
        self.severity_of_case(rule, None)
    }

    /// The severity of one finding after overrides: `case` is the rule's own severity for
    /// that case (see [`Diagnostic::severity`]); an override of the rule wins over both.
    #[must_use]
    pub fn severity_of_case(&self, rule: Rule, case: Option<Severity>) -> Option<Severity> {
        let mut sev = Some(case.unwrap_or(rule.default_severity()));
        for (r, s) in &self.overrides {
            if *r == rule {
                sev = *s;
            }
        }
        sev
    }
}

/// One scanned file.
#[derive(Debug)]
pub struct FileScan {
    pub path: String,
    /// Index of the input path it was found under (the revision graph is per input).
    pub group: usize,
    pub source: String,
    pub migration: Option<MigrationAST>,
    pub diagnostics: Vec<Diagnostic>,
    /// False for helper modules (neither Alembic nor Django): they are not reported.
    pub is_migration: bool,
}

impl FileScan {
    #[must_use]
    pub fn revision(&self) -> String {
        match &self.migration {
            Some(m) => m.revision.clone(),
            None => stem(&self.path),
        }
    }
}

/// The result of a scan: per-file data and the findings, in file then line order.
#[derive(Debug)]
pub struct ScanResult {
    pub files: Vec<FileScan>,
    pub findings: Vec<Finding>,
}

fn stem(path: &str) -> String {
    Path::new(path)
        .file_stem()
        .map_or_else(|| path.to_string(), |s| s.to_string_lossy().into_owned())
}

/// Every candidate file under the given paths, with the index of the path it came from.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<(usize, PathBuf, bool)>, Error> {
    if paths.is_empty() {
        return Err(Error::Usage(
            "no path given: pass the migrations folder (e.g. migrations/versions)".into(),
        ));
    }
    let mut out = Vec::new();
    for (group, path) in paths.iter().enumerate() {
        let meta = std::fs::metadata(path)
            .map_err(|_| Error::Usage(format!("{}: no such file or directory", path.display())))?;
        if !meta.is_dir() {
            source::check_kind(&meta)
                .map_err(|why| Error::Usage(format!("{}: {why}", path.display())))?;
            out.push((group, path.clone(), true));
            continue;
        }
        let mut stack = vec![path.clone()];
        let mut found = Vec::new();
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| {
                Error::Usage(format!("{}: cannot read directory: {e}", dir.display()))
            })?;
            for entry in entries.flatten() {
                let p = entry.path();
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let Ok(ft) = entry.file_type() else { continue };
                if ft.is_dir() {
                    if !name.starts_with('.') && name != "__pycache__" && name != "node_modules" {
                        stack.push(p);
                    }
                } else if name.ends_with(".py") && name != "__init__.py" && !name.starts_with('.') {
                    found.push(p);
                }
            }
        }
        found.sort();
        out.extend(found.into_iter().map(|p| (group, p, false)));
    }
    Ok(out)
}

/// Parse one file into its migration model and run the per-file rules.
#[must_use]
pub fn scan_file(path: String, group: usize, bytes: &[u8]) -> FileScan {
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
            return scan;
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
        return scan;
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
        return scan;
    }
    let body = &parsed.syntax().body;
    let suppressions = source::suppressions(&scan.source, parsed.tokens());
    let file_stem = stem(&scan.path);
    let migration = if let Some(class) = django::migration_class(body) {
        let d = django::read(class, &scan.source, body);
        let created = d
            .operations
            .ops
            .iter()
            .filter(|o| o.kind == model::OpKind::CreateModel)
            .filter_map(|o| o.table.clone())
            .collect();
        let hint = if scan.source.contains("postgres") {
            sql::DialectHint::Postgres
        } else {
            sql::DialectHint::Unknown
        };
        MigrationAST {
            path: scan.path.clone(),
            source: String::new(),
            framework: Framework::Django,
            revision: file_stem,
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
        }
    } else {
        let id = alembic::identity(body);
        if id.revision.is_none() && !id.has_upgrade {
            // A helper module next to the revisions (or an empty file): not a migration.
            return scan;
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
        let dialect = dialect_of(&scan.path, module.hint(), upgrade.iter().chain(&downgrade));
        MigrationAST {
            path: scan.path.clone(),
            source: String::new(),
            framework: Framework::Alembic,
            revision,
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
        }
    };
    scan.is_migration = true;
    scan.diagnostics = rules::check_migration(&migration);
    scan.migration = Some(migration);
    scan
}

/// The dialect a revision targets: its imports and `postgresql_*` arguments, else `PRAGMA`
/// statements (SQLite only), else a folder named after a database (one history per dialect).
fn dialect_of<'f>(
    path: &str,
    hint: sql::DialectHint,
    functions: impl Iterator<Item = &'f model::Function>,
) -> sql::DialectHint {
    if hint != sql::DialectHint::Unknown {
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
        return sql::DialectHint::Sqlite;
    }
    for part in Path::new(path).components().rev().skip(1) {
        match part
            .as_os_str()
            .to_string_lossy()
            .to_ascii_lowercase()
            .as_str()
        {
            "sqlite" | "sqlite3" => return sql::DialectHint::Sqlite,
            "postgresql" | "postgres" | "pg" => return sql::DialectHint::Postgres,
            "mysql" | "mariadb" => return sql::DialectHint::MySql,
            _ => {}
        }
    }
    sql::DialectHint::Unknown
}

/// The stack of every thread that parses: the parser and the model builder recurse once per
/// nesting level, and [`source::too_deep`] bounds the levels; 64 MB leaves a wide margin over
/// what the deepest accepted file needs (measured in `tests::deep_nesting_*`).
pub const STACK_BYTES: usize = 64 * 1024 * 1024;

static POOL: once_cell::sync::Lazy<Option<rayon::ThreadPool>> = once_cell::sync::Lazy::new(|| {
    rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_BYTES)
        .thread_name(|i| format!("mrt-scan-{i}"))
        .build()
        .ok()
});

/// Run `work` on the scanner's threads (large stacks; its `par_iter`s stay in that pool).
/// Every entry point that parses migration text goes through here, whatever thread calls it
/// (Python's main thread has a small stack).
pub fn on_scan_threads<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    match POOL.as_ref() {
        Some(pool) => pool.install(work),
        None => work(),
    }
}

/// Read and scan every file under `paths` (in parallel), then check each input's revision graph.
pub fn scan_paths(paths: &[PathBuf]) -> Result<Vec<FileScan>, Error> {
    on_scan_threads(|| scan_paths_here(paths))
}

fn scan_paths_here(paths: &[PathBuf]) -> Result<Vec<FileScan>, Error> {
    let files = discover(paths)?;
    let mut scans: Vec<FileScan> = files
        .par_iter()
        .map(|(group, path, _)| {
            let shown = path.to_string_lossy().into_owned();
            match source::read_file(path) {
                Ok(bytes) => scan_file(shown, *group, &bytes),
                Err(why) => {
                    let mut s = FileScan {
                        path: shown,
                        group: *group,
                        source: String::new(),
                        migration: None,
                        diagnostics: Vec::new(),
                        is_migration: true,
                    };
                    s.diagnostics.push(Diagnostic::new(
                        Rule::UnreadableFile,
                        why,
                        TextRange::default(),
                    ));
                    s
                }
            }
        })
        .collect();
    // An explicitly named file that is not a migration is a usage mistake.
    for ((_, path, explicit), scan) in files.iter().zip(&scans) {
        if *explicit && !scan.is_migration {
            let why = if scan.source.trim().is_empty() {
                "empty file"
            } else {
                "no revision, upgrade() or Django Migration class"
            };
            return Err(Error::Usage(format!(
                "{}: not an Alembic or Django migration ({why})",
                path.display()
            )));
        }
    }
    for (group, path) in paths.iter().enumerate() {
        // Binary or special files do not make a folder of migrations: a folder of only those
        // is bad input (exit 2), not a finding. (A mis-encoded text file still is a finding.)
        let unreadable = |s: &FileScan| {
            s.migration.is_none()
                && s.diagnostics.iter().all(|d| {
                    d.rule == Rule::UnreadableFile
                        && (d.message.starts_with(source::BINARY)
                            || d.message.starts_with(source::NOT_REGULAR))
                })
        };
        if !scans
            .iter()
            .any(|s| s.group == group && s.is_migration && !unreadable(s))
        {
            let why = scans
                .iter()
                .find(|s| s.group == group && s.is_migration)
                .and_then(|s| Some(format!("; {}: {}", s.path, s.diagnostics.first()?.message)))
                .unwrap_or_default();
            return Err(Error::Usage(format!(
                "{}: no migration files found (expected Alembic revisions or Django migrations{why})",
                path.display()
            )));
        }
    }
    scans.retain(|s| s.is_migration);
    for (group, root) in paths.iter().enumerate() {
        // A file given on its own is part of a history we do not see: graph rules on it
        // would report its parent, kept next to it, as missing. Graphs need a folder.
        if !root.is_dir() {
            continue;
        }
        let idx: Vec<usize> = (0..scans.len())
            .filter(|&i| {
                scans[i].group == group
                    && scans[i]
                        .migration
                        .as_ref()
                        .is_some_and(|m| m.framework == Framework::Alembic && m.revision_declared)
            })
            .collect();
        for part in graph_parts(&scans, &idx, root) {
            graph_check(&mut scans, &part);
        }
    }
    django_apps(&mut scans);
    Ok(scans)
}

/// Django migrations grouped by app (their folder), each app in file-name order (Django's
/// numbering), for the rules that replay an app's field state.
fn django_apps(scans: &mut [FileScan]) {
    let mut apps: std::collections::BTreeMap<(usize, PathBuf), Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, s) in scans.iter().enumerate() {
        if s.migration
            .as_ref()
            .is_some_and(|m| m.framework == Framework::Django)
        {
            let dir = Path::new(&s.path)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            apps.entry((s.group, dir)).or_default().push(i);
        }
    }
    for mut idx in apps.into_values() {
        idx.sort_by(|&a, &b| scans[a].path.cmp(&scans[b].path));
        let found = {
            let migs: Vec<&MigrationAST> = idx
                .iter()
                .filter_map(|&i| scans[i].migration.as_ref())
                .collect();
            rules::check_django_app(&migs)
        };
        for (k, d) in found {
            scans[idx[k]].diagnostics.push(d);
        }
    }
}

/// The revision graphs under one input path. Subfolders normally split one history
/// (`versions/<release>/*.py`), but sibling folders that declare the same revision ids are
/// separate histories (one per database dialect, as Prefect ships them).
fn graph_parts(scans: &[FileScan], idx: &[usize], root: &Path) -> Vec<Vec<usize>> {
    let top = |i: usize| -> String {
        let path = Path::new(&scans[i].path);
        let rel = path.strip_prefix(root).unwrap_or(path);
        let mut parts = rel.components();
        match (parts.next(), parts.next()) {
            (Some(first), Some(_)) => first.as_os_str().to_string_lossy().into_owned(),
            _ => String::new(),
        }
    };
    let mut owner: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    let mut split = false;
    for &i in idx {
        let Some(m) = &scans[i].migration else {
            continue;
        };
        let folder = top(i);
        if let Some(prev) = owner.insert(m.revision.as_str(), folder.clone())
            && prev != folder
        {
            split = true;
            break;
        }
    }
    let mut parts: std::collections::BTreeMap<String, Vec<usize>> =
        std::collections::BTreeMap::new();
    for &i in idx {
        parts.entry(top(i)).or_default().push(i);
    }
    // Separate histories each start at their own base; release folders do not.
    let own_base = |part: &Vec<usize>| {
        part.iter().any(|&i| {
            scans[i]
                .migration
                .as_ref()
                .is_some_and(|m| m.down_revision.ids().is_empty())
        })
    };
    if !split || !parts.values().all(own_base) {
        return if idx.is_empty() {
            Vec::new()
        } else {
            vec![idx.to_vec()]
        };
    }
    parts.into_values().collect()
}

fn graph_check(scans: &mut [FileScan], idx: &[usize]) {
    {
        // Graph indexes count only the files that have a migration.
        let with_migration: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| scans[i].migration.is_some())
            .collect();
        let result = {
            let migs: Vec<&MigrationAST> = with_migration
                .iter()
                .filter_map(|&i| scans[i].migration.as_ref())
                .collect();
            rules::check_graph(&graph::Graph::new(migs))
        };
        for (k, rule, range) in result.cleared {
            scans[with_migration[k]]
                .diagnostics
                .retain(|d| !(d.rule == rule && d.range == range));
        }
        for (k, d) in result.found {
            scans[with_migration[k]].diagnostics.push(d);
        }
    }
}

/// Apply the settings and suppressions, and turn diagnostics into located findings.
#[must_use]
pub fn findings(scans: &[FileScan], settings: &Settings) -> Vec<Finding> {
    on_scan_threads(|| {
        scans
            .par_iter()
            .flat_map_iter(|scan| file_findings(scan, settings))
            .collect()
    })
}

fn file_findings(scan: &FileScan, settings: &Settings) -> Vec<Finding> {
    let revision = scan.revision();
    if settings.skip.contains(&revision)
        || scan.diagnostics.is_empty()
            && scan
                .migration
                .as_ref()
                .is_none_or(|m| m.suppressions.is_empty())
    {
        return Vec::new();
    }
    let lines = Lines::new(&scan.source);
    let suppressions = scan
        .migration
        .as_ref()
        .map_or(&[][..], |m| m.suppressions.as_slice());
    let supp_lines: Vec<usize> = suppressions
        .iter()
        .map(|s| lines.line(s.range.start()))
        .collect();
    let mut used: Vec<HashSet<String>> = vec![HashSet::new(); suppressions.len()];
    let mut blanket_used = vec![false; suppressions.len()];
    let mut out = Vec::new();
    let emit = |rule: Rule,
                case: Option<Severity>,
                message: String,
                fix: Option<String>,
                range: TextRange,
                out: &mut Vec<Finding>| {
        let Some(severity) = settings.severity_of_case(rule, case) else {
            return;
        };
        let (line, column) = lines.line_col(range.start());
        let (end_line, end_column) = lines.line_col(range.end());
        out.push(Finding {
            revision: revision.clone(),
            file: scan.path.clone(),
            rule,
            pattern: rule.pattern().to_string(),
            severity,
            message,
            line,
            column,
            end_line,
            end_column,
            fix,
        });
    };
    for d in &scan.diagnostics {
        if !settings.enabled(d.rule) {
            continue;
        }
        let (first, last) = lines.line_span(d.range);
        let mut suppressed = false;
        for (i, s) in suppressions.iter().enumerate() {
            if supp_lines[i] < first || supp_lines[i] > last {
                continue;
            }
            if s.codes.is_empty() {
                blanket_used[i] = true;
                suppressed = true;
            } else if let Some(code) = s
                .codes
                .iter()
                .find(|c| *c == d.rule.code() || Rule::lookup(c).contains(&d.rule))
            {
                // Our codes, or the 1.9.1 ones (`# noqa: MRT201`) that map to this rule.
                used[i].insert(code.clone());
                suppressed = true;
            }
        }
        if !suppressed {
            emit(
                d.rule,
                d.severity,
                d.message.clone(),
                d.fix.clone(),
                d.range,
                &mut out,
            );
        }
    }
    if settings.enabled(Rule::UnusedSuppression) {
        for (i, s) in suppressions.iter().enumerate() {
            let message = if s.codes.is_empty() {
                if blanket_used[i] {
                    continue;
                }
                "suppression comment matches no finding on this statement".to_string()
            } else {
                let unknown: Vec<&str> = s
                    .codes
                    .iter()
                    .filter(|c| Rule::lookup(c).is_empty() && !rules::is_retired_code(c))
                    .map(String::as_str)
                    .collect();
                let unused: Vec<&str> = s
                    .codes
                    .iter()
                    .filter(|c| {
                        !used[i].contains(*c)
                            && Rule::lookup(c).iter().any(|r| settings.enabled(*r))
                    })
                    .map(String::as_str)
                    .collect();
                if !unknown.is_empty() {
                    format!(
                        "suppression names unknown rule code(s): {}",
                        unknown.join(", ")
                    )
                } else if !unused.is_empty() {
                    format!(
                        "suppression of {} matches no finding on this statement",
                        unused.join(", ")
                    )
                } else {
                    continue;
                }
            };
            emit(
                Rule::UnusedSuppression,
                None,
                message,
                Some("remove the stale suppression comment".to_string()),
                s.range,
                &mut out,
            );
        }
    }
    out.sort_by_key(|f| (f.line, f.column, f.rule));
    out
}

/// Scan and resolve findings in one go.
pub fn scan(paths: &[PathBuf], settings: &Settings) -> Result<ScanResult, Error> {
    let files = scan_paths(paths)?;
    let findings = findings(&files, settings);
    Ok(ScanResult { files, findings })
}

/// The graph rules and the replay over one file on its own (a chain of one revision).
/// Without `folder_rules`, rules about the folder's revision graph (missing parents, heads,
/// ...) are left out: the file was given without its folder.
pub fn check_alone(file: &mut FileScan, folder_rules: bool) {
    let Some(m) = file
        .migration
        .as_ref()
        .filter(|m| m.framework == Framework::Alembic && m.revision_declared)
    else {
        return;
    };
    let result = rules::check_graph(&graph::Graph::new(vec![m]));
    for (_, rule, range) in result.cleared {
        file.diagnostics
            .retain(|d| !(d.rule == rule && d.range == range));
    }
    file.diagnostics.extend(
        result
            .found
            .into_iter()
            .map(|(_, d)| d)
            .filter(|d| folder_rules || rules::STATE_RULES.contains(&d.rule)),
    );
}

/// Convenience for tests: the findings of one in-memory file.
#[must_use]
pub fn scan_source(path: &str, source: &str) -> Vec<Finding> {
    let mut file = scan_file(path.to_string(), 0, source.as_bytes());
    check_alone(&mut file, true);
    let mut files = vec![file];
    django_apps(&mut files);
    findings(&files, &Settings::default())
}
