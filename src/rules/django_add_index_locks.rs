use crate::diagnostic::Diagnostic;
use crate::scanner::django_state::Change;
use crate::scanner::model::{same_opt, MigrationAST, OpKind};
use crate::scanner::model::DialectHint;

use super::{DjangoStep, GraphFindings, Rule};

declare_rule! {
    /// ## What it does
    /// Flags Django `AddIndex` on an existing model (PostgreSQL builds it with a write lock), and
    /// `AddIndexConcurrently` in a migration that does not set `atomic = False` (PostgreSQL
    /// refuses `CREATE INDEX CONCURRENTLY` inside a transaction).
    ///
    /// ## Why is this bad?
    /// The first blocks writes to the table for the whole build; the second fails outright.
    ///
    /// ## Example
    /// ```python
    /// class Migration(migrations.Migration):
    ///     operations = [migrations.AddIndex("post", models.Index(fields=["title"], name="post_title_idx"))]
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// from django.contrib.postgres.operations import AddIndexConcurrently
    ///
    /// class Migration(migrations.Migration):
    ///     atomic = False
    ///     operations = [AddIndexConcurrently("post", models.Index(fields=["title"], name="post_title_idx"))]
    /// ```
    ///
    /// Not reported on a model the replayed migrations show has no table (`managed = False`, a
    /// proxy) or whose options they cannot read: no index is built.
    pub struct DjangoAddIndexLocks;
}

pub(crate) fn check(m: &MigrationAST, out: &mut Vec<Diagnostic>) {
    if matches!(m.dialect, DialectHint::MySql | DialectHint::Sqlite) {
        return;
    }
    let ops = m.upgrade_ops();
    for op in ops {
        let created = ops.iter().any(|c| c.kind == OpKind::CreateModel && same_opt(c.table.as_ref(), op.table.as_ref()));
        let message = match op.kind {
            OpKind::AddIndex if !created => format!(
                "AddIndex {} on existing model {}: PostgreSQL blocks writes while the index builds",
                super::q(op.name.as_ref()),
                super::q(op.table.as_ref())
            ),
            OpKind::AddIndexConcurrently if m.atomic => {
                "AddIndexConcurrently in a migration without atomic = False: PostgreSQL refuses CREATE INDEX CONCURRENTLY in a transaction".to_string()
            }
            _ => continue,
        };
        out.push(
            Diagnostic::new(Rule::DjangoAddIndexLocks, message, op.range)
                .with_fix("use AddIndexConcurrently in a migration with atomic = False"),
        );
    }
}

/// An index on a model without a table (or one the state cannot tell) builds nothing.
pub(crate) fn check_state(s: &DjangoStep<'_>, out: &mut GraphFindings) {
    if let Change::Index { model } = &s.step.change
        && s.no_known_table(model)
    {
        out.cleared.push((s.node, Rule::DjangoAddIndexLocks, s.step.range));
    }
}
