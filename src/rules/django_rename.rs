use crate::diagnostic::Diagnostic;
use crate::scanner::django_state::{Change, Opt, Seen};
use crate::scanner::model::{MigrationAST, OpKind};

use super::{DjangoStep, GraphFindings, Rule};

declare_rule! {
    /// ## What it does
    /// Flags Django `RenameModel` and `RenameField` operations.
    ///
    /// ## Why is this bad?
    /// During a rolling deploy the previous release is still running and uses the old table or
    /// column name; it fails until every instance is replaced. After a rollback the reverse
    /// rename has the same effect on the new release.
    ///
    /// ## Example
    /// ```python
    /// migrations.RenameField(model_name="post", old_name="body", new_name="content")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # Add the new field, write both, backfill, switch reads, then remove the old field.
    /// ```
    ///
    /// Not reported on a model the replayed migrations show has no table (`managed = False`, a
    /// proxy) or whose options they cannot read, nor on a model with an explicit `db_table`
    /// (`RenameModel`) or a field with an explicit `db_column` (`RenameField`): the database
    /// name stays, no table or column is renamed.
    pub struct DjangoRename;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    for op in m.upgrade_ops() {
        let what = match op.kind {
            OpKind::RenameField => format!("RenameField renames {} to {}", op.target(), super::q(op.new_name.as_ref())),
            OpKind::RenameModel => format!("RenameModel renames {} to {}", super::q(op.table.as_ref()), super::q(op.new_name.as_ref())),
            _ => continue,
        };
        out.push(
            Diagnostic::new(Rule::DjangoRename, format!("{what}: code still using the old name breaks during the deploy"), op.range)
                .with_fix("expand and contract: add the new name, migrate, then remove the old one in a later release"),
        );
    }
}

/// A rename on a model without a table (or one the state cannot tell) renames nothing.
pub(crate) fn check_state(s: &DjangoStep<'_>, out: &mut GraphFindings) {
    let (model, field) = match &s.step.change {
        Change::RenameField { model, old, .. } => (model, Some(old)),
        Change::RenameModel { old, .. } => (old, None),
        _ => return,
    };
    // An explicit `db_table` / `db_column` keeps the database name: only Python's changes.
    let same_name = match (s.state.model(s.app, model), field) {
        (Seen::Known(m), None) => matches!(m.db_table, Opt::Known(_)),
        (Seen::Known(m), Some(f)) => m
            .field(f)
            .is_some_and(|f| matches!(f.facts.db_column, Opt::Known(_))),
        _ => false,
    };
    if same_name || s.no_known_table(model) {
        out.cleared.push((s.node, Rule::DjangoRename, s.step.range));
    }
}
