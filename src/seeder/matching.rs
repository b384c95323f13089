//! The row a write's WHERE looks for. When an upgrade's `UPDATE` or `DELETE` matched none of
//! the seeded rows, the statement the driver ran, with its bound parameters, says which rows
//! it wants: `name = 'Debug Print Notification'`, `status IN ('PENDING', 'RUNNING')`,
//! `deleted_at IS NULL`, `name LIKE 'tmp%'`, joined by `AND`. Those column values, put on a
//! seeded row, let the check see what the revision does to data. An `IN` list or an `OR` gives
//! one row per value or side (`status IN ('PENDING', 'RUNNING')`: a `PENDING` row and a
//! `RUNNING` one), so a migration that treats each differently is exercised on each.
//!
//! Anything else (subqueries, other tables' columns, functions, ranges, `<>`, `NOT IN`) gets
//! the reason no row is made for it, and the revision stays unverified.

use std::collections::BTreeMap;

use sqlparser::ast::{
    BinaryOperator, Expr, FromTable, Ident, SetExpr, Statement, TableFactor, TableWithJoins,
    UnaryOperator, Value,
};
use sqlparser::dialect::{GenericDialect, MySqlDialect, PostgreSqlDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::dialects::Lit;

/// The parameters a statement was executed with, as the driver received them.
#[derive(Clone, Debug, PartialEq)]
pub enum Params {
    /// `?`, `%s` or `$1` markers, in order (no parameters: empty).
    Positional(Vec<Lit>),
    /// `%(name)s` or `:name` markers.
    Named(BTreeMap<String, Lit>),
    /// Not known: the statement ran once per parameter set (`executemany`), or a value had no
    /// plain form.
    Unknown,
}

/// The column values of one row, in the order the WHERE names them.
pub type Row = Vec<(String, Lit)>;

/// While a WHERE is read, at most this many rows are kept: `IN` lists and `OR`s multiply.
const MOST_READ: usize = 64;

/// Rows for `statement`'s WHERE to match, one per way it can hold (an `IN` list's values, an
/// `OR`'s sides), the first `most` of them (at least one); `Err` says why no such row can be
/// made.
///
/// # Errors
/// A sentence for the user ("it reads other tables (a subquery)", ...).
pub fn matching_rows(statement: &str, params: &Params, most: usize) -> Result<Vec<Row>, String> {
    let text = inline(statement, params)?;
    let parsed = [
        &GenericDialect {} as &dyn sqlparser::dialect::Dialect,
        &PostgreSqlDialect {},
        &MySqlDialect {},
    ]
    .iter()
    .find_map(|d| Parser::parse_sql(*d, &text).ok())
    .ok_or_else(|| "it could not be parsed".to_string())?;
    let [statement] = parsed.as_slice() else {
        return Err("it is several statements".to_string());
    };
    let (target, selection) = target_and_where(statement)?;
    let Some(selection) = selection else {
        return Err("it has no WHERE".to_string());
    };
    let mut rows = alternatives(selection, &target)?;
    rows.truncate(most.max(1));
    Ok(rows)
}

/// The names the statement's target table goes by (its name, its alias), and its WHERE.
fn target_and_where(statement: &Statement) -> Result<(Vec<String>, Option<&Expr>), String> {
    match statement {
        Statement::Update(update) => {
            if update.from.is_some() {
                return Err("it reads other tables (UPDATE ... FROM)".to_string());
            }
            Ok((names_of(&update.table)?, update.selection.as_ref()))
        }
        Statement::Delete(delete) => {
            let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
            if delete.using.is_some() || from.len() != 1 || !delete.tables.is_empty() {
                return Err("it reads other tables (DELETE ... USING)".to_string());
            }
            Ok((names_of(&from[0])?, delete.selection.as_ref()))
        }
        Statement::Query(query) if matches!(query.body.as_ref(), SetExpr::Update(_)) => {
            Err("it reads a WITH query".to_string())
        }
        _ => Err("it is not an UPDATE or DELETE".to_string()),
    }
}

fn names_of(table: &TableWithJoins) -> Result<Vec<String>, String> {
    if !table.joins.is_empty() {
        return Err("it joins other tables".to_string());
    }
    let TableFactor::Table { name, alias, .. } = &table.relation else {
        return Err("it writes to something other than a table".to_string());
    };
    let mut names: Vec<String> = name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.clone())
        .into_iter()
        .collect();
    names.extend(alias.as_ref().map(|a| a.name.value.clone()));
    Ok(names)
}

/// The rows `expr` matches, one per way it can hold. A conjunction's rows combine each row of
/// one side with each of the other, leaving out the combinations that ask one column for two
/// values.
fn alternatives(expr: &Expr, target: &[String]) -> Result<Vec<Row>, String> {
    let mut rows: Vec<Row> = Vec::new();
    match expr {
        Expr::Nested(inner) => return alternatives(inner, target),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            let right = alternatives(right, target)?;
            let mut clash = None;
            for one in alternatives(left, target)? {
                for other in &right {
                    match merged(&one, other) {
                        Ok(row) => add(&mut rows, row),
                        Err(why) => {
                            clash.get_or_insert(why);
                        }
                    }
                }
            }
            if let (true, Some(why)) = (rows.is_empty(), clash) {
                return Err(why);
            }
        }
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => {
            for row in alternatives(left, target)?
                .into_iter()
                .chain(alternatives(right, target)?)
            {
                add(&mut rows, row);
            }
        }
        Expr::InList {
            expr,
            list,
            negated: false,
        } => {
            let column = column_of(expr, target)?;
            if list.is_empty() {
                return Err("it has an empty IN list".to_string());
            }
            for value in list {
                add(&mut rows, vec![(column.clone(), literal(value)?)]);
            }
        }
        // Generic rows fill a column in every row but the round's last one.
        Expr::IsNotNull(expr) => {
            column_of(expr, target)?;
            rows.push(Vec::new());
        }
        other => rows.push(vec![condition(other, target)?]),
    }
    Ok(rows)
}

/// Add `row` to `rows` unless it is there already or `rows` is full.
fn add(rows: &mut Vec<Row>, row: Row) {
    if rows.len() < MOST_READ && !rows.contains(&row) {
        rows.push(row);
    }
}

/// One row holding the values of both; an error when they ask one column for two values.
fn merged(one: &Row, other: &Row) -> Result<Row, String> {
    let mut row = one.clone();
    for (column, value) in other {
        match row.iter().find(|(c, _)| c.eq_ignore_ascii_case(column)) {
            Some((_, earlier)) if earlier != value => {
                return Err(format!("it asks for two values of column {column}"));
            }
            Some(_) => {}
            None => row.push((column.clone(), value.clone())),
        }
    }
    Ok(row)
}

/// The column value one condition (neither `AND`, `OR` nor `IN`) asks for.
fn condition(expr: &Expr, target: &[String]) -> Result<(String, Lit), String> {
    Ok(match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => equality(left, right, target)?,
        Expr::BinaryOp { op, .. } => {
            return Err(format!("it compares with {op}, which no row is made for"));
        }
        Expr::IsNull(expr) => (column_of(expr, target)?, Lit::Null),
        Expr::IsTrue(expr) => (column_of(expr, target)?, Lit::Bool(true)),
        Expr::IsFalse(expr) => (column_of(expr, target)?, Lit::Bool(false)),
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
            (column_of(expr, target)?, Lit::Bool(true))
        }
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } if matches!(**expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) => {
            (column_of(expr, target)?, Lit::Bool(false))
        }
        Expr::Like {
            negated: false,
            any: false,
            expr,
            pattern,
            escape_char: None,
        } => (column_of(expr, target)?, like_example(pattern)?),
        Expr::Exists { .. } | Expr::InSubquery { .. } | Expr::Subquery(_) => {
            return Err("it reads other rows (a subquery)".to_string());
        }
        Expr::Function(_) => return Err("it calls a function".to_string()),
        Expr::Between { .. } => {
            return Err("it asks for a range (BETWEEN), which no row is made for".to_string());
        }
        other => return Err(format!("it uses `{other}`, which no row is made for")),
    })
}

/// `column = literal` either way round.
fn equality(left: &Expr, right: &Expr, target: &[String]) -> Result<(String, Lit), String> {
    let (column, value) = if is_column(right) && !is_column(left) {
        (right, left)
    } else {
        (left, right)
    };
    if is_column(value) {
        return Err("it compares two columns (a join or a self-comparison)".to_string());
    }
    Ok((column_of(column, target)?, literal(value)?))
}

fn is_column(expr: &Expr) -> bool {
    matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

/// The target table's column `expr` names; an error for another table's column.
fn column_of(expr: &Expr, target: &[String]) -> Result<String, String> {
    let ident = |i: &Ident| i.value.clone();
    match expr {
        Expr::Nested(inner) => column_of(inner, target),
        Expr::Identifier(i) => Ok(ident(i)),
        Expr::CompoundIdentifier(parts) => {
            let [.., qualifier, column] = parts.as_slice() else {
                return Err("it names a column it cannot place".to_string());
            };
            if target
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&qualifier.value))
            {
                Ok(ident(column))
            } else {
                Err(format!(
                    "it compares with another table's column ({qualifier}.{column})"
                ))
            }
        }
        Expr::Function(_) => Err("it calls a function".to_string()),
        other => Err(format!("it tests `{other}`, not a column")),
    }
}

/// A constant as the value a column takes; casts (`$1::UUID`, `CAST(? AS DATE)`) are read
/// through.
fn literal(expr: &Expr) -> Result<Lit, String> {
    match expr {
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => literal(inner),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match literal(expr)? {
            Lit::Int(n) => Ok(Lit::Int(-n)),
            Lit::Num(n) => Ok(Lit::Num(format!("-{n}"))),
            _ => Err(format!("it compares with `{expr}`, not a constant")),
        },
        Expr::TypedString(typed) => literal(&Expr::Value(typed.value.clone())),
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => Ok(n.parse().map_or_else(|_| Lit::Num(n.clone()), Lit::Int)),
            Value::SingleQuotedString(s)
            | Value::DoubleQuotedString(s)
            | Value::EscapedStringLiteral(s) => Ok(Lit::Str(s.clone())),
            Value::Boolean(b) => Ok(Lit::Bool(*b)),
            Value::Null => Ok(Lit::Null),
            Value::Placeholder(_) => Err("a bound parameter's value is not known".to_string()),
            other => Err(format!("it compares with `{other}`, not a constant")),
        },
        other => Err(format!("it compares with `{other}`, not a constant")),
    }
}

/// A text a `LIKE` pattern matches: `%` matches nothing, `_` an `x`.
fn like_example(pattern: &Expr) -> Result<Lit, String> {
    match literal(pattern)? {
        // PostgreSQL and MySQL read a backslash as LIKE's escape, SQLite does not.
        Lit::Str(p) if p.contains('\\') => Err("its LIKE pattern has a backslash".to_string()),
        Lit::Str(p) => Ok(Lit::Str(
            p.chars()
                .filter(|c| *c != '%')
                .map(|c| if c == '_' { 'x' } else { c })
                .collect(),
        )),
        _ => Err("its LIKE pattern is not text".to_string()),
    }
}

/// The names `statement` reads rows from besides `target`: each one after `FROM`, `JOIN` or
/// `USING` (a subquery's, a WITH query's, `UPDATE ... FROM`'s, a comma list's), less the WITH
/// queries' own names, in the order first named. Rows made from the WHERE alone cannot be the
/// rows such a statement pairs across tables; the user can give both tables' rows. Read from
/// the tokens, so a word after `EXTRACT(x FROM` is taken too: callers keep the names that are
/// tables.
#[must_use]
pub fn tables_read(statement: &str, target: &str) -> Vec<String> {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, statement).tokenize() else {
        return Vec::new();
    };
    let tokens: Vec<&Token> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    let keyword = |i: usize| match tokens.get(i) {
        Some(Token::Word(w)) => Some(w.keyword),
        _ => None,
    };
    let mut named: Vec<String> = Vec::new();
    let mut with_queries: Vec<String> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let Token::Word(word) = token else { continue };
        if keyword(i + 1) == Some(Keyword::AS) && tokens.get(i + 2) == Some(&&Token::LParen) {
            with_queries.push(word.value.clone());
        }
        if !matches!(word.keyword, Keyword::FROM | Keyword::JOIN | Keyword::USING) {
            continue;
        }
        // `FROM a x, b AS y`: each name of the list, past its alias.
        let mut at = i + 1;
        while let Some(Token::Word(first)) = tokens.get(at) {
            if matches!(
                first.keyword,
                Keyword::SELECT | Keyword::LATERAL | Keyword::ONLY
            ) {
                break;
            }
            let mut name = first.value.clone();
            at += 1;
            while tokens.get(at) == Some(&&Token::Period) {
                if let Some(Token::Word(part)) = tokens.get(at + 1) {
                    name.clone_from(&part.value);
                }
                at += 2;
            }
            if !named.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                named.push(name);
            }
            if keyword(at) == Some(Keyword::AS) {
                at += 1;
            }
            if keyword(at) == Some(Keyword::NoKeyword) {
                at += 1;
            }
            if tokens.get(at) != Some(&&Token::Comma) {
                break;
            }
            at += 1;
        }
    }
    named.retain(|n| {
        !n.eq_ignore_ascii_case(target) && !with_queries.iter().any(|w| w.eq_ignore_ascii_case(n))
    });
    named
}

/// `statement` with its parameter markers replaced by the bound values as SQL literals.
/// Markers inside quotes and comments are left alone; `%%` (the escape of `%` in `%s`-style
/// statements) becomes `%`.
fn inline(statement: &str, params: &Params) -> Result<String, String> {
    let positional = match params {
        Params::Unknown => {
            return Err("its parameter values are not known (one statement, many rows)".into());
        }
        Params::Positional(p) => Some(p),
        Params::Named(_) => None,
    };
    let chars: Vec<char> = statement.chars().collect();
    // `%s`-style drivers read `%%` as `%` in the whole text, quoted literals included.
    let percent = statement.contains("%s") || statement.contains("%(");
    let mut out = String::with_capacity(statement.len());
    let mut next = 0usize;
    let mut i = 0usize;
    let value = |lit: Option<&Lit>| -> Result<String, String> {
        lit.map(sql_literal)
            .ok_or_else(|| "its parameters do not match its markers".to_string())?
    };
    while i < chars.len() {
        let c = chars[i];
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        if matches!(c, '\'' | '"' | '`') {
            let end = closing(&chars, i + 1, c);
            let quoted: String = chars[i..end].iter().collect();
            out.push_str(&if percent {
                quoted.replace("%%", "%")
            } else {
                quoted
            });
            i = end;
        } else if rest == "--" || rest == "/*" {
            let end = comment_end(&chars, i);
            out.extend(&chars[i..end]);
            i = end;
        } else if c == '?' && positional.is_some() {
            out.push_str(&value(positional.and_then(|p| p.get(next)))?);
            next += 1;
            i += 1;
        } else if rest == "%%" {
            out.push('%');
            i += 2;
        } else if rest == "%s" && positional.is_some() {
            out.push_str(&value(positional.and_then(|p| p.get(next)))?);
            next += 1;
            i += 2;
        } else if rest == "%(" {
            let end = chars[i..].iter().position(|c| *c == ')').map(|p| i + p);
            let Some(end) = end.filter(|e| chars.get(e + 1) == Some(&'s')) else {
                out.push(c);
                i += 1;
                continue;
            };
            let name: String = chars[i + 2..end].iter().collect();
            out.push_str(&value(named(params, &name))?);
            i = end + 2;
        } else if c == '$' && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
            let end = i
                + 1
                + chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
            let n: usize = chars[i + 1..end]
                .iter()
                .collect::<String>()
                .parse()
                .unwrap_or(0);
            let lit = positional.and_then(|p| p.get(n.wrapping_sub(1)));
            out.push_str(&value(lit)?);
            i = end;
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push_str("::");
            i += 2;
        } else if c == ':'
            && positional.is_none()
            && chars
                .get(i + 1)
                .is_some_and(|n| n.is_alphabetic() || *n == '_')
        {
            let end = i
                + 1
                + chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || **c == '_')
                    .count();
            let name: String = chars[i + 1..end].iter().collect();
            out.push_str(&value(named(params, &name))?);
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    Ok(out)
}

fn named<'p>(params: &'p Params, name: &str) -> Option<&'p Lit> {
    match params {
        Params::Named(map) => map.get(name),
        _ => None,
    }
}

/// The index after the quote that closes the one opened before `from` (a doubled quote is
/// part of the text).
fn closing(chars: &[char], from: usize, quote: char) -> usize {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == quote {
            if chars.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    chars.len()
}

fn comment_end(chars: &[char], at: usize) -> usize {
    let text: String = chars[at..].iter().collect();
    let (close, skip) = if text.starts_with("--") {
        ("\n", 1)
    } else {
        ("*/", 2)
    };
    text.find(close)
        .map_or(chars.len(), |p| at + text[..p].chars().count() + skip)
}

fn sql_literal(lit: &Lit) -> Result<String, String> {
    Ok(match lit {
        Lit::Null => "NULL".to_string(),
        Lit::Int(n) => n.to_string(),
        Lit::Num(n) => n.clone(),
        Lit::Str(s) => format!("'{}'", s.replace('\'', "''")),
        Lit::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Lit::Bytes(_) => return Err("it compares with a bytes parameter".to_string()),
    })
}

/// The values a row takes, as a failure line shows them: `name = 'x', deleted_at IS NULL`.
#[must_use]
pub fn shown(values: &[(String, Lit)]) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|(c, v)| match v {
            Lit::Null => format!("{c} IS NULL"),
            v => format!(
                "{c} = {}",
                sql_literal(v).unwrap_or_else(|_| "<bytes>".into())
            ),
        })
        .collect();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Params {
        Params::Positional(Vec::new())
    }

    /// The first row, as `shown` words it.
    fn row(statement: &str, params: &Params) -> Result<String, String> {
        rows(statement, params, 1).map(|r| r.join("; "))
    }

    fn rows(statement: &str, params: &Params, most: usize) -> Result<Vec<String>, String> {
        matching_rows(statement, params, most).map(|rows| rows.iter().map(|r| shown(r)).collect())
    }

    #[test]
    fn a_literal_equality_gives_the_row() {
        assert_eq!(
            row(
                "DELETE FROM block_type WHERE name = 'Debug Print Notification'",
                &none()
            ),
            Ok("name = 'Debug Print Notification'".into())
        );
        assert_eq!(
            row(
                "update dag_run set run_type = 'asset_triggered' where run_type = 'dataset_triggered'",
                &none()
            ),
            Ok("run_type = 'dataset_triggered'".into())
        );
    }

    #[test]
    fn bound_parameters_of_every_marker_style_are_read() {
        let positional = Params::Positional(vec![
            Lit::Str("CANCELED".into()),
            Lit::Int(17),
            Lit::Str("PENDING".into()),
            Lit::Str("RUNNING".into()),
        ]);
        assert_eq!(
            row(
                "UPDATE jobs SET status=?, last_update_time=? WHERE jobs.status IN (?, ?)",
                &positional
            ),
            Ok("status = 'PENDING'".into())
        );
        assert_eq!(
            row(
                "UPDATE jobs SET status=$1, last_update_time=$2 WHERE jobs.status IN ($3::VARCHAR, $4::VARCHAR)",
                &positional
            ),
            Ok("status = 'PENDING'".into())
        );
        let named = Params::Named(BTreeMap::from([
            ("name_1".to_string(), Lit::Str("DateTime".into())),
            ("name".to_string(), Lit::Str("Date Time".into())),
        ]));
        assert_eq!(
            row(
                "UPDATE block_type SET name=%(name)s WHERE block_type.name = %(name_1)s",
                &named
            ),
            Ok("name = 'DateTime'".into())
        );
        assert_eq!(
            row(
                "UPDATE block_type SET name=:name WHERE block_type.name = :name_1::VARCHAR",
                &named
            ),
            Ok("name = 'DateTime'".into())
        );
    }

    #[test]
    fn conjunctions_nulls_booleans_and_like_are_combined() {
        assert_eq!(
            row(
                "UPDATE t AS x SET a = 1 WHERE (x.kind = 'k' AND deleted_at IS NULL) \
                 AND active AND NOT hidden AND name LIKE 'tmp_%' AND b = -2.5",
                &none()
            ),
            Ok(
                "kind = 'k', deleted_at IS NULL, active = TRUE, hidden = FALSE, \
                name = 'tmpx', b = -2.5"
                    .into()
            )
        );
    }

    #[test]
    fn an_in_list_gives_a_row_per_value_up_to_most() {
        let listed = "UPDATE jobs SET status = 'CANCELED' WHERE status IN ('PENDING', 'RUNNING', \
                      'PENDING', 'QUEUED') AND deleted_at IS NULL";
        assert_eq!(
            rows(listed, &none(), 9),
            Ok(vec![
                "status = 'PENDING', deleted_at IS NULL".to_string(),
                "status = 'RUNNING', deleted_at IS NULL".to_string(),
                "status = 'QUEUED', deleted_at IS NULL".to_string(),
            ])
        );
        assert_eq!(
            rows(listed, &none(), 2).map(|r| r.len()),
            Ok(2),
            "the first values, as many as asked"
        );
        assert_eq!(rows(listed, &none(), 0).map(|r| r.len()), Ok(1));
    }

    #[test]
    fn an_or_gives_a_row_per_side_and_combines_with_and() {
        assert_eq!(
            rows("DELETE FROM t WHERE a = 1 OR b = 2", &none(), 9),
            Ok(vec!["a = 1".to_string(), "b = 2".to_string()])
        );
        assert_eq!(
            rows(
                "DELETE FROM t WHERE kind = 'k' AND (a = 1 OR (a = 2 AND b IS NULL)) \
                 AND a IN (2, 3)",
                &none(),
                9
            ),
            Ok(vec!["kind = 'k', a = 2, b IS NULL".to_string()]),
            "a = 1 asks a for two values with either list value, a = 2 with 3"
        );
        assert_eq!(
            rows("DELETE FROM t WHERE (a = 1 OR a = 2) AND a = 3", &none(), 9),
            Err("it asks for two values of column a".to_string())
        );
    }

    #[test]
    fn what_no_row_is_made_for_says_why() {
        let cases = [
            (
                "DELETE FROM t WHERE a = 1 OR b IN (SELECT c FROM u)",
                "it reads other rows (a subquery)",
            ),
            (
                "UPDATE deployment SET c = 1 WHERE EXISTS (SELECT 1 FROM l WHERE l.name = 'x')",
                "it reads other rows (a subquery)",
            ),
            (
                "UPDATE a SET x = b.x FROM b WHERE a.id = b.id",
                "it reads other tables (UPDATE ... FROM)",
            ),
            (
                "DELETE FROM t WHERE lower(name) = 'x'",
                "it calls a function",
            ),
            (
                "DELETE FROM t WHERE n > 3",
                "it compares with >, which no row is made for",
            ),
            (
                "DELETE FROM t WHERE a = b",
                "it compares two columns (a join or a self-comparison)",
            ),
            ("DELETE FROM t", "it has no WHERE"),
            (
                "DELETE FROM t WHERE a = 1 AND a = 2",
                "it asks for two values of column a",
            ),
            (
                "DELETE FROM t WHERE a = ?",
                "its parameters do not match its markers",
            ),
            (
                "WITH c AS (SELECT id FROM t) UPDATE t SET a = 1 FROM c WHERE t.id = c.id",
                "it reads a WITH query",
            ),
        ];
        for (statement, why) in cases {
            assert_eq!(row(statement, &none()), Err(why.to_string()), "{statement}");
        }
        assert_eq!(
            row("DELETE FROM t WHERE a = ?", &Params::Unknown),
            Err("its parameter values are not known (one statement, many rows)".into())
        );
    }

    #[test]
    fn the_tables_a_statement_reads_besides_its_target() {
        // prefect 4ad4658cbefe (SQLite), eaec5004771f (PostgreSQL) and 15f5083c16bd.
        assert_eq!(
            tables_read(
                "UPDATE deployment SET concurrency_limit_id = (SELECT l.id FROM \
                 concurrency_limit_v2 l WHERE l.name = 'deployment:' || deployment.id) \
                 WHERE EXISTS (SELECT 1 FROM concurrency_limit_v2 l WHERE l.name = \
                 'deployment:' || deployment.id)",
                "deployment"
            ),
            ["concurrency_limit_v2"]
        );
        assert_eq!(
            tables_read(
                "WITH deployment_limit_mapping AS (SELECT d.id AS deployment_id, l.id AS \
                 limit_id FROM deployment d JOIN concurrency_limit_v2 l ON l.name = \
                 'deployment:' || d.id::text) UPDATE deployment SET concurrency_limit_id = \
                 dlm.limit_id FROM deployment_limit_mapping dlm WHERE deployment.id = \
                 dlm.deployment_id",
                "deployment"
            ),
            ["concurrency_limit_v2"]
        );
        assert_eq!(
            tables_read(
                "WITH artifact_collection_cte AS (SELECT * FROM artifact_collection WHERE id = \
                 :id FOR UPDATE) UPDATE artifact_collection SET data = artifact.data FROM \
                 artifact, artifact_collection_cte WHERE artifact_collection.latest_id = \
                 artifact.id AND artifact.id = artifact_collection_cte.latest_id",
                "artifact_collection"
            ),
            ["artifact"]
        );
        assert_eq!(
            tables_read(
                "DELETE FROM public.t USING s.u AS x, v WHERE t.a = x.a AND t.b IN \
                 (SELECT b FROM (SELECT b FROM w) AS q)",
                "t"
            ),
            ["u", "v", "w"]
        );
    }

    #[test]
    fn markers_inside_quotes_and_comments_stay() {
        let p = Params::Positional(vec![Lit::Str("it's".into())]);
        assert_eq!(
            inline("DELETE FROM t WHERE a = '?' /* ? */ AND b = ? -- ?\n", &p),
            Ok("DELETE FROM t WHERE a = '?' /* ? */ AND b = 'it''s' -- ?\n".into())
        );
        assert_eq!(
            inline("DELETE FROM t WHERE a LIKE '50%%' AND b = %s", &p),
            Ok("DELETE FROM t WHERE a LIKE '50%' AND b = 'it''s'".into())
        );
    }
}
