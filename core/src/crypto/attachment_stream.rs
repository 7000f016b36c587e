//! The attachment file format: a short header, then the plaintext in 64 KiB chunks, each sealed
//! with AES-256-GCM. Memory stays at one chunk whatever the file size.
//!
//! ```text
//! header  = "HLA" 0x01 ‖ file_id (16 bytes)                  bound into every tag as AAD
//! chunk i = AES-256-GCM(key, nonce_i, aad = header, plaintext_i) ‖ tag (16 bytes)
//! nonce_i = 0x000000 ‖ last (0x00 | 0x01) ‖ i as u64 big-endian
//! key     = HKDF-SHA256(salt = per-file salt, ikm = store master key,
//!                       info = "healthlocker attachment v1" ‖ file_id)
//! ```
//! The chunk index in the nonce catches reordered and swapped chunks; the last-chunk flag catches
//! a file truncated on a chunk boundary; the file id catches a file swapped for another one. The
//! per-file salt lives only in the encrypted database, so deleting the row crypto-erases the file.
//! An empty attachment is one empty chunk with its tag.

use ring::aead::{self, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf;
use std::io::{self, Read, Write};

/// Plaintext bytes per chunk.
pub const CHUNK_LEN: usize = 64 * 1024;
/// Bytes of GCM tag after each chunk.
pub const TAG_LEN: usize = 16;
/// Bytes of header before the first chunk.
pub const HEADER_LEN: usize = 4 + 16;
const MAGIC: [u8; 4] = *b"HLA\x01";
const INFO: &[u8] = b"healthlocker attachment v1";

/// The error a stream reports through `io::Error` when authentication fails; the store turns it
/// into [`crate::Error::Tampered`].
#[derive(Debug)]
pub struct TamperedStream;

impl std::fmt::Display for TamperedStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("attachment failed authentication")
    }
}
impl std::error::Error for TamperedStream {}

fn tampered() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, TamperedStream)
}

/// Whether an `io::Error` came from a failed authentication.
pub fn is_tampered(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<TamperedStream>())
}

/// The key and identity of one attachment file.
pub struct FileKey {
    key: LessSafeKey,
    header: [u8; HEADER_LEN],
}

impl FileKey {
    /// Derives the file's key from the store's master key and the file's own salt.
    pub fn derive(master: &[u8; 32], salt: &[u8; 32], file_id: &[u8; 16]) -> FileKey {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(master);
        let info = [INFO, file_id.as_slice()];
        let okm = prk.expand(&info, &AES_256_GCM).expect("32 bytes is a valid HKDF-SHA256 output length");
        let key = LessSafeKey::new(UnboundKey::from(okm));
        let mut header = [0u8; HEADER_LEN];
        header[..4].copy_from_slice(&MAGIC);
        header[4..].copy_from_slice(file_id);
        FileKey { key, header }
    }

    fn nonce(index: u64, last: bool) -> Nonce {
        let mut n = [0u8; aead::NONCE_LEN];
        n[3] = last as u8;
        n[4..].copy_from_slice(&index.to_be_bytes());
        Nonce::assume_unique_for_key(n)
    }
}

/// Size on disk of an attachment of `plain_len` bytes.
pub fn sealed_len(plain_len: u64) -> u64 {
    let chunks = plain_len.div_ceil(CHUNK_LEN as u64).max(1);
    HEADER_LEN as u64 + plain_len + chunks * TAG_LEN as u64
}

/// Where sealed chunks go. Takes a filled buffer, gives back an empty one to fill next, so a
/// chunk is sealed in the very buffer that gets written: no copy between crypto and I/O.
pub trait ChunkSink {
    fn put(&mut self, chunk: Vec<u8>) -> io::Result<Vec<u8>>;
}

/// Where sealed chunks come from: exactly `len` bytes (fewer only at the end of the file).
pub trait ChunkSource {
    fn take(&mut self, len: usize) -> io::Result<Vec<u8>>;
    /// A buffer the reader is done with, for reuse.
    fn give_back(&mut self, _spent: Vec<u8>) {}
}

/// Any writer as a sink, any reader as a source: one chunk at a time, on the caller's thread.
pub struct Direct<T>(pub T);

impl<W: Write> ChunkSink for Direct<W> {
    fn put(&mut self, mut chunk: Vec<u8>) -> io::Result<Vec<u8>> {
        self.0.write_all(&chunk)?;
        chunk.clear();
        Ok(chunk)
    }
}

impl<R: Read> ChunkSource for Direct<R> {
    fn take(&mut self, len: usize) -> io::Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(len);
        (&mut self.0).take(len as u64).read_to_end(&mut buf)?;
        Ok(buf)
    }
}

/// Seals a stream of plaintext into the attachment format. Call [`Sealer::finish`]: a sealer
/// dropped without it leaves a file that fails authentication, never one that passes short.
pub struct Sealer<S: ChunkSink> {
    sink: S,
    key: FileKey,
    buf: Vec<u8>,
    index: u64,
    plain_len: u64,
}

impl<S: ChunkSink> Sealer<S> {
    pub fn new(mut sink: S, key: FileKey) -> io::Result<Self> {
        let mut buf = sink.put(key.header.to_vec())?;
        buf.reserve(CHUNK_LEN + TAG_LEN);
        Ok(Sealer { sink, key, buf, index: 0, plain_len: 0 })
    }

    fn seal_chunk(&mut self, last: bool) -> io::Result<()> {
        let nonce = FileKey::nonce(self.index, last);
        let tag = self
            .key
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(&self.key.header), &mut self.buf)
            .map_err(|_| io::Error::other("sealing failed"))?;
        self.buf.extend_from_slice(tag.as_ref());
        self.buf = self.sink.put(std::mem::take(&mut self.buf))?;
        self.buf.clear();
        self.buf.reserve(CHUNK_LEN + TAG_LEN);
        self.index += 1;
        Ok(())
    }

    /// Seals all of `from`, read straight into the chunk buffer: one copy of each byte fewer
    /// than writing it through [`Write`] from a buffer of the caller's. Returns the bytes read.
    pub fn read_from(&mut self, from: &mut dyn Read) -> io::Result<u64> {
        let mut total = 0u64;
        loop {
            if self.buf.len() == CHUNK_LEN {
                // A full chunk is sealed only once more data is known to follow (the last chunk
                // is sealed as such): one byte read ahead tells.
                let mut probe = [0u8; 1];
                let n = loop {
                    match from.read(&mut probe) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other?,
                    }
                };
                if n == 0 {
                    return Ok(total);
                }
                self.seal_chunk(false)?;
                self.buf.push(probe[0]);
                self.plain_len += 1;
                total += 1;
            }
            let room = (CHUNK_LEN - self.buf.len()) as u64;
            let n = from.take(room).read_to_end(&mut self.buf)? as u64;
            self.plain_len += n;
            total += n;
            if n < room {
                return Ok(total);
            }
        }
    }

    /// Seals the final chunk; returns the sink and the number of plaintext bytes written.
    pub fn finish(mut self) -> io::Result<(S, u64)> {
        self.seal_chunk(true)?;
        Ok((self.sink, self.plain_len))
    }
}

impl<S: ChunkSink> Write for Sealer<S> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        // A full chunk is sealed only once more data arrives, so the last chunk is known.
        if self.buf.len() == CHUNK_LEN {
            self.seal_chunk(false)?;
        }
        let take = (CHUNK_LEN - self.buf.len()).min(data.len());
        self.buf.extend_from_slice(&data[..take]);
        self.plain_len += take as u64;
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Opens a sealed stream, verifying every chunk before handing out a byte of it.
pub struct Opener<S: ChunkSource> {
    source: S,
    key: FileKey,
    buf: Vec<u8>,
    pos: usize,
    index: u64,
    chunks: u64,
    last_len: usize,
}

impl<S: ChunkSource> Opener<S> {
    /// `sealed_len` is the length of the whole file (header included), from its metadata.
    pub fn new(mut source: S, key: FileKey, sealed_len: u64) -> io::Result<Self> {
        let body = sealed_len.checked_sub(HEADER_LEN as u64).ok_or_else(tampered)?;
        let full = (CHUNK_LEN + TAG_LEN) as u64;
        let (chunks, last_len) = match body % full {
            0 if body == 0 => return Err(tampered()),
            0 => (body / full, CHUNK_LEN),
            r if r < TAG_LEN as u64 => return Err(tampered()),
            r => (body / full + 1, (r - TAG_LEN as u64) as usize),
        };
        let header = source.take(HEADER_LEN)?;
        if header != key.header {
            return Err(tampered());
        }
        source.give_back(header);
        Ok(Opener { source, key, buf: Vec::new(), pos: 0, index: 0, chunks, last_len })
    }

    fn open_next(&mut self) -> io::Result<bool> {
        if self.index == self.chunks {
            return Ok(false);
        }
        let last = self.index + 1 == self.chunks;
        let len = if last { self.last_len } else { CHUNK_LEN } + TAG_LEN;
        let spent = std::mem::replace(&mut self.buf, self.source.take(len)?);
        self.source.give_back(spent);
        if self.buf.len() != len {
            return Err(tampered());
        }
        let nonce = FileKey::nonce(self.index, last);
        let plain_len = self
            .key
            .key
            .open_in_place(nonce, Aad::from(&self.key.header), &mut self.buf)
            .map_err(|_| tampered())?
            .len();
        self.buf.truncate(plain_len);
        self.pos = 0;
        self.index += 1;
        // Anything after the last chunk was appended by someone else.
        if last && !self.source.take(1)?.is_empty() {
            return Err(tampered());
        }
        Ok(true)
    }
}

/// Each authenticated chunk handed out where it lies: a reader that writes it on (`save_to`)
/// copies it once less than through [`Read`].
impl<S: ChunkSource> io::BufRead for Opener<S> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.buf.len() {
            if !self.open_next()? {
                break;
            }
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}

impl<S: ChunkSource> Read for Opener<S> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            if !self.open_next()? {
                return Ok(0);
            }
        }
        let n = (self.buf.len() - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: u8) -> FileKey {
        FileKey::derive(&[7; 32], &[9; 32], &[id; 16])
    }

    fn seal(data: &[u8]) -> Vec<u8> {
        let mut s = Sealer::new(Direct(Vec::new()), key(1)).unwrap();
        // Odd-sized writes, so chunk boundaries never line up with write boundaries.
        for piece in data.chunks(10_007) {
            s.write_all(piece).unwrap();
        }
        let (Direct(out), n) = s.finish().unwrap();
        assert_eq!(n, data.len() as u64);
        assert_eq!(out.len() as u64, sealed_len(data.len() as u64));
        out
    }

    fn open(sealed: &[u8], k: FileKey) -> io::Result<Vec<u8>> {
        let mut o = Opener::new(Direct(sealed), k, sealed.len() as u64)?;
        let mut out = Vec::new();
        o.read_to_end(&mut out)?;
        Ok(out)
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn round_trips_at_every_interesting_size() {
        for n in [0, 1, CHUNK_LEN - 1, CHUNK_LEN, CHUNK_LEN + 1, 3 * CHUNK_LEN, 3 * CHUNK_LEN + 77] {
            let d = data(n);
            assert_eq!(open(&seal(&d), key(1)).unwrap(), d, "size {n}");
        }
    }

    /// A reader that hands out at most `step` bytes per read, as a socket does.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn sealing_read_straight_from_a_reader_writes_the_very_bytes_writing_does() {
        for n in [0, 1, CHUNK_LEN - 1, CHUNK_LEN, CHUNK_LEN + 1, 3 * CHUNK_LEN, 3 * CHUNK_LEN + 77] {
            let d = data(n);
            for step in [1 << 20, 4093, 1] {
                if step == 1 && n > CHUNK_LEN + 1 {
                    continue;
                }
                let mut s = Sealer::new(Direct(Vec::new()), key(1)).unwrap();
                assert_eq!(s.read_from(&mut Trickle(&d, step)).unwrap(), n as u64);
                let (Direct(out), len) = s.finish().unwrap();
                assert_eq!(len, n as u64);
                assert_eq!(out, seal(&d), "size {n}, reads of {step}");
            }
        }
    }

    #[test]
    fn a_flipped_byte_anywhere_is_tampering() {
        let sealed = seal(&data(2 * CHUNK_LEN + 10));
        for at in [0, 5, HEADER_LEN, HEADER_LEN + CHUNK_LEN + 3, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[at] ^= 0x01;
            let e = open(&bad, key(1)).unwrap_err();
            assert!(is_tampered(&e), "flip at {at}");
        }
    }

    #[test]
    fn truncation_is_tampering_even_on_a_chunk_boundary() {
        let sealed = seal(&data(3 * CHUNK_LEN));
        for cut in [1, TAG_LEN, CHUNK_LEN + TAG_LEN, 2 * (CHUNK_LEN + TAG_LEN)] {
            let short = &sealed[..sealed.len() - cut];
            assert!(is_tampered(&open(short, key(1)).unwrap_err()), "cut {cut}");
        }
        assert!(is_tampered(&open(&sealed[..HEADER_LEN], key(1)).unwrap_err()));
    }

    #[test]
    fn reordered_or_swapped_chunks_are_tampering() {
        let sealed = seal(&data(3 * CHUNK_LEN + 5));
        let c = CHUNK_LEN + TAG_LEN;
        let mut swapped = sealed.clone();
        let (a, b) = (HEADER_LEN, HEADER_LEN + c);
        let first: Vec<u8> = swapped[a..a + c].to_vec();
        swapped.copy_within(b..b + c, a);
        swapped[b..b + c].copy_from_slice(&first);
        assert!(is_tampered(&open(&swapped, key(1)).unwrap_err()));
    }

    #[test]
    fn appended_bytes_and_another_files_key_are_tampering() {
        let mut sealed = seal(&data(100));
        assert!(is_tampered(&open(&sealed, key(2)).unwrap_err()));
        sealed.extend_from_slice(&[0; TAG_LEN + 1]);
        assert!(is_tampered(&open(&sealed, key(1)).unwrap_err()));
    }
}
