use crate::diagnostic::Diagnostic;
use crate::scanner::model::{Framework, MigrationAST};

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
    /// at least [`FORWARD_ONLY_HISTORY`] revisions, of which at most one in twenty has a
    /// `downgrade()` (OpenStack's neutron, ironic, octavia and keystone write none, by
    /// policy). There the revision is no exception to fix: rolling back means restoring a
    /// backup, for every revision alike.
    pub struct MissingDowngrade;
}

/// How many revisions a history needs before their missing downgrades read as a policy.
const FORWARD_ONLY_HISTORY: usize = 10;

/// MRT006's findings in a history that migrates forward only, to demote: (migration index,
/// range, what to add to the message). Empty when the history has downgrades.
pub(crate) fn forward_only(
    graph: &crate::scanner::graph::Graph<'_>,
) -> Vec<(usize, ruff_text_size::TextRange, String)> {
    let total = graph.migs.len();
    let with_downgrade = graph.migs.iter().filter(|m| m.downgrade.is_some()).count();
    if total < FORWARD_ONLY_HISTORY || with_downgrade * 20 > total {
        return Vec::new();
    }
    let some = if with_downgrade == 0 {
        format!("none of the {total} revisions of this history has one")
    } else {
        format!("only {with_downgrade} of the {total} revisions of this history have one")
    };
    let why = format!(
        "; but {some}: the project migrates forward only, so rolling back past any of them means restoring a backup"
    );
    graph
        .migs
        .iter()
        .enumerate()
        .filter(|(_, m)| m.downgrade.is_none())
        .filter_map(|(i, m)| Some((i, m.upgrade.as_ref()?.header, why.clone())))
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
