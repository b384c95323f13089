//! Did the upgrade's UPDATEs and DELETEs reach the seeded rows? A data migration whose WHERE
//! matches none of the generated rows (`DELETE FROM block_type WHERE name = 'Debug Print
//! Notification'`) runs, changes nothing, and the rollback then has nothing to restore: a
//! "passed" there would claim a check that did not happen.

use ruff_text_size::TextRange;

use sqlparser::ast::{SetExpr, Statement, TableFactor};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::scanner::model::{DialectHint, OpKind};
use crate::scanner::sql;
use crate::seeder::matching::{Params, Row, matching_rows, shown, tables_read};

/// One statement the upgrade sent, as the driver received it.
#[derive(Clone, Debug, PartialEq)]
pub struct Executed {
    pub statement: String,
    pub params: Params,
    /// The row count the driver reported; negative when it does not know.
    pub rows: i64,
}

/// A table whose every UPDATE or DELETE in the upgrade matched no row.
#[derive(Clone, Debug, PartialEq)]
pub struct UnmatchedWrite {
    pub table: String,
    /// The verbs of those statements, in the order first seen: `UPDATE`, `DELETE`,
    /// `UPDATE and DELETE` or `DELETE and UPDATE`.
    pub verb: &'static str,
    /// The first such statement, as the driver received it.
    pub statement: String,
    /// Per such statement whose WHERE allows it (see [`matching_rows`]), the column values of
    /// rows it would match; duplicates once.
    pub matching: Vec<Row>,
    /// Why no row could be made for the first statement, when none could be for any: a
    /// clause of the failure line.
    pub why: Option<String>,
    /// When none could: what those statements read besides the table (see [`tables_read`]),
    /// whose rows the user gives with the table's.
    pub reads: Vec<String>,
}

impl UnmatchedWrite {
    /// The rows of `matching` as a line shows them (`name = 'x', deleted_at IS NULL`).
    #[must_use]
    pub fn matching_shown(&self) -> Vec<String> {
        self.matching.iter().map(|r| shown(r)).collect()
    }

    /// The warning of a revision checked again with the rows of `matching` seeded.
    #[must_use]
    pub fn seeded_note(&self) -> String {
        let n = self.matching.len();
        format!(
            "Table '{}': the upgrade's {} matched none of the generated rows, so the check ran \
             again with {} seeded to match its WHERE ({})",
            self.table,
            self.verb,
            if n == 1 {
                "a row".to_string()
            } else {
                format!("{n} rows")
            },
            self.matching_shown().join("; ")
        )
    }
}

/// The tables written only by statements that matched no row, in the order first seen.
/// `executed` holds each statement the upgrade sent with the row count the driver reported:
/// a negative count (the driver does not know, as after `executemany` on some drivers)
/// counts as a match, so that nothing unknown is reported. Statements on `ignore` tables
/// (Alembic's version table) do not count. One statement gives at most `seed_rows - 1` rows
/// (at least one): a table seeded with them keeps a generic row.
#[must_use]
pub fn unmatched_writes(
    executed: &[Executed],
    ignore: &[String],
    seed_rows: usize,
) -> Vec<UnmatchedWrite> {
    let mut order: Vec<UnmatchedWrite> = Vec::new();
    let mut matched: Vec<String> = Vec::new();
    for run in executed {
        // The statement with its drivers' markers made readable, once for what reads it.
        let text = plain_placeholders(&run.statement);
        let Some((verb, table)) = write_target(&text) else {
            continue;
        };
        if ignore.iter().any(|t| t.eq_ignore_ascii_case(&table)) {
            continue;
        }
        if run.rows != 0 {
            matched.push(table);
            continue;
        }
        let rows = matching_rows(&run.statement, &run.params, seed_rows.saturating_sub(1));
        let at = match order.iter().position(|u| u.table == table) {
            Some(at) => {
                order[at].verb = both(order[at].verb, verb);
                at
            }
            None => {
                order.push(UnmatchedWrite {
                    table,
                    verb,
                    statement: super::one_line(&run.statement),
                    matching: Vec::new(),
                    why: rows.as_ref().err().map(|r| {
                        format!("no row it matches could be made from the statement: {r}")
                    }),
                    reads: Vec::new(),
                });
                order.len() - 1
            }
        };
        let write = &mut order[at];
        let Ok(rows) = rows else {
            for read in tables_read(&text, &write.table) {
                if !write.reads.contains(&read) {
                    write.reads.push(read);
                }
            }
            continue;
        };
        for row in rows {
            if !write.matching.contains(&row) {
                write.matching.push(row);
            }
        }
    }
    order.retain(|u| !matched.contains(&u.table));
    for write in &mut order {
        if !write.matching.is_empty() {
            write.why = None;
            write.reads.clear();
        }
    }
    order
}

/// The verbs `seen` so far and `verb`, as a line names them.
fn both(seen: &'static str, verb: &'static str) -> &'static str {
    match (seen, verb) {
        (seen, verb) if seen.starts_with(verb) || seen.ends_with(verb) => seen,
        ("UPDATE", _) => "UPDATE and DELETE",
        _ => "DELETE and UPDATE",
    }
}

/// The verb and table of one UPDATE or DELETE statement (a data-modifying CTE included),
/// its markers already made plain; None for anything else, or for a statement that writes
/// several tables.
fn write_target(text: &str) -> Option<(&'static str, String)> {
    let head = text.trim_start().get(..6)?.to_ascii_uppercase();
    if !matches!(head.as_str(), "UPDATE" | "DELETE") && !head.starts_with("WITH") {
        return None;
    }
    if head.starts_with("WITH") {
        return cte_write_target(text);
    }
    let (ops, _) = sql::analyse(text, &[], DialectHint::Unknown, TextRange::default());
    let mut writes = ops.iter().filter_map(|op| match op.kind {
        OpKind::Update => Some(("UPDATE", op.table.clone()?)),
        OpKind::Delete => Some(("DELETE", op.table.clone()?)),
        _ => None,
    });
    let first = writes.next()?;
    writes.all(|w| w.1 == first.1).then_some(first)
}

/// `WITH ... UPDATE t ...`: the scanner reads a CTE as a query, so its target is taken here.
fn cte_write_target(text: &str) -> Option<(&'static str, String)> {
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, text).ok()?;
    let [Statement::Query(query)] = statements.as_slice() else {
        return None;
    };
    let SetExpr::Update(Statement::Update(update)) = query.body.as_ref() else {
        return None;
    };
    let TableFactor::Table { name, .. } = &update.table.relation else {
        return None;
    };
    let table = name.0.last()?.as_ident()?.value.clone();
    Some(("UPDATE", table))
}

/// Drivers' parameter markers that SQL parsers do not read (`%(name)s`, `%s`) as `?`.
fn plain_placeholders(statement: &str) -> String {
    sql::driver_markers(statement, sql::MarkerReading::Unmistakable, |_| {
        "?".to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects::Lit;

    fn run(executed: &[(&str, i64)]) -> Vec<(String, &'static str)> {
        let executed: Vec<Executed> = executed
            .iter()
            .map(|(s, n)| Executed {
                statement: (*s).to_string(),
                params: Params::Unknown,
                rows: *n,
            })
            .collect();
        unmatched_writes(&executed, &["alembic_version".to_string()], 3)
            .into_iter()
            .map(|u| (u.table, u.verb))
            .collect()
    }

    #[test]
    fn a_write_that_matched_no_row_is_reported_once_per_table() {
        let got = run(&[
            (
                "DELETE FROM block_type WHERE name = 'Debug Print Notification'",
                0,
            ),
            ("DELETE FROM block_type WHERE block_type.name = ?", 0),
            (
                "UPDATE alembic_version SET version_num='b' WHERE version_num = 'a'",
                0,
            ),
        ]);
        assert_eq!(got, vec![("block_type".to_string(), "DELETE")]);
    }

    #[test]
    fn one_matching_write_on_the_table_is_enough() {
        let got = run(&[
            (
                "UPDATE flow_run SET state_name = NULL WHERE id = $1::UUID",
                0,
            ),
            (
                "UPDATE flow_run SET state_name = 'x' WHERE id = $1::UUID",
                3,
            ),
            (
                "UPDATE jobs SET status=%(status)s WHERE jobs.status IN (%(p1)s, %(p2)s)",
                0,
            ),
        ]);
        assert_eq!(got, vec![("jobs".to_string(), "UPDATE")]);
    }

    #[test]
    fn unknown_counts_reads_and_inserts_are_not_reported() {
        let got = run(&[
            ("UPDATE deployment SET paused = ? WHERE id = ?", -1),
            ("SELECT id FROM deployment WHERE paused", 0),
            (
                "INSERT INTO deployment (id) SELECT id FROM flow WHERE 1 = 0",
                0,
            ),
        ]);
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn a_data_modifying_cte_names_the_table_it_updates() {
        let got = run(&[(
            "WITH cte AS (SELECT id FROM flow_run WHERE state_name IS NULL LIMIT 500) \
             UPDATE flow_run SET state_name = 'x' FROM cte WHERE flow_run.id = cte.id",
            0,
        )]);
        assert_eq!(got, vec![("flow_run".to_string(), "UPDATE")]);
    }

    #[test]
    fn each_unmatched_statement_of_a_table_gives_its_row() {
        let named = |old: &str| {
            Params::Named(std::collections::BTreeMap::from([(
                "name_1".to_string(),
                Lit::Str(old.to_string()),
            )]))
        };
        let sent = |statement: &str, params: Params| Executed {
            statement: statement.to_string(),
            params,
            rows: 0,
        };
        let executed = [
            sent(
                "UPDATE block_type SET name='Date Time' WHERE block_type.name = %(name_1)s",
                named("DateTime"),
            ),
            sent(
                "DELETE FROM block_type WHERE block_type.name = %(name_1)s",
                named("S3 Storage"),
            ),
            sent(
                "DELETE FROM block_type WHERE block_type.name = %(name_1)s",
                named("S3 Storage"),
            ),
            sent(
                "DELETE FROM flow WHERE id IN (SELECT 1)",
                Params::Positional(vec![]),
            ),
        ];
        let got = unmatched_writes(&executed, &[], 3);
        let rows: Vec<String> = got[0].matching.iter().map(|r| shown(r)).collect();
        assert_eq!(rows, ["name = 'DateTime'", "name = 'S3 Storage'"]);
        assert_eq!(got[0].why, None);
        assert!(got[1].matching.is_empty());
        assert_eq!(
            got[1].why.as_deref(),
            Some(
                "no row it matches could be made from the statement: it reads other rows (a subquery)"
            )
        );
        assert_eq!(got[0].reads, Vec::<String>::new());
        assert_eq!(
            got[1].reads,
            Vec::<String>::new(),
            "SELECT 1 names no table"
        );
    }

    #[test]
    fn every_verb_is_named_and_each_statement_gives_up_to_seed_rows_less_one() {
        let sent = |statement: &str| Executed {
            statement: statement.to_string(),
            params: Params::Positional(Vec::new()),
            rows: 0,
        };
        let executed = [
            sent("UPDATE t SET a = 0 WHERE a IN (1, 2, 3)"),
            sent("DELETE FROM t WHERE b = 'x' OR b = 'y'"),
            sent("UPDATE t SET a = 0 WHERE a = 4"),
        ];
        let [got] = unmatched_writes(&executed, &[], 3).try_into().unwrap();
        assert_eq!(got.verb, "UPDATE and DELETE");
        assert_eq!(
            got.matching_shown(),
            ["a = 1", "a = 2", "b = 'x'", "b = 'y'", "a = 4"]
        );
        assert!(got.reads.is_empty());
        let [got] = unmatched_writes(&executed[1..], &[], 1).try_into().unwrap();
        assert_eq!(got.verb, "DELETE and UPDATE");
        assert_eq!(got.matching_shown(), ["b = 'x'", "a = 4"]);
    }

    #[test]
    fn percent_signs_in_literals_survive() {
        assert_eq!(
            plain_placeholders("UPDATE t SET a = %(a)s WHERE b LIKE '50%' AND c = %s"),
            "UPDATE t SET a = ? WHERE b LIKE '50%' AND c = ?"
        );
    }
}
