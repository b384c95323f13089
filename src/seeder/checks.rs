//! What a table's CHECK constraints ask of each column, as far as simple shapes go:
//! comparisons with constants, `BETWEEN`, `IN` lists (and PostgreSQL's `= ANY (ARRAY[...])`),
//! `LIKE` patterns and `length(col)` bounds. Anything else is left to trial and error.

use std::collections::HashMap;

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, UnaryOperator, Value,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

/// Constraints on one column's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rule {
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    pub one_of: Option<Vec<String>>,
    pub like: Option<String>,
    pub min_len: Option<usize>,
    pub max_len: Option<usize>,
    pub not_equal: Vec<String>,
}

/// Column name (lower case) → rule, from the table's normalized CHECK expressions.
#[must_use]
pub fn rules(checks: &[&str]) -> HashMap<String, Rule> {
    let mut out: HashMap<String, Rule> = HashMap::new();
    for text in checks {
        if let Ok(expr) = Parser::new(&GenericDialect {})
            .try_with_sql(text)
            .and_then(|mut p| p.parse_expr())
        {
            walk(&expr, &mut out);
        }
        any_array(text, &mut out);
    }
    out
}

fn column(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(i) => Some(i.value.to_ascii_lowercase()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.to_ascii_lowercase()),
        Expr::Nested(inner) => column(inner),
        _ => None,
    }
}

fn constant(e: &Expr) -> Option<String> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => Some(n.clone()),
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Some(s.clone()),
            Value::Boolean(b) => Some(b.to_string()),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => constant(expr).map(|c| format!("-{c}")),
        Expr::Nested(inner) => constant(inner),
        _ => None,
    }
}

fn length_of(e: &Expr) -> Option<String> {
    let Expr::Function(f) = e else { return None };
    let name = f.name.to_string().to_ascii_lowercase();
    if !matches!(
        name.as_str(),
        "length" | "char_length" | "len" | "character_length"
    ) {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    match list.args.first()? {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(inner)) => column(inner),
        _ => None,
    }
}

fn apply(rule: &mut Rule, op: &BinaryOperator, value: &str, is_len: bool) {
    let num = value.parse::<f64>().ok();
    match (op, is_len) {
        (BinaryOperator::Gt, false) => {
            rule.lo = num.map(|n| n + if n.fract() == 0.0 { 1.0 } else { 0.01 })
        }
        (BinaryOperator::GtEq, false) => rule.lo = num,
        (BinaryOperator::Lt, false) => {
            rule.hi = num.map(|n| n - if n.fract() == 0.0 { 1.0 } else { 0.01 })
        }
        (BinaryOperator::LtEq, false) => rule.hi = num,
        (BinaryOperator::Eq, false) => rule.one_of = Some(vec![value.to_string()]),
        (BinaryOperator::NotEq, false) => rule.not_equal.push(value.to_string()),
        (BinaryOperator::Gt, true) => rule.min_len = num.map(|n| n as usize + 1),
        (BinaryOperator::GtEq, true) => rule.min_len = num.map(|n| n as usize),
        (BinaryOperator::Lt, true) => rule.max_len = num.map(|n| (n as usize).saturating_sub(1)),
        (BinaryOperator::LtEq, true) => rule.max_len = num.map(|n| n as usize),
        (BinaryOperator::Eq, true) => {
            rule.min_len = num.map(|n| n as usize);
            rule.max_len = rule.min_len;
        }
        _ => {}
    }
}

fn flip(op: &BinaryOperator) -> BinaryOperator {
    match op {
        BinaryOperator::Gt => BinaryOperator::Lt,
        BinaryOperator::GtEq => BinaryOperator::LtEq,
        BinaryOperator::Lt => BinaryOperator::Gt,
        BinaryOperator::LtEq => BinaryOperator::GtEq,
        other => other.clone(),
    }
}

fn walk(e: &Expr, out: &mut HashMap<String, Rule>) {
    match e {
        Expr::Nested(inner) => walk(inner, out),
        Expr::BinaryOp { left, op, right } => match op {
            BinaryOperator::And => {
                walk(left, out);
                walk(right, out);
            }
            // Satisfying one side is enough.
            BinaryOperator::Or => walk(left, out),
            _ => {
                if let (Some(c), Some(v)) = (column(left), constant(right)) {
                    apply(out.entry(c).or_default(), op, &v, false);
                } else if let (Some(v), Some(c)) = (constant(left), column(right)) {
                    apply(out.entry(c).or_default(), &flip(op), &v, false);
                } else if let (Some(c), Some(v)) = (length_of(left), constant(right)) {
                    apply(out.entry(c).or_default(), op, &v, true);
                } else if let (Some(v), Some(c)) = (constant(left), length_of(right)) {
                    apply(out.entry(c).or_default(), &flip(op), &v, true);
                }
            }
        },
        Expr::Between {
            expr,
            negated: false,
            low,
            high,
        } => {
            if let (Some(c), Some(lo), Some(hi)) = (column(expr), constant(low), constant(high)) {
                let r = out.entry(c).or_default();
                r.lo = lo.parse().ok();
                r.hi = hi.parse().ok();
            }
        }
        Expr::InList {
            expr,
            list,
            negated: false,
        } => {
            if let Some(c) = column(expr) {
                let values: Vec<String> = list.iter().filter_map(constant).collect();
                if !values.is_empty() {
                    out.entry(c).or_default().one_of = Some(values);
                }
            }
        }
        Expr::Like {
            negated: false,
            expr,
            pattern,
            ..
        } => {
            if let (Some(c), Some(p)) = (column(expr), constant(pattern)) {
                out.entry(c).or_default().like = Some(p);
            }
        }
        _ => {}
    }
}

/// PostgreSQL prints `x IN ('a','b')` as `x = ANY (ARRAY['a', 'b'])`.
fn any_array(text: &str, out: &mut HashMap<String, Rule>) {
    let lower = text.to_ascii_lowercase();
    let Some(any) = lower.find("= any") else {
        return;
    };
    let col: String = lower[..any]
        .trim()
        .trim_matches(|c| c == '(' || c == ')' || c == ' ')
        .rsplit(['(', ' ', '.'])
        .next()
        .unwrap_or("")
        .to_string();
    let Some(arr) = lower[any..].find("array[") else {
        return;
    };
    let start = any + arr + 6;
    let Some(end) = text[start..].find(']') else {
        return;
    };
    let values = crate::dialects::quoted_literals(&text[start..start + end]);
    if !col.is_empty() && !values.is_empty() {
        out.entry(col).or_default().one_of = Some(values);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn understands_simple_shapes() {
        let r = rules(&[
            "price > 0 and price <= 1000",
            "status in('new','done')",
            "code like 'ab%'",
            "length(name) >= 3",
            "qty between 1 and 5",
            "(kind) = any ((array['x', 'y']))",
        ]);
        assert_eq!(r["price"].lo, Some(1.0));
        assert_eq!(r["price"].hi, Some(1000.0));
        assert_eq!(r["status"].one_of, Some(vec!["new".into(), "done".into()]));
        assert_eq!(r["code"].like.as_deref(), Some("ab%"));
        assert_eq!(r["name"].min_len, Some(3));
        assert_eq!((r["qty"].lo, r["qty"].hi), (Some(1.0), Some(5.0)));
        assert_eq!(r["kind"].one_of, Some(vec!["x".into(), "y".into()]));
    }
}
