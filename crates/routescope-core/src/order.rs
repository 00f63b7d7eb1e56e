//! Stable sorting through one shared routine.
//!
//! Each `sort`/`sort_by` on a new element type brings its own copy of the standard library's
//! sort into the playground, whose download has a budget. The sorts of records go through one
//! sort of indices instead: six copies fewer made the wasm 16 KB smaller (2.3 KB gzip). The
//! graph layout's hot sorts of plain integers keep `sort_unstable`.

use std::cmp::Ordering;

/// Sorts `items` stably by `compare`, like `slice::sort_by`.
pub fn sort_by<T>(items: &mut Vec<T>, mut compare: impl FnMut(&T, &T) -> Ordering) {
    let order = sorted_indices(items.len(), &mut |a, b| compare(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.into_iter().map(|index| {
        slots[index]
            .take()
            .expect("a permutation takes each item once")
    }));
}

/// Sorts `items` stably by their order, like `slice::sort`.
pub fn sort<T: Ord>(items: &mut Vec<T>) {
    sort_by(items, T::cmp);
}

/// Sorts `items` stably by `key`, like `slice::sort_by_key` (the key is computed per comparison).
pub fn sort_by_key<T, K: Ord>(items: &mut Vec<T>, mut key: impl FnMut(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// The one instantiation of the standard sort: indices `0..len` ordered by `compare`.
fn sorted_indices(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_like_the_standard_stable_sort(items in proptest::collection::vec((0u8..6, any::<u16>()), 0..200)) {
            // Equal keys (the first field) keep their input order, as in the standard sort.
            let mut expected = items.clone();
            expected.sort_by_key(|item| item.0);
            let mut sorted = items.clone();
            sort_by_key(&mut sorted, |item| item.0);
            prop_assert_eq!(&sorted, &expected);

            let mut expected = items.clone();
            expected.sort();
            let mut sorted = items;
            sort(&mut sorted);
            prop_assert_eq!(sorted, expected);
        }
    }
}
