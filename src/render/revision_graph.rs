//! The revision graph `mrt report` draws: a row per revision in graph order, a lane (column)
//! for each, and an SVG path for every parent → child edge. A lane is taken by the edge that
//! runs down it to the child it waits for; the first child of a revision continues its lane,
//! the others branch out right below it into the first free lane, and an edge merges into its
//! child's lane right above the child. The report only writes these out.

use std::collections::HashMap;

use crate::scanner::graph::{GraphNode, graph_order};

/// Height of a row, in SVG units.
pub const ROW_HEIGHT: i64 = 28;
/// Width of a lane, in SVG units.
pub const LANE_WIDTH: i64 = 18;

/// Where one revision's dot goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dot {
    /// Index into the nodes given to [`layout`].
    pub node: usize,
    /// Centre of the dot.
    pub x: i64,
    pub y: i64,
}

/// The drawing of a revision graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// One dot per node, in graph order (parents first): the order of the rows.
    pub dots: Vec<Dot>,
    /// SVG path data (`d`) of each parent → child edge.
    pub edges: Vec<String>,
    /// Width of the lanes; the labels start right of it.
    pub width: i64,
    /// Height of the rows.
    pub height: i64,
}

fn lane_x(lane: usize) -> i64 {
    LANE_WIDTH * lane as i64 + LANE_WIDTH / 2 + 2
}

fn row_y(row: i64) -> i64 {
    ROW_HEIGHT * row + ROW_HEIGHT / 2
}

/// The first lane no edge runs down (a new one when every lane is taken).
fn free_lane(lanes: &mut Vec<Option<&str>>) -> usize {
    if let Some(free) = lanes.iter().position(Option::is_none) {
        return free;
    }
    lanes.push(None);
    lanes.len() - 1
}

/// Rows, lanes and edges of `nodes` (see the module). Revision ids are the keys: where two
/// nodes share one, the later row's lane is the one both are drawn in.
#[must_use]
pub fn layout(nodes: &[GraphNode]) -> Layout {
    let ordered: Vec<(usize, &GraphNode)> = graph_order(nodes)
        .into_iter()
        .map(|i| (i, &nodes[i]))
        .collect();
    let mut row: HashMap<&str, i64> = HashMap::new();
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for (r, (_, node)) in ordered.iter().enumerate() {
        row.insert(&node.revision, r as i64);
        children.entry(&node.revision).or_default();
    }
    for (_, node) in &ordered {
        for parent in &node.parents {
            if let Some(list) = children.get_mut(parent.as_str()) {
                list.push(&node.revision);
            }
        }
    }
    let (lane_of, edges, lanes) = assign_lanes(&ordered, &children);
    let paths = edges
        .iter()
        .map(|&(parent, child, via)| {
            edge_path(
                row[parent],
                row[child],
                lane_of[parent],
                via,
                lane_of[child],
            )
        })
        .collect();
    let dots = ordered
        .iter()
        .enumerate()
        .map(|(r, (i, node))| Dot {
            node: *i,
            x: lane_x(lane_of[node.revision.as_str()]),
            y: row_y(r as i64),
        })
        .collect();
    Layout {
        dots,
        edges: paths,
        width: LANE_WIDTH * lanes.max(1) as i64 + 4,
        height: ROW_HEIGHT * ordered.len().max(1) as i64,
    }
}

type Lanes<'a> = (
    HashMap<&'a str, usize>,
    Vec<(&'a str, &'a str, usize)>,
    usize,
);

/// Each revision's lane, each edge `(parent, child, lane it runs down)` in the order they were
/// first reserved, and how many lanes there are.
fn assign_lanes<'a>(
    ordered: &[(usize, &'a GraphNode)],
    children: &HashMap<&'a str, Vec<&'a str>>,
) -> Lanes<'a> {
    let mut lanes: Vec<Option<&str>> = Vec::new(); // lane → the revision it waits for
    let mut lane_of: HashMap<&str, usize> = HashMap::new();
    let mut edges: Vec<(&str, &str, usize)> = Vec::new();
    let mut edge_at: HashMap<(&str, &str), usize> = HashMap::new();
    for (_, node) in ordered {
        let revision = node.revision.as_str();
        let waiting: Vec<usize> = (0..lanes.len())
            .filter(|&l| lanes[l] == Some(revision))
            .collect();
        let lane = if let Some((&first, others)) = waiting.split_first() {
            for &other in others {
                lanes[other] = None;
            }
            first
        } else {
            free_lane(&mut lanes)
        };
        lane_of.insert(revision, lane);
        lanes[lane] = None;
        for (index, &child) in children[revision].iter().enumerate() {
            let target = if index == 0 {
                lane
            } else {
                free_lane(&mut lanes)
            };
            lanes[target] = Some(child);
            // A parent named twice reserves the edge again: the later lane is the one drawn.
            match edge_at.get(&(revision, child)) {
                Some(&at) => edges[at].2 = target,
                None => {
                    edge_at.insert((revision, child), edges.len());
                    edges.push((revision, child, target));
                }
            }
        }
    }
    let count = lanes.len();
    (lane_of, edges, count)
}

/// The path of one edge from row `r1` (lane `from`) down lane `via` to row `r2` (lane `to`):
/// it branches out right below the parent and merges in right above the child.
fn edge_path(r1: i64, r2: i64, from: usize, via: usize, to: usize) -> String {
    let (x1, xv, x2) = (lane_x(from), lane_x(via), lane_x(to));
    let half = ROW_HEIGHT / 2;
    let mut d = format!("M{x1} {}", row_y(r1));
    let mut start = row_y(r1);
    if xv != x1 {
        let bend = row_y(r1) + half;
        d += &format!(" C{x1} {bend} {xv} {bend} {xv} {}", row_y(r1 + 1));
        start = row_y(r1 + 1);
    }
    let end = if x2 == xv { row_y(r2) } else { row_y(r2 - 1) };
    if end > start {
        d += &format!(" L{xv} {end}");
    }
    if x2 != xv {
        let bend = end + half;
        d += &format!(" C{xv} {bend} {x2} {bend} {x2} {}", row_y(r2));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::{GraphNode, layout};

    fn node(id: &str, parents: &[&str]) -> GraphNode {
        GraphNode {
            revision: id.to_string(),
            parents: parents.iter().map(ToString::to_string).collect(),
            file: format!("{id}.py"),
        }
    }

    #[test]
    fn a_branch_takes_a_second_lane_and_merges_back() {
        let nodes = vec![
            node("a", &[]),
            node("b", &["a"]),
            node("c", &["a"]),
            node("d", &["b", "c"]),
        ];
        let drawn = layout(&nodes);
        let xs: Vec<(usize, i64, i64)> = drawn.dots.iter().map(|d| (d.node, d.x, d.y)).collect();
        assert_eq!(xs, [(0, 11, 14), (1, 11, 42), (2, 29, 70), (3, 11, 98)]);
        assert_eq!(
            drawn.edges,
            [
                "M11 14 L11 42",
                "M11 14 C11 28 29 28 29 42 L29 70",
                "M11 42 L11 98",
                "M29 70 C29 84 11 84 11 98",
            ]
        );
        assert_eq!((drawn.width, drawn.height), (40, 112));
    }

    #[test]
    fn nothing_to_draw_still_has_one_lane_and_one_row() {
        let drawn = layout(&[]);
        assert!(drawn.dots.is_empty() && drawn.edges.is_empty());
        assert_eq!((drawn.width, drawn.height), (22, 28));
    }
}
