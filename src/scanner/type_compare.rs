//! Whether a column type change narrows, widens, or cannot be told from the types.

use super::model::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    Same,
    Widening,
    Narrowing,
    Unknown,
}

#[derive(Clone, Debug, PartialEq)]
enum Family {
    /// Bounded text with a length (`None` = unbounded).
    Text(Option<i64>),
    /// Integer of n bytes.
    Int(u8),
    /// Fixed point with precision and scale.
    Numeric(Option<i64>, Option<i64>),
    Float,
    DateTime,
    Date,
    /// Any other type, by name and its integer arguments (`AutoString(4096)` is not
    /// `AutoString()`).
    Other(String, Vec<i64>),
}

/// `sa.String(50)` / `VARCHAR(50)` / `sa.Text` → a type family.
fn family(value: &Value) -> Option<Family> {
    let (name, args): (String, Vec<i64>) = match value {
        Value::Call { name, args } => (
            name.clone(),
            args.iter()
                .filter_map(|a| {
                    if let Value::Int(i) = a {
                        Some(*i)
                    } else {
                        None
                    }
                })
                .collect(),
        ),
        Value::Name(text) => {
            // Raw SQL types arrive as text: `VARCHAR(50)`, `NUMERIC(10,2)`.
            let (head, rest) = text.split_once('(').unwrap_or((text.as_str(), ""));
            let args = rest
                .trim_end_matches(')')
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect();
            (head.trim().to_string(), args)
        }
        _ => return None,
    };
    let upper = name.to_ascii_uppercase();
    Some(match upper.as_str() {
        "STRING" | "VARCHAR" | "UNICODE" | "NVARCHAR" | "CHAR" | "NCHAR" | "CHARACTER VARYING"
        | "CHARFIELD" => Family::Text(args.first().copied()),
        "TEXT" | "UNICODETEXT" | "CLOB" | "LONGTEXT" | "MEDIUMTEXT" | "TEXTFIELD" => {
            Family::Text(None)
        }
        "SMALLINTEGER" | "SMALLINT" | "INT2" | "SMALLINTEGERFIELD" => Family::Int(2),
        "INTEGER" | "INT" | "INT4" | "INTEGERFIELD" => Family::Int(4),
        "BIGINTEGER" | "BIGINT" | "INT8" | "BIGINTEGERFIELD" => Family::Int(8),
        "NUMERIC" | "DECIMAL" | "DECIMALFIELD" => {
            Family::Numeric(args.first().copied(), args.get(1).copied())
        }
        "FLOAT" | "REAL" | "DOUBLE" | "DOUBLE_PRECISION" | "DOUBLE PRECISION" | "FLOATFIELD" => {
            Family::Float
        }
        "DATETIME" | "TIMESTAMP" | "DATETIMEFIELD" => Family::DateTime,
        "DATE" | "DATEFIELD" => Family::Date,
        _ => Family::Other(upper, args),
    })
}

/// The lengths of two bounded text types (`String(256)`, `VARCHAR(255)`), when both have one.
pub(crate) fn text_lengths(old: &Value, new: &Value) -> Option<(i64, i64)> {
    match (family(old)?, family(new)?) {
        (Family::Text(Some(a)), Family::Text(Some(b))) => Some((a, b)),
        _ => None,
    }
}

/// Compare the old (`existing_type`) and new (`type_`) types.
pub(crate) fn compare(old: Option<&Value>, new: &Value) -> Change {
    let (Some(old), Some(new)) = (old.and_then(family), family(new)) else {
        return Change::Unknown;
    };
    use Family::{Date, DateTime, Float, Int, Numeric, Other, Text};
    match (&old, &new) {
        _ if old == new => Change::Same,
        (Text(a), Text(b)) => match (a, b) {
            (_, None) => Change::Widening,
            (None, Some(_)) => Change::Narrowing,
            (Some(a), Some(b)) => {
                if b < a {
                    Change::Narrowing
                } else {
                    Change::Widening
                }
            }
        },
        (Int(a), Int(b)) => {
            if b < a {
                Change::Narrowing
            } else {
                Change::Widening
            }
        }
        (Numeric(pa, sa), Numeric(pb, sb)) => match (pa, pb) {
            (Some(pa), Some(pb)) if pb < pa || sb < sa => Change::Narrowing,
            (Some(_), Some(_)) => Change::Widening,
            _ => Change::Unknown,
        },
        (Float | Numeric(..), Int(_)) | (DateTime, Date) => Change::Narrowing,
        (Int(_), Numeric(..) | Float | Text(None)) | (Date, DateTime) => Change::Widening,
        // A UUID's text form is 36 characters: a string that long or longer holds every value.
        (Other(u, _), Text(n)) if is_uuid(u) && n.is_none_or(|n| n >= 36) => Change::Widening,
        _ => Change::Unknown,
    }
}

fn is_uuid(name: &str) -> bool {
    matches!(name, "UUID" | "UUIDTYPE" | "UUIDFIELD")
}

/// Human form of a type for messages.
pub(crate) fn show(value: &Value) -> String {
    match value {
        Value::Call { name, args } => {
            let args: Vec<String> = args
                .iter()
                .map(|a| match a {
                    Value::Int(i) => i.to_string(),
                    Value::Str(s) => format!("{s:?}"),
                    _ => "…".to_string(),
                })
                .collect();
            format!("{name}({})", args.join(", "))
        }
        Value::Name(n) => n.clone(),
        _ => "?".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: &[i64]) -> Value {
        Value::Call {
            name: name.into(),
            args: args.iter().map(|a| Value::Int(*a)).collect(),
        }
    }

    #[test]
    fn narrowing_and_widening() {
        assert_eq!(
            compare(Some(&call("String", &[200])), &call("String", &[50])),
            Change::Narrowing
        );
        assert_eq!(
            compare(Some(&call("String", &[50])), &call("String", &[200])),
            Change::Widening
        );
        assert_eq!(
            compare(Some(&Value::Name("Text".into())), &call("String", &[50])),
            Change::Narrowing
        );
        assert_eq!(
            compare(
                Some(&Value::Name("BigInteger".into())),
                &Value::Name("Integer".into())
            ),
            Change::Narrowing
        );
        assert_eq!(compare(None, &call("String", &[50])), Change::Unknown);
        // zenml c1b18cec3a48: SQLModel's AutoString() to AutoString(4096). Not `String`:
        // AutoString() is VARCHAR(255) on MySQL, so what it does depends on the database.
        assert_eq!(
            compare(Some(&call("AutoString", &[])), &call("AutoString", &[4096])),
            Change::Unknown
        );
        // Another type is the same only with the same arguments.
        assert_eq!(
            compare(Some(&call("Geometry", &[2])), &call("Geometry", &[3])),
            Change::Unknown
        );
        assert_eq!(
            compare(Some(&call("Geometry", &[2])), &call("Geometry", &[2])),
            Change::Same
        );
        assert_eq!(
            compare(
                Some(&Value::Name("VARCHAR(20)".into())),
                &Value::Name("TEXT".into())
            ),
            Change::Widening
        );
    }
}
