//! Rows whose values are given, not generated: the column values an upgrade's `UPDATE` or
//! `DELETE` looks for (see `seeder::matching`). Each value is checked against its column the
//! way generated values are made to hold (the column exists, NOT NULL, its type, the CHECK
//! rules, a foreign key names a row that exists) and converted to the column's kind; a value
//! that cannot hold says why, and no row is seeded for it.

use std::collections::BTreeMap;

use super::checks::{Model, ValueRule};
use super::values::{Kind, fits};
use crate::dialects::{Dialect, Lit};
use crate::error::Result;
use crate::snapshot::schema::{Column, Table};

/// The model of `table`'s CHECK rules that [`fit`] checks values against: built once per
/// table, however many rows are fitted.
#[must_use]
pub fn checks_of(conn: &dyn Dialect, table: &Table) -> Model {
    let checks: Vec<&str> = table.checks.iter().map(String::as_str).collect();
    super::checks::model(conn.backend(), &checks, &[])
}

/// `values` as the columns of `table` hold them, or why they cannot be one row of it.
/// `model` is [`checks_of`] the table; `kind_of` is the seeder's kind of a column's values
/// under its CHECK rule.
///
/// # Errors
/// Only the database's (reading a referenced table); a value that does not fit is `Ok(Err)`.
pub fn fit(
    conn: &mut dyn Dialect,
    table: &Table,
    model: &Model,
    values: &[(String, Lit)],
    kind_of: &dyn Fn(&Column, &ValueRule) -> Kind,
) -> Result<std::result::Result<BTreeMap<String, Lit>, String>> {
    let mut row = BTreeMap::new();
    for (name, value) in values {
        let Some(col) = table
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
        else {
            return Ok(Err(format!("'{}' has no column {name}", table.name)));
        };
        if col.generated {
            return Ok(Err(format!("column {} is generated", col.name)));
        }
        let rule = model.rule(&col.name).cloned().unwrap_or_default();
        let kind = kind_of(col, &rule);
        let nullable = col.nullable && !table.primary_key.contains(&col.name) && !rule.not_null;
        let value = match as_kind(value, &kind, &rule, nullable) {
            Ok(v) => v,
            Err(why) => return Ok(Err(format!("column {}: {why}", col.name))),
        };
        row.insert(col.name.clone(), value);
    }
    for fk in &table.foreign_keys {
        let given: Vec<(String, &Lit)> = fk
            .columns
            .iter()
            .zip(&fk.ref_columns)
            .filter_map(|(c, r)| row.get(c).map(|v| (r.clone(), v)))
            .filter(|(_, v)| **v != Lit::Null)
            .collect();
        if given.is_empty() {
            continue;
        }
        let wanted: Vec<String> = given
            .iter()
            .map(|(c, v)| format!("{} = {}", conn.quote(c), conn.literal(v)))
            .collect();
        let found = conn.query_text(&format!(
            "SELECT 1 FROM {} WHERE {} LIMIT 1",
            conn.quote(&fk.ref_table),
            wanted.join(" AND ")
        ))?;
        if found.is_empty() {
            return Ok(Err(format!(
                "{} must name a row of '{}', and none has {}",
                fk.columns.join(", "),
                fk.ref_table,
                given
                    .iter()
                    .map(|(c, v)| format!("{c} = {}", conn.literal(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    }
    Ok(Ok(row))
}

/// `value` as a value of `kind` that `rule` allows, or why it is not one.
fn as_kind(
    value: &Lit,
    kind: &Kind,
    rule: &ValueRule,
    nullable: bool,
) -> std::result::Result<Lit, String> {
    if *value == Lit::Null {
        return if nullable {
            Ok(Lit::Null)
        } else {
            Err("it is NOT NULL".to_string())
        };
    }
    if rule.null {
        return Err("a CHECK keeps it NULL".to_string());
    }
    let text = match value {
        Lit::Str(s) | Lit::Num(s) => s.clone(),
        Lit::Int(n) => n.to_string(),
        Lit::Bool(b) => b.to_string(),
        Lit::Null | Lit::Bytes(_) => String::new(),
    };
    let not_a = |what: &str| Err(format!("{} is not {what}", shown(value)));
    let converted = match (kind, value) {
        (Kind::Bytes { .. }, Lit::Bytes(_)) => return Ok(value.clone()),
        (_, Lit::Bytes(_)) | (Kind::Bytes { .. }, _) => return not_a("bytes"),
        (Kind::Int { min, max }, _) => match text.parse::<i64>() {
            Ok(n) if (*min..=*max).contains(&n) => Lit::Int(n),
            Ok(_) => return not_a("in the column's range"),
            Err(_) => return not_a("an integer"),
        },
        (Kind::Decimal { .. } | Kind::Float, _) => match text.parse::<f64>() {
            Ok(_) => Lit::Num(text.clone()),
            Err(_) => return not_a("a number"),
        },
        (Kind::Bool, _) => match text.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" => Lit::Bool(true),
            "false" | "f" | "0" => Lit::Bool(false),
            _ => return not_a("a boolean"),
        },
        (Kind::Uuid, _) => {
            let hex: String = text.chars().filter(|c| *c != '-').collect();
            if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return not_a("a UUID");
            }
            Lit::Str(text.clone())
        }
        (Kind::Enum(labels), _) if !labels.contains(&text) => {
            return Err(format!("{} is not one of its labels", shown(value)));
        }
        (Kind::Text { max }, _) => {
            if !fits(&text, rule, *max) {
                return Err(format!("{} does not fit its width or CHECK", shown(value)));
            }
            Lit::Str(text.clone())
        }
        _ => value.clone(),
    };
    if let Some(list) = &rule.one_of
        && !list.contains(&text)
    {
        return Err(format!("a CHECK allows only {}", list.join(", ")));
    }
    let number = text.parse::<f64>().ok();
    let outside = |bound: Option<&super::checks::Bound>, below: bool| {
        bound.is_some_and(|b| match (number, b.number()) {
            (Some(n), Some(limit)) => {
                let on_wrong_side = if below { n < limit } else { n > limit };
                on_wrong_side || (b.strict && (n - limit).abs() < f64::EPSILON)
            }
            _ => false,
        })
    };
    if outside(rule.lo.as_ref(), true) || outside(rule.hi.as_ref(), false) {
        return Err(format!("{} is outside its CHECK's range", shown(value)));
    }
    Ok(converted)
}

fn shown(value: &Lit) -> String {
    match value {
        Lit::Str(s) => format!("'{s}'"),
        Lit::Num(s) => s.clone(),
        Lit::Int(n) => n.to_string(),
        Lit::Bool(b) => b.to_string(),
        Lit::Null => "NULL".to_string(),
        Lit::Bytes(_) => "bytes".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> ValueRule {
        ValueRule::default()
    }

    #[test]
    fn values_take_the_columns_kind() {
        let int = Kind::Int { min: 0, max: 100 };
        assert_eq!(
            as_kind(&Lit::Str("7".into()), &int, &rule(), false),
            Ok(Lit::Int(7))
        );
        assert_eq!(
            as_kind(&Lit::Str("x".into()), &int, &rule(), false),
            Err("'x' is not an integer".into())
        );
        assert_eq!(
            as_kind(&Lit::Int(1), &Kind::Bool, &rule(), false),
            Ok(Lit::Bool(true))
        );
        assert_eq!(
            as_kind(&Lit::Null, &Kind::Bool, &rule(), false),
            Err("it is NOT NULL".into())
        );
        assert_eq!(
            as_kind(&Lit::Str("no".into()), &Kind::Uuid, &rule(), true),
            Err("'no' is not a UUID".into())
        );
    }

    #[test]
    fn check_rules_and_widths_hold() {
        let listed = ValueRule {
            one_of: Some(vec!["a".into(), "b".into()]),
            ..ValueRule::default()
        };
        let text = Kind::Text { max: Some(3) };
        assert_eq!(
            as_kind(&Lit::Str("c".into()), &text, &listed, true),
            Err("a CHECK allows only a, b".into())
        );
        assert_eq!(
            as_kind(&Lit::Str("long".into()), &text, &rule(), true),
            Err("'long' does not fit its width or CHECK".into())
        );
        let positive = ValueRule {
            lo: Some(super::super::checks::Bound {
                value: "0".into(),
                strict: true,
            }),
            ..ValueRule::default()
        };
        assert_eq!(
            as_kind(
                &Lit::Int(0),
                &Kind::Int { min: -9, max: 9 },
                &positive,
                true
            ),
            Err("0 is outside its CHECK's range".into())
        );
    }
}
