use crate::diagnostic::Diagnostic;
use crate::scanner::model::{BodyKind, Framework, MigrationAST};

use super::Rule;

/// Rules whose findings say that a downgrade does not bring data back. In a revision whose
/// downgrade raises they are folded into this rule's finding (see [`with_losses`]).
pub(crate) const FOLDED: &[Rule] = &[
    Rule::DropColumn,
    Rule::DropTable,
    Rule::Truncate,
    Rule::DeleteWithoutWhere,
    Rule::AddMigrateDrop,
    Rule::BulkUpdateWithoutReverse,
];

/// The migration is an Alembic revision whose `downgrade()` raises by declaration.
pub(crate) fn irreversible(m: &MigrationAST) -> bool {
    m.framework == Framework::Alembic && m.downgrade.as_ref().is_some_and(|f| f.body == BodyKind::Raises)
}

/// What a folded finding says the upgrade does (`drops column roles.user_name`): its message
/// up to the first `": "` or `" and downgrade()"`, without the `upgrade() ` that starts it.
/// `None` for add-migrate-drop, whose dropped column drop-column already names.
pub(crate) fn loss_of(rule: Rule, message: &str) -> Option<&str> {
    if rule == Rule::AddMigrateDrop {
        return None;
    }
    let what = message.split_once(": ").map_or(message, |(what, _)| what);
    let what = what.split_once(" and downgrade()").map_or(what, |(what, _)| what);
    Some(what.strip_prefix("upgrade() ").unwrap_or(what))
}

/// This rule's message with the losses of the folded findings appended (at most six named).
pub(crate) fn with_losses(message: &str, losses: &[&str]) -> String {
    const NAMED: usize = 6;
    if losses.is_empty() {
        return message.to_string();
    }
    let mut named = losses[..losses.len().min(NAMED)].join("; ");
    if losses.len() > NAMED {
        named.push_str(&format!("; and {} more", losses.len() - NAMED));
    }
    format!("{message}; only a backup brings back what its upgrade destroys: it {named}")
}

declare_rule! {
    /// ## What it does
    /// Reports a `downgrade()` that raises (for example `raise NotImplementedError`) while
    /// `upgrade()` changes the database.
    ///
    /// ## Why is this bad?
    /// The revision is irreversible by declaration. That is honest, but every rollback across it
    /// fails, so it deserves a conscious decision (and a `skip` entry with the reason) rather
    /// than a surprise during an incident.
    ///
    /// What the upgrade destroys (a dropped column or table, a `TRUNCATE`, a `DELETE` or
    /// `UPDATE` of every row) is listed in this one finding rather than reported statement by
    /// statement: those rules say "a downgrade can only bring it back empty", and here no
    /// downgrade runs at all. Only a backup brings that data back.
    ///
    /// ## Example
    /// ```python
    /// def downgrade():
    ///     raise NotImplementedError("one-way data migration")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # conftest.py: document the decision where the rollback test can see it
    /// MRTConfig(skip={"abc123": "One-way data migration, see ADR-7"})
    /// ```
    pub struct DowngradeRaises;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    let (Some(up), Some(down)) = (&m.upgrade, &m.downgrade) else { return };
    if down.body == BodyKind::Raises && up.changes_something() {
        out.push(
            Diagnostic::new(
                Rule::DowngradeRaises,
                "downgrade() raises: this revision is irreversible by declaration and blocks every rollback across it",
                down.header,
            )
            .with_fix("implement the downgrade, or record the decision in MRTConfig.skip with the reason"),
        );
    }
}
