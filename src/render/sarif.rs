//! `--format sarif`: SARIF 2.1.0, one run, every rule described in the driver.

use serde_json::{Value, json};

use super::Context;
use crate::diagnostic::{Finding, Severity};
use crate::rules::{self, Rule};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule_descriptor(rule: Rule) -> Value {
    json!({
        "id": rule.code(),
        "name": rule.name(),
        "shortDescription": { "text": rule.pattern() },
        "fullDescription": { "text": rule.summary() },
        "help": { "text": rule.docs_text(), "markdown": rule.docs_text() },
        "defaultConfiguration": { "level": level(rule.default_severity()) },
        "properties": { "pattern": rule.pattern() }
    })
}

pub(super) fn render(findings: &[Finding], ctx: &Context) -> String {
    let index = |rule: Rule| rules::ALL.iter().position(|r| *r == rule).unwrap_or(0);
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if let Some(fix) = &f.fix {
                text.push_str(&format!(" (fix: {fix})"));
            }
            json!({
                "ruleId": f.rule.code(),
                "ruleIndex": index(f.rule),
                "level": level(f.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.file.replace('\\', "/") },
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line.max(f.line),
                            "endColumn": if f.end_line > f.line { f.end_column } else { f.end_column.max(f.column) }
                        }
                    }
                }],
                "properties": { "revision": f.revision, "pattern": f.pattern }
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "pytest-mrt",
                    "version": ctx.version,
                    "informationUri": "https://pypi.org/project/pytest-mrt/",
                    "rules": rules::ALL.iter().map(|r| rule_descriptor(*r)).collect::<Vec<_>>()
                }
            },
            "results": results
        }]
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
