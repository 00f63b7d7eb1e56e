//! The examples gallery: one broken configuration per mistake of Istio's troubleshooting
//! pages, each with its fixed version (the files under `examples/`, checked by the core's
//! tests).

pub struct Example {
    /// The check the example demonstrates; also its id in the gallery.
    pub check: &'static str,
    pub broken: &'static str,
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
            assert_ne!(example.broken, example.fixed);
        }
        assert!(find("double-tls").is_some());
    }
}
