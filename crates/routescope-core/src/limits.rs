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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::MeshSettings;
    use crate::share;
    use crate::source::Sources;

    /// The messages of the `yaml-syntax` errors of an analysis of `text`, which is how every
    /// input limit is reported.
    fn messages(text: &str) -> Vec<String> {
        crate::analyze(
            Sources::single("limits.yaml", text),
            MeshSettings::default(),
        )
        .diagnostics
        .into_iter()
        .filter(|d| d.check == crate::load::YAML_SYNTAX)
        .map(|d| d.message)
        .collect()
    }

    /// One input just past each limit, one just within it, and the message the first gives,
    /// as LIMITS.md quotes it.
    fn each_limit() -> Vec<(&'static str, String, String, String)> {
        let size = MAX_INPUT_BYTES + 1;
        let nested = |levels: usize| "[".repeat(levels) + &"]".repeat(levels);
        // Level k holds ten aliases to level k - 1, so expanding it copies 111…10 nodes
        // (k + 1 ones): four levels copy 12,330 nodes in all, five 123,440.
        let aliases = |levels: usize| {
            let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
            for level in 1..levels {
                let items = [format!("*a{}", level - 1).as_str(); 10].join(", ");
                text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
            }
            text
        };
        vec![
            (
                "input size",
                "#".repeat(size),
                "#".repeat(MAX_INPUT_BYTES),
                messages(&"#".repeat(size))
                    .concat()
                    .replace(&size.to_string(), "<size>"),
            ),
            (
                "documents",
                "---\n".repeat(MAX_DOCUMENTS + 1),
                "---\n".repeat(MAX_DOCUMENTS),
                String::new(),
            ),
            (
                "nesting",
                nested(MAX_DEPTH + 1),
                nested(MAX_DEPTH),
                String::new(),
            ),
            ("aliases", aliases(5), aliases(4), String::new()),
        ]
    }

    #[test]
    fn limits_md_quotes_each_limit_as_the_engine_gives_it() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../LIMITS.md");
        let doc = std::fs::read_to_string(path).expect("LIMITS.md at the repository's root");
        for (limit, over, within, message) in each_limit() {
            let over_messages = messages(&over);
            let message = if message.is_empty() {
                over_messages.concat()
            } else {
                message
            };
            assert_eq!(over_messages.len(), 1, "{limit}: {over_messages:?}");
            assert!(
                doc.contains(&format!("`{message}`")),
                "{limit}: LIMITS.md does not quote `{message}`"
            );
            assert_eq!(messages(&within), Vec::<String>::new(), "{limit}: within");
        }
        let huge = "a".repeat(MAX_INPUT_BYTES + 2048);
        let link = share::encode(&huge, &MeshSettings::default());
        let refused = share::decode(&link).unwrap_err().to_string();
        assert!(
            doc.contains(&format!("`{refused}`")),
            "share links: LIMITS.md does not quote `{refused}`"
        );
        let within = "a".repeat(MAX_INPUT_BYTES);
        assert!(share::decode(&share::encode(&within, &MeshSettings::default())).is_ok());
        for value in ["16,777,216", "100,000", "64 levels"] {
            assert!(doc.contains(value), "LIMITS.md lacks {value}");
        }
        assert_eq!(
            (MAX_INPUT_BYTES, MAX_DOCUMENTS, MAX_DEPTH, MAX_ALIAS_NODES),
            (16_777_216, 100_000, 64, 100_000),
            "a limit changed: update LIMITS.md (values and messages) with it"
        );
    }
}
