//! The verdict on one revision as data: what went wrong ([`Failure`], with the objects, rows
//! and tables involved), how bad it is ([`FailureKind`]) and where the check ended
//! ([`Status`]). The sentences users read are rendered from these values (`Display`), once,
//! and nothing reads them back.

use std::collections::BTreeMap;
use std::fmt;

use super::data::RowProblem;
use super::diff::Difference;
pub use crate::scanner::model::Parents;

/// What makes a `failed` revision fail, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailureKind {
    /// A step (downgrade, upgrade again, upgrade) failed or timed out.
    RollbackFailed,
    /// The rollback lost or changed rows.
    DataLost,
    /// The rollback did not restore the schema (or left rows behind).
    SchemaDrift,
}

impl FailureKind {
    pub const ALL: [FailureKind; 3] = [
        FailureKind::RollbackFailed,
        FailureKind::DataLost,
        FailureKind::SchemaDrift,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::RollbackFailed => "rollback_failed",
            FailureKind::DataLost => "data_lost",
            FailureKind::SchemaDrift => "schema_drift",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// Where the check of a revision ended (SPEC "statuses").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    UpgradeFailsOnData,
    Unverified,
    Blocked,
    Skipped,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Passed,
        Status::Failed,
        Status::UpgradeFailsOnData,
        Status::Unverified,
        Status::Blocked,
        Status::Skipped,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::UpgradeFailsOnData => "upgrade_fails_on_data",
            Status::Unverified => "unverified",
            Status::Blocked => "blocked",
            Status::Skipped => "skipped",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Why the seeder left a table without rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The constraint the database named, when it named one.
    pub constraint: Option<String>,
    pub reason: String,
    /// A ready-to-paste `custom_seeds` entry.
    pub snippet: String,
}

/// One thing wrong with a revision.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// An Alembic step (`downgrade`, `upgrade after the rollback`, ...) raised or timed out.
    /// `on_empty`: whether the same step ran when the tables were empty (the rows made it
    /// fail) or failed there too (the code itself is broken); None when not tried.
    StepFailed {
        step: String,
        reason: String,
        on_empty: Option<bool>,
    },
    /// The parent cannot be reached: `ancestor`'s upgrade fails even on an empty database.
    Blocked { ancestor: String, reason: String },
    /// Not checked: the server stopped answering during the check of `revision`, at `step`.
    NotChecked {
        revision: String,
        step: String,
        reason: String,
    },
    /// The schema after the rollback (or the second upgrade) differs.
    Schema(Difference),
    /// The rows after the rollback differ.
    Rows(RowProblem),
    /// The upgrade raises on seeded rows but runs on empty tables. `guessed`: `tables` are
    /// those the revision touches that held rows (the error named none of them).
    FailsOnData {
        tables: Vec<String>,
        guessed: bool,
        reason: String,
        statement: String,
    },
    /// A table the revision touches held no rows, so its data was not checked.
    Unverified {
        table: String,
        refused: Option<Refusal>,
    },
    /// Every UPDATE or DELETE the upgrade ran on `table` matched none of its `rows` seeded
    /// rows, so what the revision does to that table's data was not exercised.
    Unexercised {
        table: String,
        verb: String,
        statement: String,
        rows: usize,
        /// Why no row the statement matches was seeded ("no row it matches could be made
        /// from the statement: it has OR"); None when it was (see `seeded`) or not tried.
        why: Option<String>,
        /// The rows made from the statements and seeded, as `name = 'x'`, when the upgrade
        /// still matched none of them.
        seeded: Vec<String>,
        /// Other tables the statements read (a subquery's, a WITH query's): the rows they pair
        /// with are given there too.
        reads: Vec<String>,
    },
    /// A line without structure: read back from a results file, or given by the caller.
    Line(String),
}

impl Failure {
    /// What the failure means for the verdict; None for lines that are not rollback failures
    /// (blocked, fails on data, unverified) or whose meaning is unknown.
    #[must_use]
    pub fn kind(&self) -> Option<FailureKind> {
        match self {
            Failure::StepFailed { .. } => Some(FailureKind::RollbackFailed),
            Failure::Schema(_) => Some(FailureKind::SchemaDrift),
            Failure::Rows(p) if p.loses_data() => Some(FailureKind::DataLost),
            Failure::Rows(_) => Some(FailureKind::SchemaDrift),
            _ => None,
        }
    }

    /// A stable name of the variant, for Python.
    #[must_use]
    pub fn what(&self) -> &'static str {
        match self {
            Failure::StepFailed { .. } => "step_failed",
            Failure::Blocked { .. } => "blocked",
            Failure::NotChecked { .. } => "not_checked",
            Failure::Schema(_) => "schema",
            Failure::Rows(_) => "rows",
            Failure::FailsOnData { .. } => "fails_on_data",
            Failure::Unverified { .. } => "unverified",
            Failure::Unexercised { .. } => "unexercised",
            Failure::Line(_) => "line",
        }
    }

    /// The tables involved.
    #[must_use]
    pub fn tables(&self) -> Vec<&str> {
        match self {
            Failure::Schema(d) => d.subject.table().into_iter().collect(),
            Failure::Rows(p) => vec![p.table()],
            Failure::FailsOnData { tables, .. } => tables.iter().map(String::as_str).collect(),
            Failure::Unverified { table, .. } | Failure::Unexercised { table, .. } => vec![table],
            _ => Vec::new(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::StepFailed {
                step,
                reason,
                on_empty,
            } => {
                write!(f, "{step} failed: {reason}")?;
                match on_empty {
                    None => Ok(()),
                    Some(false) => f.write_str(" (it fails on an empty database too)"),
                    Some(true) => f.write_str(
                        " (it runs when the tables are empty: the rows in them make it fail)",
                    ),
                }
            }
            Failure::Blocked { ancestor, reason } => write!(
                f,
                "blocked: ancestor {ancestor}'s upgrade fails even on an empty database \
                 (so this revision's parent cannot be reached): {reason}"
            ),
            Failure::NotChecked {
                revision,
                step,
                reason,
            } => write!(
                f,
                "blocked: not checked, the database server stopped answering during the check \
                 of {revision} ({step} {reason})"
            ),
            Failure::Schema(d) => d.fmt(f),
            Failure::Rows(p) => p.fmt(f),
            Failure::FailsOnData {
                tables,
                guessed,
                reason,
                statement,
            } => fails_on_data(f, tables, *guessed, reason, statement),
            Failure::Unverified { table, refused } => unverified(f, table, refused.as_ref()),
            Failure::Unexercised {
                table,
                verb,
                statement,
                rows,
                why,
                seeded,
                reads,
            } => unexercised(
                f,
                Unexercised {
                    table,
                    verb,
                    statement,
                    rows: *rows,
                    why: why.as_deref(),
                    seeded,
                    reads,
                },
            ),
            Failure::Line(text) => f.write_str(text),
        }
    }
}

/// A statement as a failure line shows it: at most 100 characters, cut with `...`.
fn shortened(statement: &str) -> String {
    if statement.chars().count() > 100 {
        format!("{}...", statement.chars().take(97).collect::<String>())
    } else {
        statement.to_string()
    }
}

/// The fields of [`Failure::Unexercised`], borrowed for its line.
struct Unexercised<'a> {
    table: &'a str,
    verb: &'a str,
    statement: &'a str,
    rows: usize,
    why: Option<&'a str>,
    seeded: &'a [String],
    reads: &'a [String],
}

fn unexercised(f: &mut fmt::Formatter<'_>, u: Unexercised<'_>) -> fmt::Result {
    let Unexercised {
        table,
        verb,
        statement,
        rows,
        why,
        seeded,
        reads,
    } = u;
    let matched = match (rows, seeded) {
        (_, [_, ..]) => format!(
            "matched none of the rows seeded in it, not even the one{} made from its WHERE \
             ({})",
            if seeded.len() > 1 { "s" } else { "" },
            seeded.join("; ")
        ),
        (1, []) => "did not match the one row seeded in it".to_string(),
        (n, []) => format!("matched none of the {n} rows seeded in it"),
    };
    let shown = shortened(statement);
    let why = why.map(|w| format!("; {w}")).unwrap_or_default();
    let quoted: Vec<String> = reads.iter().map(|t| format!("'{t}'")).collect();
    let with = match quoted.as_slice() {
        [] => String::new(),
        [one] => format!(", with the rows of {one} it reads"),
        [rest @ .., last] => format!(", with the rows of {} and {last} it reads", rest.join(", ")),
    };
    let seeds: Vec<String> = std::iter::once(table)
        .chain(reads.iter().map(String::as_str))
        .map(|t| format!("\"{t}\": lambda: [...]"))
        .collect();
    write!(
        f,
        "Table '{table}': the upgrade's {verb} {matched}, so what it does to \
         the data was not exercised (`{shown}`){why}; give rows it matches{with}: \
         custom_seeds={{{}}}",
        seeds.join(", ")
    )
}

fn fails_on_data(
    f: &mut fmt::Formatter<'_>,
    tables: &[String],
    guessed: bool,
    reason: &str,
    statement: &str,
) -> fmt::Result {
    let quoted: Vec<String> = tables.iter().map(|t| format!("'{t}'")).collect();
    let how = if guessed {
        " (the tables the revision touches that held rows)"
    } else {
        ""
    };
    let plural = if tables.len() > 1 { "s" } else { "" };
    let place = if tables.is_empty() {
        String::new()
    } else {
        format!(" on table{plural} {}{how}", quoted.join(", "))
    };
    let at = if statement.is_empty() {
        String::new()
    } else {
        format!(" at `{}`", shortened(statement))
    };
    let named: Vec<&str> = if tables.is_empty() {
        vec!["<table>"]
    } else {
        tables.iter().map(String::as_str).collect()
    };
    let entries: Vec<String> = named
        .iter()
        .map(|t| format!("\"{t}\": lambda: [...]"))
        .collect();
    write!(
        f,
        "upgrade fails on data{place}: {reason}{at}; it succeeds on empty tables, so production \
         tables holding rows like these would fail too (if such rows cannot occur there: \
         custom_seeds={{{}}})",
        entries.join(", ")
    )
}

fn unverified(f: &mut fmt::Formatter<'_>, table: &str, refused: Option<&Refusal>) -> fmt::Result {
    let Some(refused) = refused else {
        return write!(
            f,
            "Table '{table}' held no rows when the revision ran, so its data was not checked; \
             give it rows: custom_seeds={{\"{table}\": lambda: [...]}}"
        );
    };
    let by = refused
        .constraint
        .as_ref()
        .map(|c| format!(" (refused by constraint '{c}')"))
        .unwrap_or_default();
    write!(
        f,
        "Table '{table}' could not be seeded{by}: {}; its data was not checked. Give it rows: {}",
        refused.reason, refused.snippet
    )
}

/// The tables whose rows made an upgrade fail, and whether they are a guess.
///
/// The table the refused statement names (`error_table`), when the database refused one.
/// Otherwise (an error raised in Python): the tables that held rows and that the error names
/// as a word (`Cannot drop spans.dimension_attributes`), those the revision touches first;
/// else, as a guess, every table the revision touches that held rows.
#[must_use]
pub fn suspects(
    error_table: Option<&str>,
    reason: &str,
    touched_with_rows: &[String],
    held: &[String],
) -> (Vec<String>, bool) {
    if let Some(table) = error_table.filter(|t| !t.is_empty()) {
        return (vec![table.to_string()], false);
    }
    let named = |tables: &[String]| {
        let mut found: Vec<String> = tables
            .iter()
            .filter(|t| names_word(reason, t))
            .cloned()
            .collect();
        found.sort();
        found.dedup();
        found
    };
    let found = match named(touched_with_rows) {
        found if !found.is_empty() => found,
        _ => named(held),
    };
    if found.is_empty() {
        (touched_with_rows.to_vec(), true)
    } else {
        (found, false)
    }
}

/// Whether `text` holds `word` (any case) with no word character either side.
fn names_word(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let text: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let word: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
    let is_word = |c: &char| c.is_alphanumeric() || *c == '_';
    text.windows(word.len()).enumerate().any(|(i, w)| {
        w == word.as_slice()
            && (i == 0 || !is_word(&text[i - 1]))
            && text.get(i + word.len()).is_none_or(|c| !is_word(c))
    })
}

/// The rollback verdict for one revision.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionResult {
    pub revision: String,
    pub down_revision: Parents,
    pub passed: bool,
    pub status: Status,
    /// For a `failed` revision, the worst kind among its failures; None reads as
    /// `schema_drift`.
    pub failure_kind: Option<FailureKind>,
    pub skipped: bool,
    pub skip_reason: String,
    pub failures: Vec<Failure>,
    /// Things that weakened the check without failing it.
    pub warnings: Vec<String>,
    /// Table → rows present when the upgrade ran, for every table the revision touches.
    pub coverage: BTreeMap<String, u64>,
    pub duration_s: f64,
}

impl RevisionResult {
    /// Record `failure`; its kind counts when it is worse than the worst so far.
    pub fn add(&mut self, failure: Failure) {
        if let Some(kind) = failure.kind() {
            self.found(kind);
        }
        self.failures.push(failure);
    }

    /// Record a failure of `kind`: the worst one found so far is kept.
    pub fn found(&mut self, kind: FailureKind) {
        if self.failure_kind.is_none_or(|k| kind < k) {
            self.failure_kind = Some(kind);
        }
    }

    /// 0-100: 25 per failure, capped.
    #[must_use]
    pub fn risk_score(&self) -> usize {
        (25 * self.failures.len()).min(100)
    }

    /// The rollback failed: the revision is `failed`, and the upgrade's hazard on filled
    /// tables (if any) comes after the rollback's own lines.
    pub fn fail_rollback(&mut self) {
        self.status = Status::Failed;
        let (on_data, mut rest): (Vec<Failure>, Vec<Failure>) = std::mem::take(&mut self.failures)
            .into_iter()
            .partition(|f| matches!(f, Failure::FailsOnData { .. }));
        rest.extend(on_data);
        self.failures = rest;
    }

    /// The status of a check that ran to its end: `failed` on any rollback failure, else
    /// `upgrade_fails_on_data`, else `unverified` (with `unverified`'s lines) when a touched
    /// table held no rows, else `passed`.
    pub fn conclude(&mut self, unverified: Vec<Failure>) {
        let on_data = |f: &Failure| matches!(f, Failure::FailsOnData { .. });
        if self.failures.iter().any(|f| !on_data(f)) {
            self.fail_rollback();
        } else if self.failures.iter().any(on_data) {
            self.status = Status::UpgradeFailsOnData;
        } else if !unverified.is_empty() {
            self.status = Status::Unverified;
            self.failures.extend(unverified);
        } else {
            self.status = Status::Passed;
        }
    }

    /// `passed` from the status: an `unverified` revision passes when `allow_unverified`,
    /// its lines kept visible as warnings.
    pub fn settle(&mut self, allow_unverified: bool) {
        if self.status == Status::Unverified && allow_unverified {
            let lines = std::mem::take(&mut self.failures);
            self.warnings.extend(lines.iter().map(ToString::to_string));
            self.passed = true;
        } else {
            self.passed = self.status == Status::Passed;
        }
    }

    /// All failure lines, one per line, under the revision id.
    #[must_use]
    pub fn summary(&self) -> String {
        let rev = &self.revision;
        if self.skipped {
            return format!("{rev}: skipped ({})", self.skip_reason);
        }
        if self.passed {
            return if self.status == Status::Unverified {
                format!("{rev}: unverified, allowed by allow_unverified")
            } else {
                format!("{rev}: reversible")
            };
        }
        let label = match self.status {
            Status::UpgradeFailsOnData => "upgrade fails on data".to_string(),
            Status::Unverified => "unverified (its data could not be exercised)".to_string(),
            Status::Blocked => "blocked (its parent cannot be reached)".to_string(),
            _ => match self.failures.len() {
                1 => "1 rollback failure".to_string(),
                n => format!("{n} rollback failures"),
            },
        };
        let mut lines = vec![format!("{rev}: {label}")];
        lines.extend(self.failures.iter().map(|f| format!("  - {f}")));
        lines.join("\n")
    }

    /// `duration_s` as saved: rounded to the millisecond (as Python's `round(x, 3)`).
    #[must_use]
    pub fn duration_rounded(&self) -> f64 {
        format!("{:.3}", self.duration_s)
            .parse()
            .unwrap_or(self.duration_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::diff::{Change, Moment, Subject};

    fn result(failures: Vec<Failure>) -> RevisionResult {
        RevisionResult {
            revision: "r1".into(),
            down_revision: Parents::None,
            passed: false,
            status: Status::Failed,
            failure_kind: None,
            skipped: false,
            skip_reason: String::new(),
            failures: Vec::new(),
            warnings: Vec::new(),
            coverage: BTreeMap::new(),
            duration_s: 0.0,
        }
        .with(failures)
    }

    impl RevisionResult {
        fn with(mut self, failures: Vec<Failure>) -> Self {
            for f in failures {
                self.add(f);
            }
            self
        }
    }

    fn on_data() -> Failure {
        Failure::FailsOnData {
            tables: vec!["users".into()],
            guessed: false,
            reason: "NOT NULL constraint failed: users.email".into(),
            statement: "ALTER TABLE users ADD email TEXT NOT NULL".into(),
        }
    }

    #[test]
    fn the_worst_kind_is_kept_whatever_the_order() {
        let lost = Failure::Rows(RowProblem::RowsLost {
            table: "users".into(),
            lost: 3,
            of: 3,
        });
        let drift = Failure::Schema(Difference {
            subject: Subject::Index {
                table: "users".into(),
                name: "ix".into(),
            },
            change: Change::Extra,
            when: Moment::Rollback,
        });
        let r = result(vec![drift.clone(), lost.clone(), drift.clone()]);
        assert_eq!(r.failure_kind, Some(FailureKind::DataLost));
        let step = Failure::StepFailed {
            step: "downgrade".into(),
            reason: "boom".into(),
            on_empty: None,
        };
        let r = result(vec![lost, step, drift]);
        assert_eq!(r.failure_kind, Some(FailureKind::RollbackFailed));
        assert_eq!(r.risk_score(), 75);
    }

    #[test]
    fn a_failed_step_says_whether_it_ran_on_empty_tables() {
        let step = |on_empty| Failure::StepFailed {
            step: "downgrade".into(),
            reason: "no such index: sm_dag".into(),
            on_empty,
        };
        assert_eq!(
            step(None).to_string(),
            "downgrade failed: no such index: sm_dag"
        );
        assert_eq!(
            step(Some(false)).to_string(),
            "downgrade failed: no such index: sm_dag (it fails on an empty database too)"
        );
        assert_eq!(
            step(Some(true)).to_string(),
            "downgrade failed: no such index: sm_dag (it runs when the tables are empty: the \
             rows in them make it fail)"
        );
    }

    #[test]
    fn the_hazard_on_filled_tables_comes_after_the_rollback_failures() {
        let step = Failure::StepFailed {
            step: "downgrade".into(),
            reason: "boom".into(),
            on_empty: None,
        };
        let mut r = result(vec![on_data(), step.clone()]);
        r.conclude(Vec::new());
        assert_eq!(r.status, Status::Failed);
        assert_eq!(r.failures, vec![step, on_data()]);
        let mut only = result(vec![on_data()]);
        only.conclude(vec![Failure::Line("x".into())]);
        assert_eq!(only.status, Status::UpgradeFailsOnData);
        assert_eq!(only.failures.len(), 1);
    }

    #[test]
    fn an_allowed_unverified_revision_passes_with_its_lines_as_warnings() {
        let mut r = result(Vec::new());
        r.conclude(vec![Failure::Unverified {
            table: "vault".into(),
            refused: None,
        }]);
        assert_eq!(r.status, Status::Unverified);
        r.settle(true);
        assert!(r.passed && r.failures.is_empty());
        assert_eq!(
            r.warnings,
            vec![
                "Table 'vault' held no rows when the revision ran, so its data was not checked; \
                 give it rows: custom_seeds={\"vault\": lambda: [...]}"
            ]
        );
    }

    #[test]
    fn the_fails_on_data_line_names_the_tables_and_cuts_a_long_statement() {
        assert_eq!(
            on_data().to_string(),
            "upgrade fails on data on table 'users': NOT NULL constraint failed: users.email at \
             `ALTER TABLE users ADD email TEXT NOT NULL`; it succeeds on empty tables, so production \
             tables holding rows like these would fail too (if such rows cannot occur there: \
             custom_seeds={\"users\": lambda: [...]})"
        );
        let long = Failure::FailsOnData {
            tables: Vec::new(),
            guessed: false,
            reason: "no".into(),
            statement: "é".repeat(120),
        };
        let text = long.to_string();
        assert!(
            text.contains(&format!(" at `{}...`;", "é".repeat(97))),
            "{text}"
        );
        assert!(text.ends_with("custom_seeds={\"<table>\": lambda: [...]})"));
    }

    #[test]
    fn suspects_are_the_tables_the_error_names_as_words() {
        let touched = vec!["spans".to_string(), "traces".to_string()];
        let held = vec![
            "spans".to_string(),
            "span".to_string(),
            "traces".to_string(),
        ];
        let reason = "Cannot drop SPANS.dimension_attributes";
        assert_eq!(
            suspects(None, reason, &touched, &held),
            (vec!["spans".to_string()], false)
        );
        assert_eq!(
            suspects(Some("users"), reason, &touched, &held),
            (vec!["users".to_string()], false)
        );
        assert_eq!(
            suspects(None, "spansx and xtraces", &touched, &held),
            (touched.clone(), true)
        );
    }

    #[test]
    fn the_duration_is_rounded_like_python() {
        let mut r = result(Vec::new());
        r.duration_s = 0.123_456;
        assert!((r.duration_rounded() - 0.123).abs() < f64::EPSILON);
        r.duration_s = 2.0;
        assert!((r.duration_rounded() - 2.0).abs() < f64::EPSILON);
    }
}
