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
use crate::scanner::model::Suppression;
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
    let suppressions = scan
        .migration
        .as_ref()
        .map_or(&[][..], |m| m.suppressions.as_slice());
    if skipped.contains_key(&revision) || scan.diagnostics.is_empty() && suppressions.is_empty() {
        return Vec::new();
    }
    let lines = Lines::new(&scan.source);
    let mut usage = Usage::new(suppressions, &lines);
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
    let losses = folded_losses(scan, settings, suppressions, &lines, &mut usage);
    for d in &scan.diagnostics {
        if !settings.enabled(d.rule)
            || losses.is_some() && rules::downgrade_raises::FOLDED.contains(&d.rule)
        {
            continue;
        }
        let (first, last) = lines.line_span(d.range);
        if !usage.silence(suppressions, first, last, d.rule) {
            let message = match &losses {
                Some(losses) if d.rule == Rule::DowngradeRaises => {
                    rules::downgrade_raises::with_losses(&d.message, losses)
                }
                _ => d.message.clone(),
            };
            emit(
                d.rule,
                d.severity,
                message,
                d.fix.clone(),
                d.range,
                &mut out,
            );
        }
    }
    if settings.enabled(Rule::UnusedSuppression) {
        for (i, s) in suppressions.iter().enumerate() {
            let Some(message) = stale_message(s, usage.blanket[i], &usage.codes[i], settings)
            else {
                continue;
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
    one_finding_per_drop(&mut out);
    in_order_once(&mut out);
    out
}

/// In source order, each finding once: a statement unrolled from a loop over a literal list
/// repeats a finding whose name the scanner could not resolve (jupyterhub 3c2384c5aae1).
fn in_order_once(out: &mut Vec<Finding>) {
    out.sort_by_key(|f| (f.line, f.column, f.rule));
    let mut seen = HashSet::new();
    out.retain(|f| seen.insert((f.line, f.column, f.rule, f.message.clone())));
}

/// MRT012 (add + migrate + drop) is MRT001 (drop column) said more precisely: where both
/// report the same statement, one finding stays. MRT012, unless MRT001 ranks lower (a drop
/// MRT001 demoted to a warning, with the reason in its message).
fn one_finding_per_drop(out: &mut Vec<Finding>) {
    let span = |f: &Finding| (f.line, f.column, f.end_line, f.end_column);
    let pairs: Vec<(usize, usize)> = out
        .iter()
        .enumerate()
        .filter(|(_, f)| f.rule == Rule::AddMigrateDrop)
        .filter_map(|(i, combined)| {
            out.iter()
                .position(|f| f.rule == Rule::DropColumn && span(f) == span(combined))
                .map(|j| (i, j))
        })
        .collect();
    if pairs.is_empty() {
        return;
    }
    let mut gone = HashSet::new();
    for (combined, drop) in pairs {
        if out[drop].severity == Severity::Warning && out[combined].severity == Severity::Error {
            gone.insert(combined);
        } else {
            gone.insert(drop);
        }
    }
    let mut i = 0;
    out.retain(|_| {
        i += 1;
        !gone.contains(&(i - 1))
    });
}

/// A revision whose downgrade raises claims no rollback: what its upgrade destroys is named in
/// its one DowngradeRaises finding, not statement by statement. The losses of the enabled,
/// unsilenced folded findings (a silenced one still counts its suppression as used); `None`
/// when the revision's downgrade does not raise.
fn folded_losses<'a>(
    scan: &'a FileScan,
    settings: &Settings,
    suppressions: &[Suppression],
    lines: &Lines,
    usage: &mut Usage,
) -> Option<Vec<&'a str>> {
    if !scan
        .migration
        .as_ref()
        .is_some_and(rules::downgrade_raises::irreversible)
    {
        return None;
    }
    let mut losses = Vec::new();
    for d in &scan.diagnostics {
        if !settings.enabled(d.rule) || !rules::downgrade_raises::FOLDED.contains(&d.rule) {
            continue;
        }
        let (first, last) = lines.line_span(d.range);
        if usage.silence(suppressions, first, last, d.rule) {
            continue;
        }
        if let Some(loss) = rules::downgrade_raises::loss_of(d.rule, &d.message)
            && !losses.contains(&loss)
        {
            losses.push(loss);
        }
    }
    Some(losses)
}

/// Which suppression comments of a file silenced something.
struct Usage {
    /// The line of each comment.
    lines: Vec<usize>,
    /// The codes of each comment that silenced a finding.
    codes: Vec<HashSet<String>>,
    /// Whether each bare `# noqa` silenced a finding.
    blanket: Vec<bool>,
}

impl Usage {
    fn new(suppressions: &[Suppression], lines: &Lines) -> Usage {
        Usage {
            lines: suppressions
                .iter()
                .map(|s| lines.line(s.range.start()))
                .collect(),
            codes: vec![HashSet::new(); suppressions.len()],
            blanket: vec![false; suppressions.len()],
        }
    }

    /// Whether a comment on lines `first..=last` silences `rule`; records which did.
    fn silence(
        &mut self,
        suppressions: &[Suppression],
        first: usize,
        last: usize,
        rule: Rule,
    ) -> bool {
        let mut suppressed = false;
        for (i, s) in suppressions.iter().enumerate() {
            if self.lines[i] < first || self.lines[i] > last {
                continue;
            }
            if s.codes.is_empty() {
                self.blanket[i] = true;
                suppressed = true;
            } else if let Some(code) = silencing_code(s, rule) {
                self.codes[i].insert(code.clone());
                suppressed = true;
            }
        }
        suppressed
    }
}

/// The code of the suppression `s` that silences `rule`: ours, or a 1.9.1 one
/// (`# noqa: MRT201`) that maps to it.
fn silencing_code(s: &Suppression, rule: Rule) -> Option<&String> {
    s.codes
        .iter()
        .find(|c| *c == rule.code() || Rule::lookup(c).contains(&rule))
}

/// What is stale in the suppression `s` (`blanket_used`: a bare `# noqa` silenced something;
/// `used`: the codes that did), or `None` when all of it is in use.
fn stale_message(
    s: &Suppression,
    blanket_used: bool,
    used: &HashSet<String>,
    settings: &Settings,
) -> Option<String> {
    if s.codes.is_empty() {
        return (!blanket_used)
            .then(|| "suppression comment matches no finding on this statement".to_string());
    }
    let unknown: Vec<&str> = s
        .codes
        .iter()
        .filter(|c| Rule::lookup(c).is_empty() && !rules::is_retired_code(c))
        .map(String::as_str)
        .collect();
    let unused: Vec<&str> = s
        .codes
        .iter()
        .filter(|c| !used.contains(*c) && Rule::lookup(c).iter().any(|r| settings.enabled(*r)))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        Some(format!(
            "suppression names unknown rule code(s): {}",
            unknown.join(", ")
        ))
    } else if !unused.is_empty() {
        Some(format!(
            "suppression of {} matches no finding on this statement",
            unused.join(", ")
        ))
    } else {
        None
    }
}
