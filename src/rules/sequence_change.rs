use crate::diagnostic::Diagnostic;
use crate::scanner::model::{MigrationAST, OpKind};

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Flags `ALTER SEQUENCE` and `SELECT setval(...)` in `upgrade()`.
    ///
    /// ## Why is this bad?
    /// Sequences are not transactional and do not roll back: after a downgrade the sequence keeps
    /// its new position (gaps, or collisions if it was moved backwards).
    ///
    /// ## Example
    /// ```python
    /// op.execute("SELECT setval('users_id_seq', 1000)")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # Record the previous value and restore it explicitly in downgrade(), or leave the
    /// # sequence alone.
    /// ```
    pub struct SequenceChange;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for op in m.upgrade_ops() {
        let what = match op.kind {
            OpKind::AlterSequence => format!("alters sequence {}", super::q(op.name.as_ref())),
            OpKind::SetVal => "moves a sequence with setval()".to_string(),
            _ => continue,
        };
        out.push(
            Diagnostic::new(
                Rule::SequenceChange,
                format!("upgrade() {what}: sequences do not roll back"),
                op.range,
            )
            .with_fix("restore the previous sequence value explicitly in downgrade()"),
        );
    }
}
