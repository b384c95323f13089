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

fn parse_query(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Whether a query or DSN key names a secret: any key containing `password`, `passwd`, `pwd`,
/// `secret` or `token`, or ending in `key` (`sslpassword`, `api_key`, `sslkey`).
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "passwd", "pwd", "secret", "token"]
        .iter()
        .any(|w| key.contains(w))
        || key.ends_with("key")
}

const MASK: &str = "***";

/// Where the URL that starts at `start` (just after its `://`) ends in free text: the end of
/// the line, the start of the next `scheme://`, or the closing quote when the URL was quoted.
/// Passwords may hold spaces, so whitespace does not end a URL.
fn url_span_end(text: &str, scheme_start: usize, start: usize) -> usize {
    let line_end = text[start..]
        .find(['\n', '\r'])
        .map_or(text.len(), |p| start + p);
    let mut end = line_end;
    if let Some(p) = text[start..line_end].find("://") {
        end = scheme_begin(text, start + p);
    }
    let quote = text[..scheme_start].chars().next_back();
    if let Some(q @ ('\'' | '"' | '`')) = quote {
        let bytes = text.as_bytes();
        let mut i = start;
        while i < end {
            if bytes[i] == b'\\' {
                i += 2;
                continue;
            }
            if bytes[i] == q as u8 {
                // A quote inside the password (`'u:it's@h'`) does not end the URL when the
                // rest of the line still holds its `@`.
                if text[start..i].contains('@') || !text[i..end].contains('@') {
                    return i;
                }
                return end;
            }
            i += 1;
        }
    }
    end
}

/// The start of the scheme whose `://` sits at `sep`.
fn scheme_begin(text: &str, sep: usize) -> usize {
    text[..sep]
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .map_or(0, |p| p + 1)
}

/// Mask the password and the secret query values of one URL's text after `scheme://`.
fn redact_url_body(body: &str, out: &mut String) {
    // The userinfo ends at the last `@` (passwords may hold `@ / ? # :` and spaces); the
    // password is everything after its first `:`. A first segment holding `/` is no user name
    // (`host/db?x=a@b`).
    let mut rest = body;
    if let Some(at) = body.rfind('@') {
        let userinfo = &body[..at];
        let user_end = userinfo.find(':').unwrap_or(userinfo.len());
        if !userinfo[..user_end].contains('/') {
            out.push_str(&userinfo[..user_end]);
            if user_end < userinfo.len() {
                out.push(':');
                out.push_str(MASK);
            }
            out.push('@');
            rest = &body[at + 1..];
        }
    }
    let Some(q) = rest.find('?') else {
        out.push_str(rest);
        return;
    };
    out.push_str(&rest[..=q]);
    let query = &rest[q + 1..];
    let mut first = true;
    for pair in query.split('&') {
        if !first {
            out.push('&');
        }
        first = false;
        match pair.split_once('=') {
            Some((key, value)) if is_secret_key(key) => {
                out.push_str(key);
                out.push('=');
                out.push_str(MASK);
                // Already masked: keep what followed the mask (redact is idempotent).
                if let Some(after) = value.strip_prefix(MASK) {
                    out.push_str(after);
                }
            }
            _ => out.push_str(pair),
        }
    }
}

/// Mask `key=value` secrets outside URLs (libpq DSNs: `host=h password=secret`). The value
/// ends at whitespace, `,` `;` `)`, or at its closing quote when quoted.
fn redact_dsn_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] != b'=' {
            i += 1;
            continue;
        }
        let key_start = text[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |p| p + 1);
        let key = &text[key_start..i];
        if key.is_empty() || !is_secret_key(key) {
            i += 1;
            continue;
        }
        let value_start = i + 1;
        let value_end = match bytes.get(value_start) {
            Some(&q @ (b'\'' | b'"')) => text[value_start + 1..]
                .find(q as char)
                .map_or(text.len(), |p| value_start + 1 + p + 1),
            _ => text[value_start..]
                .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ')'))
                .map_or(text.len(), |p| value_start + p),
        };
        out.push_str(&text[copied..value_start]);
        out.push_str(MASK);
        copied = value_end;
        i = value_end.max(value_start);
    }
    out.push_str(&text[copied..]);
    out
}

/// The secrets of a URL as messages may show them outside any URL: its password by the rule
/// of [`redact`] (raw and percent-decoded), its secret query values, and the pieces of those a
/// driver may echo on their own after splitting the URL differently (`u:a@b/c@h` reaches
/// SQLAlchemy as host `b`). Pieces shorter than 4 characters, or that are the user name or
/// part of the scheme, are left out: masking them would garble messages.
#[must_use]
pub fn secrets_of(url: &str) -> Vec<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Vec::new();
    };
    let rest = rest.lines().next().unwrap_or("");
    let mut whole: Vec<String> = Vec::new();
    let mut user = "";
    if let Some(at) = rest.rfind('@')
        && let Some((u, password)) = rest[..at].split_once(':')
        && !u.contains('/')
    {
        user = u;
        whole.push(password.to_string());
    }
    if let Some((_, query)) = rest.split_once('?') {
        for pair in query.split('&') {
            if let Some((key, value)) = pair.split_once('=')
                && is_secret_key(key)
            {
                whole.push(value.to_string());
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    for secret in whole {
        let decoded = percent_decode(&secret);
        for form in [secret, decoded] {
            let pieces: Vec<String> = form
                .split(|c: char| {
                    matches!(c, '@' | '/' | ':' | '?' | '#' | '&') || c.is_whitespace()
                })
                .map(str::to_string)
                .collect();
            out.push(form);
            out.extend(pieces);
        }
    }
    let scheme = scheme.to_ascii_lowercase();
    out.retain(|s| {
        s.chars().count() >= 4
            && s != MASK
            && s != user
            && !scheme.contains(&s.to_ascii_lowercase())
    });
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

fn mask_all(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), MASK);
        }
    }
    out
}

/// The secrets of the URLs this process was configured with ([`remember`]).
static KNOWN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Remember the secrets of a URL the user configured (the test database's), so that
/// [`redact`] masks them wherever they appear, also outside any URL.
pub fn remember(url: &str) {
    let mut known = KNOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for secret in secrets_of(url) {
        if !known.contains(&secret) {
            known.push(secret);
        }
    }
    known.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Mask every secret in `text`: the password of every `scheme://user:password@host` (the
/// userinfo ends at the last `@` of the URL, so `@ / : # ?`, spaces and tabs in a password
/// are masked too), every secret query value (`?password=`, `sslpassword=`, `api_key=`, see
/// [`is_secret_key`]) and every DSN-style `password=value`. Works on whole URLs and on free
/// text that embeds them (driver errors). The secrets of [`remember`]ed URLs are masked
/// wherever they appear. This is the one redaction of the project: the Python side calls it
/// through `_core.redact_url`.
#[must_use]
pub fn redact(text: &str) -> String {
    let out = redact_structure(text);
    let known = KNOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if known.is_empty() {
        out
    } else {
        mask_all(&out, &known)
    }
}

fn redact_structure(text: &str) -> String {
    if !text.contains("://") {
        // A URL missing its `//` (`postgresql:/u:pw@h`, `postgresql:u:pw@h`): everything
        // between the scheme and the last `@` may be a password.
        let scheme = scheme_begin(text, text.find(':').unwrap_or(0));
        if scheme == 0
            && let Some(colon) = text.find(':').filter(|&c| c > 0)
            && !text[colon + 1..].starts_with(char::is_whitespace)
            && let Some(at) = text.rfind('@').filter(|&a| a > colon)
        {
            return format!(
                "{}{MASK}{}",
                &text[..=colon],
                redact_dsn_secrets(&text[at..])
            );
        }
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut pos = 0;
    let mut outside = String::new();
    while let Some(p) = text[pos..].find("://") {
        let sep = pos + p;
        let scheme_start = scheme_begin(text, sep);
        let body_start = sep + 3;
        let end = url_span_end(text, scheme_start, body_start);
        outside.push_str(&text[pos..body_start]);
        out.push_str(&redact_dsn_secrets(&outside));
        outside.clear();
        redact_url_body(&text[body_start..end], &mut out);
        pos = end;
    }
    outside.push_str(&text[pos..]);
    out.push_str(&redact_dsn_secrets(&outside));
    out
}

impl Backend {
    /// The family a URL's scheme names (`postgresql+psycopg2` → Postgres); `None` for a
    /// dialect pytest-mrt does not drive.
    #[must_use]
    pub fn of_scheme(url: &str) -> Option<Backend> {
        let scheme = url.split_once("://").map_or(url, |(scheme, _)| scheme);
        match scheme.split('+').next()?.to_ascii_lowercase().as_str() {
            "sqlite" => Some(Backend::Sqlite),
            "postgresql" | "postgres" => Some(Backend::Postgres),
            "mysql" | "mariadb" => Some(Backend::Mysql),
            _ => None,
        }
    }

    /// The pytest-mrt extra that installs the Python driver Alembic needs for this family
    /// (`pip install 'pytest-mrt[postgres]'`); `None` for SQLite, whose driver ships with Python.
    #[must_use]
    pub fn pip_extra(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("postgres"),
            Backend::Mysql => Some("mysql"),
        }
    }
}

impl DbUrl {
    /// Parse a SQLAlchemy URL. Errors name the URL in redacted form.
    pub fn parse(url: &str) -> Result<DbUrl> {
        let bad = |why: &str| Error::Usage(format!("invalid database URL {}: {why}", redact(url)));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected dialect://..."))?;
        let Some(backend) = Backend::of_scheme(url) else {
            let dialect = scheme.split('+').next().unwrap_or("").to_ascii_lowercase();
            return Err(bad(&format!("unsupported dialect '{dialect}'")));
        };
        if backend == Backend::Sqlite {
            let (main, query_str) = rest.split_once('?').unwrap_or((rest, ""));
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
                query: parse_query(query_str),
                raw: url.to_string(),
            });
        }
        // SQLAlchemy's own grammar (`sqlalchemy.engine.url._parse_url`), so that the engine
        // reaches the database Alembic reaches: the user name holds no `:` or `/` (it may hold
        // `@`: Azure's `user@server`), the password runs to the next `@` (it may hold `/ ? # :`).
        let user_run = rest.find([':', '/']).unwrap_or(rest.len());
        let (user, password, after) = if rest[user_run..].starts_with(':')
            && let Some(at) = rest[user_run + 1..].find('@')
        {
            let pw = &rest[user_run + 1..user_run + 1 + at];
            (
                Some(percent_decode(&rest[..user_run])),
                Some(percent_decode(pw)),
                &rest[user_run + 1 + at + 1..],
            )
        } else if let Some(at) = rest[..user_run].rfind('@') {
            (Some(percent_decode(&rest[..at])), None, &rest[at + 1..])
        } else {
            (None, None, rest)
        };
        let (main, query_str) = after.split_once('?').unwrap_or((after, ""));
        let query = parse_query(query_str);
        let (hostport, database) = match main.split_once('/') {
            Some((a, d)) => (a, percent_decode(d)),
            None => (main, String::new()),
        };
        let (host, port) = if let Some(stripped) = hostport.strip_prefix('[') {
            // [ipv6]:port
            let (h, p) = stripped.split_once(']').unwrap_or((stripped, ""));
            let port = p.strip_prefix(':').filter(|s| !s.is_empty());
            (Some(h.to_string()), port)
        } else {
            match hostport.split_once(':') {
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

    /// `text` with every secret masked: [`redact`], plus this URL's own secrets wherever they
    /// appear outside any URL (see [`secrets_of`]).
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        mask_all(&redact(text), &secrets_of(&self.raw))
    }

    /// The error for a failed connection or statement on this database.
    pub fn db_error(&self, message: impl std::fmt::Display) -> Error {
        let text = self.scrub(&message.to_string());
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
    fn the_driver_extra_follows_the_family() {
        let extra = |url: &str| Backend::of_scheme(url).and_then(Backend::pip_extra);
        assert_eq!(extra("postgresql+asyncpg://u:p@h/db"), Some("postgres"));
        assert_eq!(extra("mariadb+pymysql://root@h/db"), Some("mysql"));
        assert_eq!(extra("MySQL://root@h/db"), Some("mysql"));
        assert_eq!(extra("sqlite:///x.db"), None);
        assert_eq!(extra("mssql+pyodbc://u:p@h/db"), None);
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

    /// (input, expected output, secret fragments that must not survive).
    const HOSTILE: &[(&str, &str, &[&str])] = &[
        // 1-5: the reported leaks.
        (
            "postgresql+psycopg2://postgres:PWB1/PWB2@127.0.0.1/probe_pw",
            "postgresql+psycopg2://postgres:***@127.0.0.1/probe_pw",
            &["PWB1", "PWB2"],
        ),
        (
            "postgresql://pg@srv:secret@host/db",
            "postgresql://pg@srv:***@host/db",
            &["secret"],
        ),
        (
            "postgresql://postgres:a@b@host/db",
            "postgresql://postgres:***@host/db",
            &["a@b"],
        ),
        (
            "postgresql://u:pass word@h/db",
            "postgresql://u:***@h/db",
            &["pass", "word"],
        ),
        (
            "postgresql://u:tab\tsecret@h/db",
            "postgresql://u:***@h/db",
            &["tab", "secret"],
        ),
        // 6-12: every special character in the password.
        (
            "mysql://root:a:b:c@h/db",
            "mysql://root:***@h/db",
            &["a:b:c"],
        ),
        (
            "mysql://root:x#frag@h/db",
            "mysql://root:***@h/db",
            &["x#frag"],
        ),
        (
            "mysql://root:q?uery@h/db",
            "mysql://root:***@h/db",
            &["q?uery"],
        ),
        (
            "mysql://root:pc%40t%2F@h/db",
            "mysql://root:***@h/db",
            &["pc%40t", "%2F"],
        ),
        (
            "postgresql://u:%20%09sp@h/db",
            "postgresql://u:***@h/db",
            &["%20%09sp"],
        ),
        (
            "postgresql://u:/ :@#%\t?&=x@h:5432/db",
            "postgresql://u:***@h:5432/db",
            &["&=x"],
        ),
        (
            "postgresql://u:'quoted\"pw'@h/db",
            "postgresql://u:***@h/db",
            &["quoted"],
        ),
        // 13-17: query-string secrets.
        (
            "postgresql://h/db?sslpassword=SSLPW&sslmode=require",
            "postgresql://h/db?sslpassword=***&sslmode=require",
            &["SSLPW"],
        ),
        (
            "postgresql://u@h/db?password=QPW",
            "postgresql://u@h/db?password=***",
            &["QPW"],
        ),
        (
            "mysql://u@h/db?PASSWD=QPW2&pwd=QPW3",
            "mysql://u@h/db?PASSWD=***&pwd=***",
            &["QPW2", "QPW3"],
        ),
        (
            "postgresql://h/db?api_key=K1&auth_token=T1&client_secret=S1",
            "postgresql://h/db?api_key=***&auth_token=***&client_secret=***",
            &["K1", "T1", "S1"],
        ),
        (
            "postgresql://u:pw1@h/db?password=pw2 x",
            "postgresql://u:***@h/db?password=***",
            &["pw1", "pw2"],
        ),
        // 18-21: IPv6 hosts.
        (
            "postgresql://u:v6pw@[::1]:5432/db",
            "postgresql://u:***@[::1]:5432/db",
            &["v6pw"],
        ),
        (
            "postgresql://u:v6:pw@[2001:db8::1]/db",
            "postgresql://u:***@[2001:db8::1]/db",
            &["v6:pw"],
        ),
        (
            "postgresql://[::1]:5432/db",
            "postgresql://[::1]:5432/db",
            &[],
        ),
        (
            "postgresql://u:p@ss@[fe80::1%25eth0]:5432/db",
            "postgresql://u:***@[fe80::1%25eth0]:5432/db",
            &["p@ss"],
        ),
        // 22-25: unix sockets.
        (
            "postgresql:///db?host=/var/run/postgresql",
            "postgresql:///db?host=/var/run/postgresql",
            &[],
        ),
        (
            "postgresql://u:sockpw@/db?host=/var/run/postgresql",
            "postgresql://u:***@/db?host=/var/run/postgresql",
            &["sockpw"],
        ),
        (
            "mysql+pymysql://root:sockpw2@/db?unix_socket=/run/mysqld/mysqld.sock",
            "mysql+pymysql://root:***@/db?unix_socket=/run/mysqld/mysqld.sock",
            &["sockpw2"],
        ),
        (
            "postgresql://%2Fvar%2Frun%2Fpostgresql/db",
            "postgresql://%2Fvar%2Frun%2Fpostgresql/db",
            &[],
        ),
        // 26-27: Azure user@server.
        (
            "postgresql://admin@myserver:AzurePw1@myserver.postgres.database.azure.com/db",
            "postgresql://admin@myserver:***@myserver.postgres.database.azure.com/db",
            &["AzurePw1"],
        ),
        (
            "postgresql://admin%40myserver:AzurePw2@h:5432/db",
            "postgresql://admin%40myserver:***@h:5432/db",
            &["AzurePw2"],
        ),
        // 28-30: no password to mask.
        ("postgresql://u@h/db", "postgresql://u@h/db", &[]),
        ("postgresql://h:5432/db", "postgresql://h:5432/db", &[]),
        ("sqlite:////tmp/a@b.db", "sqlite:////tmp/a@b.db", &[]),
        // 31-37: URLs inside free text.
        (
            "cannot reach mysql+pymysql://root:hunter2@h/db now",
            "cannot reach mysql+pymysql://root:***@h/db now",
            &["hunter2"],
        ),
        (
            "db_url = 'postgresql://u:it's@h/db' and more: x",
            "db_url = 'postgresql://u:***@h/db' and more: x",
            &["it's"],
        ),
        (
            "from postgresql://a:pwA@h1/db to mysql://b:pwB@h2/db",
            "from postgresql://a:***@h1/db to mysql://b:***@h2/db",
            &["pwA", "pwB"],
        ),
        (
            "line one postgresql://u:pwL1@h/db\nline two u:notaurl@x",
            "line one postgresql://u:***@h/db\nline two u:notaurl@x",
            &["pwL1"],
        ),
        (
            "invalid database URL postgresql://u:PWX1/PWX2@h:port/db: the port is not a number",
            "invalid database URL postgresql://u:***@h:port/db: the port is not a number",
            &["PWX1", "PWX2"],
        ),
        (
            "connection failed: host=h user=u password=DSNPW dbname=d",
            "connection failed: host=h user=u password=*** dbname=d",
            &["DSNPW"],
        ),
        (
            "dsn \"host=h password='a b c' port=1\"",
            "dsn \"host=h password=*** port=1\"",
            &["a b c"],
        ),
        // 38-40: already masked text stays as it is (idempotent), and nothing else changes.
        (
            "postgresql://u:***@h/db?password=***&x=1",
            "postgresql://u:***@h/db?password=***&x=1",
            &[],
        ),
        (
            "see https://sqlalche.me/e/20/e3q8 for details",
            "see https://sqlalche.me/e/20/e3q8 for details",
            &[],
        ),
        ("no url here: a:b@c", "no url here: a:b@c", &[]),
        (
            "FATAL: no access for user@host",
            "FATAL: no access for user@host",
            &[],
        ),
        // 41-42: a URL missing its `//`.
        ("postgresql:/u:NoSl@h/db", "postgresql:***@h/db", &["NoSl"]),
        ("mysql:root:NoSl2@h/db", "mysql:***@h/db", &["NoSl2"]),
    ];

    #[test]
    fn redacts_hostile_urls() {
        assert!(HOSTILE.len() >= 30);
        for (input, expected, secrets) in HOSTILE {
            let got = redact(input);
            assert_eq!(&got, expected, "redact({input:?})");
            for secret in *secrets {
                assert!(!got.contains(secret), "{secret:?} survives in {got:?}");
            }
            assert_eq!(redact(&got), got, "redact is idempotent on {input:?}");
        }
    }

    #[test]
    fn secrets_of_a_url_are_masked_in_any_text() {
        // A raw '@' in the password: SQLAlchemy reads host `Zq1frag`, and the driver says so.
        let secrets = secrets_of("mysql+pymysql://root:a@Zq1frag/Zq2x frag@127.0.0.1:1/db");
        let message = "(2003, \"Can't connect to MySQL server on 'Zq1frag' (Zq2x frag)\")";
        let masked = mask_all(message, &secrets);
        assert!(
            !masked.contains("Zq1frag") && !masked.contains("Zq2x"),
            "{masked}"
        );
        // Percent-decoded forms too.
        let secrets = secrets_of("postgresql://u:p%40ssw0rd@h/db");
        assert_eq!(
            mask_all("bad password p@ssw0rd", &secrets),
            "bad password ***"
        );
        // Common words stay readable: the user name, the scheme, short pieces.
        assert!(secrets_of("postgresql://postgres:postgres@h/db").is_empty());
        assert!(secrets_of("mysql://root:a:b@h/db").is_empty());
        assert!(secrets_of("sqlite:////tmp/x.db").is_empty());
    }

    #[test]
    fn parses_like_sqlalchemy() {
        // The password runs to the next '@' and may hold '/', '?', '#', ':' and spaces.
        let u =
            DbUrl::parse("postgresql+psycopg2://postgres:PWB1/PWB2@127.0.0.1/probe_pw").unwrap();
        assert_eq!(u.password.as_deref(), Some("PWB1/PWB2"));
        assert_eq!(u.host.as_deref(), Some("127.0.0.1"));
        assert_eq!(u.database, "probe_pw");
        let u = DbUrl::parse("postgresql://u:a b?c#d@h:5433/db?sslmode=disable").unwrap();
        assert_eq!(u.password.as_deref(), Some("a b?c#d"));
        assert_eq!((u.host.as_deref(), u.port), (Some("h"), Some(5433)));
        assert_eq!(u.option("sslmode"), Some("disable"));
        // Azure: the user name holds '@'.
        let u = DbUrl::parse("postgresql://pg@srv:secret@host/db").unwrap();
        assert_eq!(u.user.as_deref(), Some("pg@srv"));
        assert_eq!(u.password.as_deref(), Some("secret"));
        assert_eq!(u.host.as_deref(), Some("host"));
        let u = DbUrl::parse("postgresql://u@h:5432/db").unwrap();
        assert_eq!(
            (u.user.as_deref(), u.password.as_deref()),
            (Some("u"), None)
        );
        assert_eq!((u.host.as_deref(), u.port), (Some("h"), Some(5432)));
        let u = DbUrl::parse("postgresql://u:p@[::1]:5432/db").unwrap();
        assert_eq!((u.host.as_deref(), u.port), (Some("::1"), Some(5432)));
        let u = DbUrl::parse("sqlite:////tmp/a@b.db").unwrap();
        assert_eq!(u.database, "/tmp/a@b.db");
    }

    #[test]
    fn errors_never_echo_the_password() {
        let err = DbUrl::parse("postgresql://u:PWX1/PWX2@h:port/db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("the port is not a number"), "{err}");
        assert!(!err.contains("PWX"), "{err}");
        let u = DbUrl::parse("postgresql://u:Sup3r%2Fsecret@h/db?sslpassword=K3ypass").unwrap();
        let err = u
            .db_error("FATAL: bad password Sup3r/secret (also Sup3r%2Fsecret, K3ypass)\nmore")
            .to_string();
        for leak in ["Sup3r", "K3ypass", "more"] {
            assert!(!err.contains(leak), "{leak} in {err}");
        }
    }
}
