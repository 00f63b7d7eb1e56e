//! The analyzer against 403 real configurations nobody on this project wrote, Istio's and the
//! Kubernetes Gateway API's (`../shared/corpus`, beside the checkout; see its README and
//! MANIFEST.tsv).

use std::collections::BTreeMap;
use std::path::PathBuf;

use routescope_core::diagnostic::{Diagnostic, Severity};
use routescope_core::settings::MeshSettings;
use routescope_core::source::Sources;
use routescope_core::{Analysis, analyze};

fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(
        dir.join("MANIFEST.tsv").is_file(),
        "the corpus must be at {} (shared/ beside the checkout)",
        dir.display()
    );
    dir
}

struct Row {
    file: String,
    expected: String,
    notes: String,
}

impl Row {
    /// The corpus folder the file is in (`istio-docs`, `gateway-api`, …).
    fn folder(&self) -> &str {
        self.file.split_once('/').map_or("", |(folder, _)| folder)
    }

    /// The checks that must flag the defects the manifest's notes admit in a file meant as
    /// correct (`SOURCE DEFECTS`), or `None` for a file without such defects.
    fn source_defects(&self) -> Option<&'static [&'static str]> {
        let defects = SOURCE_DEFECTS
            .iter()
            .find(|(file, _)| *file == self.file)
            .map(|(_, checks)| *checks);
        assert_eq!(
            defects.is_some(),
            self.notes.contains("SOURCE DEFECTS"),
            "{}: SOURCE_DEFECTS and the manifest's notes disagree",
            self.file
        );
        defects
    }
}

/// Files meant as correct whose notes list defects of the source, kept verbatim, and the checks
/// that must report them; nothing else above Info may be reported on them.
const SOURCE_DEFECTS: &[(&str, &[&str])] = &[(
    // The unquoted `hostname: *.example.com` is a YAML alias; path match type `prefix` is not
    // one of Exact, PathPrefix, RegularExpression.
    "gateway-api/site__content__en__docs__concepts__traffic-matching.md__01.yaml",
    &["yaml-syntax", "invalid-field"],
)];

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(corpus_dir().join("MANIFEST.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            Row {
                file: fields[0].to_string(),
                expected: fields[6].to_string(),
                notes: fields[7].to_string(),
            }
        })
        .collect()
}

fn analyze_files(files: &[&str]) -> Analysis {
    let mut sources = Sources::new();
    for file in files {
        let text = std::fs::read_to_string(corpus_dir().join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        sources.add(*file, text);
    }
    analyze(sources, MeshSettings::default())
}

fn describe(analysis: &Analysis, d: &Diagnostic) -> String {
    let text = analysis.mesh.sources.text(d.span.file);
    let line = text[..d.span.start as usize].matches('\n').count() + 1;
    format!(
        "{}:{line}: {}[{}]: {}",
        analysis.mesh.sources.get(d.span.file).name,
        d.severity,
        d.check,
        d.message
    )
}

/// Diagnostics per severity: `[infos, warnings, errors]`.
type Counts = [usize; 3];

#[test]
fn every_file_loads_without_syntax_errors() {
    let rows = manifest();
    let mut failures = Vec::new();
    let mut table: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut folders: BTreeMap<&str, (usize, Counts)> = BTreeMap::new();
    for row in &rows {
        let analysis = analyze_files(&[&row.file]);
        let folder = folders.entry(row.folder()).or_default();
        folder.0 += 1;
        for d in &analysis.diagnostics {
            table.entry(d.check).or_default()[d.severity as usize] += 1;
            folder.1[d.severity as usize] += 1;
        }
        if row
            .source_defects()
            .is_some_and(|checks| checks.contains(&"yaml-syntax"))
        {
            continue;
        }
        failures.extend(
            analysis
                .diagnostics
                .iter()
                .filter(|d| d.check == "yaml-syntax")
                .map(|d| describe(&analysis, d)),
        );
    }
    println!(
        "loaded {} corpus files; what each check found in them:",
        rows.len()
    );
    println!(
        "{:40} {:>6} {:>8} {:>6}",
        "check", "errors", "warnings", "infos"
    );
    for (check, [infos, warnings, errors]) in &table {
        println!("{check:40} {errors:6} {warnings:8} {infos:6}");
    }
    println!(
        "{:40} {:>6} {:>6} {:>8} {:>6}",
        "folder", "files", "errors", "warnings", "infos"
    );
    for (folder, (files, [infos, warnings, errors])) in &folders {
        println!("{folder:40} {files:6} {errors:6} {warnings:8} {infos:6}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(rows.len(), 403, "the manifest lists every corpus file");
    assert_eq!(
        folders.get("gateway-api").map(|(files, _)| *files),
        Some(132),
        "the Gateway API folder"
    );
}

/// Istio itself flags these intended-correct files as IST0130 (a rule after a catch-all).
fn istio_flags_as_unreachable(row: &Row) -> bool {
    row.expected.contains("IST0130")
}

/// Meant as correct: no warning or error, except the defects the manifest admits (Infos, such as
/// references to objects of another file of the same origin, `standalone-context`, are fine).
#[test]
fn intended_correct_files_have_no_warnings_or_errors() {
    let mut failures = Vec::new();
    let mut infos: BTreeMap<&str, usize> = BTreeMap::new();
    // Folder → (files checked, files with Infos, Infos).
    let mut folders: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for row in manifest()
        .iter()
        .filter(|r| r.expected.starts_with("intended-correct"))
    {
        let analysis = analyze_files(&[&row.file]);
        let defects = row.source_defects().unwrap_or_default();
        let folder = folders.entry(row.folder().to_string()).or_default();
        folder.0 += 1;
        let mut file_infos = 0;
        for d in &analysis.diagnostics {
            if d.severity == Severity::Info {
                *infos.entry(d.check).or_default() += 1;
                file_infos += 1;
                continue;
            }
            if d.check == "unreachable-http-rule" && istio_flags_as_unreachable(row) {
                continue;
            }
            if defects.contains(&d.check) {
                continue;
            }
            failures.push(describe(&analysis, d));
        }
        folder.1 += usize::from(file_infos > 0);
        folder.2 += file_infos;
        for check in defects {
            if !analysis.diagnostics.iter().any(|d| d.check == *check) {
                failures.push(format!(
                    "{}: the source defect `{check}` should report is not reported",
                    row.file
                ));
            }
        }
    }
    let checked: usize = folders.values().map(|(files, _, _)| files).sum();
    println!(
        "intended-correct files checked: {checked}; infos (partial-input references and notes): {infos:?}"
    );
    println!(
        "{:24} {:>6} {:>16} {:>6}",
        "folder", "files", "files with infos", "infos"
    );
    for (folder, (files, with_infos, count)) in &folders {
        println!("{folder:24} {files:6} {with_infos:16} {count:6}");
    }
    assert!(checked >= 330);
    assert_eq!(
        folders.get("gateway-api").map(|(files, _, _)| *files),
        Some(131),
        "every Gateway API file but the security page's counter-example is meant as correct"
    );
    assert!(
        failures.is_empty(),
        "false positives:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_two_files_istio_flags_as_unreachable_are_flagged() {
    let flagged: Vec<String> = manifest()
        .iter()
        .filter(|row| istio_flags_as_unreachable(row))
        .filter(|row| {
            !analyze_files(&[&row.file])
                .diagnostics
                .iter()
                .any(|d| d.check == "unreachable-http-rule")
        })
        .map(|row| row.file.clone())
        .collect();
    assert!(flagged.is_empty(), "not flagged: {flagged:?}");
}

const NETWORK_ISSUES: &str =
    "istio-docs/content__en__docs__ops__common-problems__network-issues__index.md";

/// The docs' own mistakes (corpus README), Istio's and the Gateway API's, and the check that
/// must flag each.
fn intended_broken() -> Vec<(Vec<String>, &'static str)> {
    let page = |suffix: &str| format!("{NETWORK_ISSUES}__{suffix}");
    vec![
        (vec![page("02.yaml"), page("03.yaml")], "ingress-bypasses-mesh-subsets"),
        (vec![page("scenario-route-rules-no-effect-on-ingress.yaml")], "ingress-bypasses-mesh-subsets"),
        (vec![page("07.yaml")], "https-to-http-port"),
        (vec![page("09.yaml")], "tls-route-behind-terminating-gateway"),
        (vec![page("11.yaml")], "http-route-behind-passthrough-gateway"),
        (vec![page("14.yaml")], "double-tls"),
        (vec![page("19.yaml")], "retries-with-fault"),
        (
            vec!["istio-docs/content__en__docs__ops__best-practices__traffic-management__index.md__01.yaml".into()],
            "unused-subset-policy",
        ),
        (
            vec!["istio-docs/content__en__docs__ops__diagnostic-tools__istioctl-analyze__index.md__01.yaml".into()],
            "unknown-gateway",
        ),
        // A listener without hostname admitting routes from all namespaces: any namespace can
        // claim any hostname.
        (
            vec!["gateway-api/site__content__en__docs__concepts__security.md__03.yaml".into()],
            "listener-hostname-hijack",
        ),
    ]
}

#[test]
fn the_docs_mistakes_are_flagged_with_the_right_check() {
    let mut missing = Vec::new();
    for (files, check) in intended_broken() {
        let names: Vec<&str> = files.iter().map(String::as_str).collect();
        let analysis = analyze_files(&names);
        let found: Vec<String> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.check == check)
            .map(|d| describe(&analysis, d))
            .collect();
        println!("{check:40} {} on {}", found.len(), names.join(" + "));
        if found.is_empty() {
            missing.push(format!("{check} on {names:?}"));
        }
    }
    // Every intended-broken row of the manifest is covered above or named here with why not.
    let covered: Vec<String> = intended_broken()
        .into_iter()
        .flat_map(|(files, _)| files)
        .collect();
    let not_asserted = [(
        "istio-docs/content__en__docs__ops__best-practices__traffic-management__index.md__05.yaml",
        "context-dependent: a DestinationRule outside the client's namespace; which clients use it depends on where they run",
    )];
    for row in manifest()
        .iter()
        .filter(|r| r.expected.starts_with("intended-broken"))
    {
        if let Some((_, why)) = not_asserted.iter().find(|(file, _)| *file == row.file) {
            println!("not asserted: {} ({why})", row.file);
        } else {
            assert!(
                covered.contains(&row.file),
                "intended-broken row not covered: {}",
                row.file
            );
        }
    }
    assert!(missing.is_empty(), "not flagged: {missing:#?}");
}

/// Which part of an Istio analyzer code each check covers: (code, Istio analyzer) → check.
const SCOPE: &[(&str, &str, &str)] = &[
    (
        "IST0101",
        "virtualservice.GatewayAnalyzer",
        "unknown-gateway",
    ),
    (
        "IST0101",
        "virtualservice.DestinationRuleAnalyzer",
        "unknown-subset",
    ),
    (
        "IST0128",
        "destinationrule.CaCertificateAnalyzer",
        "tls-origination-without-ca",
    ),
    (
        "IST0129",
        "destinationrule.CaCertificateAnalyzer",
        "tls-origination-without-ca",
    ),
    (
        "IST0130",
        "schemaValidation.CollectionValidationAnalyzer(collections.VirtualService)",
        "unreachable-http-rule",
    ),
    (
        "IST0132",
        "virtualservice.GatewayAnalyzer",
        "host-not-in-gateway",
    ),
    (
        "IST0138",
        "gateway.CertificateAnalyzer",
        "gateways-share-certificate",
    ),
    (
        "IST0140",
        "virtualservice.DestinationHostAnalyzer",
        "ingress-bypasses-mesh-subsets",
    ),
];

/// Rows in scope that are deliberately not asserted, with the reason.
const LEFT_OUT: &[(&str, &str, &str)] = &[
    (
        "IST0132",
        "httpbin-bogus",
        "its gateway does not exist at all: reported by unknown-gateway instead",
    ),
    (
        "IST0132",
        "my-vs-host-mismatch",
        "bound to a Kubernetes Gateway API Gateway (gateway.networking.k8s.io), which Routescope does not model yet",
    ),
];

struct ExpectedRow {
    file: String,
    analyzer: String,
    other_files: String,
    code: String,
    kind: String,
    namespace: String,
    name: String,
    count: usize,
}

fn expected_rows() -> Vec<ExpectedRow> {
    let path = corpus_dir().join("istio-analyzer-testdata/EXPECTED.tsv");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            ExpectedRow {
                file: f[0].to_string(),
                analyzer: f[2].to_string(),
                other_files: f[3].to_string(),
                code: f[5].to_string(),
                kind: f[8].to_string(),
                namespace: f[9].to_string(),
                name: f[10].to_string(),
                count: f[11].parse().unwrap_or(0),
            }
        })
        .collect()
}

fn testdata_files(row: &ExpectedRow) -> Vec<String> {
    let mut files = vec![format!("istio-analyzer-testdata/{}", row.file)];
    for other in row.other_files.split(',').filter(|f| !f.is_empty()) {
        let name = other.trim().replace('/', "__");
        files.push(format!("istio-analyzer-testdata/{name}"));
    }
    files
}

#[test]
fn istio_analyzer_expectations_within_each_checks_scope() {
    let mut found_rows = 0;
    let mut failures = Vec::new();
    let mut per_check: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for row in expected_rows() {
        let Some(&(_, _, check)) = SCOPE.iter().find(|(code, analyzer, _)| {
            *analyzer == row.analyzer && (*code == row.code || row.code == "NONE")
        }) else {
            continue;
        };
        let files = testdata_files(&row);
        let names: Vec<&str> = files.iter().map(String::as_str).collect();
        let analysis = analyze_files(&names);
        let of_check: Vec<&Diagnostic> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.check == check)
            .collect();
        if row.code == "NONE" {
            per_check.entry(check).or_default().1 += 1;
            if !of_check.is_empty() {
                failures.push(format!(
                    "{}: Istio reports nothing, {check} reports {:?}",
                    row.file,
                    of_check
                        .iter()
                        .map(|d| describe(&analysis, d))
                        .collect::<Vec<_>>()
                ));
            }
            continue;
        }
        if let Some((_, _, why)) = LEFT_OUT
            .iter()
            .find(|(code, name, _)| *code == row.code && *name == row.name)
        {
            println!(
                "left out: {} {} {}/{}: {why}",
                row.code, row.kind, row.namespace, row.name
            );
            continue;
        }
        let namespace = if row.namespace.is_empty() {
            "default"
        } else {
            &row.namespace
        };
        let on_resource = of_check
            .iter()
            .filter(|d| {
                d.resource.as_ref().is_some_and(|r| {
                    r.kind == row.kind && r.namespace == namespace && r.name == row.name
                })
            })
            .count();
        per_check.entry(check).or_default().0 += 1;
        found_rows += 1;
        if on_resource < row.count.max(1) {
            failures.push(format!(
                "{}: Istio reports {} x{} on {} {namespace}/{}; {check} reports it {on_resource} times",
                row.file, row.code, row.count, row.kind, row.name
            ));
        }
    }
    println!("Istio analyzer rows checked per check (expected rows, NONE rows):");
    for (check, (rows, none)) in &per_check {
        println!("  {check:40} {rows:3} {none:3}");
    }
    assert!(found_rows > 20, "too few rows in scope: {found_rows}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
