//! Overlaps attachment file I/O with the crypto: a thread reads chunks ahead of the decryption,
//! or writes them behind the encryption. Buffers change hands through bounded channels rather
//! than being copied, and come back for reuse, so memory stays at a few chunks whatever the
//! file size. On a phone, where flash and AES run at similar speeds, this turns "read, then
//! decrypt" into both at once.

use crate::crypto::attachment_stream::{ChunkSink, ChunkSource};
use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

/// Reads `inner` on its own thread: first `first` bytes, then `block` bytes at a time, up to
/// `depth` blocks ahead. Sized to the attachment format, every block is exactly one chunk.
pub(crate) struct ReadAhead {
    blocks: Receiver<io::Result<Vec<u8>>>,
    spent: SyncSender<Vec<u8>>,
}

fn fill(inner: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match inner.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl ReadAhead {
    pub(crate) fn new<R: Read + Send + 'static>(
        mut inner: R,
        first: usize,
        block: usize,
        depth: usize,
    ) -> io::Result<Self> {
        let (tx, blocks) = sync_channel::<io::Result<Vec<u8>>>(depth);
        let (spent, recycled) = sync_channel::<Vec<u8>>(depth + 2);
        thread::Builder::new().name("attachment-read".into()).spawn(move || {
            let mut size = first;
            loop {
                let mut buf = recycled.try_recv().unwrap_or_default();
                buf.resize(size, 0);
                size = block;
                match fill(&mut inner, &mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        buf.truncate(n);
                        // The reader was dropped: stop reading.
                        if tx.send(Ok(buf)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        })?;
        Ok(ReadAhead { blocks, spent })
    }
}

impl ChunkSource for ReadAhead {
    /// The next block; the caller checks it has the length it expected.
    fn take(&mut self, _len: usize) -> io::Result<Vec<u8>> {
        match self.blocks.recv() {
            Ok(block) => block,
            // The file ended and the worker is done.
            Err(_) => Ok(Vec::new()),
        }
    }

    fn give_back(&mut self, spent: Vec<u8>) {
        let _ = self.spent.try_send(spent);
    }
}

/// Writes every byte of `blocks`, in order, in as few calls as `inner` allows.
fn write_all_vectored(inner: &mut dyn Write, blocks: &[Vec<u8>]) -> io::Result<()> {
    let mut slices: Vec<io::IoSlice<'_>> = blocks.iter().map(|b| io::IoSlice::new(b)).collect();
    let mut rest = &mut slices[..];
    // Drops leading empty blocks, so a write of nothing at all is not taken for a full disk.
    io::IoSlice::advance_slices(&mut rest, 0);
    while !rest.is_empty() {
        match inner.write_vectored(rest) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => io::IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes blocks to `inner` on its own thread, up to `depth` behind. [`WriteBehind::finish`]
/// waits for every byte to be written and returns `inner`.
pub(crate) struct WriteBehind<W> {
    tx: Option<SyncSender<Vec<u8>>>,
    recycled: Receiver<Vec<u8>>,
    block: usize,
    worker: Option<thread::JoinHandle<io::Result<W>>>,
}

impl<W: Write + Send + 'static> WriteBehind<W> {
    pub(crate) fn new(mut inner: W, block: usize, depth: usize) -> io::Result<Self> {
        let (tx, rx) = sync_channel::<Vec<u8>>(depth);
        let (spent, recycled) = sync_channel::<Vec<u8>>(depth + 2);
        let worker = thread::Builder::new().name("attachment-write".into()).spawn(move || {
            // Whatever has queued up goes down in one vectored write: fewer, larger writes
            // are what the page cache takes fastest.
            let mut batch: Vec<Vec<u8>> = Vec::with_capacity(depth + 1);
            while let Ok(first) = rx.recv() {
                batch.push(first);
                while batch.len() <= depth {
                    match rx.try_recv() {
                        Ok(b) => batch.push(b),
                        Err(_) => break,
                    }
                }
                write_all_vectored(&mut inner, &batch)?;
                for b in batch.drain(..) {
                    let _ = spent.try_send(b);
                }
            }
            inner.flush()?;
            Ok(inner)
        })?;
        Ok(WriteBehind { tx: Some(tx), recycled, block, worker: Some(worker) })
    }

    fn join(&mut self) -> io::Result<W> {
        self.tx = None;
        match self.worker.take().map(|w| w.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(io::Error::other("the attachment writer panicked")),
            None => Err(io::Error::other("the attachment writer already stopped")),
        }
    }

    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.join()
    }
}

impl<W: Write + Send + 'static> ChunkSink for WriteBehind<W> {
    fn put(&mut self, chunk: Vec<u8>) -> io::Result<Vec<u8>> {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(chunk).is_ok());
        if !sent {
            // The worker stopped early: its own error says why.
            return Err(self.join().err().unwrap_or_else(|| io::Error::other("the attachment writer stopped")));
        }
        // The contract is an *empty* buffer: a recycled one still holds what was written from it
        // (once, the file header, which then leaked into the first chunk's plaintext).
        let mut spare = self.recycled.try_recv().unwrap_or_else(|_| Vec::with_capacity(self.block));
        spare.clear();
        Ok(spare)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_buffer_given_back_is_empty_even_when_recycled() {
        let mut w = WriteBehind::new(Vec::new(), 64, 2).unwrap();
        for i in 0..2000u32 {
            let spare = w.put(vec![i as u8; 20]).unwrap();
            assert!(spare.is_empty(), "put {i} gave back {} stale bytes", spare.len());
            if i % 50 == 0 {
                // Let the worker catch up so that recycled buffers come back.
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        assert_eq!(w.finish().unwrap().len(), 2000 * 20);
    }

    #[test]
    fn blocks_pass_through_both_ways_unchanged_in_order() {
        let data: Vec<u8> = (0..1_000_003u32).map(|i| (i % 253) as u8).collect();
        let mut w = WriteBehind::new(Vec::new(), 4096, 3).unwrap();
        let mut spare = Vec::new();
        for piece in data.chunks(4096) {
            spare.clear();
            spare.extend_from_slice(piece);
            spare = w.put(std::mem::take(&mut spare)).unwrap();
        }
        let written = w.finish().unwrap();
        assert_eq!(written, data);
        let mut r = ReadAhead::new(io::Cursor::new(written), 3, 5000, 2).unwrap();
        let mut back = r.take(3).unwrap();
        assert_eq!(back.len(), 3);
        loop {
            let b = r.take(5000).unwrap();
            if b.is_empty() {
                break;
            }
            back.extend_from_slice(&b);
            r.give_back(b);
        }
        assert_eq!(back, data);
    }

    /// Takes at most 7 bytes a call, so a vectored write must go on where the last one stopped,
    /// even in the middle of a block.
    struct Trickle(Vec<u8>);
    impl Write for Trickle {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            let n = b.len().min(7);
            self.0.extend_from_slice(&b[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn short_writes_lose_and_repeat_nothing() {
        let data: Vec<u8> = (0..100_003u32).map(|i| (i % 251) as u8).collect();
        let mut w = WriteBehind::new(Trickle(Vec::new()), 1000, 4).unwrap();
        for piece in data.chunks(1000) {
            let mut spare = w.put(piece.to_vec()).unwrap();
            spare.clear();
        }
        assert_eq!(w.finish().unwrap().0, data);
    }

    #[derive(Debug)]
    struct Failing;
    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::PermissionDenied, "denied"))
        }
    }

    #[test]
    fn errors_on_the_worker_reach_the_caller() {
        let mut w = WriteBehind::new(Failing, 16, 1).unwrap();
        let mut err = None;
        for _ in 0..10 {
            if let Err(e) = w.put(vec![0; 16]) {
                err = Some(e);
                break;
            }
        }
        let e = match err {
            Some(e) => e,
            None => w.finish().unwrap_err(),
        };
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
        let e = ReadAhead::new(Failing, 4, 16, 1).unwrap().take(4).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
    }
}
