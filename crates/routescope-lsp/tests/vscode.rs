//! The VS Code extension (editors/vscode) packs into a .vsix with `@vscode/vsce`, offline,
//! from the packages `scripts/setup.sh` installs: its entry point, manifest and language
//! client inside.

use std::path::Path;
use std::process::Command;

#[test]
fn the_extension_packs_into_a_vsix_with_its_language_client() {
    let extension = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../editors/vscode");
    let vsce = extension.join("node_modules/.bin/vsce");
    assert!(
        vsce.exists(),
        "{} is missing: run scripts/setup.sh (it runs npm ci in editors/vscode)",
        vsce.display()
    );
    let checked = Command::new("node")
        .arg("--check")
        .arg(extension.join("extension.js"))
        .status()
        .expect("node runs");
    assert!(checked.success(), "extension.js does not parse");
    let out = tempfile::tempdir().unwrap();
    let vsix = out.path().join("routescope.vsix");
    let packed = Command::new(&vsce)
        .args([
            "package",
            "--allow-missing-repository",
            "--skip-license",
            "--out",
        ])
        .arg(&vsix)
        .current_dir(&extension)
        .output()
        .expect("vsce runs");
    assert!(
        packed.status.success(),
        "vsce package failed:\n{}{}",
        String::from_utf8_lossy(&packed.stdout),
        String::from_utf8_lossy(&packed.stderr)
    );
    // A .vsix is a zip, whose central directory names every entry in plain text.
    let bytes = std::fs::read(&vsix).unwrap();
    assert!(bytes.starts_with(b"PK"), "not a zip");
    let names = String::from_utf8_lossy(&bytes);
    for entry in [
        "extension/package.json",
        "extension/extension.js",
        "extension/node_modules/vscode-languageclient/node.js",
        "extension.vsixmanifest",
    ] {
        assert!(names.contains(entry), "{entry} is not in the .vsix");
    }
}
