//! One connection to the test database, per dialect: introspect the schema, stream rows into a
//! fingerprint, run the seeder's statements, and drop what a run created.

pub mod mysql;
pub mod objects;
pub mod postgres;
pub mod sqlite;

use crate::error::Result;
use crate::snapshot::schema::{Schema, Table};
use crate::snapshot::{Fingerprint, TableData};
use crate::url::{Backend, DbUrl};

/// A value the seeder wants to write, rendered as a SQL literal by the dialect.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    Int(i64),
    /// An exact decimal (or float) in plain text, written unquoted.
    Num(String),
    Str(String),
    Bool(bool),
    Bytes(Vec<u8>),
}

/// Cancels whatever statement the connection it came from is running (from another thread).
pub type Interrupter = Box<dyn Fn() + Send + Sync>;

/// What every database backend provides to the engine.
pub trait Dialect: Send {
    /// A handle that cancels the running statement of this connection: SQLite's interrupt,
    /// PostgreSQL's cancel request, MySQL's `KILL QUERY` from a second connection.
    fn interrupter(&self) -> Interrupter;
    fn backend(&self) -> Backend;
    fn url(&self) -> &DbUrl;
    /// A second, independent connection to the same database (for parallel reads).
    fn open_another(&self) -> Result<Box<dyn Dialect>>;
    /// The current schema (PostgreSQL: `current_schema()`; MySQL: `DATABASE()`).
    fn introspect(&mut self) -> Result<Schema>;
    /// Stream every row of `table` into `out` (columns in `out.columns` order).
    fn fingerprint_table(&mut self, table: &str, out: &mut TableData) -> Result<()>;
    /// Bound every later statement of this connection (and of those `open_another` opens) to
    /// `ms` milliseconds, on the server (PostgreSQL `statement_timeout` and `lock_timeout`;
    /// MariaDB `max_statement_time` and lock waits; MySQL `max_execution_time`; SQLite: the
    /// wait for another connection's lock). A server that does not answer at all is bounded
    /// by the engine's deadline (`bindings::engine`), not here.
    fn set_statement_timeout(&mut self, ms: u64) -> Result<()>;
    /// Checked before each of the engine's operations: refuse a database this connection must
    /// not touch now (SQLite: WAL mode across two SQLite libraries).
    fn check_usable(&self) -> Result<()> {
        Ok(())
    }
    /// Tables big enough that reading them on parallel connections pays (bytes on disk).
    fn large_tables(&mut self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    /// Run statements that return nothing.
    fn execute(&mut self, sql: &str) -> Result<()>;
    /// Run a query and return every value as text (None for NULL).
    fn query_text(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>>;
    fn quote(&self, ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }

    /// `SELECT <every column> FROM <table>`, the query row fingerprints stream.
    fn select_all(&self, table: &str, columns: &[String]) -> String {
        let list = if columns.is_empty() {
            "1".to_string()
        } else {
            let quoted: Vec<String> = columns.iter().map(|c| self.quote(c)).collect();
            quoted.join(", ")
        };
        format!("SELECT {list} FROM {}", self.quote(table))
    }
    fn literal(&self, value: &Lit) -> String {
        match value {
            Lit::Null => "NULL".into(),
            Lit::Int(i) => i.to_string(),
            Lit::Num(n) => n.clone(),
            Lit::Str(s) => format!("'{}'", s.replace('\'', "''")),
            Lit::Bool(b) => if *b { "1" } else { "0" }.into(),
            Lit::Bytes(b) => format!("X'{}'", hex(b)),
        }
    }
    /// After explicit ids were written into auto-increment columns (PostgreSQL sequences).
    fn after_seed(&mut self, _table: &Table) -> Result<()> {
        Ok(())
    }
    /// Drop every table, view, enum type and sequence except those named in `keep`.
    fn wipe(&mut self, keep: &[String]) -> Result<()>;
}

#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Open a connection for `url` (a SQLAlchemy URL).
pub fn connect(url: &str) -> Result<Box<dyn Dialect>> {
    let parsed = DbUrl::parse(url)?;
    connect_parsed(&parsed)
}

pub fn connect_parsed(url: &DbUrl) -> Result<Box<dyn Dialect>> {
    Ok(match url.backend {
        Backend::Sqlite => Box::new(sqlite::Sqlite::connect(url)?),
        Backend::Postgres => Box::new(postgres::Postgres::connect(url)?),
        Backend::Mysql => Box::new(mysql::Mysql::connect(url)?),
    })
}

/// Cancel the statement that server connection `backend_id` runs, from a new connection:
/// `pg_cancel_backend` on PostgreSQL, `KILL QUERY` on MySQL/MariaDB (what the MySQL engine's
/// own [`Dialect::interrupter`] does too; PostgreSQL's uses the cancel key of a connection it
/// owns). For the connections of Python's drivers, which the engine does not own. True when the
/// server answered, whatever it said; false when it did not within `timeout`. SQLite has no
/// server: true.
#[must_use]
pub fn cancel_backend(url: &DbUrl, backend_id: u32, timeout: Option<std::time::Duration>) -> bool {
    match url.backend {
        Backend::Sqlite => true,
        Backend::Postgres => postgres::cancel_backend(url, backend_id, timeout),
        Backend::Mysql => mysql::cancel_backend(url, backend_id, timeout),
    }
}

/// Fingerprint `tables` (all tables of `schema` when None). Large tables are read on extra
/// connections in parallel with the rest.
pub fn fingerprint(
    conn: &mut dyn Dialect,
    schema: &Schema,
    tables: Option<&[String]>,
) -> Result<Fingerprint> {
    let names: Vec<&Table> = match tables {
        Some(list) => list.iter().filter_map(|n| schema.tables.get(n)).collect(),
        None => schema.tables.values().collect(),
    };
    let large = if names.len() > 1 {
        conn.large_tables()?
    } else {
        Vec::new()
    };
    let (big, small): (Vec<&Table>, Vec<&Table>) =
        names.into_iter().partition(|t| large.contains(&t.name));
    // Each big table on its own connection; the small ones on ours meanwhile.
    let extra: Vec<Box<dyn Dialect>> = big
        .iter()
        .map(|_| conn.open_another())
        .collect::<Result<_>>()?;
    let read = std::thread::scope(|s| {
        let handles: Vec<_> = big
            .iter()
            .zip(extra)
            .map(|(t, mut c)| s.spawn(move || read_table(c.as_mut(), t)))
            .collect();
        let mut read: Vec<Result<(String, TableData)>> =
            small.iter().map(|t| read_table(conn, t)).collect();
        read.extend(handles.into_iter().map(|h| {
            h.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }));
        read
    });
    let mut fp = Fingerprint::default();
    for r in read {
        let (name, data) = r?;
        fp.tables.insert(name, data);
    }
    Ok(fp)
}

/// Every row of one table, hashed.
fn read_table(conn: &mut dyn Dialect, t: &Table) -> Result<(String, TableData)> {
    // Key columns by name: a key recreated in another column order keys rows the same way.
    let mut key = t.primary_key.clone();
    key.sort();
    let mut data = TableData::new(t.columns.iter().map(|c| c.name.clone()).collect(), key);
    conn.fingerprint_table(&t.name, &mut data)?;
    Ok((t.name.clone(), data))
}

/// Remove `::type` casts outside quoted text: `'a'::character varying` → `'a'`.
#[must_use]
pub fn strip_casts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut in_quote = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_quote {
            out.push(c as char);
            if c == b'\'' {
                in_quote = false;
            }
            i += 1;
            continue;
        }
        if c == b'\'' {
            in_quote = true;
            out.push('\'');
            i += 1;
            continue;
        }
        if c == b':' && bytes.get(i + 1) == Some(&b':') {
            i += 2;
            // Skip the type name: words, spaces between words, an optional (n[,m]), [].
            while i < bytes.len() {
                let b = bytes[i];
                if b.is_ascii_alphanumeric() || b == b'_' || b == b'"' || b == b'.' {
                    i += 1;
                } else if b == b'[' && bytes.get(i + 1) == Some(&b']') {
                    i += 2;
                } else if b == b' '
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic)
                    && !text[i + 1..].to_ascii_lowercase().starts_with("and ")
                    && !text[i + 1..].to_ascii_lowercase().starts_with("or ")
                {
                    i += 1;
                } else if b == b'(' {
                    let close = text[i..].find(')').map_or(bytes.len(), |p| i + p + 1);
                    i = close;
                } else {
                    break;
                }
            }
            continue;
        }
        // Push whole UTF-8 characters.
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// The single-quoted literals in SQL text, `''` unescaped: `'a', 'it''s'` → `a`, `it's`.
/// Enum definitions and `IN`/`ANY(ARRAY[...])` lists are written this way.
pub(crate) fn quoted_literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quote = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (in_quote, c) {
            (false, '\'') => in_quote = true,
            (true, '\'') if chars.peek() == Some(&'\'') => {
                cur.push('\'');
                chars.next();
            }
            (true, '\'') => {
                in_quote = false;
                out.push(std::mem::take(&mut cur));
            }
            (true, c) => cur.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_postgres_casts() {
        assert_eq!(strip_casts("'abc'::character varying"), "'abc'");
        assert_eq!(strip_casts("(price > (0)::numeric)"), "(price > (0))");
        assert_eq!(
            strip_casts(
                "((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))"
            ),
            "((status) = ANY ((ARRAY['a', 'b'])))"
        );
        assert_eq!(strip_casts("'it''s'::text"), "'it''s'");
    }
}
