//! The seeder: writes `rows` rows into each table, planned from the schema snapshot.
//!
//! Tables are filled parents first (foreign-key order). Every column gets a value, nullable
//! ones included, so that losing nullable data is visible too; values respect type, length,
//! precision, enums and simple CHECK constraints, and are unique per seeding round. Foreign
//! keys point at rows that exist; a reference that cannot be satisfied yet (a cycle or a
//! self-reference) is written as NULL and filled in by an UPDATE once every table is seeded.
//! A table that cannot be seeded is reported as [`Unseeded`]: the table, the constraint the
//! database named, and a `custom_seeds` entry to paste.

pub mod checks;
pub mod refusal;
pub mod values;

use std::collections::{BTreeMap, HashMap};

use crate::dialects::{Dialect, Lit};
use crate::error::Result;
use crate::snapshot::schema::{ForeignKey, Schema, Table};
use checks::Rule;
pub use refusal::Unseeded;
use values::{Kind, kind_of, value};

/// Rows given by the user (`custom_seeds`): column → value.
pub type CustomRows = Vec<BTreeMap<String, Lit>>;

/// What to seed.
pub struct Plan<'a> {
    pub schema: &'a Schema,
    /// Tables to fill (in any order); others are only read for foreign-key targets.
    pub tables: &'a [String],
    pub rows: usize,
    /// Seeding round: makes values distinct between rounds.
    pub salt: u64,
    pub custom: &'a HashMap<String, CustomRows>,
}

struct Deferred {
    table: String,
    fk: ForeignKey,
    /// Key column values of the rows that need the reference filled in.
    keys: Vec<Vec<Lit>>,
}

/// What one seeding round did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// One line per problem that did not stop the table from holding its rows (a reference
    /// left NULL, custom rows refused), and one per unseeded table.
    pub warnings: Vec<String>,
    /// Tables left with fewer than the requested rows.
    pub unseeded: Vec<Unseeded>,
}

/// Fill the tables of `plan`; reports tables not fully seeded.
///
/// Everything runs in one transaction (one commit, not one per row); each statement sits in a
/// savepoint so that a refused row does not spoil the rest.
pub fn seed(conn: &mut dyn Dialect, plan: &Plan<'_>) -> Result<Outcome> {
    conn.execute("BEGIN")?;
    match seed_all(conn, plan) {
        Ok(w) => {
            conn.execute("COMMIT")?;
            Ok(w)
        }
        Err(e) => {
            let _ = conn.execute("ROLLBACK");
            Err(e)
        }
    }
}

/// Run `sql` inside a savepoint: on failure the transaction carries on as before it.
fn guarded(conn: &mut dyn Dialect, sql: &str) -> Result<()> {
    match conn.execute(&format!(
        "SAVEPOINT mrt_row; {sql}; RELEASE SAVEPOINT mrt_row"
    )) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = conn.execute("ROLLBACK TO SAVEPOINT mrt_row");
            Err(e)
        }
    }
}

fn seed_all(conn: &mut dyn Dialect, plan: &Plan<'_>) -> Result<Outcome> {
    let mut out = Outcome::default();
    let mut deferred: Vec<Deferred> = Vec::new();
    let order: Vec<String> = plan
        .schema
        .dependency_order()
        .into_iter()
        .filter(|t| plan.tables.contains(t))
        .collect();
    let mut done: Vec<String> = Vec::new();
    for name in &order {
        let Some(table) = plan.schema.tables.get(name) else {
            continue;
        };
        if let Some(rows) = plan.custom.get(name) {
            // The same rows come back every round: a row already there is not an error.
            let mut inserted = 0;
            let mut last_err = None;
            for row in rows {
                match insert(conn, table, std::slice::from_ref(row)) {
                    Ok(()) => inserted += 1,
                    Err(e) => last_err = Some(e),
                }
            }
            if let Some(e) = last_err
                && inserted == 0
                && conn
                    .query_text(&format!("SELECT 1 FROM {} LIMIT 1", conn.quote(name)))?
                    .is_empty()
            {
                out.warnings.push(format!(
                    "Table '{name}': custom_seeds rows could not be inserted: {}",
                    message(&e)
                ));
            }
            conn.after_seed(table)?;
            done.push(name.clone());
            continue;
        }
        if plan.rows == 0 {
            continue;
        }
        // A NOT NULL reference to a table that could not be filled cannot be satisfied.
        if let Some(parent) = starved_by(conn, table, &out.unseeded)? {
            let reason = format!(
                "0/{} rows inserted: it needs rows in '{parent}', which could not be seeded",
                plan.rows
            );
            out.warnings
                .push(format!("Table '{name}' could not be seeded: {reason}"));
            out.unseeded.push(Unseeded {
                table: name.clone(),
                constraint: None,
                reason,
                snippet: refusal::snippet(table, &BTreeMap::new()),
            });
            done.push(name.clone());
            continue;
        }
        conn.execute("SAVEPOINT mrt_table")?;
        let filled = seed_table(conn, plan, table, &done, &mut deferred);
        match filled {
            Ok(f) => {
                conn.execute("RELEASE SAVEPOINT mrt_table")?;
                if f.inserted < plan.rows {
                    let (constraint, why) = match &f.error {
                        Some(e) => {
                            let m = message(e);
                            (refusal::constraint_named(&m), m)
                        }
                        None => (None, "no row was accepted".to_string()),
                    };
                    out.warnings.push(if f.inserted == 0 {
                        format!("Table '{name}' could not be seeded: {why}")
                    } else {
                        format!(
                            "Table '{name}': only {}/{} rows seeded: {why}",
                            f.inserted, plan.rows
                        )
                    });
                    out.unseeded.push(Unseeded {
                        table: name.clone(),
                        reason: format!(
                            "{}/{} rows inserted: {}",
                            f.inserted,
                            plan.rows,
                            one_line(&why)
                        ),
                        constraint,
                        snippet: refusal::snippet(table, &f.sample),
                    });
                }
            }
            Err(e) => {
                conn.execute("ROLLBACK TO SAVEPOINT mrt_table")?;
                let m = message(&e);
                out.warnings
                    .push(format!("Table '{name}' could not be seeded: {m}"));
                out.unseeded.push(Unseeded {
                    table: name.clone(),
                    constraint: refusal::constraint_named(&m),
                    reason: format!("0/{} rows inserted: {}", plan.rows, one_line(&m)),
                    snippet: refusal::snippet(table, &BTreeMap::new()),
                });
            }
        }
        conn.after_seed(table)?;
        done.push(name.clone());
    }
    for d in deferred {
        conn.execute("SAVEPOINT mrt_table")?;
        let filled = fill_reference(conn, plan.schema, &d);
        conn.execute(if filled.is_ok() {
            "RELEASE SAVEPOINT mrt_table"
        } else {
            "ROLLBACK TO SAVEPOINT mrt_table"
        })?;
        if let Err(e) = filled {
            out.warnings.push(format!(
                "Table '{}': reference {}({}) left NULL: {}",
                d.table,
                d.fk.ref_table,
                d.fk.ref_columns.join(", "),
                message(&e)
            ));
        }
    }
    Ok(out)
}

/// An empty, unseeded table that `table` needs rows from through a NOT NULL foreign key.
fn starved_by(
    conn: &mut dyn Dialect,
    table: &Table,
    unseeded: &[Unseeded],
) -> Result<Option<String>> {
    for fk in &table.foreign_keys {
        let required = fk
            .columns
            .iter()
            .any(|c| table.column(c).is_some_and(|c| !c.nullable));
        if required
            && fk.ref_table != table.name
            && unseeded.iter().any(|u| u.table == fk.ref_table)
            && conn
                .query_text(&format!(
                    "SELECT 1 FROM {} LIMIT 1",
                    conn.quote(&fk.ref_table)
                ))?
                .is_empty()
        {
            return Ok(Some(fk.ref_table.clone()));
        }
    }
    Ok(None)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn message(e: &crate::Error) -> String {
    match e {
        crate::Error::Database { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn insert(conn: &mut dyn Dialect, table: &Table, rows: &[BTreeMap<String, Lit>]) -> Result<()> {
    for row in rows {
        let cols: Vec<String> = row.keys().map(|c| conn.quote(c)).collect();
        let vals: Vec<String> = row.values().map(|v| conn.literal(v)).collect();
        let sql = if cols.is_empty() {
            format!("INSERT INTO {} DEFAULT VALUES", conn.quote(&table.name))
        } else {
            format!(
                "INSERT INTO {} ({}) VALUES ({})",
                conn.quote(&table.name),
                cols.join(", "),
                vals.join(", ")
            )
        };
        guarded(conn, &sql)?;
    }
    Ok(())
}

/// All `rows` (same columns) in one INSERT statement.
fn insert_many(
    conn: &mut dyn Dialect,
    table: &Table,
    rows: &[BTreeMap<String, Lit>],
) -> Result<()> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    if first.is_empty() {
        return insert(conn, table, rows);
    }
    let cols: Vec<String> = first.keys().map(|c| conn.quote(c)).collect();
    let tuples: Vec<String> = rows
        .iter()
        .map(|r| {
            let vals: Vec<String> = r.values().map(|v| conn.literal(v)).collect();
            format!("({})", vals.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        conn.quote(&table.name),
        cols.join(", "),
        tuples.join(", ")
    );
    guarded(conn, &sql)
}

fn is_intlike(kind: &Kind) -> bool {
    matches!(kind, Kind::Int { .. })
}

/// Existing values of `cols` in `table`, newest first, as literals for `kinds`.
fn existing(
    conn: &mut dyn Dialect,
    table: &str,
    cols: &[String],
    kinds: &[Kind],
    limit: usize,
) -> Result<Vec<Vec<Lit>>> {
    let q: Vec<String> = cols.iter().map(|c| conn.quote(c)).collect();
    let not_null: Vec<String> = q.iter().map(|c| format!("{c} IS NOT NULL")).collect();
    let rows = conn.query_text(&format!(
        "SELECT {} FROM {} WHERE {} ORDER BY {} DESC LIMIT {limit}",
        q.join(", "),
        conn.quote(table),
        not_null.join(" AND "),
        q.join(" DESC, ")
    ))?;
    Ok(rows
        .into_iter()
        .map(|r| {
            r.into_iter()
                .zip(kinds)
                .map(|(v, k)| match v {
                    None => Lit::Null,
                    Some(s) if is_intlike(k) => s.parse().map_or(Lit::Str(s), Lit::Int),
                    Some(s) if matches!(k, Kind::Decimal { .. } | Kind::Float) => Lit::Num(s),
                    Some(s) if matches!(k, Kind::Bool) => {
                        Lit::Bool(matches!(s.as_str(), "t" | "true" | "1"))
                    }
                    Some(s) => Lit::Str(s),
                })
                .collect()
        })
        .collect())
}

/// How one table's filling went.
struct Filled {
    inserted: usize,
    /// The database's last refusal.
    error: Option<crate::Error>,
    /// The first row tried (for the `custom_seeds` snippet).
    sample: BTreeMap<String, Lit>,
}

fn seed_table(
    conn: &mut dyn Dialect,
    plan: &Plan<'_>,
    table: &Table,
    done: &[String],
    deferred: &mut Vec<Deferred>,
) -> Result<Filled> {
    let checks: Vec<&str> = table.checks.iter().map(String::as_str).collect();
    let rules = checks::rules(&checks);
    let no_rule = Rule::default();
    let cols: Vec<_> = table.columns.iter().filter(|c| !c.generated).collect();
    // MariaDB stores JSON as LONGTEXT guarded by CHECK (json_valid(col)).
    let kinds: Vec<Kind> = cols
        .iter()
        .map(|c| {
            let guard = format!("json_valid({})", c.name.to_ascii_lowercase());
            if checks.iter().any(|ck| ck.contains(&guard)) {
                Kind::Json
            } else {
                kind_of(c)
            }
        })
        .collect();
    // Integer single-column keys continue after the largest existing value.
    let mut next_id: Option<i64> = None;
    if let [pk] = table.primary_key.as_slice()
        && let Some(i) = cols.iter().position(|c| &c.name == pk)
        && is_intlike(&kinds[i])
    {
        let r = conn.query_text(&format!(
            "SELECT MAX({}) FROM {}",
            conn.quote(pk),
            conn.quote(&table.name)
        ))?;
        let max = r
            .first()
            .and_then(|r| r[0].as_deref())
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0);
        next_id = Some(max + 1);
    }
    // Foreign-key sources: rows of the referenced table, or NULL-then-UPDATE.
    let mut fk_values: Vec<(ForeignKey, Vec<Vec<Lit>>, bool)> = Vec::new();
    for fk in &table.foreign_keys {
        let Some(target) = plan.schema.tables.get(&fk.ref_table) else {
            continue;
        };
        let ref_kinds: Vec<Kind> = fk
            .ref_columns
            .iter()
            .map(|c| target.column(c).map_or(Kind::Text { max: None }, kind_of))
            .collect();
        let self_ref = fk.ref_table == table.name;
        let ready =
            !self_ref && (done.contains(&fk.ref_table) || !plan.tables.contains(&fk.ref_table));
        let rows = if ready {
            existing(
                conn,
                &fk.ref_table,
                &fk.ref_columns,
                &ref_kinds,
                plan.rows.max(1),
            )?
        } else {
            Vec::new()
        };
        let nullable = fk
            .columns
            .iter()
            .all(|c| table.column(c).is_none_or(|c| c.nullable));
        fk_values.push((fk.clone(), rows, self_ref || !ready));
        let _ = nullable;
    }
    let mut inserted_keys: Vec<Vec<Lit>> = Vec::new();
    let mut last_err: Option<crate::Error> = None;
    let mut inserted = 0usize;
    // One row's values for attempt `variant`, and whether a reference must be filled later.
    let build = |row: usize, variant: u32| -> (BTreeMap<String, Lit>, bool) {
        let n = plan.salt * 1000 + row as u64 + 1;
        let mut values: Vec<Lit> = cols
            .iter()
            .zip(&kinds)
            .map(|(c, k)| {
                let rule = rules.get(&c.name.to_ascii_lowercase()).unwrap_or(&no_rule);
                value(c, k, n, row, variant, rule)
            })
            .collect();
        if let (Some(id), [pk]) = (next_id, table.primary_key.as_slice())
            && let Some(i) = cols.iter().position(|c| &c.name == pk)
        {
            values[i] = Lit::Int(id + row as i64 + i64::from(variant) * 1000);
        }
        let mut needs_update = false;
        for (fk, rows, later) in &fk_values {
            let positions: Vec<Option<usize>> = fk
                .columns
                .iter()
                .map(|c| cols.iter().position(|x| &x.name == c))
                .collect();
            let self_key_ok = fk.ref_table == table.name && fk.ref_columns == table.primary_key;
            let nullable = fk
                .columns
                .iter()
                .all(|c| table.column(c).is_none_or(|c| c.nullable));
            for (k, pos) in positions.iter().enumerate() {
                let Some(p) = pos else { continue };
                values[*p] = if *later {
                    if nullable {
                        needs_update = true;
                        Lit::Null
                    } else if self_key_ok {
                        // A NOT NULL self-reference: the row points at itself.
                        let key_pos = cols.iter().position(|c| c.name == fk.ref_columns[k]);
                        key_pos.map_or(Lit::Null, |kp| values[kp].clone())
                    } else {
                        Lit::Null
                    }
                } else if rows.is_empty() {
                    Lit::Null
                } else {
                    rows[(row + variant as usize) % rows.len()][k].clone()
                };
            }
        }
        let map: BTreeMap<String, Lit> = cols
            .iter()
            .zip(values.iter())
            .map(|(c, v)| (c.name.clone(), v.clone()))
            .collect();
        (map, needs_update)
    };
    let key_of = |map: &BTreeMap<String, Lit>| -> Vec<Lit> {
        table
            .primary_key
            .iter()
            .map(|k| map.get(k).cloned().unwrap_or(Lit::Null))
            .collect()
    };
    // Usually every row goes in with one statement; row by row (with alternatives) otherwise.
    let first: Vec<(BTreeMap<String, Lit>, bool)> = (0..plan.rows).map(|r| build(r, 0)).collect();
    let maps: Vec<BTreeMap<String, Lit>> = first.iter().map(|(m, _)| m.clone()).collect();
    if insert_many(conn, table, &maps).is_ok() {
        inserted = first.len();
        for (map, needs_update) in &first {
            if *needs_update && !table.primary_key.is_empty() {
                inserted_keys.push(key_of(map));
            }
        }
    } else {
        for row in 0..plan.rows {
            for variant in 0..4u32 {
                let (map, needs_update) = build(row, variant);
                match insert(conn, table, std::slice::from_ref(&map)) {
                    Ok(()) => {
                        inserted += 1;
                        if needs_update && !table.primary_key.is_empty() {
                            inserted_keys.push(key_of(&map));
                        }
                        break;
                    }
                    Err(e) => last_err = Some(e),
                }
            }
        }
    }
    for (fk, _, later) in &fk_values {
        if *later && !inserted_keys.is_empty() {
            deferred.push(Deferred {
                table: table.name.clone(),
                fk: fk.clone(),
                keys: inserted_keys.clone(),
            });
        }
    }
    Ok(Filled {
        inserted,
        error: last_err,
        sample: maps.into_iter().next().unwrap_or_default(),
    })
}

fn fill_reference(conn: &mut dyn Dialect, schema: &Schema, d: &Deferred) -> Result<()> {
    let Some(table) = schema.tables.get(&d.table) else {
        return Ok(());
    };
    let Some(target) = schema.tables.get(&d.fk.ref_table) else {
        return Ok(());
    };
    let kinds: Vec<Kind> =
        d.fk.ref_columns
            .iter()
            .map(|c| target.column(c).map_or(Kind::Text { max: None }, kind_of))
            .collect();
    let targets = existing(
        conn,
        &d.fk.ref_table,
        &d.fk.ref_columns,
        &kinds,
        d.keys.len() + 1,
    )?;
    if targets.is_empty() {
        return Ok(());
    }
    for (i, key) in d.keys.iter().enumerate() {
        // Self-references point at another seeded row when there is one.
        let t = &targets[(i + 1) % targets.len()];
        let sets: Vec<String> =
            d.fk.columns
                .iter()
                .zip(t)
                .map(|(c, v)| format!("{} = {}", conn.quote(c), conn.literal(v)))
                .collect();
        let wheres: Vec<String> = table
            .primary_key
            .iter()
            .zip(key)
            .map(|(c, v)| format!("{} = {}", conn.quote(c), conn.literal(v)))
            .collect();
        let sql = format!(
            "UPDATE {} SET {} WHERE {}",
            conn.quote(&table.name),
            sets.join(", "),
            wheres.join(" AND ")
        );
        guarded(conn, &sql)?;
    }
    Ok(())
}
