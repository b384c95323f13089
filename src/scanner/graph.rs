//! The Alembic revision graph of one scanned directory. Everything here is iterative: a
//! 10,000-revision chain must not overflow the stack.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

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

/// One revision as a drawing of the graph sees it: its id, the ids its `down_revision` names,
/// and its file (which breaks ties in the order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphNode {
    pub revision: String,
    pub parents: Vec<String>,
    pub file: String,
}

/// Revisions in graph order, as indices into `nodes`: parents before children (Kahn's
/// algorithm), ties broken by file name, then the revisions of a cycle (never released) by
/// file name. Parent ids that name no node are ignored. The order `mrt report` and the
/// fixture's report draw.
#[must_use]
pub fn graph_order(nodes: &[GraphNode]) -> Vec<usize> {
    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        by_id.insert(node.revision.as_str(), i);
    }
    let mut children = vec![Vec::new(); nodes.len()];
    let mut waiting = vec![0usize; nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        for parent in &node.parents {
            if let Some(&p) = by_id.get(parent.as_str()) {
                children[p].push(i);
                waiting[i] += 1;
            }
        }
    }
    let file = |i: usize| nodes[i].file.as_str();
    let mut ready: BinaryHeap<Reverse<(&str, usize)>> = (0..nodes.len())
        .filter(|&i| waiting[i] == 0)
        .map(|i| Reverse((file(i), i)))
        .collect();
    let mut order = Vec::with_capacity(nodes.len());
    let mut placed = vec![false; nodes.len()];
    while let Some(Reverse((_, n))) = ready.pop() {
        order.push(n);
        placed[n] = true;
        for &c in &children[n] {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.push(Reverse((file(c), c)));
            }
        }
    }
    let mut rest: Vec<usize> = (0..nodes.len()).filter(|&i| !placed[i]).collect();
    rest.sort_by_key(|&i| (file(i), i));
    order.extend(rest);
    order
}

#[cfg(test)]
mod tests {
    use super::{GraphNode, graph_order};

    fn node(id: &str, parents: &[&str], file: &str) -> GraphNode {
        GraphNode {
            revision: id.to_string(),
            parents: parents.iter().map(ToString::to_string).collect(),
            file: file.to_string(),
        }
    }

    #[test]
    fn parents_come_first_ties_by_file_and_a_cycle_last() {
        let nodes = vec![
            node("merge", &["b", "c"], "a_merge.py"),
            node("c", &["base"], "c.py"),
            node("b", &["base"], "b.py"),
            node("base", &["gone"], "z_base.py"),
            node("x", &["y"], "x.py"),
            node("y", &["x"], "w.py"),
        ];
        let ids: Vec<&str> = graph_order(&nodes)
            .into_iter()
            .map(|i| nodes[i].revision.as_str())
            .collect();
        assert_eq!(ids, ["base", "b", "c", "merge", "y", "x"]);
    }
}
