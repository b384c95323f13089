//! Type- and constraint-aware values that expose loss. Every value is derived from a number
//! `n` unique per (seeding round, row), so two rounds never write the same value by accident.
//!
//! The first choice ([`Strategy::Rich`]) is the value most likely to show a lossy migration:
//! mixed-case text with non-ASCII letters as wide as the column allows, decimals using their
//! whole scale, timestamps with seconds, microseconds and an offset, nested JSON, non-empty
//! arrays. [`Strategy::Plain`] (ASCII, short) and [`Strategy::Minimal`] are what the seeder
//! falls back to when the database refuses a row.

use super::checks::{Case, ValueRule};
use super::pattern::{Generator, fill_like, like_fixed_len, like_matches, regex_matches};
use crate::dialects::Lit;
use crate::url::Backend;

/// The shape of a column's type, as far as generating values goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Int {
        min: i64,
        max: i64,
    },
    Decimal {
        precision: u32,
        scale: u32,
    },
    Float,
    Bool,
    Date,
    /// `frac`: fractional-second digits the type keeps; `tz`: it stores an offset.
    Time {
        frac: u32,
        tz: bool,
    },
    Timestamp {
        frac: u32,
        tz: bool,
    },
    Text {
        max: Option<usize>,
    },
    Json,
    Uuid,
    Bytes {
        max: Option<usize>,
    },
    Enum(Vec<String>),
    /// MySQL SET.
    Set(Vec<String>),
    Interval,
    Array(Box<Kind>),
    Inet {
        cidr: bool,
    },
    /// PostgreSQL range of the element kind.
    Range(Box<Kind>),
    Point,
    MacAddr,
    /// PostgreSQL `bit(n)` / `bit varying(n)`.
    Bits(usize),
}

/// How hard to try to expose loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strategy {
    Rich,
    Plain,
    Minimal,
}

fn args(t: &str) -> Vec<u32> {
    t.find('(')
        .and_then(|p| t[p + 1..].split(')').next())
        .map(|inner| {
            inner
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The kind of a (normalized) SQL type on `backend`; `enum_labels` resolves PostgreSQL enum
/// type names (for arrays of enums).
#[must_use]
pub fn kind_of(
    data_type: &str,
    enum_values: Option<&Vec<String>>,
    backend: Backend,
    enum_labels: &dyn Fn(&str) -> Option<Vec<String>>,
) -> Kind {
    if let Some(values) = enum_values {
        return Kind::Enum(values.clone());
    }
    if let Some(elem) = data_type.strip_suffix("[]") {
        return Kind::Array(Box::new(kind_of(elem, None, backend, enum_labels)));
    }
    if let Some(labels) = enum_labels(data_type) {
        return Kind::Enum(labels);
    }
    let t = data_type.to_ascii_uppercase();
    let base = t.split('(').next().unwrap_or("").trim().to_string();
    let a = args(&t);
    let my = backend == Backend::Mysql;
    if my && (base == "SET") {
        return Kind::Set(crate::dialects::quoted_literals(
            &data_type[data_type.find('(').unwrap_or(0)..],
        ));
    }
    if let Some(kind) = named_kind(base.as_str(), &t, &a, backend) {
        return kind;
    }
    if base.contains("INT") && !base.contains("INTERVAL") && !base.contains("POINT") {
        return Kind::Int {
            min: i64::from(i32::MIN),
            max: i64::from(i32::MAX),
        };
    }
    let max = match base.as_str() {
        "TINYTEXT" => Some(255),
        _ => a.first().map(|n| *n as usize),
    };
    Kind::Text { max }
}

/// The kind of a type known by name (`base`, upper-cased, without arguments; `t` the whole
/// upper-cased type, `a` its numeric arguments), or `None` for a text-like or unknown one.
fn named_kind(base: &str, t: &str, a: &[u32], backend: Backend) -> Option<Kind> {
    let pg = backend == Backend::Postgres;
    let my = backend == Backend::Mysql;
    let int = |min: i64, max: i64| Kind::Int { min, max };
    let unsigned = t.contains("UNSIGNED");
    let frac = |default: u32| a.first().copied().unwrap_or(default).min(6);
    let kind = match base {
        "BOOLEAN" | "BOOL" => Kind::Bool,
        "TINYINT" if a.first() == Some(&1) => Kind::Bool,
        "TINYINT" if unsigned => int(0, 255),
        "TINYINT" => int(-128, 127),
        "SMALLINT" | "INT2" | "SMALLSERIAL" => int(-32768, 32767),
        "MEDIUMINT" => int(-8_388_608, 8_388_607),
        "INTEGER" | "INT" | "INT4" | "SERIAL" => int(i64::from(i32::MIN), i64::from(i32::MAX)),
        "BIGINT" | "INT8" | "BIGSERIAL" => int(i64::MIN, i64::MAX),
        "NUMERIC" | "DECIMAL" | "DEC" => Kind::Decimal {
            precision: a.first().copied().unwrap_or(14),
            scale: a
                .get(1)
                .copied()
                .unwrap_or(if a.is_empty() { 4 } else { 0 }),
        },
        "FLOAT" | "REAL" | "DOUBLE" | "DOUBLE PRECISION" | "FLOAT4" | "FLOAT8" => Kind::Float,
        "DATE" => Kind::Date,
        "TIME" => Kind::Time {
            frac: frac(if my { 0 } else { 6 }),
            tz: false,
        },
        "TIMETZ" => Kind::Time {
            frac: frac(6),
            tz: pg,
        },
        "TIMESTAMP" | "DATETIME" => {
            let tz = pg && t.contains("WITH TIME ZONE");
            Kind::Timestamp {
                frac: frac(if my { 0 } else { 6 }),
                tz,
            }
        }
        "TIMESTAMPTZ" => Kind::Timestamp {
            frac: frac(6),
            tz: pg,
        },
        "JSON" | "JSONB" => Kind::Json,
        "UUID" => Kind::Uuid,
        "BLOB" | "BYTEA" | "LONGBLOB" | "MEDIUMBLOB" | "TINYBLOB" => Kind::Bytes { max: None },
        "BINARY" | "VARBINARY" => Kind::Bytes {
            max: a.first().map(|n| *n as usize),
        },
        "INTERVAL" if pg => Kind::Interval,
        "YEAR" => int(1901, 2155),
        "BIT" | "BIT VARYING" | "VARBIT" if pg => {
            Kind::Bits(a.first().copied().unwrap_or(1) as usize)
        }
        "BIT" => {
            let bits = a.first().copied().unwrap_or(1).min(62);
            int(0, (1i64 << bits) - 1)
        }
        "MONEY" => Kind::Decimal {
            precision: 12,
            scale: 2,
        },
        "INET" => Kind::Inet { cidr: false },
        "CIDR" => Kind::Inet { cidr: true },
        "INT4RANGE" | "INT8RANGE" => Kind::Range(Box::new(int(1, i64::from(i32::MAX)))),
        "NUMRANGE" => Kind::Range(Box::new(Kind::Decimal {
            precision: 10,
            scale: 2,
        })),
        "DATERANGE" => Kind::Range(Box::new(Kind::Date)),
        "TSRANGE" => Kind::Range(Box::new(Kind::Timestamp { frac: 0, tz: false })),
        "TSTZRANGE" => Kind::Range(Box::new(Kind::Timestamp { frac: 0, tz: true })),
        "POINT" if pg => Kind::Point,
        "MACADDR" | "MACADDR8" => Kind::MacAddr,
        "NAME" if pg => Kind::Text { max: Some(63) },
        "CHAR" | "CHARACTER" | "BPCHAR" if pg && a.is_empty() => Kind::Text { max: Some(1) },
        _ => return None,
    };
    Some(kind)
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 of text starting with `YYYY-MM-DD`.
fn day_of(text: &str) -> Option<i64> {
    let t = text.trim();
    let y: i64 = t.get(0..4)?.parse().ok()?;
    let m: u32 = t.get(5..7)?.parse().ok()?;
    let d: u32 = t.get(8..10)?.parse().ok()?;
    (t.as_bytes().get(4) == Some(&b'-')).then(|| days_from_civil(y, m, d))
}

fn date_text(days: i64) -> String {
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The day for round-and-row `n`: from 2001-01-01 on, one day apart per n, within the rule's
/// bounds.
fn day(n: u64, rule: &ValueRule) -> i64 {
    let mut lo = 11_323; // 2001-01-01
    let mut hi = lo + 10_000;
    if let Some(b) = &rule.lo
        && let Some(d) = day_of(&b.value)
    {
        lo = d + i64::from(b.strict);
        hi = hi.max(lo + 10_000);
    }
    if let Some(b) = &rule.hi
        && let Some(d) = day_of(&b.value)
    {
        hi = d - i64::from(b.strict);
        if lo > hi {
            lo = hi - 10_000;
        }
    }
    let span = (hi - lo).max(0) as u64 + 1;
    lo + (n % span) as i64
}

fn clock(n: u64, frac: u32, strategy: Strategy) -> String {
    let mut s = (n * 7919 + 3661) % 86_400;
    if s.is_multiple_of(60) {
        s += 7;
    }
    let mut out = format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    if frac > 0 && strategy == Strategy::Rich {
        let micro = (n * 104_729 + 123_457) % 1_000_000;
        let micro = if micro.is_multiple_of(10) {
            micro + 3
        } else {
            micro
        };
        let digits = format!("{micro:06}");
        out.push('.');
        out.push_str(&digits[..frac as usize]);
    }
    out
}

const OFFSET: &str = "+02:00";

/// The first row's text fills the column up to this many characters.
const LONG: usize = 40;

/// Distinct text for round-and-row `n`: `Zoë Ångström Email-3f` (cut from the middle when the
/// column is narrower, so that it keeps its mixed case, its non-ASCII letters and its tail).
fn rich_text(col: &str, n: u64, long: bool) -> String {
    let mut label: String = col
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(10)
        .collect();
    if let Some(first) = label.get_mut(0..1) {
        first.make_ascii_uppercase();
    } else {
        label = "Text".into();
    }
    let mut s = format!("Zoë Ångström {label}-{}", base36(n));
    if long {
        s.push_str(" Æble Øre Ça Va Überall Ñandú");
    }
    s
}

fn plain_text(col: &str, n: u64) -> String {
    let prefix: String = col
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(12)
        .collect();
    if prefix.is_empty() {
        format!("text v{}", base36(n))
    } else {
        format!("{prefix} v{}", base36(n))
    }
}

/// Cut `s` to `max` characters, keeping its distinguishing tail (`-3f`).
fn fit(s: &str, max: usize, tail: &str) -> String {
    let len = s.chars().count();
    if len <= max {
        return s.to_string();
    }
    let tail_len = tail.chars().count();
    if tail_len >= max {
        return tail.chars().skip(tail_len - max).collect();
    }
    let head: String = s.chars().take(max - tail_len).collect();
    format!("{head}{tail}")
}

fn apply_case(s: &str, case: Option<Case>) -> String {
    match case {
        Some(Case::Upper) => s.to_uppercase(),
        Some(Case::Lower) => s.to_lowercase(),
        None => s.to_string(),
    }
}

/// Whether `s` satisfies the text parts of `rule` within `width`.
pub(super) fn fits(s: &str, rule: &ValueRule, width: Option<usize>) -> bool {
    let len = s.chars().count();
    rule.min_len.is_none_or(|m| len >= m)
        && rule.max_len.is_none_or(|m| len <= m)
        && width.is_none_or(|w| len <= w)
        && match rule.case {
            Some(Case::Upper) => s.to_uppercase() == s,
            Some(Case::Lower) => s.to_lowercase() == s,
            None => true,
        }
        && rule.like.iter().all(|p| like_matches(p, s))
        && rule.regex.iter().all(|p| regex_matches(p, s))
        && !rule.not_in.iter().any(|v| v == s)
}

/// Text for a column: from the rule's list, its regular expression or `LIKE` pattern, or our
/// own, shaped to its case and length.
fn text(
    col: &str,
    max: Option<usize>,
    rule: &ValueRule,
    n: u64,
    row: usize,
    strategy: Strategy,
) -> String {
    let width = match (max, rule.max_len) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let tail = format!("-{}", base36(n));
    let body = match strategy {
        Strategy::Rich => rich_text(col, n, false),
        Strategy::Plain => plain_text(col, n),
        Strategy::Minimal => format!("v{}", base36(n)),
    };
    let mut candidates: Vec<String> = Vec::new();
    if let Some(p) = rule.regex.first() {
        let repeat = match strategy {
            Strategy::Rich => 8,
            Strategy::Plain => 4,
            Strategy::Minimal => 1,
        };
        if let Some(g) = Generator::new(p, repeat) {
            candidates.extend(g.samples(n.wrapping_mul(31).wrapping_add(row as u64), 6));
        }
    }
    if let Some(p) = rule.like.first() {
        let room = width.map(|w| w.saturating_sub(like_fixed_len(&p.text)));
        let fill = room.map_or(body.clone(), |r| fit(&body, r, &tail));
        candidates.push(fill_like(&p.text, &fill));
    }
    if candidates.is_empty() || rule.regex.is_empty() {
        // Rich text is as wide as the column allows in the first row.
        let mut s = body.clone();
        if strategy == Strategy::Rich
            && row == 0
            && let Some(w) = width
        {
            // Long enough to show a cut to a short width, not so long that every narrowing
            // of a wide column refuses the round's rows.
            let filler = " Zoë Ångström Æble Øre";
            while s.chars().count() < w.min(LONG) {
                s.push_str(filler);
            }
        }
        candidates.push(s);
    }
    let mut first: Option<String> = None;
    for c in candidates {
        let mut s = apply_case(&c, rule.case);
        if let Some(min) = rule.min_len {
            let pad = if rule.case == Some(Case::Upper) {
                'X'
            } else {
                'x'
            };
            while s.chars().count() < min {
                s.push(pad);
            }
        }
        if let Some(w) = width
            && rule.like.is_empty()
            && rule.regex.is_empty()
        {
            s = fit(&s, w, &apply_case(&tail, rule.case));
        }
        if fits(&s, rule, width) {
            return s;
        }
        first.get_or_insert(s);
    }
    first.unwrap_or(body)
}

/// An integer in the rule's bounds, derived from `n`.
fn int_in(n: i64, min: i64, max: i64, rule: &ValueRule) -> i64 {
    let lo = rule
        .lo
        .as_ref()
        .and_then(|b| b.number().map(|v| (v, b.strict)))
        .map_or(min, |(v, strict)| {
            let c = if strict {
                v.floor() as i64 + 1
            } else {
                v.ceil() as i64
            };
            c.max(min)
        });
    let hi = rule
        .hi
        .as_ref()
        .and_then(|b| b.number().map(|v| (v, b.strict)))
        .map_or(max, |(v, strict)| {
            let c = if strict {
                v.ceil() as i64 - 1
            } else {
                v.floor() as i64
            };
            c.min(max)
        });
    let lo = if rule.lo.is_none() && rule.hi.is_none() {
        lo.max(1)
    } else {
        lo
    };
    if hi < lo {
        return lo;
    }
    let span = (i128::from(hi) - i128::from(lo) + 1) as u128;
    let mut v = (i128::from(lo) + (n as u128 % span) as i128) as i64;
    let mut guard = 0;
    while rule.not_in.iter().any(|x| x.parse::<i64>() == Ok(v)) && guard < 16 {
        v = if v < hi { v + 1 } else { lo };
        guard += 1;
    }
    v
}

/// A decimal with `scale` digits after the point (the last one not zero when the bounds
/// allow), derived from `n`, within the type's precision and the rule's bounds.
fn decimal(n: u64, precision: u32, scale: u32, rule: &ValueRule, strategy: Strategy) -> String {
    let scale = scale.min(18);
    let unit = 10i128.pow(scale);
    let int_digits = precision.saturating_sub(scale).min(18);
    let type_max = 10i128.pow(int_digits) * unit - 1;
    let bound = |b: &super::checks::Bound, lower: bool| -> Option<i128> {
        let v = b.number()?;
        let scaled = v * unit as f64;
        let mut u = if lower { scaled.ceil() } else { scaled.floor() } as i128;
        if b.strict && (u as f64 - scaled).abs() < 1e-9 {
            u += if lower { 1 } else { -1 };
        }
        Some(u)
    };
    let lo = rule.lo.as_ref().and_then(|b| bound(b, true));
    let hi = rule.hi.as_ref().and_then(|b| bound(b, false));
    let lo_u = lo
        .unwrap_or(if hi.is_some() { -type_max } else { 0 })
        .max(-type_max);
    let hi_u = hi.unwrap_or(type_max).min(type_max);
    let n128 = i128::from(n);
    let int_part = match strategy {
        Strategy::Rich => 1000 + (n128 * 7919) % 9000,
        _ => n128,
    };
    let frac = if scale == 0 {
        0
    } else {
        let f = (n128 * 3_700_037 + 5_713) % unit;
        if f % 10 == 0 { f + 7 } else { f }
    };
    let mut u = (int_part * unit + frac).min(type_max);
    if u > type_max {
        u = type_max;
    }
    if u < lo_u || u > hi_u {
        let span = hi_u - lo_u;
        u = if span < 0 {
            lo_u
        } else {
            lo_u + (u % (span + 1))
        };
        if scale > 0 && u % 10 == 0 && u + 7 <= hi_u {
            u += 7;
        }
    }
    let neg = u < 0;
    let a = u.unsigned_abs();
    let unit = unit as u128;
    let body = if scale == 0 {
        a.to_string()
    } else {
        format!("{}.{:0width$}", a / unit, a % unit, width = scale as usize)
    };
    if neg { format!("-{body}") } else { body }
}

fn json_value(n: u64, rule: &ValueRule, strategy: Strategy) -> String {
    let items = rule.min_items.unwrap_or(0).max(3);
    let items = rule.max_items.map_or(items, |m| items.min(m));
    let array = |k: usize| -> String {
        let parts: Vec<String> = (0..k)
            .map(|i| match i % 3 {
                0 => format!(
                    "{{\"n\": {}, \"name\": \"Zoë {}\"}}",
                    n + i as u64,
                    base36(n)
                ),
                1 => "[1, 2.5, \"Å\"]".to_string(),
                _ => "true".to_string(),
            })
            .collect();
        format!("[{}]", parts.join(", "))
    };
    match rule.json_type.as_deref() {
        Some("array") => array(items),
        Some("string") => format!("\"Zoë {}\"", base36(n)),
        Some("number" | "integer") => n.to_string(),
        Some("boolean") => "true".into(),
        Some("null") => "null".into(),
        _ => match strategy {
            Strategy::Rich => format!(
                "{{\"name\": \"Zoë Ångström-{}\", \"n\": {n}, \"ratio\": 0.25, \"ok\": true, \
                 \"tags\": [\"Å\", 1, null], \"nested\": {{\"list\": [1, 2], \"k\": \"v\"}}}}",
                base36(n)
            ),
            Strategy::Plain => format!("{{\"mrt\": \"v{}\", \"n\": {n}}}", base36(n)),
            Strategy::Minimal => format!("{{\"n\": {n}}}"),
        },
    }
}

/// One array element as text inside a PostgreSQL array literal.
fn array_element(v: &Lit) -> String {
    match v {
        Lit::Null => "NULL".into(),
        Lit::Int(i) => i.to_string(),
        Lit::Num(s) => s.clone(),
        Lit::Bool(b) => if *b { "t" } else { "f" }.into(),
        Lit::Str(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
        Lit::Bytes(b) => format!("\"\\\\x{}\"", crate::dialects::hex(b)),
    }
}

/// A value of `kind` for round-and-row `n` (`row` is its place in the round).
#[must_use]
pub fn value(
    name: &str,
    kind: &Kind,
    rule: &ValueRule,
    n: u64,
    row: usize,
    strategy: Strategy,
) -> Lit {
    if let Some(pick) = one_of_value(kind, rule, row) {
        return pick;
    }
    match kind {
        Kind::Int { min, max } => Lit::Int(int_in(n as i64, *min, *max, rule)),
        Kind::Decimal { precision, scale } => {
            Lit::Num(decimal(n, *precision, *scale, rule, strategy))
        }
        Kind::Float => Lit::Num(decimal(n, 15, 3, rule, strategy)),
        Kind::Bool => Lit::Bool(row.is_multiple_of(2)),
        Kind::Date => Lit::Str(date_text(day(n, rule))),
        Kind::Time { frac, tz } => {
            let mut s = clock(n, *frac, strategy);
            if *tz && strategy == Strategy::Rich {
                s.push_str(OFFSET);
            }
            Lit::Str(s)
        }
        Kind::Timestamp { frac, tz } => {
            let mut s = format!("{} {}", date_text(day(n, rule)), clock(n, *frac, strategy));
            if *tz && strategy == Strategy::Rich {
                s.push_str(OFFSET);
            }
            Lit::Str(s)
        }
        Kind::Text { max } => Lit::Str(text(name, *max, rule, n, row, strategy)),
        Kind::Json => Lit::Str(json_value(n, rule, strategy)),
        Kind::Uuid => Lit::Str(format!(
            "6d72742d-{:04x}-4000-8000-{:012x}",
            (n >> 48) & 0xffff,
            n & 0xffff_ffff_ffff
        )),
        Kind::Bytes { max } => Lit::Bytes(bytes(n, *max, strategy)),
        Kind::Enum(values) if !values.is_empty() => {
            let allowed: Vec<&String> =
                values.iter().filter(|v| !rule.not_in.contains(v)).collect();
            let pick = allowed.get(row % allowed.len().max(1)).copied();
            Lit::Str(pick.unwrap_or(&values[0]).clone())
        }
        Kind::Enum(_) => Lit::Null,
        Kind::Set(values) => Lit::Str(set_text(values, row, strategy)),
        Kind::Interval => Lit::Str(match strategy {
            Strategy::Rich => format!(
                "{} days {:02}:{:02}:{:02}.{:03}",
                n % 400,
                n % 24,
                (n * 7) % 60,
                (n * 13) % 59 + 1,
                (n * 17) % 999 + 1
            ),
            _ => format!("{} seconds", n % 100_000 + 1),
        }),
        Kind::Array(elem) => Lit::Str(array_text(name, elem, rule, n, row, strategy)),
        Kind::Inet { cidr: false } => {
            Lit::Str(format!("192.168.{}.{}", (n >> 8) % 256, n % 254 + 1))
        }
        Kind::Inet { cidr: true } => Lit::Str(format!("10.{}.{}.0/24", (n >> 8) % 256, n % 256)),
        Kind::Range(elem) => Lit::Str(range(name, elem, n, row)),
        Kind::Point => Lit::Str(format!("({},{}.5)", n % 1000, n % 997)),
        Kind::MacAddr => Lit::Str(format!(
            "08:00:2b:{:02x}:{:02x}:{:02x}",
            (n >> 16) & 0xff,
            (n >> 8) & 0xff,
            n & 0xff
        )),
        Kind::Bits(len) => Lit::Str(bits_text(n, *len)),
    }
}

/// A value from the CHECK's `IN (...)` list (less its `NOT IN`), as `kind` writes it.
fn one_of_value(kind: &Kind, rule: &ValueRule, row: usize) -> Option<Lit> {
    let list = rule.one_of.as_ref()?;
    let allowed: Vec<&String> = list.iter().filter(|v| !rule.not_in.contains(v)).collect();
    let pick = allowed.get(row % allowed.len().max(1))?;
    Some(match kind {
        Kind::Int { .. } => pick
            .parse()
            .map_or_else(|_| Lit::Str((*pick).clone()), Lit::Int),
        Kind::Decimal { .. } | Kind::Float => Lit::Num((*pick).clone()),
        Kind::Bool => Lit::Bool(matches!(pick.as_str(), "1" | "true" | "t")),
        _ => Lit::Str((*pick).clone()),
    })
}

/// Bytes for round-and-row `n`, cut to the last `max` when the column has a length.
fn bytes(n: u64, max: Option<usize>, strategy: Strategy) -> Vec<u8> {
    let mut b = match strategy {
        Strategy::Rich => {
            let mut b = vec![0x00, 0xff, b'M', b'r'];
            b.extend(n.to_string().into_bytes());
            b
        }
        _ => format!("mrt{n}").into_bytes(),
    };
    if let Some(m) = max
        && b.len() > m
    {
        b = b[b.len() - m..].to_vec();
    }
    b
}

/// A MySQL SET value: one label, two under the rich strategy (empty for a SET of none).
fn set_text(values: &[String], row: usize, strategy: Strategy) -> String {
    if values.is_empty() {
        return String::new();
    }
    let a = row % values.len();
    let b = (row + 1) % values.len();
    let mut picked = vec![a];
    if strategy == Strategy::Rich && b != a {
        picked.push(b);
    }
    picked.sort_unstable();
    let labels: Vec<&str> = picked.iter().map(|i| values[*i].as_str()).collect();
    labels.join(",")
}

/// A PostgreSQL array literal of `elem` values, as many as the CHECK allows (two at least).
fn array_text(
    name: &str,
    elem: &Kind,
    rule: &ValueRule,
    n: u64,
    row: usize,
    strategy: Strategy,
) -> String {
    let count = rule.min_items.unwrap_or(0).max(2);
    let count = rule.max_items.map_or(count, |m| count.min(m));
    let none = ValueRule::default();
    let parts: Vec<String> = (0..count)
        .map(|i| {
            array_element(&value(
                name,
                elem,
                &none,
                n * 10 + i as u64,
                row + i,
                strategy,
            ))
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

/// A bit string of `len` bits from `n` (the first bit set).
fn bits_text(n: u64, len: usize) -> String {
    (0..len)
        .map(|i| {
            if (n >> (i % 64)) & 1 == 1 || i == 0 {
                '1'
            } else {
                '0'
            }
        })
        .collect()
}

/// A non-empty range `[a,b)` of `elem` values.
fn range(name: &str, elem: &Kind, n: u64, row: usize) -> String {
    let none = ValueRule::default();
    let a = value(name, elem, &none, n, row, Strategy::Plain);
    let b = match &a {
        Lit::Int(i) => Lit::Int(i + 10),
        other => shifted(other, 40).unwrap_or_else(|| other.clone()),
    };
    let text = |v: &Lit| match (v, elem) {
        (Lit::Str(s), Kind::Timestamp { tz: true, .. }) => format!("\"{s}{OFFSET}\""),
        (Lit::Str(s), _) => format!("\"{s}\""),
        (Lit::Int(i), _) => i.to_string(),
        (Lit::Num(s), _) => s.clone(),
        _ => String::new(),
    };
    format!("[{},{})", text(&a), text(&b))
}

/// Whether `a op b` holds for two values of one kind (None when they cannot be compared).
#[must_use]
pub fn ordering(a: &Lit, b: &Lit) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Lit::Int(x), Lit::Int(y)) => Some(x.cmp(y)),
        (Lit::Num(x), Lit::Num(y)) => x.parse::<f64>().ok()?.partial_cmp(&y.parse::<f64>().ok()?),
        (Lit::Str(x), Lit::Str(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// A generated UUID made unique to `scope` (`table.column`): real UUIDs never repeat across
/// tables, and a data migration that copies rows from one table into another keyed by UUID
/// must not fail on a collision only the seeder made. 24 bits of the scope's FNV-1a hash go
/// in the third and fourth groups (version 4 and variant bits kept).
#[must_use]
pub fn scoped_uuid(v: Lit, scope: &str) -> Lit {
    match v {
        Lit::Str(s) if s.len() == 36 && s.starts_with(UUID_PREFIX) => {
            let mut h: u32 = 0x811c_9dc5;
            for b in scope.bytes() {
                h ^= u32::from(b);
                h = h.wrapping_mul(0x0100_0193);
            }
            Lit::Str(format!(
                "{}-4{:03x}-8{:03x}-{}",
                &s[..13],
                (h >> 12) & 0xfff,
                h & 0xfff,
                &s[24..]
            ))
        }
        other => other,
    }
}

const UUID_PREFIX: &str = "6d72742d-";

/// A value of the same kind as `v`, `step` units (days for dates) further.
#[must_use]
pub fn shifted(v: &Lit, step: i64) -> Option<Lit> {
    match v {
        Lit::Int(i) => Some(Lit::Int(i.checked_add(step)?)),
        Lit::Num(s) => {
            let (int, frac) = s.split_once('.').unwrap_or((s, ""));
            let i: i128 = int.parse().ok()?;
            let i = i + i128::from(step);
            Some(Lit::Num(if frac.is_empty() {
                i.to_string()
            } else {
                format!("{i}.{frac}")
            }))
        }
        Lit::Str(s) => {
            let d = day_of(s)?;
            Some(Lit::Str(format!("{}{}", date_text(d + step), &s[10..])))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::checks::{Bound, Pattern};
    use super::*;

    fn k(t: &str, backend: Backend) -> Kind {
        kind_of(t, None, backend, &|_| None)
    }

    fn text_of(l: Lit) -> String {
        match l {
            Lit::Str(s) | Lit::Num(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn kinds_per_backend() {
        assert_eq!(
            k("YEAR", Backend::Mysql),
            Kind::Int {
                min: 1901,
                max: 2155
            }
        );
        assert_eq!(k("TINYINT(1)", Backend::Mysql), Kind::Bool);
        assert_eq!(k("INET", Backend::Postgres), Kind::Inet { cidr: false });
        assert_eq!(
            k("TIMESTAMPTZ", Backend::Postgres),
            Kind::Timestamp { frac: 6, tz: true }
        );
        assert_eq!(
            k("DATETIME", Backend::Mysql),
            Kind::Timestamp { frac: 0, tz: false }
        );
        assert_eq!(
            k("DATETIME(6)", Backend::Mysql),
            Kind::Timestamp { frac: 6, tz: false }
        );
        assert_eq!(
            k("INTEGER[]", Backend::Postgres),
            Kind::Array(Box::new(Kind::Int {
                min: i64::from(i32::MIN),
                max: i64::from(i32::MAX)
            }))
        );
        assert_eq!(
            k("SET('a','b')", Backend::Mysql),
            Kind::Set(vec!["a".into(), "b".into()])
        );
        assert_eq!(k("bit(3)", Backend::Postgres), Kind::Bits(3));
        let moods = kind_of("mood[]", None, Backend::Postgres, &|t| {
            (t == "mood").then(|| vec!["ok".to_string()])
        });
        assert_eq!(moods, Kind::Array(Box::new(Kind::Enum(vec!["ok".into()]))));
    }

    #[test]
    fn rich_text_is_mixed_case_non_ascii_and_fits_the_width() {
        let none = ValueRule::default();
        let t = text_of(value(
            "title",
            &Kind::Text { max: None },
            &none,
            123,
            1,
            Strategy::Rich,
        ));
        assert!(t.chars().count() > 10 && !t.is_ascii(), "{t}");
        assert!(t.to_lowercase() != t && t.to_uppercase() != t, "{t}");
        let wide = text_of(value(
            "title",
            &Kind::Text { max: Some(30) },
            &none,
            123,
            0,
            Strategy::Rich,
        ));
        assert_eq!(wide.chars().count(), 30, "{wide}");
        assert!(wide.ends_with("-3f"), "{wide}");
        let narrow = text_of(value(
            "title",
            &Kind::Text { max: Some(5) },
            &none,
            123,
            1,
            Strategy::Rich,
        ));
        assert!(
            narrow.chars().count() <= 5 && narrow.ends_with("3f"),
            "{narrow}"
        );
        let upper = ValueRule {
            case: Some(Case::Upper),
            ..ValueRule::default()
        };
        let u = text_of(value(
            "code",
            &Kind::Text { max: Some(12) },
            &upper,
            7,
            1,
            Strategy::Rich,
        ));
        assert_eq!(u.to_uppercase(), u);
    }

    #[test]
    fn text_follows_like_regex_and_length() {
        let email = ValueRule {
            like: vec![Pattern {
                text: "%@%".into(),
                case_insensitive: false,
            }],
            ..ValueRule::default()
        };
        let e = text_of(value(
            "email",
            &Kind::Text { max: Some(20) },
            &email,
            9,
            0,
            Strategy::Rich,
        ));
        assert!(e.contains('@') && e.chars().count() <= 20, "{e}");
        let slug = ValueRule {
            regex: vec![Pattern {
                text: "^[a-z0-9-]+$".into(),
                case_insensitive: false,
            }],
            min_len: Some(3),
            ..ValueRule::default()
        };
        for n in 0..20 {
            let s = text_of(value(
                "slug",
                &Kind::Text { max: Some(30) },
                &slug,
                n,
                0,
                Strategy::Rich,
            ));
            assert!(fits(&s, &slug, Some(30)), "{s}");
        }
    }

    #[test]
    fn numbers_use_their_scale_and_bounds() {
        let none = ValueRule::default();
        let d = text_of(value(
            "total",
            &Kind::Decimal {
                precision: 10,
                scale: 2,
            },
            &none,
            5,
            0,
            Strategy::Rich,
        ));
        let (i, f) = d.split_once('.').unwrap();
        assert!(i.len() == 4 && f.len() == 2 && !f.ends_with('0'), "{d}");
        let ranged = ValueRule {
            lo: Some(Bound {
                value: "0".into(),
                strict: true,
            }),
            hi: Some(Bound {
                value: "1".into(),
                strict: false,
            }),
            ..ValueRule::default()
        };
        for n in 0..50 {
            let v: f64 = text_of(value(
                "p",
                &Kind::Decimal {
                    precision: 5,
                    scale: 3,
                },
                &ranged,
                n,
                0,
                Strategy::Rich,
            ))
            .parse()
            .unwrap();
            assert!(v > 0.0 && v <= 1.0, "{v}");
            let Lit::Int(i) = value(
                "q",
                &Kind::Int { min: 0, max: 100 },
                &ranged,
                n,
                0,
                Strategy::Rich,
            ) else {
                panic!()
            };
            assert_eq!(i, 1);
        }
    }

    #[test]
    fn times_have_seconds_fractions_and_offsets() {
        let none = ValueRule::default();
        let ts = text_of(value(
            "at",
            &Kind::Timestamp { frac: 6, tz: true },
            &none,
            3,
            0,
            Strategy::Rich,
        ));
        assert!(ts.ends_with("+02:00") && ts.contains('.'), "{ts}");
        assert_ne!(&ts[17..19], "00", "{ts}");
        let plain = text_of(value(
            "at",
            &Kind::Timestamp { frac: 0, tz: false },
            &none,
            3,
            0,
            Strategy::Rich,
        ));
        assert_eq!(plain.len(), 19, "{plain}");
        let after = ValueRule {
            lo: Some(Bound {
                value: "2030-01-01".into(),
                strict: false,
            }),
            ..ValueRule::default()
        };
        assert!(
            text_of(value("d", &Kind::Date, &after, 3, 0, Strategy::Rich)).as_str() >= "2030-01-01"
        );
        assert_eq!(
            shifted(&Lit::Str("2001-02-28 10:00:00".into()), 1),
            Some(Lit::Str("2001-03-01 10:00:00".into()))
        );
        assert_eq!(day_of("1970-01-02"), Some(1));
    }

    #[test]
    fn composite_values() {
        let none = ValueRule::default();
        let arr = text_of(value(
            "tags",
            &Kind::Array(Box::new(Kind::Text { max: None })),
            &none,
            3,
            0,
            Strategy::Rich,
        ));
        assert!(arr.starts_with("{\"") && arr.contains(','), "{arr}");
        let j = text_of(value("doc", &Kind::Json, &none, 3, 0, Strategy::Rich));
        let parsed: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert!(parsed["nested"]["list"].is_array());
        let arr_rule = ValueRule {
            json_type: Some("array".into()),
            ..ValueRule::default()
        };
        let a: serde_json::Value = serde_json::from_str(&text_of(value(
            "doc",
            &Kind::Json,
            &arr_rule,
            3,
            0,
            Strategy::Rich,
        )))
        .unwrap();
        assert!(a.as_array().is_some_and(|a| !a.is_empty()));
        assert_eq!(
            text_of(value(
                "r",
                &Kind::Range(Box::new(Kind::Int { min: 1, max: 100 })),
                &none,
                3,
                0,
                Strategy::Rich
            )),
            "[4,14)"
        );
    }
}
