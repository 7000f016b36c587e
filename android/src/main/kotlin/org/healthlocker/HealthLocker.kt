package org.healthlocker

import java.io.Closeable
import java.io.File
import java.io.InputStream

/**
 * healthlocker for Kotlin: one encrypted store of a family's health records, usable with no network.
 *
 * A thin facade over the generated bindings ([Locker]): Kotlin types ([File], [InputStream], [Sequence]),
 * [Closeable], and keys from a [KeyProvider]. Everything it does is a call into the Rust core; failures are
 * [LockerException] subclasses (`WrongKey`, `Corrupt`, `Duplicate`, `Tampered`, …) whose messages never carry
 * personal data. Local calls are plain and quick enough to make from a background thread or `Dispatchers.IO`;
 * network work, as it arrives, will be `suspend`.
 *
 * Safe to share between threads: calls into the store run one at a time.
 */
class HealthLocker private constructor(private val locker: Locker) : Closeable {
    companion object {
        /** Creates a new store in [dir] keyed from [keys]. */
        @JvmStatic
        fun create(dir: File, keys: KeyProvider): HealthLocker = withKey(keys) { HealthLocker(Locker.create(dir.path, it)) }

        /** Opens the store in [dir]. A wrong key raises [LockerException.WrongKey] and changes no file. */
        @JvmStatic
        fun open(dir: File, keys: KeyProvider): HealthLocker = withKey(keys) { HealthLocker(Locker.open(dir.path, it)) }

        /** Opens the store in [dir], creating it the first time. */
        @JvmStatic
        fun openOrCreate(dir: File, keys: KeyProvider): HealthLocker =
            withKey(keys) { HealthLocker(Locker.openOrCreate(dir.path, it)) }

        private inline fun <T> withKey(keys: KeyProvider, use: (ByteArray) -> T): T {
            val key = keys.databaseKey()
            try {
                return use(key)
            } finally {
                key.fill(0)
            }
        }
    }

    // Profiles: the owner and family members.

    fun addProfile(profile: NewProfile): Profile = locker.addProfile(profile)

    fun profile(id: String): Profile = locker.profile(id)

    /** The owner first, then family members in the order they were added. */
    fun profiles(): List<Profile> = locker.profiles()

    /** Saves an edited copy, e.g. `updateProfile(p.copy(name = "…"))`. */
    fun updateProfile(profile: Profile): Profile = locker.updateProfile(profile)

    /** Removes a person with all their records and attachments, securely. */
    fun removeProfile(id: String) = locker.removeProfile(id)

    // Records: ABDM FHIR document bundles.

    fun importRecord(profileId: String, bundle: ByteArray, careContext: String? = null): RecordSummary =
        locker.importRecord(profileId, bundle, careContext)

    fun importRecord(profileId: String, bundle: File, careContext: String? = null): RecordSummary =
        locker.importRecordFile(profileId, bundle.path, careContext)

    /** One page, newest first; pass [RecordPage.nextCursor] back in [RecordQuery.cursor] for the next. */
    fun records(query: RecordQuery = RecordQuery()): RecordPage = locker.listRecords(query)

    /** Every record matching [query], newest first, fetched a page at a time as the sequence is walked. */
    fun allRecords(query: RecordQuery = RecordQuery()): Sequence<RecordSummary> = sequence {
        var cursor = query.cursor
        do {
            val page = locker.listRecords(query.copy(cursor = cursor))
            yieldAll(page.records)
            cursor = page.nextCursor
        } while (cursor != null)
    }

    fun record(id: String): RecordSummary = locker.record(id)

    /** The bundle exactly as it was imported. */
    fun exportRecord(id: String): ByteArray = locker.exportRecord(id)

    /** Writes the bundle to [to], replacing it whole; returns its length. */
    fun exportRecord(id: String, to: File): Long = locker.exportRecordToFile(id, to.path).toLong()

    fun deleteRecord(id: String) = locker.deleteRecord(id)

    // Attachments: scans, PDFs, images. Streamed, never whole in memory.

    /** Stores what [content] yields as a new attachment; on any failure nothing is stored. */
    fun addAttachment(profileId: String, mediaType: String, content: InputStream): AttachmentInfo {
        val writer = locker.beginAttachment(profileId, mediaType)
        writer.use {
            try {
                val buf = ByteArray(CHUNK)
                while (true) {
                    val n = content.read(buf)
                    if (n < 0) break
                    if (n > 0) it.write(buf.copyOf(n))
                }
                return it.finish()
            } catch (e: Throwable) {
                it.abort()
                throw e
            }
        }
    }

    fun addAttachment(profileId: String, mediaType: String, file: File): AttachmentInfo =
        locker.addAttachmentFile(profileId, mediaType, file.path)

    fun attachment(id: String): AttachmentInfo = locker.attachment(id)

    /** A profile's attachments, newest first. */
    fun attachments(profileId: String): List<AttachmentInfo> = locker.attachments(profileId)

    /**
     * The attachment's content. Every piece is authenticated before it is returned; a changed file raises
     * [LockerException.Tampered] (wrapped in an [java.io.IOException]) from `read`. Close it when done.
     */
    fun openAttachment(id: String): InputStream = AttachmentInputStream(locker.openAttachment(id))

    /** Writes the attachment's content to [to], replacing it whole; returns its length. */
    fun saveAttachment(id: String, to: File): Long = locker.saveAttachment(id, to.path).toLong()

    fun deleteAttachment(id: String) = locker.deleteAttachment(id)

    // Integrity and keys.

    /** Verifies everything; [CheckReport.problems] is empty when the store is sound. Reads the whole store. */
    fun check(): CheckReport = locker.check()

    fun verifyAudit(): AuditVerification = locker.verifyAudit()

    /** The newest [limit] audit entries, newest first. They hold actions and opaque ids, never personal data. */
    fun auditEntries(limit: Int = 100): List<AuditEntry> = locker.auditEntries(limit.toUInt())

    /**
     * Re-encrypts the store under [newKey] (which is then wiped). Interrupted at any point, the store opens with the
     * old key or the new one: keep the old key until this returns, then replace it.
     */
    fun rekey(newKey: ByteArray) {
        try {
            locker.rekey(newKey)
        } finally {
            newKey.fill(0)
        }
    }

    /**
     * Closes the store and releases it for the next open; later calls raise [LockerException.Closed]. (The small
     * native handle itself is freed when this object is collected.)
     */
    override fun close() = locker.closeStore()
}

private const val CHUNK = 256 * 1024

/** An [InputStream] over an attachment, a chunk at a time. */
private class AttachmentInputStream(private val reader: AttachmentReader) : InputStream() {
    private var chunk = ByteArray(0)
    private var pos = 0
    private var ended = false

    private fun fill(): Boolean {
        if (pos < chunk.size) return true
        if (ended) return false
        chunk = try {
            reader.read(CHUNK.toUInt())
        } catch (e: LockerException) {
            throw java.io.IOException(e.message, e)
        }
        pos = 0
        ended = chunk.isEmpty()
        return !ended
    }

    override fun read(): Int = if (fill()) chunk[pos++].toInt() and 0xff else -1

    override fun read(b: ByteArray, off: Int, len: Int): Int {
        if (len == 0) return 0
        if (!fill()) return -1
        val n = minOf(len, chunk.size - pos)
        System.arraycopy(chunk, pos, b, off, n)
        pos += n
        return n
    }

    override fun close() = reader.close()
}
