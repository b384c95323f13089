//! Raw SQL handed to `execute(...)`, parsed with `sqlparser` and turned into the same
//! normalized operations Alembic calls produce. Never grepped: comments and string contents
//! inside the SQL cannot trigger anything.

use ruff_text_size::TextRange;
use sqlparser::ast::{
    AlterColumnOperation, AlterIndexOperation, AlterTableOperation, AlterTypeOperation,
    AssignmentTarget, BinaryOperator, ColumnDef, ColumnOption, DeferrableInitial, Expr, FromTable,
    ObjectName, ObjectType, ReferentialAction, RenameTableNameKind, SelectItem, SetExpr, Statement,
    TableConstraint, TableFactor, TableWithJoins,
};
use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

// `DialectHint` lives in the model (a field of `MigrationAST`); re-exported for older paths.
pub use super::model::DialectHint;
use super::model::{
    ColumnSpec, ConstraintKind, ConstraintSpec, KeyDetail, OpKind, Operation, Origin, Value,
    same_name,
};

/// The placeholder an f-string hole `{...}` becomes: an identifier the parser accepts.
#[must_use]
pub fn hole(index: usize) -> String {
    format!("mrt_hole_{index}_")
}

/// How [`driver_markers`] reads a text handed to the driver with parameters in its own style
/// (`conn.execute("... VALUES (%s, %s)", (a, b))`, psycopg2's and PyMySQL's `format` and
/// `pyformat` styles).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MarkerReading {
    /// As the driver formats the whole text, quoted parts too: `%%` is a literal `%`, and
    /// `%(...)s` names anything up to its `)s`.
    Driver,
    /// Only the unmistakable markers, `%s` and `%(identifier)s`; every other `%` stays as it is.
    Unmistakable,
}

/// `text` with each driver parameter marker (`%s`, `%(name)s`) replaced by what `marker`
/// makes of it, read as `reading` says.
#[must_use]
pub fn driver_markers(
    text: &str,
    reading: MarkerReading,
    mut marker: impl FnMut(&str) -> String,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if reading == MarkerReading::Driver
            && let Some(after) = tail.strip_prefix("%%")
        {
            out.push('%');
            rest = after;
            continue;
        }
        let len = if tail.starts_with("%s") {
            Some(2)
        } else {
            tail.strip_prefix("%(").and_then(|named| {
                let end = named.find(")s")?;
                let name = &named[..end];
                (reading == MarkerReading::Driver
                    || name.chars().all(|c| c.is_alphanumeric() || c == '_'))
                .then_some(end + 4)
            })
        };
        if let Some(len) = len {
            out.push_str(&marker(&tail[..len]));
            rest = &tail[len..];
        } else {
            out.push('%');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The driver's parameter markers in `text` as holes, as an f-string's `{...}` are: each
/// marker's own text is pushed onto `holes`.
#[must_use]
pub fn driver_params(text: &str, holes: &mut Vec<String>) -> String {
    driver_markers(text, MarkerReading::Driver, |marker| {
        holes.push(marker.to_string());
        hole(holes.len() - 1)
    })
}

/// Put the `{...}` source text back into a name for messages.
#[must_use]
pub fn restore(text: &str, holes: &[String]) -> String {
    let mut out = text.to_string();
    for (i, src) in holes.iter().enumerate().rev() {
        out = out.replace(&hole(i), &format!("{{{src}}}"));
    }
    out
}

fn dialects(hint: DialectHint) -> Vec<Box<dyn Dialect>> {
    let mut out: Vec<Box<dyn Dialect>> = Vec::with_capacity(4);
    match hint {
        DialectHint::MySql => out.push(Box::new(MySqlDialect {})),
        DialectHint::Sqlite => out.push(Box::new(SQLiteDialect {})),
        DialectHint::Postgres | DialectHint::Unknown => {}
    }
    out.push(Box::new(PostgreSqlDialect {}));
    if hint != DialectHint::MySql {
        out.push(Box::new(MySqlDialect {}));
    }
    out.push(Box::new(GenericDialect {}));
    if hint != DialectHint::Sqlite {
        out.push(Box::new(SQLiteDialect {}));
    }
    out
}

/// The operations one piece of raw SQL performs. `Err` carries the parser's complaint for the
/// first statement no dialect could read; the statements that did parse are still returned.
pub fn analyse(
    sql: &str,
    holes: &[String],
    hint: DialectHint,
    range: TextRange,
) -> (Vec<Operation>, Option<String>) {
    let dialects = dialects(hint);
    // The likely dialect first, on the whole text (the common case: it parses).
    let first_error = match Parser::parse_sql(dialects[0].as_ref(), sql) {
        Ok(statements) => {
            let mut ops = Vec::new();
            for stmt in &statements {
                statement_ops(stmt, holes, range, &mut ops);
            }
            return (ops, None);
        }
        Err(err) => Some(err.to_string()),
    };
    // One statement the parser does not know should not hide the others: parse them one by
    // one (each with every dialect), and recognise a few statements sqlparser cannot read by
    // their leading keywords.
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        for dialect in &dialects[1..] {
            if let Ok(statements) = Parser::parse_sql(dialect.as_ref(), sql) {
                let mut ops = Vec::new();
                for stmt in &statements {
                    statement_ops(stmt, holes, range, &mut ops);
                }
                return (ops, None);
            }
        }
        return (Vec::new(), first_error);
    };
    let mut ops = Vec::new();
    let mut error = None;
    for chunk in tokens.split(|t| matches!(t, Token::SemiColon)) {
        let text: String = chunk.iter().map(ToString::to_string).collect();
        if text.trim().is_empty() {
            continue;
        }
        // The two most likely dialects: a statement neither reads is procedural code, and
        // trying every dialect on each piece of it costs more than it finds.
        let mut last_error = None;
        let parsed =
            dialects
                .iter()
                .take(2)
                .find_map(|d| match Parser::parse_sql(d.as_ref(), &text) {
                    Ok(statements) => Some(statements),
                    Err(e) => {
                        last_error.get_or_insert(e.to_string());
                        None
                    }
                });
        let parsed = parsed.or_else(|| {
            let text = sqlite_is_spelled_out(chunk)?;
            dialects
                .iter()
                .take(2)
                .find_map(|d| Parser::parse_sql(d.as_ref(), &text).ok())
        });
        if let Some(statements) = parsed {
            for stmt in &statements {
                statement_ops(stmt, holes, range, &mut ops);
            }
        } else if let Some(op) = by_keywords(chunk, holes, range) {
            ops.push(op);
        } else if error.is_none() {
            error = last_error.or_else(|| first_error.clone());
        }
    }
    (ops, error)
}

/// Every statement of `sql` only sets how the session behaves (`SET CONSTRAINTS ALL
/// IMMEDIATE`, `SET search_path = x`, `SET LOCAL lock_timeout = '5s'`) or refreshes the
/// planner's statistics (`ANALYZE t`): it writes no row. A statement with a parenthesis may
/// call a function or run a query (MySQL's `SET @x = (SELECT ...)`), so it is not one of them;
/// an empty text or one that does not tokenize neither.
#[must_use]
pub fn writes_no_rows(sql: &str) -> bool {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        return false;
    };
    let mut statements = 0;
    for chunk in tokens.split(|t| matches!(t, Token::SemiColon)) {
        let mut significant = chunk.iter().filter(|t| !matches!(t, Token::Whitespace(_)));
        let Some(first) = significant.next() else {
            continue;
        };
        let settles =
            matches!(first, Token::Word(w) if matches!(w.keyword, Keyword::SET | Keyword::ANALYZE));
        if !settles || chunk.iter().any(|t| matches!(t, Token::LParen)) {
            return false;
        }
        statements += 1;
    }
    statements > 0
}

/// SQLite's `x IS 'v'` and `x IS NOT 'v'` compare with any value, not only NULL; the parser
/// reads only the standard spelling of the same comparison, `IS [NOT] DISTINCT FROM`. The
/// statement with every such comparison spelled that way; `None` when it has none.
fn sqlite_is_spelled_out(tokens: &[Token]) -> Option<String> {
    let significant =
        |from: usize| (from..tokens.len()).find(|&j| !matches!(tokens[j], Token::Whitespace(_)));
    let is_word = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k);
    let mut out = String::new();
    let mut changed = false;
    let mut i = 0;
    while i < tokens.len() {
        if is_word(&tokens[i], Keyword::IS) {
            let mut next = significant(i + 1);
            let negated = next.is_some_and(|j| is_word(&tokens[j], Keyword::NOT));
            if negated {
                next = next.and_then(|j| significant(j + 1));
            }
            if let Some(j) = next
                .filter(|&j| matches!(tokens[j], Token::SingleQuotedString(_) | Token::Number(..)))
            {
                out.push_str(if negated {
                    "IS DISTINCT FROM "
                } else {
                    "IS NOT DISTINCT FROM "
                });
                out.push_str(&tokens[j].to_string());
                changed = true;
                i = j + 1;
                continue;
            }
        }
        out.push_str(&tokens[i].to_string());
        i += 1;
    }
    changed.then_some(out)
}

/// Statements recognised by their first keywords when no dialect parses them.
fn by_keywords(tokens: &[Token], holes: &[String], range: TextRange) -> Option<Operation> {
    let words: Vec<(Keyword, String)> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Word(w) => Some((w.keyword, w.value.clone())),
            _ => None,
        })
        .take(8)
        .collect();
    let kw = |i: usize| words.get(i).map(|w| w.0);
    // The first word that is not one of these keywords: the object's name.
    let name_after = |skip: &[Keyword]| {
        words
            .iter()
            .skip(2)
            .find(|w| !skip.contains(&w.0))
            .map(|w| restore(&w.1, holes))
    };
    match (kw(0), kw(1)) {
        (Some(Keyword::ALTER), Some(Keyword::SEQUENCE)) => {
            let mut op = Operation::new(OpKind::AlterSequence, Origin::Sql, range);
            op.name = words.get(2).map(|w| restore(&w.1, holes));
            Some(op)
        }
        (Some(Keyword::DROP), Some(Keyword::INDEX)) => {
            // `DROP INDEX CONCURRENTLY IF EXISTS name` (PostgreSQL) is not in sqlparser.
            let mut op = Operation::new(OpKind::DropIndex, Origin::Sql, range);
            op.concurrently = kw(2) == Some(Keyword::CONCURRENTLY);
            op.name = name_after(&[Keyword::CONCURRENTLY, Keyword::IF, Keyword::EXISTS]);
            Some(op)
        }
        // Statements that read, or tune the session, but change no schema or row.
        (
            Some(
                Keyword::SELECT
                | Keyword::SHOW
                | Keyword::EXPLAIN
                | Keyword::PRAGMA
                | Keyword::SET
                | Keyword::REINDEX
                | Keyword::ANALYZE
                | Keyword::VACUUM,
            ),
            _,
        ) if !words.iter().any(|w| w.1.eq_ignore_ascii_case("setval")) => {
            let mut op = Operation::new(OpKind::Read, Origin::Sql, range);
            // `PRAGMA` only exists on SQLite: it tells the file's dialect.
            op.name = words.first().map(|w| w.1.to_ascii_uppercase());
            Some(op)
        }
        _ => None,
    }
}

fn name_of(name: &ObjectName, holes: &[String]) -> String {
    let part = |p: &sqlparser::ast::ObjectNamePart| match p.as_ident() {
        Some(ident) => ident.value.clone(),
        None => p.to_string(),
    };
    // The name with its schema, as `op.*(..., schema="users")` gives it (`users.tokens`);
    // PostgreSQL's default schema is left out (`public.users` → `users`), as is a catalog.
    let mut parts = name.0.iter().rev();
    let last = parts.next().map_or_else(String::new, part);
    let table = match parts.next().map(part) {
        Some(schema) => super::model::in_schema(last, Some(&schema)),
        None => last,
    };
    restore(&table, holes)
}

fn table_of(t: &TableWithJoins, holes: &[String]) -> Option<String> {
    match &t.relation {
        TableFactor::Table { name, .. } => Some(name_of(name, holes)),
        _ => None,
    }
}

/// The tables (and named sub-selects) a statement reads from, with their aliases.
type Scope = Vec<(String, Option<String>)>;

fn scope_of(tables: &[TableWithJoins], holes: &[String], out: &mut Scope) {
    for t in tables {
        for relation in std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)) {
            match relation {
                TableFactor::Table { name, alias, .. } => out.push((
                    name_of(name, holes),
                    alias.as_ref().map(|a| a.name.value.clone()),
                )),
                // A sub-select, by its alias: `from_subqueries` says what its columns read.
                TableFactor::Derived {
                    alias: Some(alias), ..
                } => out.push((alias.name.value.clone(), None)),
                _ => {}
            }
        }
    }
}

/// Words of SQL that are never column names in the expressions we read.
const NOT_COLUMNS: &[&str] = &[
    "select", "from", "where", "and", "or", "not", "null", "case", "when", "then", "else", "end",
    "as", "cast", "is", "in", "true", "false", "join", "on", "left", "right", "inner", "outer",
    "distinct", "between", "like", "ilike", "exists", "limit", "order", "by", "group", "having",
    "asc", "desc", "using", "interval", "any", "all", "some", "union", "with", "over",
];

/// The columns a CHECK condition names (`verbose_name != ''` → `verbose_name`): every word that
/// is not a function call, a qualifier, a literal or an operator keyword. A column it names being dropped
/// drops the constraint with it (PostgreSQL, SQLite's table rebuild). A type name after `::`
/// may slip in; it only matters if a column of that name is dropped.
#[must_use]
pub fn condition_columns(condition: &str) -> Vec<String> {
    const OPERATORS: [Keyword; 16] = [
        Keyword::AND,
        Keyword::OR,
        Keyword::NOT,
        Keyword::NULL,
        Keyword::IS,
        Keyword::TRUE,
        Keyword::FALSE,
        Keyword::IN,
        Keyword::LIKE,
        Keyword::BETWEEN,
        Keyword::CASE,
        Keyword::WHEN,
        Keyword::THEN,
        Keyword::ELSE,
        Keyword::END,
        Keyword::AS,
    ];
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, condition).tokenize() else {
        return Vec::new();
    };
    let tokens: Vec<&Token> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    let mut out: Vec<String> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let Token::Word(w) = t else { continue };
        // `lower(name)`: a function; `t.name`, `indico.f(...)`: a qualifier.
        let call = matches!(tokens.get(i + 1), Some(Token::LParen | Token::Period));
        if call || OPERATORS.contains(&w.keyword) {
            continue;
        }
        if !out.iter().any(|c| c.eq_ignore_ascii_case(&w.value)) {
            out.push(w.value.clone());
        }
    }
    out
}

/// The columns an expression (or a sub-select inside it) reads. Names are matched to the
/// tables in scope by qualifier or alias; an unqualified name may belong to any of them.
fn expr_reads(text: &str, scope: &Scope, holes: &[String], out: &mut Vec<(String, String)>) {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, text).tokenize() else {
        return;
    };
    let tokens: Vec<&Token> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    // A sub-select brings its own tables into scope.
    let mut scope = scope.clone();
    for (i, t) in tokens.iter().enumerate() {
        if let Token::Word(w) = t
            && matches!(w.keyword, Keyword::FROM | Keyword::JOIN)
            && let Some(Token::Word(name)) = tokens.get(i + 1)
        {
            let alias = match tokens.get(i + 2) {
                Some(Token::Word(a)) if a.keyword == Keyword::AS => match tokens.get(i + 3) {
                    Some(Token::Word(a)) => Some(a.value.clone()),
                    _ => None,
                },
                Some(Token::Word(a)) if a.keyword == Keyword::NoKeyword => Some(a.value.clone()),
                _ => None,
            };
            scope.push((restore(&name.value, holes), alias));
        }
    }
    let table_named = |q: &str| -> String {
        scope
            .iter()
            .find(|(t, a)| {
                a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(q)) || t.eq_ignore_ascii_case(q)
            })
            .map_or_else(|| q.to_string(), |(t, _)| t.clone())
    };
    let mut i = 0;
    while i < tokens.len() {
        if let Token::Word(w) = tokens[i] {
            let lower = w.value.to_ascii_lowercase();
            let next = tokens.get(i + 1);
            if matches!(next, Some(Token::Period)) {
                match tokens.get(i + 2) {
                    Some(Token::Word(c)) => {
                        out.push((table_named(&w.value), restore(&c.value, holes)));
                    }
                    Some(Token::Mul) => out.push((table_named(&w.value), "*".to_string())),
                    _ => {}
                }
                i += 3;
                continue;
            }
            let function = matches!(next, Some(Token::LParen));
            let after_from = i > 0
                && matches!(tokens[i - 1], Token::Word(p) if matches!(p.keyword, Keyword::FROM | Keyword::JOIN | Keyword::AS));
            // `:id`, `%s` and `%(id)s` are bound parameters (values from Python), not columns.
            let parameter = i > 0 && matches!(tokens[i - 1], Token::Colon)
                || restore(&w.value, holes).starts_with("{%");
            if !function
                && !after_from
                && !parameter
                && (w.quote_style.is_some() || !NOT_COLUMNS.contains(&lower.as_str()))
            {
                for (t, _) in &scope {
                    out.push((t.clone(), restore(&w.value, holes)));
                }
            }
        }
        i += 1;
    }
}

/// The columns a query reads: its projection over its FROM tables (`*` for every column).
fn query_reads(q: &sqlparser::ast::Query, holes: &[String], out: &mut Vec<(String, String)>) {
    let mut reads = Vec::new();
    set_reads(&q.body, holes, &mut reads);
    if let Some(with) = &q.with {
        let derived = ctes(
            with,
            holes,
            &Vec::new(),
            TextRange::default(),
            &mut Vec::new(),
        );
        through(&derived, &mut reads);
    }
    out.extend(reads);
}

/// The columns of a row source that is not a table (a `WITH` query, a sub-select in `FROM`),
/// in order, each with the table columns its values come from.
type Columns = Vec<(String, Vec<(String, String)>)>;

/// Such row sources of a statement, by name.
type Derived = Vec<(String, Columns)>;

/// Reads of a `WITH` query's or a sub-select's columns become reads of the table columns their
/// values come from (`WITH moved AS (SELECT id, event_id FROM reservations) INSERT INTO links
/// SELECT event_id FROM moved` reads `reservations.event_id`). A name the row source does not
/// have (an unqualified name matched to every table in scope) is no read of it. Only the values
/// are followed, not a WHERE's reads: `WHERE loc.id = first.id` joins on a key, and read as the
/// table's own column it would take a choice of rows (indico 8521bce91242's downgrade marks the
/// first location as the default) for values derived from each row's data.
fn through(derived: &Derived, reads: &mut Vec<(String, String)>) {
    if derived.is_empty() {
        return;
    }
    for (table, column) in std::mem::take(reads) {
        let Some(columns) = derived_columns(derived, &table) else {
            reads.push((table, column));
            continue;
        };
        for (name, sources) in columns {
            if column != "*" && name != "*" && !name.eq_ignore_ascii_case(&column) {
                continue;
            }
            for (t, c) in sources {
                // `SELECT *` of a table: the column read is that table's column of the name.
                let c = if c == "*" { column.clone() } else { c.clone() };
                if !reads.iter().any(|r| r.0 == *t && r.1 == c) {
                    reads.push((t.clone(), c));
                }
            }
        }
    }
}

/// The `WITH` queries of a statement as row sources, each read through those before it. A
/// data-modifying one (`WITH moved AS (INSERT ... RETURNING id)`) is a statement of its own,
/// pushed to `out`.
fn ctes(
    with: &sqlparser::ast::With,
    holes: &[String],
    outer: &Derived,
    range: TextRange,
    out: &mut Vec<Operation>,
) -> Derived {
    let mut derived = outer.clone();
    for cte in &with.cte_tables {
        if let SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) =
            cte.query.body.as_ref()
        {
            let mut ops = Vec::new();
            statement_ops(s, holes, range, &mut ops);
            for op in &mut ops {
                through(&derived, &mut op.reads);
            }
            out.extend(ops);
        }
        let columns = output_columns(&cte.query, holes, &derived);
        derived.push(aliased(columns, &cte.alias));
    }
    derived
}

/// A derived table under its alias: `WITH x (a, b) AS (...)` and `(SELECT ...) AS l (a, b)`
/// name the columns by position.
fn aliased(mut columns: Columns, alias: &sqlparser::ast::TableAlias) -> (String, Columns) {
    for (column, name) in columns.iter_mut().zip(&alias.columns) {
        column.0.clone_from(&name.name.value);
    }
    (alias.name.value.clone(), columns)
}

/// The columns of the derived table `name` (the innermost one, when a name is reused).
fn derived_columns<'a>(derived: &'a Derived, name: &str) -> Option<&'a Columns> {
    derived
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, columns)| columns)
}

/// The sub-selects in a `FROM` list (`FROM (SELECT id, event_id FROM links) AS l`) as row
/// sources, read through `outer`.
fn from_subqueries(tables: &[TableWithJoins], holes: &[String], outer: &Derived) -> Derived {
    let mut derived = Vec::new();
    for t in tables {
        for relation in std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)) {
            if let TableFactor::Derived {
                subquery,
                alias: Some(alias),
                ..
            } = relation
            {
                derived.push(aliased(output_columns(subquery, holes, outer), alias));
            }
        }
    }
    derived
}

/// The columns a query returns, each with the table columns its values come from.
fn output_columns(q: &sqlparser::ast::Query, holes: &[String], outer: &Derived) -> Columns {
    let derived = match &q.with {
        Some(with) => ctes(with, holes, outer, TextRange::default(), &mut Vec::new()),
        None => outer.clone(),
    };
    set_columns(&q.body, holes, &derived)
}

fn set_columns(body: &SetExpr, holes: &[String], outer: &Derived) -> Columns {
    match body {
        SetExpr::Select(select) => {
            let mut scope = Vec::new();
            scope_of(&select.from, holes, &mut scope);
            let mut derived = outer.clone();
            derived.extend(from_subqueries(&select.from, holes, outer));
            item_columns(&select.projection, &scope, holes, &derived)
        }
        SetExpr::Query(q) => output_columns(q, holes, outer),
        // A UNION's column takes its values from both sides.
        SetExpr::SetOperation { left, right, .. } => {
            let mut columns = set_columns(left, holes, outer);
            for ((_, sources), (_, more)) in
                columns.iter_mut().zip(set_columns(right, holes, outer))
            {
                sources.extend(more);
            }
            columns
        }
        // `RETURNING`: the columns of the rows written.
        SetExpr::Insert(Statement::Insert(i)) => {
            let scope = vec![(restore(&i.table.to_string(), holes), None)];
            item_columns(
                i.returning.as_deref().unwrap_or_default(),
                &scope,
                holes,
                &Vec::new(),
            )
        }
        SetExpr::Update(Statement::Update(u)) => {
            let mut scope = Vec::new();
            scope_of(std::slice::from_ref(&u.table), holes, &mut scope);
            item_columns(
                u.returning.as_deref().unwrap_or_default(),
                &scope,
                holes,
                &Vec::new(),
            )
        }
        _ => Vec::new(),
    }
}

/// The columns a projection returns, named as SQL names them (an expression that is neither
/// aliased nor a column keeps its place under a name no read uses).
fn item_columns(
    items: &[SelectItem],
    scope: &Scope,
    holes: &[String],
    derived: &Derived,
) -> Columns {
    let mut columns = Columns::new();
    for item in items {
        let (name, expr) = match item {
            SelectItem::ExprWithAlias { expr, alias } => (restore(&alias.value, holes), expr),
            SelectItem::UnnamedExpr(expr) => {
                let name = match expr {
                    Expr::Identifier(i) => restore(&i.value, holes),
                    Expr::CompoundIdentifier(parts) => parts
                        .last()
                        .map_or_else(String::new, |i| restore(&i.value, holes)),
                    _ => "?column?".to_string(),
                };
                (name, expr)
            }
            SelectItem::ExprWithAliases { .. } => {
                columns.push(("?column?".to_string(), Vec::new()));
                continue;
            }
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => {
                // Every column of every table in scope (a qualified one is not told apart).
                for (table, _) in scope {
                    match derived_columns(derived, table) {
                        Some(of_derived) => columns.extend(of_derived.iter().cloned()),
                        None => {
                            columns.push(("*".to_string(), vec![(table.clone(), "*".to_string())]));
                        }
                    }
                }
                continue;
            }
        };
        let mut sources = Vec::new();
        expr_reads(&expr.to_string(), scope, holes, &mut sources);
        through(derived, &mut sources);
        columns.push((name, sources));
    }
    columns
}

fn set_reads(body: &SetExpr, holes: &[String], out: &mut Vec<(String, String)>) {
    match body {
        SetExpr::Select(select) => {
            let mut scope = Vec::new();
            scope_of(&select.from, holes, &mut scope);
            let derived = from_subqueries(&select.from, holes, &Vec::new());
            let mut reads = Vec::new();
            for item in &select.projection {
                match item {
                    SelectItem::UnnamedExpr(e)
                    | SelectItem::ExprWithAlias { expr: e, .. }
                    | SelectItem::ExprWithAliases { expr: e, .. } => {
                        expr_reads(&e.to_string(), &scope, holes, &mut reads);
                    }
                    SelectItem::Wildcard(_) => {
                        reads.extend(scope.iter().map(|(t, _)| (t.clone(), "*".to_string())));
                    }
                    SelectItem::QualifiedWildcard(kind, _) => {
                        let q = match kind {
                            sqlparser::ast::SelectItemQualifiedWildcardKind::ObjectName(n) => {
                                name_of(n, holes)
                            }
                            sqlparser::ast::SelectItemQualifiedWildcardKind::Expr(e) => {
                                e.to_string()
                            }
                        };
                        let table = scope
                            .iter()
                            .find(|(t, a)| a.as_deref() == Some(q.as_str()) || *t == q)
                            .map_or(q.clone(), |(t, _)| t.clone());
                        reads.push((table, "*".to_string()));
                    }
                }
            }
            through(&derived, &mut reads);
            out.extend(reads);
        }
        SetExpr::Query(q) => query_reads(q, holes, out),
        SetExpr::SetOperation { left, right, .. } => {
            set_reads(left, holes, out);
            set_reads(right, holes, out);
        }
        _ => {}
    }
}

fn column_spec(def: &ColumnDef, holes: &[String], range: TextRange) -> ColumnSpec {
    let mut spec = ColumnSpec {
        name: restore(&def.name.value, holes),
        type_: Some(Value::Name(def.data_type.to_string())),
        range,
        ..ColumnSpec::default()
    };
    for opt in &def.options {
        match &opt.option {
            ColumnOption::NotNull => spec.nullable = Some(false),
            ColumnOption::Null => spec.nullable = Some(true),
            ColumnOption::Default(expr) => spec.server_default = Some(expr.to_string()),
            ColumnOption::PrimaryKey(_) => spec.primary_key = true,
            ColumnOption::Unique(_) => spec.unique = true,
            ColumnOption::Generated {
                generation_expr: Some(_),
                ..
            } => spec.generated = true,
            ColumnOption::ForeignKey(fk) => {
                spec.fk_ondelete = fk.on_delete.map(|a| referential(a).to_string());
                spec.fk_table = Some(name_of(&fk.foreign_table, holes));
            }
            _ => {}
        }
    }
    spec
}

/// A table constraint of `CREATE TABLE` / `ALTER TABLE ... ADD CONSTRAINT`.
fn constraint_spec(constraint: &TableConstraint, holes: &[String]) -> Option<ConstraintSpec> {
    let ident = |i: &sqlparser::ast::Ident| restore(&i.value, holes);
    let index_cols = |cols: &[sqlparser::ast::IndexColumn]| -> Vec<String> {
        cols.iter()
            .filter_map(|c| match &c.column.expr {
                Expr::Identifier(i) => Some(ident(i)),
                _ => None,
            })
            .collect()
    };
    let spec = match constraint {
        TableConstraint::Unique(c) => ConstraintSpec {
            kind: ConstraintKind::Unique,
            name: c.name.as_ref().map(ident),
            columns: index_cols(&c.columns),
            ref_table: None,
            detail: KeyDetail::default(),
        },
        TableConstraint::PrimaryKey(c) => ConstraintSpec {
            kind: ConstraintKind::PrimaryKey,
            name: c.name.as_ref().map(ident),
            columns: index_cols(&c.columns),
            ref_table: None,
            detail: KeyDetail::default(),
        },
        TableConstraint::ForeignKey(c) => ConstraintSpec {
            kind: ConstraintKind::ForeignKey,
            name: c.name.as_ref().map(ident),
            columns: c.columns.iter().map(ident).collect(),
            ref_table: Some(name_of(&c.foreign_table, holes)),
            detail: KeyDetail {
                ref_columns: c.referred_columns.iter().map(ident).collect(),
                ondelete: c.on_delete.map(|a| referential(a).to_string()),
                onupdate: c.on_update.map(|a| referential(a).to_string()),
                deferrable: c.characteristics.and_then(|k| k.deferrable),
                initially: c
                    .characteristics
                    .and_then(|k| k.initially)
                    .map(|i| match i {
                        DeferrableInitial::Deferred => "DEFERRED".to_string(),
                        DeferrableInitial::Immediate => "IMMEDIATE".to_string(),
                    }),
                whole: c.match_kind.is_none()
                    && c.characteristics.is_none_or(|k| k.enforced.is_none())
                    && !c.columns.is_empty()
                    && c.columns.len() == c.referred_columns.len(),
                ..KeyDetail::default()
            },
        },
        TableConstraint::Check(c) => ConstraintSpec {
            kind: ConstraintKind::Check,
            name: c.name.as_ref().map(ident),
            columns: condition_columns(&c.expr.to_string()),
            ref_table: None,
            detail: KeyDetail {
                condition: Some(restore(&c.expr.to_string(), holes)),
                whole: holes.is_empty(),
                ..KeyDetail::default()
            },
        },
        _ => return None,
    };
    Some(spec)
}

fn referential(action: ReferentialAction) -> &'static str {
    match action {
        ReferentialAction::Cascade => "CASCADE",
        ReferentialAction::Restrict => "RESTRICT",
        ReferentialAction::SetNull => "SET NULL",
        ReferentialAction::NoAction => "NO ACTION",
        ReferentialAction::SetDefault => "SET DEFAULT",
    }
}

fn sql_op(kind: OpKind, range: TextRange, stmt: &Statement) -> Operation {
    let mut op = Operation::new(kind, Origin::Sql, range);
    op.sql = Some(stmt.to_string());
    op
}

/// The operation a `DROP <object>` statement makes.
fn drop_kind(object_type: ObjectType) -> OpKind {
    match object_type {
        ObjectType::Table => OpKind::DropTable,
        ObjectType::View | ObjectType::MaterializedView => OpKind::DropView,
        ObjectType::Index => OpKind::DropIndex,
        ObjectType::Sequence => OpKind::DropSequence,
        ObjectType::Type => OpKind::DropType,
        _ => OpKind::Other,
    }
}

/// A statement on one named object (a view, trigger, function, sequence, type).
fn named_op(
    kind: OpKind,
    name: &ObjectName,
    stmt: &Statement,
    holes: &[String],
    range: TextRange,
) -> Operation {
    let mut op = sql_op(kind, range, stmt);
    op.name = Some(name_of(name, holes));
    op
}

/// The columns `c` of a DELETE's `WHERE c IS NOT NULL OR d IS NOT NULL ...` on `table`'s own
/// columns (unqualified, or qualified by `table`): every row it keeps holds NULL in each.
/// `None` for any other condition (an `AND`, parentheses, another table's column).
fn nulled_columns(condition: &Expr, table: &str, holes: &[String]) -> Option<Vec<String>> {
    match condition {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => {
            let mut columns = nulled_columns(left, table, holes)?;
            columns.extend(nulled_columns(right, table, holes)?);
            Some(columns)
        }
        Expr::IsNotNull(tested) => {
            let column = match tested.as_ref() {
                Expr::Identifier(c) => c,
                Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                    [.., qualifier, c] if same_name(&restore(&qualifier.value, holes), table) => c,
                    _ => return None,
                },
                _ => return None,
            };
            let name = restore(&column.value, holes);
            (!name.is_empty()).then(|| vec![name.to_ascii_lowercase()])
        }
        _ => None,
    }
}

/// The operations one parsed statement makes, pushed to `out` (a `DROP` or `ALTER TABLE` of
/// several objects makes one each).
fn statement_ops(stmt: &Statement, holes: &[String], range: TextRange, out: &mut Vec<Operation>) {
    match stmt {
        Statement::Drop { .. }
        | Statement::DropFunction(_)
        | Statement::DropTrigger(_)
        | Statement::Truncate(_) => drop_ops(stmt, holes, range, out),
        Statement::Update(u) => out.push(update_op(stmt, u, holes, range)),
        Statement::Delete(d) => {
            let tables = match &d.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            let mut op = sql_op(OpKind::Delete, range, stmt);
            op.table = tables.first().and_then(|t| table_of(t, holes));
            op.has_where = d.selection.is_some() || d.limit.is_some();
            if let (Some(table), Some(selection), [_], None, None, []) = (
                &op.table,
                &d.selection,
                tables.as_slice(),
                &d.using,
                &d.limit,
                d.order_by.as_slice(),
            ) && tables[0].joins.is_empty()
            {
                op.nulled = nulled_columns(selection, table, holes).unwrap_or_default();
            }
            out.push(op);
        }
        Statement::Insert(i) => out.push(insert_op(stmt, i, holes, range)),
        Statement::CreateTable(t) => out.push(create_table_op(stmt, t, holes, range)),
        Statement::CreateView(v) => {
            out.push(named_op(OpKind::CreateView, &v.name, stmt, holes, range));
        }
        Statement::CreateIndex(i) => out.push(create_index_op(stmt, i, holes, range)),
        Statement::CreateTrigger(t) => {
            out.push(named_op(OpKind::CreateTrigger, &t.name, stmt, holes, range));
        }
        Statement::CreateFunction(f) => out.push(named_op(
            OpKind::CreateFunction,
            &f.name,
            stmt,
            holes,
            range,
        )),
        Statement::CreateSequence { name, .. } => {
            out.push(named_op(OpKind::CreateSequence, name, stmt, holes, range));
        }
        Statement::CreateType { name, .. } => {
            out.push(named_op(OpKind::CreateType, name, stmt, holes, range));
        }
        Statement::AlterType(t) => {
            let mut op = sql_op(OpKind::Other, range, stmt);
            op.name = Some(name_of(&t.name, holes));
            match &t.operation {
                AlterTypeOperation::AddValue(add) => {
                    op.kind = OpKind::AlterTypeAddValue;
                    op.new_name = Some(restore(&add.value.value, holes));
                }
                AlterTypeOperation::Rename(rename) => {
                    op.kind = OpKind::RenameType;
                    op.new_name = Some(restore(&rename.new_name.value, holes));
                }
                AlterTypeOperation::RenameValue(_) => {}
            }
            out.push(op);
        }
        Statement::AlterIndex {
            name,
            operation: AlterIndexOperation::RenameIndex { index_name },
        } => {
            let mut op = sql_op(OpKind::RenameIndex, range, stmt);
            op.name = Some(name_of(name, holes));
            op.new_name = Some(name_of(index_name, holes));
            out.push(op);
        }
        Statement::AlterTable(t) => alter_table_ops(stmt, t, holes, range, out),
        Statement::Query(q) => query_ops(stmt, q, holes, range, out),
        _ => out.push(sql_op(OpKind::Other, range, stmt)),
    }
}

/// `DROP ...` (one operation per object named), `DROP FUNCTION`, `DROP TRIGGER` and
/// `TRUNCATE` (one per table).
fn drop_ops(stmt: &Statement, holes: &[String], range: TextRange, out: &mut Vec<Operation>) {
    match stmt {
        Statement::Drop {
            object_type,
            names,
            table,
            if_exists,
            ..
        } => {
            let kind = drop_kind(*object_type);
            for name in names {
                let mut op = sql_op(kind, range, stmt);
                op.if_exists = *if_exists;
                if kind == OpKind::DropTable {
                    op.table = Some(name_of(name, holes));
                } else {
                    op.name = Some(name_of(name, holes));
                    op.table = table.as_ref().map(|t| name_of(t, holes));
                }
                out.push(op);
            }
        }
        Statement::DropFunction(f) => out.extend(
            f.func_desc
                .iter()
                .map(|desc| named_op(OpKind::DropFunction, &desc.name, stmt, holes, range)),
        ),
        Statement::DropTrigger(t) => {
            let mut op = sql_op(OpKind::DropTrigger, range, stmt);
            op.name = Some(name_of(&t.trigger_name, holes));
            op.table = t.table_name.as_ref().map(|n| name_of(n, holes));
            out.push(op);
        }
        Statement::Truncate(t) => {
            for target in &t.table_names {
                let mut op = sql_op(OpKind::Truncate, range, stmt);
                op.table = Some(name_of(&target.name, holes));
                out.push(op);
            }
        }
        _ => {}
    }
}

/// `UPDATE`: the columns it writes, and what its values and a re-joining WHERE read.
fn update_op(
    stmt: &Statement,
    u: &sqlparser::ast::Update,
    holes: &[String],
    range: TextRange,
) -> Operation {
    let mut op = sql_op(OpKind::Update, range, stmt);
    op.table = table_of(&u.table, holes);
    let mut scope = Vec::new();
    scope_of(std::slice::from_ref(&u.table), holes, &mut scope);
    let mut derived = Derived::new();
    let mut lookups = Vec::new();
    if let Some(
        sqlparser::ast::UpdateTableFromKind::BeforeSet(from)
        | sqlparser::ast::UpdateTableFromKind::AfterSet(from),
    ) = &u.from
    {
        scope_of(from, holes, &mut scope);
        derived = from_subqueries(from, holes, &Vec::new());
        lookups = literal_tables(from);
    }
    for a in &u.assignments {
        match &a.target {
            AssignmentTarget::ColumnName(c) => {
                let written = name_of(c, holes);
                if let Some(source) = verbatim_column(&a.value, &scope, holes) {
                    op.copies.push((written.clone(), source));
                }
                op.writes.push(written);
            }
            AssignmentTarget::Tuple(cs) => {
                op.writes.extend(cs.iter().map(|c| name_of(c, holes)));
            }
        }
        expr_reads(&a.value.to_string(), &scope, holes, &mut op.reads);
    }
    // A re-join (`... FROM b WHERE b.name = t.b_name`): the rows written depend on the
    // columns the WHERE reads.
    if !op.writes.is_empty()
        && let Some(selection) = &u.selection
    {
        expr_reads(&selection.to_string(), &scope, holes, &mut op.filter_reads);
    }
    // A literal lookup table (`FROM (VALUES ('Hiking', '/img/hiking.png'), ...) AS si(label,
    // img) WHERE si.label = s.label`, fittrackee 080acc8ee956): the value it gives each row is
    // a function of the row's own column it is joined on.
    if let (Some(target), Some(selection)) = (&op.table, &u.selection)
        && op
            .reads
            .iter()
            .any(|(t, _)| lookups.iter().any(|l| l.eq_ignore_ascii_case(t)))
    {
        let keys = lookup_keys(selection, &lookups, target, &scope, holes);
        if !keys.is_empty() {
            let literal =
                |(t, _): &(String, String)| lookups.iter().any(|l| l.eq_ignore_ascii_case(t));
            op.reads.retain(|r| !literal(r));
            op.filter_reads.retain(|r| !literal(r));
            op.reads.extend(keys);
        }
    }
    through(&derived, &mut op.reads);
    op.has_where = u.selection.is_some();
    op.backfill = matches!(u.selection, Some(Expr::IsNull(_)));
    op
}

/// The aliases of `FROM (VALUES ...) AS v(...)` tables: rows of literals.
fn literal_tables(from: &[TableWithJoins]) -> Vec<String> {
    from.iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)))
        .filter_map(|relation| match relation {
            TableFactor::Derived {
                subquery,
                alias: Some(alias),
                ..
            } if matches!(subquery.body.as_ref(), SetExpr::Values(_)) => {
                Some(alias.name.value.clone())
            }
            _ => None,
        })
        .collect()
}

/// The columns of `target` that a `WHERE` equates with a column of a lookup table, in its
/// `AND`ed terms (`si.label = s.label` → `sports.label`).
fn lookup_keys(
    selection: &Expr,
    lookups: &[String],
    target: &str,
    scope: &Scope,
    holes: &[String],
) -> Vec<(String, String)> {
    let of_lookup = |e: &Expr| {
        matches!(e, Expr::CompoundIdentifier(parts)
            if parts.len() == 2 && lookups.iter().any(|l| l.eq_ignore_ascii_case(&parts[0].value)))
    };
    let target_column = |e: &Expr| -> Option<(String, String)> {
        if !matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) || of_lookup(e) {
            return None;
        }
        let mut reads = Vec::new();
        expr_reads(&e.to_string(), scope, holes, &mut reads);
        match reads.as_slice() {
            [(t, c)] if t.eq_ignore_ascii_case(target) && c != "*" => Some((t.clone(), c.clone())),
            _ => None,
        }
    };
    equalities(selection)
        .into_iter()
        .filter_map(|(left, right)| {
            if of_lookup(left) {
                target_column(right)
            } else if of_lookup(right) {
                target_column(left)
            } else {
                None
            }
        })
        .collect()
}

/// The `a = b` terms a `WHERE` joins with `AND` (parentheses looked through).
fn equalities(selection: &Expr) -> Vec<(&Expr, &Expr)> {
    match selection {
        Expr::Nested(inner) => equalities(inner),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            let mut terms = equalities(left);
            terms.extend(equalities(right));
            terms
        }
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => vec![(left.as_ref(), right.as_ref())],
        _ => Vec::new(),
    }
}

/// The column a SET value is, read as is (`SET new = old`, `SET new = CAST(old AS TEXT)`),
/// if it is nothing more.
fn verbatim_column(value: &Expr, scope: &Scope, holes: &[String]) -> Option<(String, String)> {
    let mut value = value;
    loop {
        match value {
            Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => value = inner,
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => break,
            _ => return None,
        }
    }
    let mut reads = Vec::new();
    expr_reads(&value.to_string(), scope, holes, &mut reads);
    match reads.as_slice() {
        [(t, c)] if c != "*" => Some((t.clone(), c.clone())),
        _ => None,
    }
}

/// The column a `WHERE` equates with the bound parameter `param` (`:id`, `%(id)s`) in one of
/// its `AND`ed terms: `WHERE id = :id AND ...` → `id`.
fn column_bound_to<'e>(selection: &'e Expr, param: &str) -> Option<&'e Expr> {
    let is_param = |e: &Expr| {
        let text = e.to_string();
        text == param && (text.starts_with(':') || text.starts_with("%("))
    };
    let is_column = |e: &Expr| matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_));
    equalities(selection).into_iter().find_map(|(left, right)| {
        if is_param(left) && is_column(right) {
            Some(right)
        } else if is_param(right) && is_column(left) {
            Some(left)
        } else {
            None
        }
    })
}

/// `INSERT`: the columns it writes, and what an `INSERT ... SELECT` reads.
fn insert_op(
    stmt: &Statement,
    i: &sqlparser::ast::Insert,
    holes: &[String],
    range: TextRange,
) -> Operation {
    let mut op = sql_op(OpKind::Insert, range, stmt);
    op.table = Some(restore(&i.table.to_string(), holes));
    op.writes = if i.columns.is_empty() {
        vec!["*".to_string()]
    } else {
        i.columns.iter().map(|c| name_of(c, holes)).collect()
    };
    if let Some(source) = &i.source {
        query_reads(source, holes, &mut op.reads);
        // `INSERT INTO t2 SELECT ... FROM t WHERE flag = false`: which rows are copied depends
        // on the columns the WHERE reads (their values are kept as membership in `t2`).
        if let SetExpr::Select(select) = source.body.as_ref() {
            let mut scope = Vec::new();
            scope_of(&select.from, holes, &mut scope);
            if let Some(selection) = &select.selection {
                expr_reads(&selection.to_string(), &scope, holes, &mut op.filter_reads);
            }
            // `INSERT INTO t2 (a, b) SELECT x, y FROM t`: each column a plain column of the
            // source is a verbatim copy of it.
            if source.with.is_none() && op.writes.len() == select.projection.len() {
                for (written, item) in op.writes.iter().zip(&select.projection) {
                    if let sqlparser::ast::SelectItem::UnnamedExpr(e)
                    | sqlparser::ast::SelectItem::ExprWithAlias { expr: e, .. } = item
                    {
                        // A bound parameter the WHERE equates with a column
                        // (`SELECT :notice_id, ... WHERE id = :notice_id`) is that column.
                        let e = select
                            .selection
                            .as_ref()
                            .and_then(|w| column_bound_to(w, &e.to_string()))
                            .unwrap_or(e);
                        if let Some(read) = verbatim_column(e, &scope, holes) {
                            op.copies.push((written.clone(), read));
                        }
                    }
                }
            }
        }
    }
    op
}

/// `CREATE TABLE`: its columns and constraints; `CREATE TABLE ... AS SELECT` is a copy.
fn create_table_op(
    stmt: &Statement,
    t: &sqlparser::ast::CreateTable,
    holes: &[String],
    range: TextRange,
) -> Operation {
    let mut op = sql_op(OpKind::CreateTable, range, stmt);
    op.table = Some(name_of(&t.name, holes));
    op.columns = t
        .columns
        .iter()
        .map(|c| column_spec(c, holes, range))
        .collect();
    op.constraints = t
        .constraints
        .iter()
        .filter_map(|c| constraint_spec(c, holes))
        .collect();
    op.if_exists = t.if_not_exists;
    op.partition_of = t.partition_of.as_ref().map(|p| name_of(p, holes));
    if let Some(query) = &t.query {
        // `CREATE TABLE new AS SELECT ... FROM old`: a copy.
        op.writes = vec!["*".to_string()];
        query_reads(query, holes, &mut op.reads);
    }
    op
}

/// A `CREATE INDEX` with no method, included columns or other option: `mrt fix` can write it
/// again from its elements and condition (when no part of them came from a Python value).
fn plain_index(i: &sqlparser::ast::CreateIndex, holes: &[String]) -> bool {
    let plain = i
        .columns
        .iter()
        .all(|c| matches!(&c.column.expr, Expr::Identifier(id) if c.to_string() == id.to_string()));
    !i.columns.is_empty()
        && (holes.is_empty() || (plain && i.predicate.is_none()))
        && i.using.is_none()
        && i.include.is_empty()
        && i.nulls_distinct.is_none()
        && i.with.is_empty()
        && i.index_options.is_empty()
}

/// Every element of an index as SQL, when one is an expression (`lower(name)`, `created
/// DESC`); none when all are plain columns.
fn index_elements(i: &sqlparser::ast::CreateIndex, holes: &[String]) -> Vec<(bool, String)> {
    let elements: Vec<(bool, String)> = i
        .columns
        .iter()
        .map(|c| match &c.column.expr {
            Expr::Identifier(id) if c.to_string() == id.to_string() => {
                (false, restore(&id.value, holes))
            }
            _ => (true, restore(&c.to_string(), holes)),
        })
        .collect();
    if elements.iter().any(|(expression, _)| *expression) {
        elements
    } else {
        Vec::new()
    }
}

/// `CREATE [UNIQUE] INDEX`: the index and the columns it covers.
fn create_index_op(
    stmt: &Statement,
    i: &sqlparser::ast::CreateIndex,
    holes: &[String],
    range: TextRange,
) -> Operation {
    let mut op = sql_op(OpKind::CreateIndex, range, stmt);
    op.name = i.name.as_ref().map(|n| name_of(n, holes));
    op.table = Some(name_of(&i.table_name, holes));
    op.concurrently = i.concurrently;
    op.unique = i.unique;
    op.if_exists = i.if_not_exists;
    op.constraints.push(ConstraintSpec {
        kind: ConstraintKind::Index,
        name: op.name.clone(),
        // An expression element hangs the index on the columns it names.
        columns: i
            .columns
            .iter()
            .flat_map(|c| match &c.column.expr {
                Expr::Identifier(id) => vec![restore(&id.value, holes)],
                e => condition_columns(&restore(&e.to_string(), holes)),
            })
            .fold(Vec::new(), |mut all: Vec<String>, c| {
                if !all.iter().any(|x| x.eq_ignore_ascii_case(&c)) {
                    all.push(c);
                }
                all
            }),
        ref_table: None,
        detail: KeyDetail {
            unique: i.unique,
            whole: plain_index(i, holes),
            elements: index_elements(i, holes),
            // Raw SQL ran on PostgreSQL or SQLite: the condition holds on either.
            where_: i
                .predicate
                .as_ref()
                .map(|p| {
                    let p = restore(&p.to_string(), holes);
                    vec![
                        ("postgresql_where".to_string(), p.clone()),
                        ("sqlite_where".to_string(), p),
                    ]
                })
                .unwrap_or_default(),
            ..KeyDetail::default()
        },
    });
    op
}

/// `ALTER TABLE`: one operation per clause, and per column of a multi-column drop.
fn alter_table_ops(
    stmt: &Statement,
    t: &sqlparser::ast::AlterTable,
    holes: &[String],
    range: TextRange,
    out: &mut Vec<Operation>,
) {
    let table = name_of(&t.name, holes);
    for operation in &t.operations {
        let mut op = sql_op(OpKind::Other, range, stmt);
        op.table = Some(table.clone());
        alter_table_op(operation, holes, range, &mut op);
        if op.kind == OpKind::DropColumn {
            // `DROP COLUMN a, DROP b` / multi-column drops: one operation per column.
            for col in std::mem::take(&mut op.columns) {
                let mut one = op.clone();
                one.column = Some(col.name);
                out.push(one);
            }
            continue;
        }
        out.push(op);
    }
}

/// A query statement: `SELECT`, or `WITH ... INSERT / UPDATE / DELETE`, each data-modifying
/// `WITH` query a statement of its own, and their reads followed through the `WITH` queries.
fn query_ops(
    stmt: &Statement,
    q: &sqlparser::ast::Query,
    holes: &[String],
    range: TextRange,
    out: &mut Vec<Operation>,
) {
    let Some(with) = &q.with else {
        out.push(query_op(stmt, q, holes, range));
        return;
    };
    let derived = ctes(with, holes, &Vec::new(), range, out);
    let mut ops = Vec::new();
    match q.body.as_ref() {
        SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) => {
            statement_ops(s, holes, range, &mut ops);
        }
        // `query_reads` follows the WITH queries itself.
        _ => {
            out.push(query_op(stmt, q, holes, range));
            return;
        }
    }
    for op in &mut ops {
        through(&derived, &mut op.reads);
    }
    out.extend(ops);
}

/// `SELECT`: what it reads; `SELECT setval(...)` moves a sequence, which does not roll back.
fn query_op(
    stmt: &Statement,
    q: &sqlparser::ast::Query,
    holes: &[String],
    range: TextRange,
) -> Operation {
    // `SELECT setval(...)` / `SELECT nextval(...)`: sequences do not roll back.
    let mut op = sql_op(OpKind::Read, range, stmt);
    query_reads(q, holes, &mut op.reads);
    // Every row of one table (no WHERE, join, grouping filter or limit): what a conversion
    // of the whole table reads.
    op.has_where = match q.body.as_ref() {
        SetExpr::Select(s) => {
            s.selection.is_some()
                || s.having.is_some()
                || s.from.len() != 1
                || s.from.iter().any(|f| !f.joins.is_empty())
                || q.limit_clause.is_some()
                || q.fetch.is_some()
        }
        _ => true,
    };
    if let SetExpr::Select(select) = q.body.as_ref() {
        for item in &select.projection {
            let (SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }) = item
            else {
                continue;
            };
            if let Expr::Function(f) = expr {
                let fname = name_of(&f.name, holes).to_ascii_lowercase();
                if fname == "setval" {
                    op.kind = OpKind::SetVal;
                }
            }
        }
    }
    op
}

fn alter_table_op(
    operation: &AlterTableOperation,
    holes: &[String],
    range: TextRange,
    op: &mut Operation,
) {
    match operation {
        AlterTableOperation::AddColumn { column_def, .. } => {
            op.kind = OpKind::AddColumn;
            op.column = Some(restore(&column_def.name.value, holes));
            op.columns = vec![column_spec(column_def, holes, range)];
        }
        AlterTableOperation::DropColumn { column_names, .. } => {
            op.kind = OpKind::DropColumn;
            op.column = column_names.first().map(|c| restore(&c.value, holes));
            // Several columns: the rest become their own operations via `columns`.
            op.columns = column_names
                .iter()
                .map(|c| ColumnSpec {
                    name: restore(&c.value, holes),
                    range,
                    ..ColumnSpec::default()
                })
                .collect();
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            op.kind = OpKind::RenameColumn;
            op.column = Some(restore(&old_column_name.value, holes));
            op.new_name = Some(restore(&new_column_name.value, holes));
        }
        AlterTableOperation::RenameTable { table_name } => {
            op.kind = OpKind::RenameTable;
            let (RenameTableNameKind::As(n) | RenameTableNameKind::To(n)) = table_name;
            op.new_name = Some(name_of(n, holes));
        }
        AlterTableOperation::ChangeColumn { .. }
        | AlterTableOperation::ModifyColumn { .. }
        | AlterTableOperation::AlterColumn { .. } => alter_column_op(operation, holes, range, op),
        AlterTableOperation::AddConstraint { constraint, .. } => {
            add_constraint_op(constraint, holes, range, op);
        }
        AlterTableOperation::DropConstraint {
            name, if_exists, ..
        } => {
            op.kind = OpKind::DropConstraint;
            op.name = Some(restore(&name.value, holes));
            op.if_exists = *if_exists;
        }
        AlterTableOperation::RenameConstraint { old_name, new_name } => {
            op.kind = OpKind::RenameIndex;
            op.name = Some(restore(&old_name.value, holes));
            op.new_name = Some(restore(&new_name.value, holes));
        }
        AlterTableOperation::DropForeignKey { name, .. } => {
            op.kind = OpKind::DropConstraint;
            op.name = Some(restore(&name.value, holes));
        }
        _ => {}
    }
}

/// `ALTER TABLE ... ADD CONSTRAINT`: the constraint and the operation it is.
fn add_constraint_op(
    constraint: &TableConstraint,
    holes: &[String],
    range: TextRange,
    op: &mut Operation,
) {
    let (kind, name) = match constraint {
        TableConstraint::Unique(c) => (OpKind::CreateUniqueConstraint, c.name.as_ref()),
        TableConstraint::PrimaryKey(c) => (OpKind::CreatePrimaryKey, c.name.as_ref()),
        TableConstraint::ForeignKey(c) => {
            if let Some(action) = c.on_delete {
                op.columns = vec![ColumnSpec {
                    name: c
                        .columns
                        .first()
                        .map(|i| i.value.clone())
                        .unwrap_or_default(),
                    fk_ondelete: Some(referential(action).to_string()),
                    range,
                    ..ColumnSpec::default()
                }];
            }
            (OpKind::CreateForeignKey, c.name.as_ref())
        }
        TableConstraint::Check(c) => (OpKind::CreateCheckConstraint, c.name.as_ref()),
        _ => (OpKind::Other, None),
    };
    op.kind = kind;
    op.name = name.map(|n| restore(&n.value, holes));
    op.constraints.extend(constraint_spec(constraint, holes));
}

/// `CHANGE COLUMN`, `MODIFY COLUMN` (MySQL) and `ALTER COLUMN`: a rename, a new type or
/// nullability.
fn alter_column_op(
    operation: &AlterTableOperation,
    holes: &[String],
    range: TextRange,
    op: &mut Operation,
) {
    match operation {
        AlterTableOperation::ChangeColumn {
            old_name,
            new_name,
            data_type,
            ..
        } => {
            op.column = Some(restore(&old_name.value, holes));
            if old_name.value == new_name.value {
                op.kind = OpKind::AlterColumn;
                op.columns = vec![ColumnSpec {
                    name: old_name.value.clone(),
                    type_: Some(Value::Name(data_type.to_string())),
                    range,
                    ..ColumnSpec::default()
                }];
            } else {
                op.kind = OpKind::RenameColumn;
                op.new_name = Some(restore(&new_name.value, holes));
            }
        }
        AlterTableOperation::ModifyColumn {
            col_name,
            data_type,
            options,
            ..
        } => {
            op.kind = if options.iter().any(|o| matches!(o, ColumnOption::NotNull)) {
                OpKind::SetNotNull
            } else {
                OpKind::AlterColumn
            };
            op.column = Some(restore(&col_name.value, holes));
            op.columns = vec![ColumnSpec {
                name: col_name.value.clone(),
                type_: Some(Value::Name(data_type.to_string())),
                range,
                ..ColumnSpec::default()
            }];
        }
        AlterTableOperation::AlterColumn {
            column_name,
            op: alter,
        } => {
            op.column = Some(restore(&column_name.value, holes));
            op.kind = match alter {
                AlterColumnOperation::SetNotNull => OpKind::SetNotNull,
                AlterColumnOperation::DropNotNull => OpKind::DropNotNull,
                AlterColumnOperation::SetDataType { data_type, .. } => {
                    op.columns = vec![ColumnSpec {
                        name: column_name.value.clone(),
                        type_: Some(Value::Name(data_type.to_string())),
                        range,
                        ..ColumnSpec::default()
                    }];
                    OpKind::AlterColumn
                }
                _ => OpKind::Other,
            };
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str) -> Vec<OpKind> {
        let (ops, err) = analyse(sql, &[], DialectHint::Unknown, TextRange::default());
        assert!(err.is_none(), "{err:?}");
        ops.iter().map(|o| o.kind).collect()
    }

    #[test]
    fn session_settings_write_no_rows() {
        assert!(writes_no_rows("SET CONSTRAINTS ALL IMMEDIATE;"));
        assert!(writes_no_rows(
            "SET LOCAL lock_timeout = '5s'; ANALYZE users"
        ));
        assert!(!writes_no_rows("SET @n = (SELECT COUNT(*) FROM users)"));
        assert!(!writes_no_rows(
            "SET search_path = x; UPDATE users SET a = 1"
        ));
        assert!(!writes_no_rows("  ;  "));
    }

    #[test]
    fn statements_become_operations() {
        assert_eq!(
            kinds("ALTER TABLE users DROP COLUMN phone"),
            vec![OpKind::DropColumn]
        );
        assert_eq!(
            kinds("TRUNCATE users; DELETE FROM posts"),
            vec![OpKind::Truncate, OpKind::Delete]
        );
        assert_eq!(
            kinds("ALTER TYPE mood ADD VALUE 'meh'"),
            vec![OpKind::AlterTypeAddValue]
        );
        assert_eq!(
            kinds("ALTER TYPE mood RENAME TO mood_old"),
            vec![OpKind::RenameType]
        );
        assert_eq!(
            kinds("SELECT setval('users_id_seq', 10)"),
            vec![OpKind::SetVal]
        );
        assert_eq!(
            kinds("ALTER SEQUENCE users_id_seq RESTART WITH 5"),
            vec![OpKind::AlterSequence]
        );
        assert_eq!(kinds("-- DROP TABLE users\nSELECT 1"), vec![OpKind::Read]);
        assert_eq!(
            kinds("ALTER TABLE users ALTER COLUMN name SET NOT NULL"),
            vec![OpKind::SetNotNull]
        );
        assert_eq!(
            kinds("CREATE INDEX CONCURRENTLY ix ON users (name)"),
            vec![OpKind::CreateIndex]
        );
        assert_eq!(kinds("PRAGMA foreign_keys=OFF"), vec![OpKind::Read]);
        assert_eq!(
            kinds("DROP INDEX CONCURRENTLY IF EXISTS ix_a"),
            vec![OpKind::DropIndex]
        );
    }

    fn flow(sql: &str) -> (Vec<String>, Vec<(String, String)>) {
        let (ops, err) = analyse(sql, &[], DialectHint::Unknown, TextRange::default());
        assert!(err.is_none(), "{err:?}");
        (ops[0].writes.clone(), ops[0].reads.clone())
    }

    #[test]
    fn data_flow_of_statements() {
        let (w, r) = flow("UPDATE variable SET json_value = value WHERE id = 1");
        assert_eq!(w, vec!["json_value"]);
        assert_eq!(r, vec![("variable".to_string(), "value".to_string())]);
        let (w, r) = flow("INSERT INTO new_t (a, b) SELECT o.x, y FROM old_t AS o");
        assert_eq!(w, vec!["a", "b"]);
        assert!(r.contains(&("old_t".to_string(), "x".to_string())));
        assert!(r.contains(&("old_t".to_string(), "y".to_string())));
        let (w, r) = flow("INSERT INTO new_t SELECT * FROM old_t");
        assert_eq!(w, vec!["*"]);
        assert_eq!(r, vec![("old_t".to_string(), "*".to_string())]);
        let (_, r) = flow("SELECT id, value FROM variable");
        assert!(r.contains(&("variable".to_string(), "value".to_string())));
        let (w, r) =
            flow("UPDATE t SET owner = (SELECT u.name FROM users u WHERE u.id = t.owner_id)");
        assert_eq!(w, vec!["owner"]);
        assert!(r.contains(&("users".to_string(), "name".to_string())));
        assert!(r.contains(&("t".to_string(), "owner_id".to_string())));
    }

    /// indico 416f9c877300 moves `reservations.event_id` into `reservation_links` with a
    /// data-modifying WITH query, and its downgrade copies it back from a sub-select.
    #[test]
    fn data_flow_through_with_queries_and_sub_selects() {
        let sql = "WITH moved AS (SELECT id AS reserv_id, event_id FROM reservations \
            WHERE event_id IS NOT NULL), links AS (INSERT INTO reservation_links (event_id) \
            SELECT event_id FROM moved RETURNING id AS link_id) \
            UPDATE reservations SET link_id = links.link_id FROM links, moved WHERE id = moved.reserv_id";
        let (ops, err) = analyse(sql, &[], DialectHint::Postgres, TextRange::default());
        assert!(err.is_none(), "{err:?}");
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[0].kind, OpKind::Insert);
        assert_eq!(ops[0].table.as_deref(), Some("reservation_links"));
        assert_eq!(
            ops[0].reads,
            [("reservations".to_string(), "event_id".to_string())]
        );
        assert_eq!(ops[1].kind, OpKind::Update);
        assert_eq!(ops[1].writes, ["link_id"]);
        assert_eq!(
            ops[1].reads,
            [("reservation_links".to_string(), "id".to_string())]
        );
        // A column the WITH query does not return is not read through it.
        let (_, r) = flow("WITH m (a) AS (SELECT x FROM t) INSERT INTO u SELECT a FROM m");
        assert_eq!(r, [("t".to_string(), "x".to_string())]);
        let (w, r) = flow(
            "UPDATE reservations SET event_id = l.event_id \
             FROM (SELECT id, event_id FROM reservation_links WHERE event_id IS NOT NULL) l \
             WHERE link_id = l.id",
        );
        assert_eq!(w, ["event_id"]);
        assert_eq!(
            r,
            [("reservation_links".to_string(), "event_id".to_string())]
        );
        let (_, r) = flow("INSERT INTO u SELECT * FROM (SELECT y AS z FROM t) s");
        assert_eq!(r, [("t".to_string(), "y".to_string())]);
    }

    /// prefect f92143d30c25 fills `has_data` with SQLite's `data IS NOT 'null'`.
    #[test]
    fn sqlite_is_with_a_value_is_read() {
        for hint in [DialectHint::Sqlite, DialectHint::Unknown] {
            let sql = "UPDATE t SET has_data = (data IS NOT NULL AND data IS NOT 'null')";
            let (ops, err) = analyse(sql, &[], hint, TextRange::default());
            assert!(err.is_none(), "{err:?}");
            assert_eq!(ops[0].writes, vec!["has_data"]);
            assert!(!ops[0].reads.is_empty());
            assert!(ops[0].reads.iter().all(|(t, c)| t == "t" && c == "data"));
            let (ops, err) = analyse(
                "DELETE FROM t WHERE kind IS 'gone'",
                &[],
                hint,
                TextRange::default(),
            );
            assert!(err.is_none(), "{err:?}");
            assert_eq!(ops[0].kind, OpKind::Delete);
        }
        // A string that merely reads `IS 'x'` is left alone: the tokens are, not the text.
        assert_eq!(
            sqlite_is_spelled_out(
                &Tokenizer::new(&SQLiteDialect {}, "SELECT 'a IS ''b''' FROM t")
                    .tokenize()
                    .unwrap()
            ),
            None
        );
    }

    #[test]
    fn holes_are_identifiers() {
        let holes = vec!["table".to_string()];
        let sql = format!("DROP TABLE {}", hole(0));
        let (ops, err) = analyse(&sql, &holes, DialectHint::Unknown, TextRange::default());
        assert!(err.is_none());
        assert_eq!(ops[0].table.as_deref(), Some("{table}"));
    }

    #[test]
    fn driver_parameters_are_holes() {
        let mut holes = Vec::new();
        let sql = driver_params(
            "UPDATE t SET a = %s, b = %(b)s WHERE c LIKE 'x%%' AND id = %s",
            &mut holes,
        );
        assert_eq!(holes, ["%s", "%(b)s", "%s"]);
        assert!(sql.ends_with(&format!("LIKE 'x%' AND id = {}", hole(2))));
        let (ops, err) = analyse(&sql, &holes, DialectHint::Unknown, TextRange::default());
        assert!(err.is_none(), "{err:?}");
        assert_eq!(ops[0].writes, ["a", "b"]);
        assert!(ops[0].has_where);
        // A value from Python is no column the statement reads.
        assert!(ops[0].reads.is_empty(), "{:?}", ops[0].reads);
        assert_eq!(
            ops[0].filter_reads,
            [
                ("t".to_string(), "c".to_string()),
                ("t".to_string(), "id".to_string())
            ]
        );
    }

    #[test]
    fn driver_markers_read_the_driver_way_or_only_unmistakable_ones() {
        let text = "UPDATE t SET a = %(a)s, b = %(b c)s WHERE d LIKE '50%' \
                    AND e LIKE 'x%%' AND g LIKE '%%s' AND f = %s";
        let driver = driver_markers(text, MarkerReading::Driver, |_| "?".to_string());
        assert_eq!(
            driver,
            "UPDATE t SET a = ?, b = ? WHERE d LIKE '50%' \
             AND e LIKE 'x%' AND g LIKE '%s' AND f = ?"
        );
        let mut seen = Vec::new();
        let plain = driver_markers(text, MarkerReading::Unmistakable, |m| {
            seen.push(m.to_string());
            "?".to_string()
        });
        assert_eq!(
            plain,
            "UPDATE t SET a = ?, b = %(b c)s WHERE d LIKE '50%' \
             AND e LIKE 'x%%' AND g LIKE '%?' AND f = ?"
        );
        assert_eq!(seen, ["%(a)s", "%s", "%s"]);
    }

    #[test]
    fn garbage_is_reported() {
        let (_, err) = analyse(
            "this is not sql",
            &[],
            DialectHint::Unknown,
            TextRange::default(),
        );
        assert!(err.is_some());
    }
}
