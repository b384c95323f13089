use crate::diagnostic::Diagnostic;
use crate::scanner::model::{BodyKind, Framework, MigrationAST};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags an Alembic revision that has an `upgrade()` changing the database but no
    /// `downgrade()` function at all.
    ///
    /// ## Why is this bad?
    /// The migration is completely irreversible: `alembic downgrade` fails at this revision and
    /// blocks every rollback below it.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.add_column("users", sa.Column("age", sa.Integer))
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.drop_column("users", "age")
    /// ```
    ///
    /// ## Severity
    /// An error. A warning, whose message says so, in a history that migrates forward only:
    /// at least five revisions, of which at most one in twenty has a `downgrade()` that does
    /// something (`pass` does not). Alembic's template writes one into every revision, so such
    /// a history removed them on purpose: OpenStack's neutron, ironic, octavia, keystone,
    /// nova and cinder write none, by policy. There the revision is no exception to fix:
    /// rolling back means restoring a backup, for every revision alike. A `downgrade()` that
    /// only says `pass` in such a history (MRT005) is the same policy written out, and a
    /// warning too.
    pub struct MissingDowngrade;
}

/// How many revisions a history needs before their missing downgrades read as a policy:
/// Alembic's template writes a `downgrade()` into every revision, so five in a row without one
/// were removed on purpose (cinder's eight revisions have none).
const FORWARD_ONLY_HISTORY: usize = 5;

/// The findings to demote in a history that migrates forward only: MRT006 on each revision
/// without a `downgrade()`, and MRT005 on each whose `downgrade()` only says `pass` (nova's
/// initial versions: the same policy, written out). (migration index, rule, range, what to
/// add to the message); empty when the history has downgrades.
pub(crate) fn forward_only(
    graph: &crate::scanner::graph::Graph<'_>,
) -> Vec<(usize, Rule, ruff_text_size::TextRange, String)> {
    let total = graph.migs.len();
    // A `downgrade()` that only says `pass` undoes nothing either (nova's initial versions).
    let with_downgrade = graph
        .migs
        .iter()
        .filter(|m| m.downgrade.as_ref().is_some_and(|d| d.body != BodyKind::Empty))
        .count();
    if total < FORWARD_ONLY_HISTORY || with_downgrade * 20 > total {
        return Vec::new();
    }
    let some = if with_downgrade == 0 {
        format!("none of the {total} revisions of this history has one that does something")
    } else {
        format!("only {with_downgrade} of the {total} revisions of this history have one that does something")
    };
    let why = format!(
        "; but {some}: the project migrates forward only, so rolling back past any of them means restoring a backup"
    );
    graph
        .migs
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match &m.downgrade {
            None => Some((i, Rule::MissingDowngrade, m.upgrade.as_ref()?.header, why.clone())),
            Some(d) if d.body == BodyKind::Empty => {
                Some((i, Rule::NoopDowngrade, d.header, why.clone()))
            }
            Some(_) => None,
        })
        .collect()
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    if m.framework != Framework::Alembic || m.downgrade.is_some() {
        return;
    }
    let Some(up) = &m.upgrade else { return };
    if !up.changes_something() {
        return;
    }
    let inverse = super::noop_downgrade::inverse_ops(m);
    let fix = if inverse.is_empty() {
        "add a downgrade() that undoes upgrade()".to_string()
    } else {
        format!("add def downgrade(): {}", inverse.join("; "))
    };
    out.push(
        Diagnostic::new(
            Rule::MissingDowngrade,
            "no downgrade() function: the migration cannot be rolled back",
            up.header,
        )
        .with_fix(fix),
    );
}
