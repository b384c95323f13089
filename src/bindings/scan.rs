//! The static scanner's Python surface: `check_cli` (scan + render in one call for the CLI's
//! hot path), `scan` (findings and, on request, the parsed migrations for `custom_checks`;
//! their classes are in [`super::public_types`]), `rules` and `rule_doc`, each answer a class
//! with named fields.

use std::path::PathBuf;

use pyo3::prelude::*;

use pyo3::types::PyDict;

use super::config::overrides_of;
use super::errors::guarded;
use super::public_types::{PyMigrationAST, PyRiskWarning};
use crate::Error;
use crate::render::{self, Format};
use crate::rules::{ALL, Rule};
use crate::scan as driver;
use crate::scan::Settings;

fn settings(
    select: &[String],
    ignore: &[String],
    overrides: &[(String, String)],
    skip: &[String],
) -> Result<(Settings, Vec<String>), Error> {
    Settings::from_keys(select, ignore, overrides, skip)
}

/// What `check_cli` printed and returns.
#[pyclass(name = "CheckOutput", module = "pytest_mrt._core", frozen, get_all)]
pub struct PyCheckOutput {
    /// The rendered findings.
    text: String,
    /// The exit code `mrt check` ends with.
    exit_code: i32,
    /// One-line remarks for stderr (override keys that name no rule).
    notes: Vec<String>,
}

fn unknown_key_notes(unknown: Vec<String>) -> Vec<String> {
    unknown
        .into_iter()
        .map(|k| format!("severity_overrides: '{k}' names no built-in rule or pattern (ignored)"))
        .collect()
}

/// Scan `paths` and render the findings.
#[pyfunction]
#[pyo3(signature = (paths, format="table", select=Vec::new(), ignore=Vec::new(), overrides=None, skip=Vec::new(), strict=false, width=80))]
#[allow(clippy::too_many_arguments)]
fn check_cli(
    py: Python<'_>,
    paths: Vec<String>,
    format: &str,
    select: Vec<String>,
    ignore: Vec<String>,
    overrides: Option<&Bound<'_, PyDict>>,
    skip: Vec<String>,
    strict: bool,
    width: usize,
) -> PyResult<PyCheckOutput> {
    let format = format.to_string();
    let overrides = overrides_of(overrides)?;
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
            Ok(PyCheckOutput {
                text: render::render(&result.findings, format, &ctx),
                exit_code: render::exit_code(&result.findings, strict),
                notes: unknown_key_notes(unknown),
            })
        })
    })?;
    Ok(out)
}

/// What `scan` found.
#[pyclass(name = "ScanOutcome", module = "pytest_mrt._core", frozen, get_all)]
pub struct PyScanOutcome {
    findings: Vec<Py<PyRiskWarning>>,
    /// The parsed migrations, for `custom_checks` (only when asked for).
    migrations: Vec<Py<PyMigrationAST>>,
    /// `severity_overrides` keys that name no rule or pattern.
    unknown_keys: Vec<String>,
}

/// Scan `paths`; the migrations (for `custom_checks`) only when `with_migrations`.
#[pyfunction]
#[pyo3(signature = (paths, overrides=None, skip=Vec::new(), with_migrations=false))]
fn scan(
    py: Python<'_>,
    paths: Vec<String>,
    overrides: Option<&Bound<'_, PyDict>>,
    skip: Vec<String>,
    with_migrations: bool,
) -> PyResult<PyScanOutcome> {
    let overrides = overrides_of(overrides)?;
    let (result, unknown_keys) = py.detach(move || {
        guarded(|| {
            let (settings, unknown) = settings(&[], &[], &overrides, &skip)?;
            let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
            Ok((driver::scan(&paths, &settings)?, unknown))
        })
    })?;
    let findings = result
        .findings
        .iter()
        .map(|f| Py::new(py, PyRiskWarning::from(f)))
        .collect::<PyResult<_>>()?;
    let mut migrations = Vec::new();
    if with_migrations {
        for file in &result.files {
            if let Some(m) = PyMigrationAST::of(py, file)? {
                migrations.push(Py::new(py, m)?);
            }
        }
    }
    Ok(PyScanOutcome {
        findings,
        migrations,
        unknown_keys,
    })
}

/// One rule, as `mrt rules` lists it.
#[pyclass(name = "RuleInfo", module = "pytest_mrt._core", frozen, get_all)]
pub struct PyRuleInfo {
    /// Stable code such as `MRT001`.
    code: &'static str,
    /// Its kebab-case name.
    name: &'static str,
    /// The short pattern name findings carry.
    pattern: &'static str,
    /// `error` or `warning`.
    severity: &'static str,
    /// One line saying what it finds.
    summary: String,
}

/// Every rule, in code order.
#[pyfunction]
fn rules() -> Vec<PyRuleInfo> {
    ALL.iter()
        .map(|r| PyRuleInfo {
            code: r.code(),
            name: r.name(),
            pattern: r.pattern(),
            severity: r.default_severity().as_str(),
            summary: r.summary(),
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
fn custom_severity(overrides: &Bound<'_, PyDict>, pattern: &str) -> PyResult<Option<String>> {
    let overrides = overrides_of(Some(overrides))?;
    // Only the values a custom finding can take (configuration checks the rest).
    Ok(driver::settings::custom_severity(&overrides, pattern)
        .filter(|s| matches!(*s, "error" | "warning" | "off"))
        .map(str::to_string))
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCheckOutput>()?;
    m.add_class::<PyScanOutcome>()?;
    m.add_class::<PyRuleInfo>()?;
    m.add_function(wrap_pyfunction!(check_cli, m)?)?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(rules, m)?)?;
    m.add_function(wrap_pyfunction!(rule_doc, m)?)?;
    m.add_function(wrap_pyfunction!(custom_severity, m)?)?;
    m.add_function(wrap_pyfunction!(skipped_revisions, m)?)?;
    m.add("FINDING_KEYS", render::json::FINDING_KEYS.to_vec())?;
    Ok(())
}
