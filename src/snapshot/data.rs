//! Data fingerprints: every row of every table, reduced to 64-bit hashes.
//!
//! Rows of a table with a primary key are keyed by the hash of their key columns and keep one
//! hash per column, so a comparison can name lost rows, leaked rows and the columns whose
//! values changed. Tables without a primary key keep a multiset of whole-row hashes (plus one
//! set of column hashes per distinct row). Memory is a few machine words per column and row
//! whatever the values' size; values themselves are never kept.
//!
//! Rows we seed after the upgrade are recognised after the downgrade by their content, not by
//! their table or key: a downgrade that renames the table back, renames a column back or
//! restores the old primary key still brings our rows along, and they are not leaks.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// The hash of SQL NULL (distinct from every hashed value in practice).
pub const NULL_HASH: u64 = 0x6e75_6c6c_6e75_6c6c;

/// FNV-1a over the value's bytes as the driver returns them (text form for numbers).
#[must_use]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // Never collide with the NULL marker.
    if h == NULL_HASH { h ^ 1 } else { h }
}

#[must_use]
pub fn hash_field(value: Option<&[u8]>) -> u64 {
    value.map_or(NULL_HASH, hash_bytes)
}

fn mix(acc: u64, h: u64) -> u64 {
    (acc.rotate_left(5) ^ h).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Combine column hashes into a key or row hash.
#[must_use]
pub fn combine(hashes: impl IntoIterator<Item = u64>) -> u64 {
    hashes.into_iter().fold(0x1234_5678, mix)
}

/// The rows of one table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableData {
    pub columns: Vec<String>,
    /// Primary-key column names; empty for a table without one.
    pub key: Vec<String>,
    #[serde(skip)]
    pub keyed: HashMap<u64, Vec<u64>>,
    /// Whole-row hash (columns in name order) → count, for tables without a key.
    #[serde(skip)]
    pub bag: HashMap<u64, u32>,
    /// Whole-row hash → the row's column hashes (`columns` order), for tables without a key.
    #[serde(skip)]
    pub bag_rows: HashMap<u64, Vec<u64>>,
    pub rows: u64,
    /// Keys that appeared twice (a key that is not unique in practice): counted, not compared.
    pub duplicate_keys: u64,
}

impl TableData {
    #[must_use]
    pub fn new(columns: Vec<String>, key: Vec<String>) -> TableData {
        TableData {
            columns,
            key,
            ..TableData::default()
        }
    }

    fn key_positions(&self) -> Vec<usize> {
        self.key
            .iter()
            .filter_map(|k| self.columns.iter().position(|c| c == k))
            .collect()
    }

    /// Add one row given as per-column hashes (same order as `columns`).
    pub fn push_hashes(&mut self, hashes: Vec<u64>, key_pos: &[usize], name_order: &[usize]) {
        self.rows += 1;
        if key_pos.is_empty() {
            let row = combine(name_order.iter().map(|&i| hashes[i]));
            *self.bag.entry(row).or_insert(0) += 1;
            self.bag_rows.entry(row).or_insert(hashes);
        } else {
            let key = combine(key_pos.iter().map(|&i| hashes[i]));
            if self.keyed.insert(key, hashes).is_some() {
                self.duplicate_keys += 1;
            }
        }
    }

    /// A row sink for dialects: call `push` with each field's bytes (None for NULL).
    #[must_use]
    pub fn sink(&mut self) -> RowSink<'_> {
        let key_pos = self.key_positions();
        let mut name_order: Vec<usize> = (0..self.columns.len()).collect();
        name_order.sort_by(|&a, &b| self.columns[a].cmp(&self.columns[b]));
        RowSink {
            table: self,
            key_pos,
            name_order,
        }
    }
}

/// Streams rows into a [`TableData`] without keeping them.
pub struct RowSink<'a> {
    table: &'a mut TableData,
    key_pos: Vec<usize>,
    name_order: Vec<usize>,
}

impl RowSink<'_> {
    pub fn push<'b>(&mut self, fields: impl IntoIterator<Item = Option<&'b [u8]>>) {
        let hashes: Vec<u64> = fields.into_iter().map(hash_field).collect();
        self.table
            .push_hashes(hashes, &self.key_pos, &self.name_order);
    }
}

/// Every table's rows at one moment.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Fingerprint {
    pub tables: BTreeMap<String, TableData>,
}

impl Fingerprint {
    #[must_use]
    pub fn row_count(&self, table: &str) -> u64 {
        self.tables.get(table).map_or(0, |t| t.rows)
    }

    /// The rows of `self` that were not in `before` (by key, or by multiset difference).
    #[must_use]
    pub fn added_since(&self, before: &Fingerprint) -> Fingerprint {
        let mut out = Fingerprint::default();
        for (name, now) in &self.tables {
            let mut added = TableData::new(now.columns.clone(), now.key.clone());
            let prev = before.tables.get(name);
            for (k, v) in &now.keyed {
                if prev.is_none_or(|p| !p.keyed.contains_key(k)) {
                    added.keyed.insert(*k, v.clone());
                }
            }
            for (h, n) in &now.bag {
                let had = prev.and_then(|p| p.bag.get(h)).copied().unwrap_or(0);
                if *n > had {
                    added.bag.insert(*h, n - had);
                    if let Some(values) = now.bag_rows.get(h) {
                        added.bag_rows.insert(*h, values.clone());
                    }
                }
            }
            added.rows =
                added.keyed.len() as u64 + added.bag.values().map(|n| u64::from(*n)).sum::<u64>();
            out.tables.insert(name.clone(), added);
        }
        out
    }

    /// Plain-English differences between the rows before the upgrade (`self`) and after the
    /// downgrade (`after`). Rows in `ignore` (seeded by us after the upgrade) are not leaks,
    /// in whichever table they are found after the downgrade (see [`OwnRows`]).
    /// Tables missing on either side are left to the schema diff.
    #[must_use]
    pub fn compare(&self, after: &Fingerprint, ignore: Option<&Fingerprint>) -> Vec<RowProblem> {
        let mut out = Vec::new();
        let mut ours = OwnRows::new(ignore);
        for (name, before) in &self.tables {
            let Some(now) = after.tables.get(name) else {
                if before.rows > 0 {
                    out.push(RowProblem::TableMissing {
                        table: name.clone(),
                        rows: before.rows,
                    });
                }
                continue;
            };
            let ignored = ignore.and_then(|i| i.tables.get(name));
            compare_table(name, before, now, ignored, &mut ours, &mut out);
        }
        out
    }
}

/// The rows we seeded after the upgrade, recognised wherever the downgrade puts them: the
/// table renamed back, columns renamed back, the old primary key restored (which re-keys
/// every row), a column the upgrade added dropped again.
///
/// A row found after the downgrade is one of ours when
/// - its table's key columns all existed where the row was seeded and hold the same values
///   there (the key as it was before the upgrade: seeded keys are salted per revision, so
///   they do not collide with rows a migration writes), or
/// - its non-NULL values are among the values of one seeded row, except at most one value
///   per column its table has and the seeded row's table had not (a column re-added with a
///   default, or renamed), and those exceptions are fewer than the values that match.
///
/// Each seeded row accounts for one row at most.
struct OwnRows<'a> {
    rows: Vec<Own<'a>>,
}

struct Own<'a> {
    /// Columns of the table the row was seeded into, and its value hashes in that order.
    columns: &'a [String],
    values: &'a [u64],
    /// The non-NULL value hashes, sorted.
    sorted: Vec<u64>,
    used: bool,
}

fn non_null_sorted(values: &[u64]) -> Vec<u64> {
    let mut v: Vec<u64> = values.iter().copied().filter(|h| *h != NULL_HASH).collect();
    v.sort_unstable();
    v
}

impl<'a> OwnRows<'a> {
    fn new(ours: Option<&'a Fingerprint>) -> OwnRows<'a> {
        let mut rows = Vec::new();
        for t in ours.iter().flat_map(|f| f.tables.values()) {
            let columns = t.columns.as_slice();
            let unkeyed = t
                .bag
                .iter()
                .filter_map(|(h, n)| Some((*n, t.bag_rows.get(h)?)));
            for (n, values) in t.keyed.values().map(|v| (1, v)).chain(unkeyed) {
                for _ in 0..n {
                    rows.push(Own {
                        columns,
                        values,
                        sorted: non_null_sorted(values),
                        used: false,
                    });
                }
            }
        }
        OwnRows { rows }
    }

    /// Claim the seeded row that `values` (hashes in `columns` order, `key` its table's
    /// primary key) is, if any.
    fn take(&mut self, columns: &[String], key: &[String], values: &[u64]) -> bool {
        if self.rows.is_empty() {
            return false;
        }
        let found = non_null_sorted(values);
        let key_values: Vec<(usize, u64)> = key
            .iter()
            .filter_map(|k| {
                let i = columns.iter().position(|c| c == k)?;
                Some((i, values[i]))
            })
            .collect();
        let same_key = |own: &Own<'_>| {
            !key_values.is_empty()
                && key_values.iter().all(|(i, h)| {
                    own.columns
                        .iter()
                        .position(|c| *c == columns[*i])
                        .is_some_and(|j| own.values[j] == *h)
                })
        };
        let same_content = |own: &Own<'_>| {
            let new_columns = columns.iter().filter(|c| !own.columns.contains(c)).count();
            let unmatched = multiset_excess(&found, &own.sorted);
            unmatched <= new_columns && found.len() - unmatched > unmatched
        };
        let hit = self
            .rows
            .iter()
            .position(|own| !own.used && same_key(own))
            .or_else(|| {
                self.rows
                    .iter()
                    .position(|own| !own.used && same_content(own))
            });
        if let Some(i) = hit {
            self.rows[i].used = true;
        }
        hit.is_some()
    }
}

/// How many elements of sorted `a` are not matched by an element of sorted `b` (multisets).
fn multiset_excess(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut excess) = (0, 0, 0);
    while i < a.len() {
        if j >= b.len() || a[i] < b[j] {
            excess += 1;
            i += 1;
        } else if a[i] > b[j] {
            j += 1;
        } else {
            i += 1;
            j += 1;
        }
    }
    excess
}

/// One difference between the rows before the upgrade and after the downgrade, as data: the
/// sentence users read is rendered from it (`Display`), and nothing parses that sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    /// The table is gone after the rollback, with the rows it held.
    TableMissing { table: String, rows: u64 },
    /// `lost` of the `of` rows the table held are gone.
    RowsLost { table: String, lost: u64, of: u64 },
    /// Without a primary key a changed row looks like a lost one plus a new one.
    LostOrChanged { table: String, lost: u64, of: u64 },
    /// `rows` rows hold other values in `column`; `now_null`: each of them is NULL now;
    /// `was_null`: each of them was NULL before the upgrade (a backfill the rollback kept,
    /// which the line says, so a reader tells it from a value overwritten).
    ValuesChanged {
        table: String,
        column: String,
        rows: u64,
        now_null: bool,
        was_null: bool,
    },
    /// Every row came back with the same content, but `rows` of them under other values of
    /// the primary key `key`: the rollback renumbered a surrogate key, and whatever referred
    /// to those rows by key now points at other rows.
    KeysRenumbered {
        table: String,
        key: String,
        rows: u64,
    },
    /// Rows that were not there before the upgrade (and that the check did not seed).
    Leaked { table: String, rows: u64 },
}

impl RowProblem {
    /// Whether the rollback lost the user's data (every problem but leaked rows).
    #[must_use]
    pub fn loses_data(&self) -> bool {
        !matches!(self, RowProblem::Leaked { .. })
    }

    /// The table the problem is in.
    #[must_use]
    pub fn table(&self) -> &str {
        match self {
            RowProblem::TableMissing { table, .. }
            | RowProblem::RowsLost { table, .. }
            | RowProblem::LostOrChanged { table, .. }
            | RowProblem::ValuesChanged { table, .. }
            | RowProblem::KeysRenumbered { table, .. }
            | RowProblem::Leaked { table, .. } => table,
        }
    }

    /// A stable name of the kind, for Python (`rows_lost`, `values_changed`, ...).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            RowProblem::TableMissing { .. } => "table_missing",
            RowProblem::RowsLost { .. } => "rows_lost",
            RowProblem::LostOrChanged { .. } => "rows_lost_or_changed",
            RowProblem::ValuesChanged { .. } => "values_changed",
            RowProblem::KeysRenumbered { .. } => "keys_renumbered",
            RowProblem::Leaked { .. } => "rows_leaked",
        }
    }
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowProblem::TableMissing { table, rows } => write!(
                f,
                "Table '{table}': {rows}/{rows} rows lost after rollback (table missing)"
            ),
            RowProblem::RowsLost { table, lost, of } => {
                write!(f, "Table '{table}': {lost}/{of} rows lost after rollback")
            }
            RowProblem::LostOrChanged { table, lost, of } => write!(
                f,
                "Table '{table}': {lost}/{of} rows lost or changed after rollback (no primary key to tell which)"
            ),
            RowProblem::ValuesChanged {
                table,
                column,
                rows: n,
                now_null,
                was_null,
            } => {
                let now_null = if *now_null {
                    ", data lost: now NULL"
                } else if *was_null {
                    ", each NULL before the upgrade: now filled"
                } else {
                    ""
                };
                write!(
                    f,
                    "Column '{table}.{column}': values changed after rollback ({}{now_null})",
                    rows(*n)
                )
            }
            RowProblem::KeysRenumbered {
                table,
                key,
                rows: n,
            } => write!(
                f,
                "Table '{table}': {} came back under other {key} values after rollback (the key was renumbered; the rows' other values are intact)",
                rows(*n)
            ),
            RowProblem::Leaked { table, rows: n } => write!(
                f,
                "Table '{table}': {} leaked after rollback (not there before the upgrade)",
                rows(*n)
            ),
        }
    }
}

fn rows(n: u64) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

/// Whole-row hash over `common` columns → (count, one such row's column hashes).
fn bag_over<'t>(t: &'t TableData, common: &[&String]) -> HashMap<u64, (u32, &'t [u64])> {
    let pos: Vec<usize> = common
        .iter()
        .map(|c| t.columns.iter().position(|x| x == *c).unwrap_or(0))
        .collect();
    let mut bag: HashMap<u64, (u32, &[u64])> = HashMap::new();
    let keyed = t.keyed.values().map(|row| (1, row));
    let unkeyed = t
        .bag
        .iter()
        .filter_map(|(h, n)| Some((*n, t.bag_rows.get(h)?)));
    for (n, row) in keyed.chain(unkeyed) {
        let h = combine(pos.iter().map(|&i| row[i]));
        bag.entry(h).or_insert((0, row.as_slice())).0 += n;
    }
    bag
}

/// Whether every row of `before` is still in `now` once the key columns are left out: the
/// same contents came back, only filed under other keys.
fn renumbered(before: &TableData, now: &TableData) -> bool {
    let mut content: Vec<&String> = before
        .columns
        .iter()
        .filter(|c| !before.key.contains(c) && now.columns.contains(c))
        .collect();
    content.sort();
    if content.is_empty() {
        return false;
    }
    let counts = |t| -> HashMap<u64, u32> {
        bag_over(t, &content)
            .into_iter()
            .map(|(h, (n, _))| (h, n))
            .collect()
    };
    // `now` may also hold the rows the check seeded after the upgrade (already told apart
    // from leaks by the caller), so the rows of `before` need only all be among them.
    let now = counts(now);
    counts(before)
        .iter()
        .all(|(h, n)| now.get(h).is_some_and(|m| m >= n))
}

fn compare_table(
    name: &str,
    before: &TableData,
    now: &TableData,
    ignored: Option<&TableData>,
    ours: &mut OwnRows<'_>,
    out: &mut Vec<RowProblem>,
) {
    let same_key = !before.key.is_empty() && before.key == now.key;
    if same_key {
        compare_keyed(name, before, now, ignored, ours, out);
    } else {
        compare_rows(name, before, now, ours, out);
    }
}

/// A table without a primary key (or whose key changed): compare whole rows over the columns
/// both sides have, in name order, as bags.
fn compare_rows(
    name: &str,
    before: &TableData,
    now: &TableData,
    ours: &mut OwnRows<'_>,
    out: &mut Vec<RowProblem>,
) {
    let common: Vec<&String> = {
        let mut c: Vec<&String> = before
            .columns
            .iter()
            .filter(|c| now.columns.contains(c))
            .collect();
        c.sort();
        c
    };
    let (b, n) = (bag_over(before, &common), bag_over(now, &common));
    let mut lost = 0u64;
    let mut leaked = 0u64;
    for (h, (c, _)) in &b {
        let m = n.get(h).map_or(0, |e| e.0);
        if m < *c {
            lost += u64::from(c - m);
        }
    }
    for (h, (c, row)) in &n {
        let m = b.get(h).map_or(0, |e| e.0);
        for _ in m..*c {
            if !ours.take(&now.columns, &now.key, row) {
                leaked += 1;
            }
        }
    }
    let (table, of) = (name.to_string(), before.rows);
    if lost > 0 && leaked > 0 {
        out.push(RowProblem::LostOrChanged { table, lost, of });
    } else if lost > 0 {
        out.push(RowProblem::RowsLost { table, lost, of });
    } else if leaked > 0 {
        out.push(RowProblem::Leaked {
            table,
            rows: leaked,
        });
    }
}

/// A table keyed the same on both sides: rows lost, values changed per column, keys
/// renumbered, rows leaked.
fn compare_keyed(
    name: &str,
    before: &TableData,
    now: &TableData,
    ignored: Option<&TableData>,
    ours: &mut OwnRows<'_>,
    out: &mut Vec<RowProblem>,
) {
    let pairs: Vec<(String, usize, usize)> = before
        .columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            now.columns
                .iter()
                .position(|x| x == c)
                .map(|j| (c.clone(), i, j))
        })
        .collect();
    let mut lost = 0u64;
    let mut changed = vec![0u64; pairs.len()];
    let mut now_null = vec![0u64; pairs.len()];
    let mut was_null = vec![0u64; pairs.len()];
    for (key, row) in &before.keyed {
        match now.keyed.get(key) {
            None => lost += 1,
            Some(new_row) => {
                for (p, (_, i, j)) in pairs.iter().enumerate() {
                    if row[*i] != new_row[*j] {
                        changed[p] += 1;
                        if new_row[*j] == NULL_HASH {
                            now_null[p] += 1;
                        }
                        if row[*i] == NULL_HASH {
                            was_null[p] += 1;
                        }
                    }
                }
            }
        }
    }
    let leaked = now
        .keyed
        .iter()
        .filter(|(k, row)| {
            !before.keyed.contains_key(k)
                && ignored.is_none_or(|t| !t.keyed.contains_key(k))
                && !ours.take(&now.columns, &now.key, row)
        })
        .count();
    if lost > 0 {
        out.push(RowProblem::RowsLost {
            table: name.to_string(),
            lost,
            of: before.keyed.len() as u64,
        });
    }
    if lost == 0 && leaked == 0 && changed.iter().any(|n| *n > 0) && renumbered(before, now) {
        // Per-column counts would blame columns the migration never touched.
        out.push(RowProblem::KeysRenumbered {
            table: name.to_string(),
            key: before.key.join(", "),
            rows: changed.iter().copied().max().unwrap_or(0),
        });
        return;
    }
    for (p, (col, _, _)) in pairs.iter().enumerate() {
        if changed[p] > 0 {
            out.push(RowProblem::ValuesChanged {
                table: name.to_string(),
                column: col.clone(),
                rows: changed[p],
                now_null: now_null[p] == changed[p],
                was_null: was_null[p] == changed[p],
            });
        }
    }
    if leaked > 0 {
        out.push(RowProblem::Leaked {
            table: name.to_string(),
            rows: leaked as u64,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(problems: Vec<RowProblem>) -> Vec<String> {
        problems.iter().map(ToString::to_string).collect()
    }

    fn table(rows: &[[Option<&str>; 2]]) -> TableData {
        let mut t = TableData::new(vec!["id".into(), "name".into()], vec!["id".into()]);
        let mut sink = t.sink();
        for r in rows {
            sink.push(r.iter().map(|v| v.map(str::as_bytes)));
        }
        t
    }

    fn fp(t: TableData) -> Fingerprint {
        let mut f = Fingerprint::default();
        f.tables.insert("users".into(), t);
        f
    }

    #[test]
    fn names_lost_changed_and_leaked_rows() {
        let before = fp(table(&[
            [Some("1"), Some("a")],
            [Some("2"), Some("b")],
            [Some("3"), Some("c")],
        ]));
        let after = fp(table(&[
            [Some("1"), Some("A")],
            [Some("2"), None],
            [Some("9"), Some("z")],
        ]));
        assert_eq!(
            lines(before.compare(&after, None)),
            vec![
                "Table 'users': 1/3 rows lost after rollback",
                "Column 'users.name': values changed after rollback (2 rows)",
                "Table 'users': 1 row leaked after rollback (not there before the upgrade)",
            ]
        );
        let ignore = after.added_since(&before);
        assert_eq!(lines(before.compare(&after, Some(&ignore))).len(), 2);
        assert!(lines(before.compare(&before.clone(), None)).is_empty());
    }

    #[test]
    fn says_when_every_changed_value_was_null_before() {
        // airflow 888b59e02a5b: `UPDATE connection SET is_encrypted = FALSE WHERE ... IS NULL`
        // in the upgrade, nullability alone restored by the downgrade.
        let before = fp(table(&[
            [Some("1"), None],
            [Some("2"), None],
            [Some("3"), Some("c")],
        ]));
        let filled = fp(table(&[
            [Some("1"), Some("x")],
            [Some("2"), Some("x")],
            [Some("3"), Some("c")],
        ]));
        assert_eq!(
            lines(before.compare(&filled, None)),
            vec![
                "Column 'users.name': values changed after rollback (2 rows, each NULL before the upgrade: now filled)"
            ]
        );
        let overwritten = fp(table(&[
            [Some("1"), Some("x")],
            [Some("2"), Some("x")],
            [Some("3"), Some("x")],
        ]));
        assert_eq!(
            lines(before.compare(&overwritten, None)),
            vec!["Column 'users.name': values changed after rollback (3 rows)"]
        );
    }

    #[test]
    fn a_renumbered_surrogate_key_is_named_not_blamed_on_other_columns() {
        // airflow 7645189f3479's downgrade rebuilds task_instance_history.id from row order.
        let columns = ["id", "task_id", "dag_id"];
        let before = db(vec![(
            "tih",
            data(
                &columns,
                &["id"],
                &[
                    &[Some("7"), Some("t1"), Some("d")],
                    &[Some("3"), Some("t2"), Some("d")],
                ],
            ),
        )]);
        let renumbered = db(vec![(
            "tih",
            data(
                &columns,
                &["id"],
                &[
                    &[Some("7"), Some("t2"), Some("d")],
                    &[Some("3"), Some("t1"), Some("d")],
                ],
            ),
        )]);
        assert_eq!(
            lines(before.compare(&renumbered, None)),
            vec![
                "Table 'tih': 2 rows came back under other id values after rollback (the key was renumbered; the rows' other values are intact)"
            ]
        );
        // A real change of content is still reported per column.
        let changed = db(vec![(
            "tih",
            data(
                &columns,
                &["id"],
                &[
                    &[Some("7"), Some("t2"), Some("d")],
                    &[Some("3"), Some("t2"), Some("d")],
                ],
            ),
        )]);
        assert_eq!(
            lines(before.compare(&changed, None)),
            vec!["Column 'tih.task_id': values changed after rollback (1 row)"]
        );
    }

    #[test]
    fn unkeyed_tables_compare_as_multisets() {
        let mut t = TableData::new(vec!["a".into()], vec![]);
        t.sink().push([Some(b"x".as_slice())]);
        let mut u = TableData::new(vec!["a".into()], vec![]);
        u.sink().push([None]);
        let (b, a) = (fp(t), fp(u));
        assert_eq!(
            lines(b.compare(&a, None)),
            vec![
                "Table 'users': 1/1 rows lost or changed after rollback (no primary key to tell which)"
            ]
        );
    }
    fn data(columns: &[&str], key: &[&str], rows: &[&[Option<&str>]]) -> TableData {
        let mut t = TableData::new(
            columns.iter().map(|c| (*c).to_string()).collect(),
            key.iter().map(|c| (*c).to_string()).collect(),
        );
        let mut sink = t.sink();
        for r in rows {
            sink.push(r.iter().map(|v| v.map(str::as_bytes)));
        }
        t
    }

    fn db(tables: Vec<(&str, TableData)>) -> Fingerprint {
        let mut f = Fingerprint::default();
        for (name, t) in tables {
            f.tables.insert(name.into(), t);
        }
        f
    }

    const PARENT_ROWS: &[&[Option<&str>]] = &[&[Some("1"), Some("a")], &[Some("2"), Some("b")]];

    #[test]
    fn our_rows_come_back_from_a_renamed_table() {
        // Upgrade: users → people; we seed 1001 into people; downgrade renames it back.
        let before = db(vec![("users", data(&["id", "name"], &["id"], PARENT_ROWS))]);
        let pre = db(vec![(
            "people",
            data(&["id", "name"], &["id"], PARENT_ROWS),
        )]);
        let seeded = db(vec![(
            "people",
            data(
                &["id", "name"],
                &["id"],
                &[PARENT_ROWS[0], PARENT_ROWS[1], &[Some("1001"), Some("z")]],
            ),
        )]);
        let ours = seeded.added_since(&pre);
        assert_eq!(ours.row_count("people"), 1);
        let back = |extra: &[&[Option<&str>]]| {
            let mut rows = PARENT_ROWS.to_vec();
            rows.extend_from_slice(extra);
            db(vec![("users", data(&["id", "name"], &["id"], &rows))])
        };
        let after = back(&[&[Some("1001"), Some("z")]]);
        assert!(lines(before.compare(&after, Some(&ours))).is_empty());
        // Without knowing what we seeded it is a leak, and so is a row we never seeded.
        let leak = "Table 'users': 1 row leaked after rollback (not there before the upgrade)";
        assert_eq!(lines(before.compare(&after, None)), vec![leak]);
        let after = back(&[&[Some("1001"), Some("z")], &[Some("7"), Some("migration")]]);
        assert_eq!(lines(before.compare(&after, Some(&ours))), vec![leak]);
        // One seeded row accounts for one row only.
        let after = back(&[&[Some("1001"), Some("z")], &[Some("1002"), Some("z")]]);
        assert_eq!(lines(before.compare(&after, Some(&ours))), vec![leak]);
        // Loss is still loss.
        let after = db(vec![(
            "users",
            data(
                &["id", "name"],
                &["id"],
                &[PARENT_ROWS[0], &[Some("1001"), Some("z")]],
            ),
        )]);
        assert_eq!(
            lines(before.compare(&after, Some(&ours))),
            vec!["Table 'users': 1/2 rows lost after rollback"]
        );
    }

    #[test]
    fn our_rows_survive_a_primary_key_change_and_a_column_rename() {
        // Upgrade: key (id) → (id, version) with a new column; name renamed to title.
        let before = db(vec![("runs", data(&["id", "name"], &["id"], PARENT_ROWS))]);
        let cols = ["id", "title", "version"];
        let pre_rows: &[&[Option<&str>]] = &[
            &[Some("1"), Some("a"), Some("0")],
            &[Some("2"), Some("b"), Some("0")],
        ];
        let pre = db(vec![("runs", data(&cols, &["id", "version"], pre_rows))]);
        let mut rows = pre_rows.to_vec();
        rows.push(&[Some("1001"), Some("z"), Some("3")]);
        let ours = db(vec![("runs", data(&cols, &["id", "version"], &rows))]).added_since(&pre);
        let mut back = PARENT_ROWS.to_vec();
        back.push(&[Some("1001"), Some("z")]);
        let after = db(vec![("runs", data(&["id", "name"], &["id"], &back))]);
        assert!(lines(before.compare(&after, Some(&ours))).is_empty());
        // Matched on the key they had before the upgrade even when the downgrade changed them.
        back[2] = &[Some("1001"), Some("changed")];
        let after = db(vec![("runs", data(&["id", "name"], &["id"], &back))]);
        assert!(lines(before.compare(&after, Some(&ours))).is_empty());
        // A value the downgrade really changed is still reported.
        back[0] = &[Some("1"), Some("A")];
        let after = db(vec![("runs", data(&["id", "name"], &["id"], &back))]);
        assert_eq!(
            lines(before.compare(&after, Some(&ours))),
            vec!["Column 'runs.name': values changed after rollback (1 row)"]
        );
    }

    #[test]
    fn unkeyed_tables_compare_over_common_columns() {
        let before = db(vec![(
            "log",
            data(&["msg"], &[], &[&[Some("x")], &[Some("y")]]),
        )]);
        // The downgrade left a column behind (the schema diff says so); the rows are intact.
        let after = db(vec![(
            "log",
            data(
                &["msg", "extra"],
                &[],
                &[&[Some("x"), None], &[Some("y"), None]],
            ),
        )]);
        assert!(lines(before.compare(&after, None)).is_empty());
        let after = db(vec![(
            "log",
            data(
                &["msg", "extra"],
                &[],
                &[&[Some("x"), None], &[Some("Y"), None]],
            ),
        )]);
        assert_eq!(
            lines(before.compare(&after, None)),
            vec![
                "Table 'log': 1/2 rows lost or changed after rollback (no primary key to tell which)"
            ]
        );
    }
}
