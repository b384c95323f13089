use crate::diagnostic::Diagnostic;
use crate::scanner::graph::Graph;

use super::Rule;

declare_rule! {
    /// ## What it does
    /// Reports revisions whose `down_revision` chain leads back to themselves.
    ///
    /// ## Why is this bad?
    /// Alembic cannot order the revisions: every upgrade and downgrade fails.
    ///
    /// ## Example
    /// ```python
    /// # a.py: revision = "a"; down_revision = "b"
    /// # b.py: revision = "b"; down_revision = "a"
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// # b.py: down_revision = None  (or the revision b really follows)
    /// ```
    pub struct RevisionCycle;
}

pub(crate) fn check(g: &Graph<'_>, out: &mut Vec<(usize, Diagnostic)>) {
    // Iterative three-colour DFS over parent edges.
    let n = g.migs.len();
    let mut colour = vec![0u8; n];
    for start in 0..n {
        if colour[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        colour[start] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&p) = g.parents[node].get(*next) {
                *next += 1;
                match colour[p] {
                    0 => {
                        colour[p] = 1;
                        stack.push((p, 0));
                    }
                    1 => {
                        let pos = stack.iter().position(|&(x, _)| x == p).unwrap_or(0);
                        let path: Vec<&str> = stack[pos..]
                            .iter()
                            .map(|&(x, _)| g.migs[x].revision.as_str())
                            .chain(std::iter::once(g.migs[p].revision.as_str()))
                            .collect();
                        out.push((
                            node,
                            Diagnostic::new(
                                Rule::RevisionCycle,
                                format!("revision cycle: {}", path.join(" → ")),
                                g.migs[node].revision_range,
                            )
                            .with_fix("fix the down_revision that points forward in history"),
                        ));
                    }
                    _ => {}
                }
            } else {
                colour[node] = 2;
                stack.pop();
            }
        }
    }
}
