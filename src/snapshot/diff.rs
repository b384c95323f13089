//! Schema differences as plain-English lines, one per difference.
//!
//! `expected` is the state the database should be in (the parent revision before the upgrade,
//! or the first upgrade's result), `actual` what it is in now. [`Moment`] words the lines for
//! the two comparisons a check makes.

use std::collections::BTreeSet;

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
pub fn diff(expected: &Schema, actual: &Schema, when: Moment) -> Vec<String> {
    let mut out = Vec::new();
    for (name, table) in &expected.tables {
        match actual.tables.get(name) {
            None => out.push(format!("Table '{name}' {}", when.missing())),
            Some(now) => diff_table(table, now, when, &mut out),
        }
    }
    for name in actual.tables.keys() {
        if !expected.tables.contains_key(name) {
            out.push(format!("Table '{name}' {}", when.extra()));
        }
    }
    named_map_diff(
        "View",
        &expected.views,
        &actual.views,
        when,
        "definition changed",
        &mut out,
    );
    for (name, labels) in &expected.enums {
        match actual.enums.get(name) {
            None => out.push(format!("Enum type '{name}' {}", when.missing())),
            Some(now) if now != labels => out.push(format!(
                "Enum type '{name}': values [{}] became [{}]{}",
                labels.join(", "),
                now.join(", "),
                when.suffix()
            )),
            Some(_) => {}
        }
    }
    for name in actual.enums.keys() {
        if !expected.enums.contains_key(name) {
            out.push(format!("Enum type '{name}' {}", when.extra()));
        }
    }
    named_map_diff(
        "Sequence",
        &expected.sequences,
        &actual.sequences,
        when,
        "changed",
        &mut out,
    );
    out
}

fn named_map_diff(
    kind: &str,
    expected: &std::collections::BTreeMap<String, String>,
    actual: &std::collections::BTreeMap<String, String>,
    when: Moment,
    changed: &str,
    out: &mut Vec<String>,
) {
    for (name, def) in expected {
        match actual.get(name) {
            None => out.push(format!("{kind} '{name}' {}", when.missing())),
            Some(now) if now != def => {
                out.push(format!("{kind} '{name}': {changed}{}", when.suffix()));
            }
            Some(_) => {}
        }
    }
    for name in actual.keys() {
        if !expected.contains_key(name) {
            out.push(format!("{kind} '{name}' {}", when.extra()));
        }
    }
}

fn diff_column(table: &str, want: &Column, now: &Column, when: Moment, out: &mut Vec<String>) {
    let name = format!("{table}.{}", want.name);
    let sfx = when.suffix();
    if want.data_type != now.data_type {
        out.push(format!(
            "Column '{name}': type {} became {}{sfx}",
            want.data_type, now.data_type
        ));
    } else if want.enum_values != now.enum_values {
        out.push(format!(
            "Column '{name}': enum values [{}] became [{}]{sfx}",
            want.enum_values.clone().unwrap_or_default().join(", "),
            now.enum_values.clone().unwrap_or_default().join(", ")
        ));
    }
    if want.nullable != now.nullable {
        let word = |n: bool| if n { "nullable" } else { "NOT NULL" };
        out.push(format!(
            "Column '{name}': {} became {}{sfx}",
            word(want.nullable),
            word(now.nullable)
        ));
    }
    if want.default != now.default {
        let word = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".to_string());
        out.push(format!(
            "Column '{name}': default {} became {}{sfx}",
            word(&want.default),
            word(&now.default)
        ));
    }
    if want.autoincrement != now.autoincrement {
        let what = if want.autoincrement { "lost" } else { "gained" };
        out.push(format!("Column '{name}': {what} autoincrement{sfx}"));
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

fn diff_table(want: &Table, now: &Table, when: Moment, out: &mut Vec<String>) {
    let t = &want.name;
    for col in &want.columns {
        match now.column(&col.name) {
            None => out.push(format!("Column '{t}.{}' {}", col.name, when.missing())),
            Some(c) => diff_column(t, col, c, when, out),
        }
    }
    for col in &now.columns {
        if want.column(&col.name).is_none() {
            out.push(format!("Column '{t}.{}' {}", col.name, when.extra()));
        }
    }
    if !same_columns(&want.primary_key, &now.primary_key) {
        out.push(format!(
            "Table '{t}': primary key ({}) became ({}){}",
            list(&want.primary_key),
            list(&now.primary_key),
            when.suffix()
        ));
    }
    set_diff(&want.uniques, &now.uniques, when, out, |cols| {
        format!("Unique constraint on {t}({})", list(cols))
    });
    for (name, idx) in &want.indexes {
        match now.indexes.get(name) {
            None => out.push(format!("Index '{name}' {}", when.missing())),
            Some(n) if n != idx => {
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
                out.push(format!(
                    "Index '{name}': {} became {}{}",
                    describe(idx),
                    describe(n),
                    when.suffix()
                ));
            }
            Some(_) => {}
        }
    }
    for name in now.indexes.keys() {
        if !want.indexes.contains_key(name) {
            out.push(format!("Index '{name}' {}", when.extra()));
        }
    }
    diff_foreign_keys(t, want, now, when, out);
    set_diff(&want.checks, &now.checks, when, out, |c| {
        format!("Check constraint on {t} ({c})")
    });
}

/// A key on the same columns and target whose ON DELETE / ON UPDATE changed is one line
/// (`ON DELETE NO ACTION became ON DELETE CASCADE`), not a key missing plus a key left behind.
fn diff_foreign_keys(t: &str, want: &Table, now: &Table, when: Moment, out: &mut Vec<String>) {
    let target = |fk: &ForeignKey| {
        (
            fk.columns.clone(),
            fk.ref_table.clone(),
            fk.ref_columns.clone(),
        )
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
            out.push(format!(
                "Foreign key {}: {}{}",
                fk_text(t, &shape),
                changes.join(", "),
                when.suffix()
            ));
            paired.insert(old);
            paired.insert(changed);
        }
    }
    for fk in gone.iter().filter(|fk| !paired.contains(*fk)) {
        out.push(format!("Foreign key {} {}", fk_text(t, fk), when.missing()));
    }
    for fk in new.iter().filter(|fk| !paired.contains(*fk)) {
        out.push(format!("Foreign key {} {}", fk_text(t, fk), when.extra()));
    }
}

fn set_diff<T: Ord>(
    want: &BTreeSet<T>,
    now: &BTreeSet<T>,
    when: Moment,
    out: &mut Vec<String>,
    label: impl Fn(&T) -> String,
) {
    for item in want.difference(now) {
        out.push(format!("{} {}", label(item), when.missing()));
    }
    for item in now.difference(want) {
        out.push(format!("{} {}", label(item), when.extra()));
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::Index;
    use super::*;

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
            diff(&before, &after, Moment::Rollback),
            vec![
                "Column 'orders.total': type NUMERIC(10,2) became FLOAT",
                "Index 'ix_orders_total' still exists after rollback",
                "Table 'tags' still exists after rollback",
            ]
        );
        assert!(diff(&before, &before, Moment::Rollback).is_empty());
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
        assert!(diff(&table(&["a", "b"]), &table(&["b", "a"]), Moment::Rollback).is_empty());
        assert_eq!(
            diff(&table(&["a", "b"]), &table(&["b", "c"]), Moment::Rollback),
            vec!["Table 'links': primary key (a, b) became (b, c)"]
        );
        assert_eq!(
            diff(&table(&["a", "b"]), &table(&["a"]), Moment::Rollback),
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
            diff(
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
            diff(
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
