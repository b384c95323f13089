use crate::diagnostic::Diagnostic;
use crate::scanner::model::{same_opt, MigrationAST, OpKind, Operation};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags views, triggers, types (enums), sequences and functions that `upgrade()` drops (in
    /// raw SQL) without recreating them, when `downgrade()` does not create them again either.
    ///
    /// ## Why is this bad?
    /// After a rollback the object is missing: application queries against the view fail,
    /// trigger-maintained data drifts, columns using the type cannot be restored.
    ///
    /// ## Example
    /// ```python
    /// def upgrade():
    ///     op.execute("DROP VIEW active_users")
    ///
    /// def downgrade():
    ///     pass
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def downgrade():
    ///     op.execute("CREATE VIEW active_users AS SELECT * FROM users WHERE active")
    /// ```
    ///
    /// Not reported for an enum swap: the old type renamed aside (`ALTER TYPE mood RENAME TO
    /// mood_old`) and dropped once a new one is created under its name, or renamed into it.
    pub struct DropObjectNotRecreated;
}

fn creator(kind: OpKind) -> Option<(OpKind, &'static str)> {
    Some(match kind {
        OpKind::DropView => (OpKind::CreateView, "view"),
        OpKind::DropTrigger => (OpKind::CreateTrigger, "trigger"),
        OpKind::DropType => (OpKind::CreateType, "type"),
        OpKind::DropSequence => (OpKind::CreateSequence, "sequence"),
        OpKind::DropFunction => (OpKind::CreateFunction, "function"),
        _ => return None,
    })
}

/// The name an object had before `ops` renamed it to `name` (types only: `ALTER TYPE ... RENAME
/// TO`).
fn renamed_from(ops: &[Operation], mut name: Option<String>) -> Option<String> {
    for r in ops.iter().rev().filter(|r| r.kind == OpKind::RenameType) {
        if same_opt(r.new_name.as_ref(), name.as_ref()) {
            name.clone_from(&r.name);
        }
    }
    name
}

/// The name `ops` rename an object called `name` to (types only).
pub(crate) fn renamed_to(ops: &[Operation], mut name: Option<String>) -> Option<String> {
    for r in ops.iter().filter(|r| r.kind == OpKind::RenameType) {
        if same_opt(r.name.as_ref(), name.as_ref()) {
            name.clone_from(&r.new_name);
        }
    }
    name
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let Some(down) = super::active_downgrade(m) else { return };
    if down.iter().any(|d| d.kind == OpKind::Execute && d.sql_error.is_some()) {
        return;
    }
    let up = m.upgrade_ops();
    for (i, op) in up.iter().enumerate() {
        if !super::known(op.name.as_ref()) {
            continue;
        }
        let Some((create, what)) = creator(op.kind) else { continue };
        // The name the object had before the upgrade: an enum swap renames the old type aside
        // (`ALTER TYPE mood RENAME TO mood_old`) before it drops it.
        let original = renamed_from(&up[..i], op.name.clone());
        // Dropped and recreated in the upgrade itself (a view rebuilt around a column change, a
        // type swapped for a new one created under its name or renamed into it).
        let rebuilt = up.iter().enumerate().any(|(j, u)| {
            u.kind == create && same_opt(renamed_to(&up[j + 1..], u.name.clone()).as_ref(), original.as_ref())
        });
        let recreated = down.iter().any(|d| d.kind == create && same_opt(d.name.as_ref(), original.as_ref()));
        if !rebuilt && !recreated {
            let name = op.name.as_deref().unwrap_or("?");
            out.push(
                Diagnostic::new(
                    Rule::DropObjectNotRecreated,
                    format!("upgrade() drops {what} '{name}' and downgrade() does not recreate it"),
                    op.range,
                )
                .with_fix(format!("recreate {what} '{name}' in downgrade() with its original definition")),
            );
        }
    }
}
