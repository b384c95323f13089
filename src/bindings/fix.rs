//! `mrt fix` and `mrt explain`: the generation lives in [`crate::toolbox`]; Python only reads
//! the file, prints the diff and writes the result.

use pyo3::prelude::*;

use crate::scan::on_scan_threads;
use crate::toolbox::{explain, fix};

/// What `mrt fix` proposes for one file.
#[pyclass(name = "FixOutcome", module = "pytest_mrt._core", frozen, get_all)]
pub struct PyFixOutcome {
    /// `missing`, `noop`, `replace` or `nothing`.
    status: &'static str,
    /// The whole file with the proposed downgrade.
    new_source: String,
    /// One line saying what was done.
    message: String,
    /// Where the downgrade that already has code starts (`replace`).
    existing_line: Option<usize>,
}

/// Propose the downgrade for one Alembic file's text.
#[pyfunction]
fn fix_source(py: Python<'_>, path: String, source: String) -> PyResult<PyFixOutcome> {
    let out = py.detach(move || on_scan_threads(|| fix::fix_source(&path, &source)))?;
    Ok(PyFixOutcome {
        status: out.status.as_str(),
        new_source: out.new_source,
        message: out.message,
        existing_line: out.existing_line,
    })
}

/// What `mrt fix` lists for a downgrade that already has code: the lines of the generated
/// downgrade in `new` that the existing one in `old` lacks (`line`: its `def` line).
#[pyfunction]
fn missing_lines(old: &str, new: &str, line: usize) -> Vec<String> {
    fix::missing_lines(old, new, line)
}

/// A plain-English account of one migration file's text; `overrides` are the project's
/// `severity_overrides`.
#[pyfunction]
#[pyo3(signature = (path, source, overrides=None))]
fn explain_source(
    py: Python<'_>,
    path: String,
    source: String,
    overrides: Option<&Bound<'_, pyo3::types::PyDict>>,
) -> PyResult<String> {
    let overrides = super::config::overrides_of(overrides)?;
    let text =
        py.detach(move || on_scan_threads(|| explain::explain_source(&path, &source, &overrides)))?;
    // Migration strings reach the terminal: no raw escape sequences.
    Ok(crate::render::escape_controls_by_line(&text))
}

/// The bytes of one migration file, read the way the scanner reads files: a regular file of at
/// most 10 MB (a FIFO or a device named `*.py` is refused before it is opened).
#[pyfunction]
fn read_source(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Vec<u8>> {
    let shown = path.display().to_string();
    Ok(py.detach(move || {
        crate::scanner::source::read_file(&path)
            .map_err(|why| crate::Error::Usage(format!("{shown}: {why}")))
    })?)
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFixOutcome>()?;
    m.add_function(wrap_pyfunction!(read_source, m)?)?;
    m.add_function(wrap_pyfunction!(fix_source, m)?)?;
    m.add_function(wrap_pyfunction!(missing_lines, m)?)?;
    m.add_function(wrap_pyfunction!(explain_source, m)?)?;
    Ok(())
}
