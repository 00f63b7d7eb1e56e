//! The workspace as one mesh: every open document plus the Kubernetes YAML of the workspace
//! folders (as git sees them: `.gitignore`d and hidden files left out), analysed together with
//! the playground's document cache, so a change re-parses only the documents it touched.

use std::collections::BTreeMap;
use std::path::Path;

use lsp_types::Url;
use routescope_core::load::DocumentCache;
use routescope_core::source::{FileId, Sources};
use routescope_core::{Analysis, analyze_cached, reanalyze_cached};

use crate::position::{Encoding, Positions};
use crate::settings::Settings;

/// A file's text, from the editor (open) or from disk.
struct Document {
    text: String,
    open: bool,
}

/// What the last analysis saw, by file.
pub struct Analysed {
    pub analysis: Analysis,
    /// The address of each [`FileId`].
    pub urls: Vec<Url>,
    pub positions: Vec<Positions>,
}

impl Analysed {
    pub fn file(&self, url: &Url) -> Option<FileId> {
        let index = self.urls.binary_search(url).ok()?;
        Some(FileId(index as u32))
    }

    pub fn text(&self, file: FileId) -> &str {
        self.analysis.mesh.sources.text(file)
    }
}

pub struct Workspace {
    documents: BTreeMap<Url, Document>,
    cache: DocumentCache,
    analysed: Option<Analysed>,
    dirty: bool,
    pub encoding: Encoding,
    pub settings: Settings,
}

/// Whether a text is Kubernetes YAML the mesh may read (Services, Namespaces and Secrets
/// included): other YAML (CI workflows, compose files, OpenAPI) is left out of the analysis.
pub fn is_manifest(text: &str) -> bool {
    text.contains("apiVersion")
}

/// Whether a text holds Istio or Gateway API resources: only such files get diagnostics, so
/// the server is safe to run on every YAML file.
pub fn holds_mesh_resources(text: &str) -> bool {
    ["istio.io/", "gateway.networking.k8s.io/"]
        .iter()
        .any(|group| text.contains(group))
}

impl Workspace {
    pub fn new(encoding: Encoding, settings: Settings) -> Workspace {
        Workspace {
            documents: BTreeMap::new(),
            cache: DocumentCache::new(),
            analysed: None,
            dirty: true,
            encoding,
            settings,
        }
    }

    /// Reads the YAML files below `folder`, skipping what git ignores. Unreadable and
    /// non-UTF-8 files are skipped: an editor's workspace holds all sorts.
    pub fn add_folder(&mut self, folder: &Path) {
        let walk = ignore::WalkBuilder::new(folder).require_git(false).build();
        for entry in walk.flatten() {
            let path = entry.path();
            let yaml = path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml");
            if yaml && entry.file_type().is_some_and(|t| t.is_file()) {
                self.read_from_disk(path);
            }
        }
    }

    /// Forgets the files below `folder` that the editor does not have open.
    pub fn remove_folder(&mut self, folder: &Path) {
        self.documents.retain(|url, document| {
            document.open
                || url
                    .to_file_path()
                    .is_ok_and(|path| !path.starts_with(folder))
        });
        self.dirty = true;
    }

    /// Takes the file at `path` as it is on disk (unless the editor has it open), or drops it
    /// when it is gone or unreadable.
    pub fn read_from_disk(&mut self, path: &Path) {
        let Ok(url) = Url::from_file_path(path) else {
            return;
        };
        if self.documents.get(&url).is_some_and(|d| d.open) {
            return;
        }
        match std::fs::read_to_string(path) {
            Ok(text) if is_manifest(&text) => {
                self.documents.insert(url, Document { text, open: false });
            }
            _ => {
                self.documents.remove(&url);
            }
        }
        self.dirty = true;
    }

    pub fn open(&mut self, url: Url, text: String) {
        self.documents.insert(url, Document { text, open: true });
        self.dirty = true;
    }

    /// Applies one content change (a range and its new text, or the whole text) to an open
    /// document.
    pub fn change(&mut self, url: &Url, range: Option<lsp_types::Range>, new_text: &str) {
        let Some(document) = self.documents.get_mut(url) else {
            return;
        };
        match range {
            None => document.text = new_text.to_string(),
            Some(range) => {
                let positions = Positions::new(&document.text, self.encoding);
                let start = positions.offset(&document.text, range.start);
                let end = positions.offset(&document.text, range.end).max(start);
                document.text.replace_range(start..end, new_text);
            }
        }
        self.dirty = true;
    }

    /// The editor closed `url`: the file on disk counts again (or nothing, if it is not there).
    pub fn close(&mut self, url: &Url) {
        if let Some(document) = self.documents.get_mut(url) {
            document.open = false;
        }
        match url.to_file_path() {
            Ok(path) => self.read_from_disk(&path),
            Err(()) => {
                self.documents.remove(url);
            }
        }
        self.dirty = true;
    }

    pub fn set_settings(&mut self, settings: Settings) {
        if settings != self.settings {
            self.settings = settings;
            self.dirty = true;
        }
    }

    /// The analysis of the workspace as it is now, re-run only when something changed.
    pub fn analysed(&mut self) -> &Analysed {
        if self.dirty || self.analysed.is_none() {
            self.analyse();
        }
        self.analysed.as_ref().expect("analysed above")
    }

    /// Whether the workspace changed since the last analysis.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    fn analyse(&mut self) {
        let mut sources = Sources::new();
        let mut urls = Vec::new();
        for (url, document) in &self.documents {
            if document.open || is_manifest(&document.text) {
                sources.add(url.to_string(), document.text.clone());
                urls.push(url.clone());
            }
        }
        let settings = self.settings.mesh.clone();
        let analysis = match self.analysed.take() {
            Some(mut previous) => {
                reanalyze_cached(&mut previous.analysis, sources, settings, &mut self.cache);
                previous.analysis
            }
            None => analyze_cached(sources, settings, &mut self.cache),
        };
        let positions = analysis
            .mesh
            .sources
            .iter()
            .map(|(_, source)| Positions::new(&source.text, self.encoding))
            .collect();
        self.analysed = Some(Analysed {
            analysis,
            urls,
            positions,
        });
        self.dirty = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_istio_and_gateway_api_files_count_as_mesh_files() {
        assert!(holds_mesh_resources("apiVersion: networking.istio.io/v1\n"));
        assert!(holds_mesh_resources(
            "apiVersion: gateway.networking.k8s.io/v1\n"
        ));
        assert!(holds_mesh_resources("apiVersion: security.istio.io/v1\n"));
        assert!(!holds_mesh_resources("apiVersion: v1\nkind: Service\n"));
        assert!(is_manifest("apiVersion: v1\nkind: Service\n"));
        assert!(!is_manifest("on: push\njobs: {}\n"));
    }

    #[test]
    fn a_folder_is_read_as_git_sees_it() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        let manifest = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\n";
        write("kept.yaml", manifest);
        write("nested/kept.yml", manifest);
        write("ignored/gone.yaml", manifest);
        write(".gitignore", "ignored/\n");
        write("workflow.yaml", "on: push\n");
        write("notes.txt", manifest);
        let mut workspace = Workspace::new(Encoding::Utf16, Settings::default());
        workspace.add_folder(dir.path());
        let names: Vec<String> = workspace
            .analysed()
            .urls
            .iter()
            .map(|url| {
                url.path()
                    .rsplit_once(dir.path().to_str().unwrap())
                    .unwrap()
                    .1
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["/kept.yaml", "/nested/kept.yml"]);
    }
}
