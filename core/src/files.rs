//! Files the caller names (an export, a saved attachment): written under a temporary sibling,
//! fsynced and renamed, so the destination is either the old file or the whole new one.

use crate::error::Result;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `dest` through `fill`; on failure the temporary is removed and `dest` is untouched.
pub(crate) fn write_atomically(dest: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<u64>) -> Result<u64> {
    let mut name = dest.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    let tmp: PathBuf = dest.with_file_name(name);
    let result = (|| {
        let mut w = BufWriter::with_capacity(64 * 1024, fs::File::create(&tmp)?);
        let n = fill(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        fs::rename(&tmp, dest)?;
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
        Ok(n)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Makes a rename or unlink in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir)?.sync_all()?;
    Ok(())
}
