//! Every crash and timeout the fuzz targets (`fuzz/`) found, replayed as it was found: each
//! file under `tests/fuzz-regressions/<target>/` is an input of that target, asked the same
//! question (`routescope_core::soundness`) within a time budget, so the bug stays fixed. The
//! files are minimised libFuzzer artifacts; `fuzz/README.md` says how to add one. The seed
//! inputs kept in `fuzz/seeds/` are asked the same questions.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use routescope_core::soundness::{
    share_link_round_trips, text_analyses_soundly, text_fixes_soundly,
};

/// libFuzzer ran with `-timeout=1` on an optimised build; a debug build is some ten times
/// slower, so an input that took a second there must take well under this here.
const BUDGET: Duration = Duration::from_secs(20);

fn replay(target: &str, question: fn(&str) -> Result<(), String>) -> usize {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    replay_dir(&dir, target, question)
}

fn replay_dir(dir: &Path, target: &str, question: fn(&str) -> Result<(), String>) -> usize {
    let mut problems = Vec::new();
    let mut replayed = 0;
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|entry| entry.unwrap().path()).collect())
        .unwrap_or_default();
    paths.sort();
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        let started = Instant::now();
        // The targets read their input as libFuzzer hands it over: bytes, lossily as text.
        let outcome = question(&String::from_utf8_lossy(&bytes));
        let took = started.elapsed();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Err(problem) = outcome {
            problems.push(format!("{target}/{name}: {problem}"));
        }
        if took > BUDGET {
            problems.push(format!("{target}/{name}: took {took:?}"));
        }
        replayed += 1;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    replayed
}

#[test]
fn analyze_text_findings_stay_fixed() {
    replay("analyze_text", text_analyses_soundly);
}

#[test]
fn analyze_mutated_yaml_findings_stay_fixed() {
    replay("analyze_mutated_yaml", text_analyses_soundly);
}

#[test]
fn fix_mutated_yaml_findings_stay_fixed() {
    replay("fix_mutated_yaml", text_fixes_soundly);
}

#[test]
fn share_link_findings_stay_fixed() {
    replay("share_link", share_link_round_trips);
}

/// The seeds of the three YAML targets (`fuzz/seeds/yaml/`, Gateway API inputs the examples and
/// the corpus do not cover) and of `share_link`.
#[test]
fn the_seeds_pass_their_targets_questions() {
    let seeds = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
    assert!(replay_dir(&seeds.join("yaml"), "seeds/yaml", text_fixes_soundly) >= 4);
    assert!(
        replay_dir(
            &seeds.join("share_link"),
            "seeds/share_link",
            share_link_round_trips
        ) >= 12
    );
}
