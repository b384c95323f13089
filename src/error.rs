//! The crate's one error type. `bindings::errors` maps it to Python exceptions in one place.

use std::fmt;

/// Everything the engine can fail with. Messages are one line and never contain a password.
#[derive(Debug)]
pub enum Error {
    /// Bad input from the user: a path that does not exist, an unknown rule code, ...
    Usage(String),
    /// A database could not be reached or answered with an error. `url` is already redacted.
    Database { url: String, message: String },
    /// The database server stopped answering (a statement, its cancel request, a connect):
    /// nothing more can be done on it. `url` is already redacted.
    NoAnswer { url: String, message: String },
    /// The run would touch data it did not create (see SPEC "Safety").
    Safety(String),
    /// An internal invariant broke; reported as a bug, never as a panic.
    Internal(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) | Error::Safety(msg) => f.write_str(msg),
            Error::Database { url, message } | Error::NoAnswer { url, message } => {
                write!(f, "database {url}: {message}")
            }
            Error::Internal(msg) => write!(f, "internal error (please report it): {msg}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
