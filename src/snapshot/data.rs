//! Data fingerprints: every row of every table, reduced to 64-bit hashes.
//!
//! Rows of a table with a primary key are keyed by the hash of their key columns and keep one
//! hash per column, so a comparison can name lost rows, leaked rows and the columns whose
//! values changed. Tables without a primary key keep a multiset of whole-row hashes. Memory is
//! a few machine words per row whatever the row's size; values themselves are never kept.

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
                }
            }
            added.rows =
                added.keyed.len() as u64 + added.bag.values().map(|n| u64::from(*n)).sum::<u64>();
            out.tables.insert(name.clone(), added);
        }
        out
    }

    /// Plain-English differences between the rows before the upgrade (`self`) and after the
    /// downgrade (`after`). Rows in `ignore` (seeded by us after the upgrade) are not leaks.
    /// Tables missing on either side are left to the schema diff.
    #[must_use]
    pub fn compare(&self, after: &Fingerprint, ignore: Option<&Fingerprint>) -> Vec<String> {
        let mut out = Vec::new();
        for (name, before) in &self.tables {
            let Some(now) = after.tables.get(name) else {
                if before.rows > 0 {
                    out.push(format!(
                        "Table '{name}': {n}/{n} rows lost after rollback (table missing)",
                        n = before.rows
                    ));
                }
                continue;
            };
            let ignored = ignore.and_then(|i| i.tables.get(name));
            compare_table(name, before, now, ignored, &mut out);
        }
        out
    }
}

fn rows(n: u64) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

fn compare_table(
    name: &str,
    before: &TableData,
    now: &TableData,
    ignored: Option<&TableData>,
    out: &mut Vec<String>,
) {
    let same_key = !before.key.is_empty() && before.key == now.key;
    if !same_key {
        // Compare whole rows over the columns both sides have, in name order.
        let common: Vec<&String> = {
            let mut c: Vec<&String> = before
                .columns
                .iter()
                .filter(|c| now.columns.contains(c))
                .collect();
            c.sort();
            c
        };
        let bag_of = |t: &TableData| -> HashMap<u64, u32> {
            if !t.key.is_empty() || common.len() != t.columns.len() {
                let pos: Vec<usize> = common
                    .iter()
                    .map(|c| t.columns.iter().position(|x| x == *c).unwrap_or(0))
                    .collect();
                let mut bag = HashMap::new();
                for row in t.keyed.values() {
                    *bag.entry(combine(pos.iter().map(|&i| row[i]))).or_insert(0) += 1;
                }
                if t.key.is_empty() {
                    // Unkeyed with other columns: only counts can be compared.
                    return HashMap::new();
                }
                bag
            } else {
                t.bag.clone()
            }
        };
        let (b, n) = (bag_of(before), bag_of(now));
        if b.is_empty() && n.is_empty() {
            if now.rows < before.rows {
                out.push(format!(
                    "Table '{name}': {}/{} rows lost after rollback",
                    before.rows - now.rows,
                    before.rows
                ));
            }
            return;
        }
        let ign = ignored.map(|t| t.bag.clone()).unwrap_or_default();
        let mut lost = 0u64;
        let mut leaked = 0u64;
        for (h, c) in &b {
            let m = n.get(h).copied().unwrap_or(0);
            if m < *c {
                lost += u64::from(c - m);
            }
        }
        for (h, c) in &n {
            let m = b.get(h).copied().unwrap_or(0) + ign.get(h).copied().unwrap_or(0);
            if *c > m {
                leaked += u64::from(c - m);
            }
        }
        if lost > 0 && leaked > 0 {
            out.push(format!(
                "Table '{name}': {lost}/{} rows lost or changed after rollback (no primary key to tell which)",
                before.rows
            ));
        } else if lost > 0 {
            out.push(format!(
                "Table '{name}': {lost}/{} rows lost after rollback",
                before.rows
            ));
        } else if leaked > 0 {
            out.push(format!(
                "Table '{name}': {} leaked after rollback (not there before the upgrade)",
                rows(leaked)
            ));
        }
        return;
    }
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
                    }
                }
            }
        }
    }
    let leaked = now
        .keyed
        .keys()
        .filter(|k| {
            !before.keyed.contains_key(k) && ignored.is_none_or(|t| !t.keyed.contains_key(k))
        })
        .count();
    if lost > 0 {
        out.push(format!(
            "Table '{name}': {lost}/{} rows lost after rollback",
            before.keyed.len()
        ));
    }
    for (p, (col, _, _)) in pairs.iter().enumerate() {
        let n = changed[p];
        if n == 0 {
            continue;
        }
        let rows = if n == 1 {
            "1 row"
        } else {
            &format!("{n} rows")
        };
        if now_null[p] == n {
            out.push(format!(
                "Column '{name}.{col}': values changed after rollback ({rows}, data lost: now NULL)"
            ));
        } else {
            out.push(format!(
                "Column '{name}.{col}': values changed after rollback ({rows})"
            ));
        }
    }
    if leaked > 0 {
        out.push(format!(
            "Table '{name}': {} leaked after rollback (not there before the upgrade)",
            rows(leaked as u64)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            before.compare(&after, None),
            vec![
                "Table 'users': 1/3 rows lost after rollback",
                "Column 'users.name': values changed after rollback (2 rows)",
                "Table 'users': 1 row leaked after rollback (not there before the upgrade)",
            ]
        );
        let ignore = after.added_since(&before);
        assert_eq!(before.compare(&after, Some(&ignore)).len(), 2);
        assert!(before.compare(&before.clone(), None).is_empty());
    }

    #[test]
    fn unkeyed_tables_compare_as_multisets() {
        let mut t = TableData::new(vec!["a".into()], vec![]);
        t.sink().push([Some(b"x".as_slice())]);
        let mut u = TableData::new(vec!["a".into()], vec![]);
        u.sink().push([None]);
        let (b, a) = (fp(t), fp(u));
        assert_eq!(
            b.compare(&a, None),
            vec![
                "Table 'users': 1/1 rows lost or changed after rollback (no primary key to tell which)"
            ]
        );
    }
}
