//! `--format json`: a JSON list of objects with the SPEC keys, in the SPEC order.

use serde::Serialize;

use crate::diagnostic::Finding;

#[derive(Serialize)]
struct Item<'a> {
    revision: &'a str,
    file: &'a str,
    pattern: &'a str,
    severity: &'a str,
    message: &'a str,
    line: usize,
    rule: &'a str,
    column: usize,
    fix: Option<&'a str>,
}

pub(super) fn render(findings: &[Finding]) -> String {
    let items: Vec<Item<'_>> = findings
        .iter()
        .map(|f| Item {
            revision: &f.revision,
            file: &f.file,
            pattern: &f.pattern,
            severity: f.severity.as_str(),
            message: &f.message,
            line: f.line,
            rule: f.rule.code(),
            column: f.column,
            fix: f.fix.as_deref(),
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string());
    out.push('\n');
    out
}
