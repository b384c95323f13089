use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Reports two revision files declaring the same `revision` id.
    ///
    /// ## Why is this bad?
    /// Alembic keeps only one of them: the other is silently never applied (or rolled back), and
    /// which one wins depends on file order.
    ///
    /// ## Example
    /// ```python
    /// # 012_add_index.py: revision = "a1b2c3"
    /// # 013_add_column.py: revision = "a1b2c3"  (copied file)
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # give the copy a fresh id (alembic revision generates one)
    /// ```
    pub struct DuplicateRevision;
}

pub(crate) fn check(g: &Graph<'_>, out: &mut Vec<(usize, Diagnostic)>) {
    for (i, m) in g.migs.iter().enumerate() {
        if !g.is_canonical(i) {
            let first = g.by_id[m.revision.as_str()];
            out.push((
                i,
                Diagnostic::new(
                    Rule::DuplicateRevision,
                    format!("revision id '{}' is also declared in {}", m.revision, g.migs[first].path),
                    m.revision_range,
                )
                .with_fix("give one of the files a new revision id"),
            ));
        }
    }
}
