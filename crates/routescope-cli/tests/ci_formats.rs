//! The formats CI reads: SARIF (validated against the OASIS schema), GitHub workflow commands,
//! GitLab Code Quality; and the input CI hands over: Helm and kustomize output.

mod support;

use serde_json::Value;
use support::{
    GATEWAY_AND_VS, assert_valid_sarif, examples_dir, routescope, sarif_schema_validator, stderr,
    stdout, write,
};

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!("{error}: {}{}", stdout(output), stderr(output));
    })
}

/// 1-based line and column in characters of byte `offset`, counted here independently.
fn line_column(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    (line as u64, before[line_start..].chars().count() as u64 + 1)
}

fn region(value: &Value) -> [u64; 4] {
    ["startLine", "startColumn", "endLine", "endColumn"].map(|key| {
        value[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {value}"))
    })
}

#[test]
fn the_schema_validator_rejects_what_sarif_forbids() {
    // The validator must be able to fail: a log without `runs`, a result with a level SARIF
    // does not define, a region starting at line 0.
    let validator = sarif_schema_validator();
    let bad = [
        serde_json::json!({"version": "2.1.0"}),
        serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
            "results": [{"message": {"text": "m"}, "level": "info"}]}]}),
        serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
            "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": "a.yaml"}, "region": {"startLine": 0}}}]}]}]}),
    ];
    for log in bad {
        assert!(!validator.is_valid(&log), "accepted {log}");
    }
}

#[test]
fn sarif_validates_and_carries_locations_related_locations_and_fixes() {
    let examples = examples_dir();
    let output = routescope(&["check", "--format", "sarif", &examples], None);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let log = json(&output);
    assert_valid_sarif(&log);
    let run = &log["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");

    // One rule per check, with the check's docs as help.
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let checks = stdout(&routescope(&["checks"], None));
    assert_eq!(rules.len(), checks.lines().count());
    let explained = stdout(&routescope(&["explain", "double-tls"], None));
    let rule = rules.iter().find(|r| r["id"] == "double-tls").unwrap();
    assert_eq!(rule["help"]["markdown"], explained.as_str());
    assert_eq!(rule["help"]["text"], explained.as_str());
    assert!(checks.contains(rule["shortDescription"]["text"].as_str().unwrap()));

    // The same findings as the JSON contract, at the same places.
    let report = json(&routescope(&["check", "--format", "json", &examples], None));
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), diagnostics.len());
    let mut related_seen = 0;
    let mut replacements_seen = 0;
    for (result, diagnostic) in results.iter().zip(diagnostics) {
        assert_eq!(result["ruleId"], diagnostic["check"]);
        let rule_index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[rule_index]["id"], diagnostic["check"]);
        let level = match diagnostic["severity"].as_str().unwrap() {
            "info" => "note",
            other => other,
        };
        assert_eq!(result["level"], level);
        let location = &result["locations"][0]["physicalLocation"];
        let file = diagnostic["file"].as_str().unwrap();
        assert_eq!(location["artifactLocation"]["uri"], file);
        let span = &diagnostic["span"];
        assert_eq!(
            region(&location["region"]),
            [
                &span["start"]["line"],
                &span["start"]["column"],
                &span["end"]["line"],
                &span["end"]["column"]
            ]
            .map(|v| v.as_u64().unwrap())
        );
        let related = result["relatedLocations"].as_array().map_or(&[][..], |r| r);
        assert_eq!(
            related.len(),
            diagnostic["related"].as_array().unwrap().len()
        );
        for (sarif, json) in related
            .iter()
            .zip(diagnostic["related"].as_array().unwrap())
        {
            assert_eq!(sarif["message"]["text"], json["message"]);
            related_seen += 1;
        }
        // Each replacement deletes exactly the bytes of its edit, in lines and columns.
        let fixes = result["fixes"].as_array().map_or(&[][..], |f| f);
        assert_eq!(fixes.len(), diagnostic["fixes"].as_array().unwrap().len());
        for (sarif, json) in fixes.iter().zip(diagnostic["fixes"].as_array().unwrap()) {
            let replacements: Vec<(&Value, &Value)> = sarif["artifactChanges"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|change| {
                    let uri = &change["artifactLocation"]["uri"];
                    change["replacements"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(move |r| (uri, r))
                })
                .collect();
            let edits = json["edits"].as_array().unwrap();
            assert_eq!(replacements.len(), edits.len());
            for ((uri, replacement), edit) in replacements.iter().zip(edits) {
                assert_eq!(*uri, &edit["file"]);
                assert_eq!(replacement["insertedContent"]["text"], edit["replacement"]);
                let text = std::fs::read_to_string(edit["file"].as_str().unwrap()).unwrap();
                let (start, end) = (
                    edit["start"].as_u64().unwrap() as usize,
                    edit["end"].as_u64().unwrap() as usize,
                );
                let (start_line, start_column) = line_column(&text, start);
                let (end_line, end_column) = line_column(&text, end);
                assert_eq!(
                    region(&replacement["deletedRegion"]),
                    [start_line, start_column, end_line, end_column]
                );
                replacements_seen += 1;
            }
        }
    }
    assert!(
        related_seen > 0 && replacements_seen > 0,
        "the examples have related spans and fixes"
    );
}

#[test]
fn sarif_of_a_clean_input_and_of_standard_input_validates() {
    let clean = routescope(&["check", "--format", "sarif", "-"], Some(""));
    assert_eq!(clean.status.code(), Some(0));
    let log = json(&clean);
    assert_valid_sarif(&log);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    let dir = tempfile::tempdir().unwrap();
    // A name that is not a URI as it stands: a space, a colon, non-ASCII.
    let file = write(dir.path(), "my mesh/café:1.yaml", GATEWAY_AND_VS);
    let log = json(&routescope(&["check", "--format", "sarif", &file], None));
    assert_valid_sarif(&log);
    let uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        uri.ends_with("/my%20mesh/caf%C3%A9%3A1.yaml"),
        "{uri} is percent-encoded"
    );
}

#[test]
fn github_format_writes_escaped_workflow_commands() {
    let dir = tempfile::tempdir().unwrap();
    // `,` and `:` end a property unless escaped, `%` starts an escape.
    let file = write(dir.path(), "100%,a:b.yaml", GATEWAY_AND_VS);
    let output = routescope(&["check", "--format", "github", &file], None);
    assert_eq!(output.status.code(), Some(1));
    let escaped_file = file
        .replace('%', "%25")
        .replace(':', "%3A")
        .replace(',', "%2C");
    let expected = format!(
        "::warning file={escaped_file},line=7,col=14,endLine=7,endColumn=20,title=unknown-gateway (IST0101)::VirtualService default/shop is bound to Gateway default/public, which is not in the input; a Gateway `public` exists in namespace istio-system (a bare name resolves in the VirtualService's namespace, default)%0Afix (safe): Refer to `istio-system/public`\n"
    );
    assert_eq!(stdout(&output), expected);

    // Related spans go on lines of their own; errors are `::error`, infos `::notice`.
    let output = routescope(&["check", "--format", "github", &examples_dir()], None);
    let text = stdout(&output);
    assert!(text.lines().all(|line| line.starts_with("::")), "{text}");
    assert!(text.lines().any(|line| line.starts_with("::error file=")));
    assert!(text.lines().any(|line| line.starts_with("::notice file=")));
    assert!(
        text.lines()
            .any(|line| line.contains("%0A") && line.contains(".yaml:")),
        "a related location on a line of its own"
    );
}

#[test]
fn gitlab_format_is_a_code_quality_report() {
    let output = routescope(&["check", "--format", "gitlab", &examples_dir()], None);
    let issues = json(&output);
    let issues = issues.as_array().unwrap();
    let report = json(&routescope(
        &["check", "--format", "json", &examples_dir()],
        None,
    ));
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert_eq!(issues.len(), diagnostics.len());
    let mut fingerprints = std::collections::HashSet::new();
    for (issue, diagnostic) in issues.iter().zip(diagnostics) {
        assert_eq!(issue["check_name"], diagnostic["check"]);
        assert_eq!(issue["description"], diagnostic["message"]);
        assert_eq!(issue["location"]["path"], diagnostic["file"]);
        assert_eq!(
            issue["location"]["positions"]["begin"]["line"],
            diagnostic["span"]["start"]["line"]
        );
        let severity = issue["severity"].as_str().unwrap();
        assert!(["info", "minor", "major"].contains(&severity), "{severity}");
        let fingerprint = issue["fingerprint"].as_str().unwrap();
        assert!(
            fingerprints.insert(fingerprint.to_string()),
            "{fingerprint} twice"
        );
    }
    // The fingerprint names the problem, not its line: a line added above keeps it.
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "vs.yaml", GATEWAY_AND_VS);
    let before = json(&routescope(&["check", "--format", "gitlab", &file], None));
    write(dir.path(), "vs.yaml", &format!("# moved\n{GATEWAY_AND_VS}"));
    let after = json(&routescope(&["check", "--format", "gitlab", &file], None));
    assert_eq!(before[0]["fingerprint"], after[0]["fingerprint"]);
    assert_ne!(
        before[0]["location"]["positions"],
        after[0]["location"]["positions"]
    );
}

/// `helm template` output: `# Source:` comments, documents of kinds Routescope does not read,
/// a document with only a comment, a ConfigMap whose data looks like Istio YAML.
const HELM_TEMPLATE: &str = include_str!("fixtures/helm-template.out");

#[test]
fn helm_output_is_read_as_it_is_and_other_kinds_are_skipped_silently() {
    let output = routescope(&["check", "--format", "json", "-"], Some(HELM_TEMPLATE));
    let report = json(&output);
    let checks: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["check"].as_str().unwrap())
        .collect();
    // Only the chart's VirtualService is flagged (its Gateway is not in the chart).
    assert_eq!(checks, ["unknown-gateway"], "{}", stdout(&output));
    assert_eq!(report["diagnostics"][0]["span"]["start"]["line"], 69);

    // A file named on the command line is read whatever its extension; a directory gives
    // only its *.yaml and *.yml.
    let dir = tempfile::tempdir().unwrap();
    let rendered = write(dir.path(), "chart/rendered.out", HELM_TEMPLATE);
    write(dir.path(), "mesh/notes.txt", GATEWAY_AND_VS);
    write(
        dir.path(),
        "mesh/ci.yml",
        "name: CI\non: [push]\njobs: {}\n",
    );
    let named = json(&routescope(&["check", "--format", "json", &rendered], None));
    assert_eq!(named["diagnostics"][0]["check"], "unknown-gateway");
    assert_eq!(named["diagnostics"][0]["file"], rendered.as_str());
    let mesh = dir.path().join("mesh").display().to_string();
    let walked = routescope(&["check", &mesh], None);
    assert_eq!(walked.status.code(), Some(0), "{}", stdout(&walked));
    assert_eq!(stdout(&walked), "0 errors, 0 warnings, 0 infos\n");
}
