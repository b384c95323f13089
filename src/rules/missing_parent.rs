use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a `down_revision` (or `depends_on`) naming a revision id that no file in the
    /// directory declares.
    ///
    /// ## Why is this bad?
    /// Alembic cannot build the revision map: every command fails, or the revision becomes a
    /// detached fragment that is never applied or rolled back with the rest.
    ///
    /// ## Example
    /// ```python
    /// revision = "abc124"
    /// down_revision = "abc123"  # no such file (deleted, or a typo)
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// down_revision = "abc122"  # the revision this one really follows
    /// ```
    pub struct MissingParent;
}

pub(crate) fn check(g: &Graph<'_>, out: &mut Vec<(usize, Diagnostic)>) {
    for (i, m) in g.migs.iter().enumerate() {
        let labels = |id: &str| g.migs.iter().any(|o| o.branch_labels.iter().any(|l| l == id));
        for id in m.down_revision.ids() {
            if !g.by_id.contains_key(id) {
                out.push((
                    i,
                    Diagnostic::new(
                        Rule::MissingParent,
                        format!("down_revision of '{}' names '{id}', which no revision file declares", m.revision),
                        m.revision_range,
                    )
                    .with_fix("point down_revision at an existing revision (alembic history shows them)"),
                ));
            }
        }
        for id in &m.depends_on {
            if !g.by_id.contains_key(id.as_str()) && !labels(id) {
                out.push((
                    i,
                    Diagnostic::new(
                        Rule::MissingParent,
                        format!("depends_on of '{}' names '{id}', which is neither a revision nor a branch label here", m.revision),
                        m.revision_range,
                    ),
                ));
            }
        }
    }
}
