use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;
use crate::scanner::state::{Event, Replay};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Replays the revision chain into a symbolic schema and flags an operation that creates a
    /// table, column, index or constraint that already exists at that point, because an
    /// earlier revision created it and nothing dropped it since.
    ///
    /// Operations under an `if`, a `try` or `IF NOT EXISTS`, and objects the replay does not
    /// know for certain, are never reported.
    ///
    /// ## Why is this bad?
    /// The migration fails with "already exists" on every database that went through the
    /// earlier revision. Often the earlier revision's downgrade, or this one's, forgot to drop
    /// the object.
    ///
    /// ## Example
    /// ```python
    /// # revision 1
    /// def upgrade():
    ///     op.create_index("ix_users_email", "users", ["email"])
    ///
    /// # revision 2
    /// def upgrade():
    ///     op.create_index("ix_users_email", "users", ["email"], unique=True)
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # revision 2
    /// def upgrade():
    ///     op.drop_index("ix_users_email", table_name="users")
    ///     op.create_index("ix_users_email", "users", ["email"], unique=True)
    /// ```
    pub struct CreateExistingObject;
}

pub(crate) fn check(g: &Graph<'_>, replay: &Replay, out: &mut Vec<(usize, Diagnostic)>) {
    for (i, event) in replay.known_events() {
        let Event::Exists {
            phase,
            what,
            name,
            table,
            created_by,
            range,
        } = event
        else {
            continue;
        };
        // Only an ancestor's object certainly exists here (a sibling branch may not have run).
        let by = *created_by;
        if by != i && !g.ancestors(i).any(|a| a == by) {
            continue;
        }
        let function = match phase {
            crate::scanner::state::Phase::Upgrade => "upgrade()",
            crate::scanner::state::Phase::Downgrade => "downgrade()",
        };
        let place = table
            .as_ref()
            .filter(|_| !matches!(what, crate::scanner::state::What::Column))
            .map_or_else(String::new, |t| format!(" on table '{t}'"));
        let origin = if by == i {
            "this revision".to_string()
        } else {
            format!("revision '{}'", g.migs[by].revision)
        };
        out.push((
            i,
            Diagnostic::new(
                Rule::CreateExistingObject,
                format!(
                    "{function} creates {} '{name}'{place}, which already exists (created by {origin}): the migration fails",
                    what.as_str()
                ),
                *range,
            )
            .with_fix("drop the object first, or fix the revision that should have dropped it"),
        ));
    }
}
