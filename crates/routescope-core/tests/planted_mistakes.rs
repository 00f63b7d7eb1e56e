//! Property tests over generated meshes (`synthetic::planted_mesh`) holding the seed mistakes,
//! in Istio's API and in the Kubernetes Gateway API, at random places in random formatting (block and flow style, quoting, comments, blank
//! lines, CRLF, non-ASCII in comments and values): each planted mistake is reported at its
//! exact bytes; every fix is sound alone (`soundness::fixes_are_sound`, which judges by
//! `verify_fix`); fixing everything leaves text that parses, holds none of the fixable planted
//! mistakes and no new error, and is a fixed point.

use proptest::prelude::*;
use routescope_core::diagnostic::{Applicability, Diagnostic, Severity};
use routescope_core::model::Spec;
use routescope_core::settings::MeshSettings;
use routescope_core::soundness::fixes_are_sound;
use routescope_core::source::{FileId, Sources};
use routescope_core::synthetic::{PlantedMesh, SeedMistake, planted_mesh};
use routescope_core::{analyze, fix_all};

fn scenarios() -> impl Strategy<Value = (Vec<(SeedMistake, u64)>, bool)> {
    (
        prop::collection::vec(
            (
                prop::sample::select(SeedMistake::ALL.to_vec()),
                any::<u64>(),
            ),
            1..=10,
        ),
        any::<bool>(),
    )
}

fn errors(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("[{}] {}", d.check, d.message))
        .collect()
}

fn check_planted_mesh(planted: &PlantedMesh) -> Result<(), TestCaseError> {
    let text = &planted.text;
    let settings = MeshSettings::default();
    let analysis = analyze(
        Sources::single("mesh.yaml", text.as_str()),
        settings.clone(),
    );
    let reported = |check: &str| {
        analysis
            .diagnostics
            .iter()
            .filter(|d| d.check == check)
            .map(|d| format!("{:?} `{}`", d.span.range(), &text[d.span.range()]))
            .collect::<Vec<_>>()
    };
    for (check, bytes) in &planted.mistakes {
        let found = analysis
            .diagnostics
            .iter()
            .any(|d| d.check == *check && d.span.range() == *bytes);
        prop_assert!(
            found,
            "`{check}` not reported at {bytes:?} `{}`; it reported {:?}\n{text}",
            &text[bytes.clone()],
            reported(check)
        );
    }
    prop_assert!(
        !analysis
            .diagnostics
            .iter()
            .any(|d| d.check == "yaml-syntax"),
        "the generated text does not parse\n{text}"
    );

    if let Err(problem) = fixes_are_sound(&analysis) {
        return Err(TestCaseError::fail(format!("{problem}\n{text}")));
    }

    let fixed_sources = fix_all(
        Sources::single("mesh.yaml", text.as_str()),
        &settings,
        Applicability::Unsafe,
    );
    let fixed = fixed_sources.text(FileId(0)).to_string();
    let after = analyze(fixed_sources.clone(), settings.clone());
    prop_assert!(
        !after.diagnostics.iter().any(|d| d.check == "yaml-syntax"),
        "the fixed text does not parse\n{fixed}"
    );
    let before_errors = errors(&analysis.diagnostics);
    let new_errors: Vec<String> = errors(&after.diagnostics)
        .into_iter()
        .filter(|error| !before_errors.contains(error))
        .collect();
    prop_assert!(
        new_errors.is_empty(),
        "fixing brought new errors {new_errors:?}\n{fixed}"
    );
    // A planted mistake whose diagnostic offers a fix to apply is gone after fixing.
    for (check, bytes) in &planted.mistakes {
        let fixable = analysis.diagnostics.iter().any(|d| {
            d.check == *check
                && d.span.range() == *bytes
                && d.fixes
                    .iter()
                    .any(|f| f.applicability != Applicability::DisplayOnly)
        });
        let remaining = after
            .diagnostics
            .iter()
            .filter(|d| d.check == *check)
            .count();
        prop_assert!(
            !fixable || remaining == 0,
            "`{check}` remains after fixing ({remaining} left)\n{fixed}"
        );
    }
    let again = fix_all(fixed_sources, &settings, Applicability::Unsafe);
    prop_assert_eq!(
        again.text(FileId(0)),
        fixed.as_str(),
        "fixing again changed the text"
    );
    Ok(())
}

proptest! {
    // Each case analyses its mesh once per fix; 200 cases take some ten seconds in debug.
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn planted_mistakes_are_found_and_fixed_soundly((plan, crlf) in scenarios()) {
        let planted = planted_mesh(&plan, crlf);
        prop_assert_eq!(
            planted.mistakes.len(),
            plan.len()
                + plan
                    .iter()
                    .filter(|(m, _)| *m == SeedMistake::GatewaysShareCertificate)
                    .count(),
            "one planted span per mistake, two for a shared certificate"
        );
        check_planted_mesh(&planted)?;
    }
}

/// Every mistake once, in one style each, in both line endings: the plain case the
/// properties generalise, so a failure there is read first.
#[test]
fn every_seed_mistake_once() {
    for crlf in [false, true] {
        let plan: Vec<(SeedMistake, u64)> = SeedMistake::ALL
            .iter()
            .enumerate()
            .map(|(style, &mistake)| (mistake, style as u64))
            .collect();
        let planted = planted_mesh(&plan, crlf);
        if let Err(failure) = check_planted_mesh(&planted) {
            panic!("{failure}");
        }
    }
}

/// The Gateway API scenarios plant what Istio's controller refuses, at the parentRef's `name`:
/// judged by the resolver's predicted attachment, so the generators stand apart from the checks
/// that report the refusals. Nothing else above Info is reported.
#[test]
fn gateway_api_mistakes_are_refusals_at_the_planted_parent_ref() {
    let refusals = [
        (
            SeedMistake::TlsRouteOnHttpsListener,
            "NotAllowedByListeners",
        ),
        (
            SeedMistake::HttpRouteOnPassthroughListener,
            "NotAllowedByListeners",
        ),
        (
            SeedMistake::RouteHostnameMismatch,
            "NoMatchingListenerHostname",
        ),
    ];
    for crlf in [false, true] {
        for style in 0..20 {
            let plan: Vec<(SeedMistake, u64)> = refusals
                .iter()
                .map(|&(mistake, _)| (mistake, style))
                .collect();
            let planted = planted_mesh(&plan, crlf);
            let analysis = analyze(
                Sources::single("mesh.yaml", planted.text.as_str()),
                MeshSettings::default(),
            );
            let view = analysis.mesh.gateway_api();
            let mut found = Vec::new();
            for (index, resource) in analysis.mesh.resources.iter().enumerate() {
                let Spec::Route(route) = &resource.spec else {
                    continue;
                };
                for attachment in view.attachments(index) {
                    let name = route.parent_refs()[attachment.parent_ref].name.as_ref();
                    found.push((
                        attachment.denial().map(|denial| denial.reason()),
                        name.map(|name| name.span.range()),
                    ));
                }
            }
            let wanted: Vec<_> = planted
                .mistakes
                .iter()
                .zip(refusals)
                .map(|((_, bytes), (_, reason))| (Some(reason), Some(bytes.clone())))
                .collect();
            assert_eq!(found, wanted, "\n{}", planted.text);
            let others: Vec<String> = analysis
                .diagnostics
                .iter()
                .filter(|d| d.severity >= Severity::Warning)
                .filter(|d| !planted.mistakes.iter().any(|(check, _)| *check == d.check))
                .map(|d| format!("[{}] {}", d.check, d.message))
                .collect();
            assert!(others.is_empty(), "{others:?}\n{}", planted.text);
        }
    }
}
