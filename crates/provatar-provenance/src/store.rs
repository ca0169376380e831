//! The local manifest store: every signed manifest, kept by content id, so a copy whose
//! manifest was stripped (a re-encode, a remux) can be traced through its watermark — C2PA
//! manifest recovery by soft binding.

use std::path::{Path, PathBuf};

use provatar_types::ContentId;

use crate::error::{Error, Result};

/// A directory of manifest stores, one `<content id>.c2pa` file per video.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestStore {
    dir: PathBuf,
}

impl ManifestStore {
    /// Opens (and creates when missing) the store at `dir`.
    ///
    /// # Errors
    /// A directory that cannot be created.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, id: ContentId) -> PathBuf {
        self.dir.join(format!("{id}.c2pa"))
    }

    /// Keeps `manifest` (a C2PA manifest store, as signing returns it) under `id`, replacing
    /// an earlier one atomically.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn put(&self, id: ContentId, manifest: &[u8]) -> Result<PathBuf> {
        let path = self.path(id);
        let tmp = self.dir.join(format!(".{id}.c2pa.tmp"));
        std::fs::write(&tmp, manifest).map_err(Error::io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(Error::io(&path))?;
        Ok(path)
    }

    /// The manifest kept under `id`, if any.
    ///
    /// # Errors
    /// A file that exists but cannot be read.
    pub fn recover(&self, id: ContentId) -> Result<Option<Vec<u8>>> {
        let path = self.path(id);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Io { path, source: e }),
        }
    }
}
