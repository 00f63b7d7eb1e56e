//! Every limit on input, in one place. Each one refuses input with a diagnostic that names it,
//! in bounded time and memory, instead of freezing a browser tab or a CI job.

/// Total input size across all files (bytes). Larger input is refused before parsing.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// Nesting of mappings and sequences within one document. Real Istio resources, even with
/// `managedFields`, stay under 25 levels.
pub const MAX_DEPTH: usize = 64;

/// Nodes that alias expansion may copy within one document (an alias bomb grows exponentially).
pub const MAX_ALIAS_NODES: usize = 100_000;

/// Documents across all files.
pub const MAX_DOCUMENTS: usize = 100_000;
