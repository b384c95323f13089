//! The static scanner's Python surface: `check_cli` (scan + render in one call for the CLI's
//! hot path), `scan` (findings and, on request, the parsed migrations for `custom_checks`),
//! `rules` and `rule_doc`.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::errors::guarded;
use crate::Error;
use crate::diagnostic::Finding;
use crate::render::{self, Format};
use crate::rules::{ALL, Rule};
use crate::scan::{FileScan, Settings};
use crate::scanner::model::{Operation, Parents};
use crate::scanner::source::Lines;
use crate::{scan as driver, scanner};

fn settings(
    select: &[String],
    ignore: &[String],
    overrides: &[(String, String)],
    skip: &[String],
) -> Result<(Settings, Vec<String>), Error> {
    Settings::from_keys(select, ignore, overrides, skip)
}

/// One static finding, as `RiskWarning` takes it (read-only; `static.py` copies it into the
/// public dataclass, which custom checks also build).
#[pyclass(name = "Finding", module = "pytest_mrt._core", frozen, get_all)]
pub struct PyFinding {
    revision: String,
    file: String,
    pattern: String,
    /// `error` or `warning`.
    severity: &'static str,
    message: String,
    line: usize,
    /// The rule code (`MRT001`).
    rule: &'static str,
    column: usize,
    fix: Option<String>,
}

impl From<&Finding> for PyFinding {
    fn from(f: &Finding) -> Self {
        PyFinding {
            revision: f.revision.clone(),
            file: f.file.clone(),
            pattern: f.pattern.clone(),
            severity: f.severity.as_str(),
            message: f.message.clone(),
            line: f.line,
            rule: f.rule.code(),
            column: f.column,
            fix: f.fix.clone(),
        }
    }
}

#[pymethods]
impl PyFinding {
    fn __repr__(&self) -> String {
        format!(
            "<Finding {} {}:{} {}>",
            self.rule, self.file, self.line, self.message
        )
    }
}

/// Scan `paths` and render the findings: `(text, exit_code, notes)`. `notes` are one-line
/// remarks for stderr (override keys that name no rule).
#[pyfunction]
#[pyo3(signature = (paths, format="table", select=Vec::new(), ignore=Vec::new(), overrides=Vec::new(), skip=Vec::new(), strict=false, width=80))]
#[allow(clippy::too_many_arguments)]
fn check_cli(
    py: Python<'_>,
    paths: Vec<String>,
    format: &str,
    select: Vec<String>,
    ignore: Vec<String>,
    overrides: Vec<(String, String)>,
    skip: Vec<String>,
    strict: bool,
    width: usize,
) -> PyResult<(String, i32, Vec<String>)> {
    let format = format.to_string();
    let out = py.detach(move || {
        guarded(|| {
            let format = Format::parse(&format)?;
            let (settings, unknown) = settings(&select, &ignore, &overrides, &skip)?;
            let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
            let result = driver::scan(&paths, &settings)?;
            let ctx = render::Context {
                width,
                files: result.files.len(),
                strict,
                version: crate::version(),
            };
            let text = render::render(&result.findings, format, &ctx);
            let notes = unknown
                .into_iter()
                .map(|k| {
                    format!("severity_overrides: '{k}' names no built-in rule or pattern (ignored)")
                })
                .collect();
            Ok((text, render::exit_code(&result.findings, strict), notes))
        })
    })?;
    Ok(out)
}

fn op_dict<'py>(
    py: Python<'py>,
    op: &Operation,
    lines: &Lines<'_>,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("kind", op.kind.as_str())?;
    d.set_item("table", op.table.as_deref())?;
    d.set_item("column", op.column.as_deref())?;
    d.set_item("name", op.name.as_deref().or(op.new_name.as_deref()))?;
    d.set_item("line", lines.line(op.range.start()))?;
    let kwargs = PyDict::new(py);
    for k in &op.kwargs {
        kwargs.set_item(&k.name, &k.text)?;
    }
    d.set_item("kwargs", kwargs)?;
    d.set_item("sql", op.sql.as_deref())?;
    Ok(d)
}

fn migration_dict<'py>(py: Python<'py>, file: &FileScan) -> PyResult<Option<Bound<'py, PyDict>>> {
    let Some(m) = &file.migration else {
        return Ok(None);
    };
    let lines = Lines::new(&file.source);
    let d = PyDict::new(py);
    d.set_item("revision", &m.revision)?;
    match &m.down_revision {
        Parents::None => d.set_item("down_revision", py.None())?,
        Parents::One(id) => d.set_item("down_revision", id)?,
        Parents::Many(ids) => d.set_item("down_revision", PyTuple::new(py, ids)?)?,
    }
    d.set_item("filename", &file.path)?;
    d.set_item("source", &file.source)?;
    d.set_item("kind", m.framework.as_str())?;
    d.set_item("has_downgrade", m.downgrade.is_some())?;
    d.set_item("branch_labels", PyList::new(py, &m.branch_labels)?)?;
    d.set_item("depends_on", PyList::new(py, &m.depends_on)?)?;
    for (key, ops) in [
        ("upgrade_ops", m.upgrade_ops()),
        ("downgrade_ops", m.downgrade_ops()),
    ] {
        let list = PyList::empty(py);
        for op in ops {
            list.append(op_dict(py, op, &lines)?)?;
        }
        d.set_item(key, list)?;
    }
    Ok(Some(d))
}

/// Scan `paths`: `(findings, migrations, notes)`. Findings are [`PyFinding`]s; migrations are
/// dicts (only when `with_migrations`), for `custom_checks`.
#[pyfunction]
#[pyo3(signature = (paths, overrides=Vec::new(), skip=Vec::new(), with_migrations=false))]
fn scan<'py>(
    py: Python<'py>,
    paths: Vec<String>,
    overrides: Vec<(String, String)>,
    skip: Vec<String>,
    with_migrations: bool,
) -> PyResult<(Vec<PyFinding>, Bound<'py, PyList>, Vec<String>)> {
    let (result, unknown) = py.detach(move || {
        guarded(|| {
            let (settings, unknown) = settings(&[], &[], &overrides, &skip)?;
            let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
            Ok((driver::scan(&paths, &settings)?, unknown))
        })
    })?;
    let findings = result.findings.iter().map(PyFinding::from).collect();
    let migrations = PyList::empty(py);
    if with_migrations {
        for file in &result.files {
            if let Some(d) = migration_dict(py, file)? {
                migrations.append(d)?;
            }
        }
    }
    Ok((findings, migrations, unknown))
}

/// Every rule: `(code, name, pattern, severity, summary)`.
#[pyfunction]
fn rules() -> Vec<(String, String, String, String, String)> {
    ALL.iter()
        .map(|r| {
            (
                r.code().to_string(),
                r.name().to_string(),
                r.pattern().to_string(),
                r.default_severity().as_str().to_string(),
                r.summary(),
            )
        })
        .collect()
}

/// One rule's full documentation, by code, name or pattern name.
#[pyfunction]
fn rule_doc(key: &str) -> PyResult<String> {
    let found = Rule::lookup(key);
    let rule = match found.as_slice() {
        [one] => *one,
        [] => return Err(Error::Usage(format!("unknown rule '{key}' (see 'mrt rules')")).into()),
        many => {
            let codes: Vec<&str> = many.iter().map(|r| r.code()).collect();
            return Err(Error::Usage(format!(
                "'{key}' matches several rules: {}",
                codes.join(", ")
            ))
            .into());
        }
    };
    Ok(format!(
        "{} {} ({}, default severity: {})\n\n{}\n",
        rule.code(),
        rule.name(),
        rule.pattern(),
        rule.default_severity().as_str(),
        rule.docs_text()
    ))
}

/// Revisions in graph order, as indices into `nodes` (`(revision, parents, file)`): parents
/// first, ties by file name, a cycle's revisions last (see `graph::graph_order`).
#[pyfunction]
fn graph_order(nodes: Vec<(String, Vec<String>, String)>) -> Vec<usize> {
    scanner::graph::graph_order(&nodes)
}

/// `skip` keys resolved against the revision ids: `{revision: key}` for each revision a key
/// names (its exact id, or a unique prefix; see `settings::skipped_revisions`).
#[pyfunction]
fn skipped_revisions(
    keys: Vec<String>,
    revisions: Vec<String>,
) -> std::collections::HashMap<String, String> {
    driver::settings::skipped_revisions(&keys, &revisions)
}

/// The `severity_overrides` value that applies to a custom check's finding of `pattern`, or
/// None (see `Settings::custom_severity`).
#[pyfunction]
fn custom_severity(overrides: Vec<(String, String)>, pattern: &str) -> Option<String> {
    driver::settings::custom_severity(&overrides, pattern).map(str::to_string)
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFinding>()?;
    m.add_function(wrap_pyfunction!(check_cli, m)?)?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(rules, m)?)?;
    m.add_function(wrap_pyfunction!(rule_doc, m)?)?;
    m.add_function(wrap_pyfunction!(custom_severity, m)?)?;
    m.add_function(wrap_pyfunction!(skipped_revisions, m)?)?;
    m.add_function(wrap_pyfunction!(graph_order, m)?)?;
    m.add("FINDING_KEYS", render::json::FINDING_KEYS.to_vec())?;
    Ok(())
}
