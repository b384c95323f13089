//! PostgreSQL through the `postgres` crate: catalog queries for the current schema (one round
//! trip), `COPY ... TO STDOUT` to stream rows.

use std::io::BufRead;
use std::time::Duration;

use postgres::{Client, NoTls, SimpleQueryMessage};

use super::{Dialect, Lit, strip_casts};
use crate::error::Result;
use crate::snapshot::TableData;
use crate::snapshot::schema::{
    Column, Domain, ForeignKey, Index, Schema, Table, normalize_sql, strip_parens, unquote_number,
};
use crate::url::{Backend, DbUrl};

pub struct Postgres {
    url: DbUrl,
    client: Client,
    /// The catalog queries, prepared once: planning them costs more than running them.
    catalog: Vec<postgres::Statement>,
    /// The statement bound in milliseconds, also set on the connections `open_another` opens.
    timeout_ms: Option<u64>,
}

const SEP: char = '\u{1f}';

/// Cancel what server process `pid` runs with `pg_cancel_backend`, from a new connection
/// (bounded by `timeout`). Ok(true) when the server answered, whatever it said (no such
/// process, not allowed); Ok(false) when it did not (no connection, no reply in time).
pub(super) fn cancel_backend(url: &DbUrl, pid: u32, timeout: Option<Duration>) -> bool {
    let mut cfg = Postgres::config(url);
    if let Some(t) = timeout {
        cfg.connect_timeout(t);
        cfg.tcp_user_timeout(t);
    }
    let answered = |e: &postgres::Error| e.as_db_error().is_some();
    match cfg.connect(NoTls) {
        Ok(mut client) => match client.simple_query(&format!("SELECT pg_cancel_backend({pid})")) {
            Ok(_) => true,
            Err(e) => answered(&e),
        },
        Err(e) => answered(&e),
    }
}

impl Postgres {
    /// How to reach the server of `url` (user, password, database, host, port, options).
    fn config(url: &DbUrl) -> postgres::Config {
        let mut cfg = postgres::Config::new();
        let user = url
            .user
            .clone()
            .or_else(|| url.option("user").map(str::to_string))
            .or_else(|| std::env::var("PGUSER").ok())
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "postgres".into());
        cfg.user(&user);
        if let Some(pw) = url.password.as_deref().or(url.option("password")) {
            cfg.password(pw);
        }
        let dbname = if url.database.is_empty() {
            user.clone()
        } else {
            url.database.clone()
        };
        cfg.dbname(&dbname);
        match (url.host.as_deref(), url.option("host")) {
            (Some(h), _) => {
                cfg.host(h);
            }
            (None, Some(h)) if h.starts_with('/') => {
                cfg.host_path(h);
            }
            (None, Some(h)) => {
                cfg.host(h);
            }
            (None, None) => {
                let sock = std::path::Path::new("/var/run/postgresql");
                if sock.is_dir() {
                    cfg.host_path(sock);
                } else {
                    cfg.host("localhost");
                }
            }
        }
        if let Some(p) = url
            .port
            .or_else(|| url.option("port").and_then(|p| p.parse().ok()))
        {
            cfg.port(p);
        }
        if let Some(t) = url.option("connect_timeout").and_then(|t| t.parse().ok()) {
            cfg.connect_timeout(std::time::Duration::from_secs(t));
        }
        if let Some(o) = url.option("options") {
            cfg.options(o);
        }
        cfg.application_name("pytest-mrt");
        cfg
    }

    pub fn connect(url: &DbUrl) -> Result<Postgres> {
        let client = Self::config(url)
            .connect(NoTls)
            .map_err(|e| url.db_error(e))?;
        Ok(Postgres {
            url: url.clone(),
            client,
            catalog: Vec::new(),
            timeout_ms: None,
        })
    }

    /// Result sets of a multi-statement simple query.
    fn result_sets(&mut self, sql: &str) -> Result<Vec<Vec<Vec<Option<String>>>>> {
        let msgs = self
            .client
            .simple_query(sql)
            .map_err(|e| self.url.db_error(describe(&e)))?;
        let mut sets = Vec::new();
        let mut cur = Vec::new();
        for m in msgs {
            match m {
                SimpleQueryMessage::Row(r) => {
                    cur.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect());
                }
                SimpleQueryMessage::CommandComplete(_) => sets.push(std::mem::take(&mut cur)),
                _ => {}
            }
        }
        Ok(sets)
    }

    /// Run the catalog queries of [`INTROSPECT`] (prepared once per connection): one set of
    /// text rows per query.
    fn catalog_rows(&mut self) -> Result<Vec<Vec<Vec<Option<String>>>>> {
        if self.catalog.is_empty() {
            for sql in INTROSPECT
                .split(";\n")
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                let stmt = self
                    .client
                    .prepare(sql)
                    .map_err(|e| self.url.db_error(describe(&e)))?;
                self.catalog.push(stmt);
            }
        }
        let mut sets = Vec::with_capacity(self.catalog.len());
        for stmt in &self.catalog {
            let rows = self
                .client
                .query(stmt, &[])
                .map_err(|e| self.url.db_error(describe(&e)))?;
            let mut set = Vec::with_capacity(rows.len());
            for r in &rows {
                let mut vals = Vec::with_capacity(r.len());
                for i in 0..r.len() {
                    vals.push(
                        r.try_get::<_, Option<String>>(i)
                            .map_err(|e| crate::Error::Internal(format!("catalog value: {e}")))?,
                    );
                }
                set.push(vals);
            }
            sets.push(set);
        }
        Ok(sets)
    }
}

fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    }
}

/// `character varying(100)` → `VARCHAR(100)`, `double precision` → `FLOAT`, ...
fn normalize_type(t: &str) -> String {
    let (base, args) = match t.find('(') {
        Some(p) => (&t[..p], t[p..].replace(' ', "")),
        None => (t, String::new()),
    };
    let (base, array) = match base.strip_suffix("[]") {
        Some(b) => (b, "[]"),
        None => (base, ""),
    };
    let args = args.replace("[]", "");
    let array = if t.ends_with("[]") { "[]" } else { array };
    let mapped = match base.trim() {
        "character varying" => "VARCHAR",
        "character" => "CHAR",
        "integer" => "INTEGER",
        "bigint" => "BIGINT",
        "smallint" => "SMALLINT",
        "numeric" => "NUMERIC",
        "double precision" => "FLOAT",
        "real" => "REAL",
        "boolean" => "BOOLEAN",
        "text" => "TEXT",
        "date" => "DATE",
        "timestamp without time zone" => "TIMESTAMP",
        "timestamp with time zone" => "TIMESTAMPTZ",
        "time without time zone" => "TIME",
        "time with time zone" => "TIMETZ",
        "json" => "JSON",
        "jsonb" => "JSONB",
        "uuid" => "UUID",
        "bytea" => "BYTEA",
        "interval" => "INTERVAL",
        other => return format!("{other}{args}{array}"),
    };
    format!("{mapped}{args}{array}")
}

fn normalize_expr(e: &str) -> String {
    normalize_sql(&strip_parens(&strip_casts(e)))
}

fn action(code: Option<&str>) -> String {
    match code.unwrap_or("a") {
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "NO ACTION",
    }
    .to_string()
}

fn split(v: Option<&String>) -> Vec<String> {
    v.map(|s| s.split(SEP).map(str::to_string).collect())
        .unwrap_or_default()
}

const INTROSPECT: &str = r"
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text,
       (SELECT string_agg(e.enumlabel, E'\x1f' ORDER BY e.enumsortorder)
          FROM pg_enum e WHERE e.enumtypid = a.atttypid)
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
   AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY c.relname, a.attnum;
SELECT c.relname, con.conname, con.contype::text, pg_get_constraintdef(con.oid),
       (SELECT string_agg(a.attname, E'\x1f' ORDER BY k.ord)
          FROM unnest(con.conkey) WITH ORDINALITY k(n, ord)
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n),
       rc.relname,
       (SELECT string_agg(a.attname, E'\x1f' ORDER BY k.ord)
          FROM unnest(con.confkey) WITH ORDINALITY k(n, ord)
          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n),
       con.confdeltype::text, con.confupdtype::text
  FROM pg_constraint con
  JOIN pg_class c ON c.oid = con.conrelid
  LEFT JOIN pg_class rc ON rc.oid = con.confrelid
 WHERE con.connamespace = current_schema()::regnamespace AND con.contype IN ('p', 'u', 'f', 'c');
SELECT t.relname, i.relname, ix.indisunique::text, pg_get_expr(ix.indpred, ix.indrelid),
       (SELECT string_agg(pg_get_indexdef(ix.indexrelid, k, true), E'\x1f' ORDER BY k)
          FROM generate_series(1, ix.indnkeyatts) k)
  FROM pg_index ix
  JOIN pg_class i ON i.oid = ix.indexrelid
  JOIN pg_class t ON t.oid = ix.indrelid
 WHERE t.relnamespace = current_schema()::regnamespace AND t.relkind IN ('r', 'p')
   AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                    WHERE con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid
                      AND con.contype IN ('p', 'u', 'x'));
SELECT t.typname, string_agg(e.enumlabel, E'\x1f' ORDER BY e.enumsortorder)
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
 WHERE t.typnamespace = current_schema()::regnamespace
 GROUP BY t.typname;
SELECT c.relname, pg_get_viewdef(c.oid, true)
  FROM pg_class c
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('v', 'm');
SELECT s.sequencename, s.data_type::text || ' start ' || s.start_value || ' increment '
       || s.increment_by || ' min ' || s.min_value || ' max ' || s.max_value
       || CASE WHEN s.cycle THEN ' cycle' ELSE '' END
  FROM pg_sequences s
  JOIN pg_class c ON c.relname = s.sequencename AND c.relnamespace = current_schema()::regnamespace
 WHERE s.schemaname = current_schema()
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass
                      AND d.deptype IN ('a', 'i'));
SELECT t.typname, format_type(t.typbasetype, t.typtypmod), t.typnotnull::text, con.conname,
       pg_get_constraintdef(con.oid)
  FROM pg_type t
  LEFT JOIN pg_constraint con ON con.contypid = t.oid AND con.contype = 'c'
 WHERE t.typtype = 'd' AND t.typnamespace = current_schema()::regnamespace;
";

/// The expression of a CHECK as `pg_get_constraintdef` gives it (`CHECK (...) [NOT VALID]`).
fn check_expr(def: &str) -> String {
    let body = def.strip_prefix("CHECK ").unwrap_or(def);
    normalize_expr(body.strip_suffix(" NOT VALID").unwrap_or(body))
}

/// Tables and their columns (the first catalog query).
fn add_columns(schema: &mut Schema, cols: Vec<Vec<Option<String>>>) {
    for r in cols {
        let table = r[0].clone().unwrap_or_default();
        let t = schema.tables.entry(table.clone()).or_insert_with(|| Table {
            name: table.clone(),
            ..Table::default()
        });
        let raw_default = r[4].clone();
        let identity = r[5].as_deref().unwrap_or("");
        let serial = raw_default
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
        t.columns.push(Column {
            name: r[1].clone().unwrap_or_default(),
            data_type: normalize_type(r[2].as_deref().unwrap_or("")),
            nullable: r[3].as_deref() != Some("true"),
            default: if serial {
                None
            } else {
                // `'-1'::integer` and `-1` are one default.
                raw_default
                    .as_deref()
                    .map(|d| unquote_number(&normalize_expr(d)))
            },
            autoincrement: serial || !identity.is_empty(),
            generated: identity == "a" || !r[6].as_deref().unwrap_or("").is_empty(),
            enum_values: r[7]
                .as_ref()
                .map(|s| s.split(SEP).map(str::to_string).collect()),
        });
    }
}

/// Primary keys, unique constraints, foreign keys and CHECKs.
fn add_constraints(schema: &mut Schema, cons: Vec<Vec<Option<String>>>) {
    for r in cons {
        let Some(t) = schema.tables.get_mut(r[0].as_deref().unwrap_or("")) else {
            continue;
        };
        let columns = split(r[4].as_ref());
        match r[2].as_deref() {
            Some("p") => t.primary_key = columns,
            Some("u") => {
                t.uniques.insert(columns);
            }
            Some("f") => {
                t.foreign_keys.insert(ForeignKey {
                    columns,
                    ref_table: r[5].clone().unwrap_or_default(),
                    ref_columns: split(r[6].as_ref()),
                    on_delete: action(r[7].as_deref()),
                    on_update: action(r[8].as_deref()),
                });
            }
            Some("c") => {
                let expr = check_expr(r[3].as_deref().unwrap_or(""));
                if let Some(name) = &r[1] {
                    t.check_names.0.insert(name.clone(), expr.clone());
                }
                t.checks.insert(expr);
            }
            _ => {}
        }
    }
}

/// Indexes (their columns and predicates normalized).
fn add_indexes(schema: &mut Schema, idxs: Vec<Vec<Option<String>>>) {
    for r in idxs {
        let Some(t) = schema.tables.get_mut(r[0].as_deref().unwrap_or("")) else {
            continue;
        };
        let name = r[1].clone().unwrap_or_default();
        t.indexes.insert(
            name.clone(),
            Index {
                name,
                columns: split(r[4].as_ref())
                    .iter()
                    .map(|c| normalize_expr(c))
                    .collect(),
                unique: r[2].as_deref() == Some("true"),
                predicate: r[3].as_deref().map(normalize_expr),
            },
        );
    }
}

/// Domains: base type, NOT NULL and named CHECKs.
fn add_domains(schema: &mut Schema, domains: Vec<Vec<Option<String>>>) {
    for r in domains {
        let d = schema
            .domains
            .entry(r[0].clone().unwrap_or_default())
            .or_insert_with(|| Domain {
                base_type: normalize_type(r[1].as_deref().unwrap_or("")),
                not_null: r[2].as_deref() == Some("true"),
                checks: std::collections::BTreeMap::default(),
            });
        if let (Some(name), Some(def)) = (&r[3], &r[4]) {
            d.checks.insert(name.clone(), check_expr(def));
        }
    }
}

impl Dialect for Postgres {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn url(&self) -> &DbUrl {
        &self.url
    }

    fn interrupter(&self) -> super::Interrupter {
        let token = self.client.cancel_token();
        Box::new(move || {
            // Nothing running, or the server gone: nothing to cancel.
            let _ = token.cancel_query(NoTls);
        })
    }

    fn open_another(&self) -> Result<Box<dyn Dialect>> {
        let mut other = Postgres::connect(&self.url)?;
        if let Some(ms) = self.timeout_ms {
            other.set_statement_timeout(ms)?;
        }
        Ok(Box::new(other))
    }

    fn introspect(&mut self) -> Result<Schema> {
        let sets = self.catalog_rows()?;
        let [cols, cons, idxs, enums, views, seqs, domains] = <[_; 7]>::try_from(sets)
            .map_err(|_| crate::Error::Internal("catalog query returned too few results".into()))?;
        let mut schema = Schema::default();
        add_columns(&mut schema, cols);
        add_constraints(&mut schema, cons);
        add_indexes(&mut schema, idxs);
        for r in enums {
            schema
                .enums
                .insert(r[0].clone().unwrap_or_default(), split(r[1].as_ref()));
        }
        for r in views {
            schema.views.insert(
                r[0].clone().unwrap_or_default(),
                normalize_expr(r[1].as_deref().unwrap_or("").trim_end_matches(';')),
            );
        }
        add_domains(&mut schema, domains);
        for r in seqs {
            schema.sequences.insert(
                r[0].clone().unwrap_or_default(),
                r[1].clone().unwrap_or_default(),
            );
        }
        Ok(schema)
    }

    fn set_statement_timeout(&mut self, ms: u64) -> Result<()> {
        self.timeout_ms = Some(ms);
        self.execute(&format!(
            "SET statement_timeout = {ms}; SET lock_timeout = {ms}"
        ))
    }

    fn large_tables(&mut self) -> Result<Vec<String>> {
        let rows = self.query_text(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace \
             AND c.relkind IN ('r', 'p') AND pg_relation_size(c.oid) > 16 * 1024 * 1024",
        )?;
        Ok(rows.into_iter().filter_map(|mut r| r.remove(0)).collect())
    }

    fn fingerprint_table(&mut self, table: &str, out: &mut TableData) -> Result<()> {
        let sql = format!("COPY ({}) TO STDOUT", self.select_all(table, &out.columns));
        let ncols = out.columns.len();
        let reader = self
            .client
            .copy_out(sql.as_str())
            .map_err(|e| self.url.db_error(describe(&e)))?;
        let mut reader = std::io::BufReader::with_capacity(1 << 16, reader);
        let mut sink = out.sink();
        let mut line = Vec::with_capacity(256);
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| self.url.db_error(e))?;
            if n == 0 {
                break;
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if ncols == 0 {
                sink.push(std::iter::empty());
                continue;
            }
            sink.push(
                line.split(|b| *b == b'\t')
                    .map(|f| if f == b"\\N" { None } else { Some(f) }),
            );
        }
        Ok(())
    }

    fn execute(&mut self, sql: &str) -> Result<()> {
        self.client
            .batch_execute(sql)
            .map_err(|e| self.url.db_error(describe(&e)))
    }

    fn query_text(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        Ok(self
            .result_sets(sql)?
            .into_iter()
            .next()
            .unwrap_or_default())
    }

    fn literal(&self, value: &Lit) -> String {
        match value {
            Lit::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
            Lit::Bytes(b) => format!("'\\x{}'", super::hex(b)),
            Lit::Str(s) => format!("'{}'", s.replace('\'', "''")),
            Lit::Null => "NULL".into(),
            Lit::Int(i) => i.to_string(),
            Lit::Num(n) => n.clone(),
        }
    }

    fn after_seed(&mut self, table: &Table) -> Result<()> {
        let mut sql = String::new();
        for c in table.columns.iter().filter(|c| c.autoincrement) {
            let qt = self.quote(&table.name);
            sql.push_str(&format!(
                "SELECT setval(pg_get_serial_sequence('{}', '{}'), COALESCE((SELECT MAX({}) FROM {}), 0) + 1, false) \
                 WHERE pg_get_serial_sequence('{}', '{}') IS NOT NULL;",
                qt.replace('\'', "''"),
                c.name.replace('\'', "''"),
                self.quote(&c.name),
                qt,
                qt.replace('\'', "''"),
                c.name.replace('\'', "''"),
            ));
        }
        if sql.is_empty() {
            Ok(())
        } else {
            self.result_sets(&sql).map(|_| ())
        }
    }

    fn wipe(&mut self, keep: &[String]) -> Result<()> {
        let schema = self.introspect()?;
        let mut sql = String::new();
        for v in schema.views.keys().filter(|v| !keep.contains(v)) {
            sql.push_str(&format!("DROP VIEW IF EXISTS {} CASCADE;", self.quote(v)));
        }
        for t in schema.tables.keys().filter(|t| !keep.contains(t)) {
            sql.push_str(&format!("DROP TABLE IF EXISTS {} CASCADE;", self.quote(t)));
        }
        for e in schema.enums.keys().filter(|e| !keep.contains(e)) {
            sql.push_str(&format!("DROP TYPE IF EXISTS {} CASCADE;", self.quote(e)));
        }
        for s in schema.sequences.keys().filter(|s| !keep.contains(s)) {
            sql.push_str(&format!(
                "DROP SEQUENCE IF EXISTS {} CASCADE;",
                self.quote(s)
            ));
        }
        if sql.is_empty() {
            return Ok(());
        }
        self.execute(&sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_types() {
        assert_eq!(normalize_type("character varying(100)"), "VARCHAR(100)");
        assert_eq!(normalize_type("numeric(10,2)"), "NUMERIC(10,2)");
        assert_eq!(normalize_type("double precision"), "FLOAT");
        assert_eq!(normalize_type("integer[]"), "INTEGER[]");
        assert_eq!(normalize_type("mood"), "mood");
    }
}
