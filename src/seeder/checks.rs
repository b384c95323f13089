//! What a table's CHECK constraints (and its columns' domains) ask of each column: a
//! constraint model read with a real SQL expression parser for the table's dialect.
//!
//! Understood: comparisons with constants and `BETWEEN`; `IN` lists and PostgreSQL's
//! `= ANY (ARRAY[...])` / `<> ALL (...)`; `LIKE` / `ILIKE` (and PostgreSQL's `~~` / `~~*`);
//! regular expressions (`~`, `~*`, `SIMILAR TO`, MySQL `REGEXP` / `RLIKE` / `regexp_like`,
//! SQLite `GLOB`); `length` / `char_length` bounds; `upper(x) = x` and `lower(x) = x`;
//! `jsonb_typeof` / `json_type` / `json_valid`; `cardinality` / `array_length`; `IS [NOT] NULL`;
//! comparisons between two columns (`start_at < end_at`). Of an `OR`, the first branch that
//! does not force a NULL is followed. Anything else is left to the database: a refused row is
//! retried with other values.

use std::collections::HashMap;

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, UnaryOperator, Value,
};
use sqlparser::dialect::{Dialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use crate::url::Backend;

/// One bound of a range; compared as a number when both sides are numbers, as text otherwise
/// (ISO dates and timestamps order correctly as text).
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub value: String,
    pub strict: bool,
}

impl Bound {
    #[must_use]
    pub fn number(&self) -> Option<f64> {
        self.value.trim().parse().ok()
    }
}

/// A `LIKE` pattern or a regular expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub text: String,
    pub case_insensitive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Upper,
    Lower,
}

/// Constraints on one column's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValueRule {
    pub lo: Option<Bound>,
    pub hi: Option<Bound>,
    /// The value must be one of these (text of the constants).
    pub one_of: Option<Vec<String>>,
    pub not_in: Vec<String>,
    /// SQL `LIKE` patterns (`%`, `_`).
    pub like: Vec<Pattern>,
    /// Regular expressions (POSIX / MySQL; `SIMILAR TO` and `GLOB` are translated).
    pub regex: Vec<Pattern>,
    /// Length in characters.
    pub min_len: Option<usize>,
    pub max_len: Option<usize>,
    pub case: Option<Case>,
    /// `json_valid(col)`: the text must be JSON.
    pub json: bool,
    /// The JSON value's type: `object`, `array`, `string`, `number`, `boolean`.
    pub json_type: Option<String>,
    /// Element count of an array (SQL array or JSON array).
    pub min_items: Option<usize>,
    pub max_items: Option<usize>,
    pub not_null: bool,
    /// `col IS NULL` is required.
    pub null: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// `left op right` between two columns of the same row.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub left: String,
    pub op: Cmp,
    pub right: String,
}

/// One table's constraint model. Column names are lower case.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    pub columns: HashMap<String, ValueRule>,
    pub relations: Vec<Relation>,
}

impl Model {
    #[must_use]
    pub fn rule(&self, column: &str) -> Option<&ValueRule> {
        self.columns.get(&column.to_ascii_lowercase())
    }

    fn merge(&mut self, other: Model) {
        for (c, r) in other.columns {
            self.columns.entry(c).or_default().merge(r);
        }
        self.relations.extend(other.relations);
    }
}

impl ValueRule {
    fn merge(&mut self, o: ValueRule) {
        if let Some(lo) = o.lo {
            self.lo = Some(match self.lo.take() {
                Some(cur) if tighter(&cur, &lo, true) => cur,
                _ => lo,
            });
        }
        if let Some(hi) = o.hi {
            self.hi = Some(match self.hi.take() {
                Some(cur) if tighter(&cur, &hi, false) => cur,
                _ => hi,
            });
        }
        if let Some(list) = o.one_of {
            self.one_of = Some(match self.one_of.take() {
                Some(cur) => {
                    let both: Vec<String> =
                        cur.iter().filter(|v| list.contains(v)).cloned().collect();
                    if both.is_empty() { list } else { both }
                }
                None => list,
            });
        }
        self.not_in.extend(o.not_in);
        self.like.extend(o.like);
        self.regex.extend(o.regex);
        self.min_len = max_opt(self.min_len, o.min_len);
        self.max_len = min_opt(self.max_len, o.max_len);
        self.case = o.case.or(self.case);
        self.json |= o.json;
        self.json_type = o.json_type.or(self.json_type.take());
        self.min_items = max_opt(self.min_items, o.min_items);
        self.max_items = min_opt(self.max_items, o.max_items);
        self.not_null |= o.not_null;
        self.null |= o.null;
    }
}

fn max_opt(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

fn min_opt(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// Whether `cur` is at least as tight as `new` (a lower bound when `lower`).
#[allow(clippy::float_cmp)] // the same bound written twice is exactly equal; no arithmetic in between
fn tighter(cur: &Bound, new: &Bound, lower: bool) -> bool {
    match (cur.number(), new.number()) {
        (Some(a), Some(b)) => {
            if lower {
                a > b || (a == b && cur.strict)
            } else {
                a < b || (a == b && cur.strict)
            }
        }
        _ => {
            if lower {
                cur.value > new.value
            } else {
                cur.value < new.value
            }
        }
    }
}

fn parse(backend: Backend, text: &str) -> Option<Expr> {
    let dialect: &dyn Dialect = match backend {
        Backend::Postgres => &PostgreSqlDialect {},
        Backend::Mysql => &MySqlDialect {},
        Backend::Sqlite => &SQLiteDialect {},
    };
    Parser::new(dialect)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .ok()
}

/// The model of a table from its CHECK expressions; `domain_checks` are (column, expression
/// over `VALUE`) pairs from the columns' domain types.
#[must_use]
pub fn model(backend: Backend, checks: &[&str], domain_checks: &[(&str, &str)]) -> Model {
    let mut out = Model::default();
    for text in checks {
        if let Some(expr) = parse(backend, text) {
            out.merge(walk(&expr, None));
        }
    }
    for (column, text) in domain_checks {
        if let Some(expr) = parse(backend, text) {
            out.merge(walk(&expr, Some(&column.to_ascii_lowercase())));
        }
    }
    out
}

/// The column names (lower case, from `columns`) an expression mentions, outside quotes.
#[must_use]
pub fn columns_in(text: &str, columns: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut quote = false;
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            let w = word.to_ascii_lowercase();
            if let Some(c) = columns.iter().find(|c| c.to_ascii_lowercase() == w)
                && !out.contains(c)
            {
                out.push(c.clone());
            }
            word.clear();
        }
    };
    for ch in text.chars() {
        if quote {
            if ch == '\'' {
                quote = false;
            }
            continue;
        }
        if ch == '\'' {
            flush(&mut word, &mut out);
            quote = true;
        } else if ch.is_alphanumeric() || ch == '_' || ch == '$' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// What a side of a comparison measures.
enum Measure {
    Value(String),
    Len(String),
    Case(Case, String),
    JsonType(String),
    Items(String),
}

fn unwrap(e: &Expr) -> &Expr {
    match e {
        Expr::Nested(inner) => unwrap(inner),
        Expr::Cast { expr, .. } => unwrap(expr),
        other => other,
    }
}

fn column(e: &Expr, subject: Option<&str>) -> Option<String> {
    let name = match unwrap(e) {
        Expr::Identifier(i) => i.value.to_ascii_lowercase(),
        Expr::CompoundIdentifier(parts) => parts.last()?.value.to_ascii_lowercase(),
        _ => return None,
    };
    match subject {
        Some(s) if name == "value" => Some(s.to_string()),
        Some(_) => None,
        None => Some(name),
    }
}

fn constant(e: &Expr) -> Option<String> {
    match unwrap(e) {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => Some(n.clone()),
            Value::SingleQuotedString(s)
            | Value::DoubleQuotedString(s)
            | Value::EscapedStringLiteral(s)
            | Value::NationalStringLiteral(s) => Some(s.clone()),
            Value::Boolean(b) => Some(b.to_string()),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => constant(expr).map(|c| format!("-{c}")),
        Expr::UnaryOp {
            op: UnaryOperator::Plus,
            expr,
        } => constant(expr),
        Expr::TypedString(t) => match &t.value.value {
            Value::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn function_args(e: &Expr) -> Option<(String, Vec<&Expr>)> {
    let Expr::Function(f) = unwrap(e) else {
        return None;
    };
    let name = f
        .name
        .0
        .last()?
        .to_string()
        .trim_matches('"')
        .to_ascii_lowercase();
    let FunctionArguments::List(list) = &f.args else {
        return Some((name, Vec::new()));
    };
    let args = list
        .args
        .iter()
        .filter_map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => Some(x),
            _ => None,
        })
        .collect();
    Some((name, args))
}

fn measure(e: &Expr, subject: Option<&str>) -> Option<Measure> {
    if let Some(c) = column(e, subject) {
        return Some(Measure::Value(c));
    }
    let (name, args) = function_args(e)?;
    let col = column(args.first()?, subject)?;
    Some(match name.as_str() {
        "length" | "char_length" | "character_length" | "len" | "octet_length" => Measure::Len(col),
        "upper" | "ucase" => Measure::Case(Case::Upper, col),
        "lower" | "lcase" => Measure::Case(Case::Lower, col),
        "jsonb_typeof" | "json_typeof" | "json_type" => Measure::JsonType(col),
        "cardinality" | "array_length" | "json_array_length" | "jsonb_array_length"
        | "json_length" => Measure::Items(col),
        // `trim(x) <> ''`: our text never has only blanks; treat it as the length.
        "trim" | "btrim" | "ltrim" | "rtrim" => Measure::Len(col),
        _ => return None,
    })
}

fn cmp_of(op: &BinaryOperator) -> Option<Cmp> {
    Some(match op {
        BinaryOperator::Lt => Cmp::Lt,
        BinaryOperator::LtEq => Cmp::Le,
        BinaryOperator::Gt => Cmp::Gt,
        BinaryOperator::GtEq => Cmp::Ge,
        BinaryOperator::Eq => Cmp::Eq,
        BinaryOperator::NotEq => Cmp::Ne,
        _ => return None,
    })
}

fn flip(op: Cmp) -> Cmp {
    match op {
        Cmp::Lt => Cmp::Gt,
        Cmp::Le => Cmp::Ge,
        Cmp::Gt => Cmp::Lt,
        Cmp::Ge => Cmp::Le,
        other => other,
    }
}

fn negate(op: Cmp) -> Cmp {
    match op {
        Cmp::Lt => Cmp::Ge,
        Cmp::Le => Cmp::Gt,
        Cmp::Gt => Cmp::Le,
        Cmp::Ge => Cmp::Lt,
        Cmp::Eq => Cmp::Ne,
        Cmp::Ne => Cmp::Eq,
    }
}

fn one(column: String, rule: ValueRule) -> Model {
    let mut m = Model::default();
    m.columns.insert(column, rule);
    m
}

/// `measure op value`.
fn compare(m: Measure, op: Cmp, value: String) -> Model {
    let num = value.parse::<f64>().ok();
    let mut r = ValueRule::default();
    match m {
        Measure::Value(c) => {
            match op {
                Cmp::Lt | Cmp::Le => {
                    r.hi = Some(Bound {
                        value,
                        strict: op == Cmp::Lt,
                    });
                }
                Cmp::Gt | Cmp::Ge => {
                    r.lo = Some(Bound {
                        value,
                        strict: op == Cmp::Gt,
                    });
                }
                Cmp::Eq => r.one_of = Some(vec![value]),
                Cmp::Ne if value.is_empty() => r.min_len = Some(1),
                Cmp::Ne => r.not_in.push(value),
            }
            one(c, r)
        }
        Measure::Len(c) => {
            let Some(n) = num.filter(|n| *n >= 0.0) else {
                // `trim(x) <> ''`
                if op == Cmp::Ne && value.is_empty() {
                    r.min_len = Some(1);
                    return one(c, r);
                }
                return Model::default();
            };
            let n = n as usize;
            match op {
                Cmp::Lt => r.max_len = Some(n.saturating_sub(1)),
                Cmp::Le => r.max_len = Some(n),
                Cmp::Gt => r.min_len = Some(n + 1),
                Cmp::Ge => r.min_len = Some(n),
                Cmp::Eq => {
                    r.min_len = Some(n);
                    r.max_len = Some(n);
                }
                Cmp::Ne if n == 0 => r.min_len = Some(1),
                Cmp::Ne => {}
            }
            one(c, r)
        }
        Measure::Items(c) => {
            let Some(n) = num.filter(|n| *n >= 0.0) else {
                return Model::default();
            };
            let n = n as usize;
            match op {
                Cmp::Lt => r.max_items = Some(n.saturating_sub(1)),
                Cmp::Le => r.max_items = Some(n),
                Cmp::Gt => r.min_items = Some(n + 1),
                Cmp::Ge => r.min_items = Some(n),
                Cmp::Eq => {
                    r.min_items = Some(n);
                    r.max_items = Some(n);
                }
                Cmp::Ne if n == 0 => r.min_items = Some(1),
                Cmp::Ne => {}
            }
            one(c, r)
        }
        Measure::JsonType(c) if op == Cmp::Eq => {
            r.json = true;
            r.json_type = Some(value.to_ascii_lowercase());
            one(c, r)
        }
        Measure::JsonType(c) => {
            r.json = true;
            one(c, r)
        }
        Measure::Case(..) => Model::default(),
    }
}

fn pattern(text: String, case_insensitive: bool) -> Pattern {
    Pattern {
        text,
        case_insensitive,
    }
}

/// `SIMILAR TO` pattern → an anchored regular expression.
#[must_use]
pub fn similar_to_regex(p: &str) -> String {
    let mut out = String::from("^(?:");
    let mut in_class = false;
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push_str(&regex_escape(n));
                }
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            '%' if !in_class => out.push_str(".*"),
            '_' if !in_class => out.push('.'),
            '.' | '^' | '$' if !in_class => out.push_str(&regex_escape(c)),
            c => out.push(c),
        }
    }
    out.push_str(")$");
    out
}

/// SQLite `GLOB` pattern → an anchored regular expression.
#[must_use]
pub fn glob_regex(p: &str) -> String {
    let mut out = String::from("^");
    let mut in_class = false;
    for c in p.chars() {
        match c {
            '[' if !in_class => {
                in_class = true;
                out.push('[');
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '^' if in_class => out.push('^'),
            c if in_class => out.push(c),
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c => out.push_str(&regex_escape(c)),
        }
    }
    out.push('$');
    out
}

fn regex_escape(c: char) -> String {
    if "\\.+*?()|[]{}^$#&-~".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

fn text_rule(
    expr: &Expr,
    pat: &Expr,
    subject: Option<&str>,
    make: impl Fn(String) -> ValueRule,
) -> Model {
    match (column(expr, subject), constant(pat)) {
        (Some(c), Some(p)) => one(c, make(p)),
        _ => Model::default(),
    }
}

fn forces_null(m: &Model) -> bool {
    m.columns.values().any(|r| r.null)
}

fn flatten_or<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match unwrap(e) {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => {
            flatten_or(left, out);
            flatten_or(right, out);
        }
        other => out.push(other),
    }
}

fn walk(e: &Expr, subject: Option<&str>) -> Model {
    match unwrap(e) {
        Expr::BinaryOp { left, op, right } => binary(e, left, op, right, subject),
        Expr::Between {
            expr,
            negated: false,
            low,
            high,
        } => between(expr, low, high, subject),
        Expr::InList {
            expr,
            list,
            negated,
        } => in_list(
            expr,
            list.iter().filter_map(constant).collect(),
            *negated,
            subject,
        ),
        Expr::AnyOp {
            left,
            compare_op,
            right,
            ..
        } if *compare_op == BinaryOperator::Eq => {
            in_list(left, array_constants(right), false, subject)
        }
        Expr::AllOp {
            left,
            compare_op,
            right,
        } if *compare_op == BinaryOperator::NotEq => {
            in_list(left, array_constants(right), true, subject)
        }
        Expr::Like { negated: false, .. }
        | Expr::ILike { negated: false, .. }
        | Expr::SimilarTo { negated: false, .. }
        | Expr::RLike { negated: false, .. } => text_pattern(e, subject),
        Expr::IsNull(inner) => column_rule(
            inner,
            subject,
            ValueRule {
                null: true,
                ..ValueRule::default()
            },
        ),
        Expr::IsNotNull(inner) => column_rule(
            inner,
            subject,
            ValueRule {
                not_null: true,
                ..ValueRule::default()
            },
        ),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => negated(expr, subject),
        Expr::Function(_) => function(e, subject),
        // A bare boolean column: `CHECK (active)`.
        other => column_rule(
            other,
            subject,
            ValueRule {
                one_of: Some(vec!["true".into()]),
                ..ValueRule::default()
            },
        ),
    }
}

/// `x BETWEEN lo AND hi` on a column or a measure of one (a length, ...).
fn between(expr: &Expr, low: &Expr, high: &Expr, subject: Option<&str>) -> Model {
    let (Some(m), Some(lo), Some(hi)) = (measure(expr, subject), constant(low), constant(high))
    else {
        return Model::default();
    };
    let mut out = compare(m, Cmp::Ge, lo);
    if let Some(m) = measure(expr, subject) {
        out.merge(compare(m, Cmp::Le, hi));
    }
    out
}

/// `LIKE`, `ILIKE`, `SIMILAR TO` and `RLIKE` (not negated) on a column.
fn text_pattern(e: &Expr, subject: Option<&str>) -> Model {
    match unwrap(e) {
        Expr::Like {
            negated: false,
            expr,
            pattern: p,
            ..
        } => text_rule(expr, p, subject, |p| ValueRule {
            like: vec![pattern(p, false)],
            ..ValueRule::default()
        }),
        Expr::ILike {
            negated: false,
            expr,
            pattern: p,
            ..
        } => text_rule(expr, p, subject, |p| ValueRule {
            like: vec![pattern(p, true)],
            ..ValueRule::default()
        }),
        Expr::SimilarTo {
            negated: false,
            expr,
            pattern: p,
            ..
        } => text_rule(expr, p, subject, |p| ValueRule {
            regex: vec![pattern(similar_to_regex(&p), false)],
            ..ValueRule::default()
        }),
        Expr::RLike {
            negated: false,
            expr,
            pattern: p,
            ..
        } => text_rule(expr, p, subject, |p| ValueRule {
            regex: vec![pattern(p, true)],
            ..ValueRule::default()
        }),
        _ => Model::default(),
    }
}

/// `rule` on the column `expr` names, or nothing when `expr` is not a column.
fn column_rule(expr: &Expr, subject: Option<&str>, rule: ValueRule) -> Model {
    match column(expr, subject) {
        Some(c) => one(c, rule),
        None => Model::default(),
    }
}

/// `a AND b`, `a OR b`, the pattern operators and the comparisons (`e` is the whole
/// expression, for flattening an OR chain).
fn binary(
    e: &Expr,
    left: &Expr,
    op: &BinaryOperator,
    right: &Expr,
    subject: Option<&str>,
) -> Model {
    match op {
        BinaryOperator::And => {
            let mut m = walk(left, subject);
            m.merge(walk(right, subject));
            m
        }
        BinaryOperator::Or => {
            let mut branches = Vec::new();
            flatten_or(e, &mut branches);
            let models: Vec<Model> = branches.iter().map(|b| walk(b, subject)).collect();
            let pick = models
                .iter()
                .position(|m| !forces_null(m) && !m.columns.is_empty())
                .unwrap_or(0);
            models.into_iter().nth(pick).unwrap_or_default()
        }
        BinaryOperator::PGRegexMatch | BinaryOperator::PGRegexIMatch => {
            let ci = *op == BinaryOperator::PGRegexIMatch;
            // PostgreSQL prints `x SIMILAR TO p` as `x ~ similar_to_escape(p)`.
            let pat = match function_args(right) {
                Some((name, args)) if name.starts_with("similar") => args
                    .first()
                    .and_then(|a| constant(a))
                    .map(|p| similar_to_regex(&p)),
                _ => constant(right),
            };
            match pat {
                Some(p) => column_rule(
                    left,
                    subject,
                    ValueRule {
                        regex: vec![pattern(p, ci)],
                        ..ValueRule::default()
                    },
                ),
                None => Model::default(),
            }
        }
        BinaryOperator::PGLikeMatch | BinaryOperator::PGILikeMatch => {
            let ci = *op == BinaryOperator::PGILikeMatch;
            text_rule(left, right, subject, |p| ValueRule {
                like: vec![pattern(p, ci)],
                ..ValueRule::default()
            })
        }
        BinaryOperator::Regexp => text_rule(left, right, subject, |p| ValueRule {
            regex: vec![pattern(p, true)],
            ..ValueRule::default()
        }),
        BinaryOperator::Glob => text_rule(left, right, subject, |p| ValueRule {
            regex: vec![pattern(glob_regex(&p), false)],
            ..ValueRule::default()
        }),
        _ => {
            let Some(cmp) = cmp_of(op) else {
                return Model::default();
            };
            comparison(left, cmp, right, subject)
        }
    }
}

/// `json_valid(c)` / `isjson(c)` and `regexp_like(c, p[, flags])` on a column.
fn function(e: &Expr, subject: Option<&str>) -> Model {
    let Some((name, args)) = function_args(e) else {
        return Model::default();
    };
    let Some(col) = args.first().and_then(|a| column(a, subject)) else {
        return Model::default();
    };
    match name.as_str() {
        "json_valid" | "isjson" => one(
            col,
            ValueRule {
                json: true,
                ..ValueRule::default()
            },
        ),
        "regexp_like" => {
            let Some(p) = args.get(1).and_then(|a| constant(a)) else {
                return Model::default();
            };
            let flags = args.get(2).and_then(|a| constant(a)).unwrap_or_default();
            one(
                col,
                ValueRule {
                    regex: vec![pattern(p, !flags.contains('c'))],
                    ..ValueRule::default()
                },
            )
        }
        _ => Model::default(),
    }
}

fn negated(e: &Expr, subject: Option<&str>) -> Model {
    match unwrap(e) {
        Expr::IsNull(inner) => walk(&Expr::IsNotNull(inner.clone()), subject),
        Expr::IsNotNull(inner) => walk(&Expr::IsNull(inner.clone()), subject),
        Expr::InList {
            expr,
            list,
            negated: n,
        } => in_list(
            expr,
            list.iter().filter_map(constant).collect(),
            !n,
            subject,
        ),
        Expr::BinaryOp { left, op, right } => match cmp_of(op) {
            Some(cmp) => comparison(left, negate(cmp), right, subject),
            None => Model::default(),
        },
        _ => Model::default(),
    }
}

fn comparison(left: &Expr, cmp: Cmp, right: &Expr, subject: Option<&str>) -> Model {
    if let (Some(m), Some(v)) = (measure(left, subject), constant(right)) {
        return compare(m, cmp, v);
    }
    if let (Some(v), Some(m)) = (constant(left), measure(right, subject)) {
        return compare(m, flip(cmp), v);
    }
    match (measure(left, subject), measure(right, subject)) {
        (Some(Measure::Case(case, a)), Some(Measure::Value(b)))
        | (Some(Measure::Value(b)), Some(Measure::Case(case, a)))
            if a == b && cmp == Cmp::Eq =>
        {
            one(
                a,
                ValueRule {
                    case: Some(case),
                    ..ValueRule::default()
                },
            )
        }
        (Some(Measure::Value(a)), Some(Measure::Value(b))) if a != b => Model {
            columns: HashMap::new(),
            relations: vec![Relation {
                left: a,
                op: cmp,
                right: b,
            }],
        },
        _ => Model::default(),
    }
}

fn array_constants(e: &Expr) -> Vec<String> {
    match unwrap(e) {
        Expr::Array(a) => a.elem.iter().filter_map(constant).collect(),
        Expr::Tuple(items) => items.iter().filter_map(constant).collect(),
        _ => Vec::new(),
    }
}

fn in_list(expr: &Expr, values: Vec<String>, negated: bool, subject: Option<&str>) -> Model {
    if values.is_empty() {
        return Model::default();
    }
    match measure(expr, subject) {
        Some(Measure::Value(c)) => one(
            c,
            if negated {
                ValueRule {
                    not_in: values,
                    ..ValueRule::default()
                }
            } else {
                ValueRule {
                    one_of: Some(values),
                    ..ValueRule::default()
                }
            },
        ),
        Some(Measure::JsonType(c)) if !negated => compare(
            Measure::JsonType(c),
            Cmp::Eq,
            values.into_iter().next().unwrap_or_default(),
        ),
        _ => Model::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(backend: Backend, checks: &[&str]) -> Model {
        model(backend, checks, &[])
    }

    #[test]
    fn comparisons_between_and_lists() {
        let r = m(
            Backend::Sqlite,
            &[
                "price > 0 and price <= 1000",
                "status in('new','done')",
                "qty between 1 and 5",
                "kind not in ('x')",
                "code <> ''",
            ],
        );
        let price = &r.columns["price"];
        assert_eq!(
            price.lo.as_ref().map(|b| (b.value.as_str(), b.strict)),
            Some(("0", true))
        );
        assert_eq!(
            price.hi.as_ref().map(|b| (b.value.as_str(), b.strict)),
            Some(("1000", false))
        );
        assert_eq!(
            r.columns["status"].one_of,
            Some(vec!["new".into(), "done".into()])
        );
        assert_eq!(r.columns["qty"].lo.as_ref().unwrap().value, "1");
        assert_eq!(r.columns["qty"].hi.as_ref().unwrap().value, "5");
        assert_eq!(r.columns["kind"].not_in, vec!["x".to_string()]);
        assert_eq!(r.columns["code"].min_len, Some(1));
    }

    #[test]
    fn postgres_printed_forms() {
        // What pg_get_constraintdef prints, casts stripped.
        let r = m(
            Backend::Postgres,
            &[
                "(kind) = any ((array['x', 'y']))",
                "email ~~ '%@%'",
                "name ~~* 'a%'",
                "slug ~ '^[a-z0-9-]+$'",
                "tag ~* '^x'",
                "code ~ similar_to_escape('[A-Z]{3}')",
                "length(title) >= 3 and char_length(title) <= 20",
                "upper(cc) = cc",
                "jsonb_typeof(data) = 'object'",
                "array_length(tags, 1) > 0",
                "cardinality(ids) >= 2",
                "start_at < end_at",
                "(state) <> all ((array['gone']))",
            ],
        );
        assert_eq!(r.columns["kind"].one_of, Some(vec!["x".into(), "y".into()]));
        assert_eq!(r.columns["email"].like, vec![pattern("%@%".into(), false)]);
        assert_eq!(r.columns["name"].like, vec![pattern("a%".into(), true)]);
        assert_eq!(
            r.columns["slug"].regex,
            vec![pattern("^[a-z0-9-]+$".into(), false)]
        );
        assert!(r.columns["tag"].regex[0].case_insensitive);
        assert_eq!(r.columns["code"].regex[0].text, "^(?:[A-Z]{3})$");
        assert_eq!(
            (r.columns["title"].min_len, r.columns["title"].max_len),
            (Some(3), Some(20))
        );
        assert_eq!(r.columns["cc"].case, Some(Case::Upper));
        assert_eq!(r.columns["data"].json_type.as_deref(), Some("object"));
        assert_eq!(r.columns["tags"].min_items, Some(1));
        assert_eq!(r.columns["ids"].min_items, Some(2));
        assert_eq!(
            r.relations,
            vec![Relation {
                left: "start_at".into(),
                op: Cmp::Lt,
                right: "end_at".into()
            }]
        );
        assert_eq!(r.columns["state"].not_in, vec!["gone".to_string()]);
    }

    #[test]
    fn mysql_and_sqlite_forms() {
        let r = m(
            Backend::Mysql,
            &[
                "json_valid(doc)",
                "code regexp '^[A-Z]+$'",
                "zip rlike '[0-9]{5}'",
                "regexp_like(sku, '^s-', 'c')",
                "lower(handle) = handle",
            ],
        );
        assert!(r.columns["doc"].json);
        assert_eq!(r.columns["code"].regex[0].text, "^[A-Z]+$");
        assert_eq!(r.columns["zip"].regex[0].text, "[0-9]{5}");
        assert!(!r.columns["sku"].regex[0].case_insensitive);
        assert_eq!(r.columns["handle"].case, Some(Case::Lower));
        let s = m(Backend::Sqlite, &["code glob '[A-Z]*'", "flag in (0, 1)"]);
        assert_eq!(s.columns["code"].regex[0].text, "^[A-Z].*$");
        assert_eq!(s.columns["flag"].one_of, Some(vec!["0".into(), "1".into()]));
    }

    #[test]
    fn or_follows_a_branch_that_keeps_a_value_and_domains_use_value() {
        let r = m(Backend::Postgres, &["note is null or length(note) > 5"]);
        assert_eq!(r.columns["note"].min_len, Some(6));
        assert!(!r.columns["note"].null);
        let d = model(Backend::Postgres, &[], &[("Slug", "value ~ '^[a-z]+$'")]);
        assert_eq!(d.columns["slug"].regex[0].text, "^[a-z]+$");
        assert_eq!(
            columns_in(
                "start_at < end_at and 'start_at' = x",
                &["start_at".into(), "end_at".into(), "y".into()]
            ),
            vec!["start_at".to_string(), "end_at".to_string()]
        );
    }
}
