//! A deterministic layered layout: one column per stage, nodes ordered within each column to
//! avoid edge crossings (barycentre sweeps, then swaps of neighbours while a swap removes
//! crossings), fixed-size boxes on a grid so none overlap.

use std::cmp::Ordering;

use super::{Stage, TrafficGraph};

pub const NODE_WIDTH: i32 = 200;
pub const NODE_HEIGHT: i32 = 44;
const COLUMN_GAP: i32 = 64;
const ROW_GAP: i32 = 14;
const MARGIN: i32 = 16;
/// Room above the first row for the column headings.
pub const HEADER: i32 = 34;
const SWEEPS: usize = 2;
const SWAP_PASSES: usize = 2;

/// Where a node's box sits (its top-left corner).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeBox {
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// By node index.
    pub boxes: Vec<NodeBox>,
    /// Node indexes of each stage's column, top to bottom.
    pub columns: Vec<Vec<usize>>,
    pub width: i32,
    pub height: i32,
}

impl Layout {
    /// The x of a stage's column.
    pub fn column_x(stage: Stage) -> i32 {
        MARGIN + stage.column() as i32 * (NODE_WIDTH + COLUMN_GAP)
    }
}

/// Lays out `graph`: the same graph always gets the same layout.
pub fn layout(graph: &TrafficGraph) -> Layout {
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); Stage::ALL.len()];
    for (index, node) in graph.nodes.iter().enumerate() {
        columns[node.stage.column()].push(index);
    }
    let neighbours = Neighbours::of(graph);
    let mut rank = ranks(graph.nodes.len(), &columns);
    let mut best = (count(&neighbours, &columns, &rank), columns.clone());
    for _ in 0..SWEEPS {
        for column in columns.iter_mut().skip(1) {
            reorder(column, &mut rank, &neighbours.before);
        }
        let last = columns.len() - 1;
        for column in columns[..last].iter_mut().rev() {
            reorder(column, &mut rank, &neighbours.after);
        }
        let crossings = count(&neighbours, &columns, &rank);
        if crossings < best.0 {
            best = (crossings, columns.clone());
        }
    }
    let mut columns = best.1;
    let mut rank = ranks(graph.nodes.len(), &columns);
    swap_neighbours(&mut columns, &mut rank, &neighbours);

    let mut boxes = vec![
        NodeBox {
            x: 0,
            y: 0,
            width: NODE_WIDTH,
            height: NODE_HEIGHT,
        };
        graph.nodes.len()
    ];
    let mut rows = 0;
    for (stage, column) in Stage::ALL.iter().zip(&columns) {
        rows = rows.max(column.len());
        for (row, &node) in column.iter().enumerate() {
            boxes[node].x = Layout::column_x(*stage);
            boxes[node].y = HEADER + row as i32 * (NODE_HEIGHT + ROW_GAP);
        }
    }
    Layout {
        boxes,
        columns,
        width: Layout::column_x(Stage::Upstream) + NODE_WIDTH + MARGIN,
        height: HEADER + rows.max(1) as i32 * (NODE_HEIGHT + ROW_GAP) + MARGIN,
    }
}

/// How many pairs of edges cross in `layout`.
pub fn crossings(graph: &TrafficGraph, layout: &Layout) -> usize {
    let neighbours = Neighbours::of(graph);
    let rank = ranks(graph.nodes.len(), &layout.columns);
    count(&neighbours, &layout.columns, &rank)
}

/// Each node's neighbours in the column before and the column after, as two adjacency lists
/// packed into flat arrays (one allocation each rather than one per node).
struct Neighbours {
    before: Adjacency,
    after: Adjacency,
}

impl Neighbours {
    fn of(graph: &TrafficGraph) -> Neighbours {
        let ends = || graph.edges.iter().map(|edge| (edge.from, edge.to));
        Neighbours {
            before: Adjacency::new(graph.nodes.len(), ends().map(|(from, to)| (to, from))),
            after: Adjacency::new(graph.nodes.len(), ends()),
        }
    }
}

/// Node `n`'s neighbours are `targets[starts[n]..starts[n + 1]]`, in edge order.
struct Adjacency {
    starts: Vec<usize>,
    targets: Vec<usize>,
}

impl Adjacency {
    fn new(nodes: usize, pairs: impl Iterator<Item = (usize, usize)> + Clone) -> Adjacency {
        let mut starts = vec![0; nodes + 1];
        for (node, _) in pairs.clone() {
            starts[node + 1] += 1;
        }
        for node in 0..nodes {
            starts[node + 1] += starts[node];
        }
        let mut filled = starts.clone();
        let mut targets = vec![0; starts[nodes]];
        for (node, target) in pairs {
            targets[filled[node]] = target;
            filled[node] += 1;
        }
        Adjacency { starts, targets }
    }

    fn of(&self, node: usize) -> &[usize] {
        &self.targets[self.starts[node]..self.starts[node + 1]]
    }
}

fn ranks(nodes: usize, columns: &[Vec<usize>]) -> Vec<usize> {
    let mut rank = vec![0; nodes];
    for column in columns {
        for (row, &node) in column.iter().enumerate() {
            rank[node] = row;
        }
    }
    rank
}

/// Orders a column by the mean rank of each node's neighbours in `towards` (nodes without any
/// keep their place); ties keep the current order.
fn reorder(column: &mut [usize], rank: &mut [usize], towards: &Adjacency) {
    // Keys scaled by the neighbour count keep the arithmetic in integers; the current row in
    // the low half breaks ties and, being unique, tells which node a sorted key belongs to.
    let mut keys: Vec<u128> = column
        .iter()
        .enumerate()
        .map(|(row, &node)| {
            let neighbours = towards.of(node);
            let mean = if neighbours.is_empty() {
                row as u64 * 1024
            } else {
                neighbours
                    .iter()
                    .map(|&n| rank[n] as u64 * 1024)
                    .sum::<u64>()
                    / neighbours.len() as u64
            };
            (u128::from(mean) << 64) | row as u128
        })
        .collect();
    keys.sort_unstable();
    let before = column.to_vec();
    for (row, key) in keys.into_iter().enumerate() {
        let node = before[key as u64 as usize];
        column[row] = node;
        rank[node] = row;
    }
}

/// Total crossings between every pair of neighbouring columns: for the edges between two
/// columns ordered by their left end (then right end), the crossings are the inversions of
/// their right ends.
fn count(neighbours: &Neighbours, columns: &[Vec<usize>], rank: &[usize]) -> usize {
    let mut rights = Vec::new();
    let mut total = 0;
    for column in &columns[..columns.len() - 1] {
        rights.clear();
        // A column lists its nodes by rank, so only each node's own ends need sorting.
        for &node in column {
            let first = rights.len();
            rights.extend(neighbours.after.of(node).iter().map(|&next| rank[next]));
            rights[first..].sort_unstable();
        }
        total += inversions(&rights);
    }
    total
}

/// Pairs `i < j` with `values[i] > values[j]`, by a Fenwick tree over the values.
fn inversions(values: &[usize]) -> usize {
    let size = values.iter().max().map_or(0, |&max| max + 1);
    let mut tree = vec![0usize; size + 1];
    let mut total = 0;
    for (seen, &value) in values.iter().enumerate() {
        // How many seen so far are <= value.
        let mut at_most = 0;
        let mut i = value + 1;
        while i > 0 {
            at_most += tree[i];
            i &= i - 1;
        }
        total += seen - at_most;
        let mut i = value + 1;
        while i <= size {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    }
    total
}

/// Crossings between the edges of `upper` and those of `lower` on one side, as they stand
/// (upper placed above lower) and if the two swapped places: pairs of their neighbours where
/// the lower node's sits above the upper node's, and where it sits below.
fn pair_crossings(upper: &[usize], lower: &[usize], rank: &[usize]) -> (usize, usize) {
    if upper.len() * lower.len() <= 64 {
        let (mut kept, mut swapped) = (0, 0);
        for &u in upper {
            for &l in lower {
                match rank[l].cmp(&rank[u]) {
                    Ordering::Less => kept += 1,
                    Ordering::Greater => swapped += 1,
                    Ordering::Equal => {}
                }
            }
        }
        return (kept, swapped);
    }
    // Hubs: sort both sides' ranks and count with two cursors.
    let sorted = |nodes: &[usize]| {
        let mut ranks: Vec<usize> = nodes.iter().map(|&n| rank[n]).collect();
        ranks.sort_unstable();
        ranks
    };
    let (upper, lower) = (sorted(upper), sorted(lower));
    // Cursors into `lower`: how many of its ranks are less than `u`, and at most `u`.
    let (mut less, mut at_most) = (0, 0);
    let (mut kept, mut shared) = (0, 0);
    for &u in &upper {
        while less < lower.len() && lower[less] < u {
            less += 1;
        }
        while at_most < lower.len() && lower[at_most] <= u {
            at_most += 1;
        }
        kept += less;
        shared += at_most - less;
    }
    (kept, upper.len() * lower.len() - kept - shared)
}

/// Swaps neighbouring nodes of a column while a swap lowers the crossings on both sides.
fn swap_neighbours(columns: &mut [Vec<usize>], rank: &mut [usize], neighbours: &Neighbours) {
    // Crossings on both sides as the pair stands, and if it swapped.
    let costs = |upper: usize, lower: usize, rank: &[usize]| {
        let (before, after) = (&neighbours.before, &neighbours.after);
        let (kept_before, swapped_before) =
            pair_crossings(before.of(upper), before.of(lower), rank);
        let (kept_after, swapped_after) = pair_crossings(after.of(upper), after.of(lower), rank);
        (kept_before + kept_after, swapped_before + swapped_after)
    };
    // Each pass lowers the total or stops; hubs make late passes costly for little, so a few.
    for _ in 0..SWAP_PASSES {
        let mut improved = false;
        for column in columns.iter_mut() {
            for row in 0..column.len().saturating_sub(1) {
                let (upper, lower) = (column[row], column[row + 1]);
                let (kept, swapped) = costs(upper, lower, rank);
                if swapped < kept {
                    column.swap(row, row + 1);
                    rank[upper] = row + 1;
                    rank[lower] = row;
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Crossings of `upper` above `lower`, pair by pair.
    fn quadratic(upper: &[usize], lower: &[usize], rank: &[usize]) -> usize {
        upper
            .iter()
            .map(|&u| lower.iter().filter(|&&l| rank[l] < rank[u]).count())
            .sum()
    }

    #[test]
    fn pair_crossings_agree_for_small_and_hub_nodes() {
        // Ranks with repeats, as neighbours shared by both nodes have.
        let rank: Vec<usize> = (0..40).map(|n| (n * 7) % 30).collect();
        for (upper, lower) in [
            (0..20, 20..40),
            (0..3, 20..25),
            (5..30, 10..14),
            (0..15, 5..20),
        ] {
            let upper: Vec<usize> = upper.collect();
            let lower: Vec<usize> = lower.collect();
            assert_eq!(
                pair_crossings(&upper, &lower, &rank),
                (
                    quadratic(&upper, &lower, &rank),
                    quadratic(&lower, &upper, &rank)
                ),
                "{upper:?} above {lower:?}"
            );
        }
    }

    #[test]
    fn inversions_count_pairs_out_of_order() {
        assert_eq!(inversions(&[]), 0);
        assert_eq!(inversions(&[0, 1, 2]), 0);
        assert_eq!(inversions(&[2, 1, 0]), 3);
        assert_eq!(inversions(&[1, 0, 1, 0]), 3);
    }
}
