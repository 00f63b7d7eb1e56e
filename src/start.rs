//! What the page opens with: a shared link, the saved work, or the default example — without
//! ever silently losing the saved work.

use routescope_core::settings::MeshSettings;
use routescope_core::share::{self, ShareError};

use crate::examples::EXAMPLES;

/// The text and settings to open, and what to tell the person.
#[derive(Clone, Debug, PartialEq)]
pub struct Start {
    pub text: String,
    pub settings: MeshSettings,
    pub notice: Option<Notice>,
    /// Saved work that the opened text replaces: kept restorable, never dropped.
    pub replaced_draft: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Info(String),
    Error(String),
    /// A share link was made: show it for copying.
    Link(String),
}

/// Decides what to open from the URL fragment and the saved payload (see
/// [`share::payload`]).
pub fn start(fragment: &str, saved: Option<&str>) -> Start {
    let saved = saved.and_then(|payload| share::parse_payload(payload).ok());
    let default = || (EXAMPLES[0].broken.to_string(), MeshSettings::default());
    match share::decode(fragment) {
        Ok((text, settings)) => {
            let replaced_draft = saved
                .filter(|(saved_text, _)| *saved_text != text && !saved_text.trim().is_empty())
                .map(|(saved_text, saved_settings)| share::payload(&saved_text, &saved_settings));
            let notice = replaced_draft.as_ref().map(|_| {
                Notice::Info(
                    "Opened the shared link. Your previous text is kept: use “Restore previous \
                     text” to get it back."
                        .into(),
                )
            });
            Start {
                text,
                settings,
                notice,
                replaced_draft,
            }
        }
        Err(error) => {
            let notice = match error {
                ShareError::NotALink => None,
                ShareError::Corrupt(_) => Some(Notice::Error(format!("{error}."))),
            };
            let (text, settings) = saved.unwrap_or_else(default);
            Start {
                text,
                settings,
                notice,
                replaced_draft: None,
            }
        }
    }
}

/// Whether loading something else over `current` must keep `current` restorable: anything
/// the person typed that is not one of the bundled examples.
pub fn needs_draft(current: &str) -> bool {
    !current.trim().is_empty()
        && !EXAMPLES
            .iter()
            .any(|example| example.broken == current || example.fixed == current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_visit_opens_the_default_example() {
        let start = start("", None);
        assert_eq!(start.text, EXAMPLES[0].broken);
        assert_eq!(start.notice, None);
    }

    #[test]
    fn saved_work_reopens() {
        let saved = share::payload("a: 1\n", &MeshSettings::default());
        assert_eq!(start("", Some(&saved)).text, "a: 1\n");
    }

    #[test]
    fn a_link_keeps_the_saved_work_restorable() {
        let saved = share::payload("mine: 1\n", &MeshSettings::default());
        let link = share::encode("theirs: 2\n", &MeshSettings::default());
        let start = start(&format!("#{link}"), Some(&saved));
        assert_eq!(start.text, "theirs: 2\n");
        assert_eq!(start.replaced_draft, Some(saved));
        assert!(matches!(start.notice, Some(Notice::Info(_))));
    }

    #[test]
    fn a_corrupt_link_loads_nothing_and_says_so() {
        let saved = share::payload("mine: 1\n", &MeshSettings::default());
        let start = start("#v1=AAAA", Some(&saved));
        assert_eq!(start.text, "mine: 1\n");
        assert!(matches!(start.notice, Some(Notice::Error(ref m)) if m.contains("damaged")));
    }

    #[test]
    fn examples_need_no_draft_but_typed_text_does() {
        assert!(!needs_draft(EXAMPLES[1].broken));
        assert!(!needs_draft("  \n"));
        assert!(needs_draft("my: config\n"));
    }
}
