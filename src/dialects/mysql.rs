//! MySQL and MariaDB through the pure-Rust `mysql` crate: `information_schema` for the
//! database in the URL, the text protocol to stream rows.

use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, Value};

use super::{Dialect, Lit};
use crate::error::Result;
use crate::snapshot::TableData;
use crate::snapshot::schema::{
    Column, ForeignKey, Index, Schema, Table, normalize_sql, strip_parens, unquote_number,
};
use crate::url::{Backend, DbUrl};

pub struct Mysql {
    url: DbUrl,
    conn: Conn,
    mariadb: bool,
    /// The statement bound in milliseconds, also set on the connections `open_another` opens.
    timeout_ms: Option<u64>,
}

/// Cancel what connection `id` runs with `KILL QUERY`, from a new connection (bounded by
/// `timeout`). True when the server answered, whatever it said (no such thread, not allowed);
/// false when it did not (no connection, no reply in time).
pub(super) fn cancel_backend(url: &DbUrl, id: u32, timeout: Option<Duration>) -> bool {
    let opts = Mysql::options(url)
        .tcp_connect_timeout(timeout)
        .read_timeout(timeout)
        .write_timeout(timeout);
    let answered = |e: &mysql::Error| matches!(e, mysql::Error::MySqlError(_));
    match Conn::new(opts) {
        Ok(mut conn) => match conn.query_drop(format!("KILL QUERY {id}")) {
            Ok(()) => true,
            Err(e) => answered(&e),
        },
        Err(e) => answered(&e),
    }
}

impl Mysql {
    /// How to reach the server of `url` (user, password, database, socket or host and port).
    fn options(url: &DbUrl) -> OptsBuilder {
        let b = OptsBuilder::new()
            .user(
                url.user
                    .clone()
                    .or_else(|| url.option("user").map(str::to_string)),
            )
            .pass(
                url.password
                    .clone()
                    .or_else(|| url.option("password").map(str::to_string)),
            )
            .db_name(Some(url.database.clone()).filter(|d| !d.is_empty()));
        if let Some(sock) = url.option("unix_socket") {
            b.socket(Some(sock.to_string()))
        } else {
            b.ip_or_hostname(Some(url.host.clone().unwrap_or_else(|| "localhost".into())))
                .tcp_port(url.port.unwrap_or(3306))
                .prefer_socket(false)
        }
    }

    pub fn connect(url: &DbUrl) -> Result<Mysql> {
        let mut conn = Conn::new(Self::options(url)).map_err(|e| url.db_error(describe(&e)))?;
        let version: Option<String> = conn
            .query_first("SELECT VERSION()")
            .map_err(|e| url.db_error(describe(&e)))?;
        let mariadb = version
            .unwrap_or_default()
            .to_ascii_lowercase()
            .contains("mariadb");
        Ok(Mysql {
            url: url.clone(),
            conn,
            mariadb,
            timeout_ms: None,
        })
    }
}

/// The server's message without the driver's wrapping.
fn describe(e: &mysql::Error) -> String {
    match e {
        mysql::Error::MySqlError(m) => format!("{} (error {})", m.message, m.code),
        other => other.to_string(),
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

/// `varchar(100)` → `VARCHAR(100)`; enum labels keep their case.
fn normalize_type(t: &str) -> String {
    match t.find('(') {
        Some(p) => format!("{}{}", t[..p].to_ascii_uppercase(), &t[p..]),
        None => t.to_ascii_uppercase(),
    }
}

fn enum_labels(column_type: &str) -> Option<Vec<String>> {
    let inner = column_type.strip_prefix("enum(")?.strip_suffix(')')?;
    Some(super::quoted_literals(inner))
}

/// The default as the server stores it. In a numeric column (`BOOLEAN` is `TINYINT(1)`)
/// `TRUE`/`FALSE` are MySQL's names for 1 and 0 and a quoted number is the number. Text
/// columns keep their text: MySQL 8 shows string defaults unquoted, so `'true'` must not
/// become 1 there.
fn normalize_default(d: Option<String>, column_type: &str) -> Option<String> {
    let d = d?;
    if d.eq_ignore_ascii_case("NULL") {
        return None;
    }
    let d = normalize_sql(&d.replace("current_timestamp()", "CURRENT_TIMESTAMP"));
    let t = column_type.to_ascii_lowercase();
    let base = t.split(['(', ' ']).next().unwrap_or("");
    let numeric = [
        "tinyint",
        "smallint",
        "mediumint",
        "int",
        "integer",
        "bigint",
        "bit",
        "decimal",
        "numeric",
        "float",
        "double",
        "real",
        "bool",
        "boolean",
    ]
    .contains(&base);
    if !numeric {
        return Some(d);
    }
    Some(match d.as_str() {
        "true" => "1".into(),
        "false" => "0".into(),
        _ => unquote_number(&d),
    })
}

/// Add `fk` (constraint `name`) to `t`, the table `table`, dropping the index that MySQL made
/// for it.
fn attach_foreign_key(t: &mut Table, table: &str, name: &str, fk: ForeignKey) {
    // The index MySQL creates to back a foreign key belongs to the key. It takes
    // the constraint's name, or the first column's when the name was generated
    // (`<table>_ibfk_<n>`), and MySQL drops it silently once another index or the
    // primary key can serve the key: comparing it would report that as drift.
    let generated = name.starts_with(&format!("{table}_ibfk_"));
    let implicit =
        std::iter::once(name).chain(fk.columns.first().map(String::as_str).filter(|_| generated));
    for index_name in implicit.map(str::to_string).collect::<Vec<_>>() {
        if t.indexes
            .get(&index_name)
            .is_some_and(|i| !i.unique && i.columns == fk.columns)
        {
            t.indexes.remove(&index_name);
        }
    }
    t.foreign_keys.insert(fk);
}

impl Mysql {
    /// Base tables and their columns.
    fn read_columns(&mut self, schema: &mut Schema) -> Result<()> {
        let cols = self.query_text(
            "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE, c.COLUMN_DEFAULT, c.EXTRA \
             FROM information_schema.COLUMNS c JOIN information_schema.TABLES t \
               ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
             WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' \
             ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
        )?;
        for r in cols {
            let table = r[0].clone().unwrap_or_default();
            let t = schema.tables.entry(table.clone()).or_insert_with(|| Table {
                name: table.clone(),
                ..Table::default()
            });
            let ctype = r[2].clone().unwrap_or_default();
            let extra = r[5].clone().unwrap_or_default().to_ascii_lowercase();
            t.columns.push(Column {
                name: r[1].clone().unwrap_or_default(),
                data_type: normalize_type(&ctype),
                nullable: r[3].as_deref() == Some("YES"),
                default: normalize_default(r[4].clone(), &ctype),
                autoincrement: extra.contains("auto_increment"),
                generated: extra.contains("generated") || extra.contains("persistent"),
                enum_values: enum_labels(&ctype),
            });
        }
        Ok(())
    }

    /// Indexes and the primary key (a prefix index column as `col(len)`).
    fn read_indexes(&mut self, schema: &mut Schema) -> Result<()> {
        let stats = self.query_text(
            "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
             ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
        )?;
        for r in stats {
            let Some(t) = schema.tables.get_mut(r[0].as_deref().unwrap_or("")) else {
                continue;
            };
            let name = r[1].clone().unwrap_or_default();
            let mut col = r[3].clone().unwrap_or_default();
            if let Some(len) = &r[4] {
                col = format!("{col}({len})");
            }
            if name == "PRIMARY" {
                t.primary_key.push(col);
                continue;
            }
            let idx = t.indexes.entry(name.clone()).or_insert_with(|| Index {
                name,
                columns: Vec::new(),
                unique: r[2].as_deref() == Some("0"),
                predicate: None,
            });
            idx.columns.push(col);
        }
        Ok(())
    }

    /// Foreign keys as (table, constraint name, key), one per constraint, columns in order.
    fn read_foreign_keys(&mut self) -> Result<Vec<(String, String, ForeignKey)>> {
        let fks = self.query_text(
            "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, \
                    k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE \
             FROM information_schema.KEY_COLUMN_USAGE k \
             JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
               ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
              AND r.TABLE_NAME = k.TABLE_NAME \
             WHERE k.TABLE_SCHEMA = DATABASE() \
             ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
        )?;
        let mut grouped: Vec<(String, String, ForeignKey)> = Vec::new();
        for r in fks {
            let (table, name) = (
                r[0].clone().unwrap_or_default(),
                r[1].clone().unwrap_or_default(),
            );
            if grouped
                .last()
                .is_none_or(|(t, n, _)| *t != table || *n != name)
            {
                grouped.push((
                    table.clone(),
                    name.clone(),
                    ForeignKey {
                        columns: Vec::new(),
                        ref_table: r[3].clone().unwrap_or_default(),
                        ref_columns: Vec::new(),
                        // MySQL reports the default as RESTRICT; they behave the same.
                        on_delete: r[6]
                            .clone()
                            .unwrap_or_default()
                            .replace("RESTRICT", "NO ACTION"),
                        on_update: r[5]
                            .clone()
                            .unwrap_or_default()
                            .replace("RESTRICT", "NO ACTION"),
                    },
                ));
            }
            if let Some((_, _, fk)) = grouped.last_mut() {
                fk.columns.push(r[2].clone().unwrap_or_default());
                fk.ref_columns.push(r[4].clone().unwrap_or_default());
            }
        }
        Ok(grouped)
    }

    /// CHECK constraints (MariaDB and MySQL keep them in different catalog tables).
    fn read_checks(&mut self, schema: &mut Schema) -> Result<()> {
        let checks_sql = if self.mariadb {
            "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = DATABASE()"
        } else {
            "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE \
             FROM information_schema.TABLE_CONSTRAINTS tc JOIN information_schema.CHECK_CONSTRAINTS cc \
               ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
             WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE = 'CHECK'"
        };
        for r in self.query_text(checks_sql)? {
            if let Some(t) = schema.tables.get_mut(r[0].as_deref().unwrap_or("")) {
                let expr = normalize_sql(&strip_parens(r[2].as_deref().unwrap_or("")));
                if let Some(name) = &r[1] {
                    t.check_names.0.insert(name.clone(), expr.clone());
                }
                t.checks.insert(expr);
            }
        }
        Ok(())
    }
}

impl Dialect for Mysql {
    fn backend(&self) -> Backend {
        Backend::Mysql
    }

    fn url(&self) -> &DbUrl {
        &self.url
    }

    fn interrupter(&self) -> super::Interrupter {
        let id = self.conn.connection_id();
        let url = self.url.clone();
        Box::new(move || {
            cancel_backend(&url, id, None);
        })
    }

    fn open_another(&self) -> Result<Box<dyn Dialect>> {
        let mut other = Mysql::connect(&self.url)?;
        if let Some(ms) = self.timeout_ms {
            other.set_statement_timeout(ms)?;
        }
        Ok(Box::new(other))
    }

    fn quote(&self, ident: &str) -> String {
        format!("`{}`", ident.replace('`', "``"))
    }

    fn set_statement_timeout(&mut self, ms: u64) -> Result<()> {
        self.timeout_ms = Some(ms);
        // Lock waits count in seconds, at least one.
        let secs = ms.div_ceil(1000).max(1);
        let limit = if self.mariadb {
            format!("max_statement_time = {}", ms as f64 / 1000.0)
        } else {
            format!("max_execution_time = {ms}")
        };
        self.execute(&format!(
            "SET SESSION {limit}; SET SESSION lock_wait_timeout = {secs}; \
             SET SESSION innodb_lock_wait_timeout = {secs}"
        ))
    }

    fn literal(&self, value: &Lit) -> String {
        match value {
            Lit::Str(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''")),
            Lit::Null => "NULL".into(),
            Lit::Int(i) => i.to_string(),
            Lit::Num(n) => n.clone(),
            Lit::Bool(b) => if *b { "1" } else { "0" }.into(),
            Lit::Bytes(b) => format!("X'{}'", super::hex(b)),
        }
    }

    fn introspect(&mut self) -> Result<Schema> {
        let mut schema = Schema::default();
        self.read_columns(&mut schema)?;
        self.read_indexes(&mut schema)?;
        for (table, name, fk) in self.read_foreign_keys()? {
            if let Some(t) = schema.tables.get_mut(&table) {
                attach_foreign_key(t, &table, &name, fk);
            }
        }
        // Unique indexes are MySQL's unique constraints: compare them by column set too.
        for t in schema.tables.values_mut() {
            let uniq: Vec<Vec<String>> = t
                .indexes
                .values()
                .filter(|i| i.unique)
                .map(|i| i.columns.clone())
                .collect();
            t.uniques.extend(uniq);
        }
        self.read_checks(&mut schema)?;
        for r in self.query_text(
            "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()",
        )? {
            schema.views.insert(
                r[0].clone().unwrap_or_default(),
                normalize_sql(r[1].as_deref().unwrap_or("")),
            );
        }
        Ok(schema)
    }

    fn large_tables(&mut self) -> Result<Vec<String>> {
        let rows = self.query_text(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_TYPE = 'BASE TABLE' AND DATA_LENGTH > 16 * 1024 * 1024",
        )?;
        Ok(rows.into_iter().filter_map(|mut r| r.remove(0)).collect())
    }

    fn fingerprint_table(&mut self, table: &str, out: &mut TableData) -> Result<()> {
        let sql = self.select_all(table, &out.columns);
        let ncols = out.columns.len();
        let url = self.url.clone();
        let result = self
            .conn
            .query_iter(sql)
            .map_err(|e| url.db_error(describe(&e)))?;
        let mut sink = out.sink();
        for row in result {
            let row = row.map_err(|e| url.db_error(describe(&e)))?;
            let mut owned: Vec<Option<Vec<u8>>> = Vec::with_capacity(ncols);
            for i in 0..ncols {
                owned.push(match row.as_ref(i) {
                    None | Some(Value::NULL) => None,
                    Some(Value::Bytes(b)) => Some(b.clone()),
                    Some(other) => Some(other.as_sql(true).into_bytes()),
                });
            }
            sink.push(owned.iter().map(|v| v.as_deref()));
        }
        Ok(())
    }

    fn execute(&mut self, sql: &str) -> Result<()> {
        let url = self.url.clone();
        // Read every result set: the driver drops (and so hides) errors of later statements
        // in a multi-statement query otherwise.
        let mut result = self
            .conn
            .query_iter(sql)
            .map_err(|e| url.db_error(describe(&e)))?;
        while let Some(set) = result.iter() {
            for row in set {
                row.map_err(|e| url.db_error(describe(&e)))?;
            }
        }
        Ok(())
    }

    fn query_text(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        let url = self.url.clone();
        let rows: Vec<mysql::Row> = self
            .conn
            .query(sql)
            .map_err(|e| url.db_error(describe(&e)))?;
        Ok(rows
            .into_iter()
            .map(|r| (0..r.len()).map(|i| r.as_ref(i).and_then(text)).collect())
            .collect())
    }

    fn wipe(&mut self, keep: &[String]) -> Result<()> {
        let schema = self.introspect()?;
        let mut sql = String::from("SET FOREIGN_KEY_CHECKS = 0;");
        for v in schema.views.keys().filter(|v| !keep.contains(v)) {
            sql.push_str(&format!("DROP VIEW IF EXISTS {};", self.quote(v)));
        }
        for t in schema.tables.keys().filter(|t| !keep.contains(t)) {
            sql.push_str(&format!("DROP TABLE IF EXISTS {};", self.quote(t)));
        }
        sql.push_str("SET FOREIGN_KEY_CHECKS = 1;");
        self.execute(&sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_enum_labels() {
        assert_eq!(
            enum_labels("enum('a','it''s','B')"),
            Some(vec!["a".to_string(), "it's".to_string(), "B".to_string()])
        );
        assert_eq!(normalize_type("enum('a','B')"), "ENUM('a','B')");
        assert_eq!(normalize_default(Some("NULL".into()), "int(11)"), None);
    }

    #[test]
    fn numeric_defaults_by_value_text_defaults_by_text() {
        let d = |v: &str, t: &str| normalize_default(Some(v.into()), t);
        assert_eq!(d("false", "tinyint(1)"), d("0", "tinyint(1)"));
        assert_eq!(d("'-1'", "int(11)"), d("-1", "int(11)"));
        // Real changes stay visible.
        assert_ne!(d("true", "tinyint(1)"), d("0", "tinyint(1)"));
        assert_ne!(d("'-1'", "int(11)"), d("-2", "int(11)"));
        assert_eq!(d("true", "varchar(10)"), Some("true".into()));
        assert_eq!(d("'01'", "varchar(10)"), Some("'01'".into()));
    }
}
