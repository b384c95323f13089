//! The user's configuration: `MRTConfig`'s keys, what each accepts, and `[tool.mrt]` in
//! pyproject.toml read with a TOML parser. Decided here once: Python's `MRTConfig` (a typed
//! dataclass) hands its values to [`check`], the pytest plugin and the `mrt` commands read
//! pyproject.toml through [`read_pyproject`], and the scanner's settings parse a severity with
//! [`parse_severity`].
//!
//! Values are a small model ([`Value`]) that both TOML and Python values convert into, so one
//! check and one error wording serve both: `<source>: <key> must be <expected>, got <repr>`,
//! with the value shown as Python shows it.

use std::fmt::Write as _;
use std::path::Path;

use crate::Error;
use crate::diagnostic::Severity;

/// A configuration value, whichever side it comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A list (or, from Python, a tuple).
    List {
        items: Vec<Value>,
        tuple: bool,
    },
    /// A table or dict, in its order; Python dict keys may be any value.
    Dict(Vec<(Value, Value)>),
    /// A Python callable (a function, a class, an object with `__call__`).
    Callable {
        type_name: String,
        repr: String,
    },
    /// Anything else (a TOML date, a Python object of another type), shown as it is.
    Other {
        type_name: String,
        repr: String,
    },
}

impl Value {
    /// Python's `type(value).__name__`.
    #[must_use]
    pub fn type_name(&self) -> &str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::List { tuple: true, .. } => "tuple",
            Value::List { .. } => "list",
            Value::Dict(_) => "dict",
            Value::Callable { type_name, .. } | Value::Other { type_name, .. } => type_name,
        }
    }

    /// Python's `repr(value)`, for error messages.
    #[must_use]
    pub fn repr(&self) -> String {
        match self {
            Value::None => "None".to_string(),
            Value::Bool(true) => "True".to_string(),
            Value::Bool(false) => "False".to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => float_repr(*f),
            Value::Str(s) => str_repr(s),
            Value::List { items, tuple } => {
                let inner: Vec<String> = items.iter().map(Value::repr).collect();
                match (tuple, inner.len()) {
                    (true, 1) => format!("({},)", inner[0]),
                    (true, _) => format!("({})", inner.join(", ")),
                    (false, _) => format!("[{}]", inner.join(", ")),
                }
            }
            Value::Dict(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", k.repr(), v.repr()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            Value::Callable { repr, .. } | Value::Other { repr, .. } => repr.clone(),
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Python's `repr(str)`: single quotes unless the text holds one and no double quote.
fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr(float)`: `1.0`, `1e+20`, `inf`, `nan`.
fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let text = format!("{f:?}");
    match text.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => text,
    }
}

/// The severities a `severity_overrides` entry may name.
pub const SEVERITIES: [&str; 3] = ["error", "warning", "off"];

/// A `severity_overrides` value: `Some(None)` for `"off"`, None when it is no severity. The
/// spelling is exact (lower case), as [`SEVERITIES`] lists it.
#[must_use]
pub fn parse_severity(value: &str) -> Option<Option<Severity>> {
    match value {
        "error" => Some(Some(Severity::Error)),
        "warning" => Some(Some(Severity::Warning)),
        "off" => Some(None),
        _ => None,
    }
}

/// The one wording of a bad severity.
#[must_use]
pub fn severity_error(source: &str, rule: &str, severity: &str) -> Error {
    let choices: Vec<String> = SEVERITIES.iter().map(|s| str_repr(s)).collect();
    Error::Usage(format!(
        "{source}: severity_overrides[{rule}] must be one of {}, got {severity}",
        choices.join(", ")
    ))
}

/// Comma-separated rule keys (`--select MRT001,MRT002 --select drop-table`) as single keys,
/// trimmed, empty ones dropped.
#[must_use]
pub fn split_keys(values: &[String]) -> Vec<&str> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect()
}

/// One configuration key: its name, what it accepts and how that is worded.
pub struct Key {
    pub name: &'static str,
    expected: &'static str,
    accepts: fn(&Value) -> bool,
    /// Holds Python callables: settable in conftest.py, never in pyproject.toml.
    pub callable: bool,
}

fn is_str(v: &Value) -> bool {
    matches!(v, Value::Str(_))
}

fn is_optional_str(v: &Value) -> bool {
    matches!(v, Value::None | Value::Str(_))
}

fn is_bool(v: &Value) -> bool {
    matches!(v, Value::Bool(_))
}

fn is_optional_callable(v: &Value) -> bool {
    matches!(v, Value::None | Value::Callable { .. })
}

fn is_dict(v: &Value) -> bool {
    matches!(v, Value::Dict(_))
}

/// Every key of `MRTConfig`, in its field order (a test pins that the two agree).
pub const KEYS: &[Key] = &[
    Key {
        name: "alembic_ini",
        expected: "a string",
        accepts: is_str,
        callable: false,
    },
    Key {
        name: "db_url",
        expected: "a string",
        accepts: is_str,
        callable: false,
    },
    Key {
        name: "seed_rows",
        expected: "an integer >= 0",
        accepts: |v| matches!(v, Value::Int(i) if *i >= 0),
        callable: false,
    },
    Key {
        name: "skip",
        expected: "a dict of revision id → reason (both strings)",
        accepts: |v| matches!(v, Value::Dict(entries) if entries.iter().all(|(k, v)| is_str(k) && is_str(v))),
        callable: false,
    },
    Key {
        name: "severity_overrides",
        expected: "a dict of rule code or pattern name → severity",
        accepts: is_dict,
        callable: false,
    },
    Key {
        name: "custom_seeds",
        expected: "a dict of table name → callable returning rows",
        accepts: is_dict,
        callable: true,
    },
    Key {
        name: "custom_checks",
        expected: "a list of callables",
        accepts: |v| matches!(v, Value::List { items, .. } if items.iter().all(|c| matches!(c, Value::Callable { .. }))),
        callable: true,
    },
    Key {
        name: "migration_timeout",
        expected: "a positive number of seconds or None",
        accepts: |v| match v {
            Value::None => true,
            Value::Int(i) => *i > 0,
            Value::Float(f) => *f > 0.0,
            _ => false,
        },
        callable: false,
    },
    Key {
        name: "versions_dir",
        expected: "a string or None",
        accepts: is_optional_str,
        callable: false,
    },
    Key {
        name: "allow_existing_data",
        expected: "True or False",
        accepts: is_bool,
        callable: false,
    },
    Key {
        name: "setup_database",
        expected: "a callable taking a SQLAlchemy Connection, or None",
        accepts: is_optional_callable,
        callable: true,
    },
    Key {
        name: "wrap_alembic",
        expected: "a callable taking the Alembic call to run, or None",
        accepts: is_optional_callable,
        callable: true,
    },
    Key {
        name: "alembic_db_url",
        expected: "a string or None",
        accepts: is_optional_str,
        callable: false,
    },
    Key {
        name: "allow_unverified",
        expected: "True or False",
        accepts: is_bool,
        callable: false,
    },
];

fn key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

fn unknown_key(source: &str, name: &str) -> Error {
    let mut known: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
    known.sort_unstable();
    Error::Usage(format!(
        "{source}: unknown key {} (known keys: {})",
        str_repr(name),
        known.join(", ")
    ))
}

/// Check one key's value; the error names `source` and the key (one line).
pub fn check_key(source: &str, name: &str, value: &Value) -> Result<(), Error> {
    let Some(spec) = key(name) else {
        return Err(unknown_key(source, name));
    };
    if !(spec.accepts)(value) {
        return Err(Error::Usage(format!(
            "{source}: {name} must be {}, got {}",
            spec.expected,
            value.repr()
        )));
    }
    let Value::Dict(entries) = value else {
        return Ok(());
    };
    match name {
        "severity_overrides" => {
            for (rule, severity) in entries {
                let ok =
                    rule.as_str().is_some() && severity.as_str().and_then(parse_severity).is_some();
                if !ok {
                    return Err(severity_error(source, &rule.repr(), &severity.repr()));
                }
            }
        }
        "custom_seeds" => {
            for (table, seeder) in entries {
                if table.as_str().is_none() || !matches!(seeder, Value::Callable { .. }) {
                    return Err(Error::Usage(format!(
                        "{source}: custom_seeds[{}] must be a callable returning a list of dicts, got {}",
                        table.repr(),
                        seeder.type_name()
                    )));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Check every value: an unknown key is refused first (with the list of known ones), then
/// the error names the first offending key in the given order.
pub fn check(source: &str, values: &[(String, Value)]) -> Result<(), Error> {
    if let Some((name, _)) = values.iter().find(|(name, _)| key(name).is_none()) {
        return Err(unknown_key(source, name));
    }
    for (name, value) in values {
        check_key(source, name, value)?;
    }
    Ok(())
}

/// Configuration values by key, in the order they were given.
pub type Section = Vec<(String, Value)>;

/// `[tool.mrt]` of `dir/pyproject.toml`, checked: None when the file or the section is absent.
/// Keys that hold Python callables are refused here (they belong in conftest.py).
pub fn read_pyproject(dir: &Path) -> Result<Option<Section>, Error> {
    let path = dir.join("pyproject.toml");
    if !path.is_file() {
        return Ok(None);
    }
    let shown = path.display();
    let cannot = |why: String| Error::Usage(format!("{shown}: cannot read [tool.mrt]: {why}"));
    let bytes = std::fs::read(&path).map_err(|e| cannot(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        cannot(format!(
            "not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        match e.span() {
            Some(span) => {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                cannot(format!("{message} (at line {line}, column {column})"))
            }
            None => cannot(message),
        }
    })?;
    let Some(section) = table
        .get("tool")
        .and_then(|tool| tool.as_table())
        .and_then(|tool| tool.get("mrt"))
    else {
        return Ok(None);
    };
    let Some(section) = section.as_table() else {
        return Err(Error::Usage(format!("{shown}: [tool.mrt] must be a table")));
    };
    for spec in KEYS.iter().filter(|k| k.callable) {
        if section.contains_key(spec.name) {
            return Err(Error::Usage(format!(
                "{shown}: [tool.mrt] {} holds Python callables; set it in conftest.py",
                spec.name
            )));
        }
    }
    let values: Section = section
        .iter()
        .map(|(k, v)| (k.clone(), from_toml(v)))
        .collect();
    check(&format!("{shown} [tool.mrt]"), &values)?;
    Ok(Some(values))
}

fn from_toml(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::Str(s.clone()),
        toml::Value::Integer(i) => Value::Int(*i),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Array(items) => Value::List {
            items: items.iter().map(from_toml).collect(),
            tuple: false,
        },
        toml::Value::Table(t) => Value::Dict(
            t.iter()
                .map(|(k, v)| (Value::Str(k.clone()), from_toml(v)))
                .collect(),
        ),
        toml::Value::Datetime(d) => Value::Other {
            type_name: "datetime".to_string(),
            repr: d.to_string(),
        },
    }
}

/// What `mrt check` and `mrt explain` take from the project's `[tool.mrt]`:
/// `severity_overrides` as `(key, severity)` pairs and the `skip` keys.
#[derive(Debug, Default, PartialEq)]
pub struct ProjectSettings {
    pub overrides: Vec<(String, String)>,
    pub skip: Vec<String>,
}

/// [`ProjectSettings`] of `dir/pyproject.toml` (empty without `[tool.mrt]`).
pub fn project_settings(dir: &Path) -> Result<ProjectSettings, Error> {
    let mut out = ProjectSettings::default();
    for (name, value) in read_pyproject(dir)?.unwrap_or_default() {
        let Value::Dict(entries) = value else {
            continue;
        };
        let strings = entries
            .into_iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())));
        match name.as_str() {
            "severity_overrides" => out.overrides = strings.collect(),
            "skip" => out.skip = strings.map(|(k, _)| k).collect(),
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::Str(text.to_string())
    }

    fn dict(entries: &[(&str, Value)]) -> Value {
        Value::Dict(entries.iter().map(|(k, v)| (s(k), v.clone())).collect())
    }

    fn err(source: &str, name: &str, value: &Value) -> String {
        check_key(source, name, value).unwrap_err().to_string()
    }

    #[test]
    fn values_are_shown_as_python_shows_them() {
        assert_eq!(s("it's").repr(), "\"it's\"");
        assert_eq!(s("a\nb'\"").repr(), "'a\\nb\\'\"'");
        assert_eq!(Value::Float(1e20).repr(), "1e+20");
        assert_eq!(Value::Float(2.0).repr(), "2.0");
        let one = Value::List {
            items: vec![Value::Int(1)],
            tuple: true,
        };
        assert_eq!(one.repr(), "(1,)");
        assert_eq!(dict(&[("a", Value::Bool(true))]).repr(), "{'a': True}");
    }

    #[test]
    fn each_error_names_the_source_and_the_key_on_one_line() {
        assert_eq!(
            err("MRTConfig", "seed_rows", &Value::Int(-1)),
            "MRTConfig: seed_rows must be an integer >= 0, got -1"
        );
        assert_eq!(
            err("MRTConfig", "seed_rows", &Value::Bool(true)),
            "MRTConfig: seed_rows must be an integer >= 0, got True"
        );
        assert_eq!(
            err("x", "seed_row", &Value::Int(1)).split(" (known").next(),
            Some("x: unknown key 'seed_row'")
        );
        assert_eq!(
            err("x", "severity_overrides", &dict(&[("MRT001", s("fatal"))])),
            "x: severity_overrides['MRT001'] must be one of 'error', 'warning', 'off', got 'fatal'"
        );
        let seeds = dict(&[(
            "users",
            Value::List {
                items: vec![],
                tuple: false,
            },
        )]);
        assert_eq!(
            err("x", "custom_seeds", &seeds),
            "x: custom_seeds['users'] must be a callable returning a list of dicts, got list"
        );
        assert!(check_key("x", "migration_timeout", &Value::Float(0.5)).is_ok());
        assert!(check_key("x", "migration_timeout", &Value::Int(0)).is_err());
    }

    #[test]
    fn a_severity_is_one_of_three_exact_words() {
        assert_eq!(parse_severity("error"), Some(Some(Severity::Error)));
        assert_eq!(parse_severity("warning"), Some(Some(Severity::Warning)));
        assert_eq!(parse_severity("off"), Some(None));
        assert_eq!(parse_severity("ERROR"), None);
        assert_eq!(parse_severity("fatal"), None);
    }

    #[test]
    fn keys_are_split_on_commas_and_trimmed() {
        let values = vec![
            "MRT001, drop-table".to_string(),
            String::new(),
            ",".to_string(),
        ];
        assert_eq!(split_keys(&values), ["MRT001", "drop-table"]);
    }

    fn pyproject(text: &str) -> (tempdir::Dir, Result<Option<Section>, Error>) {
        let dir = tempdir::Dir::new();
        std::fs::write(dir.0.join("pyproject.toml"), text).unwrap();
        let read = read_pyproject(&dir.0);
        (dir, read)
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let path = std::env::temp_dir().join(format!(
                    "mrt-config-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&path).unwrap();
                Dir(path)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn tool_mrt_is_read_in_every_toml_spelling() {
        for text in [
            "[tool.mrt]\nskip = { \"005\" = \"reviewed\" }\n",
            "[tool]\nmrt = { skip = { \"005\" = \"reviewed\" } }\n",
            "[tool.\"mrt\"]\nskip = { \"005\" = \"reviewed\" }\n",
            "[tool.\"\\u006drt\".skip]\n\"005\" = \"reviewed\"\n",
        ] {
            let (dir, read) = pyproject(text);
            assert_eq!(
                read.unwrap(),
                Some(vec![("skip".to_string(), dict(&[("005", s("reviewed"))]))]),
                "{text}"
            );
            let settings = project_settings(&dir.0).unwrap();
            assert_eq!(settings.skip, ["005"]);
        }
        assert_eq!(pyproject("[project]\nname = 'x'\n").1.unwrap(), None);
    }

    #[test]
    fn a_bad_pyproject_is_one_line_naming_the_file() {
        for (text, expected) in [
            ("[tool]\nmrt = 1\n", "[tool.mrt] must be a table"),
            (
                "[tool.mrt]\nseed_rows = -2\n",
                "seed_rows must be an integer >= 0, got -2",
            ),
            (
                "[tool.mrt]\ncustom_checks = []\n",
                "custom_checks holds Python callables",
            ),
            (
                "[tool.mrt]\nsead_rows = 2\n",
                "[tool.mrt]: unknown key 'sead_rows'",
            ),
            ("[tool.mrt\nx = 1\n", "cannot read [tool.mrt]: "),
        ] {
            let (_dir, read) = pyproject(text);
            let message = read.unwrap_err().to_string();
            assert!(message.contains("pyproject.toml"), "{message}");
            assert!(message.contains(expected), "{message}");
            assert!(!message.contains('\n'), "{message}");
        }
    }
}
