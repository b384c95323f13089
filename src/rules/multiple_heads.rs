use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a revision directory with more than one head once merge revisions are taken into
    /// account (a merge's tuple `down_revision` joins its parents). Independent branches, each
    /// with its own `branch_labels` and its own base, are not reported; nor are branches that
    /// fork from a common revision when each head has a labelled revision of its own after
    /// the fork (neutron's `expand` and `contract` branches, run with `alembic upgrade
    /// heads`).
    ///
    /// ## Why is this bad?
    /// `alembic upgrade head` refuses to run ("Multiple head revisions are present"), and which
    /// branch a database followed becomes ambiguous, so rollbacks differ between environments.
    ///
    /// ## Example
    /// ```python
    /// # 010_a.py: down_revision = "009"
    /// # 010_b.py: down_revision = "009"
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # alembic merge -m "merge" 010a 010b  → down_revision = ("010a", "010b")
    /// ```
    pub struct MultipleHeads;
}

/// Does every head have a revision with `branch_labels` among itself and its ancestors that
/// no other head descends from (a named branch of its own)?
fn labelled_after_fork(g: &Graph<'_>, heads: &[usize]) -> bool {
    let lines: Vec<std::collections::HashSet<usize>> = heads
        .iter()
        .map(|&h| std::iter::once(h).chain(g.ancestors(h)).collect())
        .collect();
    lines.iter().enumerate().all(|(i, line)| {
        line.iter().any(|&a| {
            !g.migs[a].branch_labels.is_empty()
                && lines
                    .iter()
                    .enumerate()
                    .all(|(j, other)| j == i || !other.contains(&a))
        })
    })
}

pub(crate) fn check(g: &Graph<'_>, out: &mut Vec<(usize, Diagnostic)>) {
    let heads: Vec<usize> = (0..g.migs.len()).filter(|&i| g.children[i].is_empty() && g.is_canonical(i)).collect();
    if heads.len() < 2 {
        return;
    }
    // Independent labelled branches: every head descends from a distinct labelled base.
    let bases: Vec<Option<usize>> = heads
        .iter()
        .map(|&h| std::iter::once(h).chain(g.ancestors(h)).find(|&a| g.parents[a].is_empty() && !g.migs[a].branch_labels.is_empty()))
        .collect();
    let mut distinct: Vec<usize> = bases.iter().flatten().copied().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if bases.iter().all(Option::is_some) && distinct.len() == heads.len() {
        return;
    }
    if labelled_after_fork(g, &heads) {
        return;
    }
    let ids: Vec<&str> = heads.iter().map(|&h| g.migs[h].revision.as_str()).collect();
    for &h in &heads {
        out.push((
            h,
            Diagnostic::new(
                Rule::MultipleHeads,
                format!("{} heads ({}): 'alembic upgrade head' refuses to run", heads.len(), ids.join(", ")),
                g.migs[h].revision_range,
            )
            .with_fix(format!("alembic merge -m \"merge heads\" {}", ids.join(" "))),
        ));
    }
}
