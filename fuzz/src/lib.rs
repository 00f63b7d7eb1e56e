//! The mutator of the structure-aware fuzz targets: token- and line-level edits of Istio and
//! Kubernetes Gateway API YAML
//! that keep inputs close enough to real resources for the checks, not only the parser, to
//! run on them. What the targets assert lives in `routescope_core::soundness`, shared with
//! the regression tests.

use routescope_core::synthetic::SplitMix;

/// Words the mutator puts in place of a word of the input: the keys and values the checks
/// read, values of the wrong kind, and YAML's own punctuation.
const VOCABULARY: &[&str] = &[
    // Keys.
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "spec",
    "selector",
    "servers",
    "port",
    "number",
    "protocol",
    "hosts",
    "tls",
    "mode",
    "credentialName",
    "httpsRedirect",
    "gateways",
    "http",
    "route",
    "destination",
    "host",
    "subset",
    "subsets",
    "labels",
    "trafficPolicy",
    "portLevelSettings",
    "match",
    "sniHosts",
    "uri",
    "prefix",
    "weight",
    "mtls",
    "ports",
    "targetPort",
    "resolution",
    "location",
    "items",
    "caCertificates",
    "retries",
    "fault",
    "exportTo",
    "appProtocol",
    "tcp",
    // Gateway API keys.
    "gatewayClassName",
    "controllerName",
    "listeners",
    "hostname",
    "hostnames",
    "allowedRoutes",
    "namespaces",
    "from",
    "to",
    "kinds",
    "certificateRefs",
    "parentRefs",
    "parentRef",
    "sectionName",
    "backendRefs",
    "rules",
    "matches",
    "path",
    "type",
    "value",
    "filters",
    "group",
    "targetRefs",
    "validation",
    // Values.
    "Gateway",
    "VirtualService",
    "DestinationRule",
    "ServiceEntry",
    "PeerAuthentication",
    "Service",
    "List",
    "GatewayClass",
    "ListenerSet",
    "HTTPRoute",
    "GRPCRoute",
    "TLSRoute",
    "TCPRoute",
    "ReferenceGrant",
    "BackendTLSPolicy",
    "Namespace",
    "Secret",
    "gateway.networking.k8s.io/v1",
    "gateway.networking.k8s.io/v1beta1",
    "gateway.networking.k8s.io/v1alpha2",
    "gateway.networking.k8s.io",
    "istio",
    "Terminate",
    "Passthrough",
    "All",
    "Same",
    "Selector",
    "PathPrefix",
    "Exact",
    "RequestRedirect",
    "networking.istio.io/v1",
    "networking.istio.io/v1alpha3",
    "networking.istio.io/v1beta1",
    "security.istio.io/v1beta1",
    "v1",
    "v2",
    "SIMPLE",
    "MUTUAL",
    "ISTIO_MUTUAL",
    "PASSTHROUGH",
    "AUTO_PASSTHROUGH",
    "OPTIONAL_MUTUAL",
    "DISABLE",
    "STRICT",
    "PERMISSIVE",
    "UNSET",
    "HTTP",
    "HTTPS",
    "TLS",
    "TCP",
    "GRPC",
    "HTTP2",
    "http-web",
    "https-web",
    "80",
    "443",
    "8080",
    "0",
    "-1",
    "65536",
    "99999999999999999999",
    "1.5",
    "*",
    "\"*\"",
    "*.example.com",
    "example.com",
    "mesh",
    "istio-system",
    "default",
    "istio-system/gateway",
    "./gw",
    "true",
    "false",
    "null",
    "~",
    "\"\"",
    "''",
    "MESH_EXTERNAL",
    "DNS",
    "café",
    "☕",
    "日本",
    // YAML structure.
    "{}",
    "[]",
    "{a: 1}",
    "[x, y]",
    "- ",
    "---",
    "...",
    "#",
    "'",
    "\"",
    "|",
    ">",
    "&a",
    "*a",
    "<<",
    "!!str",
    "? ",
    ": ",
    ",",
];

/// One word of `items`, drawn by `rng`.
fn pick<'a>(rng: &mut SplitMix, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len())]
}

/// Byte ranges of the words of `text`: runs of letters, digits and `_.-/*`, which covers keys,
/// enum values, host names and numbers.
fn words(text: &str) -> Vec<std::ops::Range<usize>> {
    let is_word = |c: char| c.is_alphanumeric() || "_.-/*".contains(c);
    let mut words = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices() {
        match (is_word(c), start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                words.push(from..at);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        words.push(from..text.len());
    }
    words
}

/// Byte ranges of the lines of `text`, each with its line break.
fn lines(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (at, _) in text.match_indices('\n') {
        lines.push(start..at + 1);
        start = at + 1;
    }
    if start < text.len() {
        lines.push(start..text.len());
    }
    lines
}

/// One token- or line-level edit of `text`: a word replaced (by a word of the vocabulary, by
/// another word of the text, or quoted), a line deleted, copied, moved or re-indented, a new
/// `key: value` line, or the line endings switched between LF and CRLF.
fn mutate_once(text: &str, rng: &mut SplitMix) -> String {
    let words = words(text);
    let lines = lines(text);
    let mut out = String::with_capacity(text.len() + 32);
    let splice = |out: &mut String, range: std::ops::Range<usize>, with: &str| {
        out.push_str(&text[..range.start]);
        out.push_str(with);
        out.push_str(&text[range.end..]);
    };
    match rng.below(10) {
        0..=2 if !words.is_empty() => {
            let word = words[rng.below(words.len())].clone();
            splice(&mut out, word, pick(rng, VOCABULARY));
        }
        3 if !words.is_empty() => {
            let word = words[rng.below(words.len())].clone();
            let other = &text[words[rng.below(words.len())].clone()];
            splice(&mut out, word, other);
        }
        4 if !words.is_empty() => {
            let word = words[rng.below(words.len())].clone();
            let quote = if rng.below(2) == 0 { "\"" } else { "'" };
            let quoted = format!("{quote}{}{quote}", &text[word.clone()]);
            splice(&mut out, word, &quoted);
        }
        5 if !lines.is_empty() => {
            splice(&mut out, lines[rng.below(lines.len())].clone(), "");
        }
        6 if !lines.is_empty() => {
            let line = &text[lines[rng.below(lines.len())].clone()];
            let to = lines[rng.below(lines.len())].start;
            let line = if line.ends_with('\n') {
                line.to_string()
            } else {
                format!("{line}\n")
            };
            splice(&mut out, to..to, &line);
        }
        7 if !lines.is_empty() => {
            let line = lines[rng.below(lines.len())].clone();
            let indent =
                text[line.clone()].len() - text[line.clone()].trim_start_matches(' ').len();
            match rng.below(3) {
                0 => splice(&mut out, line.start..line.start, "  "),
                1 => splice(&mut out, line.start..line.start + indent.min(2), ""),
                _ => splice(&mut out, line.start..line.start, " "),
            }
        }
        8 if !lines.is_empty() => {
            let line = lines[rng.below(lines.len())].clone();
            let indent = &text[line.start
                ..line.start + text[line.clone()].len()
                    - text[line.clone()].trim_start_matches([' ', '-']).len()];
            let new = format!(
                "{}{}: {}\n",
                indent.replace('-', " "),
                pick(rng, VOCABULARY),
                pick(rng, VOCABULARY)
            );
            splice(&mut out, line.start..line.start, &new);
        }
        _ => {
            if text.contains("\r\n") {
                out = text.replace("\r\n", "\n");
            } else {
                out = text.replace('\n', "\r\n");
            }
        }
    }
    out
}

/// The custom mutator of the structure-aware targets: one to three token- or line-level
/// edits of the YAML in `data[..size]`, written back within `max_size`. One call in eight
/// hands over to libFuzzer's own byte-level mutator instead, so the raw syntax still varies.
pub fn mutate_yaml(data: &mut [u8], size: usize, max_size: usize, seed: u32) -> usize {
    // libFuzzer asks for the same mutation given the same seed.
    let mut rng = SplitMix::new(u64::from(seed));
    if rng.below(8) == 0 {
        return libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    }
    let mut text = String::from_utf8_lossy(&data[..size]).into_owned();
    for _ in 0..=rng.below(3) {
        text = mutate_once(&text, &mut rng);
    }
    let mut len = text.len().min(max_size).min(data.len());
    while !text.is_char_boundary(len) {
        len -= 1;
    }
    data[..len].copy_from_slice(&text.as_bytes()[..len]);
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_keys_values_and_hosts() {
        let text = "kind: Gateway\n  - \"*.example.com\" # café\n";
        let found: Vec<&str> = words(text).into_iter().map(|w| &text[w]).collect();
        // A list marker is a word too: replacing it changes the structure.
        assert_eq!(found, ["kind", "Gateway", "-", "*.example.com", "café"]);
    }

    #[test]
    fn mutations_change_the_text_and_keep_it_utf8() {
        let seed =
            "apiVersion: networking.istio.io/v1\nkind: Gateway # café\nspec:\n  servers: []\n";
        let mut changed = 0;
        for seed_value in 0..200 {
            let mut rng = SplitMix::new(seed_value);
            let out = mutate_once(seed, &mut rng);
            changed += usize::from(out != seed);
        }
        assert!(
            changed > 150,
            "only {changed} of 200 mutations changed the text"
        );
    }
}
