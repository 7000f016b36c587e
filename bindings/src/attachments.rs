//! Attachments, streamed: written piece by piece through an `AttachmentWriter`, read piece by
//! piece through an `AttachmentReader`, or moved whole by file path. Never whole in memory.
//! `locker.attachments()`.

use crate::error::{LockerError, run};
use locker_core::{AttachmentInfo, AttachmentUpload};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An attachment being written. `finish` stores it; `abort`, or dropping the writer, leaves
/// nothing behind.
#[derive(uniffi::Object)]
pub struct AttachmentWriter {
    locker: Arc<locker_core::Locker>,
    upload: Mutex<AttachmentUpload>,
}

#[uniffi::export]
impl AttachmentWriter {
    /// Seals the next piece of content.
    pub fn write(&self, chunk: Vec<u8>) -> Result<(), LockerError> {
        run(|| lock(&self.upload).write_chunk(&chunk))
    }

    /// Makes the attachment durable and stores it.
    pub fn finish(&self) -> Result<AttachmentInfo, LockerError> {
        run(|| self.locker.attachments().commit(&mut lock(&self.upload)))
    }

    /// Gives up; nothing is stored.
    pub fn abort(&self) {
        lock(&self.upload).abort()
    }
}

/// An attachment's content, every piece authenticated before it is handed out.
#[derive(uniffi::Object)]
pub struct AttachmentReader {
    reader: Mutex<locker_core::AttachmentReader>,
}

#[uniffi::export]
impl AttachmentReader {
    pub fn info(&self) -> AttachmentInfo {
        lock(&self.reader).info.clone()
    }

    /// The next `max_bytes` (at most 1 MiB), fewer only at the end; empty when all is read.
    /// A changed, truncated or reordered file raises `Tampered`.
    pub fn read(&self, max_bytes: u32) -> Result<Vec<u8>, LockerError> {
        run(|| lock(&self.reader).read_chunk(max_bytes as usize))
    }
}

#[derive(uniffi::Object)]
pub struct Attachments {
    pub(crate) core: Arc<locker_core::Locker>,
}

#[uniffi::export]
impl Attachments {
    /// Starts an attachment for a profile, to be written piece by piece.
    pub fn begin(&self, profile_id: String, media_type: String) -> Result<Arc<AttachmentWriter>, LockerError> {
        run(|| {
            let upload = self.core.attachments().begin(&profile_id, &media_type)?;
            Ok(Arc::new(AttachmentWriter { locker: self.core.clone(), upload: Mutex::new(upload) }))
        })
    }

    /// Stores the file at `path` as an attachment of a profile.
    pub fn add_file(
        &self,
        profile_id: String,
        media_type: String,
        path: String,
    ) -> Result<AttachmentInfo, LockerError> {
        run(|| self.core.attachments().add_file(&profile_id, &media_type, Path::new(&path)))
    }

    pub fn get(&self, id: String) -> Result<AttachmentInfo, LockerError> {
        run(|| self.core.attachments().get(&id))
    }

    /// A profile's attachments, newest first.
    pub fn list(&self, profile_id: String) -> Result<Vec<AttachmentInfo>, LockerError> {
        run(|| self.core.attachments().list(&profile_id))
    }

    pub fn open(&self, id: String) -> Result<Arc<AttachmentReader>, LockerError> {
        run(|| Ok(Arc::new(AttachmentReader { reader: Mutex::new(self.core.attachments().open(&id)?) })))
    }

    /// Writes an attachment's verified content to `path`, replaced whole; returns its length.
    pub fn save_to_file(&self, id: String, path: String) -> Result<u64, LockerError> {
        run(|| self.core.attachments().save_to(&id, Path::new(&path)))
    }

    /// Deletes an attachment added on its own (inline data goes with its record).
    pub fn delete(&self, id: String) -> Result<(), LockerError> {
        run(|| self.core.attachments().delete(&id))
    }
}
