//! `--format json`: a JSON list of objects with the SPEC keys, in the SPEC order.

use serde::Serialize;

use crate::diagnostic::Finding;

/// The keys of one finding's JSON object, in order: the one shape, also used by Python's
/// `RiskWarning.to_dict` (through `_core.FINDING_KEYS`). A test pins it to [`Item`].
pub const FINDING_KEYS: [&str; 9] = [
    "revision", "file", "pattern", "severity", "message", "line", "rule", "column", "fix",
];

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

#[cfg(test)]
mod tests {
    use super::{FINDING_KEYS, Item};

    #[test]
    fn finding_keys_are_the_serialized_shape() {
        let item = Item {
            revision: "r",
            file: "f",
            pattern: "p",
            severity: "error",
            message: "m",
            line: 1,
            rule: "MRT001",
            column: 1,
            fix: None,
        };
        let text = serde_json::to_string(&item).unwrap();
        let keys: Vec<&str> = FINDING_KEYS.to_vec();
        let at: Vec<usize> = keys
            .iter()
            .map(|k| text.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert_eq!(text.matches("\":").count(), keys.len(), "{text}");
    }
}
