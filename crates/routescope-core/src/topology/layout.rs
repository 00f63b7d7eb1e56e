//! A deterministic layered layout: one column per stage, nodes ordered within each column to
//! avoid edge crossings (barycentre sweeps, then swaps of neighbours while a swap removes
//! crossings), fixed-size boxes on a grid so none overlap.

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

/// Each node's neighbours in the column before and the column after.
struct Neighbours {
    before: Vec<Vec<usize>>,
    after: Vec<Vec<usize>>,
}

impl Neighbours {
    fn of(graph: &TrafficGraph) -> Neighbours {
        let mut before = vec![Vec::new(); graph.nodes.len()];
        let mut after = vec![Vec::new(); graph.nodes.len()];
        for edge in &graph.edges {
            after[edge.from].push(edge.to);
            before[edge.to].push(edge.from);
        }
        Neighbours { before, after }
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
fn reorder(column: &mut [usize], rank: &mut [usize], towards: &[Vec<usize>]) {
    // Keys scaled by the neighbour count keep the arithmetic in integers.
    let key = |node: usize, rank: &[usize]| -> (u64, usize) {
        let neighbours = &towards[node];
        let mean = if neighbours.is_empty() {
            rank[node] as u64 * 1024
        } else {
            neighbours
                .iter()
                .map(|&n| rank[n] as u64 * 1024)
                .sum::<u64>()
                / neighbours.len() as u64
        };
        (mean, rank[node])
    };
    let mut keyed: Vec<((u64, usize), usize)> =
        column.iter().map(|&node| (key(node, rank), node)).collect();
    keyed.sort();
    for (row, (_, node)) in keyed.into_iter().enumerate() {
        column[row] = node;
        rank[node] = row;
    }
}

/// Total crossings between every pair of neighbouring columns: for the edges between two
/// columns sorted by their left end, the crossings are the inversions of their right ends.
fn count(neighbours: &Neighbours, columns: &[Vec<usize>], rank: &[usize]) -> usize {
    let mut total = 0;
    for column in &columns[..columns.len() - 1] {
        let mut ends: Vec<(usize, usize)> = column
            .iter()
            .flat_map(|&node| {
                neighbours.after[node]
                    .iter()
                    .map(move |&next| (rank[node], rank[next]))
            })
            .collect();
        ends.sort_unstable();
        let rights: Vec<usize> = ends.into_iter().map(|(_, right)| right).collect();
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

/// Crossings between the edges of `upper` and those of `lower` (upper placed above lower) on
/// one side: pairs of their neighbours where the lower node's sits above the upper node's.
fn pair_crossings(upper: &[usize], lower: &[usize], rank: &[usize]) -> usize {
    if upper.len() * lower.len() <= 64 {
        return upper
            .iter()
            .map(|&u| lower.iter().filter(|&&l| rank[l] < rank[u]).count())
            .sum();
    }
    // Hubs: sort both sides' ranks and count with two cursors.
    let sorted = |nodes: &[usize]| {
        let mut ranks: Vec<usize> = nodes.iter().map(|&n| rank[n]).collect();
        ranks.sort_unstable();
        ranks
    };
    let (upper, lower) = (sorted(upper), sorted(lower));
    let mut below = 0;
    let mut total = 0;
    for u in upper {
        while below < lower.len() && lower[below] < u {
            below += 1;
        }
        total += below;
    }
    total
}

/// Swaps neighbouring nodes of a column while a swap lowers the crossings on both sides.
fn swap_neighbours(columns: &mut [Vec<usize>], rank: &mut [usize], neighbours: &Neighbours) {
    let cost = |upper: usize, lower: usize, rank: &[usize]| {
        pair_crossings(&neighbours.before[upper], &neighbours.before[lower], rank)
            + pair_crossings(&neighbours.after[upper], &neighbours.after[lower], rank)
    };
    // Each pass lowers the total or stops; hubs make late passes costly for little, so a few.
    for _ in 0..SWAP_PASSES {
        let mut improved = false;
        for column in columns.iter_mut() {
            for row in 0..column.len().saturating_sub(1) {
                let (upper, lower) = (column[row], column[row + 1]);
                if cost(lower, upper, rank) < cost(upper, lower, rank) {
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

    #[test]
    fn pair_crossings_agree_for_small_and_hub_nodes() {
        let rank: Vec<usize> = (0..40).map(|n| (n * 7) % 40).collect();
        let upper: Vec<usize> = (0..20).collect();
        let lower: Vec<usize> = (20..40).collect();
        let quadratic: usize = upper
            .iter()
            .map(|&u| lower.iter().filter(|&&l| rank[l] < rank[u]).count())
            .sum();
        assert_eq!(pair_crossings(&upper, &lower, &rank), quadratic);
        assert_eq!(pair_crossings(&upper[..3], &lower[..5], &rank), {
            let q: usize = upper[..3]
                .iter()
                .map(|&u| lower[..5].iter().filter(|&&l| rank[l] < rank[u]).count())
                .sum();
            q
        });
    }

    #[test]
    fn inversions_count_pairs_out_of_order() {
        assert_eq!(inversions(&[]), 0);
        assert_eq!(inversions(&[0, 1, 2]), 0);
        assert_eq!(inversions(&[2, 1, 0]), 3);
        assert_eq!(inversions(&[1, 0, 1, 0]), 3);
    }
}
