//! What a fix changes, for people to review: a unified line diff, and the single smallest edit
//! turning one text into another (so "fix all" is one editor transaction, undone with one
//! Ctrl+Z, that keeps the cursor where nothing changed).
//!
//! The line diff is Myers' O(ND) algorithm over the lines between the common prefix and
//! suffix, written here rather than taken from a diff crate: fixes change a few lines of a
//! large text, and a generic diff library's instantiations cost more of the browser bundle
//! than the whole analysis engine.

/// How many differing lines the diff explores before it reports the rest as replaced.
const MAX_EDIT_DISTANCE: usize = 4_000;
const CONTEXT: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Same,
    Removed,
    Added,
}

/// A unified diff (`---`/`+++` headers, `@@` hunks, 3 lines of context); empty when equal.
pub fn unified(name: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    let ops = line_ops(&old, &new);
    // Positions in both texts at each op.
    let mut positions = Vec::with_capacity(ops.len());
    let (mut i, mut j) = (0, 0);
    for op in &ops {
        positions.push((i, j));
        match op {
            Op::Same => (i, j) = (i + 1, j + 1),
            Op::Removed => i += 1,
            Op::Added => j += 1,
        }
    }
    let mut out = format!("--- {name}\n+++ {name} (fixed)\n");
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k] != Op::Same).collect();
    let mut k = 0;
    while k < changed.len() {
        // A hunk: changes closer than twice the context share one.
        let start = changed[k].saturating_sub(CONTEXT);
        let mut last = changed[k];
        while k + 1 < changed.len() && changed[k + 1] <= last + 2 * CONTEXT {
            k += 1;
            last = changed[k];
        }
        let end = (last + CONTEXT + 1).min(ops.len());
        let count = |op: Op| {
            ops[start..end]
                .iter()
                .filter(|&&o| o == Op::Same || o == op)
                .count()
        };
        let (old_start, new_start) = positions[start];
        let (old_len, new_len) = (count(Op::Removed), count(Op::Added));
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range_header(old_start, old_len),
            range_header(new_start, new_len)
        ));
        for index in start..end {
            let (i, j) = positions[index];
            let (mark, line) = match ops[index] {
                Op::Same => (' ', old[i]),
                Op::Removed => ('-', old[i]),
                Op::Added => ('+', new[j]),
            };
            out.push(mark);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
        k += 1;
    }
    out
}

fn range_header(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

/// The line operations turning `old` into `new`, in order.
fn line_ops(old: &[&str], new: &[&str]) -> Vec<Op> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (a, b) = (
        &old[prefix..old.len() - suffix],
        &new[prefix..new.len() - suffix],
    );
    let mut ops = vec![Op::Same; prefix];
    ops.extend(myers(a, b));
    ops.extend(std::iter::repeat_n(Op::Same, suffix));
    ops
}

/// Myers' shortest edit script, backtracked through the saved frontiers.
fn myers(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (a.len() + b.len()).min(MAX_EDIT_DISTANCE) as isize;
    let offset = max + 1;
    let mut frontier = vec![0isize; 2 * offset as usize + 1];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut reached = false;
    'search: for d in 0..=max {
        trace.push(frontier.clone());
        for k in (-d..=d).step_by(2) {
            let index = (k + offset) as usize;
            let mut x = if k == -d || (k != d && frontier[index - 1] < frontier[index + 1]) {
                frontier[index + 1]
            } else {
                frontier[index - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            frontier[index] = x;
            if x >= n && y >= m {
                reached = true;
                break 'search;
            }
        }
    }
    if !reached {
        // Too different to explore: everything old goes, everything new comes.
        let mut ops = vec![Op::Removed; a.len()];
        ops.extend(std::iter::repeat_n(Op::Added, b.len()));
        return ops;
    }
    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    for (d, frontier) in trace.iter().enumerate().rev() {
        let d = d as isize;
        let k = x - y;
        let index = (k + offset) as usize;
        let previous_k = if k == -d || (k != d && frontier[index - 1] < frontier[index + 1]) {
            k + 1
        } else {
            k - 1
        };
        let previous_x = frontier[(previous_k + offset) as usize];
        let previous_y = previous_x - previous_k;
        while x > previous_x && y > previous_y {
            ops.push(Op::Same);
            x -= 1;
            y -= 1;
        }
        if d > 0 {
            ops.push(if x == previous_x {
                Op::Added
            } else {
                Op::Removed
            });
        }
        (x, y) = (previous_x, previous_y);
    }
    ops.reverse();
    ops
}

/// The byte range of `before` to replace, and its replacement, that turn `before` into
/// `after`: everything outside the common prefix and suffix.
pub fn smallest_edit(before: &str, after: &str) -> (std::ops::Range<usize>, String) {
    let prefix = before
        .char_indices()
        .zip(after.chars())
        .find(|((_, a), b)| a != b)
        .map_or(before.len().min(after.len()), |((index, _), _)| index);
    let max_suffix = (before.len() - prefix).min(after.len() - prefix);
    let suffix = before
        .bytes()
        .rev()
        .zip(after.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    let mut before_end = before.len() - suffix;
    let mut after_end = after.len() - suffix;
    while !before.is_char_boundary(before_end) || !after.is_char_boundary(after_end) {
        before_end += 1;
        after_end += 1;
    }
    (prefix..before_end, after[prefix..after_end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies a unified diff's hunks to `before` (test oracle: the diff must rebuild `after`).
    fn patch(before: &str, diff: &str) -> String {
        let old: Vec<&str> = before.split_inclusive('\n').collect();
        let mut out = String::new();
        let mut cursor = 0;
        for line in diff.lines().skip(2) {
            if let Some(header) = line.strip_prefix("@@ -") {
                let old_start: usize = header.split([',', ' ']).next().unwrap().parse().unwrap();
                let old_start = old_start.saturating_sub(1).max(cursor);
                while cursor < old_start {
                    out.push_str(old[cursor]);
                    cursor += 1;
                }
            } else if let Some(text) = line.strip_prefix(' ') {
                out.push_str(text);
                out.push('\n');
                cursor += 1;
            } else if line.starts_with('-') {
                cursor += 1;
            } else if let Some(text) = line.strip_prefix('+') {
                out.push_str(text);
                out.push('\n');
            }
        }
        while cursor < old.len() {
            out.push_str(old[cursor]);
            cursor += 1;
        }
        out
    }

    #[test]
    fn unified_diff_names_the_change() {
        let diff = unified("a.yaml", "x: 1\ny: 2\n", "x: 1\ny: 3\n");
        assert_eq!(
            diff,
            "--- a.yaml\n+++ a.yaml (fixed)\n@@ -1,2 +1,2 @@\n x: 1\n-y: 2\n+y: 3\n"
        );
        assert_eq!(unified("a", "same", "same"), "");
    }

    #[test]
    fn hunks_keep_three_lines_of_context_and_split_far_changes() {
        let before: String = (0..30).map(|i| format!("line {i}\n")).collect();
        let after = before
            .replace("line 2\n", "line two\n")
            .replace("line 25\n", "");
        let diff = unified("f", &before, &after);
        assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
        assert!(
            diff.contains("@@ -1,6 +1,6 @@\n line 0\n line 1\n-line 2\n+line two\n line 3\n"),
            "{diff}"
        );
        assert!(diff.contains("@@ -23,7 +23,6 @@\n"), "{diff}");
        assert_eq!(patch(&before, &diff), after);
    }

    #[test]
    fn diffs_rebuild_the_new_text() {
        let cases = [
            ("a\nb\nc\n", "a\nc\n"),
            ("a\nb\n", "b\na\n"),
            ("", "new\n"),
            ("old\n", ""),
            (
                "tls:\n- match:\n  - sniHosts: [a]\n  route: []\n",
                "http:\n- route: []\n",
            ),
            ("same\nx\nsame\ny\nsame\n", "same\ny\nsame\nx\nsame\n"),
        ];
        for (before, after) in cases {
            assert_eq!(
                patch(before, &unified("f", before, after)),
                after,
                "{before:?} → {after:?}"
            );
        }
    }

    #[test]
    fn random_edits_rebuild_the_new_text() {
        // A small deterministic generator: texts over a few distinct lines, so matches abound.
        let mut seed = 0x2545_f491_u64;
        let mut next = |bound: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % bound
        };
        for _ in 0..300 {
            let lines: Vec<u64> = (0..24).map(|_| next(5)).collect();
            let (len_a, len_b) = (next(12) as usize, next(12) as usize);
            let text =
                |lines: &[u64]| -> String { lines.iter().map(|l| format!("l{l}\n")).collect() };
            let (before, after) = (text(&lines[..len_a]), text(&lines[12..12 + len_b]));
            assert_eq!(
                patch(&before, &unified("f", &before, &after)),
                after,
                "{before:?} → {after:?}"
            );
        }
    }

    #[test]
    fn a_missing_final_newline_is_marked() {
        let diff = unified("f", "a\nb", "a\nc");
        assert!(
            diff.ends_with("-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"),
            "{diff}"
        );
    }

    #[test]
    fn smallest_edit_replaces_only_the_middle() {
        let cases = [
            ("mode: SIMPLE\n", "mode: PASSTHROUGH\n"),
            ("a: é1\n", "a: é2\n"),
            ("aaa", "aa"),
            ("", "new"),
            ("😀x😀", "😀y😀"),
            ("abab", "ab"),
        ];
        for (before, after) in cases {
            let (range, replacement) = smallest_edit(before, after);
            let mut rebuilt = before.to_string();
            rebuilt.replace_range(range.clone(), &replacement);
            assert_eq!(rebuilt, after, "{before:?} → {after:?}");
        }
        assert_eq!(
            smallest_edit("mode: SIMPLE\n", "mode: PASSTHROUGH\n").0,
            6..12
        );
    }
}
