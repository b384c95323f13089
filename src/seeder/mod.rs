//! The seeder: writes `rows` rows into each table, planned from the schema snapshot.
//!
//! Tables are filled parents first (foreign-key order). Values follow the table's constraint
//! model ([`checks`]: CHECKs read with the dialect's SQL parser, domains, enums) and are chosen
//! to expose loss ([`values`]): across a round every nullable column is filled in some rows and
//! NULL in the last one, text is mixed-case with non-ASCII letters up to the column's width,
//! decimals use their whole scale, booleans take both values. Foreign keys point at rows that
//! exist; a reference that cannot be satisfied yet (a cycle or a self-reference) is written as
//! NULL and filled in by an UPDATE once every table is seeded, so child rows point at a parent.
//!
//! All rows of a table go in with one INSERT when they can. Otherwise each row goes in its own
//! savepoint; on a refusal the constraint the database names picks the columns that move one
//! step down the ladder of strategies (another value, plain ASCII, minimal, NULL). A table that
//! still holds fewer rows than asked is reported as [`Unseeded`]: the table, the constraint the
//! database named, and a `custom_seeds` entry to paste.

pub mod checks;
pub mod exercised;
pub mod matching;
pub mod pattern;
pub mod pinned;
pub mod refusal;
pub mod values;

use std::collections::{BTreeMap, HashMap};

use crate::dialects::{Dialect, Lit};
use crate::error::Result;
use crate::snapshot::schema::{Column, ForeignKey, Schema, Table};
use crate::url::Backend;
use checks::{Cmp, Model, ValueRule};
pub use refusal::Unseeded;
use values::{Kind, Strategy, kind_of, value};

/// Rows given by the user (`custom_seeds`): column → value.
pub type CustomRows = Vec<BTreeMap<String, Lit>>;

/// Column values some seeded rows must take, one list per row: what an upgrade's `UPDATE` or
/// `DELETE` looks for (the rest of each row, and the other rows, stay generated).
pub type MatchingRows = Vec<Vec<(String, Lit)>>;

/// What to seed.
#[derive(Clone, Copy)]
pub struct Plan<'a> {
    pub schema: &'a Schema,
    /// Tables to fill (in any order); others are only read for foreign-key targets.
    pub tables: &'a [String],
    pub rows: usize,
    /// Seeding round: makes values distinct between rounds.
    pub salt: u64,
    pub custom: &'a HashMap<String, CustomRows>,
    /// Per table, rows that must match a statement (ignored for `custom` tables).
    pub matching: &'a HashMap<String, MatchingRows>,
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
    /// Tables of `Plan::matching` where none of those rows could be seeded, with the reason.
    pub unmatchable: Vec<(String, String)>,
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
fn in_savepoint(conn: &mut dyn Dialect, sql: &str) -> Result<()> {
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
    let order = seed_order(plan.schema, plan.tables);
    let wanted = rows_wanted(conn.backend(), plan);
    let mut done: Vec<String> = Vec::new();
    for name in &order {
        let Some(table) = plan.schema.tables.get(name) else {
            continue;
        };
        if let Some(rows) = plan.custom.get(name) {
            seed_custom(conn, name, table, rows, &mut out)?;
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
        let pinned = pinned_rows(conn, plan, table, &mut out)?;
        conn.execute("SAVEPOINT mrt_table")?;
        let wanted = wanted.get(name).copied().unwrap_or(plan.rows);
        // The matching rows come first; generated rows follow, which the statement must not touch.
        let own = Plan {
            rows: if pinned.is_empty() {
                wanted
            } else {
                wanted.max(pinned.len() + 1)
            },
            ..*plan
        };
        let filled = seed_table(conn, &own, table, &done, &mut deferred, pinned);
        match filled {
            Ok(f) => {
                conn.execute("RELEASE SAVEPOINT mrt_table")?;
                if let Some(why) = &f.pinned_refused {
                    out.unmatchable.push((name.clone(), why.clone()));
                }
                if f.inserted < plan.rows {
                    report_short(&mut out, name, table, &f, plan.rows);
                }
            }
            Err(e) => {
                conn.execute("ROLLBACK TO SAVEPOINT mrt_table")?;
                let m = message(&e);
                if plan.matching.contains_key(name) {
                    out.unmatchable.push((name.clone(), one_line(&m)));
                }
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
    fill_deferred(conn, plan.schema, deferred, &mut out)?;
    Ok(out)
}

/// The rows of `plan.matching` for `table` that fit its columns; when none does, the table
/// and the first reason go to `out.unmatchable`.
fn pinned_rows(
    conn: &mut dyn Dialect,
    plan: &Plan<'_>,
    table: &Table,
    out: &mut Outcome,
) -> Result<Vec<BTreeMap<String, Lit>>> {
    let Some(wanted) = plan.matching.get(&table.name) else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    let mut first_reason = None;
    let backend = conn.backend();
    let kind_of = |c: &Column, r: &ValueRule| kind_for(plan.schema, backend, c, Some(r));
    let model = pinned::checks_of(conn, table);
    for values in wanted {
        match pinned::fit(conn, table, &model, values, &kind_of)? {
            Ok(row) => rows.push(row),
            Err(why) => {
                first_reason.get_or_insert(why);
            }
        }
    }
    if rows.is_empty()
        && let Some(why) = first_reason
    {
        out.unmatchable.push((table.name.clone(), why));
    }
    Ok(rows)
}

/// Insert the user's `custom_seeds` rows of `name` one by one. The same rows come back every
/// round: a row already there is not an error, so only a table left empty is reported.
fn seed_custom(
    conn: &mut dyn Dialect,
    name: &str,
    table: &Table,
    rows: &CustomRows,
    out: &mut Outcome,
) -> Result<()> {
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
    Ok(())
}

/// Record `name`, filled with fewer than `rows` rows, as a warning and an [`Unseeded`].
fn report_short(out: &mut Outcome, name: &str, table: &Table, f: &Filled, rows: usize) {
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
            "Table '{name}': only {}/{rows} rows seeded: {why}",
            f.inserted
        )
    });
    out.unseeded.push(Unseeded {
        table: name.to_string(),
        reason: format!("{}/{rows} rows inserted: {}", f.inserted, one_line(&why)),
        constraint,
        snippet: refusal::snippet(table, &f.sample),
    });
}

/// Fill in the references left NULL while seeding (cycles, self-references), each in its own
/// savepoint; one that cannot be filled stays NULL with a warning.
fn fill_deferred(
    conn: &mut dyn Dialect,
    schema: &Schema,
    deferred: Vec<Deferred>,
    out: &mut Outcome,
) -> Result<()> {
    for d in deferred {
        conn.execute("SAVEPOINT mrt_table")?;
        let filled = fill_reference(conn, schema, &d);
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
    Ok(())
}

/// Whether `a op b` holds; a pair that cannot be ordered (NULL, unknown kinds) is left be.
fn holds(op: Cmp, a: &Lit, b: &Lit) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let Some(ord) = values::ordering(a, b) else {
        return true;
    };
    match op {
        Cmp::Lt => ord == Less,
        Cmp::Le => ord != Greater,
        Cmp::Gt => ord == Greater,
        Cmp::Ge => ord != Less,
        Cmp::Eq => ord == Equal,
        Cmp::Ne => ord != Equal,
    }
}

/// Whether every column of `fk` may hold NULL (the reference can be filled in later).
fn nullable_fk(table: &Table, fk: &ForeignKey) -> bool {
    fk.columns.iter().all(|c| {
        table
            .column(c)
            .is_none_or(|c| c.nullable && !table.primary_key.contains(&c.name))
    })
}

/// The order to fill `tables` in: every table after the tables it references.
///
/// A cycle of foreign keys is broken at a reference that may be NULL: of the tables whose NOT
/// NULL references are all met, the first by name goes next, its nullable references to
/// tables not yet filled are written NULL and filled in by an UPDATE at the end. Only a cycle
/// made of NOT NULL references alone has no such table; then the first by name goes next.
fn seed_order(schema: &Schema, tables: &[String]) -> Vec<String> {
    let mut remaining: Vec<&Table> = schema
        .tables
        .values()
        .filter(|t| tables.contains(&t.name))
        .collect();
    let mut order = Vec::with_capacity(remaining.len());
    while !remaining.is_empty() {
        let waits = |t: &Table, required_only: bool| {
            t.foreign_keys.iter().any(|fk| {
                fk.ref_table != t.name
                    && remaining.iter().any(|r| r.name == fk.ref_table)
                    && !(required_only && nullable_fk(t, fk))
            })
        };
        let pick = remaining
            .iter()
            .position(|t| !waits(t, false))
            .or_else(|| remaining.iter().position(|t| !waits(t, true)))
            .unwrap_or(0);
        order.push(remaining.remove(pick).name.clone());
    }
    order
}

/// Rows to seed per table: `plan.rows`, and at least two in a table that a CHECK needs two
/// distinct rows of (`CHECK (parent_id <> child_id)` with both referencing it).
fn rows_wanted(backend: Backend, plan: &Plan<'_>) -> HashMap<String, usize> {
    let mut wanted: HashMap<String, usize> = HashMap::new();
    if plan.rows == 0 {
        return wanted;
    }
    for t in plan.schema.tables.values() {
        let checks: Vec<&str> = t.checks.iter().map(String::as_str).collect();
        let model = checks::model(backend, &checks, &[]);
        for rel in &model.relations {
            if let (Some(l), Some(r)) = (fk_of(t, &rel.left), fk_of(t, &rel.right))
                && l.ref_table == r.ref_table
                && l.ref_table != t.name
                && !std::ptr::eq(l, r)
            {
                wanted.insert(l.ref_table.clone(), plan.rows.max(2));
            }
        }
    }
    wanted
}

/// The foreign key of `table` that `column` (a name from the constraint model) belongs to.
fn fk_of<'t>(table: &'t Table, column: &str) -> Option<&'t ForeignKey> {
    table
        .foreign_keys
        .iter()
        .find(|fk| fk.columns.iter().any(|c| c.eq_ignore_ascii_case(column)))
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

pub(crate) fn one_line(text: &str) -> String {
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
        in_savepoint(conn, &sql)?;
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
    in_savepoint(conn, &sql)
}

fn is_intlike(kind: &Kind) -> bool {
    matches!(kind, Kind::Int { .. })
}

/// Existing values of `cols` in `table`, largest first, as literals for `kinds`.
///
/// With `unused_by` (a referencing table and its columns), the values that table does not
/// reference yet come first: a later seeding round then points unique references (a UNIQUE
/// foreign key, a primary key made of foreign keys) at rows the earlier rounds left free.
fn existing(
    conn: &mut dyn Dialect,
    table: &str,
    cols: &[String],
    kinds: &[Kind],
    limit: usize,
    unused_by: Option<(&str, &[String])>,
) -> Result<Vec<Vec<Lit>>> {
    let q: Vec<String> = cols.iter().map(|c| conn.quote(c)).collect();
    let not_null: Vec<String> = q.iter().map(|c| format!("p.{c} IS NOT NULL")).collect();
    let qualified: Vec<String> = q.iter().map(|c| format!("p.{c}")).collect();
    let mut order = format!("{} DESC", qualified.join(" DESC, "));
    if let Some((child, child_cols)) = unused_by {
        let same: Vec<String> = child_cols
            .iter()
            .zip(&qualified)
            .map(|(c, p)| format!("c.{} = {p}", conn.quote(c)))
            .collect();
        order = format!(
            "CASE WHEN EXISTS (SELECT 1 FROM {} c WHERE {}) THEN 1 ELSE 0 END, {order}",
            conn.quote(child),
            same.join(" AND ")
        );
    }
    let rows = conn.query_text(&format!(
        "SELECT {} FROM {} p WHERE {} ORDER BY {order} LIMIT {limit}",
        qualified.join(", "),
        conn.quote(table),
        not_null.join(" AND "),
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
    /// Why none of the rows that must match a statement went in (some did: None).
    pinned_refused: Option<String>,
    /// The database's last refusal.
    error: Option<crate::Error>,
    /// The first row tried (for the `custom_seeds` snippet).
    sample: BTreeMap<String, Lit>,
}

/// The kind of a column's values: domains resolved to their base type, enum labels (arrays of
/// enums too) from the schema, JSON kept in text columns that `json_valid` guards.
fn kind_for(schema: &Schema, backend: Backend, col: &Column, rule: Option<&ValueRule>) -> Kind {
    let data_type = schema
        .domains
        .get(&col.data_type)
        .map_or(col.data_type.as_str(), |d| d.base_type.as_str());
    let kind = kind_of(data_type, col.enum_values.as_ref(), backend, &|t| {
        schema.enums.get(t).cloned()
    });
    match (kind, rule) {
        (Kind::Text { .. }, Some(r)) if r.json || r.json_type.is_some() => Kind::Json,
        // CHAR(36), or CHAR(32) as hex digits, with nothing else asked of it holds UUIDs where
        // the database has no UUID type (SQLAlchemy's Uuid is CHAR(32), the GUID recipe
        // CHAR(36); airflow, prefect on SQLite): real keys, unique across tables.
        (Kind::Text { max: Some(32 | 36) }, r) if fixed_char(data_type) && r.is_none_or(free) => {
            Kind::Uuid
        }
        (k, _) => k,
    }
}

/// `CHAR(n)` (not `VARCHAR`).
fn fixed_char(data_type: &str) -> bool {
    let t = data_type.to_ascii_uppercase();
    let base = t.split('(').next().unwrap_or("").trim();
    matches!(base, "CHAR" | "CHARACTER" | "BPCHAR" | "NCHAR")
}

/// A rule that asks nothing of a value's text (NULL-ness aside).
fn free(r: &ValueRule) -> bool {
    ValueRule {
        not_null: false,
        null: false,
        ..r.clone()
    } == ValueRule::default()
}

/// Rows for one table: where each column stands on the ladder of strategies.
///
/// Level 0 is the value that exposes loss best (NULL for a nullable column in the round's
/// NULL row), 1 another such value, 2 plain ASCII, 3 minimal, 4 NULL when allowed.
const TOP: u8 = 4;

/// A foreign key, the key values of rows it can point at, and whether the reference is filled
/// in later.
type ForeignKeyValues = (ForeignKey, Vec<Vec<Lit>>, bool);

struct Planner<'a> {
    table: &'a Table,
    cols: Vec<&'a Column>,
    kinds: Vec<Kind>,
    rules: Vec<ValueRule>,
    nullable: Vec<bool>,
    model: Model,
    next_id: Option<i64>,
    /// Foreign-key sources: the key values of referenced rows, and whether the reference is
    /// filled in later (NULL first, UPDATE once every table is seeded).
    fk_values: Vec<ForeignKeyValues>,
    /// The values the first rows must take (see [`MatchingRows`]).
    pinned: Vec<BTreeMap<String, Lit>>,
    /// Per column, what its generated UUIDs are unique to (see [`uuid_scope`]).
    uuid_scopes: Vec<String>,
    salt: u64,
    rows: usize,
}

/// What the UUIDs generated for `col` of `table` are unique to. A table's own single-column
/// key: the table, so keys never repeat across tables. A column named after a table whose key
/// is a single UUID column (`flow_run_id` and `flow_run.id`): that table, so the value names
/// the row of the same round and position, as a reference written without a foreign key does
/// (an upgrade that adds the foreign key then finds its rows). Any other column: itself.
fn uuid_scope(schema: &Schema, table: &Table, col: &str) -> String {
    if table.primary_key.len() == 1 && table.primary_key[0] == col {
        return table.name.clone();
    }
    if let Some(target) = col
        .strip_suffix("_id")
        .and_then(|stem| schema.tables.get(stem))
        && target.primary_key.len() == 1
    {
        return target.name.clone();
    }
    format!("{}.{col}", table.name)
}

impl Planner<'_> {
    fn null_row(&self, row: usize) -> bool {
        self.rows >= 2 && row == self.rows - 1
    }

    fn value(&self, i: usize, row: usize, level: u8) -> Lit {
        let rule = &self.rules[i];
        let nullable = self.nullable[i];
        if rule.null && nullable {
            return Lit::Null;
        }
        let null_row = self.null_row(row) && nullable && !rule.not_null;
        // The NULL row climbs the same ladder one step behind: NULL first, then values.
        let level = if null_row {
            if level == 0 {
                return Lit::Null;
            }
            level - 1
        } else {
            level
        };
        if level >= TOP && nullable {
            return Lit::Null;
        }
        let n = self.salt * 1000 + row as u64 + 1;
        let (n, strategy) = match level {
            0 => (n, Strategy::Rich),
            1 => (n + 500, Strategy::Rich),
            2 => (n + 700, Strategy::Plain),
            _ => (n + 900, Strategy::Minimal),
        };
        let v = value(&self.cols[i].name, &self.kinds[i], rule, n, row, strategy);
        if !matches!(self.kinds[i], Kind::Uuid) {
            return v;
        }
        let col = self.cols[i];
        match values::scoped_uuid(v, &self.uuid_scopes[i]) {
            Lit::Str(s) if fixed_char(&col.data_type) && col.data_type.contains("32") => {
                Lit::Str(s.replace('-', ""))
            }
            other => other,
        }
    }

    /// One row's values at `levels`, and whether a reference must be filled in later.
    fn build(&self, row: usize, levels: &[u8]) -> (BTreeMap<String, Lit>, bool) {
        let table = self.table;
        let cols = &self.cols;
        let mut values: Vec<Lit> = (0..cols.len())
            .map(|i| self.value(i, row, levels[i]))
            .collect();
        if let (Some(id), [pk]) = (self.next_id, table.primary_key.as_slice())
            && let Some(i) = cols.iter().position(|c| &c.name == pk)
        {
            values[i] = Lit::Int(id + row as i64 + i64::from(levels[i]) * 1000);
        }
        let mut needs_update = false;
        // Which referenced row each foreign key took, by index into its rows.
        let mut picked: Vec<Option<usize>> = vec![None; self.fk_values.len()];
        for (j, (fk, rows, later)) in self.fk_values.iter().enumerate() {
            let positions: Vec<Option<usize>> = fk
                .columns
                .iter()
                .map(|c| cols.iter().position(|x| &x.name == c))
                .collect();
            let self_key_ok = fk.ref_table == table.name && fk.ref_columns == table.primary_key;
            let nullable = positions.iter().all(|p| p.is_none_or(|p| self.nullable[p]));
            let shift = positions
                .iter()
                .flatten()
                .map(|p| levels[*p] as usize)
                .max()
                .unwrap_or(0);
            let leave_null = nullable && self.null_row(row) && shift == 0;
            for (k, pos) in positions.iter().enumerate() {
                let Some(p) = pos else { continue };
                values[*p] = if leave_null {
                    Lit::Null
                } else if *later {
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
                    let at = (row + shift) % rows.len();
                    picked[j] = Some(at);
                    rows[at][k].clone()
                };
            }
        }
        self.pick_apart(&mut values, &picked);
        self.relate(&mut values);
        if let Some(given) = self.pinned.get(row) {
            for (i, col) in cols.iter().enumerate() {
                if let Some(v) = given.get(&col.name) {
                    values[i] = v.clone();
                }
            }
        }
        let map = cols
            .iter()
            .zip(values)
            .map(|(c, v)| (c.name.clone(), v))
            .collect();
        (map, needs_update)
    }

    /// Make comparisons between two foreign keys hold by picking other referenced rows
    /// (`CHECK (parent_id <> child_id)` with both referencing one table): the right-hand
    /// reference moves on to the next row that satisfies it, else the left-hand one.
    fn pick_apart(&self, values: &mut [Lit], picked: &[Option<usize>]) {
        let pos = |name: &str| {
            self.cols
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(name))
        };
        let fk_at = |name: &str| {
            self.fk_values
                .iter()
                .position(|(fk, _, _)| fk.columns.iter().any(|c| c.eq_ignore_ascii_case(name)))
        };
        let mut picked = picked.to_vec();
        for rel in &self.model.relations {
            let (Some(l), Some(r)) = (pos(&rel.left), pos(&rel.right)) else {
                continue;
            };
            let (Some(fl), Some(fr)) = (fk_at(&rel.left), fk_at(&rel.right)) else {
                continue;
            };
            if fl == fr || holds(rel.op, &values[l], &values[r]) {
                continue;
            }
            'sides: for f in [fr, fl] {
                let Some(start) = picked[f] else { continue };
                let (fk, rows, _) = &self.fk_values[f];
                for step in 1..rows.len() {
                    let at = (start + step) % rows.len();
                    let mut trial = values.to_vec();
                    for (k, c) in fk.columns.iter().enumerate() {
                        if let Some(i) = pos(c) {
                            trial[i] = rows[at][k].clone();
                        }
                    }
                    if holds(rel.op, &trial[l], &trial[r]) {
                        values.clone_from_slice(&trial);
                        picked[f] = Some(at);
                        break 'sides;
                    }
                }
            }
        }
    }

    /// Make comparisons between columns of the row hold (`start_at < end_at`).
    fn relate(&self, values: &mut [Lit]) {
        let pos = |name: &str| {
            self.cols
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(name))
        };
        for rel in &self.model.relations {
            let (Some(l), Some(r)) = (pos(&rel.left), pos(&rel.right)) else {
                continue;
            };
            if holds(rel.op, &values[l], &values[r]) {
                continue;
            }
            let step = match rel.op {
                Cmp::Lt | Cmp::Le | Cmp::Ne => 1,
                Cmp::Gt | Cmp::Ge => -1,
                Cmp::Eq => 0,
            };
            let key = |i: usize| {
                self.table.primary_key.contains(&self.cols[i].name)
                    || self
                        .table
                        .foreign_keys
                        .iter()
                        .any(|fk| fk.columns.contains(&self.cols[i].name))
            };
            if key(r) && !key(l) {
                if let Some(v) = values::shifted(&values[r], -step) {
                    values[l] = v;
                }
            } else if let Some(v) = values::shifted(&values[l], step) {
                values[r] = v;
            }
        }
    }

    /// Columns a refusal points at: the named CHECK's columns, a NOT NULL column, the columns
    /// of a domain's CHECK; every column when the name says nothing we know.
    fn culprits(&self, schema: &Schema, constraint: Option<&str>) -> Vec<usize> {
        let all: Vec<usize> = (0..self.cols.len()).collect();
        let Some(name) = constraint else {
            return all;
        };
        let names: Vec<String> = self.cols.iter().map(|c| c.name.clone()).collect();
        let mut found: Vec<String> = Vec::new();
        if let Some(expr) = self.table.check_names.0.get(name) {
            found = checks::columns_in(expr, &names);
        } else if let Some(col) = name.strip_suffix(" NOT NULL") {
            let col = col.rsplit('.').next().unwrap_or(col);
            found = checks::columns_in(col, &names);
        } else if let Some(cols) = name.strip_suffix(" UNIQUE") {
            found = checks::columns_in(&cols.replace('.', " "), &names);
        } else {
            for c in &self.cols {
                if schema
                    .domains
                    .get(&c.data_type)
                    .is_some_and(|d| d.checks.contains_key(name))
                {
                    found.push(c.name.clone());
                }
            }
        }
        let picked: Vec<usize> = found
            .iter()
            .filter_map(|f| self.cols.iter().position(|c| &c.name == f))
            .collect();
        if picked.is_empty() { all } else { picked }
    }
}

fn seed_table(
    conn: &mut dyn Dialect,
    plan: &Plan<'_>,
    table: &Table,
    done: &[String],
    deferred: &mut Vec<Deferred>,
    pinned: Vec<BTreeMap<String, Lit>>,
) -> Result<Filled> {
    let mut planner = planner(conn, plan, table, done)?;
    planner.pinned = pinned;
    let (filled, inserted_keys) = insert_planned(conn, plan, &planner);
    for (fk, _, later) in &planner.fk_values {
        if *later && !inserted_keys.is_empty() {
            deferred.push(Deferred {
                table: table.name.clone(),
                fk: fk.clone(),
                keys: inserted_keys.clone(),
            });
        }
    }
    Ok(filled)
}

/// What each column of `table` gets: kinds, CHECK-derived rules, nullability, the next integer
/// key and the values its foreign keys can point at.
fn planner<'a>(
    conn: &mut dyn Dialect,
    plan: &Plan<'a>,
    table: &'a Table,
    done: &[String],
) -> Result<Planner<'a>> {
    let backend = conn.backend();
    let cols: Vec<&Column> = table.columns.iter().filter(|c| !c.generated).collect();
    let checks: Vec<&str> = table.checks.iter().map(String::as_str).collect();
    let domain_checks: Vec<(&str, &str)> = cols
        .iter()
        .filter_map(|c| plan.schema.domains.get(&c.data_type).map(|d| (c, d)))
        .flat_map(|(c, d)| d.checks.values().map(|e| (c.name.as_str(), e.as_str())))
        .collect();
    let model = checks::model(backend, &checks, &domain_checks);
    let rules: Vec<ValueRule> = cols
        .iter()
        .map(|c| model.rule(&c.name).cloned().unwrap_or_default())
        .collect();
    let kinds: Vec<Kind> = cols
        .iter()
        .zip(&rules)
        .map(|(c, r)| kind_for(plan.schema, backend, c, Some(r)))
        .collect();
    let nullable: Vec<bool> = cols
        .iter()
        .map(|c| {
            c.nullable
                && !table.primary_key.contains(&c.name)
                && plan
                    .schema
                    .domains
                    .get(&c.data_type)
                    .is_none_or(|d| !d.not_null)
        })
        .collect();
    let next_id = next_id(conn, table, &cols, &kinds)?;
    let fk_values = foreign_key_values(conn, plan, table, done)?;
    let uuid_scopes = cols
        .iter()
        .map(|c| uuid_scope(plan.schema, table, &c.name))
        .collect();
    Ok(Planner {
        table,
        cols,
        kinds,
        rules,
        nullable,
        model,
        next_id,
        fk_values,
        pinned: Vec::new(),
        uuid_scopes,
        salt: plan.salt,
        rows: plan.rows,
    })
}

/// Integer single-column keys continue after the largest existing value.
fn next_id(
    conn: &mut dyn Dialect,
    table: &Table,
    cols: &[&Column],
    kinds: &[Kind],
) -> Result<Option<i64>> {
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
    Ok(next_id)
}

/// Per foreign key of `table`: the key values of rows it can point at, and whether the
/// reference is filled in later (its table is not seeded yet, or it is `table` itself).
fn foreign_key_values(
    conn: &mut dyn Dialect,
    plan: &Plan<'_>,
    table: &Table,
    done: &[String],
) -> Result<Vec<ForeignKeyValues>> {
    let backend = conn.backend();
    let mut fk_values: Vec<ForeignKeyValues> = Vec::new();
    for fk in &table.foreign_keys {
        let Some(target) = plan.schema.tables.get(&fk.ref_table) else {
            continue;
        };
        let ref_kinds: Vec<Kind> = fk
            .ref_columns
            .iter()
            .map(|c| {
                target.column(c).map_or(Kind::Text { max: None }, |c| {
                    kind_for(plan.schema, backend, c, None)
                })
            })
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
                plan.rows.max(1) + 2,
                Some((&table.name, &fk.columns)),
            )?
        } else {
            Vec::new()
        };
        fk_values.push((fk.clone(), rows, self_ref || !ready));
    }
    Ok(fk_values)
}

/// Insert `plan.rows` rows the planner builds: all in one statement when the database takes
/// them, else row by row, climbing the ladder for the columns the database names. Returns what
/// went in, and the keys of the rows whose references are filled in later.
fn insert_planned(
    conn: &mut dyn Dialect,
    plan: &Plan<'_>,
    planner: &Planner<'_>,
) -> (Filled, Vec<Vec<Lit>>) {
    let table = planner.table;
    let key_of = |map: &BTreeMap<String, Lit>| -> Vec<Lit> {
        table
            .primary_key
            .iter()
            .map(|k| map.get(k).cloned().unwrap_or(Lit::Null))
            .collect()
    };
    let width = planner.cols.len();
    let mut inserted_keys: Vec<Vec<Lit>> = Vec::new();
    let mut last_err: Option<crate::Error> = None;
    let mut inserted = 0usize;
    let mut pinned_in = 0usize;
    let mut pinned_refused: Option<String> = None;
    // Usually every row goes in with one statement; row by row, climbing the ladder for the
    // columns the database names, otherwise.
    let first: Vec<(BTreeMap<String, Lit>, bool)> = (0..plan.rows)
        .map(|r| planner.build(r, &vec![0; width]))
        .collect();
    let maps: Vec<BTreeMap<String, Lit>> = first.iter().map(|(m, _)| m.clone()).collect();
    if insert_many(conn, table, &maps).is_ok() {
        inserted = first.len();
        pinned_in = planner.pinned.len();
        for (map, needs_update) in &first {
            if *needs_update && !table.primary_key.is_empty() {
                inserted_keys.push(key_of(map));
            }
        }
    } else {
        for row in 0..plan.rows {
            let mut levels = vec![0u8; width];
            for _attempt in 0..12 {
                let (map, needs_update) = planner.build(row, &levels);
                match insert(conn, table, std::slice::from_ref(&map)) {
                    Ok(()) => {
                        inserted += 1;
                        pinned_in += usize::from(row < planner.pinned.len());
                        if needs_update && !table.primary_key.is_empty() {
                            inserted_keys.push(key_of(&map));
                        }
                        break;
                    }
                    Err(e) => {
                        let named = refusal::constraint_named(&message(&e));
                        if row < planner.pinned.len() {
                            pinned_refused.get_or_insert_with(|| one_line(&message(&e)));
                        }
                        last_err = Some(e);
                        let mut targets = planner.culprits(plan.schema, named.as_deref());
                        if targets.iter().all(|i| levels[*i] >= TOP) {
                            targets = (0..width).collect();
                        }
                        if targets.iter().all(|i| levels[*i] >= TOP) {
                            break;
                        }
                        for i in targets {
                            levels[i] = (levels[i] + 1).min(TOP);
                        }
                    }
                }
            }
        }
    }
    let filled = Filled {
        inserted,
        pinned_refused: if pinned_in == 0 { pinned_refused } else { None },
        error: if inserted < plan.rows { last_err } else { None },
        sample: maps.into_iter().next().unwrap_or_default(),
    };
    (filled, inserted_keys)
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
            .map(|c| {
                target.column(c).map_or(Kind::Text { max: None }, |c| {
                    kind_for(schema, conn.backend(), c, None)
                })
            })
            .collect();
    let targets = existing(
        conn,
        &d.fk.ref_table,
        &d.fk.ref_columns,
        &kinds,
        d.keys.len() + 1,
        None,
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
        in_savepoint(conn, &sql)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects;

    /// A scratch SQLite database holding `ddl`, seeded with 3 rows per table.
    fn seeded(name: &str, ddl: &str) -> (Box<dyn Dialect>, Outcome) {
        let path =
            std::env::temp_dir().join(format!("mrt-seeder-{name}-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let mut conn = dialects::connect(&format!("sqlite:///{}", path.display())).unwrap();
        conn.execute(ddl).unwrap();
        let schema = conn.introspect().unwrap();
        let tables: Vec<String> = schema.tables.keys().cloned().collect();
        let custom = HashMap::new();
        let outcome = seed(
            conn.as_mut(),
            &Plan {
                schema: &schema,
                tables: &tables,
                rows: 3,
                salt: 4,
                custom: &custom,
                matching: &HashMap::new(),
            },
        )
        .unwrap();
        (conn, outcome)
    }

    fn column(conn: &mut dyn Dialect, sql: &str) -> Vec<Option<String>> {
        conn.query_text(sql)
            .unwrap()
            .into_iter()
            .map(|mut r| r.remove(0))
            .collect()
    }

    #[test]
    fn every_check_form_sqlite_has_is_satisfied() {
        let (mut conn, outcome) = seeded(
            "forms",
            "CREATE TABLE parent (id INTEGER PRIMARY KEY,
               email VARCHAR(40) NOT NULL CONSTRAINT ck_email CHECK (email LIKE '%@%'),
               status TEXT NOT NULL CHECK (status IN ('new', 'done')),
               qty INTEGER NOT NULL CHECK (qty BETWEEN 2 AND 4),
               price NUMERIC(8,2) NOT NULL CHECK (price > 0 AND price < 10),
               code VARCHAR(8) NOT NULL CHECK (upper(code) = code) CHECK (length(code) >= 3),
               handle TEXT NOT NULL CHECK (lower(handle) = handle),
               tag TEXT NOT NULL CHECK (tag GLOB '[A-Z][0-9]*'),
               doc TEXT NOT NULL CHECK (json_valid(doc) AND json_type(doc) = 'array'),
               start_at DATETIME NOT NULL, end_at DATETIME NOT NULL,
               note TEXT CHECK (note IS NULL OR length(note) > 12),
               flag BOOLEAN NOT NULL CHECK (flag IN (0, 1)),
               CONSTRAINT ck_period CHECK (start_at < end_at));
             CREATE TABLE child (id INTEGER PRIMARY KEY,
               parent_id INTEGER NOT NULL REFERENCES parent (id),
               up INTEGER REFERENCES child (id),
               label VARCHAR(12),
               total NUMERIC(10,2) NOT NULL,
               CONSTRAINT uq_child UNIQUE (parent_id, label));",
        );
        assert!(outcome.unseeded.is_empty(), "{:?}", outcome.unseeded);
        assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
        for t in ["parent", "child"] {
            let n = column(conn.as_mut(), &format!("SELECT COUNT(*) FROM {t}"));
            assert_eq!(n, vec![Some("3".into())], "{t}");
        }
        // Nullable columns: filled in the first rows, NULL in the last one.
        let labels = column(conn.as_mut(), "SELECT label FROM child ORDER BY id");
        assert!(labels[0].is_some() && labels[1].is_some() && labels[2].is_none());
        let label = labels[0].clone().unwrap();
        assert!(label.chars().count() <= 12 && !label.is_ascii(), "{label}");
        assert!(label.to_lowercase() != label && label.to_uppercase() != label);
        // A self-reference points at another seeded row.
        let up = column(
            conn.as_mut(),
            "SELECT COUNT(*) FROM child c JOIN child p ON c.up = p.id WHERE c.up <> c.id",
        );
        assert_eq!(up, vec![Some("2".into())]);
        let totals = column(conn.as_mut(), "SELECT CAST(total AS TEXT) FROM child");
        for t in totals.into_iter().flatten() {
            let (_, cents) = t.split_once('.').unwrap_or(("", ""));
            assert!(cents.len() == 2 && !cents.ends_with('0'), "{t}");
        }
    }

    #[test]
    fn a_refusal_the_model_does_not_foresee_is_retried_with_plain_values() {
        // Only printable ASCII: the first (non-ASCII) text is refused, the named constraint
        // points at `name`, and the plain value goes in.
        let (mut conn, outcome) = seeded(
            "retry",
            "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
               nick TEXT, CONSTRAINT ck_ascii CHECK (name NOT GLOB '*[^ -~]*'))",
        );
        assert!(outcome.unseeded.is_empty(), "{:?}", outcome.unseeded);
        let names = column(conn.as_mut(), "SELECT name FROM people");
        assert_eq!(names.len(), 3);
        assert!(names.iter().flatten().all(|n| n.is_ascii()));
        // Other columns keep their first choice.
        let nicks = column(
            conn.as_mut(),
            "SELECT nick FROM people WHERE nick IS NOT NULL",
        );
        assert!(nicks.iter().flatten().all(|n| !n.is_ascii()), "{nicks:?}");
    }

    #[test]
    fn an_impossible_check_is_reported_with_its_name() {
        let (_conn, outcome) = seeded(
            "never",
            "CREATE TABLE never (id INTEGER PRIMARY KEY, x INTEGER NOT NULL,
               CONSTRAINT ck_never CHECK (x <> x))",
        );
        let [u] = outcome.unseeded.as_slice() else {
            panic!("{:?}", outcome.unseeded)
        };
        assert_eq!(u.constraint.as_deref(), Some("ck_never"));
        assert!(u.reason.starts_with("0/3 rows inserted: "), "{}", u.reason);
    }
}
