//! Every object the user can see, of every kind, in every schema (PostgreSQL: every
//! non-system schema; MySQL/MariaDB: the database; SQLite: `main`). The safety guard compares
//! two inventories to know what a run created, and cleanup drops only that.
//!
//! The run's own record, the marker table [`MARKER`], lists the objects that were there before
//! the run (the user's): a later run recognises everything else as this tool's leftovers.

use std::collections::BTreeSet;

use super::Dialect;
use crate::error::Result;
use crate::url::Backend;

/// The marker table: never snapshotted, fingerprinted, seeded or counted by the guard.
pub const MARKER: &str = "_mrt_run";

/// One database object. `table` is the table a trigger belongs to (empty otherwise).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Object {
    /// `table`, `view`, `materialized view`, `sequence`, `type`, `domain`, `function`,
    /// `procedure`, `aggregate`, `trigger`, `event`, `foreign table` or `schema`.
    pub kind: String,
    pub schema: String,
    /// Functions carry their argument types: `f(integer, text)`.
    pub name: String,
    pub table: String,
}

impl Object {
    #[must_use]
    pub fn new(kind: &str, schema: &str, name: &str, table: &str) -> Object {
        Object {
            kind: kind.into(),
            schema: schema.into(),
            name: name.into(),
            table: table.into(),
        }
    }

    /// How a message names it: `view reporting.totals`, `trigger audit on accounts`.
    #[must_use]
    pub fn describe(&self) -> String {
        let qualified = if self.schema.is_empty() || self.schema == "main" {
            self.name.clone()
        } else {
            format!("{}.{}", self.schema, self.name)
        };
        if self.table.is_empty() {
            format!("{} {qualified}", self.kind)
        } else {
            format!("{} {} on {}", self.kind, self.name, self.table)
        }
    }

    /// How the guard's lines name it: `'accounts'` (a table), `view reporting.totals`,
    /// `trigger audit on accounts`; the schema only when it is not the default one (`main`,
    /// `public`; on MySQL the schema is the database, so never).
    #[must_use]
    pub fn shown(&self, mysql: bool) -> String {
        if !self.table.is_empty() {
            return format!("{} {} on {}", self.kind, self.name, self.table);
        }
        let plain = mysql || matches!(self.schema.as_str(), "" | "main" | "public");
        match (self.is_table(), plain) {
            (true, true) => format!("'{}'", self.name),
            (true, false) => format!("'{}.{}'", self.schema, self.name),
            (false, true) => format!("{} {}", self.kind, self.name),
            (false, false) => format!("{} {}.{}", self.kind, self.schema, self.name),
        }
    }

    /// A table, whose rows the guard looks at (every other kind counts by existing).
    #[must_use]
    pub fn is_table(&self) -> bool {
        self.kind == "table"
    }
}

const PG_INVENTORY: &str = r"
WITH ns AS (
  SELECT oid, nspname FROM pg_namespace
   WHERE nspname NOT IN ('pg_catalog', 'information_schema')
     AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%'
     AND nspname NOT LIKE 'pg\_toast\_temp\_%'
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                      AND d.objid = pg_namespace.oid AND d.deptype = 'e')
), ext AS (
  SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
)
SELECT 'schema', ns.nspname, ns.nspname, '' FROM ns WHERE ns.nspname <> 'public'
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                      WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' ELSE 'table' END,
       ns.nspname, c.relname, ''
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
   AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d
             WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, ns.nspname, t.typname, ''
  FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
 WHERE (t.typtype IN ('e', 'd', 'r')
        OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
   AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
       ns.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', ''
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
 WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
UNION ALL
SELECT 'trigger', ns.nspname, tg.tgname, c.relname
  FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN ns ON ns.oid = c.relnamespace
 WHERE NOT tg.tgisinternal
";

const MYSQL_INVENTORY: &str = r"
SELECT CASE TABLE_TYPE WHEN 'VIEW' THEN 'view' WHEN 'SEQUENCE' THEN 'sequence' ELSE 'table' END,
       TABLE_SCHEMA, TABLE_NAME, ''
  FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
UNION ALL
SELECT LOWER(ROUTINE_TYPE), ROUTINE_SCHEMA, ROUTINE_NAME, ''
  FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()
UNION ALL
SELECT 'trigger', TRIGGER_SCHEMA, TRIGGER_NAME, EVENT_OBJECT_TABLE
  FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()
UNION ALL
SELECT 'event', EVENT_SCHEMA, EVENT_NAME, ''
  FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()
";

const SQLITE_INVENTORY: &str = r"
SELECT type, 'main', name, CASE type WHEN 'trigger' THEN tbl_name ELSE '' END
  FROM sqlite_master
 WHERE type IN ('table', 'view', 'trigger') AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
";

/// Every object of the database but the marker table, sorted.
pub fn inventory(conn: &mut dyn Dialect) -> Result<Vec<Object>> {
    let sql = match conn.backend() {
        Backend::Postgres => PG_INVENTORY,
        Backend::Mysql => MYSQL_INVENTORY,
        Backend::Sqlite => SQLITE_INVENTORY,
    };
    let mut out: BTreeSet<Object> = BTreeSet::new();
    for row in conn.query_text(sql)? {
        let get = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let object = Object {
            kind: get(0),
            schema: get(1),
            name: get(2),
            table: get(3),
        };
        if object.is_table() && object.name == MARKER {
            continue;
        }
        out.insert(object);
    }
    Ok(out.into_iter().collect())
}

fn qualified(conn: &dyn Dialect, o: &Object) -> String {
    match conn.backend() {
        Backend::Sqlite => conn.quote(&o.name),
        _ => format!("{}.{}", conn.quote(&o.schema), conn.quote(&o.name)),
    }
}

/// Whether each of `tables` holds at least one row. A table that cannot be read counts as
/// holding rows: the guard must not pass on what it could not see.
pub fn tables_with_rows(conn: &mut dyn Dialect, tables: &[Object]) -> Vec<Object> {
    let mut out = Vec::new();
    for chunk in tables.chunks(100) {
        let parts: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, t)| {
                format!(
                    "SELECT {i} AS n WHERE EXISTS (SELECT 1 FROM {})",
                    qualified(conn, t)
                )
            })
            .collect();
        match conn.query_text(&parts.join(" UNION ALL ")) {
            Ok(rows) => {
                for row in rows {
                    if let Some(i) = row
                        .first()
                        .cloned()
                        .flatten()
                        .and_then(|n| n.parse::<usize>().ok())
                        && let Some(t) = chunk.get(i)
                    {
                        out.push(t.clone());
                    }
                }
            }
            Err(_) => {
                for t in chunk {
                    let sql = format!("SELECT 1 FROM {} LIMIT 1", qualified(conn, t));
                    if conn.query_text(&sql).map_or(true, |r| !r.is_empty()) {
                        out.push(t.clone());
                    }
                }
            }
        }
    }
    out
}

/// The statement dropping `o` (no CASCADE: what depends on it may be the user's).
fn drop_statement(conn: &dyn Dialect, o: &Object) -> String {
    let q = |s: &str| conn.quote(s);
    let name = qualified(conn, o);
    match o.kind.as_str() {
        "trigger" => match conn.backend() {
            Backend::Postgres => format!(
                "DROP TRIGGER IF EXISTS {} ON {}.{}",
                q(&o.name),
                q(&o.schema),
                q(&o.table)
            ),
            _ => format!("DROP TRIGGER IF EXISTS {name}"),
        },
        "function" | "procedure" | "aggregate" if conn.backend() == Backend::Postgres => {
            // The name carries the argument types: `f(integer)`.
            let (fname, args) = o.name.split_once('(').unwrap_or((&o.name, ")"));
            format!(
                "DROP {} IF EXISTS {}.{}({args}",
                o.kind.to_uppercase(),
                q(&o.schema),
                q(fname)
            )
        }
        "schema" if conn.backend() == Backend::Postgres => {
            format!("DROP SCHEMA IF EXISTS {}", q(&o.name))
        }
        // Tables whose foreign keys form a cycle (prefect's flow_run <-> flow_run_state) cannot
        // be dropped one before the other. CASCADE removes only the foreign keys and views that
        // hang on a table the run created, which the run made too. (MySQL and SQLite drop them
        // with foreign-key checks off.)
        "table" if conn.backend() == Backend::Postgres => {
            format!("DROP TABLE IF EXISTS {name} CASCADE")
        }
        kind => format!("DROP {} IF EXISTS {name}", kind.to_uppercase()),
    }
}

/// Order of drops: what depends on others first.
fn rank(kind: &str) -> u8 {
    match kind {
        "trigger" | "event" => 0,
        "view" | "materialized view" => 1,
        "table" | "foreign table" => 2,
        "sequence" => 3,
        "function" | "procedure" | "aggregate" => 4,
        "domain" => 5,
        "type" => 6,
        "schema" => 7,
        _ => 8,
    }
}

/// Drop `objects`, each on its own, repeating while a round makes progress (a view on a view,
/// a table referenced by another). Returns the objects that could not be dropped, each with
/// the database's reason.
pub fn drop_objects(conn: &mut dyn Dialect, objects: &[Object]) -> Vec<(Object, String)> {
    let mut todo: Vec<Object> = objects.to_vec();
    todo.sort_by_key(|o| rank(&o.kind));
    let setup = match conn.backend() {
        Backend::Mysql => Some("SET FOREIGN_KEY_CHECKS = 0"),
        Backend::Sqlite => Some("PRAGMA foreign_keys = OFF"),
        Backend::Postgres => None,
    };
    if let Some(sql) = setup {
        let _ = conn.execute(sql);
    }
    let mut failed: Vec<(Object, String)> = Vec::new();
    loop {
        failed.clear();
        let before = todo.len();
        let mut left = Vec::new();
        for o in todo {
            let sql = drop_statement(conn, &o);
            if let Err(e) = conn.execute(&sql) {
                failed.push((o.clone(), e.to_string()));
                left.push(o);
            }
        }
        todo = left;
        if todo.is_empty() || todo.len() == before {
            break;
        }
    }
    if conn.backend() == Backend::Mysql {
        let _ = conn.execute("SET FOREIGN_KEY_CHECKS = 1");
    }
    failed
}

/// One recorded run: its id, process, host, and the objects that were there before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: String,
    pub pid: i64,
    pub host: String,
    pub before: Vec<Object>,
}

fn marker_exists(conn: &mut dyn Dialect) -> Result<bool> {
    let sql = match conn.backend() {
        Backend::Postgres => format!("SELECT to_regclass('{MARKER}') IS NOT NULL"),
        Backend::Mysql => format!(
            "SELECT COUNT(*) > 0 FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{MARKER}'"
        ),
        Backend::Sqlite => format!(
            "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '{MARKER}'"
        ),
    };
    let rows = conn.query_text(&sql)?;
    let v = rows.first().and_then(|r| r.first().cloned().flatten());
    Ok(matches!(v.as_deref(), Some("t" | "1" | "true")))
}

/// The runs recorded in the marker table (none when there is no marker table).
pub fn recorded_runs(conn: &mut dyn Dialect) -> Result<Vec<Run>> {
    if !marker_exists(conn)? {
        return Ok(Vec::new());
    }
    let rows = conn.query_text(&format!(
        "SELECT run, pid, host, kind, schema_name, name, tbl FROM {} ORDER BY run",
        conn.quote(MARKER)
    ))?;
    let mut runs: Vec<Run> = Vec::new();
    for row in rows {
        let get = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let id = get(0);
        if runs.last().is_none_or(|r| r.id != id) {
            runs.push(Run {
                id: id.clone(),
                pid: get(1).parse().unwrap_or(0),
                host: get(2),
                before: Vec::new(),
            });
        }
        let kind = get(3);
        if !kind.is_empty()
            && let Some(run) = runs.last_mut()
        {
            run.before.push(Object {
                kind,
                schema: get(4),
                name: get(5),
                table: get(6),
            });
        }
    }
    Ok(runs)
}

/// Record a run (creating the marker table when needed): one row for the run itself, one per
/// object that was there before it.
pub fn record_run(conn: &mut dyn Dialect, run: &Run) -> Result<()> {
    let text = if conn.backend() == Backend::Mysql {
        "VARCHAR(1024)"
    } else {
        "TEXT"
    };
    let m = conn.quote(MARKER);
    let mut sql = format!(
        "CREATE TABLE IF NOT EXISTS {m} (run {text} NOT NULL, pid BIGINT NOT NULL, \
         host {text} NOT NULL, kind {text} NOT NULL, schema_name {text} NOT NULL, \
         name {text} NOT NULL, tbl {text} NOT NULL);"
    );
    let lit = |s: &str| conn.literal(&super::Lit::Str(s.to_string()));
    let head = (lit(&run.id), run.pid, lit(&run.host));
    let mut values = vec![format!(
        "({}, {}, {}, '', '', '', '')",
        head.0, head.1, head.2
    )];
    for o in &run.before {
        values.push(format!(
            "({}, {}, {}, {}, {}, {}, {})",
            head.0,
            head.1,
            head.2,
            lit(&o.kind),
            lit(&o.schema),
            lit(&o.name),
            lit(&o.table)
        ));
    }
    for chunk in values.chunks(200) {
        sql.push_str(&format!("INSERT INTO {m} VALUES {};", chunk.join(", ")));
    }
    conn.execute(&sql)
}

/// Remove a run's rows; drop the marker table once no run is left in it.
pub fn forget_run(conn: &mut dyn Dialect, id: &str) -> Result<()> {
    if !marker_exists(conn)? {
        return Ok(());
    }
    let m = conn.quote(MARKER);
    let id = conn.literal(&super::Lit::Str(id.to_string()));
    conn.execute(&format!("DELETE FROM {m} WHERE run = {id}"))?;
    let left = conn.query_text(&format!("SELECT 1 FROM {m} LIMIT 1"))?;
    if left.is_empty() {
        conn.execute(&format!("DROP TABLE IF EXISTS {m}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_objects_the_guards_way() {
        let shown =
            |kind, schema, name, table, mysql| Object::new(kind, schema, name, table).shown(mysql);
        assert_eq!(
            shown("table", "public", "accounts", "", false),
            "'accounts'"
        );
        assert_eq!(shown("table", "audit", "log", "", false), "'audit.log'");
        assert_eq!(shown("table", "shop", "log", "", true), "'log'");
        assert_eq!(
            shown("view", "reporting", "totals", "", false),
            "view reporting.totals"
        );
        assert_eq!(shown("sequence", "main", "s", "", false), "sequence s");
        assert_eq!(
            shown("trigger", "public", "audit", "accounts", false),
            "trigger audit on accounts"
        );
    }

    #[test]
    fn describes_objects() {
        assert_eq!(
            Object::new("view", "reporting", "totals", "").describe(),
            "view reporting.totals"
        );
        assert_eq!(
            Object::new("table", "main", "accounts", "").describe(),
            "table accounts"
        );
        assert_eq!(
            Object::new("trigger", "public", "audit", "accounts").describe(),
            "trigger audit on accounts"
        );
    }

    #[test]
    fn records_and_drops_on_sqlite() {
        let dir = std::env::temp_dir().join(format!("mrt-objects-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        let _ = std::fs::remove_file(&path);
        let mut conn = super::super::connect(&format!("sqlite:///{}", path.display())).unwrap();
        let c = conn.as_mut();
        c.execute(
            "CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER PRIMARY KEY); \
             INSERT INTO b VALUES (1); CREATE VIEW v AS SELECT * FROM a; \
             CREATE TRIGGER tr AFTER INSERT ON a BEGIN SELECT 1; END;",
        )
        .unwrap();
        let inv = inventory(c).unwrap();
        let kinds: Vec<String> = inv.iter().map(Object::describe).collect();
        assert_eq!(
            kinds,
            ["table a", "table b", "trigger tr on a", "view v"].map(String::from)
        );
        let tables: Vec<Object> = inv.iter().filter(|o| o.is_table()).cloned().collect();
        assert_eq!(
            tables_with_rows(c, &tables),
            [Object::new("table", "main", "b", "")]
        );
        let run = Run {
            id: "r1".into(),
            pid: 7,
            host: "h".into(),
            before: vec![Object::new("table", "main", "b", "")],
        };
        record_run(c, &run).unwrap();
        assert_eq!(inventory(c).unwrap(), inv, "the marker is not inventoried");
        assert_eq!(recorded_runs(c).unwrap(), [run]);
        // The view depends on `a`: dropped first whatever the order given.
        let failed = drop_objects(
            c,
            &inv[..1]
                .iter()
                .chain(&inv[2..])
                .cloned()
                .collect::<Vec<_>>(),
        );
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!(
            inventory(c).unwrap(),
            [Object::new("table", "main", "b", "")]
        );
        forget_run(c, "r1").unwrap();
        assert!(recorded_runs(c).unwrap().is_empty());
        assert!(!marker_exists(c).unwrap());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
