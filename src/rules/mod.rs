//! The rules: one file per rule, each rule's documentation (its doc comment, captured by
//! [`declare_rule!`]), lookup by the keys users write, and the checks run over a migration,
//! a revision graph or a Django app. A rule's identity ([`Rule`]: code, name, pattern,
//! default severity, aliases) lives one layer down, in [`crate::diagnostic`]. Rules read the
//! normalized [`MigrationAST`] and never walk the Python tree themselves.

use crate::diagnostic::Diagnostic;
pub use crate::diagnostic::{ALL, Rule};
use crate::scanner::django_state::{Node, Seen, State, Step, Visit, replay};
use crate::scanner::graph::Graph;
use crate::scanner::model::{
    BodyKind, DialectHint, MigrationAST, OpKind, Operation, Value, same_name,
};
use crate::scanner::state::{Event, Replay, sets_not_null};

/// Declares a rule's struct and captures its doc comment as `DOCS`, so `mrt rules CODE`
/// prints exactly what rustdoc shows.
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* pub struct $name:ident;) => {
        $(#[doc = $doc])*
        pub struct $name;
        /// The rule's user documentation (its doc comment).
        pub const DOCS: &str = concat!($($doc, "\n"),*);
    };
}

/// The rule files, and each rule's documentation, from the one rule table
/// ([`crate::diagnostic::rule_table!`]): `pub mod <file>;` for every rule and [`Rule::docs`].
macro_rules! rule_modules {
    ($($variant:ident => $module:ident, $code:literal, $name:literal, $pattern:literal, $sev:ident, [$($alias:literal),*];)*) => {
        $(pub mod $module;)*

        impl Rule {
            /// The full documentation (the rule's doc comment).
            #[must_use]
            pub fn docs(self) -> &'static str { match self { $(Rule::$variant => $module::DOCS),* } }
        }
    };
}

crate::diagnostic::rule_table!(rule_modules);

/// Lower-case words only: `No-op downgrade`, `no op  DOWNGRADE` and `no_op_downgrade` match.
#[must_use]
pub fn normalize(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Codes and pattern names of pytest-mrt 1.9.1, which users already write in
/// `severity_overrides` and `# noqa:` comments, mapped to the rules that cover them now.
const LEGACY: &[(&str, &str, Rule)] = &[
    ("MRT101", "Missing downgrade", Rule::MissingDowngrade),
    ("MRT102", "No-op downgrade", Rule::NoopDowngrade),
    (
        "MRT103",
        "Data transform without reverse",
        Rule::BulkUpdateWithoutReverse,
    ),
    ("MRT104", "Raw SQL (op.execute)", Rule::UnanalysableSql),
    (
        "MRT105",
        "context.execute without reverse",
        Rule::UnanalysableSql,
    ),
    (
        "MRT107",
        "RunPython without reverse_code",
        Rule::RunPythonWithoutReverse,
    ),
    (
        "MRT108",
        "RunSQL without reverse_sql",
        Rule::RunSqlWithoutReverse,
    ),
    ("MRT201", "DROP COLUMN in upgrade", Rule::DropColumn),
    ("MRT202", "DROP TABLE in upgrade", Rule::DropTable),
    ("MRT203", "TRUNCATE", Rule::Truncate),
    ("MRT204", "CASCADE DELETE", Rule::OnDeleteCascade),
    (
        "MRT205",
        "DROP FOREIGN KEY without restore",
        Rule::DropConstraintNotRecreated,
    ),
    (
        "MRT206",
        "DROP COLUMN in batch_alter_table",
        Rule::DropColumn,
    ),
    (
        "MRT207",
        "DROP VIEW without reverse",
        Rule::DropObjectNotRecreated,
    ),
    (
        "MRT208",
        "Multi-step destructive migration",
        Rule::AddMigrateDrop,
    ),
    ("MRT209", "RemoveField", Rule::DjangoRemoveField),
    ("MRT210", "DeleteModel", Rule::DjangoDeleteModel),
    ("MRT211", "RunSQL DROP TABLE", Rule::DropTable),
    ("MRT212", "RunSQL TRUNCATE", Rule::Truncate),
    (
        "MRT213",
        "SET NOT NULL on existing column",
        Rule::NotNullWithoutDefault,
    ),
    (
        "MRT301",
        "rename_table without reverse",
        Rule::RenameNotReversed,
    ),
    (
        "MRT302",
        "rename_column without reverse",
        Rule::RenameNotReversed,
    ),
    ("MRT303", "Column type change", Rule::ColumnTypeChange),
    ("MRT303", "Column type change", Rule::ColumnTypeNarrowed),
    ("MRT304", "ENUM value added", Rule::EnumValueAdded),
    (
        "MRT305",
        "RenameModel with data-loss operations",
        Rule::DjangoRename,
    ),
    (
        "MRT401",
        "NOT NULL without default",
        Rule::NotNullWithoutDefault,
    ),
    (
        "MRT402",
        "NOT NULL without reverting nullable",
        Rule::NotNullNotRestored,
    ),
    (
        "MRT403",
        "NOT NULL via raw SQL without reverse",
        Rule::NotNullRawSql,
    ),
    (
        "MRT404",
        "ADD COLUMN with volatile DEFAULT",
        Rule::AddColumnVolatileDefault,
    ),
    (
        "MRT405",
        "ADD COLUMN with server_default",
        Rule::AddColumnVolatileDefault,
    ),
    (
        "MRT406",
        "UNIQUE constraint on existing data",
        Rule::UniqueConstraintAdded,
    ),
    (
        "MRT407",
        "INDEX without CONCURRENTLY",
        Rule::IndexWithoutConcurrently,
    ),
    (
        "MRT408",
        "DROP INDEX without reverse",
        Rule::DropIndexNotRecreated,
    ),
    (
        "MRT409",
        "DROP CONSTRAINT without reverse",
        Rule::DropConstraintNotRecreated,
    ),
    (
        "MRT410",
        "DROP CONSTRAINT in batch_alter_table",
        Rule::DropConstraintNotRecreated,
    ),
    (
        "MRT411",
        "AddField NOT NULL without default",
        Rule::DjangoNotNullWithoutDefault,
    ),
    (
        "MRT412",
        "AlterField to NOT NULL without default",
        Rule::DjangoNotNullWithoutDefault,
    ),
    (
        "MRT413",
        "AddIndex without atomic=False",
        Rule::DjangoAddIndexLocks,
    ),
    ("MRT414", "Missing atomic=False", Rule::DjangoAddIndexLocks),
    ("MRT501", "SEQUENCE modification", Rule::SequenceChange),
    (
        "MRT502",
        "CREATE TRIGGER without DROP TRIGGER",
        Rule::CreateNotReversed,
    ),
    (
        "MRT503",
        "CREATE TYPE without DROP TYPE",
        Rule::CreateNotReversed,
    ),
    ("", "Data hole chain", Rule::ColumnDataHole),
    (
        "MRT106",
        "bulk_insert without reverse",
        Rule::BulkInsertNotReversed,
    ),
];

/// 1.9.1 codes with no counterpart here (its opt-in rolling-deploy checks and a few others):
/// suppressions naming them are left alone rather than reported as unknown.
#[must_use]
pub fn is_retired_code(code: &str) -> bool {
    matches!(
        code,
        "MRT601"
            | "MRT602"
            | "MRT701"
            | "MRT702"
            | "MRT703"
            | "MRT704"
            | "MRT705"
            | "MRT901"
            | "MRT902"
    )
}

impl Rule {
    /// The rules a user-supplied key names: a code (`MRT001`), a code prefix (`MRT0`), a
    /// kebab name, a pattern name or one of its aliases, or a pytest-mrt 1.9.1 code or
    /// pattern name. Empty when nothing matches.
    #[must_use]
    pub fn lookup(key: &str) -> Vec<Rule> {
        let key = key.trim();
        let upper = key.to_ascii_uppercase();
        if upper.starts_with("MRT") && upper[3..].chars().all(|c| c.is_ascii_digit()) {
            let ours: Vec<Rule> = ALL
                .iter()
                .copied()
                .filter(|r| r.code().starts_with(&upper))
                .collect();
            if !ours.is_empty() {
                return ours;
            }
            return LEGACY
                .iter()
                .filter(|(code, _, _)| *code == upper)
                .map(|(_, _, rule)| *rule)
                .collect();
        }
        let wanted = normalize(key);
        let mut found: Vec<Rule> = ALL
            .iter()
            .copied()
            .filter(|r| {
                normalize(r.name()) == wanted
                    || normalize(r.pattern()) == wanted
                    || r.aliases().iter().any(|a| normalize(a) == wanted)
            })
            .collect();
        for (_, pattern, rule) in LEGACY {
            if normalize(pattern) == wanted && !found.contains(rule) {
                found.push(*rule);
            }
        }
        found.sort();
        found
    }

    /// The first paragraph line of `## What it does`: the one-line summary.
    #[must_use]
    pub fn summary(self) -> String {
        let mut lines = self.docs().lines().map(str::trim);
        lines.find(|l| l.starts_with("## What it does"));
        lines
            .take_while(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The documentation with rustdoc's leading space removed.
    #[must_use]
    pub fn docs_text(self) -> String {
        self.docs()
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }
}

type FileCheck = fn(&MigrationAST, &mut Vec<Diagnostic>);

/// Per-file rules, in code order.
const FILE_CHECKS: &[FileCheck] = &[
    drop_column::check,
    drop_table::check,
    truncate::check,
    delete_without_where::check,
    noop_downgrade::check,
    missing_downgrade::check,
    downgrade_raises::check,
    create_not_reversed::check,
    rename_not_reversed::check,
    drop_object_not_recreated::check,
    enum_value_added::check,
    add_migrate_drop::check,
    drop_constraint_none::check,
    bulk_update_without_reverse::check,
    unanalysable_sql::check,
    drop_index_not_recreated::check,
    drop_constraint_not_recreated::check,
    foreign_key_restored::check,
    drop_column_object::check,
    type_rejects_arguments::check,
    not_null_without_default::check,
    column_type_change::check,
    column_type_narrowed::check,
    index_without_concurrently::check,
    add_column_volatile_default::check,
    unique_constraint_added::check,
    on_delete_cascade::check,
    sequence_change::check,
    not_null_raw_sql::check,
    not_null_not_restored::check,
    alter_column_resets_nullability::check,
    bulk_insert_not_reversed::check,
    ddl_error_swallowed::check,
    django_remove_field::check,
    django_delete_model::check,
    run_python_without_reverse::check,
    run_sql_without_reverse::check,
    django_not_null_without_default::check,
    django_rename::check,
    django_add_index_locks::check,
    django_squashed::check,
];

type GraphCheck = fn(&Graph<'_>, &mut Vec<(usize, Diagnostic)>);

/// Whole-directory rules over the revision graph.
const GRAPH_CHECKS: &[GraphCheck] = &[
    multiple_heads::check,
    missing_parent::check,
    duplicate_revision::check,
    revision_cycle::check,
    orphan_revision::check,
    column_data_hole::check,
];

/// What a Django check sees before one operation that runs on the database: the migration
/// (its index among the replayed nodes), its app label, the operation's step and the project
/// state just before it.
pub struct DjangoStep<'a> {
    pub node: usize,
    pub app: &'a str,
    /// The migration's name (`0002_page_title`).
    pub name: &'a str,
    pub step: &'a Step,
    /// Every step of the migration, `step` among them.
    pub steps: &'a [Step],
    pub state: &'a State,
}

impl DjangoStep<'_> {
    /// The tables this step's `RunSQL` names, once each, with what state-only operations had
    /// left of each in the database (`State::left_in_db`): the second step of a two-step
    /// removal drops them (MRT001, MRT002). Empty for any other step.
    pub(crate) fn run_sql_left_in_db(
        &self,
    ) -> Vec<(&str, &[crate::scanner::django_state::LeftInDb])> {
        let crate::scanner::django_state::Change::RunSql {
            tables: Some(tables),
        } = &self.step.change
        else {
            return Vec::new();
        };
        let mut seen = std::collections::HashSet::new();
        tables
            .iter()
            .filter(|t| seen.insert(t.as_str()))
            .map(|t| (t.as_str(), self.state.left_in_db(t)))
            .collect()
    }

    /// The state shows that `model` has no table (`managed = False`, a proxy), or cannot tell:
    /// an operation on it touches no table we know of.
    pub(crate) fn no_known_table(&self, model: &str) -> bool {
        match self.state.model(self.app, model) {
            Seen::Unseen => false,
            Seen::Unknown => true,
            Seen::Known(m) => m.tableless() != Some(false),
        }
    }
}

type DjangoCheck = fn(&DjangoStep<'_>, &mut GraphFindings);

/// Django rules over the project state (every app's migrations replayed in dependency order).
const DJANGO_CHECKS: &[DjangoCheck] = &[
    django_remove_field::check_state,
    drop_column::check_state,
    drop_table::check_state,
    django_delete_model::check_state,
    django_not_null_without_default::check_state,
    django_rename::check_state,
    django_add_index_locks::check_state,
    bulk_update_without_reverse::check_state,
];

/// Replay the Django project state and run every Django state rule; each finding (and each
/// per-file finding withdrawn) names the index of the node it belongs to.
#[must_use]
pub fn check_django(nodes: &[Node<'_>]) -> GraphFindings {
    struct Run(GraphFindings);
    impl Visit for Run {
        fn before(&mut self, node: usize, nodes: &[Node<'_>], step: &Step, state: &State) {
            if !step.db {
                return;
            }
            let s = DjangoStep {
                node,
                app: &nodes[node].app,
                name: &nodes[node].name,
                step,
                steps: &nodes[node].facts.steps,
                state,
            };
            for check in DJANGO_CHECKS {
                check(&s, &mut self.0);
            }
        }
    }
    let mut run = Run(GraphFindings {
        found: Vec::new(),
        cleared: Vec::new(),
        cleared_named: Vec::new(),
        demoted: Vec::new(),
        demoted_named: Vec::new(),
        completed: Vec::new(),
        superseded: Vec::new(),
    });
    replay(nodes, &mut run);
    django_squashed::check_nodes(nodes, &mut run.0);
    run.0
}

/// Run every per-file rule over one migration.
#[must_use]
pub fn check_migration(m: &MigrationAST) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for check in FILE_CHECKS {
        check(m, &mut out);
    }
    out
}

/// The rules [`STATE_CHECKS`] report.
pub const STATE_RULES: &[Rule] = &[
    Rule::DowngradeMissingObject,
    Rule::DropReferencedTable,
    Rule::DowngradeSchemaDrift,
    Rule::CreateExistingObject,
    Rule::BatchCopiesGenerated,
    Rule::DropNeededByForeignKey,
    Rule::SqliteAlterOutsideBatch,
    Rule::MysqlAlterNeedsType,
    Rule::EnumTypeLeftBehind,
];

type StateCheck = fn(&Graph<'_>, &Replay, &mut Vec<(usize, Diagnostic)>);

/// Rules over the symbolic schema the replay builds.
const STATE_CHECKS: &[StateCheck] = &[
    downgrade_missing_object::check,
    drop_referenced_table::check,
    downgrade_schema_drift::check,
    create_existing_object::check,
    batch_copies_generated::check,
    drop_needed_by_foreign_key::check,
    sqlite_alter_outside_batch::check,
    mysql_alter_needs_type::check,
    enum_type_left_behind::check,
];

/// What the graph rules found, and the per-file findings the replay proves false.
pub struct GraphFindings {
    /// Each finding with the index of the migration it belongs to.
    pub found: Vec<(usize, Diagnostic)>,
    /// Per-file findings to withdraw: (migration index, rule, range).
    pub cleared: Vec<(usize, Rule, ruff_text_size::TextRange)>,
    /// Per-file findings to withdraw when they name this object (`'name'` in the message):
    /// a statement in a helper has one range for every call.
    pub cleared_named: Vec<(usize, Rule, ruff_text_size::TextRange, String)>,
    /// Per-file findings the replay shows to be warnings: (migration index, rule, range, what
    /// to add to the message).
    pub demoted: Vec<(usize, Rule, ruff_text_size::TextRange, String)>,
    /// Per-file findings to make warnings when their message names this object (lower-case
    /// text it contains): a statement drops several, and the replay speaks of one.
    /// (migration index, rule, range, object, what to add to the message).
    pub demoted_named: Vec<(usize, Rule, ruff_text_size::TextRange, String, String)>,
    /// Per-file findings whose message the replay completes, their severity kept, when their
    /// message names this object (lower-case text it contains; a helper's statement has one
    /// range for several findings): (migration index, rule, range, object, what to add).
    pub completed: Vec<(usize, Rule, ruff_text_size::TextRange, String, String)>,
    /// Migrations a Django squash replaces: (migration index, the squash as `app.name`). Their
    /// errors become warnings that name the squash ([`django_squashed::check_nodes`]).
    pub superseded: Vec<(usize, String)>,
}

impl GraphFindings {
    /// Withdraw the finding of `rule` at `range` that names `name` (quoted in its message).
    pub fn withdraw_named(
        diagnostics: &mut Vec<Diagnostic>,
        rule: Rule,
        range: ruff_text_size::TextRange,
        name: &str,
    ) {
        // Objects are quoted (`'ix_name'`); a dropped column is named `column t.c:`.
        let quoted = format!("'{name}'");
        let column = format!("column {name}:");
        diagnostics.retain(|d| {
            !(d.rule == rule
                && d.range == range
                && (d.message.contains(&quoted) || d.message.contains(&column)))
        });
    }

    /// The findings of `rule` at `range`.
    fn at(
        diagnostics: &mut [Diagnostic],
        rule: Rule,
        range: ruff_text_size::TextRange,
    ) -> impl Iterator<Item = &mut Diagnostic> {
        diagnostics
            .iter_mut()
            .filter(move |d| d.rule == rule && d.range == range)
    }

    /// Make the finding of `rule` at `range` a warning, adding `why` to its message.
    pub fn demote(
        diagnostics: &mut [Diagnostic],
        rule: Rule,
        range: ruff_text_size::TextRange,
        why: &str,
    ) {
        for d in Self::at(diagnostics, rule, range) {
            d.severity = Some(crate::diagnostic::Severity::Warning);
            d.message.push_str(why);
        }
    }

    /// Add `more` to the message of the finding of `rule` at `range` that names `object`
    /// (lower-case).
    pub fn complete(
        diagnostics: &mut [Diagnostic],
        rule: Rule,
        range: ruff_text_size::TextRange,
        object: &str,
        more: &str,
    ) {
        for d in Self::at(diagnostics, rule, range) {
            if d.message.to_ascii_lowercase().contains(object) {
                d.message.push_str(more);
            }
        }
    }

    /// Make the finding of `rule` at `range` whose message names `object` (lower-case) a
    /// warning, adding `why` to its message.
    pub fn demote_named(
        diagnostics: &mut [Diagnostic],
        rule: Rule,
        range: ruff_text_size::TextRange,
        object: &str,
        why: &str,
    ) {
        for d in diagnostics.iter_mut().filter(|d| {
            d.rule == rule && d.range == range && d.message.to_ascii_lowercase().contains(object)
        }) {
            d.severity = Some(crate::diagnostic::Severity::Warning);
            d.message.push_str(why);
        }
    }
}

/// Run every graph rule and the replay; each finding names the index of the migration it
/// belongs to.
#[must_use]
// long: one arm per replay event, each saying which file rule's finding it withdraws or
// demotes; the arms share the three lists they fill.
#[allow(clippy::too_many_lines)]
pub fn check_graph(graph: &Graph<'_>) -> GraphFindings {
    let mut found = Vec::new();
    for check in GRAPH_CHECKS {
        check(graph, &mut found);
    }
    let replay = Replay::run(graph);
    for check in STATE_CHECKS {
        check(graph, &replay, &mut found);
    }
    let mut cleared = Vec::new();
    let mut cleared_named = Vec::new();
    let mut demoted = missing_downgrade::forward_only(graph);
    let mut demoted_named = Vec::new();
    for &i in &replay.order {
        let facts = &replay.facts[i];
        let m = graph.migs[i];
        if facts.schema_unchanged
            && let Some(down) = m.downgrade.as_ref().filter(|d| d.body == BodyKind::Empty)
        {
            // A repair whose parent already has the schema it produces: nothing to undo.
            cleared.push((i, Rule::NoopDowngrade, down.header));
        }
        for event in &replay.facts[i].events {
            match event {
                // Restating a column the chain shows nullable cannot make it nullable; one it
                // does not know is more likely nullable than not.
                Event::NotKnownNotNull { range } => {
                    cleared.push((i, Rule::AlterColumnResetsNullability, *range));
                }
                // NOT NULL on a column the chain shows NOT NULL already: no NULL row can
                // make it fail, and nullable was never true for a downgrade to restore.
                Event::KnownNotNull { range }
                    if every_call(
                        m,
                        facts,
                        *range,
                        sets_not_null,
                        |e| matches!(e, Event::KnownNotNull { range: r } if r == range),
                    ) =>
                {
                    cleared.push((i, Rule::NotNullWithoutDefault, *range));
                    cleared.push((i, Rule::NotNullNotRestored, *range));
                }
                // Rows unique on some of the columns are unique on all of them.
                Event::UniqueImplied { range, name } => {
                    cleared_named.push((i, Rule::UniqueConstraintAdded, *range, name.clone()));
                }
                // Dropping `IF EXISTS` what the chain shows is not there drops nothing. A
                // helper's statement drops other names at the same range: withdraw this one.
                Event::AbsentNotDropped { range, name } => {
                    for rule in [
                        Rule::DropConstraintNotRecreated,
                        Rule::DropIndexNotRecreated,
                    ] {
                        cleared_named.push((i, rule, *range, name.clone()));
                    }
                }
                Event::AbsentColumnNotDropped { range, column } => {
                    cleared_named.push((i, Rule::DropColumn, *range, column.clone()));
                }
                Event::AbsentTableNotDropped { range, table } => {
                    cleared_named.push((i, Rule::DropTable, *range, table.clone()));
                }
                // The chain shows the column's type: the change does not narrow it, so
                // no value is cut or refused either.
                Event::KnownNotNarrowed { range } => {
                    cleared.push((i, Rule::ColumnTypeNarrowed, *range));
                    cleared.push((i, Rule::ColumnTypeChange, *range));
                }
                // Values or rows an earlier revision copied elsewhere, kept by the rollback.
                Event::ValuesCopied {
                    range,
                    copied_by,
                    into,
                } => {
                    let why = drop_column::values_copied(graph, *copied_by, into);
                    demoted.push((i, Rule::DropColumn, *range, why));
                }
                Event::RowsCopied {
                    range,
                    copied_by,
                    into,
                } => {
                    let why = drop_table::rows_copied(graph, *copied_by, into);
                    demoted.push((i, Rule::DropTable, *range, why));
                }
                // A generated column's values are computed again from the row.
                Event::GeneratedDropped { range } => {
                    cleared.push((i, Rule::DropColumn, *range));
                }
                // Re-creating what was already there leaves nothing behind.
                Event::AlreadyThere { range } if !facts.opaque => {
                    cleared.push((i, Rule::CreateNotReversed, *range));
                }
                // A derived table: its rows are still in the tables they were copied from.
                // Named: one statement may drop several tables (a loop over names).
                Event::DerivedRows {
                    range,
                    table,
                    created_by,
                    from,
                } => {
                    let why = drop_table::copied_from(graph, *created_by, from);
                    demoted_named.push((
                        i,
                        Rule::DropTable,
                        *range,
                        format!("table '{table}'"),
                        why,
                    ));
                }
                // A lookup table the migrations seeded, seeded again by the downgrade.
                Event::SeededRows {
                    range,
                    table,
                    created_by,
                    seeds,
                } => {
                    if let Some(why) = drop_table::seeded_again(graph, m, table, *created_by, seeds)
                    {
                        demoted_named.push((
                            i,
                            Rule::DropTable,
                            *range,
                            format!("table '{table}'"),
                            why,
                        ));
                    }
                }
                // A column its creator called a materialized copy, never written since.
                Event::NeverWritten {
                    range,
                    created_by,
                    column,
                } => {
                    if let Some(why) = drop_column::materialized(graph, *created_by, column) {
                        demoted.push((i, Rule::DropColumn, *range, why));
                    }
                }
                // A derived column: its values can be computed again from columns that stay.
                Event::DerivedValues {
                    range,
                    created_by,
                    from,
                } => {
                    let why = drop_column::computed_from(graph, *created_by, from);
                    demoted.push((i, Rule::DropColumn, *range, why));
                }
                _ => {}
            }
        }
    }
    GraphFindings {
        found,
        cleared,
        cleared_named,
        demoted,
        demoted_named,
        completed: Vec::new(),
        superseded: Vec::new(),
    }
}

/// A statement in a helper serves every call of the helper, at one range: a replay event
/// clears a finding at `range` only when it was seen for each of the upgrade's operations
/// there that `counts`.
fn every_call(
    m: &MigrationAST,
    facts: &crate::scanner::state::RevisionFacts,
    range: ruff_text_size::TextRange,
    counts: impl Fn(&Operation) -> bool,
    seen: impl Fn(&Event) -> bool,
) -> bool {
    let calls = m
        .upgrade_ops()
        .iter()
        .filter(|o| o.range == range && counts(o))
        .count();
    facts.events.iter().filter(|e| seen(e)).count() >= calls
}

// Shared questions rules ask of a migration.

/// For the note a drop of derived data is demoted with: the sources its contents came from
/// (the first four, then how many more) and the revision that created it empty.
pub(crate) fn derived_sources<'g, T>(
    graph: &'g Graph<'_>,
    created_by: usize,
    sources: &[T],
    show: impl Fn(&T) -> String,
) -> (String, &'g str) {
    let mut names: Vec<String> = sources.iter().take(4).map(show).collect();
    if sources.len() > 4 {
        names.push(format!("{} more", sources.len() - 4));
    }
    (names.join(", "), revision_name(graph, created_by))
}

/// A revision's id for messages, by graph index.
pub(crate) fn revision_name<'g>(graph: &'g Graph<'_>, index: usize) -> &'g str {
    graph.migs.get(index).map_or("?", |m| m.revision.as_str())
}

/// Some revision of the chain shows that it runs on `dialect`: a file that imports
/// SQLAlchemy's dialect module for it, a branch for it (`if dialect == "mysql":`), or an
/// argument only it reads (`mysql_*`, `sqlite_*`, `postgresql_*`).
pub(crate) fn runs_on(g: &Graph<'_>, dialect: DialectHint) -> bool {
    let prefix = match dialect {
        DialectHint::MySql => "mysql_",
        DialectHint::Sqlite => "sqlite_",
        DialectHint::Postgres => "postgresql_",
        DialectHint::Unknown => return false,
    };
    g.migs.iter().any(|m| {
        m.dialect == dialect
            || m.upgrade_ops().iter().chain(m.downgrade_ops()).any(|o| {
                o.dialects.only() == Some(dialect)
                    || o.kwargs.iter().any(|k| k.name.starts_with(prefix))
            })
    })
}

/// The downgrade's operations when it actually does something (not missing, empty or raising:
/// other rules report those).
pub(crate) fn active_downgrade(m: &MigrationAST) -> Option<&[Operation]> {
    m.downgrade
        .as_ref()
        .filter(|f| f.body == BodyKind::Active)
        .map(|f| f.ops.as_slice())
}

/// A name we can match between upgrade and downgrade: known, and not built at run time
/// (`{...}` holes of f-strings whose values we could not see).
pub(crate) fn known(name: Option<&String>) -> bool {
    name.is_some_and(|n| !n.contains('{'))
}

/// Nothing left to lose on `table` at position `at` of `ops`: an earlier operation of the same
/// function created it, or already emptied it (that emptying is reported on its own line),
/// under this name or the one it had before a rename in between (airflow b87d2135fa50 empties
/// `callback_request`, renames it to `callback`, then drops columns of `callback`). A statement
/// of the offline path (`if context.is_offline_mode():`) empties nothing for the online ones.
pub(crate) fn nothing_to_lose(ops: &[Operation], at: usize, table: Option<&String>) -> bool {
    use crate::scanner::model::OpKind;
    let Some(mut name) = table.map(String::as_str) else {
        return false;
    };
    // What only runs in offline mode empties nothing for the online statements.
    let offline = ops.get(at).is_some_and(|o| o.offline);
    for o in ops[..at.min(ops.len())]
        .iter()
        .rev()
        .filter(|o| offline || !o.offline)
    {
        let on_name = o.table.as_deref().is_some_and(|t| same_name(t, name));
        if o.kind == OpKind::RenameTable
            && o.new_name.as_deref().is_some_and(|n| same_name(n, name))
            && let Some(old) = o.table.as_deref()
        {
            name = old;
        } else if on_name
            && (matches!(o.kind, OpKind::CreateTable | OpKind::Truncate)
                || (o.kind == OpKind::Delete && !o.has_where)
                || (o.kind == OpKind::Read && o.asserts_empty))
        {
            return true;
        }
    }
    false
}

/// The migration says the data `op` destroys is derived (a comment or docstring: regenerated,
/// re-populated, a cache, transient): the finding becomes a warning that quotes why. Whether
/// the data really comes back needs the project's knowledge; the author's word moves it out
/// of the errors, and the quote lets a reviewer check it.
pub(crate) fn derived_warning(op: &Operation, d: &mut Diagnostic) {
    if let Some(why) = &op.derived {
        d.severity = Some(crate::diagnostic::Severity::Warning);
        d.message.push_str(&format!(
            "; the migration says why the data need not come back: \"{why}\""
        ));
    }
}

/// Quote a name for messages.
pub(crate) fn q(name: Option<&String>) -> String {
    name.map_or_else(
        || "?".to_string(),
        |n| {
            if crate::scanner::model::is_unresolved(n) {
                crate::scanner::model::display_name(n)
            } else {
                format!("'{n}'")
            }
        },
    )
}

mod runtime_state;

#[cfg(test)]
mod tests;

// Following the data: a drop is no loss when the values were moved and come back.

/// Did `ops[..at]` copy the values of `table.column` somewhere else: a statement that reads
/// the column and writes another place (`UPDATE t SET new = old`, `INSERT INTO t2 SELECT old
/// FROM t`), or a read (`SELECT id, old FROM t`) followed by a write (rows copied in Python)?
/// A read Python takes as one row (`.scalar()`) keeps one value, not the column's (indico
/// 7a72d63acba9 keeps only the default location's `default_aspect_id`).
pub(crate) fn copied_out(ops: &[Operation], at: usize, table: &str, column: &str) -> bool {
    let before = &ops[..at.min(ops.len())];
    before.iter().enumerate().any(|(i, op)| {
        op.reads_column(table, column)
            && !op.one_row
            && ((!op.writes.is_empty() && !op.writes_column(table, column))
                || before[i + 1..].iter().any(|w| !w.writes.is_empty()))
    })
}

/// Did `ops[..at]` copy every row of `table` somewhere else (`INSERT INTO t2 SELECT ... FROM
/// t`, `CREATE TABLE t2 AS SELECT ...`, or a `SELECT` from it followed by inserts)?
pub(crate) fn table_copied_out(ops: &[Operation], at: usize, table: &str) -> bool {
    let before = &ops[..at.min(ops.len())];
    before.iter().enumerate().any(|(i, op)| {
        op.reads.iter().any(|(t, _)| same_name(t, table))
            && ((!op.writes.is_empty()
                && !op.table.as_deref().is_some_and(|t| same_name(t, table)))
                || before[i + 1..].iter().any(|w| !w.writes.is_empty()))
    })
}

/// Values written from data (a statement that reads, or that follows a read in Python): not a
/// constant fill. A Core `.values(col="x")` of literals only is a constant fill whatever was
/// read before it.
fn writes_data(ops: &[Operation], i: usize) -> bool {
    !ops[i].reads.is_empty()
        || (!ops[i].constant_values && ops[..i].iter().any(|o| !o.reads.is_empty()))
}

/// Does a later statement give `table` a column named `column` again, renamed from one the
/// upgrade wrote before (copy-swap: add `tmp`, copy, drop `column`, rename `tmp` to `column`)?
pub(crate) fn swapped_in(ops: &[Operation], at: usize, table: &str, column: &str) -> bool {
    ops.iter().skip(at + 1).any(|r| {
        r.kind == OpKind::RenameColumn
            && r.table.as_deref().is_some_and(|t| same_name(t, table))
            && r.new_name.as_deref().is_some_and(|n| same_name(n, column))
            && r.column
                .as_deref()
                .is_some_and(|tmp| ops[..at].iter().any(|w| w.writes_column(table, tmp)))
    })
}

/// Was the column renamed aside earlier in the upgrade (`value` → `value_old`), and its
/// values copied into a new column under the old name (the copy-swap SQLite batch mode needs)?
/// The copy may go through Python: rows read from the column, then written one by one with
/// values the statement does not read itself (fides 2f6aa5fe797a `SELECT LOWER(kind_old), id`,
/// then `UPDATE ... SET kind = '{row[0]}' WHERE id = '{row[1]}'` per row).
pub(crate) fn renamed_aside(ops: &[Operation], at: usize, table: &str, column: &str) -> bool {
    let before = &ops[..at.min(ops.len())];
    before.iter().enumerate().any(|(j, r)| {
        r.kind == OpKind::RenameColumn
            && r.table.as_deref().is_some_and(|t| same_name(t, table))
            && r.new_name.as_deref().is_some_and(|n| same_name(n, column))
            && r.column.as_deref().is_some_and(|orig| {
                let after = &before[j + 1..];
                after.iter().enumerate().any(|(k, w)| {
                    w.writes_column(table, orig)
                        && (w.reads_column(table, column)
                            || w.reads.is_empty()
                                && after[..k].iter().any(|o| {
                                    o.kind == OpKind::Read
                                        && !o.one_row
                                        && o.reads_column(table, column)
                                }))
                })
            })
    })
}

/// `up[at]` drops `table.column`, which this upgrade added before: it did not exist before the
/// upgrade, so a rollback has nothing of its own to lose (a scratch column; what was copied
/// into it is reported where its source goes).
fn added_earlier(up: &[Operation], at: usize, table: &str, column: &str) -> bool {
    up[..at].iter().any(|a| {
        a.kind == OpKind::AddColumn
            && a.table.as_deref().is_some_and(|t| same_name(t, table))
            && a.column.as_deref().is_some_and(|c| same_name(c, column))
    })
}

/// `up[at]` drops `table.column` after copying it as is into another column of the table,
/// then adds it again and copies the values back (a column rebuilt through a scratch copy,
/// as mage-ai 90d978a8aef8 does to shed a unique constraint on SQLite): the values come back.
fn refilled_from_copy(up: &[Operation], at: usize, table: &str, column: &str) -> bool {
    let on = |o: &Operation| o.table.as_deref().is_some_and(|t| same_name(t, table));
    let copy = |o: &Operation, to: &str, from: &str| {
        o.kind == OpKind::Update
            && on(o)
            && o.copies.iter().any(|(w, (st, sc))| {
                same_name(w, to) && same_name(st, table) && same_name(sc, from)
            })
    };
    let Some(readd) = up[at + 1..].iter().position(|a| {
        a.kind == OpKind::AddColumn
            && on(a)
            && a.column.as_deref().is_some_and(|c| same_name(c, column))
    }) else {
        return false;
    };
    let readd = at + 1 + readd;
    up[..at]
        .iter()
        .filter_map(|o| {
            o.copies
                .iter()
                .find(|(_, (st, sc))| same_name(st, table) && same_name(sc, column))
                .map(|(w, _)| (o, w))
        })
        .filter(|(o, _)| o.kind == OpKind::Update && on(o))
        .any(|(_, scratch)| up[readd + 1..].iter().any(|o| copy(o, column, scratch)))
}

/// How a loss message ends: `usual` (what a downgrade can do), or, for an Alembic revision
/// with no `downgrade()` at all (OpenStack's contract migrations), that none can run.
pub(crate) fn no_downgrade_to(m: &MigrationAST, usual: &'static str) -> &'static str {
    if downgrade_missing(m) {
        "the revision has no downgrade() to run (MRT006): only a backup brings it back"
    } else {
        usual
    }
}

/// Is the revision irreversible by declaration: `downgrade()` raises, or an Alembic revision
/// has none (OpenStack's contract migrations)? No rollback then claims data back.
pub(crate) fn no_rollback(m: &MigrationAST) -> bool {
    downgrade_missing(m)
        || m.downgrade
            .as_ref()
            .is_some_and(|f| f.body == BodyKind::Raises)
}

/// Does no rollback touch data the upgrade moved: the revision is irreversible by declaration
/// ([`no_rollback`]), or its `downgrade()` does nothing (`pass`, which MRT005 reports)? Values
/// copied elsewhere then stay where they went (pgadmin4 f656e56dfdc8 folds a server's SSL
/// columns into `connection_params` under a `pass` downgrade).
pub(crate) fn moved_data_stays(m: &MigrationAST) -> bool {
    no_rollback(m)
        || m.framework == crate::scanner::model::Framework::Alembic
            && m.downgrade
                .as_ref()
                .is_some_and(|f| f.body == BodyKind::Empty)
}

/// An Alembic revision with no `downgrade()` at all (a Django migration has none to write).
fn downgrade_missing(m: &MigrationAST) -> bool {
    m.downgrade.is_none() && m.framework == crate::scanner::model::Framework::Alembic
}

/// Are the values of `table.column`, dropped by `up[at]` of `m`, followed and kept: swapped in
/// or renamed aside (a type change by copy), moved elsewhere and copied back by `downgrade()`
/// (or by no rollback at all, see [`moved_data_stays`]), added by this upgrade in the first place,
/// or copied aside and back into the column added again?
pub(crate) fn column_kept(
    m: &MigrationAST,
    up: &[Operation],
    down: &[Operation],
    at: usize,
    table: &str,
    column: &str,
) -> bool {
    moved_data_stays(m) && copied_out(up, at, table, column)
        || added_earlier(up, at, table, column)
        || refilled_from_copy(up, at, table, column)
        || swapped_in(up, at, table, column)
        || renamed_aside(up, at, table, column)
        || copied_out(up, at, table, column) && restores_column(down, table, column)
        || rederived(up, down, table, column)
        || restored_from_membership(up, down, at, table, column)
}

/// Does `downgrade()` add `table.column` back with a server default (the value of the rows no
/// UPDATE picks), its definition also passing `also`?
fn re_added_with_default(
    down: &[Operation],
    table: &str,
    column: &str,
    also: impl Fn(&crate::scanner::model::ColumnSpec) -> bool,
) -> bool {
    re_added(down, table, column, |c| {
        c.server_default.is_some() && also(c)
    })
}

/// Does `downgrade()` add `table.column` back with a definition that passes `definition`?
pub(crate) fn re_added(
    down: &[Operation],
    table: &str,
    column: &str,
    definition: impl Fn(&crate::scanner::model::ColumnSpec) -> bool,
) -> bool {
    down.iter().any(|d| {
        d.kind == OpKind::AddColumn
            && d.table.as_deref().is_some_and(|t| same_name(t, table))
            && d.columns
                .iter()
                .any(|c| same_name(&c.name, column) && definition(c))
    })
}

/// Is a two-valued column kept in other data, and set again from it by `downgrade()`? The
/// upgrade copies the rows with one value into `t2` (`INSERT INTO asset_active SELECT name, uri
/// FROM dataset WHERE is_orphaned = false`, airflow 5a5d66100783), or encodes the value in
/// another column of the row (`UPDATE menu_entries SET access = 2 WHERE registered_only`,
/// indico ef7a8b2e6737); the downgrade re-adds the column as a boolean with a server default
/// and sets the other value on the rows it picks by that data (`... WHERE NOT EXISTS (SELECT 1
/// FROM asset_active ...)`, `... WHERE access > 1`). A column of more than two values is not
/// restored by one such update, and stays reported.
fn restored_from_membership(
    up: &[Operation],
    down: &[Operation],
    at: usize,
    table: &str,
    column: &str,
) -> bool {
    // Where the value was kept: another table (its rows), or a column of this one.
    let mut kept: Vec<(&str, Option<&str>)> = Vec::new();
    for op in &up[..at.min(up.len())] {
        let Some(target) = op.table.as_deref() else {
            continue;
        };
        if !op
            .filter_reads
            .iter()
            .any(|(t, c)| same_name(t, table) && same_name(c, column))
        {
            continue;
        }
        match op.kind {
            OpKind::Insert if !same_name(target, table) => kept.push((target, None)),
            OpKind::Update if same_name(target, table) => kept.extend(
                op.writes
                    .iter()
                    .filter(|w| *w != "*" && !same_name(w, column))
                    .map(|w| (target, Some(w.as_str()))),
            ),
            _ => {}
        }
    }
    let rows = kept_as_rows(up, at, table, column);
    kept.extend(rows.iter().map(|t| (*t, None)));
    if kept.is_empty() {
        return false;
    }
    let re_added = re_added_with_default(down, table, column, is_boolean);
    if re_added && set_from_rows(down, table, column, &rows) {
        return true;
    }
    let reads_kept = |(t, c): &(String, String)| {
        kept.iter()
            .any(|(kt, kc)| same_name(t, kt) && kc.is_none_or(|kc| same_name(c, kc)))
    };
    re_added
        && down.iter().any(|d| {
            d.kind == OpKind::Update
                && d.writes_column(table, column)
                && d.filter_reads.iter().any(reads_kept)
        })
}

/// Each statement of `ops` with the read just before it, if the statement came right after
/// one (`conn.execute(...)` around a statement is not one of its own): rows Python fetched
/// and then wrote elsewhere, one statement per row.
fn after_reads(ops: &[Operation]) -> impl Iterator<Item = (Option<&Operation>, &Operation)> {
    let mut last_read: Option<&Operation> = None;
    ops.iter().filter_map(move |op| match op.kind {
        OpKind::Read => {
            last_read = Some(op);
            None
        }
        OpKind::Execute => None,
        _ => Some((last_read.take(), op)),
    })
}

/// The tables into which the upgrade, before `up[at]`, inserted rows built in Python from
/// rows of `table` it read picked by `column` alone (`select(note.c.id).where(note.c.is_pinned
/// == True)`, then `insert(pinned_note)` with one row per row read: open-webui 4de81c2a3af1
/// keeps which notes were pinned so). Each such row stands for a row where the column held
/// the value the read picked.
pub(crate) fn kept_as_rows<'o>(
    up: &'o [Operation],
    at: usize,
    table: &str,
    column: &str,
) -> Vec<&'o str> {
    after_reads(&up[..at.min(up.len())])
        .filter_map(|(read, op)| {
            let (read, into) = (read?, op.table.as_deref()?);
            (op.kind == OpKind::Insert
                && op.reads.is_empty()
                && !same_name(into, table)
                && read.reads.iter().any(|(t, _)| same_name(t, table))
                && !read.filter_reads.is_empty()
                && read
                    .filter_reads
                    .iter()
                    .all(|(t, c)| same_name(t, table) && same_name(c, column)))
            .then_some(into)
        })
        .collect()
}

/// Does `downgrade()` set `table.column` to one constant, row by row, on the rows named by
/// every row of one of `kept` it read just before (`for note in conn.execute(select(
/// pinned_note.c.note_id)).fetchall(): conn.execute(update(note).where(note.c.id == note[0])
/// .values(is_pinned=True))`)?
pub(crate) fn set_from_rows(down: &[Operation], table: &str, column: &str, kept: &[&str]) -> bool {
    after_reads(down).any(|(read, op)| {
        op.kind == OpKind::Update
            && op.writes_column(table, column)
            && op.writes.len() == 1
            && op.constant_values
            && op.guarded
            && !op.filter_reads.is_empty()
            && op
                .filter_reads
                .iter()
                .all(|(t, c)| same_name(t, table) && !same_name(c, column))
            && read.is_some_and(|read| {
                !read.has_where
                    && read
                        .reads
                        .iter()
                        .any(|(t, _)| kept.iter().any(|k| same_name(k, t)))
            })
    })
}

/// Django refuses to unapply this migration: an operation in it has no reverse (a `RunPython`
/// without `reverse_code`, a `RunSQL` without `reverse_sql`; MRT042 and MRT043 report it). No
/// rollback re-adds what it drops: the data is gone, but no restore is claimed.
#[must_use]
pub fn django_irreversible(m: &MigrationAST) -> bool {
    m.upgrade_ops().iter().any(|op| match op.kind {
        OpKind::RunPython => !has_reverse(op, "reverse_code"),
        OpKind::RunSql => !has_reverse(op, "reverse_sql"),
        _ => false,
    })
}

/// The reverse functions of the `RunPython` steps before `op` in its migration, which Django
/// runs after undoing `op` (it unapplies operations last to first).
pub(crate) fn reverses_before<'m>(
    m: &'m MigrationAST,
    op: &Operation,
) -> impl Iterator<Item = &'m crate::scanner::django_facts::DataFlow> {
    use crate::scanner::django_facts::Change;
    let steps = m.django.as_deref().map_or(&[][..], |f| f.steps.as_slice());
    let at = steps.iter().position(|s| s.range == op.range).unwrap_or(0);
    steps[..at].iter().filter_map(|s| match &s.change {
        Change::RunPython { reverse, .. } if s.db => Some(reverse.as_ref()),
        _ => None,
    })
}

/// Does `written` (`"Model"`, or `"app.Model"` as `apps.get_model` names it) name `model`?
pub(crate) fn names_model(written: &str, model: &str) -> bool {
    written
        .rsplit('.')
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case(model))
}

/// Earlier in the same migration the model's rows were deleted (`Model.objects.all().delete()`
/// in a `RunPython` function's own body), or its table was created (`CreateModel`), or, for a
/// `RemoveField`, its column was added (`AddField`), and nothing between that and `op` may have
/// written rows again: a `RemoveField` / `DeleteModel` there has nothing left to lose (pretix
/// 0044 empties `CachedTicket`, then removes its `order`; label-studio's squashed migrations
/// create models and remove some of their fields further down the same list). The Django side
/// of [`nothing_to_lose`].
pub(crate) fn django_emptied_before(m: &MigrationAST, op: &Operation) -> bool {
    use crate::scanner::django_facts::Change;
    let (Some(facts), Some(op_model)) = (m.django.as_deref(), &op.table) else {
        return false;
    };
    let Some(at) = facts.steps.iter().position(|s| s.range == op.range) else {
        return false;
    };
    // The names the model and the field had at each earlier step (renames walked back).
    let mut model = op_model.as_str();
    let mut field = op.column.as_deref();
    for s in facts.steps[..at].iter().rev().filter(|s| s.db) {
        // `apps.get_model("app", "Model")` names the model with its app label.
        let same = |written: &str| names_model(written, model);
        match &s.change {
            Change::RunPython { forward, .. } if forward.emptied.iter().any(|e| same(e)) => {
                return true;
            }
            Change::CreateModel { name, .. } if same(name) => return true,
            Change::AddField { model: m, field: f }
                if same(m) && field.is_some_and(|c| f.name.eq_ignore_ascii_case(c)) =>
            {
                return true;
            }
            Change::RenameModel { old, new } if same(new) => model = old,
            Change::RenameField { model: m, old, new }
                if same(m) && field.is_some_and(|c| new.eq_ignore_ascii_case(c)) =>
            {
                field = Some(old);
            }
            // May write the model's rows again.
            Change::RunPython { forward, .. }
                if forward.unattributed || forward.written_models().any(same) =>
            {
                return false;
            }
            Change::RunSql { .. } | Change::Custom { .. } | Change::Unknown { .. } => {
                return false;
            }
            _ => {}
        }
    }
    false
}

/// `reverse_code=` / `reverse_sql=` given, and not `None`.
pub(crate) fn has_reverse(op: &Operation, kwarg: &str) -> bool {
    op.kwarg_value(kwarg).is_some_and(|v| *v != Value::None)
}

/// A migration of a test-suite app: `<test|tests>/<app>/migrations/<file>.py`, e.g.
/// `wagtail/test/testapp/migrations/`. Its tables hold fixtures, not data anyone keeps.
pub(crate) fn test_app(m: &MigrationAST) -> bool {
    let path = std::path::Path::new(&m.path);
    fn name(p: Option<&std::path::Path>) -> Option<&str> {
        p.and_then(std::path::Path::file_name)
            .and_then(std::ffi::OsStr::to_str)
    }
    let migrations = path.parent();
    let app = migrations.and_then(std::path::Path::parent);
    let suite = app.and_then(std::path::Path::parent);
    name(migrations) == Some("migrations") && matches!(name(suite), Some("test" | "tests"))
}

/// Where `ops` create `table` (`op.create_table` or `CREATE TABLE`): the first such operation.
pub(crate) fn creation_of(ops: &[Operation], table: &str) -> Option<usize> {
    ops.iter().position(|o| {
        o.kind == OpKind::CreateTable && o.table.as_deref().is_some_and(|t| same_name(t, table))
    })
}

/// Does `downgrade()` bring `table` (or `table.column`) back, and so claim to restore what the
/// upgrade dropped: a `create_table` / `add_column` of it, or a statement whose effect is not
/// visible (a helper call, SQL that could not be read), which may well do it?
pub(crate) fn downgrade_recreates(down: &[Operation], table: &str, column: Option<&str>) -> bool {
    down.iter().any(|d| {
        let on_table = d.table.as_deref().is_some_and(|t| same_name(t, table));
        match d.kind {
            OpKind::Call => true,
            OpKind::Execute => d.sql_error.is_some(),
            OpKind::CreateTable => on_table,
            OpKind::AddColumn => {
                on_table
                    && column.is_some_and(|c| d.column.as_deref().is_some_and(|x| same_name(x, c)))
            }
            _ => false,
        }
    })
}

/// Does `downgrade()` re-derive `table.column` from other columns of the same rows that the
/// upgrade keeps (`UPDATE dag_run SET external_trigger = CASE WHEN run_type = 'manual' ...`,
/// airflow e00344393f31)? A constant fill reads nothing and is no restore.
pub(crate) fn rederived(up: &[Operation], down: &[Operation], table: &str, column: &str) -> bool {
    let dropped = |c: &str| {
        up.iter().any(|d| {
            d.kind == OpKind::DropColumn
                && d.table.as_deref().is_some_and(|t| same_name(t, table))
                && d.column.as_deref().is_some_and(|x| same_name(x, c))
        })
    };
    let from_kept = |reads: &[(String, String)]| {
        !reads.is_empty()
            && reads.iter().all(|(t, c)| {
                same_name(t, table) && c != "*" && !same_name(c, column) && !dropped(c)
            })
    };
    let re_added_with_default = re_added_with_default(down, table, column, |_| true);
    let split_case = |op: &Operation| {
        op.writes_column(table, column) && op.reads.is_empty() && from_kept(&op.filter_reads)
    };
    // A boolean re-added nullable, with TRUE and FALSE each set back by an UPDATE that picks
    // its rows by other columns: NULL, the fill, is the only value left, and it is the third
    // (`SET is_approved = TRUE WHERE status = 'approved'`, `... FALSE WHERE status =
    // 'declined'`, warehouse e1b0e2c4a1e6).
    let splits = down.iter().filter(|op| split_case(op)).count();
    let boolean_split = re_added_nullable_boolean(down, table, column) && splits >= 2;
    // Two or more UPDATEs set values picked by other columns, then the column is made NOT
    // NULL again: every row got a derived value, or the downgrade fails loudly on the one
    // that did not (`SET scope = 'user' WHERE private = TRUE`, `... 'workspace' WHERE private
    // = FALSE`, then `nullable=False`; zenml f1d723fd723b).
    let covered_split = splits >= 2
        && down.iter().enumerate().any(|(i, op)| {
            sets_not_null(op)
                && op.table.as_deref().is_some_and(|t| same_name(t, table))
                && op.column.as_deref().is_some_and(|c| same_name(c, column))
                && down[..i].iter().filter(|u| split_case(u)).count() >= 2
        });
    down.iter().enumerate().any(|(i, op)| {
        op.writes_column(table, column)
            && (from_kept(&op.reads)
                // Rows read in Python, then written back one by one (`SELECT id, capabilities`,
                // `UPDATE ... WHERE id = :id SET type = 'STORAGE'`, prefect 33439667aeea): the
                // value follows the row's data; a fill of every row (no WHERE) does not, nor
                // a write to the one row a `.scalar()` read picked.
                || op.reads.is_empty()
                    && op.has_where
                    && down[..i]
                        .iter()
                        .any(|r| r.kind == OpKind::Read && !r.one_row && from_kept(&r.reads))
                // A CASE split into statements: the column comes back with a server default
                // and each UPDATE sets a value on the rows its WHERE picks by other columns
                // (`SET access = :speakers WHERE speakers_can_access`, indico e47fc6634291).
                || split_case(op) && (re_added_with_default || boolean_split || covered_split))
    })
}

/// Does `downgrade()` add `table.column` back as a nullable boolean without a server default?
fn re_added_nullable_boolean(down: &[Operation], table: &str, column: &str) -> bool {
    re_added(down, table, column, |c| {
        c.server_default.is_none() && c.nullable != Some(false) && is_boolean(c)
    })
}

/// Is the column declared `Boolean` / `BOOLEAN`?
pub(crate) fn is_boolean(spec: &crate::scanner::model::ColumnSpec) -> bool {
    matches!(&spec.type_, Some(Value::Call { name, .. } | Value::Name(name)) if name.eq_ignore_ascii_case("Boolean"))
}

/// Does `downgrade()` put data back into `table.column`: written from data (a copy back, a
/// re-join, a re-derivation), directly or into a column it then renames to `column`?
pub(crate) fn restores_column(down: &[Operation], table: &str, column: &str) -> bool {
    down.iter().enumerate().any(|(i, op)| {
        if op.writes_column(table, column) && writes_data(down, i) {
            return true;
        }
        op.kind == OpKind::RenameColumn
            && op.table.as_deref().is_some_and(|t| same_name(t, table))
            && op.new_name.as_deref().is_some_and(|n| same_name(n, column))
            && op.column.as_deref().is_some_and(|tmp| {
                (0..i).any(|j| down[j].writes_column(table, tmp) && writes_data(down, j))
            })
    })
}

/// Does `downgrade()` fill `table` again from data (`INSERT INTO t SELECT ...`, rows read
/// and inserted in Python), or rename a table it filled so to `table`?
pub(crate) fn restores_table(down: &[Operation], table: &str) -> bool {
    down.iter().enumerate().any(|(i, op)| {
        let into = |t: &str| {
            (0..i).any(|j| {
                down[j].table.as_deref().is_some_and(|x| same_name(x, t))
                    && !down[j].writes.is_empty()
                    && writes_data(down, j)
            })
        };
        (op.table.as_deref().is_some_and(|t| same_name(t, table))
            && !op.writes.is_empty()
            && writes_data(down, i))
            || op.kind == OpKind::RenameTable
                && op.new_name.as_deref().is_some_and(|n| same_name(n, table))
                && op.table.as_deref().is_some_and(into)
    })
}

/// A read (`SELECT`, a Core `select`) of `table` that nothing restricts: every row.
pub(crate) fn reads_every_row(o: &Operation, table: &str) -> bool {
    o.kind == OpKind::Read && !o.has_where && o.reads.iter().any(|(src, _)| same_name(src, table))
}

/// Is `table` rebuilt in place through Python: every row read first (nothing restricts them), the table
/// dropped at `at`, created again under its name, and rows built from values the statement
/// does not read itself inserted into it (pgadmin4 ac2c2e27dc2d fetches the macros, drops and
/// recreates `macros`, and `bulk_insert`s them back)?
pub(crate) fn table_rebuilt_in_place(ops: &[Operation], at: usize, table: &str) -> bool {
    let on = |o: &Operation| o.table.as_deref().is_some_and(|t| same_name(t, table));
    let read = ops[..at]
        .iter()
        .any(|o| reads_every_row(o, table) && !o.one_row);
    let Some(created) = ops[at + 1..]
        .iter()
        .position(|o| o.kind == OpKind::CreateTable && on(o))
    else {
        return false;
    };
    read && ops[at + 1 + created + 1..].iter().any(|o| {
        on(o)
            && matches!(o.kind, OpKind::Insert | OpKind::BulkInsert)
            && !o.literal_rows
            && o.reads.is_empty()
            && !o.guarded
    })
}

/// Does a later statement of the upgrade rename a table it filled from `table` to `table`
/// (the table rebuild: create `t_new`, copy, drop `t`, rename `t_new` to `t`)? The copy may go
/// through Python: rows of `table` read first, then written into `t_new` from values the
/// statement does not read itself (open-webui 374d2f66af06 fetches the prompts and inserts
/// each into `prompt_new`).
pub(crate) fn table_swapped_in(ops: &[Operation], at: usize, table: &str) -> bool {
    let reads_table = |o: &Operation| o.reads.iter().any(|(src, _)| same_name(src, table));
    ops.iter().skip(at + 1).any(|r| {
        r.kind == OpKind::RenameTable
            && r.new_name.as_deref().is_some_and(|n| same_name(n, table))
            && r.table.as_deref().is_some_and(|tmp| {
                ops[..at].iter().enumerate().any(|(i, w)| {
                    w.table.as_deref().is_some_and(|t| same_name(t, tmp))
                        && !w.writes.is_empty()
                        && (reads_table(w)
                            || w.reads.is_empty()
                                && ops[..i]
                                    .iter()
                                    .any(|o| o.kind == OpKind::Read && reads_table(o)))
                })
            })
    })
}
