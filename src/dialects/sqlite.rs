//! SQLite through `rusqlite`, on the same file Alembic migrates (Alembic commits each step
//! before the engine reads). Introspection uses the PRAGMAs plus the stored `CREATE` text for
//! CHECK constraints and partial-index predicates.

use once_cell::sync::OnceCell;
use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::Dialect;
use crate::error::Result;
use crate::snapshot::TableData;
use crate::snapshot::schema::{
    Column, ForeignKey, Index, Schema, Table, matching_paren, normalize_sql, strip_parens,
    unquote_number,
};
use crate::url::{Backend, DbUrl};

pub struct Sqlite {
    url: DbUrl,
    conn: Connection,
    /// The bound on waiting for another connection's lock, in milliseconds.
    timeout_ms: Option<u64>,
}

/// Whether Python's `sqlite3` module runs on the same SQLite library as this crate (set once by
/// the bindings; unset means no Python, so one library).
///
/// Alembic reaches the file through Python's `sqlite3`, the engine through `rusqlite`, in one
/// process. One library shares its table of open files, so each connection sees the others'
/// locks. Two libraries do not: POSIX locks never conflict within a process, and closing either
/// library's descriptor drops the other's locks. In rollback-journal mode that is harmless here,
/// since the two never write at the same time. In WAL mode it corrupts the database: each library
/// takes itself for the only connection, re-initialises the shared WAL index and deletes the WAL
/// on close, so the other reads stale or "malformed" pages. The crate therefore links the
/// system's `libsqlite3` (the one Python's `sqlite3` loads), and refuses a WAL database when a
/// build still ends up with two.
pub static SHARED_WITH_PYTHON: OnceCell<bool> = OnceCell::new();

/// The library version this crate runs on (`3.40.1`).
#[must_use]
pub fn library_version() -> &'static str {
    rusqlite::version()
}

/// Refuse a WAL database when Python's `sqlite3` is another SQLite library (see
/// [`SHARED_WITH_PYTHON`]): reading or writing it from both would corrupt it.
fn refuse_wal_across_libraries(path: &std::path::Path, shared: bool) -> Result<()> {
    if shared {
        return Ok(());
    }
    // Bytes 18 and 19 of the header (file format read and write versions) are 2 in WAL mode.
    let mut header = [0u8; 20];
    let in_wal_mode = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
        .is_ok_and(|()| header[18] == 2 && header[19] == 2);
    if in_wal_mode {
        return Err(crate::error::Error::Safety(format!(
            "SQLite database {} is in WAL mode, and Python's sqlite3 module runs on another \
             SQLite library than pytest-mrt's (SQLite {}): two libraries in one process corrupt \
             a WAL database. Test it in journal_mode=DELETE, or use a Python whose sqlite3 \
             module links the system libsqlite3",
            path.display(),
            library_version()
        )));
    }
    Ok(())
}

impl Sqlite {
    fn refuse_wal_across_libraries(&self) -> Result<()> {
        let shared = SHARED_WITH_PYTHON.get().copied().unwrap_or(true);
        refuse_wal_across_libraries(std::path::Path::new(&self.url.database), shared)
    }

    pub fn connect(url: &DbUrl) -> Result<Sqlite> {
        let path = std::path::Path::new(&url.database);
        if !path.exists() {
            // Alembic would create it; so may we (an empty database).
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
                && !dir.is_dir()
            {
                return Err(url.db_error(format!("folder {} does not exist", dir.display())));
            }
        }
        let conn = Connection::open(path).map_err(|e| url.db_error(e))?;
        // The PRAGMA, not rusqlite's `busy_timeout`: that one records the handler through
        // `sqlite3_set_clientdata`, which needs SQLite 3.44, and the system library may be older.
        conn.execute_batch("PRAGMA busy_timeout = 30000")
            .map_err(|e| url.db_error(e))?;
        let sqlite = Sqlite {
            url: url.clone(),
            conn,
            timeout_ms: None,
        };
        sqlite.refuse_wal_across_libraries()?;
        Ok(sqlite)
    }

    /// The columns and primary key of the table `q` (quoted), from `PRAGMA table_info`.
    fn read_columns(&self, q: &str, t: &mut Table) -> Result<()> {
        let info = self.rows(&format!("PRAGMA table_info({q})"))?;
        let mut pk: Vec<(i64, String)> = Vec::new();
        for c in &info {
            let cname = c[1].clone().unwrap_or_default();
            let pk_pos: i64 = c[5].as_deref().unwrap_or("0").parse().unwrap_or(0);
            if pk_pos > 0 {
                pk.push((pk_pos, cname.clone()));
            }
            t.columns.push(Column {
                name: cname,
                data_type: normalize_type(c[2].as_deref().unwrap_or("")),
                nullable: c[3].as_deref() != Some("1"),
                default: c[4]
                    .as_deref()
                    .map(|d| normalize_default(d, c[2].as_deref().unwrap_or(""))),
                autoincrement: false,
                generated: false,
                enum_values: None,
            });
        }
        pk.sort();
        t.primary_key = pk.into_iter().map(|(_, c)| c).collect();
        if let [only] = t.primary_key.as_slice() {
            let only = only.clone();
            if let Some(c) = t.columns.iter_mut().find(|c| c.name == only)
                && c.data_type == "INTEGER"
            {
                // INTEGER PRIMARY KEY is the rowid: SQLite numbers it itself.
                c.autoincrement = true;
            }
        }
        Ok(())
    }

    /// The foreign keys of the table `q`, from `PRAGMA foreign_key_list`.
    fn read_foreign_keys(&self, q: &str, t: &mut Table) -> Result<()> {
        let mut fks: std::collections::BTreeMap<String, ForeignKey> =
            std::collections::BTreeMap::default();
        for f in self.rows(&format!("PRAGMA foreign_key_list({q})"))? {
            let id = f[0].clone().unwrap_or_default();
            let fk = fks.entry(id).or_insert_with(|| ForeignKey {
                columns: Vec::new(),
                ref_table: f[2].clone().unwrap_or_default(),
                ref_columns: Vec::new(),
                on_delete: f[6].clone().unwrap_or_default(),
                on_update: f[5].clone().unwrap_or_default(),
            });
            fk.columns.push(f[3].clone().unwrap_or_default());
            fk.ref_columns.push(f[4].clone().unwrap_or_default());
        }
        t.foreign_keys = fks.into_values().collect();
        Ok(())
    }

    /// The indexes and unique constraints of the table `q` (`index_sql`: each index's
    /// CREATE statement, for its WHERE).
    fn read_indexes(
        &self,
        q: &str,
        index_sql: &std::collections::HashMap<String, String>,
        t: &mut Table,
    ) -> Result<()> {
        for i in self.rows(&format!("PRAGMA index_list({q})"))? {
            let iname = i[1].clone().unwrap_or_default();
            let origin = i[3].clone().unwrap_or_default();
            if origin == "pk" {
                continue;
            }
            let cols: Vec<String> = self
                .rows(&format!("PRAGMA index_info({})", self.quote(&iname)))?
                .into_iter()
                .map(|c| c[2].clone().unwrap_or_else(|| "<expression>".into()))
                .collect();
            if origin == "u" {
                t.uniques.insert(cols);
            } else {
                let predicate = index_sql.get(&iname).and_then(|s| predicate_in(s));
                t.indexes.insert(
                    iname.clone(),
                    Index {
                        name: iname,
                        columns: cols,
                        unique: i[2].as_deref() == Some("1"),
                        predicate,
                    },
                );
            }
        }
        Ok(())
    }

    fn rows(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.url.db_error(e))?;
        let n = stmt.column_count();
        let mut out = Vec::new();
        let mut rows = stmt.query([]).map_err(|e| self.url.db_error(e))?;
        while let Some(row) = rows.next().map_err(|e| self.url.db_error(e))? {
            let mut vals = Vec::with_capacity(n);
            for i in 0..n {
                vals.push(match row.get_ref(i).map_err(|e| self.url.db_error(e))? {
                    ValueRef::Null => None,
                    ValueRef::Integer(v) => Some(v.to_string()),
                    ValueRef::Real(v) => Some(v.to_string()),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Some(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(vals);
        }
        Ok(out)
    }
}

/// The declared type, upper-cased and without spaces around arguments. `TIMESTAMP` is read
/// as `DATETIME`: SQLite gives both NUMERIC affinity and SQLAlchemy reads and writes both
/// through the same `DATETIME` storage format, so a batch-mode rebuild that redeclares one as
/// the other changes nothing. Other aliases stay apart: `INT` is not `INTEGER` (only
/// `INTEGER PRIMARY KEY` is the rowid), and `VARCHAR(n)`, `TEXT` and `DATE` read differently.
fn normalize_type(t: &str) -> String {
    let t = t
        .trim()
        .to_ascii_uppercase()
        .replace(", ", ",")
        .replace(" (", "(");
    if t == "TIMESTAMP" {
        "DATETIME".into()
    } else {
        t
    }
}

/// SQLite's type affinity rule 5 (no INT, CHAR/CLOB/TEXT, REAL/FLOA/DOUB, and BLOB or no type):
/// values are stored as given, so `'1'` and `1` stay different.
fn blob_affinity(t: &str) -> bool {
    let t = t.to_ascii_uppercase();
    !t.contains("INT") && (t.is_empty() || t.contains("BLOB"))
}

/// A column default as SQLite stores it: `'-1'` is `-1` (the column converts it) and the
/// keywords `TRUE`/`FALSE` are `1`/`0` (SQLite has no boolean values), except with BLOB
/// affinity where the quoted text stays text.
fn normalize_default(raw: &str, declared_type: &str) -> String {
    let d = normalize_sql(&strip_parens(raw));
    match d.as_str() {
        "true" => return "1".into(),
        "false" => return "0".into(),
        _ => {}
    }
    if blob_affinity(declared_type) {
        d
    } else {
        unquote_number(&d)
    }
}

/// Every `CHECK (...)` expression in a `CREATE TABLE` statement.
#[cfg(test)]
fn checks_in(create: &str) -> Vec<String> {
    named_checks_in(create)
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

/// The name a `CONSTRAINT name` just before position `at` gives.
fn constraint_name_before(create: &str, at: usize) -> Option<String> {
    let head = create[..at].trim_end();
    let word_start = head
        .rfind(|c: char| c.is_whitespace() || c == ',' || c == '(')
        .map_or(0, |p| p + 1);
    let name = &head[word_start..];
    let before = head[..word_start].trim_end();
    before
        .to_ascii_lowercase()
        .ends_with("constraint")
        .then(|| {
            name.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
                .to_string()
        })
        .filter(|n| !n.is_empty())
}

/// `(name, expression)` of every `CHECK (...)` in a `CREATE TABLE` statement.
fn named_checks_in(create: &str) -> Vec<(Option<String>, String)> {
    let lower = create.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = lower[from..].find("check") {
        let start = from + p;
        from = start + 5;
        let before_ok = start == 0
            || !lower.as_bytes()[start - 1].is_ascii_alphanumeric()
                && lower.as_bytes()[start - 1] != b'_';
        if !before_ok {
            continue;
        }
        let rest = &create[from..];
        let open = rest.len() - rest.trim_start().len();
        if !rest[open..].starts_with('(') {
            continue;
        }
        let abs = from + open;
        if let Some(close) = matching_paren(create, abs) {
            out.push((
                constraint_name_before(create, start),
                normalize_sql(&strip_parens(&create[abs..=close])),
            ));
            from = close + 1;
        }
    }
    out
}

/// The `WHERE` clause of a `CREATE INDEX` statement (partial index).
fn predicate_in(create: &str) -> Option<String> {
    let lower = create.to_ascii_lowercase();
    let close = lower.rfind(')')?;
    let pos = lower[..]
        .find(" where ")
        .filter(|p| *p > close.min(lower.find('(').unwrap_or(0)))?;
    Some(normalize_sql(&strip_parens(&create[pos + 7..])))
}

/// A foreign key naming no target columns points at the target's primary key.
fn default_foreign_key_targets(schema: &mut Schema) {
    let pks: std::collections::HashMap<String, Vec<String>> = schema
        .tables
        .iter()
        .map(|(n, t)| (n.clone(), t.primary_key.clone()))
        .collect();
    for t in schema.tables.values_mut() {
        let fks = std::mem::take(&mut t.foreign_keys);
        t.foreign_keys = fks
            .into_iter()
            .map(|mut fk| {
                if fk.ref_columns.iter().all(String::is_empty)
                    && let Some(pk) = pks.get(&fk.ref_table)
                {
                    fk.ref_columns = pk.clone();
                }
                fk
            })
            .collect();
    }
}

impl Dialect for Sqlite {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn url(&self) -> &DbUrl {
        &self.url
    }

    fn interrupter(&self) -> super::Interrupter {
        let handle = self.conn.get_interrupt_handle();
        Box::new(move || handle.interrupt())
    }

    fn open_another(&self) -> Result<Box<dyn Dialect>> {
        let mut other = Sqlite::connect(&self.url)?;
        if let Some(ms) = self.timeout_ms {
            other.set_statement_timeout(ms)?;
        }
        Ok(Box::new(other))
    }

    /// No server to bound a statement: a long one is interrupted by the engine's deadline;
    /// waiting for another connection's lock ends just after that deadline (instead of after
    /// 30 s), so that the deadline, not the wait, names the failure.
    fn set_statement_timeout(&mut self, ms: u64) -> Result<()> {
        self.timeout_ms = Some(ms);
        let wait = ms.saturating_add(500).min(30_000);
        self.execute(&format!("PRAGMA busy_timeout = {wait}"))
    }

    fn check_usable(&self) -> Result<()> {
        self.refuse_wal_across_libraries()
    }

    fn introspect(&mut self) -> Result<Schema> {
        let mut schema = Schema::default();
        let objects = self.rows(
            "SELECT type, name, tbl_name, sql FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )?;
        let index_sql: std::collections::HashMap<String, String> = objects
            .iter()
            .filter(|r| r[0].as_deref() == Some("index"))
            .filter_map(|r| Some((r[1].clone()?, r[3].clone()?)))
            .collect();
        for r in &objects {
            let name = r[1].clone().unwrap_or_default();
            let sql = r[3].clone().unwrap_or_default();
            match r[0].as_deref() {
                Some("view") => {
                    let body = sql
                        .to_ascii_lowercase()
                        .find(" as ")
                        .map_or(sql.as_str(), |p| &sql[p + 4..]);
                    schema.views.insert(name, normalize_sql(body));
                }
                Some("table") => {
                    let mut t = Table {
                        name: name.clone(),
                        ..Table::default()
                    };
                    let q = self.quote(&name);
                    self.read_columns(&q, &mut t)?;
                    self.read_foreign_keys(&q, &mut t)?;
                    self.read_indexes(&q, &index_sql, &mut t)?;
                    for (name, expr) in named_checks_in(&sql) {
                        if let Some(name) = name {
                            t.check_names.0.insert(name, expr.clone());
                        }
                        t.checks.insert(expr);
                    }
                    schema.tables.insert(name, t);
                }
                _ => {}
            }
        }
        default_foreign_key_targets(&mut schema);
        Ok(schema)
    }

    fn fingerprint_table(&mut self, table: &str, out: &mut TableData) -> Result<()> {
        let sql = self.select_all(table, &out.columns);
        let ncols = out.columns.len();
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.url.db_error(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.url.db_error(e))?;
        let mut sink = out.sink();
        let mut bufs: Vec<Option<Vec<u8>>> = vec![None; ncols];
        while let Some(row) = rows.next().map_err(|e| self.url.db_error(e))? {
            for (i, slot) in bufs.iter_mut().enumerate() {
                *slot = match row.get_ref(i).map_err(|e| self.url.db_error(e))? {
                    ValueRef::Null => None,
                    ValueRef::Integer(v) => Some(v.to_string().into_bytes()),
                    ValueRef::Real(v) => Some(format!("{v:?}").into_bytes()),
                    ValueRef::Text(t) => Some(t.to_vec()),
                    ValueRef::Blob(b) => {
                        let mut v = b"\x00blob".to_vec();
                        v.extend_from_slice(b);
                        Some(v)
                    }
                };
            }
            sink.push(bufs.iter().map(|b| b.as_deref()));
        }
        Ok(())
    }

    fn execute(&mut self, sql: &str) -> Result<()> {
        self.conn
            .execute_batch(sql)
            .map_err(|e| self.url.db_error(e))
    }

    fn query_text(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        self.rows(sql)
    }

    fn wipe(&mut self, keep: &[String]) -> Result<()> {
        let schema = self.introspect()?;
        let mut sql = String::from("PRAGMA foreign_keys = OFF;");
        for v in schema.views.keys().filter(|v| !keep.contains(v)) {
            sql.push_str(&format!("DROP VIEW IF EXISTS {};", self.quote(v)));
        }
        for t in schema.tables.keys().filter(|t| !keep.contains(t)) {
            sql.push_str(&format!("DROP TABLE IF EXISTS {};", self.quote(t)));
        }
        self.execute(&sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wal_database_is_refused_only_across_two_libraries() {
        let dir = std::env::temp_dir().join(format!("mrt-wal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (wal, plain) = (dir.join("wal.db"), dir.join("plain.db"));
        for (path, mode) in [(&wal, "WAL"), (&plain, "DELETE")] {
            let conn = Connection::open(path).unwrap();
            conn.execute_batch(&format!("PRAGMA journal_mode={mode}; CREATE TABLE t (x)"))
                .unwrap();
        }
        let refused = refuse_wal_across_libraries(&wal, false).unwrap_err();
        assert!(refused.to_string().contains("is in WAL mode"), "{refused}");
        assert!(!refused.to_string().contains('\n'));
        assert!(refuse_wal_across_libraries(&wal, true).is_ok());
        assert!(refuse_wal_across_libraries(&plain, false).is_ok());
        assert!(refuse_wal_across_libraries(&dir.join("missing.db"), false).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn finds_checks_and_predicates() {
        let create =
            "CREATE TABLE t (a INT CHECK (a > 0), b TEXT, CONSTRAINT ck CHECK ( length(b) >= 2 ))";
        assert_eq!(checks_in(create), vec!["a > 0", "length(b) >= 2"]);
        let named = named_checks_in(
            "CREATE TABLE t (a INT, CONSTRAINT \"ck_a\" CHECK (a > 0), b INT CHECK (b < 2))",
        );
        assert_eq!(
            named,
            vec![
                (Some("ck_a".to_string()), "a > 0".to_string()),
                (None, "b < 2".to_string())
            ]
        );
        assert_eq!(
            predicate_in("CREATE INDEX ix ON t (a) WHERE a > 5"),
            Some("a > 5".to_string())
        );
        assert_eq!(predicate_in("CREATE INDEX ix ON t (a)"), None);
    }

    #[test]
    fn equal_defaults_and_types_read_alike_real_changes_do_not() {
        let d = normalize_default;
        assert_eq!(d("'-1'", "INTEGER"), d("-1", "INTEGER"));
        assert_eq!(d("'-1'", "VARCHAR(10)"), d("-1", "VARCHAR(10)"));
        assert_eq!(d("false", "BOOLEAN"), d("0", "BOOLEAN"));
        assert_eq!(d("(TRUE)", "BOOLEAN"), d("'1'", "BOOLEAN"));
        assert_ne!(d("'-1'", "INTEGER"), d("-2", "INTEGER"));
        assert_ne!(d("0", "BOOLEAN"), d("1", "BOOLEAN"));
        assert_ne!(d("'01'", "VARCHAR(10)"), d("1", "VARCHAR(10)"));
        // BLOB affinity stores text as text and numbers as numbers.
        assert_ne!(d("'1'", "BLOB"), d("1", "BLOB"));
        assert_ne!(d("'1'", ""), d("1", ""));
        assert_eq!(normalize_type("timestamp"), normalize_type("DATETIME"));
        for other in ["DATE", "TIME", "VARCHAR(20)", "TEXT", "INT"] {
            assert_ne!(normalize_type(other), normalize_type("DATETIME"));
        }
        assert_ne!(normalize_type("INT"), normalize_type("INTEGER"));
    }
}
