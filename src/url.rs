//! SQLAlchemy database URLs, translated in one place into what the Rust drivers need.
//!
//! Accepted forms (driver suffixes are ignored: the engine uses its own drivers):
//! - `sqlite:///relative.db`, `sqlite:////abs/path.db`, `sqlite+pysqlite:///...`
//! - `postgresql[+psycopg2|+psycopg|+pg8000|+asyncpg]://user:pw@host:port/db?options`,
//!   with `?host=/var/run/postgresql` for a Unix socket
//! - `mysql[+pymysql|+mysqldb|+mysqlconnector]://...` and `mariadb+...://...`, with
//!   `?unix_socket=/run/mysqld/mysqld.sock`
//!
//! `redacted()` is the only form that may appear in a message: the password is masked.

use std::collections::BTreeMap;

use crate::Error;
use crate::error::Result;

/// Which database family a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

/// A parsed SQLAlchemy URL.
#[derive(Debug, Clone)]
pub struct DbUrl {
    pub backend: Backend,
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    /// Database name; for SQLite the file path.
    pub database: String,
    pub query: BTreeMap<String, String>,
    raw: String,
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Mask the password of every `scheme://user:password@` and `password=` in `text`.
#[must_use]
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..=colon]);
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    // Query-string passwords.
    let mut result = String::with_capacity(out.len());
    for chunk in out.split_inclusive(['?', '&']) {
        let lower = chunk.to_ascii_lowercase();
        let key = ["password=", "passwd=", "pwd="]
            .iter()
            .find(|k| lower.starts_with(*k));
        match key {
            Some(k) => {
                result.push_str(&chunk[..k.len()]);
                result.push_str("***");
                let tail_sep = chunk.ends_with(['?', '&']);
                let stop = chunk[k.len()..]
                    .find(char::is_whitespace)
                    .map(|p| &chunk[k.len() + p..]);
                if let Some(t) = stop {
                    result.push_str(t);
                } else if tail_sep {
                    result.push(chunk.chars().last().unwrap_or('&'));
                }
            }
            None => result.push_str(chunk),
        }
    }
    result
}

impl DbUrl {
    /// Parse a SQLAlchemy URL. Errors name the URL in redacted form.
    pub fn parse(url: &str) -> Result<DbUrl> {
        let bad = |why: &str| Error::Usage(format!("invalid database URL {}: {why}", redact(url)));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected dialect://..."))?;
        let dialect = scheme.split('+').next().unwrap_or("").to_ascii_lowercase();
        let backend = match dialect.as_str() {
            "sqlite" => Backend::Sqlite,
            "postgresql" | "postgres" => Backend::Postgres,
            "mysql" | "mariadb" => Backend::Mysql,
            other => return Err(bad(&format!("unsupported dialect '{other}'"))),
        };
        let (main, query_str) = match rest.split_once('?') {
            Some((m, q)) => (m, Some(q)),
            None => (rest, None),
        };
        let mut query = BTreeMap::new();
        for pair in query_str.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            query.insert(percent_decode(k), percent_decode(v));
        }
        if backend == Backend::Sqlite {
            // sqlite:///rel.db → "rel.db"; sqlite:////abs.db → "/abs.db"; sqlite:// → memory.
            let path = main.strip_prefix('/').unwrap_or(main);
            if path.is_empty() || path == ":memory:" {
                return Err(bad(
                    "an in-memory SQLite database cannot be shared with the engine; use a file",
                ));
            }
            return Ok(DbUrl {
                backend,
                user: None,
                password: None,
                host: None,
                port: None,
                database: percent_decode(path),
                query,
                raw: url.to_string(),
            });
        }
        let (authority, database) = match main.split_once('/') {
            Some((a, d)) => (a, percent_decode(d)),
            None => (main, String::new()),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(ui) => match ui.split_once(':') {
                Some((u, p)) => (Some(percent_decode(u)), Some(percent_decode(p))),
                None => (Some(percent_decode(ui)), None),
            },
            None => (None, None),
        };
        let (host, port) = if let Some(stripped) = hostport.strip_prefix('[') {
            // [ipv6]:port
            let (h, p) = stripped.split_once(']').unwrap_or((stripped, ""));
            let port = p.strip_prefix(':').filter(|s| !s.is_empty());
            (Some(h.to_string()), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (Some(h.to_string()), Some(p)),
                None => (Some(hostport.to_string()), None),
            }
        };
        let port = match port {
            Some(p) => Some(
                p.parse::<u16>()
                    .map_err(|_| bad("the port is not a number"))?,
            ),
            None => None,
        };
        let host = host.filter(|h| !h.is_empty()).map(|h| percent_decode(&h));
        Ok(DbUrl {
            backend,
            user: user.filter(|u| !u.is_empty()),
            password,
            host,
            port,
            database,
            query,
            raw: url.to_string(),
        })
    }

    /// The URL with its password masked: the only form used in messages.
    #[must_use]
    pub fn redacted(&self) -> String {
        redact(&self.raw)
    }

    /// A query option by (case-sensitive) name.
    #[must_use]
    pub fn option(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }

    /// The error for a failed connection or statement on this database.
    pub fn db_error(&self, message: impl std::fmt::Display) -> Error {
        let text = redact(&message.to_string());
        let first = text.lines().next().unwrap_or("").trim().to_string();
        Error::Database {
            url: self.redacted(),
            message: first,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_postgres_with_driver_and_password() {
        let u =
            DbUrl::parse("postgresql+psycopg2://bob:s%40cret@db.example:6543/app?sslmode=disable")
                .unwrap();
        assert_eq!(u.backend, Backend::Postgres);
        assert_eq!(u.user.as_deref(), Some("bob"));
        assert_eq!(u.password.as_deref(), Some("s@cret"));
        assert_eq!(u.host.as_deref(), Some("db.example"));
        assert_eq!(u.port, Some(6543));
        assert_eq!(u.database, "app");
        assert_eq!(u.option("sslmode"), Some("disable"));
        assert_eq!(
            u.redacted(),
            "postgresql+psycopg2://bob:***@db.example:6543/app?sslmode=disable"
        );
    }

    #[test]
    fn parses_socket_forms() {
        let u = DbUrl::parse("postgresql://me@/app?host=/var/run/postgresql").unwrap();
        assert_eq!(u.host, None);
        assert_eq!(u.option("host"), Some("/var/run/postgresql"));
        let m =
            DbUrl::parse("mysql+mysqldb://root@/app?unix_socket=/run/mysqld/mysqld.sock").unwrap();
        assert_eq!(m.backend, Backend::Mysql);
        assert_eq!(m.option("unix_socket"), Some("/run/mysqld/mysqld.sock"));
    }

    #[test]
    fn parses_sqlite_paths() {
        assert_eq!(DbUrl::parse("sqlite:///rel.db").unwrap().database, "rel.db");
        assert_eq!(
            DbUrl::parse("sqlite:////tmp/a.db").unwrap().database,
            "/tmp/a.db"
        );
        assert!(DbUrl::parse("sqlite://").is_err());
        assert!(DbUrl::parse("oracle://x/y").is_err());
    }

    #[test]
    fn redacts_everywhere() {
        assert_eq!(
            redact("cannot reach mysql+pymysql://root:hunter2@h/db now"),
            "cannot reach mysql+pymysql://root:***@h/db now"
        );
        assert_eq!(
            redact("x://h/db?user=a&password=p&x=1"),
            "x://h/db?user=a&password=***&x=1"
        );
        assert_eq!(redact("postgresql://u@h/db"), "postgresql://u@h/db");
    }
}
