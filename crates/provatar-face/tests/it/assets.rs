//! The shipped model files are the ones `assets/models/SOURCES.json` vouches for: a changed
//! weight file without a new provenance record fails here.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

#[test]
fn model_files_match_their_recorded_hashes() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sources: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("assets/models/SOURCES.json")).unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for (path, hash) in sources["files"].as_object().unwrap() {
        if !path.starts_with("assets/") {
            continue;
        }
        let bytes = std::fs::read(repo.join(path)).unwrap();
        let actual = Sha256::digest(&bytes)
            .iter()
            .fold(String::new(), |mut s, b| {
                use std::fmt::Write as _;
                let _ = write!(s, "{b:02x}");
                s
            });
        assert_eq!(&actual, hash.as_str().unwrap(), "{path} changed");
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} files checked");
}
