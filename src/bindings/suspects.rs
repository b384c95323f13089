//! The tables a failed migration step is blamed on, for the dynamic check: the one its error
//! names ([`crate::snapshot::error_table`]), and the ones the migration's strings name
//! ([`crate::scanner::string_words`]).

use std::path::PathBuf;

use pyo3::prelude::*;

/// The table a failed step names: `named` (the driver's diagnostics), else the database's
/// `message`, else the `statement` it refused; None when none says.
#[pyfunction]
#[pyo3(signature = (named, message, statement=None))]
fn table_of_error(named: Option<&str>, message: &str, statement: Option<&str>) -> Option<String> {
    crate::snapshot::error_table::table_of_error(named, message, statement)
}

/// The `tables` that a string of the migration file at `path` names outside `downgrade()`
/// (none when it cannot be read or parsed).
#[pyfunction]
fn tables_named_in_strings(py: Python<'_>, path: PathBuf, tables: Vec<String>) -> Vec<String> {
    py.detach(move || match std::fs::read_to_string(&path) {
        Ok(source) => crate::scanner::string_words::tables_named_in_strings(&source, &tables),
        Err(_) => Vec::new(),
    })
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(table_of_error, m)?)?;
    m.add_function(wrap_pyfunction!(tables_named_in_strings, m)?)?;
    Ok(())
}
