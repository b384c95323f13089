//! `--format table`: readable in an 80-column pipe (one block per finding) and, from 120
//! columns on, as aligned columns with the message wrapped in the last one.

use super::Context;
use crate::diagnostic::{Finding, Severity};

/// Wrap `text` into lines of at most `width` characters, breaking at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(20);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn pad(text: &str, width: usize) -> String {
    let len = text.chars().count();
    if len >= width {
        text.to_string()
    } else {
        format!("{text}{}", " ".repeat(width - len))
    }
}

fn summary(findings: &[Finding], ctx: &Context) -> String {
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    let files = if ctx.files == 1 {
        "1 file".to_string()
    } else {
        format!("{} files", ctx.files)
    };
    if findings.is_empty() {
        return format!("No rollback risks found in {files}.\n");
    }
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut out = format!(
        "{}, {} in {files}.\n",
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    if warnings > 0 && !ctx.strict {
        out.push_str("Add --strict to make warnings fail the build too.\n");
    }
    out
}

pub(super) fn render(findings: &[Finding], ctx: &Context) -> String {
    let mut out = String::new();
    if ctx.width >= 120 {
        wide(findings, ctx, &mut out);
    } else {
        narrow(findings, ctx, &mut out);
    }
    if !findings.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary(findings, ctx));
    out
}

fn narrow(findings: &[Finding], ctx: &Context, out: &mut String) {
    let width = ctx.width.saturating_sub(2);
    for (i, f) in findings.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!(
            "{}:{}:{} [{}]\n",
            f.file, f.line, f.column, f.revision
        ));
        out.push_str(&format!(
            "  {} {} {}\n",
            f.severity.as_str(),
            f.rule.code(),
            f.pattern
        ));
        for line in wrap(&f.message, width) {
            out.push_str(&format!("  {line}\n"));
        }
        if let Some(fix) = &f.fix {
            for (j, line) in wrap(&format!("fix: {fix}"), width).iter().enumerate() {
                out.push_str(if j == 0 { "  " } else { "       " });
                out.push_str(line);
                out.push('\n');
            }
        }
    }
}

fn wide(findings: &[Finding], ctx: &Context, out: &mut String) {
    let headers = ["Revision", "Location", "Rule", "Severity", "Pattern"];
    let cells: Vec<[String; 5]> = findings
        .iter()
        .map(|f| {
            [
                f.revision.clone(),
                format!("{}:{}:{}", f.file, f.line, f.column),
                f.rule.code().to_string(),
                f.severity.as_str().to_string(),
                f.pattern.clone(),
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // Keep long paths or revision ids from starving the message column.
    widths[0] = widths[0].min(16);
    widths[1] = widths[1].min(ctx.width / 3);
    let indent: usize = widths.iter().map(|w| w + 2).sum();
    let message_width = ctx.width.saturating_sub(indent).max(30);
    if findings.is_empty() {
        return;
    }
    for (h, w) in headers.iter().zip(widths) {
        out.push_str(&pad(h, w + 2));
    }
    out.push_str("Message\n");
    out.push_str(&"─".repeat((indent + 7).min(ctx.width)));
    out.push('\n');
    for (f, row) in findings.iter().zip(&cells) {
        let mut prefix = String::new();
        for (cell, w) in row.iter().zip(widths) {
            prefix.push_str(&pad(cell, w));
            prefix.push_str("  ");
        }
        let mut lines = wrap(&f.message, message_width);
        if let Some(fix) = &f.fix {
            lines.extend(wrap(&format!("fix: {fix}"), message_width));
        }
        for (i, line) in lines.iter().enumerate() {
            if i == 0 {
                out.push_str(&prefix);
            } else {
                out.push_str(&" ".repeat(indent));
            }
            out.push_str(line);
            out.push('\n');
        }
    }
}
