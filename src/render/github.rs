//! `--format github`: GitHub Actions workflow commands, one annotation per finding.

use crate::diagnostic::{Finding, Severity};

/// Escaping of the message part of a workflow command.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a property value (also `:` and `,`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

pub(super) fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = format!("[{}] {}", f.revision, f.message);
        if let Some(fix) = &f.fix {
            message.push_str("\nfix: ");
            message.push_str(fix);
        }
        out.push_str(&format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            property(&f.file.replace('\\', "/")),
            f.line,
            f.column,
            f.end_line,
            f.end_column,
            property(&format!("{} {}", f.rule.code(), f.pattern)),
            data(&message)
        ));
    }
    out
}
