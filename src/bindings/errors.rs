//! Python exceptions raised by the native module, and the one `From` impl that maps
//! [`crate::Error`] onto them.

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
            Error::Safety(_) => SafetyError::new_err(msg),
            Error::Internal(_) => MRTError::new_err(msg),
        }
    }
}

pub(super) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("MRTError", py.get_type::<MRTError>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("DatabaseError", py.get_type::<DatabaseError>())?;
    m.add("SafetyError", py.get_type::<SafetyError>())?;
    Ok(())
}
