use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;
use crate::scanner::state::{Event, Phase, Replay};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Replays the revision chain into a symbolic schema and flags a `downgrade()` that drops,
    /// alters or renames a table, column, index, constraint, view, type or sequence that does
    /// not exist at that point: no revision before it creates it, or the upgrade created it
    /// under another name.
    ///
    /// The rule only speaks about objects the replay knows for certain. Tables that exist
    /// before the chain starts (a base that alters instead of creating), objects created by
    /// code it cannot read (reflection, `metadata.create_all`, names built at run time) and
    /// operations under an `if`, a `try` or `IF EXISTS` are never reported.
    ///
    /// ## Why is this bad?
    /// The rollback aborts on that statement (PostgreSQL, MySQL and SQLite all refuse to drop
    /// what is not there), and the database is left half-way between two revisions.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.create_index("ix_sla_dag", "sla_miss", ["dag_id"])
    ///
    /// def downgrade():
    ///     op.drop_index("sm_dag", table_name="sla_miss")  # never created
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.drop_index("ix_sla_dag", table_name="sla_miss")
    /// ```
    pub struct DowngradeMissingObject;
}

pub(crate) fn check(g: &Graph<'_>, replay: &Replay, out: &mut Vec<(usize, Diagnostic)>) {
    for (i, event) in replay.known_events() {
        let Event::Missing {
            phase: Phase::Downgrade,
            verb,
            what,
            name,
            table,
            table_missing,
            upgrade_name,
            range,
        } = event
        else {
            continue;
        };
        let revision = &g.migs[i].revision;
        let what = what.as_str();
        let message = match (table, *table_missing) {
            (Some(t), true) => format!(
                "downgrade() of '{revision}' {verb} {what} '{name}' on table '{t}', but no table '{t}' exists at that point: the rollback fails"
            ),
            (Some(t), false) if what != "column" => {
                let why = upgrade_name.as_ref().map_or_else(String::new, |other| {
                    format!("; the upgrade created {what} '{other}' there")
                });
                format!(
                    "downgrade() of '{revision}' {verb} {what} '{name}' on table '{t}', which does not exist at that point{why}: the rollback fails"
                )
            }
            _ => format!(
                "downgrade() of '{revision}' {verb} {what} '{name}', which does not exist at that point: the rollback fails"
            ),
        };
        out.push((
            i,
            Diagnostic::new(Rule::DowngradeMissingObject, message, *range).with_fix(format!(
                "name the {what} the upgrade really created, or remove the statement"
            )),
        ));
    }
}
