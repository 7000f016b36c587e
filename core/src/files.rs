//! Files the caller names (an export, a saved attachment): written under a temporary sibling,
//! fsynced and renamed, so the destination is either the old file or the whole new one.

use crate::error::Result;
use std::fs;
use std::io::{self, BufWriter, Write};
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

/// A file written to be fsynced at the end: each time another window of bytes has gone in, the
/// kernel is asked to start writing that window to the device, so the device works while the
/// rest is still being encrypted and the final fsync waits for the last window only, not the
/// whole file. Durability is unchanged: the caller still fsyncs before it trusts the file.
pub struct EarlyWriteback {
    file: fs::File,
    written: u64,
    started: u64,
}

/// Bytes handed to the device at once: large enough for the device to stream, small enough that
/// the tail left for the final fsync is short.
const WRITEBACK_WINDOW: u64 = 8 * 1024 * 1024;

impl EarlyWriteback {
    pub fn new(file: fs::File) -> Self {
        EarlyWriteback { file, written: 0, started: 0 }
    }

    pub fn into_file(self) -> fs::File {
        self.file
    }

    fn wrote(&mut self, n: usize) -> io::Result<usize> {
        self.written += n as u64;
        if self.written - self.started >= WRITEBACK_WINDOW {
            start_writeback(&self.file, self.started, self.written - self.started);
            self.started = self.written;
        }
        Ok(n)
    }
}

impl Write for EarlyWriteback {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.wrote(n)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let n = self.file.write_vectored(bufs)?;
        self.wrote(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn start_writeback(file: &fs::File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else { return };
    // SAFETY: sync_file_range takes a descriptor and three integers and touches no memory of
    // ours; `file` owns the descriptor and keeps it open for the whole call. It only starts
    // writeback (no wait, no metadata), so a failure merely leaves the work to the final fsync
    // and is ignored.
    #[allow(unsafe_code)]
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

/// Elsewhere the final fsync does all the work.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn start_writeback(_: &fs::File, _: u64, _: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn early_writeback_writes_every_byte_once_across_several_windows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..(2 * WRITEBACK_WINDOW as usize + 12_345)).map(|i| (i % 251) as u8).collect();
        let mut w = EarlyWriteback::new(fs::File::create(&path).unwrap());
        let (mut rest, mut size, mut vectored) = (&data[..], 1usize, false);
        while !rest.is_empty() {
            // Uneven sizes, plain and vectored in turn, so windows end in the middle of a write.
            size = (size * 7919) % 400_000 + 1;
            let (piece, after) = rest.split_at(size.min(rest.len()));
            if vectored {
                let (a, b) = piece.split_at(piece.len() / 3);
                let n = w.write_vectored(&[io::IoSlice::new(a), io::IoSlice::new(b)]).unwrap();
                w.write_all(&piece[n..]).unwrap();
            } else {
                w.write_all(piece).unwrap();
            }
            (rest, vectored) = (after, !vectored);
        }
        w.into_file().sync_all().unwrap();
        assert_eq!(fs::read(&path).unwrap(), data);
    }
}
