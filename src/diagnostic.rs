//! The one diagnostic model every renderer reads. Ranges are byte offsets; line and column
//! are computed only at the edge ([`crate::scanner::source::Lines`]).

use ruff_text_size::TextRange;

use crate::rules::Rule;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A finding as a rule reports it, before settings (overrides, suppressions) apply.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub rule: Rule,
    pub message: String,
    pub fix: Option<String>,
    pub range: TextRange,
    /// This case's severity when it differs from the rule's default (a rule whose cases are
    /// not equally bad, e.g. MRT013 inside a swallowing `try`). A `severity_overrides` entry
    /// for the rule still wins.
    pub severity: Option<Severity>,
}

impl Diagnostic {
    #[must_use]
    pub fn new(rule: Rule, message: impl Into<String>, range: TextRange) -> Self {
        Diagnostic {
            rule,
            message: message.into(),
            fix: None,
            range,
            severity: None,
        }
    }

    /// Reports this case at `severity` instead of the rule's default.
    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    #[must_use]
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// A finding ready for output: severity resolved, location in lines and columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub revision: String,
    pub file: String,
    pub rule: Rule,
    pub pattern: String,
    pub severity: Severity,
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub fix: Option<String>,
}
