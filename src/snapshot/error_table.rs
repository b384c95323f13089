//! The table a failed migration step names: the driver's own field when it has one, else the
//! database's message (SQLite `NOT NULL constraint failed: t.c`, PostgreSQL `of relation
//! "t"`, MySQL `Table 'db.t' ...`), else the statement it refused. Batch mode's temporary copy
//! (`_alembic_tmp_<table>`) counts as the table itself.

use std::sync::LazyLock;

use regex::Regex;

/// The name Alembic's batch mode gives the copy of a table it rebuilds.
const BATCH_COPY: &str = "_alembic_tmp_";

static IN_MESSAGE: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    [
        Regex::new(r#"constraint failed: [`"]?([\w$]+)[`"]?\."#),
        Regex::new(r#"of relation "([^"]+)""#),
        Regex::new(r#"(?i)table [`'"]?(?:[\w$]+[`'"]?\.[`'"]?)?([\w$]+)[`'"]?"#),
    ]
    .map(|r| r.expect("a valid pattern"))
});

static IN_STATEMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^\s*(?:ALTER\s+TABLE|INSERT\s+(?:IGNORE\s+)?INTO|UPDATE|DELETE\s+FROM|",
        r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+ON)",
        r#"\s+(?:ONLY\s+)?(?:[`"]?[\w$]+[`"]?\.)?[`"]?([\w$]+)[`"]?"#,
    ))
    .expect("a valid pattern")
});

/// The table of a failed step: `named` (the driver's diagnostics), else the first the
/// `message` names, else the one `statement` writes to; None when none says.
#[must_use]
pub fn table_of_error(
    named: Option<&str>,
    message: &str,
    statement: Option<&str>,
) -> Option<String> {
    let first = |re: &Regex, text: &str| re.captures(text).map(|c| c[1].to_string());
    let found = named
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .or_else(|| IN_MESSAGE.iter().find_map(|re| first(re, message)))
        .or_else(|| statement.and_then(|s| first(&IN_STATEMENT, s)))?;
    let table = found.strip_prefix(BATCH_COPY).unwrap_or(&found);
    Some(table.to_string()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::table_of_error;

    #[test]
    fn names_the_table_from_the_driver_the_message_or_the_statement() {
        let of = |named, message, statement| table_of_error(named, message, statement);
        assert_eq!(
            of(Some("users"), "anything", None).as_deref(),
            Some("users")
        );
        assert_eq!(
            of(None, "NOT NULL constraint failed: users.email", None).as_deref(),
            Some("users")
        );
        assert_eq!(
            of(
                None,
                r#"column "x" of relation "accounts" does not exist"#,
                None
            )
            .as_deref(),
            Some("accounts")
        );
        assert_eq!(
            of(None, "Table 'shop.orders' doesn't exist", None).as_deref(),
            Some("orders")
        );
        assert_eq!(
            of(
                None,
                "division by zero",
                Some("  update \"jobs\" SET x = 1")
            )
            .as_deref(),
            Some("jobs")
        );
        assert_eq!(
            of(
                None,
                "boom",
                Some("CREATE UNIQUE INDEX CONCURRENTLY ix ON ONLY public.t (a)")
            )
            .as_deref(),
            Some("t")
        );
        assert_eq!(
            of(Some("_alembic_tmp_users"), "", None).as_deref(),
            Some("users")
        );
        assert_eq!(of(None, "division by zero", Some("SELECT 1")), None);
        assert_eq!(of(Some("_alembic_tmp_"), "", None), None);
    }
}
