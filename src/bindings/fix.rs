//! `mrt fix` and `mrt explain`: the generation lives in [`crate::toolbox`]; Python only reads
//! the file, prints the diff and writes the result.

use pyo3::prelude::*;

use crate::toolbox::{explain, fix};

/// Propose the downgrade for one Alembic file's text:
/// `(status, new_source, message, existing_line)`, status one of `missing`, `noop`,
/// `replace`, `nothing`; `existing_line` is where a downgrade with code starts (`replace`).
#[pyfunction]
fn fix_source(
    py: Python<'_>,
    path: String,
    source: String,
) -> PyResult<(String, String, String, Option<usize>)> {
    let out = py.detach(move || fix::fix_source(&path, &source))?;
    Ok((
        out.status.as_str().to_string(),
        out.new_source,
        out.message,
        out.existing_line,
    ))
}

/// A plain-English account of one migration file's text; `overrides` are the project's
/// `severity_overrides` as `(key, severity)` pairs.
#[pyfunction]
#[pyo3(signature = (path, source, overrides=Vec::new()))]
fn explain_source(
    py: Python<'_>,
    path: String,
    source: String,
    overrides: Vec<(String, String)>,
) -> PyResult<String> {
    Ok(py.detach(move || explain::explain_source(&path, &source, &overrides))?)
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fix_source, m)?)?;
    m.add_function(wrap_pyfunction!(explain_source, m)?)?;
    Ok(())
}
