//! The schema snapshot: everything a rollback must restore, normalized per dialect so that two
//! equal states compare equal after a round trip (casts in defaults, auto-generated names and
//! whitespace are normalized away by the dialect that builds it).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// One column. `data_type` is the normalized SQL type (`VARCHAR(100)`, `NUMERIC(10,2)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    pub data_type: String,
    pub nullable: bool,
    pub default: Option<String>,
    /// Serial, identity, AUTO_INCREMENT or SQLite's rowid alias.
    pub autoincrement: bool,
    /// The database fills it itself and refuses explicit values (GENERATED ALWAYS, computed).
    pub generated: bool,
    /// Allowed labels when the type is an enum (PostgreSQL enum type or MySQL ENUM).
    pub enum_values: Option<Vec<String>>,
}

/// A named index that is not the implementation of a primary key or unique constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
    /// `WHERE` predicate of a partial index.
    pub predicate: Option<String>,
}

/// A foreign key, compared by its shape rather than its (often generated) name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: String,
    pub on_update: String,
}

/// Constraint names, kept to understand a database's refusal (a name in an error message) but
/// never compared: constraints are compared by their shape, and generated names differ.
#[derive(Debug, Clone, Eq, Serialize, Default)]
#[serde(transparent)]
pub struct Names(pub BTreeMap<String, String>);

impl PartialEq for Names {
    fn eq(&self, _: &Names) -> bool {
        true
    }
}

impl Names {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A PostgreSQL domain: a base type with its own NOT NULL and CHECK constraints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Domain {
    /// The normalized base type (`TEXT`, `VARCHAR(20)`).
    pub base_type: String,
    pub not_null: bool,
    /// Constraint name → normalized expression over `VALUE`.
    pub checks: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    /// Column sets of unique constraints (names are generated differently per dialect).
    pub uniques: BTreeSet<Vec<String>>,
    pub indexes: BTreeMap<String, Index>,
    pub foreign_keys: BTreeSet<ForeignKey>,
    /// Normalized CHECK expressions.
    pub checks: BTreeSet<String>,
    /// CHECK constraint name → its normalized expression, where the database names them.
    #[serde(skip_serializing_if = "Names::is_empty")]
    pub check_names: Names,
}

impl Table {
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A whole database schema (the current schema for PostgreSQL, the database for MySQL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
    /// View name → normalized definition.
    pub views: BTreeMap<String, String>,
    /// PostgreSQL enum type name → labels in order.
    pub enums: BTreeMap<String, Vec<String>>,
    /// Free-standing PostgreSQL sequences (not owned by a serial/identity column) → shape.
    pub sequences: BTreeMap<String, String>,
    /// PostgreSQL domain type name → definition.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub domains: BTreeMap<String, Domain>,
}

impl Schema {
    /// Drop objects the check must not look at (Alembic's version table).
    #[must_use]
    pub fn without(mut self, ignore: &[String]) -> Schema {
        for name in ignore {
            self.tables.remove(name);
        }
        self
    }

    /// Tables that exist in `self` but not in `before`, or whose definition differs.
    #[must_use]
    pub fn created_or_changed(&self, before: &Schema) -> Vec<String> {
        self.tables
            .iter()
            .filter(|(name, table)| before.tables.get(*name) != Some(*table))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Tables ordered so that every table comes after the tables it references (cycles and
    /// self-references are broken arbitrarily; the seeder handles them with NULL-then-UPDATE).
    #[must_use]
    pub fn dependency_order(&self) -> Vec<String> {
        let mut order = Vec::new();
        let mut state: BTreeMap<&str, u8> = BTreeMap::new();
        fn visit<'a>(
            schema: &'a Schema,
            name: &'a str,
            state: &mut BTreeMap<&'a str, u8>,
            order: &mut Vec<String>,
        ) {
            if state.get(name).copied().unwrap_or(0) != 0 {
                return;
            }
            state.insert(name, 1);
            if let Some(t) = schema.tables.get(name) {
                for fk in &t.foreign_keys {
                    if fk.ref_table != name && schema.tables.contains_key(&fk.ref_table) {
                        visit(schema, &fk.ref_table, state, order);
                    }
                }
            }
            state.insert(name, 2);
            order.push(name.to_string());
        }
        for name in self.tables.keys() {
            visit(self, name, &mut state, &mut order);
        }
        order
    }
}

/// Collapse runs of whitespace, drop spaces next to parentheses and commas, lower-case
/// outside quotes: the shape of an expression, not its formatting.
#[must_use]
pub fn normalize_sql(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    for ch in text.trim().chars() {
        if let Some(q) = quote {
            out.push(ch);
            if ch == q {
                quote = None;
            }
            continue;
        }
        if ch.is_whitespace() {
            pending_space = true;
            continue;
        }
        if ch == '"' || ch == '`' {
            // Identifier quoting differs between dialects and tools; drop it.
            continue;
        }
        if pending_space {
            let prev = out.chars().last();
            if !matches!(prev, None | Some('(' | ',')) && !matches!(ch, ')' | ',' | '(') {
                out.push(' ');
            }
            pending_space = false;
        }
        if ch == '\'' {
            quote = Some(ch);
            out.push(ch);
        } else {
            out.push(ch.to_ascii_lowercase());
        }
    }
    out
}

/// A default written as a quoted number is the number: `'-1'` → `-1`, `'0.5'` → `0.5`.
///
/// Tools write the same default both ways (SQLAlchemy renders `server_default="-1"` quoted and
/// `sa.text("-1")` bare; PostgreSQL shows `'-1'::integer` for `DEFAULT -1`), and the database
/// stores the same value: the quoted text is converted to the column's type on insert. Only
/// the exact text of a plain number is unquoted, so `'01'` stays `'01'` (a different string in
/// a text column) and `'-1'` never equals `'-2'`. Callers skip it where no conversion happens
/// (SQLite's BLOB affinity).
#[must_use]
pub fn unquote_number(default: &str) -> String {
    let Some(inner) = default
        .strip_prefix('\'')
        .and_then(|d| d.strip_suffix('\''))
    else {
        return default.to_string();
    };
    let digits = inner.strip_prefix('-').unwrap_or(inner);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let canonical = int == "0" || !int.starts_with('0');
    if plain(int) && plain(frac) && canonical {
        inner.to_string()
    } else {
        default.to_string()
    }
}

/// Strip redundant outer parentheses: `((a > 0))` → `a > 0`.
#[must_use]
pub fn strip_parens(text: &str) -> String {
    let mut s = text.trim();
    loop {
        if s.starts_with('(') && s.ends_with(')') && matching_paren(s, 0) == Some(s.len() - 1) {
            s = s[1..s.len() - 1].trim();
        } else {
            return s.to_string();
        }
    }
}

/// Index of the parenthesis closing the one at `open`, skipping quoted text.
#[must_use]
pub fn matching_paren(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut quote: Option<u8> = None;
    for (i, &b) in s.as_bytes().iter().enumerate().skip(open) {
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
            continue;
        }
        match b {
            b'\'' | b'"' | b'`' => quote = Some(b),
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, refs: &[&str]) -> Table {
        Table {
            name: name.into(),
            foreign_keys: refs
                .iter()
                .map(|r| ForeignKey {
                    columns: vec![format!("{r}_id")],
                    ref_table: (*r).into(),
                    ref_columns: vec!["id".into()],
                    on_delete: "NO ACTION".into(),
                    on_update: "NO ACTION".into(),
                })
                .collect(),
            ..Table::default()
        }
    }

    #[test]
    fn parents_come_first_and_cycles_do_not_hang() {
        let mut s = Schema::default();
        for t in [
            table("comments", &["posts", "users"]),
            table("posts", &["users"]),
            table("users", &["users"]),
            table("a", &["b"]),
            table("b", &["a"]),
        ] {
            s.tables.insert(t.name.clone(), t);
        }
        let order = s.dependency_order();
        let pos = |n: &str| order.iter().position(|x| x == n).unwrap();
        assert_eq!(order.len(), 5);
        assert!(pos("users") < pos("posts") && pos("posts") < pos("comments"));
        assert!(order.contains(&"a".to_string()) && order.contains(&"b".to_string()));
    }

    #[test]
    fn normalizes_formatting_only() {
        assert_eq!(
            normalize_sql("  CHECK ( \"Price\" >  0 )"),
            "check(price > 0)"
        );
        assert_eq!(normalize_sql("name IN ('A b', 'c')"), "name in('A b','c')");
        assert_eq!(strip_parens("((a > 0))"), "a > 0");
        assert_eq!(strip_parens("(a) AND (b)"), "(a) AND (b)");
    }

    #[test]
    fn quoted_numbers_are_numbers_but_other_text_stays() {
        assert_eq!(unquote_number("'-1'"), "-1");
        assert_eq!(unquote_number("'0'"), "0");
        assert_eq!(unquote_number("'12.50'"), "12.50");
        assert_eq!(unquote_number("-1"), "-1");
        // Real drift and real strings are kept apart.
        assert_ne!(unquote_number("'-1'"), unquote_number("'-2'"));
        assert_ne!(unquote_number("'-1'"), unquote_number("'x'"));
        for kept in [
            "'01'", "'1e3'", "'-'", "''", "'1.'", "'.5'", "'1 '", "'abc'",
        ] {
            assert_eq!(unquote_number(kept), kept);
        }
    }
}
