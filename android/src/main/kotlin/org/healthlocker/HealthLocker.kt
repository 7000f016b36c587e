package org.healthlocker

import java.io.Closeable
import java.io.File
import java.io.InputStream
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/**
 * healthlocker for Kotlin: one encrypted store of a family's health records, usable with no network.
 *
 * A thin facade over the generated bindings ([Locker]), shaped like them: a client per domain, each method one
 * delegation: [profiles], [records], [attachments], [enrolment], [outbox], [consent], [share], [counter]. What it
 * adds: Kotlin types ([File], [InputStream], [Sequence]), [Closeable], and keys from a [KeyProvider]. Everything it
 * does is a call into the Rust core; failures are [LockerException] subclasses (`WrongKey`, `Corrupt`, `Duplicate`,
 * `Tampered`, `QrRefused`, …) whose messages never carry personal data. Local calls are plain and quick enough to make
 * from a background thread or `Dispatchers.IO`; network work (ABHA enrolment, the outbox's drain, consent's refresh,
 * the QR key's certificate, the counter's trust list) is `suspend` and moves itself off the caller's thread, so it may
 * be called from the main thread. A [Backbone] (one per app, e.g.
 * `Backbone(backbonePreset(Preset.AbdmSandbox, clientId, ClientSecret(secret)))`) says where ABDM's backbone is and
 * who the app is to it.
 *
 * Safe to share between threads: calls into the store run one at a time.
 */
class HealthLocker private constructor(private val locker: Locker) : Closeable {
    companion object {
        /** Creates a new store in [dir] keyed from [keys]. A directory holding any part of a store is `StoreExists`. */
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

    /** The owner and family members. */
    val profiles = HealthLockerProfiles(locker.profiles())

    /** ABDM FHIR document bundles. */
    val records = HealthLockerRecords(locker.records())

    /** Scans, PDFs, images: streamed, never whole in memory. */
    val attachments = HealthLockerAttachments(locker.attachments())

    /** ABHA enrolment: online on the citizen's own phone, or assisted by a field worker with no network. */
    val enrolment = HealthLockerEnrolment(locker.enrolment())

    /** What the backbone must hear, kept until it has heard it. */
    val outbox = HealthLockerOutbox(locker.outbox())

    /** The citizen's consent: who may see which records, decided here, enforced here, online or not. */
    val consent = HealthLockerConsent(locker.consent())

    /** Scan & Share, the patient's side: a counter's code scanned, the profile sent, the token back; their own code. */
    val share = HealthLockerShare(locker.share())

    /** This device as a hospital's OPD counter: patients registered from the codes they show, tokens given, offline. */
    val counter = HealthLockerCounter(locker.counter())

    /** A facility's records linked to the citizen with the OTP it sends; links a facility made itself. */
    val links = HealthLockerLinks(locker.links())

    /** The citizen's records pulled from hospitals, encrypted to a key made here; doctors' requests answered. */
    val exchange = HealthLockerExchange(locker.exchange())

    /**
     * Everything pending with the backbone in one go (outbox, consent, links, tokens, pulls, the mailbox), within
     * [budget], telling [listener] how it goes; stops cleanly when the network goes. See [BackgroundSync].
     */
    suspend fun sync(backbone: Backbone, budget: SyncBudget = SyncBudget(), listener: (SyncProgress) -> Unit = {}): SyncReport =
        network {
            locker.sync(backbone, budget, object : SyncListener {
                override fun progress(progress: SyncProgress) = listener(progress)
            })
        }

    // Integrity and keys.

    /** What opening the store did that the user should hear of (a key check file written again, …). */
    fun notices(): List<OpenNotice> = locker.notices()

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
     * Closes the store and releases it for the next open; later calls, through any of the domain clients too, raise
     * [LockerException.Closed]. (The small native handles themselves are freed when these objects are collected.)
     */
    override fun close() = locker.closeStore()
}

/** The owner and family members: `locker.profiles`. */
class HealthLockerProfiles internal constructor(private val profiles: Profiles) {
    fun add(profile: NewProfile): Profile = profiles.add(profile)

    fun get(id: String): Profile = profiles.get(id)

    /** The owner first, then family members in the order they were added. */
    fun list(): List<Profile> = profiles.list()

    /** Saves an edited copy, e.g. `update(p.copy(name = "…"))`. */
    fun update(profile: Profile): Profile = profiles.update(profile)

    /** Removes a person with all their records and attachments, securely. */
    fun remove(id: String) = profiles.remove(id)
}

/** ABDM FHIR document bundles: `locker.records`. */
class HealthLockerRecords internal constructor(private val records: Records) {
    /** Imports a bundle (JSON); the same bundle again raises [LockerException.Duplicate] naming the record. */
    fun import(profileId: String, bundle: ByteArray, careContext: String? = null): RecordSummary =
        records.importBundle(profileId, bundle, careContext)

    /** Imports the bundle in [bundle]. */
    fun import(profileId: String, bundle: File, careContext: String? = null): RecordSummary =
        records.importFile(profileId, bundle.path, careContext)

    /** One page, newest first; pass [RecordPage.nextCursor] back in [RecordQuery.cursor] for the next. */
    fun list(query: RecordQuery = RecordQuery()): RecordPage = records.list(query)

    /** Every record matching [query], newest first, fetched a page at a time as the sequence is walked. */
    fun all(query: RecordQuery = RecordQuery()): Sequence<RecordSummary> = sequence {
        var cursor = query.cursor
        do {
            val page = records.list(query.copy(cursor = cursor))
            yieldAll(page.records)
            cursor = page.nextCursor
        } while (cursor != null)
    }

    fun get(id: String): RecordSummary = records.get(id)

    /** The bundle exactly as it was imported, to show on this device (not recorded in the audit log). */
    fun read(id: String): ByteArray = records.read(id)

    /** The bundle exactly as it was imported, to leave the device (recorded in the audit log). */
    fun export(id: String): ByteArray = records.export(id)

    /** Writes the bundle to [to], replacing it whole; returns its length. Recorded in the audit log. */
    fun export(id: String, to: File): Long = records.exportToFile(id, to.path).toLong()

    fun delete(id: String) = records.delete(id)

    /** How many records the store holds. */
    fun count(): Long = records.count().toLong()
}

/** Scans, PDFs, images, streamed, never whole in memory: `locker.attachments`. */
class HealthLockerAttachments internal constructor(private val attachments: Attachments) {
    /** Stores what [content] yields as a new attachment; on any failure nothing is stored. */
    fun add(profileId: String, mediaType: String, content: InputStream): AttachmentInfo {
        val writer = attachments.begin(profileId, mediaType)
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

    /** Stores the file [file] as a new attachment. */
    fun add(profileId: String, mediaType: String, file: File): AttachmentInfo =
        attachments.addFile(profileId, mediaType, file.path)

    /**
     * Starts an attachment to be written piece by piece: `write`, then `finish`, or `abort` to store nothing.
     * [add] with an [InputStream] does all three.
     */
    fun begin(profileId: String, mediaType: String): AttachmentWriter = attachments.begin(profileId, mediaType)

    fun get(id: String): AttachmentInfo = attachments.get(id)

    /** A profile's attachments, newest first. */
    fun list(profileId: String): List<AttachmentInfo> = attachments.list(profileId)

    /**
     * The attachment's content. Every piece is authenticated before it is returned; a changed file raises
     * [LockerException.Tampered] (wrapped in an [java.io.IOException]) from `read`. Close it when done.
     */
    fun open(id: String): InputStream = AttachmentInputStream(attachments.open(id))

    /** Writes the attachment's verified content to [to], replacing it whole; returns its length. */
    fun save(id: String, to: File): Long = attachments.saveToFile(id, to.path).toLong()

    /** Deletes an attachment added on its own (data inline in a bundle goes with its record). */
    fun delete(id: String) = attachments.delete(id)
}

/**
 * ABHA enrolment: `locker.enrolment`.
 *
 * Online, on the citizen's own phone, one call per step. Read [Enrolment.state] to know the next step, also after a
 * restart: OTP_SENT → onlineVerifyOtp; MOBILE_UNVERIFIED → onlineRequestMobileOtp; MOBILE_OTP_SENT →
 * onlineVerifyMobileOtp; ADDRESS_PENDING → onlineAddressSuggestions/onlineCreateAddress; ADDRESS_CREATED →
 * onlineFinish. A step taken out of turn raises [LockerException.WrongStep] with the state's code (`"done"`, …).
 *
 * Assisted: a field worker captures citizens with no network; their submissions wait in the outbox and go with
 * [submit] (or `locker.outbox.drain`).
 */
class HealthLockerEnrolment internal constructor(private val enrolments: Enrolments) {
    /**
     * Starts an enrolment with the citizen's Aadhaar number (sealed at once, never stored in the clear) and mobile, and
     * sends the Aadhaar OTP. [relation] is the new profile's relation to the owner (`self` for the owner).
     */
    suspend fun onlineStart(backbone: Backbone, aadhaar: String, mobile: String, relation: String = "self"): Enrolment =
        network { enrolments.onlineStart(backbone, aadhaar, mobile, relation) }

    /** Sends the Aadhaar OTP again (also after [LockerException.TransactionExpired] or [LockerException.OtpLocked]). */
    suspend fun onlineRequestOtp(backbone: Backbone, enrolmentId: String): Enrolment =
        network { enrolments.onlineRequestOtp(backbone, enrolmentId) }

    /** Enrols with the Aadhaar OTP; a wrong one raises [LockerException.WrongOtp] with the attempts left. */
    suspend fun onlineVerifyOtp(backbone: Backbone, enrolmentId: String, otp: String): Enrolment =
        network { enrolments.onlineVerifyOtp(backbone, enrolmentId, otp) }

    /** Sends an OTP to the mobile the citizen gave (when it is not the Aadhaar-linked one). */
    suspend fun onlineRequestMobileOtp(backbone: Backbone, enrolmentId: String): Enrolment =
        network { enrolments.onlineRequestMobileOtp(backbone, enrolmentId) }

    /** Verifies the mobile with the OTP sent to it; a refused one raises [LockerException.Refused]. */
    suspend fun onlineVerifyMobileOtp(backbone: Backbone, enrolmentId: String, otp: String): Enrolment =
        network { enrolments.onlineVerifyMobileOtp(backbone, enrolmentId, otp) }

    /** Free ABHA addresses (the part before the `@`) the backbone suggests. */
    suspend fun onlineAddressSuggestions(backbone: Backbone, enrolmentId: String): List<String> =
        network { enrolments.onlineAddressSuggestions(backbone, enrolmentId) }

    /** Creates the chosen address; check it first with [validateAbhaAddressForCreation]. */
    suspend fun onlineCreateAddress(backbone: Backbone, enrolmentId: String, address: String): Enrolment =
        network { enrolments.onlineCreateAddress(backbone, enrolmentId, address) }

    /** Saves the profile with its ABHA number and address and the ABHA card (PNG) as its attachment. */
    suspend fun onlineFinish(backbone: Backbone, enrolmentId: String): Profile =
        network { enrolments.onlineFinish(backbone, enrolmentId) }

    /** Fetches and keeps the backbone's sealing key; capture needs it once, before going offline. */
    suspend fun refreshBackboneKey(backbone: Backbone) = network { enrolments.refreshBackboneKey(backbone) }

    /** Starts a worker's session; citizens' details stay at most [retentionDays] (1–90, default 7) on the device. */
    fun startSession(workerId: String, deviceId: String, retentionDays: Int? = null): WorkerSession =
        enrolments.startSession(workerId, deviceId, retentionDays?.toUInt())

    fun endSession(sessionId: String) = enrolments.endSession(sessionId)

    fun session(sessionId: String): WorkerSession = enrolments.session(sessionId)

    /**
     * Captures one citizen and queues their submission on the outbox, no network needed; the Aadhaar number is sealed
     * before this returns ([LockerException.BackboneKeyMissing] until [refreshBackboneKey] has run once).
     */
    fun capture(sessionId: String, details: CitizenDetails, aadhaar: String, consent: ConsentCapture): Enrolment =
        enrolments.capture(sessionId, details, aadhaar, consent)

    /** Corrects a queued or rejected enrolment; it is queued again. */
    fun correct(enrolmentId: String, details: CitizenDetails? = null, aadhaar: String? = null): Enrolment =
        enrolments.correct(enrolmentId, details, aadhaar)

    /**
     * Submits the queue (of one session, or all) through the outbox; what the network failed stays queued for the next
     * try, and [SubmitReport.halted] says why the submission stopped early (`offline`, …).
     */
    suspend fun submit(backbone: Backbone, sessionId: String? = null): SubmitReport =
        network { enrolments.submit(backbone, sessionId) }

    fun get(id: String): Enrolment = enrolments.get(id)

    /** Enrolments, oldest first: of one session, and only those still holding details when [pendingOnly]. */
    fun list(sessionId: String? = null, pendingOnly: Boolean = false): List<Enrolment> =
        enrolments.list(EnrolmentFilter(sessionId = sessionId, pendingOnly = pendingOnly))

    /** The ABHA card (PNG) of a submitted enrolment. */
    suspend fun card(backbone: Backbone, enrolmentId: String): ByteArray =
        network { enrolments.card(backbone, enrolmentId) }

    /** The ABHA card QR payload (JSON) of a submitted enrolment, to show with no network. */
    fun qr(enrolmentId: String): String = enrolments.qr(enrolmentId)

    /** The citizen has their ABHA: their details are erased from the device. */
    fun confirmHandover(enrolmentId: String): Enrolment = enrolments.confirmHandover(enrolmentId)

    /** Gives an enrolment up: its details are erased from the device at once. */
    fun cancel(enrolmentId: String): Enrolment = enrolments.cancel(enrolmentId)

    /** Erases enrolments past their retention period; returns how many. */
    fun purgeExpired(): Int = enrolments.purgeExpired().toInt()
}

/**
 * What the backbone must hear, kept until it has heard it: `locker.outbox`. Work done offline (an assisted
 * enrolment's submission, …) waits here; [drain] sends it when the network is back.
 */
class HealthLockerOutbox internal constructor(private val outbox: Outbox) {
    /** Counts by state and kind, the age of the oldest waiting item, each wedged item's reason. */
    fun status(): OutboxStatus = outbox.status()

    /** Every item, oldest first. Nothing personal: an item names its subject by id. */
    fun items(): List<OutboxItem> = outbox.items()

    /**
     * Sends every item that is due, a few at a time; stops at the first failure every item would meet
     * ([DrainReport.halted]: `offline`, …). Nothing is lost or sent twice.
     */
    suspend fun drain(backbone: Backbone): DrainReport = network { outbox.drain(backbone) }

    /** Sends a wedged item again, as a new request, once the user has mended what its reason said. */
    fun retry(itemId: Long): OutboxItem = outbox.retry(itemId)

    /** Gives a wedged item up; its domain settles what it was for (a refused enrolment is erased). */
    fun discard(itemId: Long) = outbox.discard(itemId)
}

/**
 * The citizen's consent: `locker.consent`.
 *
 * A HIU's request arrives with [refresh]. The citizen narrows the [proposal] and [approve]s it, or [deny]s it, with no
 * network needed: the decision applies here at once and reaches the consent manager with `locker.outbox.drain`. A
 * grant made here covers nothing until the consent manager confirms it with its signed artefact (it comes back with
 * the drain); [revoke] takes effect here at once. Every release of records asks the core's one policy first
 * ([release]): the records it permits go, the others stay, and [Released.decision] says why, record by record. Ids,
 * types and counts reach the audit log; no names and no records.
 */
class HealthLockerConsent internal constructor(private val consents: Consents) {
    /**
     * Keeps the citizen's consent-manager login ([token], their `X-AUTH-TOKEN`) for [patient], their ABHA address,
     * valid for [expiresInSeconds]. A refused or missing login raises [LockerException.SignInNeeded] (a drain halts
     * with `sign-in-needed`): sign in again and nothing is lost.
     */
    fun signIn(patient: String, token: String, expiresInSeconds: Long) =
        consents.signIn(patient, token, expiresInSeconds.toULong())

    /**
     * Pulls the requests and artefacts of every citizen signed in here, each artefact's signature checked where the
     * consent manager's scheme is known, then [sweep]s. A decision not yet heard by the consent manager keeps its
     * status here.
     */
    suspend fun refresh(backbone: Backbone): RefreshReport = network { consents.refresh(backbone) }

    /** Requests, newest first, of one [status] or all. */
    fun requests(status: ConsentStatus? = null): List<StoredRequest> = consents.requests(status)

    fun request(requestId: String): StoredRequest = consents.request(requestId)

    /** Artefacts, of one [status] or all; [Grant.verification] says whether a signature was checked. */
    fun artefacts(status: ConsentStatus? = null): List<StoredArtefact> = consents.artefacts(status)

    fun artefact(artefactId: String): StoredArtefact = consents.artefact(artefactId)

    /** The artefacts granted for a request, those the consent manager has not confirmed yet included. */
    fun artefactsOf(requestId: String): List<StoredArtefact> = consents.artefactsOf(requestId)

    /** Every status change of a request or an artefact, oldest first, and who made it ([Source]). */
    fun history(id: String): List<HistoryEntry> = consents.history(id)

    /** What was released under one artefact (or under all), newest first: records by id only. */
    fun uses(artefactId: String? = null): List<ConsentUse> = consents.uses(artefactId)

    /**
     * What approving the request as asked would grant: every type, the whole range, the erase date asked for, and
     * the visits asked for or else those of the citizen's records here that fall within it. Narrow it with `copy`.
     */
    fun proposal(requestId: String): GrantChoice = consents.proposal(requestId)

    /**
     * Approves a request with one grant per HIP, each narrowing what was asked (never widening it:
     * [LockerException.InvalidInput]). An expired or answered request raises [LockerException.WrongStep].
     */
    fun approve(requestId: String, choices: List<GrantChoice>): List<StoredArtefact> =
        consents.approve(requestId, choices)

    /** Denies a request, with an optional [reason] (at most 100 characters) for the HIU. */
    fun deny(requestId: String, reason: String? = null) = consents.deny(requestId, reason)

    /** Revokes a request's artefacts, or one artefact ([id] is either): in force here at once. */
    fun revoke(id: String): Revoked = consents.revoke(id)

    /**
     * Asks the policy whether [ask]'s records may go to its HIU; records the use and returns those it permits, byte
     * for byte as imported. The others stay; [Decision.denied] says why ([DenyReason]).
     */
    fun release(ask: ReleaseAsk): Released = consents.release(ask)

    /** Expires what time has ended and erases what was received under ended grants. */
    fun sweep(): SweepReport = consents.sweep()

    /**
     * Turns automatic approval of [patient]'s own requests (purpose `PATRQT`) from [hiu], their app's HIU id, on or
     * off: here at once, at the consent manager with the next drain.
     */
    fun setAutoApproval(patient: String, hiu: String, enabled: Boolean): AutoApproval =
        consents.setAutoApproval(patient, hiu, enabled)

    /** The citizen's auto-approval setting for [patient], if they ever made one. */
    fun autoApproval(patient: String): AutoApproval? = consents.autoApproval(patient)
}

/**
 * Scan & Share, the patient's side: `locker.share`.
 *
 * [scan] a counter's code and the profile goes to its facility through `locker.outbox.drain`: at once when online, or
 * when the network is back within five minutes (else it is dropped and [notice] says so). The facility's token comes
 * back with the drain, or later with [refresh]; a rescan while the token holds is that share again, and sends nothing.
 * [signedQr] is the patient's own code, which a counter checks with no network, once [certifyQrKey] has had this
 * device's key certified. Shares name profiles and facilities by id; their contact and code print nothing personal.
 */
class HealthLockerShare internal constructor(private val shares: Shares) {
    /**
     * Shares [profileId] (it needs its ABHA address) with the counter whose code was scanned ([facilityCode]: its link
     * or JSON). [phrUrl] is the PHR host configured ([BackboneConfig.phrUrl]), so that deployment's links are read too.
     * A bad code raises [LockerException.QrRefused] with its `code`.
     */
    fun scan(profileId: String, facilityCode: String, phrUrl: String? = null): Share =
        shares.scan(profileId, facilityCode, phrUrl)

    /** Shares, newest first, of one profile or all. */
    fun list(profileId: String? = null): List<Share> = shares.list(profileId)

    fun get(id: String): Share = shares.get(id)

    /** What the patient is told of [share] (dropped, refused), when there is something to tell. */
    fun notice(share: Share): String? = shareNotice(share)

    /** Keeps what a counter is told of [profileId] besides its ABHA details (mobile, address). */
    fun setContact(profileId: String, contact: ShareContact) = shares.setContact(profileId, contact)

    fun contact(profileId: String): ShareContact = shares.contact(profileId)

    /** Reads the tokens of shares sent and not yet answered; returns how many changed. */
    suspend fun refresh(backbone: Backbone): Int = network { shares.refresh(backbone) }.toInt()

    /**
     * Has the issuer certify this device's QR key, as [patient] (signed in with `locker.consent.signIn`); nothing is
     * asked while the certificate kept has more than a week left.
     */
    suspend fun certifyQrKey(backbone: Backbone, patient: String): QrCertification =
        network { shares.certifyQrKey(backbone, patient) }

    /** [profileId]'s signed code, made now with no network (after [certifyQrKey]). */
    fun signedQr(profileId: String): SignedQr = shares.signedQr(profileId)
}

/**
 * This device as a hospital's OPD counter: `locker.counter`.
 *
 * [open] makes it one facility's counter. [scan] registers the patient whose code was shown and gives their token, with
 * no network: a signed locker code is checked against the issuers' trust list kept ([refreshTrust], online, before
 * going offline), an ABHA card's or the PHR app's code is taken unverified. A bad code raises
 * [LockerException.QrRefused] with its `code`; what the facility must hear waits in `locker.outbox`.
 */
class HealthLockerCounter internal constructor(private val counter: Counter) {
    /** Makes this device the counter [counterId] of facility [hipId]. */
    fun open(hipId: String, counterId: String): CounterDesk = counter.open(hipId, counterId)

    /** The counter this device is, once opened. */
    fun desk(): CounterDesk? = counter.desk()

    /** The link this counter's own code shows, on the PHR host [phrUrl]. */
    fun link(phrUrl: String): String = counter.link(phrUrl)

    /**
     * Registers the patient whose [code] was scanned and gives their token; [cmId] ([BackboneConfig.cmId]) completes a
     * number-only ABHA code's address. Before any trust list, a signed code raises [LockerException.WrongStep]
     * (`no-trust-list`).
     */
    fun scan(code: String, cmId: String): CounterVisit = counter.scan(code, cmId)

    /** Tokens given on [day] (days since 1970-01-01 in India; today when absent), in order. */
    fun tokens(day: Long? = null): List<CounterToken> = counter.tokens(day)

    fun patient(id: String): CounterPatient = counter.patient(id)

    /** The version of the issuers' trust list kept, if any. */
    fun trustVersion(): Long? = counter.trustVersion()?.toLong()

    /** Fetches the issuers' trust list (kept unless older than the one kept); returns the version kept. */
    suspend fun refreshTrust(backbone: Backbone): Long = network { counter.refreshTrust(backbone) }.toLong()
}

private const val CHUNK = 256 * 1024

/**
 * Runs a network call off the caller's thread: the steps also read and write the store between requests, which is
 * no work for the main thread.
 */
internal suspend fun <T> network(call: suspend () -> T): T = withContext(Dispatchers.IO) { call() }

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
