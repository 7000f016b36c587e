//! Attachment throughput against raw AES-256-GCM, and the peak memory of streaming a large
//! attachment through a fresh process.

use super::timed;
use crate::{CliResult, Failure};
use locker_core::{DatabaseKey, Locker};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::digest::{Context, SHA256};
use std::io::{self, Read, Write};

/// The attachment format's chunk: the benches feed and read it in these.
pub use locker_core::crypto::attachment_stream::CHUNK_LEN as CHUNK;

/// `n` bytes of a cheap pseudo-random pattern, generated as read: the source of a large
/// attachment must not itself occupy memory.
pub struct Pattern {
    left: u64,
    state: u64,
}

impl Pattern {
    pub fn new(n: u64) -> Self {
        Pattern { left: n, state: 0x9e37_79b9_7f4a_7c15 }
    }
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.left as usize) / 8 * 8;
        let n = if n == 0 { buf.len().min(self.left as usize) } else { n };
        for word in buf[..n].chunks_mut(8) {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            word.copy_from_slice(&self.state.to_le_bytes()[..word.len()]);
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Raw ring AES-256-GCM over `data` in the attachment format's chunk size, MB/s.
pub fn raw_aead_mb_s(data: &[u8]) -> f64 {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7u8; 32]).expect("a 32-byte key"));
    let mut buf = vec![0u8; CHUNK];
    let (_, t) = timed(|| {
        for (i, chunk) in data.chunks(CHUNK).enumerate() {
            let b = &mut buf[..chunk.len()];
            b.copy_from_slice(chunk);
            let mut n = [0u8; 12];
            n[4..].copy_from_slice(&(i as u64).to_be_bytes());
            let tag = key
                .seal_in_place_separate_tag(Nonce::assume_unique_for_key(n), Aad::from(&[0u8; 20]), b)
                .expect("sealing in memory cannot fail");
            let _ = std::hint::black_box(tag);
        }
    });
    mb_s(data.len() as u64, t)
}

pub fn mb_s(bytes: u64, t: std::time::Duration) -> f64 {
    bytes as f64 / 1e6 / t.as_secs_f64()
}

/// A sink that hashes what it is given, so a read is checked without being kept.
pub struct HashSink(pub Context);

impl Write for HashSink {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.update(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Copies in attachment-chunk-sized pieces (`io::copy` would split every chunk eight ways).
pub fn copy(from: &mut dyn Read, to: &mut dyn Write) -> io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut n = 0;
    loop {
        let k = from.read(&mut buf)?;
        if k == 0 {
            return Ok(n);
        }
        to.write_all(&buf[..k])?;
        n += k as u64;
    }
}

/// Streams `mib` MiB in and back out of an attachment in a fresh store, checks the bytes, and
/// prints `{"peak_rss_mb": …}` from the kernel's high-water mark for this process.
pub fn child(mib: u64) -> CliResult {
    let dir = tempfile::tempdir()?;
    let locker = Locker::create(dir.path(), DatabaseKey::generate()?)?;
    let owner = locker.profiles().add(&crate::demo::sample_owner())?;
    let n = mib * 1024 * 1024;
    let mut expected = HashSink(Context::new(&SHA256));
    let mut source = Tee { inner: Pattern::new(n), copy: &mut expected };
    let a = locker.attachments().add(&owner.id, "application/dicom", &mut source)?;
    let mut got = HashSink(Context::new(&SHA256));
    let mut reader = locker.attachments().open(&a.id)?;
    let read = copy(&mut reader, &mut got).map_err(locker_core::Error::from)?;
    if read != n || got.0.finish().as_ref() != expected.0.finish().as_ref() {
        return Err(Failure::new("the attachment did not come back intact"));
    }
    println!("{}", serde_json::json!({ "peak_rss_mb": peak_rss_mb()? }));
    Ok(())
}

struct Tee<'a, R> {
    inner: R,
    copy: &'a mut HashSink,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// VmHWM: the peak resident set of this process, in MB (MiB).
pub fn peak_rss_mb() -> CliResult<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| Failure::new("no VmHWM in /proc/self/status"))?;
    Ok(kb / 1024.0)
}
