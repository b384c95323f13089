//! Schema differences, one [`Difference`] per difference, each with the object it is about and
//! what changed; its `Display` is the plain-English line users read.
//!
//! `expected` is the state the database should be in (the parent revision before the upgrade,
//! or the first upgrade's result), `actual` what it is in now. [`Moment`] words the lines for
//! the two comparisons a check makes.

use std::collections::BTreeSet;
use std::fmt;

use super::schema::{Column, ForeignKey, Schema, Table};

/// Which comparison the lines describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// After the downgrade, against the parent revision's schema.
    Rollback,
    /// After upgrading again, against the first upgrade's schema.
    Reupgrade,
}

impl Moment {
    fn extra(self) -> &'static str {
        match self {
            Moment::Rollback => "still exists after rollback",
            Moment::Reupgrade => "exists only after the second upgrade",
        }
    }
    fn missing(self) -> &'static str {
        match self {
            Moment::Rollback => "missing after rollback",
            Moment::Reupgrade => "missing after the second upgrade",
        }
    }
    fn suffix(self) -> &'static str {
        match self {
            Moment::Rollback => "",
            Moment::Reupgrade => " on the second upgrade",
        }
    }
}

/// The schema object a difference is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Table(String),
    Column {
        table: String,
        column: String,
    },
    View(String),
    EnumType(String),
    Sequence(String),
    Index {
        table: String,
        name: String,
    },
    Unique {
        table: String,
        columns: Vec<String>,
    },
    Check {
        table: String,
        sql: String,
    },
    /// The key as it was (for a changed action: its columns and target only).
    ForeignKey {
        table: String,
        key: ForeignKey,
    },
}

impl Subject {
    /// `table`, `column`, `view`, `enum`, `sequence`, `index`, `unique`, `check` or
    /// `foreign_key`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Table(_) => "table",
            Subject::Column { .. } => "column",
            Subject::View(_) => "view",
            Subject::EnumType(_) => "enum",
            Subject::Sequence(_) => "sequence",
            Subject::Index { .. } => "index",
            Subject::Unique { .. } => "unique",
            Subject::Check { .. } => "check",
            Subject::ForeignKey { .. } => "foreign_key",
        }
    }

    /// The table the object is, or belongs to (none for views, enum types and sequences).
    #[must_use]
    pub fn table(&self) -> Option<&str> {
        match self {
            Subject::Table(table)
            | Subject::Column { table, .. }
            | Subject::Index { table, .. }
            | Subject::Unique { table, .. }
            | Subject::Check { table, .. }
            | Subject::ForeignKey { table, .. } => Some(table),
            Subject::View(_) | Subject::EnumType(_) | Subject::Sequence(_) => None,
        }
    }

    /// The object's own name where it has one (a column, an index, a view...).
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        match self {
            Subject::Table(name)
            | Subject::View(name)
            | Subject::EnumType(name)
            | Subject::Sequence(name)
            | Subject::Column { column: name, .. }
            | Subject::Index { name, .. } => Some(name),
            Subject::Unique { .. } | Subject::Check { .. } | Subject::ForeignKey { .. } => None,
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Table(name) => write!(f, "Table '{name}'"),
            Subject::Column { table, column } => write!(f, "Column '{table}.{column}'"),
            Subject::View(name) => write!(f, "View '{name}'"),
            Subject::EnumType(name) => write!(f, "Enum type '{name}'"),
            Subject::Sequence(name) => write!(f, "Sequence '{name}'"),
            Subject::Index { name, .. } => write!(f, "Index '{name}'"),
            Subject::Unique { table, columns } => {
                write!(f, "Unique constraint on {table}({})", list(columns))
            }
            Subject::Check { table, sql } => write!(f, "Check constraint on {table} ({sql})"),
            Subject::ForeignKey { table, key } => write!(f, "Foreign key {}", fk_text(table, key)),
        }
    }
}

/// What happened to the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Expected, and not there.
    Missing,
    /// There, and not expected.
    Extra,
    /// One property (`type`, `default`, ...; empty when the values say it) went from `was`
    /// to `now`.
    Became {
        what: &'static str,
        was: String,
        now: String,
    },
    /// Changed in a way told in words (`definition changed`, `lost autoincrement`).
    Altered(String),
}

/// One difference between the expected and the actual schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub subject: Subject,
    pub change: Change,
    pub when: Moment,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (subject, when) = (&self.subject, self.when);
        match &self.change {
            Change::Missing => write!(f, "{subject} {}", when.missing()),
            Change::Extra => write!(f, "{subject} {}", when.extra()),
            Change::Became { what, was, now } => {
                let gap = if what.is_empty() { "" } else { " " };
                write!(
                    f,
                    "{subject}: {what}{gap}{was} became {now}{}",
                    when.suffix()
                )
            }
            Change::Altered(how) => write!(f, "{subject}: {how}{}", when.suffix()),
        }
    }
}

/// Collects the differences of one comparison.
struct Out {
    when: Moment,
    found: Vec<Difference>,
}

impl Out {
    fn push(&mut self, subject: Subject, change: Change) {
        self.found.push(Difference {
            subject,
            change,
            when: self.when,
        });
    }

    fn became(&mut self, subject: Subject, what: &'static str, was: String, now: String) {
        self.push(subject, Change::Became { what, was, now });
    }
}

fn list(cols: &[String]) -> String {
    cols.join(", ")
}

fn fk_text(table: &str, fk: &ForeignKey) -> String {
    let mut s = format!(
        "{table}({}) → {}({})",
        list(&fk.columns),
        fk.ref_table,
        list(&fk.ref_columns)
    );
    if fk.on_delete != "NO ACTION" {
        s.push_str(&format!(" ON DELETE {}", fk.on_delete));
    }
    if fk.on_update != "NO ACTION" {
        s.push_str(&format!(" ON UPDATE {}", fk.on_update));
    }
    s
}

/// Every difference between `expected` and `actual`.
#[must_use]
pub fn diff(expected: &Schema, actual: &Schema, when: Moment) -> Vec<Difference> {
    let mut out = Out {
        when,
        found: Vec::new(),
    };
    for (name, table) in &expected.tables {
        match actual.tables.get(name) {
            None => out.push(Subject::Table(name.clone()), Change::Missing),
            Some(now) => diff_table(table, now, &mut out),
        }
    }
    for name in actual.tables.keys() {
        if !expected.tables.contains_key(name) {
            out.push(Subject::Table(name.clone()), Change::Extra);
        }
    }
    named_map_diff(
        Subject::View,
        &expected.views,
        &actual.views,
        "definition changed",
        &mut out,
    );
    for (name, labels) in &expected.enums {
        let subject = Subject::EnumType(name.clone());
        match actual.enums.get(name) {
            None => out.push(subject, Change::Missing),
            Some(now) if now != labels => out.became(
                subject,
                "values",
                format!("[{}]", labels.join(", ")),
                format!("[{}]", now.join(", ")),
            ),
            Some(_) => {}
        }
    }
    for name in actual.enums.keys() {
        if !expected.enums.contains_key(name) {
            out.push(Subject::EnumType(name.clone()), Change::Extra);
        }
    }
    named_map_diff(
        Subject::Sequence,
        &expected.sequences,
        &actual.sequences,
        "changed",
        &mut out,
    );
    out.found
}

fn named_map_diff(
    subject: fn(String) -> Subject,
    expected: &std::collections::BTreeMap<String, String>,
    actual: &std::collections::BTreeMap<String, String>,
    changed: &str,
    out: &mut Out,
) {
    for (name, def) in expected {
        match actual.get(name) {
            None => out.push(subject(name.clone()), Change::Missing),
            Some(now) if now != def => {
                out.push(subject(name.clone()), Change::Altered(changed.to_string()));
            }
            Some(_) => {}
        }
    }
    for name in actual.keys() {
        if !expected.contains_key(name) {
            out.push(subject(name.clone()), Change::Extra);
        }
    }
}

fn diff_column(table: &str, want: &Column, now: &Column, out: &mut Out) {
    let subject = || Subject::Column {
        table: table.to_string(),
        column: want.name.clone(),
    };
    if want.data_type != now.data_type {
        out.became(
            subject(),
            "type",
            want.data_type.clone(),
            now.data_type.clone(),
        );
    } else if want.enum_values != now.enum_values {
        let values =
            |v: &Option<Vec<String>>| format!("[{}]", v.clone().unwrap_or_default().join(", "));
        out.became(
            subject(),
            "enum values",
            values(&want.enum_values),
            values(&now.enum_values),
        );
    }
    if want.nullable != now.nullable {
        let word = |n: bool| if n { "nullable" } else { "NOT NULL" }.to_string();
        out.became(subject(), "", word(want.nullable), word(now.nullable));
    }
    if want.default != now.default {
        let word = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".to_string());
        out.became(
            subject(),
            "default",
            word(&want.default),
            word(&now.default),
        );
    }
    if want.autoincrement != now.autoincrement {
        let what = if want.autoincrement { "lost" } else { "gained" };
        out.push(subject(), Change::Altered(format!("{what} autoincrement")));
    }
}

/// The same columns in any order. A primary key is compared this way: what it guarantees
/// (unique, NOT NULL, what foreign keys may reference) does not depend on the order, which
/// only shapes the index behind it. Alembic's batch mode on SQLite and hand-written
/// downgrades recreate keys in another order (airflow 05234396c6fc, cf87489a35df); a key
/// with a column more or less is still reported.
fn same_columns(a: &[String], b: &[String]) -> bool {
    let mut a: Vec<&String> = a.iter().collect();
    let mut b: Vec<&String> = b.iter().collect();
    a.sort();
    b.sort();
    a == b
}

fn diff_table(want: &Table, now: &Table, out: &mut Out) {
    let t = &want.name;
    let column = |name: &String| Subject::Column {
        table: t.clone(),
        column: name.clone(),
    };
    for col in &want.columns {
        match now.column(&col.name) {
            None => out.push(column(&col.name), Change::Missing),
            Some(c) => diff_column(t, col, c, out),
        }
    }
    for col in &now.columns {
        if want.column(&col.name).is_none() {
            out.push(column(&col.name), Change::Extra);
        }
    }
    if !same_columns(&want.primary_key, &now.primary_key) {
        out.became(
            Subject::Table(t.clone()),
            "primary key",
            format!("({})", list(&want.primary_key)),
            format!("({})", list(&now.primary_key)),
        );
    }
    set_diff(&want.uniques, &now.uniques, out, |cols| Subject::Unique {
        table: t.clone(),
        columns: cols.clone(),
    });
    diff_indexes(want, now, out);
    diff_foreign_keys(t, want, now, out);
    set_diff(&want.checks, &now.checks, out, |c| Subject::Check {
        table: t.clone(),
        sql: c.clone(),
    });
}

fn diff_indexes(want: &Table, now: &Table, out: &mut Out) {
    let index = |name: &String| Subject::Index {
        table: want.name.clone(),
        name: name.clone(),
    };
    let describe = |i: &super::schema::Index| {
        let mut s = format!(
            "{}({})",
            if i.unique { "UNIQUE " } else { "" },
            list(&i.columns)
        );
        if let Some(p) = &i.predicate {
            s.push_str(&format!(" WHERE {p}"));
        }
        s
    };
    for (name, idx) in &want.indexes {
        match now.indexes.get(name) {
            None => out.push(index(name), Change::Missing),
            Some(n) if n != idx => out.became(index(name), "", describe(idx), describe(n)),
            Some(_) => {}
        }
    }
    for name in now.indexes.keys() {
        if !want.indexes.contains_key(name) {
            out.push(index(name), Change::Extra);
        }
    }
}

/// A key on the same columns and target whose ON DELETE / ON UPDATE changed is one line
/// (`ON DELETE NO ACTION became ON DELETE CASCADE`), not a key missing plus a key left behind.
fn diff_foreign_keys(t: &str, want: &Table, now: &Table, out: &mut Out) {
    let target = |fk: &ForeignKey| {
        (
            fk.columns.clone(),
            fk.ref_table.clone(),
            fk.ref_columns.clone(),
        )
    };
    let subject = |key: ForeignKey| Subject::ForeignKey {
        table: t.to_string(),
        key,
    };
    let gone: Vec<&ForeignKey> = want.foreign_keys.difference(&now.foreign_keys).collect();
    let new: Vec<&ForeignKey> = now.foreign_keys.difference(&want.foreign_keys).collect();
    let mut paired: BTreeSet<&ForeignKey> = BTreeSet::new();
    for old in &gone {
        let same_target: Vec<&&ForeignKey> =
            new.iter().filter(|n| target(n) == target(old)).collect();
        if let [changed] = same_target.as_slice()
            && gone.iter().filter(|g| target(g) == target(old)).count() == 1
        {
            let shape = ForeignKey {
                on_delete: "NO ACTION".into(),
                on_update: "NO ACTION".into(),
                ..(*old).clone()
            };
            let mut changes = Vec::new();
            for (what, was, is) in [
                ("ON DELETE", &old.on_delete, &changed.on_delete),
                ("ON UPDATE", &old.on_update, &changed.on_update),
            ] {
                if was != is {
                    changes.push(format!("{what} {was} became {what} {is}"));
                }
            }
            out.push(subject(shape), Change::Altered(changes.join(", ")));
            paired.insert(old);
            paired.insert(changed);
        }
    }
    for fk in gone.iter().filter(|fk| !paired.contains(*fk)) {
        out.push(subject((*fk).clone()), Change::Missing);
    }
    for fk in new.iter().filter(|fk| !paired.contains(*fk)) {
        out.push(subject((*fk).clone()), Change::Extra);
    }
}

fn set_diff<T: Ord>(
    want: &BTreeSet<T>,
    now: &BTreeSet<T>,
    out: &mut Out,
    subject: impl Fn(&T) -> Subject,
) {
    for item in want.difference(now) {
        out.push(subject(item), Change::Missing);
    }
    for item in now.difference(want) {
        out.push(subject(item), Change::Extra);
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::Index;
    use super::*;

    /// The lines users read.
    fn lines(expected: &Schema, actual: &Schema, when: Moment) -> Vec<String> {
        diff(expected, actual, when)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn col(name: &str, ty: &str) -> Column {
        Column {
            name: name.into(),
            data_type: ty.into(),
            nullable: true,
            default: None,
            autoincrement: false,
            generated: false,
            enum_values: None,
        }
    }

    #[test]
    fn describes_each_difference_in_one_line() {
        let mut before = Schema::default();
        let mut orders = Table {
            name: "orders".into(),
            columns: vec![col("id", "INTEGER"), col("total", "NUMERIC(10,2)")],
            primary_key: vec!["id".into()],
            ..Table::default()
        };
        before.tables.insert("orders".into(), orders.clone());
        orders.columns[1].data_type = "FLOAT".into();
        orders.indexes.insert(
            "ix_orders_total".into(),
            Index {
                name: "ix_orders_total".into(),
                columns: vec!["total".into()],
                unique: false,
                predicate: None,
            },
        );
        let mut after = Schema::default();
        after.tables.insert("orders".into(), orders);
        after.tables.insert(
            "tags".into(),
            Table {
                name: "tags".into(),
                ..Table::default()
            },
        );
        assert_eq!(
            lines(&before, &after, Moment::Rollback),
            vec![
                "Column 'orders.total': type NUMERIC(10,2) became FLOAT",
                "Index 'ix_orders_total' still exists after rollback",
                "Table 'tags' still exists after rollback",
            ]
        );
        assert!(lines(&before, &before, Moment::Rollback).is_empty());
        // The lines are rendered from data: the object and what changed, as fields.
        let found = diff(&before, &after, Moment::Rollback);
        assert_eq!(
            found[0].subject,
            Subject::Column {
                table: "orders".into(),
                column: "total".into()
            }
        );
        assert_eq!(
            found[0].change,
            Change::Became {
                what: "type",
                was: "NUMERIC(10,2)".into(),
                now: "FLOAT".into()
            }
        );
        assert_eq!(
            (found[1].subject.kind(), found[1].subject.table()),
            ("index", Some("orders"))
        );
        assert_eq!(found[2].change, Change::Extra);
    }

    #[test]
    fn the_second_upgrade_words_each_kind_of_change() {
        let mut before = Schema::default();
        before.enums.insert("mood".into(), vec!["ok".into()]);
        before.views.insert("v".into(), "SELECT 1".into());
        let mut after = before.clone();
        after
            .enums
            .insert("mood".into(), vec!["ok".into(), "sad".into()]);
        after.views.insert("v".into(), "SELECT 2".into());
        assert_eq!(
            lines(&before, &after, Moment::Reupgrade),
            vec![
                "View 'v': definition changed on the second upgrade",
                "Enum type 'mood': values [ok] became [ok, sad] on the second upgrade",
            ]
        );
    }

    #[test]
    fn primary_key_order_is_not_a_difference_but_its_columns_are() {
        let table = |pk: &[&str]| {
            let mut s = Schema::default();
            let t = Table {
                name: "links".into(),
                columns: vec![
                    col("a", "INTEGER"),
                    col("b", "INTEGER"),
                    col("c", "INTEGER"),
                ],
                primary_key: pk.iter().map(|c| (*c).to_string()).collect(),
                ..Table::default()
            };
            s.tables.insert("links".into(), t);
            s
        };
        assert!(lines(&table(&["a", "b"]), &table(&["b", "a"]), Moment::Rollback).is_empty());
        assert_eq!(
            lines(&table(&["a", "b"]), &table(&["b", "c"]), Moment::Rollback),
            vec!["Table 'links': primary key (a, b) became (b, c)"]
        );
        assert_eq!(
            lines(&table(&["a", "b"]), &table(&["a"]), Moment::Rollback),
            vec!["Table 'links': primary key (a, b) became (a)"]
        );
    }

    #[test]
    fn a_foreign_key_whose_action_changed_is_one_line_and_a_moved_key_two() {
        let key = |ref_table: &str, on_delete: &str| ForeignKey {
            columns: vec!["request_id".into()],
            ref_table: ref_table.into(),
            ref_columns: vec!["request_id".into()],
            on_delete: on_delete.into(),
            on_update: "NO ACTION".into(),
        };
        let schema = |fk: ForeignKey| {
            let mut s = Schema::default();
            let mut t = Table {
                name: "tags".into(),
                ..Table::default()
            };
            t.foreign_keys.insert(fk);
            s.tables.insert("tags".into(), t);
            s
        };
        assert_eq!(
            lines(
                &schema(key("traces", "NO ACTION")),
                &schema(key("traces", "CASCADE")),
                Moment::Rollback
            ),
            vec![
                "Foreign key tags(request_id) → traces(request_id): ON DELETE NO ACTION became \
                 ON DELETE CASCADE"
            ]
        );
        assert_eq!(
            lines(
                &schema(key("traces", "NO ACTION")),
                &schema(key("spans", "NO ACTION")),
                Moment::Rollback
            ),
            vec![
                "Foreign key tags(request_id) → traces(request_id) missing after rollback",
                "Foreign key tags(request_id) → spans(request_id) still exists after rollback",
            ]
        );
    }
}
