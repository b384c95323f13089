//! Suppressions and settings applied: each file's diagnostics become located findings,
//! minus those turned off, skipped or silenced by a `# noqa` comment, plus a finding for each
//! suppression comment that silences nothing.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use ruff_text_size::TextRange;

use super::settings::skipped_revisions;
use super::{FileScan, Settings, on_scan_threads};
use crate::diagnostic::{Finding, Severity};
use crate::rules::{self, Rule};
use crate::scanner::source::Lines;

/// Apply the settings and suppressions, and turn diagnostics into located findings.
#[must_use]
pub fn findings(scans: &[FileScan], settings: &Settings) -> Vec<Finding> {
    let skipped = if settings.skip.is_empty() {
        HashMap::new()
    } else {
        let revisions: Vec<String> = scans.iter().map(FileScan::revision).collect();
        skipped_revisions(&settings.skip, &revisions)
    };
    on_scan_threads(|| {
        scans
            .par_iter()
            .flat_map_iter(|scan| file_findings(scan, settings, &skipped))
            .collect()
    })
}

fn file_findings(
    scan: &FileScan,
    settings: &Settings,
    skipped: &HashMap<String, String>,
) -> Vec<Finding> {
    let revision = scan.revision();
    if skipped.contains_key(&revision)
        || scan.diagnostics.is_empty()
            && scan
                .migration
                .as_ref()
                .is_none_or(|m| m.suppressions.is_empty())
    {
        return Vec::new();
    }
    let lines = Lines::new(&scan.source);
    let suppressions = scan
        .migration
        .as_ref()
        .map_or(&[][..], |m| m.suppressions.as_slice());
    let supp_lines: Vec<usize> = suppressions
        .iter()
        .map(|s| lines.line(s.range.start()))
        .collect();
    let mut used: Vec<HashSet<String>> = vec![HashSet::new(); suppressions.len()];
    let mut blanket_used = vec![false; suppressions.len()];
    let mut out = Vec::new();
    let emit = |rule: Rule,
                case: Option<Severity>,
                message: String,
                fix: Option<String>,
                range: TextRange,
                out: &mut Vec<Finding>| {
        let Some(severity) = settings.severity_of_case(rule, case) else {
            return;
        };
        let (line, column) = lines.line_col(range.start());
        let (end_line, end_column) = lines.line_col(range.end());
        out.push(Finding {
            revision: revision.clone(),
            file: scan.path.clone(),
            rule,
            pattern: rule.pattern().to_string(),
            severity,
            message,
            line,
            column,
            end_line,
            end_column,
            fix,
        });
    };
    for d in &scan.diagnostics {
        if !settings.enabled(d.rule) {
            continue;
        }
        let (first, last) = lines.line_span(d.range);
        let mut suppressed = false;
        for (i, s) in suppressions.iter().enumerate() {
            if supp_lines[i] < first || supp_lines[i] > last {
                continue;
            }
            if s.codes.is_empty() {
                blanket_used[i] = true;
                suppressed = true;
            } else if let Some(code) = s
                .codes
                .iter()
                .find(|c| *c == d.rule.code() || Rule::lookup(c).contains(&d.rule))
            {
                // Our codes, or the 1.9.1 ones (`# noqa: MRT201`) that map to this rule.
                used[i].insert(code.clone());
                suppressed = true;
            }
        }
        if !suppressed {
            emit(
                d.rule,
                d.severity,
                d.message.clone(),
                d.fix.clone(),
                d.range,
                &mut out,
            );
        }
    }
    if settings.enabled(Rule::UnusedSuppression) {
        for (i, s) in suppressions.iter().enumerate() {
            let message = if s.codes.is_empty() {
                if blanket_used[i] {
                    continue;
                }
                "suppression comment matches no finding on this statement".to_string()
            } else {
                let unknown: Vec<&str> = s
                    .codes
                    .iter()
                    .filter(|c| Rule::lookup(c).is_empty() && !rules::is_retired_code(c))
                    .map(String::as_str)
                    .collect();
                let unused: Vec<&str> = s
                    .codes
                    .iter()
                    .filter(|c| {
                        !used[i].contains(*c)
                            && Rule::lookup(c).iter().any(|r| settings.enabled(*r))
                    })
                    .map(String::as_str)
                    .collect();
                if !unknown.is_empty() {
                    format!(
                        "suppression names unknown rule code(s): {}",
                        unknown.join(", ")
                    )
                } else if !unused.is_empty() {
                    format!(
                        "suppression of {} matches no finding on this statement",
                        unused.join(", ")
                    )
                } else {
                    continue;
                }
            };
            emit(
                Rule::UnusedSuppression,
                None,
                message,
                Some("remove the stale suppression comment".to_string()),
                s.range,
                &mut out,
            );
        }
    }
    out.sort_by_key(|f| (f.line, f.column, f.rule));
    out
}
