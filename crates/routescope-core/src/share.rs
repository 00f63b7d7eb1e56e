//! Share links: the text and mesh settings in a URL fragment (`#v1=` + base64url of deflate).
//! The fragment is never sent to a server; decoding is bounded so a hostile link cannot make
//! the page allocate without limit.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use miniz_oxide::deflate::compress_to_vec;
use miniz_oxide::inflate::decompress_to_vec_with_limit;

use crate::limits::MAX_INPUT_BYTES;
use crate::settings::MeshSettings;

const PREFIX: &str = "v1=";

/// Text and settings as one string: the settings line, a line break, the text. Share links
/// compress it; the browser's storage keeps it as it is.
pub fn payload(text: &str, settings: &MeshSettings) -> String {
    format!("{}\n{text}", settings.encode())
}

/// Reads a [`payload`].
pub fn parse_payload(payload: &str) -> Result<(String, MeshSettings), String> {
    let (settings, text) = payload
        .split_once('\n')
        .ok_or_else(|| "no settings line".to_string())?;
    Ok((text.to_string(), MeshSettings::decode(settings)?))
}

/// The fragment (without `#`) that carries `text` and `settings`.
pub fn encode(text: &str, settings: &MeshSettings) -> String {
    let compressed = compress_to_vec(payload(text, settings).as_bytes(), 9);
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(compressed))
}

/// Why a link could not be opened; nothing of it is loaded.
#[derive(Debug, PartialEq, Eq)]
pub enum ShareError {
    /// Not a Routescope link (no `v1=`): the fragment means something else.
    NotALink,
    Corrupt(String),
}

impl std::fmt::Display for ShareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShareError::NotALink => f.write_str("the link holds no Routescope text"),
            ShareError::Corrupt(why) => write!(
                f,
                "the link is damaged or cut short ({why}); nothing was loaded"
            ),
        }
    }
}

/// Reads a fragment (with or without the leading `#`).
pub fn decode(fragment: &str) -> Result<(String, MeshSettings), ShareError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let data = fragment.strip_prefix(PREFIX).ok_or(ShareError::NotALink)?;
    let compressed = URL_SAFE_NO_PAD
        .decode(data.trim_end_matches('='))
        .map_err(|e| ShareError::Corrupt(format!("not base64url: {e}")))?;
    let bytes = decompress_to_vec_with_limit(&compressed, MAX_INPUT_BYTES + 1024)
        .map_err(|_| ShareError::Corrupt("the compressed text is invalid or cut short".into()))?;
    let payload = String::from_utf8(bytes)
        .map_err(|_| ShareError::Corrupt("the text is not UTF-8".into()))?;
    parse_payload(&payload).map_err(ShareError::Corrupt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_text_and_settings() {
        let text = "apiVersion: networking.istio.io/v1 # café ☕\nkind: Gateway\r\n";
        let settings = MeshSettings {
            input_complete: true,
            ..MeshSettings::default()
        };
        let link = encode(text, &settings);
        assert!(link.starts_with("v1="));
        assert!(
            link.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_=".contains(&b))
        );
        assert_eq!(
            decode(&format!("#{link}")),
            Ok((text.to_string(), settings))
        );
    }

    #[test]
    fn large_inputs_compress_well() {
        let text = "apiVersion: networking.istio.io/v1\nkind: VirtualService\n".repeat(200);
        let link = encode(&text, &MeshSettings::default());
        assert!(
            link.len() < text.len() / 10,
            "{} bytes for {}",
            link.len(),
            text.len()
        );
        assert_eq!(decode(&link).unwrap().0, text);
    }

    #[test]
    fn damaged_links_load_nothing() {
        let link = encode("a: 1\n", &MeshSettings::default());
        assert_eq!(decode("section-2"), Err(ShareError::NotALink));
        assert!(matches!(
            decode(&link[..link.len() - 4]),
            Err(ShareError::Corrupt(_))
        ));
        assert!(matches!(decode("v1=!!!"), Err(ShareError::Corrupt(_))));
        assert!(matches!(decode("v1="), Err(ShareError::Corrupt(_))));
    }

    #[test]
    fn a_deflate_bomb_is_refused() {
        let huge = vec![b'a'; MAX_INPUT_BYTES + 4096];
        let link = format!("v1={}", URL_SAFE_NO_PAD.encode(compress_to_vec(&huge, 9)));
        assert!(matches!(decode(&link), Err(ShareError::Corrupt(_))));
    }
}
