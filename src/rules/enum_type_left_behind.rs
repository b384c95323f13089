use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;
use crate::scanner::model::{DialectHint, Dialects, OpKind, Operation};
use crate::scanner::state::Replay;

use super::{Rule, active_downgrade, runs_on, same_name};

declare_rule! {
    /// ## What it does
    /// Flags a `downgrade()` that drops a table whose creation made PostgreSQL create an enum
    /// type (a column typed `sa.Enum(..., name="kind")`), and leaves the type behind.
    ///
    /// Only chains that run on PostgreSQL are checked (a file that imports SQLAlchemy's
    /// PostgreSQL dialect, a `postgresql_*` argument, an `if dialect == "postgresql":`
    /// branch, a folder for it). A file that calls `.drop(...)` on anything or runs `DROP
    /// TYPE` is taken to drop its types, and a type created with `create_type=False` or
    /// `native_enum=False` is not one the table makes.
    ///
    /// ## Why is this bad?
    /// `op.create_table` creates the column's enum type on PostgreSQL, but `op.drop_table`
    /// drops the table only. The rollback passes and leaves the type; the next upgrade
    /// stops at the same `create_table` with "type ... already exists". A rollback that cannot
    /// be rolled forward again leaves the database stuck between the two releases (superset
    /// 6c7537a6004a's `emaildeliverytype` and `sliceemailreportformat`).
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.create_table("schedules", sa.Column("kind", sa.Enum("a", "b", name="schedulekind")))
    ///
    /// def downgrade():
    ///     op.drop_table("schedules")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.drop_table("schedules")
    ///     sa.Enum(name="schedulekind").drop(op.get_bind(), checkfirst=True)
    /// ```
    pub struct EnumTypeLeftBehind;
}

pub(crate) fn check(g: &Graph<'_>, _replay: &Replay, out: &mut Vec<(usize, Diagnostic)>) {
    let mut postgres = None;
    for (i, m) in g.migs.iter().enumerate() {
        let Some(down) = active_downgrade(m) else {
            continue;
        };
        if m.upgrade.as_ref().is_none_or(|f| f.may_drop_types) {
            continue;
        }
        // The enum types this upgrade's tables create, each with the first table that does.
        let mut created: Vec<(&str, &str)> = Vec::new();
        for op in m.upgrade_ops().iter().filter(|o| runs_surely(o, OpKind::CreateTable)) {
            let Some(table) = op.table.as_deref() else {
                continue;
            };
            for enum_type in op.columns.iter().filter_map(|c| c.pg_enum.as_deref()) {
                if !created.iter().any(|(e, _)| same_name(e, enum_type)) {
                    created.push((enum_type, table));
                }
            }
        }
        for (enum_type, table) in created {
            let Some(drop) = down.iter().find(|o| {
                runs_surely(o, OpKind::DropTable) && o.table.as_deref().is_some_and(|t| same_name(t, table))
            }) else {
                continue;
            };
            if down.iter().any(|o| names_type(o, enum_type)) {
                continue;
            }
            if !*postgres.get_or_insert_with(|| runs_on(g, DialectHint::Postgres)) {
                return;
            }
            out.push((
                i,
                Diagnostic::new(
                    Rule::EnumTypeLeftBehind,
                    format!(
                        "downgrade() of '{}' drops table '{table}' but not the enum type '{enum_type}' its upgrade created with it: on PostgreSQL the type stays, and upgrading again fails (type \"{enum_type}\" already exists)",
                        m.revision
                    ),
                    drop.range,
                )
                .with_fix(format!(
                    "drop the type after the table: sa.Enum(name=\"{enum_type}\").drop(op.get_bind(), checkfirst=True)"
                )),
            ));
        }
    }
}

/// An operation of `kind` that runs whenever the function does on PostgreSQL: not under a
/// condition other than "if the table is missing", not in a `try` that swallows its error.
fn runs_surely(op: &Operation, kind: OpKind) -> bool {
    op.kind == kind
        && (!op.conditional || op.if_exists)
        && op.swallowed.is_none()
        && !op.offline
        && op.dialects.meets(Dialects::POSTGRES)
}

/// Does `op` name the type: `DROP TYPE`, or any statement whose text holds its name?
fn names_type(op: &Operation, enum_type: &str) -> bool {
    (op.kind == OpKind::DropType && op.name.as_deref().is_some_and(|n| same_name(n, enum_type)))
        || op
            .sql
            .as_deref()
            .is_some_and(|s| s.to_ascii_lowercase().contains(&enum_type.to_ascii_lowercase()))
}
