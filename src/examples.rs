//! The examples gallery: one broken configuration per mistake of Istio's troubleshooting
//! pages, in Istio's API and in the Kubernetes Gateway API, each with its fixed version, and a
//! correct Gateway API configuration (the files under `examples/`, checked by the core's
//! tests).

pub struct Example {
    /// The example's file name under `examples/` without `.yaml`: the check it demonstrates,
    /// with a qualifier when two examples demonstrate one check; also its id in the gallery.
    pub check: &'static str,
    pub broken: &'static str,
    /// The corrected text; a correct configuration is its own.
    pub fixed: &'static str,
}

macro_rules! example {
    ($check:literal) => {
        Example {
            check: $check,
            broken: include_str!(concat!("../examples/", $check, ".yaml")),
            fixed: include_str!(concat!("../examples/", $check, ".fixed.yaml")),
        }
    };
    (correct $name:literal) => {
        Example {
            check: $name,
            broken: include_str!(concat!("../examples/", $name, ".yaml")),
            fixed: include_str!(concat!("../examples/", $name, ".yaml")),
        }
    };
}

/// In the order of the seed document; the first opens on a first visit.
pub static EXAMPLES: &[Example] = &[
    example!("tls-route-behind-terminating-gateway"),
    example!("http-route-behind-passthrough-gateway"),
    example!("double-tls"),
    example!("https-to-http-port"),
    example!("mtls-disabled-by-destination-rule"),
    example!("ingress-bypasses-mesh-subsets"),
    example!("gateways-share-certificate"),
    // The same mistakes in the Kubernetes Gateway API, and a configuration without any.
    example!("route-kind-not-allowed-terminate"),
    example!("route-kind-not-allowed-passthrough"),
    example!("route-hostname-mismatch"),
    example!("reference-not-permitted"),
    example!("listeners-share-certificate"),
    example!(correct "bookinfo-gateway-api"),
];

impl Example {
    /// The first comment line of the file: one sentence on the mistake and its symptom.
    pub fn title(&self) -> &'static str {
        self.broken
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("# "))
            .unwrap_or(self.check)
    }
}

pub fn find(check: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|example| example.check == check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_has_a_title_and_differs_from_its_fix() {
        for example in EXAMPLES {
            assert!(
                example.title().ends_with('.'),
                "{}: {}",
                example.check,
                example.title()
            );
            let correct = example.broken.lines().nth(1) == Some("# expect: nothing");
            assert_eq!(
                example.broken == example.fixed,
                correct,
                "{}: a broken example differs from its fix; a correct one is its own",
                example.check
            );
        }
        assert!(find("double-tls").is_some());
        assert!(find("route-kind-not-allowed-passthrough").is_some());
    }
}
