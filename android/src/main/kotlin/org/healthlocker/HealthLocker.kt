package org.healthlocker

import java.io.Closeable
import java.io.File
import java.io.InputStream
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/**
 * healthlocker for Kotlin: one encrypted store of a family's health records, usable with no network.
 *
 * A thin facade over the generated bindings ([Locker]): Kotlin types ([File], [InputStream], [Sequence]),
 * [Closeable], and keys from a [KeyProvider]. Everything it does is a call into the Rust core; failures are
 * [LockerException] subclasses (`WrongKey`, `Corrupt`, `Duplicate`, `Tampered`, …) whose messages never carry
 * personal data. Local calls are plain and quick enough to make from a background thread or `Dispatchers.IO`;
 * network work (ABHA enrolment) is `suspend` and moves itself off the caller's thread, so it may be called from the
 * main thread. A [Backbone] (one per app, e.g. `Backbone(sandboxConfig(url))`) says where ABDM's backbone is.
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

    // ABHA enrolment, online: the citizen's own phone, one call per step. Read [Enrolment.state] to know the next
    // step, also after a restart: OTP_SENT → verifyOtp; MOBILE_UNVERIFIED → requestMobileOtp; MOBILE_OTP_SENT →
    // verifyMobileOtp; ADDRESS_PENDING → addressSuggestions/createAddress; ADDRESS_CREATED → finish.

    /**
     * Starts an enrolment with the citizen's Aadhaar number (sealed at once, never stored in the clear) and mobile, and
     * sends the Aadhaar OTP. [relation] is the new profile's relation to the owner (`self` for the owner).
     */
    suspend fun enrolOnlineStart(backbone: Backbone, aadhaar: String, mobile: String, relation: String = "self"): Enrolment =
        network { locker.enrolOnlineStart(backbone, aadhaar, mobile, relation) }

    /** Sends the Aadhaar OTP again (also after [LockerException.TransactionExpired] or [LockerException.OtpLocked]). */
    suspend fun enrolOnlineRequestOtp(backbone: Backbone, enrolmentId: String): Enrolment =
        network { locker.enrolOnlineRequestOtp(backbone, enrolmentId) }

    /** Enrols with the Aadhaar OTP; a wrong one raises [LockerException.WrongOtp] with the attempts left. */
    suspend fun enrolOnlineVerifyOtp(backbone: Backbone, enrolmentId: String, otp: String): Enrolment =
        network { locker.enrolOnlineVerifyOtp(backbone, enrolmentId, otp) }

    /** Sends an OTP to the mobile the citizen gave (when it is not the Aadhaar-linked one). */
    suspend fun enrolOnlineRequestMobileOtp(backbone: Backbone, enrolmentId: String): Enrolment =
        network { locker.enrolOnlineRequestMobileOtp(backbone, enrolmentId) }

    suspend fun enrolOnlineVerifyMobileOtp(backbone: Backbone, enrolmentId: String, otp: String): Enrolment =
        network { locker.enrolOnlineVerifyMobileOtp(backbone, enrolmentId, otp) }

    /** Free ABHA addresses (the part before the `@`) the backbone suggests. */
    suspend fun enrolOnlineAddressSuggestions(backbone: Backbone, enrolmentId: String): List<String> =
        network { locker.enrolOnlineAddressSuggestions(backbone, enrolmentId) }

    /** Creates the chosen address; check it first with [validateAbhaAddressForCreation]. */
    suspend fun enrolOnlineCreateAddress(backbone: Backbone, enrolmentId: String, address: String): Enrolment =
        network { locker.enrolOnlineCreateAddress(backbone, enrolmentId, address) }

    /** Saves the profile with its ABHA number and address and the ABHA card (PNG) as its attachment. */
    suspend fun enrolOnlineFinish(backbone: Backbone, enrolmentId: String): Profile =
        network { locker.enrolOnlineFinish(backbone, enrolmentId) }

    // ABHA enrolment, assisted: a field worker captures citizens with no network; the queue is submitted later.

    /** Fetches and keeps the backbone's sealing key; capture needs it once, before going offline. */
    suspend fun refreshBackboneKey(backbone: Backbone) = network { locker.refreshBackboneKey(backbone) }

    /** Starts a worker's session; citizens' details stay at most [retentionDays] (1–90, default 7) on the device. */
    fun startWorkerSession(workerId: String, deviceId: String, retentionDays: Int? = null): WorkerSession =
        locker.startWorkerSession(workerId, deviceId, retentionDays?.toUInt())

    fun endWorkerSession(sessionId: String) = locker.endWorkerSession(sessionId)

    fun workerSession(sessionId: String): WorkerSession = locker.workerSession(sessionId)

    /** Captures one citizen into the queue, no network needed; the Aadhaar number is sealed before this returns. */
    fun captureEnrolment(sessionId: String, details: CitizenDetails, aadhaar: String, consent: ConsentCapture): Enrolment =
        locker.captureEnrolment(sessionId, details, aadhaar, consent)

    /** Corrects a queued or rejected enrolment; it is queued again. */
    fun correctEnrolment(enrolmentId: String, details: CitizenDetails? = null, aadhaar: String? = null): Enrolment =
        locker.correctEnrolment(enrolmentId, details, aadhaar)

    /** Submits the queue (of one session, or all); what the network failed stays queued for the next try. */
    suspend fun submitEnrolments(backbone: Backbone, sessionId: String? = null): SubmitReport =
        network { locker.submitEnrolments(backbone, sessionId) }

    fun enrolment(id: String): Enrolment = locker.enrolment(id)

    /** Enrolments, oldest first: of one session, and only those still holding details when [pendingOnly]. */
    fun enrolments(sessionId: String? = null, pendingOnly: Boolean = false): List<Enrolment> =
        locker.enrolments(EnrolmentFilter(sessionId = sessionId, pendingOnly = pendingOnly))

    /** The ABHA card (PNG) of a submitted enrolment. */
    suspend fun enrolmentCard(backbone: Backbone, enrolmentId: String): ByteArray =
        network { locker.enrolmentCard(backbone, enrolmentId) }

    /** The ABHA card QR payload (JSON) of a submitted enrolment, to show with no network. */
    fun enrolmentQr(enrolmentId: String): String = locker.enrolmentQr(enrolmentId)

    /** The citizen has their ABHA: their details are erased from the device. */
    fun confirmHandover(enrolmentId: String): Enrolment = locker.confirmHandover(enrolmentId)

    /** Gives an enrolment up: its details are erased from the device at once. */
    fun cancelEnrolment(enrolmentId: String): Enrolment = locker.cancelEnrolment(enrolmentId)

    /** Erases enrolments past their retention period; returns how many. */
    fun purgeExpiredEnrolments(): Int = locker.purgeExpiredEnrolments().toInt()

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

/**
 * Runs a network call off the caller's thread: the steps also read and write the store between requests, which is
 * no work for the main thread.
 */
private suspend fun <T> network(call: suspend () -> T): T = withContext(Dispatchers.IO) { call() }

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
