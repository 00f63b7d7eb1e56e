//! Reading the inputs named on the command line: files, directories (recursively, `*.yaml` and
//! `*.yml`) and `-` for standard input.

use std::io::Read;
use std::path::{Path, PathBuf};

use routescope_core::source::Sources;

/// An input that could not be read: the message names the file.
#[derive(Debug)]
pub struct InputError(pub String);

pub fn read_inputs(paths: &[PathBuf]) -> Result<Sources, InputError> {
    let mut sources = Sources::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|error| InputError(format!("cannot read standard input: {error}")))?;
            sources.add("-", decode(bytes, Path::new("-"))?);
        } else if path.is_dir() {
            for file in yaml_files_in(path)? {
                add_file(&mut sources, &file)?;
            }
        } else {
            add_file(&mut sources, path)?;
        }
    }
    Ok(sources)
}

fn add_file(sources: &mut Sources, path: &Path) -> Result<(), InputError> {
    let bytes = std::fs::read(path)
        .map_err(|error| InputError(format!("cannot read {}: {error}", path.display())))?;
    sources.add(path.display().to_string(), decode(bytes, path)?);
    Ok(())
}

fn decode(bytes: Vec<u8>, path: &Path) -> Result<String, InputError> {
    String::from_utf8(bytes).map_err(|error| {
        InputError(format!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            error.utf8_error().valid_up_to()
        ))
    })
}

/// The YAML files below `dir`, sorted, skipping hidden entries.
fn yaml_files_in(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current)
            .map_err(|error| InputError(format!("cannot read {}: {error}", current.display())))?;
        for entry in entries {
            let path = entry
                .map_err(|error| InputError(format!("cannot read {}: {error}", current.display())))?
                .path();
            let hidden = path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Replaces `path` with `text` atomically: a temporary file beside it is written, flushed and
/// renamed over it, so a failed run never leaves the file truncated or half-written.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{name}.routescope-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        if let Ok(metadata) = std::fs::metadata(path) {
            std::fs::set_permissions(&temporary, metadata.permissions())?;
        }
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
