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
    /// nothing more can be done on it. `url` is already redacted; `what` names the operation
    /// that waited (`the engine's seed`), `seconds` the timeout it waited for.
    NoAnswer {
        url: String,
        what: String,
        seconds: f64,
    },
    /// The run would touch data it did not create (see SPEC "Safety").
    Safety(String),
    /// An internal invariant broke; reported as a bug, never as a panic.
    Internal(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) | Error::Safety(msg) => f.write_str(msg),
            Error::Database { url, message } => write!(f, "database {url}: {message}"),
            Error::NoAnswer { url, what, seconds } => {
                write!(f, "database {url}: {what} {}", no_answer_reason(*seconds))
            }
            Error::Internal(msg) => write!(f, "internal error (please report it): {msg}"),
        }
    }
}

impl std::error::Error for Error {}

/// Why a server counts as not answering: the one sentence, for the engine's errors and the
/// Python steps' (`_core.no_answer`).
#[must_use]
pub fn no_answer_reason(seconds: f64) -> String {
    format!("timed out after {seconds} s: the database server did not answer")
}

pub type Result<T> = std::result::Result<T, Error>;
