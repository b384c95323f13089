//! The Alembic revision graph of one scanned directory. Everything here is iterative: a
//! 10,000-revision chain must not overflow the stack.

use std::collections::HashMap;

use super::model::MigrationAST;

pub struct Graph<'a> {
    /// The Alembic migrations of one directory that declare a revision id.
    pub migs: Vec<&'a MigrationAST>,
    /// Revision id → first migration declaring it.
    pub by_id: HashMap<&'a str, usize>,
    /// Resolved parents (ids that exist).
    pub parents: Vec<Vec<usize>>,
    pub children: Vec<Vec<usize>>,
}

impl<'a> Graph<'a> {
    #[must_use]
    pub fn new(migs: Vec<&'a MigrationAST>) -> Self {
        let mut by_id = HashMap::with_capacity(migs.len());
        for (i, m) in migs.iter().enumerate() {
            by_id.entry(m.revision.as_str()).or_insert(i);
        }
        let mut parents = vec![Vec::new(); migs.len()];
        let mut children = vec![Vec::new(); migs.len()];
        for (i, m) in migs.iter().enumerate() {
            for id in m.down_revision.ids() {
                if let Some(&p) = by_id.get(id) {
                    parents[i].push(p);
                    children[p].push(i);
                }
            }
        }
        Graph {
            migs,
            by_id,
            parents,
            children,
        }
    }

    /// Is this migration the one `by_id` resolves its id to (not a later duplicate)?
    #[must_use]
    pub fn is_canonical(&self, i: usize) -> bool {
        self.by_id.get(self.migs[i].revision.as_str()) == Some(&i)
    }

    /// Every ancestor of `start` (excluding it), each once, in breadth-first order.
    pub fn ancestors(&self, start: usize) -> impl Iterator<Item = usize> + '_ {
        let mut seen = vec![false; self.migs.len()];
        seen[start] = true;
        let mut queue: std::collections::VecDeque<usize> =
            self.parents[start].iter().copied().collect();
        std::iter::from_fn(move || {
            while let Some(n) = queue.pop_front() {
                if seen[n] {
                    continue;
                }
                seen[n] = true;
                queue.extend(self.parents[n].iter().copied());
                return Some(n);
            }
            None
        })
    }

    /// How many revisions descend from `start`.
    #[must_use]
    pub fn descendant_count(&self, start: usize) -> usize {
        let mut seen = vec![false; self.migs.len()];
        let mut stack = vec![start];
        let mut count = 0;
        while let Some(n) = stack.pop() {
            for &c in &self.children[n] {
                if !seen[c] {
                    seen[c] = true;
                    count += 1;
                    stack.push(c);
                }
            }
        }
        count
    }
}
