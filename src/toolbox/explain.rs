//! `mrt explain`: a plain-English account of one migration, fully offline.
//!
//! Each operation of `upgrade()` and `downgrade()` (or of a Django `operations` list, and what
//! Django runs to reverse it) becomes one numbered line. Then, per step, the data it puts at
//! risk, from the model (what the operation destroys) and the scanner's findings (rule code,
//! pattern, message, fix). Last, a verdict line.

use std::fmt::Write as _;

use super::{framework_name, one_line, scan_one};
use crate::Error;
use crate::diagnostic::{Finding, Severity};
use crate::scan::{self, Settings};
use crate::scanner::model::{
    BodyKind, ColumnSpec, Framework, Function, MigrationAST, OpKind, Operation, Origin, Parents,
    Value,
};
use crate::scanner::source::Lines;

/// A SQL-ish type name from the evaluated type: `sa.String(30)` → `VARCHAR(30)`.
#[must_use]
pub fn type_name(v: &Value) -> String {
    let (name, args) = match v {
        Value::Call { name, args } => (name.as_str(), args.as_slice()),
        Value::Name(name) => (name.as_str(), &[][..]),
        Value::Str(s) => return s.clone(),
        _ => return "?".to_string(),
    };
    let base = match name {
        "String" | "Unicode" | "CharField" => "VARCHAR",
        "Integer" | "IntegerField" => "INTEGER",
        "BigInteger" | "BigIntegerField" => "BIGINT",
        "SmallInteger" | "SmallIntegerField" => "SMALLINT",
        "Text" | "UnicodeText" | "TextField" => "TEXT",
        "Boolean" | "BooleanField" => "BOOLEAN",
        "DateTime" | "DateTimeField" => "DATETIME",
        "Date" | "DateField" => "DATE",
        "Numeric" | "DecimalField" => "NUMERIC",
        "Float" | "FloatField" => "FLOAT",
        other => return with_args(&other.to_ascii_uppercase(), args),
    };
    with_args(base, args)
}

fn with_args(base: &str, args: &[Value]) -> String {
    let shown: Vec<String> = args
        .iter()
        .filter_map(|a| match a {
            Value::Int(i) => Some(i.to_string()),
            Value::Str(s) => Some(format!("'{s}'")),
            _ => None,
        })
        .collect();
    if shown.is_empty() {
        base.to_string()
    } else {
        format!("{base}({})", shown.join(", "))
    }
}

/// `("nullable", " (VARCHAR(30))")`: the nullability word and the type in brackets.
fn column_words(spec: &ColumnSpec) -> (&'static str, String) {
    let null = match (spec.nullable, spec.primary_key) {
        (_, true) => "primary-key",
        (Some(false), _) => "NOT NULL",
        _ => "nullable",
    };
    let mut ty = String::new();
    if let Some(t) = spec.type_.as_ref().map(type_name) {
        let _ = write!(ty, " ({t}");
        if let Some(d) = &spec.server_default {
            let _ = write!(ty, ", server default {d}");
        }
        ty.push(')');
    }
    (null, ty)
}

fn name_or(op: &Operation, fallback: &str) -> String {
    op.name.clone().unwrap_or_else(|| fallback.to_string())
}

fn on_table(op: &Operation) -> String {
    op.table
        .as_deref()
        .map(|t| format!(" on {t}"))
        .unwrap_or_default()
}

/// What one raw SQL statement does, as a clause: "rewrites every row of users".
fn sql_effect(op: &Operation) -> String {
    let t = op.table.clone().unwrap_or_else(|| "a table".to_string());
    match op.kind {
        OpKind::Update if op.has_where => format!("rewrites the matching rows of {t}"),
        OpKind::Update => format!("rewrites every row of {t}"),
        OpKind::Delete if op.has_where => format!("deletes the matching rows of {t}"),
        OpKind::Delete => format!("deletes every row of {t}"),
        OpKind::Insert => format!("inserts rows into {t}"),
        OpKind::Truncate => format!("empties {t}"),
        OpKind::Read => "reads data (changes nothing)".to_string(),
        _ => lower_first(&describe(op)),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// One operation as a sentence (raw SQL statements are described by [`sql_effect`]).
#[must_use]
pub fn describe(op: &Operation) -> String {
    match op.kind {
        OpKind::AddColumn
        | OpKind::AddField
        | OpKind::DropColumn
        | OpKind::RemoveField
        | OpKind::AlterColumn
        | OpKind::AlterField
        | OpKind::SetNotNull
        | OpKind::DropNotNull
        | OpKind::RenameColumn
        | OpKind::RenameField => describe_column(op),
        OpKind::CreateTable
        | OpKind::CreateModel
        | OpKind::DropTable
        | OpKind::DeleteModel
        | OpKind::RenameTable
        | OpKind::RenameModel => describe_table(op),
        OpKind::RenameIndex
        | OpKind::CreateIndex
        | OpKind::AddIndex
        | OpKind::AddIndexConcurrently
        | OpKind::DropIndex
        | OpKind::RemoveIndex
        | OpKind::CreateUniqueConstraint
        | OpKind::CreateForeignKey
        | OpKind::CreateCheckConstraint
        | OpKind::CreatePrimaryKey
        | OpKind::AddConstraint
        | OpKind::DropConstraint
        | OpKind::RemoveConstraint => describe_index_or_constraint(op),
        OpKind::CreateView
        | OpKind::DropView
        | OpKind::CreateTrigger
        | OpKind::DropTrigger
        | OpKind::CreateType
        | OpKind::DropType
        | OpKind::AlterTypeAddValue
        | OpKind::RenameType
        | OpKind::CreateSequence
        | OpKind::DropSequence
        | OpKind::AlterSequence
        | OpKind::SetVal
        | OpKind::CreateFunction
        | OpKind::DropFunction => describe_named_object(op),
        _ => describe_code(op),
    }
}

/// A column or field operation.
fn describe_column(op: &Operation) -> String {
    let target = op.target();
    match op.kind {
        OpKind::AddColumn | OpKind::AddField => {
            let what = if op.kind == OpKind::AddField {
                "field"
            } else {
                "column"
            };
            match op.columns.first() {
                Some(spec) => {
                    let (null, ty) = column_words(spec);
                    format!("Adds {null} {what} {target}{ty}")
                }
                None => format!("Adds {what} {target}"),
            }
        }
        OpKind::DropColumn => format!("Drops column {target}"),
        OpKind::RemoveField => format!("Removes field {target} (drops its column)"),
        OpKind::AlterColumn | OpKind::AlterField => {
            let mut parts = Vec::new();
            if let Some(v) = op.kwarg_value("type_") {
                let mut s = format!("type → {}", type_name(v));
                if let Some(old) = op.kwarg_value("existing_type") {
                    let _ = write!(s, " (was {})", type_name(old));
                }
                parts.push(s);
            }
            match op.kwarg_value("nullable").and_then(Value::as_bool) {
                Some(false) => parts.push("sets NOT NULL".to_string()),
                Some(true) => parts.push("allows NULL".to_string()),
                None => {}
            }
            if let Some(k) = op.kwarg("server_default") {
                parts.push(format!("server default → {}", k.text));
            }
            if op.kind == OpKind::AlterField
                && let Some(spec) = op.columns.first()
            {
                let (null, ty) = column_words(spec);
                parts.push(format!("now {null}{ty}"));
            }
            if parts.is_empty() {
                format!("Alters column {target}")
            } else {
                format!("Alters column {target}: {}", parts.join(", "))
            }
        }
        OpKind::SetNotNull => format!("Sets column {target} NOT NULL"),
        OpKind::DropNotNull => format!("Allows NULL in column {target}"),
        // OpKind::RenameColumn | OpKind::RenameField
        _ => format!(
            "Renames {} {target} to {}",
            if op.kind == OpKind::RenameField {
                "field"
            } else {
                "column"
            },
            op.new_name.as_deref().unwrap_or("?")
        ),
    }
}

/// A table or model operation.
fn describe_table(op: &Operation) -> String {
    let t = op.table.clone().unwrap_or_else(|| "?".to_string());
    match op.kind {
        OpKind::CreateTable => {
            let cols: Vec<&str> = op.columns.iter().map(|c| c.name.as_str()).collect();
            if cols.is_empty() {
                format!("Creates table {t}")
            } else {
                format!("Creates table {t} ({})", cols.join(", "))
            }
        }
        OpKind::CreateModel => format!("Creates model {t} (a new table)"),
        OpKind::DropTable => format!("Drops table {t}"),
        OpKind::DeleteModel => format!("Deletes model {t} (drops its table)"),
        // OpKind::RenameTable | OpKind::RenameModel
        _ => format!(
            "Renames {} {t} to {}",
            if op.kind == OpKind::RenameModel {
                "model"
            } else {
                "table"
            },
            op.new_name.as_deref().unwrap_or("?")
        ),
    }
}

/// An index or constraint operation.
fn describe_index_or_constraint(op: &Operation) -> String {
    match op.kind {
        OpKind::RenameIndex => format!(
            "Renames index or constraint {} to '{}'",
            name_or(op, "?"),
            op.new_name.as_deref().unwrap_or("?")
        ),
        OpKind::CreateIndex | OpKind::AddIndex | OpKind::AddIndexConcurrently => {
            let mut s = format!(
                "Creates {}index {}{}",
                if op.unique { "unique " } else { "" },
                name_or(op, "(unnamed)"),
                on_table(op)
            );
            if let Some(c) = &op.column {
                let _ = write!(s, " ({c})");
            }
            if op.concurrently || op.kind == OpKind::AddIndexConcurrently {
                s.push_str(", concurrently");
            }
            s
        }
        OpKind::DropIndex | OpKind::RemoveIndex => {
            format!("Drops index {}{}", name_or(op, "(unnamed)"), on_table(op))
        }
        OpKind::CreateUniqueConstraint => format!(
            "Adds unique constraint {}{}",
            name_or(op, "(unnamed)"),
            on_table(op)
        ),
        OpKind::CreateForeignKey => {
            let cascade = op
                .columns
                .iter()
                .find_map(|c| c.fk_ondelete.clone())
                .map(|d| format!(" (ON DELETE {d})"))
                .unwrap_or_default();
            format!(
                "Adds foreign key {}{}{cascade}",
                name_or(op, "(unnamed)"),
                on_table(op)
            )
        }
        OpKind::CreateCheckConstraint => format!(
            "Adds check constraint {}{}",
            name_or(op, "(unnamed)"),
            on_table(op)
        ),
        OpKind::CreatePrimaryKey => format!(
            "Adds primary key {}{}",
            name_or(op, "(unnamed)"),
            on_table(op)
        ),
        OpKind::AddConstraint => format!(
            "Adds constraint {}{}",
            name_or(op, "(unnamed)"),
            on_table(op)
        ),
        // OpKind::DropConstraint | OpKind::RemoveConstraint
        _ => {
            let kind = op
                .new_name
                .as_deref()
                .map(|k| format!(" ({k})"))
                .unwrap_or_default();
            let from = op
                .table
                .as_deref()
                .map(|t| format!(" from {t}"))
                .unwrap_or_default();
            format!(
                "Drops constraint {}{from}{kind}",
                if op.name_is_none {
                    "None".to_string()
                } else {
                    name_or(op, "(unnamed)")
                }
            )
        }
    }
}

/// A view, trigger, type, sequence or function.
fn describe_named_object(op: &Operation) -> String {
    match op.kind {
        OpKind::CreateView => format!("Creates view {}", name_or(op, "?")),
        OpKind::DropView => format!("Drops view {}", name_or(op, "?")),
        OpKind::CreateTrigger => format!("Creates trigger {}{}", name_or(op, "?"), on_table(op)),
        OpKind::DropTrigger => format!("Drops trigger {}{}", name_or(op, "?"), on_table(op)),
        OpKind::CreateType => format!("Creates type {}", name_or(op, "?")),
        OpKind::DropType => format!("Drops type {}", name_or(op, "?")),
        OpKind::AlterTypeAddValue => format!(
            "Adds value {} to enum type {}",
            op.new_name.as_deref().unwrap_or("?"),
            name_or(op, "?")
        ),
        OpKind::RenameType => format!(
            "Renames type {} to '{}'",
            name_or(op, "?"),
            op.new_name.as_deref().unwrap_or("?")
        ),
        OpKind::CreateSequence => format!("Creates sequence {}", name_or(op, "?")),
        OpKind::DropSequence => format!("Drops sequence {}", name_or(op, "?")),
        OpKind::AlterSequence => format!("Alters sequence {}", name_or(op, "?")),
        OpKind::SetVal => "Moves a sequence (setval)".to_string(),
        OpKind::CreateFunction => format!("Creates function {}", name_or(op, "?")),
        // OpKind::DropFunction
        _ => format!("Drops function {}", name_or(op, "?")),
    }
}

/// Data changes, code and SQL the scanner reads as a whole.
fn describe_code(op: &Operation) -> String {
    let t = op.table.clone().unwrap_or_else(|| "?".to_string());
    match op.kind {
        OpKind::BulkInsert => format!("Inserts rows into {t} (bulk_insert)"),
        OpKind::Truncate => format!("Empties table {t} (TRUNCATE)"),
        OpKind::Update | OpKind::Delete | OpKind::Insert => {
            let e = sql_effect(op);
            let mut c = e.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        }
        OpKind::RunPython => {
            let code = op.sql.as_deref().map(first_arg).unwrap_or_default();
            match op.kwarg("reverse_code") {
                Some(r) => format!("Runs Python function {code} (reverse: {})", r.text),
                None => format!("Runs Python function {code} (no reverse function)"),
            }
        }
        OpKind::Execute | OpKind::RunSql => {
            format!(
                "Runs SQL: {}",
                one_line(op.sql.as_deref().unwrap_or("?"), 80)
            )
        }
        OpKind::Read => "Reads from the database (changes nothing)".to_string(),
        OpKind::Call => format!(
            "Calls {}() (defined elsewhere: its changes are not visible here)",
            op.name.as_deref().unwrap_or("a function")
        ),
        // OpKind::Other
        _ => match (op.origin, &op.name) {
            (Origin::Op, Some(m)) => format!("Calls op.{m}(...){}", on_table(op)),
            _ => format!(
                "Runs: {}",
                one_line(op.sql.as_deref().unwrap_or("an unrecognised operation"), 80)
            ),
        },
    }
}

/// `migrations.RunPython(forwards, ...)` → `forwards`.
fn first_arg(call: &str) -> String {
    let inner = match (call.find('('), call.rfind(')')) {
        (Some(a), Some(b)) if a < b => &call[a + 1..b],
        _ => call,
    };
    let first = inner.split(',').next().unwrap_or("").trim();
    one_line(first.strip_prefix("code=").unwrap_or(first), 60)
}

/// What a downgrade step destroys: what users stored after the upgrade, or more.
fn rollback_loss(op: &Operation) -> Option<String> {
    let t = op.table.clone().unwrap_or_else(|| "?".to_string());
    Some(match op.kind {
        OpKind::DropColumn => format!(
            "a rollback deletes the values stored in {} since the upgrade",
            op.target()
        ),
        OpKind::DropTable => {
            format!("a rollback deletes table {t} with the rows stored in it since the upgrade")
        }
        OpKind::Truncate => format!("a rollback deletes every row of {t}"),
        OpKind::Delete => format!(
            "a rollback deletes {} rows of {t}",
            if op.has_where { "the matching" } else { "all" }
        ),
        OpKind::Update if !op.backfill => format!(
            "a rollback overwrites {} rows of {t}",
            if op.has_where { "the matching" } else { "all" }
        ),
        _ => return None,
    })
}

/// What a step destroys, in words, when it destroys something by itself.
fn data_loss(op: &Operation, m: &MigrationAST) -> Option<String> {
    let t = op.table.clone().unwrap_or_else(|| "?".to_string());
    if op.table.as_deref().is_some_and(|t| m.creates_table(t)) && op.kind != OpKind::DropTable {
        return None;
    }
    Some(match op.kind {
        OpKind::DropColumn | OpKind::RemoveField => format!(
            "every value in {} is deleted; a rollback can re-add the column but not its data",
            op.target()
        ),
        OpKind::DropTable | OpKind::DeleteModel => {
            format!("every row of {t} is deleted; a rollback can re-create the table, empty")
        }
        OpKind::Truncate => format!("every row of {t} is deleted"),
        OpKind::Delete => format!(
            "{} rows of {t} are deleted",
            if op.has_where { "the matching" } else { "all" }
        ),
        OpKind::Update if !op.backfill => format!(
            "{} rows of {t} are overwritten; the old values are not kept",
            if op.has_where { "the matching" } else { "all" }
        ),
        _ => return None,
    })
}

struct Step<'a> {
    /// Raw SQL statements run by this step (an `execute` or `RunSQL`).
    sql: Vec<&'a Operation>,
    section: &'static str,
    number: usize,
    text: String,
    op: &'a Operation,
    /// Lines covered by the step, for attaching findings.
    lines: (usize, usize),
}

/// Group raw SQL statements under the `execute` / `RunSQL` that holds them.
fn steps<'a>(f: &'a Function, section: &'static str, lines: &Lines<'_>) -> Vec<Step<'a>> {
    let mut out: Vec<Step<'a>> = Vec::new();
    let mut i = 0;
    while i < f.ops.len() {
        let op = &f.ops[i];
        i += 1;
        if op.kind == OpKind::Read && op.origin == Origin::Op {
            continue;
        }
        let mut text = describe(op);
        let mut sql = Vec::new();
        if matches!(op.kind, OpKind::Execute | OpKind::RunSql) {
            let mut effects = Vec::new();
            while i < f.ops.len() && f.ops[i].origin == Origin::Sql && f.ops[i].range == op.range {
                effects.push(sql_effect(&f.ops[i]));
                sql.push(&f.ops[i]);
                i += 1;
            }
            if let Some(err) = &op.sql_error {
                effects.push(format!("mrt could not analyse it ({err})"));
            }
            // Django's RunSQL: show the SQL, not the Python call around it.
            let texts: Vec<&str> = sql.iter().filter_map(|o| o.sql.as_deref()).collect();
            if op.kind == OpKind::RunSql && !texts.is_empty() {
                text = format!("Runs SQL: {}", one_line(&texts.join("; "), 80));
            }
            effects.dedup();
            if !effects.is_empty() {
                let _ = write!(text, " — {}", effects.join("; "));
            }
        }
        out.push(Step {
            sql,
            section,
            number: out.len() + 1,
            text,
            op,
            lines: lines.line_span(op.range),
        });
    }
    out
}

/// What Django runs for one operation when migrating backwards.
fn django_reverse(op: &Operation) -> String {
    let target = op.target();
    let t = op.table.clone().unwrap_or_else(|| "?".to_string());
    match op.kind {
        OpKind::AddField => format!("Removes field {target} (values written since are lost)"),
        OpKind::RemoveField => {
            format!("Re-adds field {target}, without its old values")
        }
        OpKind::AlterField => format!("Restores the previous definition of {target}"),
        OpKind::RenameField => format!(
            "Renames field {}.{} back to {}",
            t,
            op.new_name.as_deref().unwrap_or("?"),
            op.column.as_deref().unwrap_or("?")
        ),
        OpKind::CreateModel => format!("Deletes model {t} (drops its table and rows)"),
        OpKind::DeleteModel => format!("Re-creates model {t}, empty"),
        OpKind::RenameModel => format!(
            "Renames model {} back to {t}",
            op.new_name.as_deref().unwrap_or("?")
        ),
        OpKind::AddIndex | OpKind::AddIndexConcurrently => {
            format!("Drops index {}{}", name_or(op, "(unnamed)"), on_table(op))
        }
        OpKind::RemoveIndex => format!("Re-creates index {}{}", name_or(op, "?"), on_table(op)),
        OpKind::AddConstraint => format!("Drops constraint {}{}", name_or(op, "?"), on_table(op)),
        OpKind::RemoveConstraint => {
            format!("Re-creates constraint {}{}", name_or(op, "?"), on_table(op))
        }
        OpKind::RunPython => match op.kwarg("reverse_code") {
            Some(r) if r.text.ends_with("noop") => "Does nothing (reverse_code is a no-op)".into(),
            Some(r) => format!("Runs {}", r.text),
            None => "Cannot go back: Django raises IrreversibleError (no reverse_code)".into(),
        },
        OpKind::RunSql => match op.kwarg("reverse_sql") {
            Some(r) if r.text.ends_with("noop") => "Does nothing (reverse_sql is a no-op)".into(),
            Some(r) => format!("Runs SQL: {}", one_line(&r.text, 80)),
            None => "Cannot go back: Django raises IrreversibleError (no reverse_sql)".into(),
        },
        _ => format!("Reverses: {}", lower_first(&describe(op))),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The whole explanation of one file, as text.
///
/// `overrides` are the user's `severity_overrides` (rule code or pattern → error / warning /
/// off), so the verdict agrees with `mrt check`.
pub fn explain_source(
    path: &str,
    source: &str,
    overrides: &[(String, String)],
) -> Result<String, Error> {
    let (settings, _unknown) = Settings::from_keys(&[], &[], overrides, &[])?;
    let (mut file, m) = scan_one(path, source)?;
    let lines = Lines::new(source);
    file.migration = Some(m);
    scan::check_alone(&mut file, false);
    let mut findings: Vec<Finding> = scan::findings(std::slice::from_ref(&file), &settings);
    if let Some(chain) = chain_findings(path, source, &settings) {
        // The revision graph's rules (and the replay) speak about this file too: the verdict
        // must agree with `mrt check` on the folder.
        findings = chain;
    }
    let Some(m) = &file.migration else {
        return Err(Error::Internal("migration vanished".into()));
    };
    let mut out = String::new();
    let parents = parents_text(m);
    let _ = writeln!(
        out,
        "{path}: {} migration {}, {parents}",
        framework_name(m.framework),
        m.revision
    );
    let all_steps = print_steps(m, &lines, &mut out);

    data_at_risk(&all_steps, &findings, m, &mut out);
    let verdict = verdict(&findings);
    let _ = writeln!(out, "\n{verdict}");
    Ok(out)
}

/// `parent abc`, `merges a, b`, `depends on 0001_x` ...
fn parents_text(m: &MigrationAST) -> String {
    match &m.down_revision {
        Parents::None if m.framework == Framework::Django => "no dependencies".to_string(),
        Parents::None => "a base revision".to_string(),
        Parents::One(p) if m.framework == Framework::Django => format!("depends on {p}"),
        Parents::One(p) => format!("parent {p}"),
        Parents::Many(ps) if m.framework == Framework::Django => {
            format!("depends on {}", ps.join(", "))
        }
        Parents::Many(ps) => format!("merges {}", ps.join(", ")),
    }
}

/// Print the migration's functions step by step (Django: forwards, then what Django runs
/// backwards); the steps, for attaching what is at risk.
fn print_steps<'m>(m: &'m MigrationAST, lines: &Lines<'_>, out: &mut String) -> Vec<Step<'m>> {
    let mut all_steps: Vec<Step<'_>> = Vec::new();
    if m.framework == Framework::Django {
        all_steps.extend(section(
            "Forwards (operations):",
            m.upgrade.as_ref(),
            "upgrade",
            lines,
            out,
        ));
        let _ = writeln!(
            out,
            "\nBackwards (what Django runs to undo it, in this order):"
        );
        let ops: Vec<&Operation> = m
            .upgrade_ops()
            .iter()
            .filter(|o| o.origin == Origin::Django)
            .collect();
        if ops.is_empty() {
            let _ = writeln!(out, "  (nothing)");
        }
        for (k, op) in ops.iter().rev().enumerate() {
            let _ = writeln!(out, "  {}. {}", k + 1, django_reverse(op));
        }
    } else {
        all_steps.extend(section(
            "upgrade():",
            m.upgrade.as_ref(),
            "upgrade",
            lines,
            out,
        ));
        all_steps.extend(section(
            "downgrade():",
            m.downgrade.as_ref(),
            "downgrade",
            lines,
            out,
        ));
    }
    all_steps
}

/// Per step, what it destroys and what the rules found on its lines; then the findings of
/// the migration as a whole.
fn data_at_risk(all_steps: &[Step<'_>], findings: &[Finding], m: &MigrationAST, out: &mut String) {
    // Data at risk: per step, what it destroys and what the rules found on its lines.
    let _ = writeln!(out, "\nData at risk:");
    let mut used = vec![false; findings.len()];
    let mut any = false;
    for step in all_steps {
        let upgrade = step.section == "upgrade";
        let mut parts: Vec<String> = std::iter::once(step.op)
            .chain(step.sql.iter().copied())
            .filter_map(|op| {
                if upgrade {
                    data_loss(op, m)
                } else {
                    rollback_loss(op)
                }
            })
            .collect();
        parts.dedup();
        let loss = (!parts.is_empty()).then(|| parts.join("; "));
        let mine: Vec<usize> = (0..findings.len())
            .filter(|&k| {
                !used[k] && findings[k].line >= step.lines.0 && findings[k].line <= step.lines.1
            })
            .collect();
        if loss.is_none() && mine.is_empty() {
            continue;
        }
        any = true;
        let where_ = if m.framework == Framework::Django {
            "operation".to_string()
        } else {
            format!("{} step", step.section)
        };
        let _ = writeln!(
            out,
            "  {where_} {} (line {}): {}",
            step.number, step.lines.0, step.text
        );
        if let Some(loss) = loss {
            let _ = writeln!(out, "    data: {loss}");
        }
        for k in mine {
            used[k] = true;
            finding_lines(&findings[k], out);
        }
    }
    let rest: Vec<usize> = (0..findings.len()).filter(|&k| !used[k]).collect();
    if !rest.is_empty() {
        any = true;
        let _ = writeln!(out, "  the migration as a whole:");
        for k in rest {
            finding_lines(&findings[k], out);
        }
    }
    if !any {
        let _ = writeln!(
            out,
            "  nothing found: no step destroys data, and no rule fired"
        );
    }
}

/// `Rollback: safe`, `probably safe` or `NOT safe`, from the findings' severities.
fn verdict(findings: &[Finding]) -> String {
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    match (errors, warnings) {
        (0, 0) => "Rollback: safe — no findings".to_string(),
        (0, w) => format!(
            "Rollback: probably safe — {} to review",
            plural(w, "warning")
        ),
        (e, 0) => format!("Rollback: NOT safe — {}", plural(e, "error")),
        (e, w) => format!(
            "Rollback: NOT safe — {}, {}",
            plural(e, "error"),
            plural(w, "warning")
        ),
    }
}

/// The findings `mrt check` gives this file when its folder is scanned (chain rules
/// included), or `None` when the file is not on disk as given.
fn chain_findings(path: &str, source: &str, settings: &Settings) -> Option<Vec<Finding>> {
    let file = std::path::Path::new(path);
    if std::fs::read_to_string(file).ok()? != source {
        return None;
    }
    let dir = file.parent().filter(|d| !d.as_os_str().is_empty())?;
    let wanted = file.canonicalize().ok()?;
    let root = super::chain::history_root(dir);
    let result = scan::scan(&[root.to_path_buf()], settings).ok()?;
    let mut found: Vec<Finding> = result
        .findings
        .into_iter()
        .filter(|f| {
            std::path::Path::new(&f.file)
                .canonicalize()
                .is_ok_and(|p| p == wanted)
        })
        .collect();
    for f in &mut found {
        f.file = path.to_string();
    }
    Some(found)
}

/// One function's numbered steps, written to `out`.
fn section<'a>(
    title: &str,
    f: Option<&'a Function>,
    name: &'static str,
    lines: &Lines<'_>,
    out: &mut String,
) -> Vec<Step<'a>> {
    let _ = writeln!(out, "\n{title}");
    match f {
        None => {
            let _ = writeln!(out, "  (no {name}() function)");
            Vec::new()
        }
        Some(f) if f.body == BodyKind::Empty => {
            let _ = writeln!(
                out,
                "  (does nothing: the body is only pass, a docstring or ...)"
            );
            Vec::new()
        }
        Some(f) => {
            let s = steps(f, name, lines);
            if f.body == BodyKind::Raises && s.is_empty() {
                let _ = writeln!(out, "  raises: the migration declares itself irreversible");
            } else if s.is_empty() {
                let _ = writeln!(out, "  (changes nothing in the database)");
            }
            for step in &s {
                let _ = writeln!(out, "  {}. {}", step.number, step.text);
            }
            s
        }
    }
}

fn finding_lines(f: &Finding, out: &mut String) {
    let _ = writeln!(
        out,
        "    {} {} ({}, {}): {}",
        f.rule.code(),
        f.rule.name(),
        f.pattern,
        f.severity.as_str(),
        f.message
    );
    if let Some(fix) = &f.fix {
        let _ = writeln!(out, "      fix: {fix}");
    }
}
