use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;
use crate::scanner::state::{Drift, Replay};

use super::Rule;
use crate::scanner::type_compare::{Change, compare, show};

declare_rule! {
    /// ## What it does
    /// Replays the revision chain into a symbolic schema and compares, for each revision, the
    /// schema before `upgrade()` with the schema after `upgrade()` then `downgrade()`. It
    /// flags what the round trip does not restore: a column left nullable that was NOT NULL,
    /// a column type not changed back, a server default not put back, an index recreated
    /// unique where it was not (or the other way round), and a table, column,
    /// index or constraint that the upgrade dropped and the downgrade does not recreate.
    ///
    /// Only objects the replay knows completely are compared; revisions with code it cannot
    /// read are skipped.
    ///
    /// ## Why is this bad?
    /// After a rollback the database claims to be at the earlier revision but its schema is
    /// not that revision's. The application of the previous release meets a different schema,
    /// and the next upgrade may fail or silently keep the drift.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.alter_column("users", "email", nullable=True)
    ///
    /// def downgrade():
    ///     op.alter_column("users", "email", type_=sa.String(255))
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.alter_column("users", "email", type_=sa.String(255), nullable=False)
    /// ```
    pub struct DowngradeSchemaDrift;
}

pub(crate) fn check(g: &Graph<'_>, replay: &Replay, out: &mut Vec<(usize, Diagnostic)>) {
    for &i in &replay.order {
        let facts = &replay.facts[i];
        if facts.opaque || facts.drift.is_empty() {
            continue;
        }
        let m = g.migs[i];
        let Some(down) = m.downgrade.as_ref() else {
            continue;
        };
        for d in &facts.drift {
            let what = match d {
                Drift::NotRecreated { what, name, table } => {
                    let place = match table {
                        Some(t) if !matches!(what, crate::scanner::state::What::Column) => {
                            format!(" on table '{t}'")
                        }
                        _ => String::new(),
                    };
                    format!(
                        "leaves no {} '{name}'{place}, which existed before the upgrade",
                        what.as_str()
                    )
                }
                Drift::NullableNotRestored { table, column, .. } => {
                    format!("leaves column '{table}.{column}' nullable; it was NOT NULL before the upgrade")
                }
                Drift::TypeNotRestored {
                    table,
                    column,
                    before,
                    after,
                } => {
                    if matches!(compare(Some(before), after), Change::Same | Change::Unknown) {
                        continue;
                    }
                    format!(
                        "leaves column '{table}.{column}' as {}; it was {} before the upgrade",
                        show(after),
                        show(before)
                    )
                }
                Drift::IndexUniqueness {
                    table,
                    name,
                    before,
                } => {
                    let (now, was) = if *before {
                        ("non-unique", "unique")
                    } else {
                        ("unique", "non-unique")
                    };
                    format!(
                        "recreates index '{name}' on table '{table}' as {now}; it was {was} before the upgrade"
                    )
                }
                Drift::Column {
                    table,
                    column,
                    attribute,
                    before,
                    after,
                } => format!(
                    "leaves the {attribute} of '{table}.{column}' as {after}; it was {before} before the upgrade"
                ),
            };
            out.push((
                i,
                Diagnostic::new(
                    Rule::DowngradeSchemaDrift,
                    format!("downgrade() of '{}' {what}", m.revision),
                    down.header,
                )
                .with_fix("make downgrade() restore the schema as it was before the upgrade"),
            ));
        }
    }
}
