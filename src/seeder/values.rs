//! Type- and constraint-aware values. Every value is derived from a number `n` that is unique
//! per (seeding round, row), so two rounds never write the same value by accident, and every
//! string holds lower-case letters so that case-changing updates are visible.

use super::checks::Rule;
use crate::dialects::Lit;
use crate::snapshot::schema::Column;

/// The shape of a column's type, as far as generating values goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Int { min: i64, max: i64 },
    Decimal { precision: u32, scale: u32 },
    Float,
    Bool,
    Date,
    Time,
    Timestamp,
    Text { max: Option<usize> },
    Json,
    Uuid,
    Bytes,
    Enum(Vec<String>),
    Interval,
    Array,
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

#[must_use]
pub fn kind_of(col: &Column) -> Kind {
    if let Some(values) = &col.enum_values {
        return Kind::Enum(values.clone());
    }
    let t = col.data_type.to_ascii_uppercase();
    let base = t.split('(').next().unwrap_or("").trim().to_string();
    let a = args(&t);
    if t.ends_with("[]") {
        return Kind::Array;
    }
    match base.as_str() {
        "BOOLEAN" | "BOOL" => return Kind::Bool,
        "TINYINT" if a.first() == Some(&1) => return Kind::Bool,
        "TINYINT" => {
            return Kind::Int {
                min: -128,
                max: 127,
            };
        }
        "SMALLINT" | "INT2" => {
            return Kind::Int {
                min: -32768,
                max: 32767,
            };
        }
        "MEDIUMINT" => {
            return Kind::Int {
                min: -8_388_608,
                max: 8_388_607,
            };
        }
        "INTEGER" | "INT" | "INT4" | "SERIAL" => {
            return Kind::Int {
                min: i64::from(i32::MIN),
                max: i64::from(i32::MAX),
            };
        }
        "BIGINT" | "INT8" | "BIGSERIAL" => {
            return Kind::Int {
                min: i64::MIN,
                max: i64::MAX,
            };
        }
        "NUMERIC" | "DECIMAL" => {
            return Kind::Decimal {
                precision: a.first().copied().unwrap_or(12),
                scale: a
                    .get(1)
                    .copied()
                    .unwrap_or(if a.is_empty() { 2 } else { 0 }),
            };
        }
        "FLOAT" | "REAL" | "DOUBLE" | "DOUBLE PRECISION" | "FLOAT4" | "FLOAT8" => {
            return Kind::Float;
        }
        "DATE" => return Kind::Date,
        "TIME" | "TIMETZ" => return Kind::Time,
        "TIMESTAMP" | "TIMESTAMPTZ" | "DATETIME" => return Kind::Timestamp,
        "JSON" | "JSONB" => return Kind::Json,
        "UUID" => return Kind::Uuid,
        "BLOB" | "BYTEA" | "BINARY" | "VARBINARY" | "LONGBLOB" | "MEDIUMBLOB" | "TINYBLOB" => {
            return Kind::Bytes;
        }
        "INTERVAL" => return Kind::Interval,
        _ => {}
    }
    if base.contains("INT") {
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

fn date(n: u64) -> String {
    // From 2001-01-01 on, one day per n, wrapping after ~27 years.
    let (y, m, d) = civil(11_323 + (n % 10_000) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

fn time(n: u64) -> String {
    let s = (n * 7919 + 3661) % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn text_value(col: &str, n: u64, max: Option<usize>, rule: &Rule) -> String {
    let core = format!("v{}", base36(n));
    let prefix: String = col
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(12)
        .collect();
    let mut s = match &rule.like {
        Some(p) => {
            let mut out = String::new();
            let mut used = false;
            for ch in p.chars() {
                match ch {
                    '%' if !used => {
                        out.push_str(&core);
                        used = true;
                    }
                    '%' => {}
                    '_' => out.push('a'),
                    c => out.push(c),
                }
            }
            out
        }
        None if prefix.is_empty() => format!("text {core}"),
        None => format!("{prefix} {core}"),
    };
    let max = match (max, rule.max_len) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(min) = rule.min_len {
        while s.chars().count() < min {
            s.push('x');
        }
    }
    if let Some(max) = max
        && s.chars().count() > max
    {
        // Keep the distinguishing part.
        s = if core.len() <= max {
            core[core.len().saturating_sub(max)..].to_string()
        } else {
            core[core.len() - max..].to_string()
        };
        if max > 0 && !s.chars().any(|c| c.is_ascii_lowercase()) {
            s.replace_range(0..1, "v");
        }
    }
    s
}

fn clamp_int(n: i64, min: i64, max: i64, rule: &Rule) -> i64 {
    let lo = rule.lo.map_or(min, |l| (l.ceil() as i64).max(min));
    let hi = rule.hi.map_or(max, |h| (h.floor() as i64).min(max));
    let lo = if rule.lo.is_none() && rule.hi.is_none() {
        lo.max(1)
    } else {
        lo
    };
    if hi < lo {
        return lo;
    }
    let span = (hi as i128 - lo as i128 + 1) as u128;
    (lo as i128 + (n as u128 % span) as i128) as i64
}

/// A value for `col` in row `n` (unique per round and row); `variant` > 0 asks for another
/// try after the database refused the first one.
#[must_use]
pub fn value(col: &Column, kind: &Kind, n: u64, row: usize, variant: u32, rule: &Rule) -> Lit {
    if let Some(list) = &rule.one_of {
        let pick = &list[(row + variant as usize) % list.len()];
        return match kind {
            Kind::Int { .. } => pick
                .parse()
                .map_or_else(|_| Lit::Str(pick.clone()), Lit::Int),
            Kind::Decimal { .. } | Kind::Float => Lit::Num(pick.clone()),
            _ => Lit::Str(pick.clone()),
        };
    }
    let n = n + u64::from(variant) * 7;
    match kind {
        Kind::Int { min, max } => Lit::Int(clamp_int(n as i64, *min, *max, rule)),
        Kind::Decimal { precision, scale } => {
            let int_digits = precision.saturating_sub(*scale).min(9);
            let int_mod = 10u64.pow(int_digits);
            let mut int_part = if int_mod > 1 { n % int_mod } else { 0 };
            if let Some(lo) = rule.lo {
                int_part = int_part.max(lo.max(0.0).ceil() as u64);
            }
            if let Some(hi) = rule.hi {
                int_part = int_part
                    .min(hi.max(0.0).floor() as u64 - u64::from(hi.fract() == 0.0 && hi >= 1.0));
            }
            if *scale == 0 {
                Lit::Num(int_part.to_string())
            } else {
                let s = (*scale).min(6);
                let frac = (n * 37 + 13) % 10u64.pow(s);
                let frac = if frac == 0 { 1 } else { frac };
                Lit::Num(format!("{int_part}.{frac:0width$}", width = s as usize))
            }
        }
        Kind::Float => {
            let base = clamp_int(n as i64, -1_000_000, 1_000_000, rule);
            Lit::Num(format!("{base}.25"))
        }
        Kind::Bool => Lit::Bool((row + variant as usize).is_multiple_of(2)),
        Kind::Date => Lit::Str(date(n)),
        Kind::Time => Lit::Str(time(n)),
        Kind::Timestamp => Lit::Str(format!("{} {}", date(n), time(n))),
        Kind::Text { max } => Lit::Str(text_value(&col.name, n, *max, rule)),
        Kind::Json => Lit::Str(format!("{{\"mrt\": \"v{}\", \"n\": {n}}}", base36(n))),
        Kind::Uuid => Lit::Str(format!(
            "6d72742d-0000-4000-8000-{:012x}",
            n & 0xffff_ffff_ffff
        )),
        Kind::Bytes => Lit::Bytes(format!("mrt{n}").into_bytes()),
        Kind::Enum(values) if !values.is_empty() => {
            Lit::Str(values[(row + variant as usize) % values.len()].clone())
        }
        Kind::Enum(_) => Lit::Null,
        Kind::Interval => Lit::Str(format!("{} seconds", n % 100_000)),
        Kind::Array => Lit::Str("{}".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: &str) -> Column {
        Column {
            name: name.into(),
            data_type: ty.into(),
            nullable: true,
            default: None,
            autoincrement: false,
            generated: false,
            enum_values: None,
        }
    }

    #[test]
    fn values_fit_their_types() {
        let r = Rule::default();
        let c = col("Title", "VARCHAR(5)");
        let Lit::Str(s) = value(&c, &kind_of(&c), 123_456, 0, 0, &r) else {
            panic!()
        };
        assert!(
            s.len() <= 5 && s.chars().any(|c| c.is_ascii_lowercase()),
            "{s}"
        );
        let c = col("total", "NUMERIC(10,2)");
        assert_eq!(
            value(&c, &kind_of(&c), 5, 0, 0, &r),
            Lit::Num("5.98".into())
        );
        let c = col("d", "DATE");
        assert_eq!(
            value(&c, &kind_of(&c), 0, 0, 0, &r),
            Lit::Str("2001-01-01".into())
        );
        let ranged = Rule {
            lo: Some(1.0),
            hi: Some(5.0),
            ..Rule::default()
        };
        let c = col("qty", "INTEGER");
        let Lit::Int(i) = value(&c, &kind_of(&c), 99, 0, 0, &ranged) else {
            panic!()
        };
        assert!((1..=5).contains(&i));
        let like = Rule {
            like: Some("%@%.com".into()),
            ..Rule::default()
        };
        let c = col("email", "VARCHAR(255)");
        let Lit::Str(e) = value(&c, &kind_of(&c), 7, 0, 0, &like) else {
            panic!()
        };
        assert_eq!(e, "v7@.com");
    }
}
