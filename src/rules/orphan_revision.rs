use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a second base revision (`down_revision = None`) without `branch_labels` in a
    /// directory whose history already starts elsewhere: usually a stray or half-deleted file.
    ///
    /// ## Why is this bad?
    /// It starts an unlabeled branch of its own: `alembic upgrade head` sees several heads, and
    /// the stray revision is applied (or rolled back) independently of the main history.
    ///
    /// ## Example
    /// ```python
    /// # 001_init.py:  revision = "001"; down_revision = None
    /// # 007_fix.py:   revision = "007"; down_revision = None   # should follow 006
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # 007_fix.py: down_revision = "006"
    /// ```
    pub struct OrphanRevision;
}

pub(crate) fn check(g: &Graph<'_>, out: &mut Vec<(usize, Diagnostic)>) {
    let bases: Vec<usize> = (0..g.migs.len())
        .filter(|&i| g.migs[i].down_revision.ids().is_empty() && g.is_canonical(i))
        .collect();
    let unlabeled: Vec<usize> = bases.iter().copied().filter(|&b| g.migs[b].branch_labels.is_empty()).collect();
    if bases.len() < 2 || unlabeled.is_empty() {
        return;
    }
    // The main history is the base with the most descendants; the other unlabeled bases are strays.
    let main = bases.iter().copied().max_by_key(|&b| (g.descendant_count(b), std::cmp::Reverse(b))).unwrap_or(bases[0]);
    for &b in unlabeled.iter().filter(|&&b| b != main) {
        out.push((
            b,
            Diagnostic::new(
                Rule::OrphanRevision,
                format!(
                    "revision '{}' is a second base (down_revision = None) without branch_labels; the history starts at '{}'",
                    g.migs[b].revision, g.migs[main].revision
                ),
                g.migs[b].revision_range,
            )
            .with_fix("set down_revision to the revision it follows, or give it branch_labels if it is a separate branch"),
        ));
    }
}
