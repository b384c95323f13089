//! A table the seeder could not fill: which constraint the database named when it refused the
//! rows, and a `custom_seeds` entry the user can paste to seed it by hand.

use std::collections::BTreeMap;

use crate::dialects::Lit;
use crate::snapshot::schema::Table;

/// A table left with fewer rows than asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unseeded {
    pub table: String,
    /// The constraint the database named when it refused the last row, when it named one.
    pub constraint: Option<String>,
    /// One line: how many rows went in and why the others did not.
    pub reason: String,
    /// A ready-to-paste `custom_seeds` entry for the table.
    pub snippet: String,
}

/// The constraint a refusal names, from the database's message:
/// PostgreSQL `violates check constraint "x"`, MariaDB ``CONSTRAINT `x` failed``,
/// MySQL `Check constraint 'x' is violated`, SQLite `CHECK constraint failed: x`.
/// SQLite's `NOT NULL constraint failed: t.c` and PostgreSQL's not-null message name the
/// column instead (`t.c NOT NULL`).
#[must_use]
pub fn constraint_named(message: &str) -> Option<String> {
    let between = |start: &str, end: char| -> Option<String> {
        let from = message.find(start)? + start.len();
        let len = message[from..].find(end)?;
        Some(message[from..from + len].to_string()).filter(|s| !s.is_empty())
    };
    if message.contains("violates") {
        if let Some(name) = message
            .find("constraint \"")
            .and_then(|_| between("constraint \"", '"'))
        {
            return Some(name);
        }
        if message.contains("not-null constraint") {
            let column = between("column \"", '"')?;
            let table = between("relation \"", '"');
            return Some(match table {
                Some(t) => format!("{t}.{column} NOT NULL"),
                None => format!("{column} NOT NULL"),
            });
        }
    }
    if let Some(name) = between("CONSTRAINT `", '`') {
        return Some(name);
    }
    if let Some(name) = between("Check constraint '", '\'') {
        return Some(name);
    }
    for kind in ["CHECK", "UNIQUE", "NOT NULL"] {
        let marker = format!("{kind} constraint failed: ");
        if let Some(p) = message.find(&marker) {
            let rest = message[p + marker.len()..].trim();
            let rest = rest.split(" (").next().unwrap_or(rest).trim();
            if !rest.is_empty() {
                return Some(if kind == "CHECK" {
                    rest.to_string()
                } else {
                    format!("{rest} {kind}")
                });
            }
        }
    }
    if message.contains("Column '") && message.contains("cannot be null") {
        return between("Column '", '\'').map(|c| format!("{c} NOT NULL"));
    }
    None
}

/// A Python literal for `value`.
fn python(value: &Lit) -> String {
    match value {
        Lit::Null => "None".into(),
        Lit::Int(i) => i.to_string(),
        Lit::Num(n) => n.clone(),
        Lit::Bool(b) => if *b { "True" } else { "False" }.into(),
        Lit::Str(s) => python_str(s),
        Lit::Bytes(b) => {
            let inner: String = b
                .iter()
                .map(|c| match c {
                    b'"' => "\\\"".to_string(),
                    b'\\' => "\\\\".to_string(),
                    0x20..=0x7e => (*c as char).to_string(),
                    _ => format!("\\x{c:02x}"),
                })
                .collect();
            format!("b\"{inner}\"")
        }
    }
}

fn python_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `custom_seeds={"t": lambda: [{"col": value, ...}]}` from one attempted row: the columns the
/// user must give (NOT NULL without a default, keys that are not generated) first, then the rest.
#[must_use]
pub fn snippet(table: &Table, row: &BTreeMap<String, Lit>) -> String {
    let mut fields: Vec<String> = Vec::new();
    for c in &table.columns {
        if c.generated || c.autoincrement {
            continue;
        }
        let required = !c.nullable && c.default.is_none();
        if !required {
            continue;
        }
        let v = row.get(&c.name).cloned().unwrap_or(Lit::Null);
        fields.push(format!("{}: {}", python_str(&c.name), python(&v)));
    }
    if fields.is_empty() {
        for c in table
            .columns
            .iter()
            .filter(|c| !c.generated && !c.autoincrement)
        {
            let v = row.get(&c.name).cloned().unwrap_or(Lit::Null);
            fields.push(format!("{}: {}", python_str(&c.name), python(&v)));
        }
    }
    format!(
        "custom_seeds={{{}: lambda: [{{{}}}]}}",
        python_str(&table.name),
        fields.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::schema::Column;

    #[test]
    fn finds_the_constraint_each_database_names() {
        let cases = [
            (
                r#"new row for relation "users" violates check constraint "ck_email""#,
                Some("ck_email"),
            ),
            (
                r#"value for domain slug violates check constraint "slug_check""#,
                Some("slug_check"),
            ),
            (
                r#"null value in column "name" of relation "users" violates not-null constraint"#,
                Some("users.name NOT NULL"),
            ),
            (
                "CONSTRAINT `ck_email` failed for `db`.`users` (error 4025)",
                Some("ck_email"),
            ),
            (
                "Check constraint 'ck_x' is violated. (error 3819)",
                Some("ck_x"),
            ),
            ("CHECK constraint failed: ck_email", Some("ck_email")),
            ("CHECK constraint failed: x <> x", Some("x <> x")),
            (
                "NOT NULL constraint failed: users.name",
                Some("users.name NOT NULL"),
            ),
            (
                "Column 'name' cannot be null (error 1048)",
                Some("name NOT NULL"),
            ),
            ("syntax error", None),
        ];
        for (message, want) in cases {
            assert_eq!(constraint_named(message).as_deref(), want, "{message}");
        }
    }

    #[test]
    fn snippet_lists_the_required_columns_as_python() {
        let col = |name: &str, nullable: bool, autoincrement: bool| Column {
            name: name.into(),
            data_type: "TEXT".into(),
            nullable,
            default: None,
            autoincrement,
            generated: false,
            enum_values: None,
        };
        let table = Table {
            name: "users".into(),
            columns: vec![
                col("id", false, true),
                col("email", false, false),
                col("note", true, false),
                col("ok", false, false),
            ],
            ..Table::default()
        };
        let row: BTreeMap<String, Lit> = [
            ("id".to_string(), Lit::Int(1)),
            ("email".to_string(), Lit::Str("a\"b@example.com".into())),
            ("note".to_string(), Lit::Null),
            ("ok".to_string(), Lit::Bool(true)),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            snippet(&table, &row),
            r#"custom_seeds={"users": lambda: [{"email": "a\"b@example.com", "ok": True}]}"#
        );
    }
}
