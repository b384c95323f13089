//! The only modules that use pyo3. Each submodule registers its own functions and classes so
//! the engine's parts stay independent.

mod config;
mod db_objects;
mod engine;
mod errors;
mod fix;
mod graph;
mod outcome;
mod public_types;
mod scan;
mod suspects;

use pyo3::prelude::*;

pub use errors::MRTError;

/// Adds every exported function, class and exception to the `_core` module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    config::register(m)?;
    db_objects::register(m)?;
    public_types::register(m)?;
    scan::register(m)?;
    engine::register(m)?;
    outcome::register(m)?;
    fix::register(m)?;
    graph::register(m)?;
    suspects::register(m)?;
    Ok(())
}
