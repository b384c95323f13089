//! Python exceptions raised by the native module, and the one `From` impl that maps
//! [`crate::Error`] onto them.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use crate::Error;

create_exception!(
    pytest_mrt,
    MRTError,
    PyException,
    "Base class of every pytest-mrt error."
);
create_exception!(
    pytest_mrt,
    UsageError,
    MRTError,
    "Bad input: a path, option or value."
);
create_exception!(
    pytest_mrt,
    DatabaseError,
    MRTError,
    "A database could not be used."
);
create_exception!(
    pytest_mrt,
    NoAnswerError,
    DatabaseError,
    "The database server stopped answering (`migration_timeout` ran out waiting for it)."
);
create_exception!(
    pytest_mrt,
    SafetyError,
    MRTError,
    "The run would touch data it did not create."
);

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        let msg = err.to_string();
        match err {
            Error::Usage(_) => UsageError::new_err(msg),
            Error::Database { .. } => DatabaseError::new_err(msg),
            Error::NoAnswer { seconds, .. } => no_answer_error(msg, seconds),
            Error::Safety(_) => SafetyError::new_err(msg),
            Error::Internal(_) => MRTError::new_err(msg),
        }
    }
}

/// A `NoAnswerError` whose `seconds` and `reason` (the sentence without the operation in
/// front) are attributes, so that nothing reads them out of the message.
fn no_answer_error(message: String, seconds: f64) -> PyErr {
    Python::attach(|py| {
        let err = NoAnswerError::new_err(message);
        let value = err.value(py);
        let _ = value.setattr("seconds", seconds);
        let _ = value.setattr("reason", crate::error::no_answer_reason(seconds));
        err
    })
}

/// The `NoAnswerError` of a Python step that waited `seconds` for `what` (the runner's
/// watchdog): the same sentence and attributes as the engine's.
#[pyfunction]
fn no_answer(what: &str, seconds: f64) -> PyErr {
    no_answer_error(
        format!("{what}: {}", crate::error::no_answer_reason(seconds)),
        seconds,
    )
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    install_quiet_panic_hook();
    let py = m.py();
    m.add("MRTError", py.get_type::<MRTError>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("DatabaseError", py.get_type::<DatabaseError>())?;
    let no_answer_type = py.get_type::<NoAnswerError>();
    // Class-level defaults: an instance raised without them still has both attributes.
    no_answer_type.setattr("seconds", 0.0)?;
    no_answer_type.setattr("reason", "")?;
    m.add("NoAnswerError", no_answer_type)?;
    m.add_function(wrap_pyfunction!(no_answer, m)?)?;
    m.add("SafetyError", py.get_type::<SafetyError>())?;
    Ok(())
}

thread_local! {
    /// Where the last panic on this thread happened, for the bug report.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Replace Rust's default panic output (a multi-line message on stderr) with a record of
/// where it happened: every panic that reaches the boundary is reported as one line instead.
pub(crate) fn install_quiet_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let at = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            PANIC_LOCATION.with(|slot| *slot.borrow_mut() = at);
        }));
    });
}

/// Run `f`, turning a panic into an internal error: a bug report, never a crash.
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let at = PANIC_LOCATION
                .with(|slot| slot.borrow_mut().take())
                .map(|at| format!(" at {at}"))
                .unwrap_or_default();
            Err(Error::Internal(format!("the engine panicked{at}: {msg}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{guarded, install_quiet_panic_hook};
    use crate::Error;

    #[test]
    fn a_panic_becomes_one_internal_error_line_naming_where() {
        install_quiet_panic_hook();
        let result: Result<(), Error> = guarded(|| panic!("boom"));
        let message = result.unwrap_err().to_string();
        assert!(
            message.starts_with(
                "internal error (please report it): the engine panicked at src/bindings/errors.rs:"
            ),
            "{message}"
        );
        assert!(message.ends_with(": boom"), "{message}");
        assert!(!message.contains('\n'));
    }
}
