//! The static scanner's Python surface: `check_cli` (scan + render in one call for the CLI's
//! hot path), `scan` (findings and, on request, the parsed migrations for `custom_checks`;
//! their classes are in [`super::public_types`]),
//! `rules` and `rule_doc`.

use std::path::PathBuf;

use pyo3::prelude::*;

use super::errors::guarded;
use super::public_types::{PyMigrationAST, PyRiskWarning};
use crate::Error;
use crate::render::{self, Format};
use crate::rules::{ALL, Rule};
use crate::scan::Settings;
use crate::{scan as driver, scanner};

fn settings(
    select: &[String],
    ignore: &[String],
    overrides: &[(String, String)],
    skip: &[String],
) -> Result<(Settings, Vec<String>), Error> {
    Settings::from_keys(select, ignore, overrides, skip)
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

/// Scan `paths`: `(findings, migrations, notes)`. Migrations (for `custom_checks`) only when
/// `with_migrations`.
#[pyfunction]
#[pyo3(signature = (paths, overrides=Vec::new(), skip=Vec::new(), with_migrations=false))]
fn scan(
    py: Python<'_>,
    paths: Vec<String>,
    overrides: Vec<(String, String)>,
    skip: Vec<String>,
    with_migrations: bool,
) -> PyResult<(Vec<PyRiskWarning>, Vec<PyMigrationAST>, Vec<String>)> {
    let (result, unknown) = py.detach(move || {
        guarded(|| {
            let (settings, unknown) = settings(&[], &[], &overrides, &skip)?;
            let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
            Ok((driver::scan(&paths, &settings)?, unknown))
        })
    })?;
    let findings = result.findings.iter().map(PyRiskWarning::from).collect();
    let mut migrations = Vec::new();
    if with_migrations {
        for file in &result.files {
            migrations.extend(PyMigrationAST::of(py, file)?);
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
    // Only the values a custom finding can take (configuration checks the rest).
    driver::settings::custom_severity(&overrides, pattern)
        .filter(|s| matches!(*s, "error" | "warning" | "off"))
        .map(str::to_string)
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
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
