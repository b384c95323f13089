//! pytest-mrt's native engine.
//!
//! The crate is pure Rust and testable with `cargo test`; only [`bindings`] touches pyo3.
//! - `scanner` (syntax and model) → `diagnostic` → `rules` → `scan` (the driver) → `render`,
//!   `toolbox`: the static migration scanner (`mrt check`, `mrt fix`, `mrt explain`); each
//!   module uses only those before it (`tests/test_layers.py`).
//! - `dialects` + `snapshot` + `seeder`: the dynamic rollback verifier behind the `mrt` fixture.

pub mod bindings;
pub mod config;
pub mod diagnostic;
pub mod dialects;
pub mod error;
#[cfg(test)]
mod fuzz;
pub mod render;
pub mod rules;
pub mod scan;
pub mod scanner;
pub mod seeder;
pub mod snapshot;
pub mod toolbox;
pub mod url;

pub use error::Error;

/// mimalloc instead of the system allocator: the scan allocates many small nodes and strings
/// (parser, model, replay), and glibc's malloc took 25–30 % of its samples. Build with
/// `--no-default-features` to fall back to the system allocator.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The package version in PEP 440 form (Cargo's `2.0.0-alpha.1` becomes `2.0.0a1`, as
/// maturin writes it into the wheel's metadata).
#[must_use]
pub fn version() -> String {
    let raw = env!("CARGO_PKG_VERSION");
    raw.replace("-alpha.", "a")
        .replace("-beta.", "b")
        .replace("-rc.", "rc")
}

#[pyo3::pymodule(gil_used = false)]
mod _core {
    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", crate::version())?;
        crate::bindings::register(m)
    }
}
