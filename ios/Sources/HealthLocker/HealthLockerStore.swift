// The Swift face of one encrypted store: Swift types in (URL, Data, closures), the generated
// bindings' calls out. It converts and delegates; a decision made here would be a defect.

import Foundation

/// healthlocker for Swift: one encrypted store of a family's health records, usable with no network.
///
/// A thin facade over the generated bindings (``Locker``), shaped like them: a client per domain,
/// each method one delegation: ``profiles``, ``records``, ``attachments``, ``enrolment``,
/// ``outbox``, ``consent``, ``share``, ``counter``. What it adds: file `URL`s instead of path strings, chunked helpers for
/// attachments, and keys from a ``KeyProvider``. Everything it does is a call into the Rust core;
/// failures are ``LockerError`` (`.WrongKey`, `.Corrupt`, `.Duplicate`, `.Tampered`, …), whose
/// messages never carry personal data, or ``KeyProviderError``.
///
/// Local calls are plain and blocking: make them off the main thread, on a queue of your own.
/// Network work (ABHA enrolment, the outbox's drain, consent's refresh, the QR key's certificate,
/// the counter's trust list) is `async`; a
/// ``Backbone`` (one per app, e.g.
/// `Backbone(config: backbonePreset(preset: .abdmSandbox, clientId: id, clientSecret: ClientSecret(secret: s)))`)
/// says where ABDM's backbone is and who the app is to it. Safe to share between threads: calls
/// into the store run one at a time.
///
/// Named `HealthLockerStore`, not `HealthLocker`: the module is `HealthLocker`, and a type with
/// the module's name shadows the module, so an app could no longer write `HealthLocker.Profile`
/// to tell our `Profile` from its own. (`Locker` is taken by the generated class.)
public final class HealthLockerStore: Sendable {
    /// The largest piece ``HealthLockerAttachments/read(id:chunkSize:_:)`` can return; the core
    /// caps reads at 1 MiB.
    public static let maxChunkSize: UInt32 = 1 << 20
    /// The piece size used when none is given: the same as the Android facade's.
    public static let defaultChunkSize: UInt32 = 256 * 1024

    private let locker: Locker

    /// The owner and family members.
    public let profiles: HealthLockerProfiles
    /// ABDM FHIR document bundles.
    public let records: HealthLockerRecords
    /// Scans, PDFs, images: streamed, never whole in memory.
    public let attachments: HealthLockerAttachments
    /// ABHA enrolment: online on the citizen's own phone, or assisted by a field worker with no network.
    public let enrolment: HealthLockerEnrolment
    /// What the backbone must hear, kept until it has heard it.
    public let outbox: HealthLockerOutbox
    /// The citizen's consent: who may see which records, decided here, enforced here, online or not.
    public let consent: HealthLockerConsent
    /// Scan & Share, the patient's side: a counter's code scanned, the profile sent, the token
    /// back; their signed code.
    public let share: HealthLockerShare
    /// This device as a hospital's OPD counter: patients registered from the codes they show,
    /// tokens given, offline.
    public let counter: HealthLockerCounter
    /// A facility's records linked with the OTP it sends; links a facility made itself.
    public let links: HealthLockerLinks
    /// Records pulled from hospitals, encrypted to a key made here; doctors' requests answered.
    public let exchange: HealthLockerExchange

    private init(_ locker: Locker) {
        self.locker = locker
        profiles = HealthLockerProfiles(locker.profiles())
        records = HealthLockerRecords(locker.records())
        attachments = HealthLockerAttachments(locker.attachments())
        enrolment = HealthLockerEnrolment(locker.enrolment())
        outbox = HealthLockerOutbox(locker.outbox())
        consent = HealthLockerConsent(locker.consent())
        share = HealthLockerShare(locker.share())
        counter = HealthLockerCounter(locker.counter())
        links = HealthLockerLinks(locker.links())
        exchange = HealthLockerExchange(locker.exchange())
    }

    /// Everything pending with the backbone in one go (outbox, consent, links, tokens, pulls, the
    /// mailbox), within `budget`, telling `progress` how it goes; stops cleanly when the network
    /// goes. ``BackgroundSync`` decides when and with what budget.
    public func sync(
        backbone: Backbone, budget: SyncBudget = SyncBudget(maxMillis: 540_000, maxBytes: 64 << 20),
        progress: @escaping @Sendable (SyncProgress) -> Void = { _ in }
    ) async throws -> SyncReport {
        try await locker.sync(backbone: backbone, budget: budget, listener: ProgressRelay(progress))
    }

    /// Releases the store (its lock file) as soon as the last reference to it goes, not at some
    /// later collection; call ``close()`` to choose the moment yourself. A domain client kept
    /// beyond that throws `LockerError.Closed`.
    deinit {
        try? locker.closeStore()
    }

    // MARK: Opening and closing

    /// Creates a new store in `directory` (made if missing), keyed from `keys`. Refuses a
    /// directory that holds any part of a store (`LockerError.StoreExists` names what it found).
    public static func create(at directory: URL, keys: KeyProvider) throws -> HealthLockerStore {
        let path = try fileSystemPath(directory)
        return try withKey(from: keys) { try HealthLockerStore(Locker.create(dir: path, key: $0)) }
    }

    /// Opens the store in `directory`. A wrong key throws `LockerError.WrongKey` and changes no
    /// file; a missing store throws `LockerError.NotFound`.
    public static func `open`(at directory: URL, keys: KeyProvider) throws -> HealthLockerStore {
        let path = try fileSystemPath(directory)
        return try withKey(from: keys) { try HealthLockerStore(Locker.open(dir: path, key: $0)) }
    }

    /// Opens the store in `directory`, creating it the first time.
    public static func openOrCreate(at directory: URL, keys: KeyProvider) throws -> HealthLockerStore {
        let path = try fileSystemPath(directory)
        return try withKey(from: keys) { try HealthLockerStore(Locker.openOrCreate(dir: path, key: $0)) }
    }

    /// Closes the store and releases it for the next open; later calls, through any of the
    /// domain clients too, throw `LockerError.Closed`. Closing twice is harmless.
    public func close() throws {
        try locker.closeStore()
    }

    /// Re-encrypts the store under `newKey` (32 bytes). Interrupted at any point, the store opens
    /// with the old key or the new one: keep the old key until this returns, then replace it.
    /// The core wipes the copy that crossed the FFI; `Data` is a value, so yours is yours to drop.
    public func rekey(to newKey: Data) throws {
        try locker.rekey(newKey: newKey)
    }

    // MARK: Integrity

    /// What opening the store did that the user should hear of (a key check file written
    /// again, …); empty for a store that opened as it was left.
    public func notices() throws -> [OpenNotice] {
        try locker.notices()
    }

    /// Verifies everything: database pages, search index, audit chain and every attachment.
    /// `problems` is empty when the store is sound. Reads the whole store, so it takes a while.
    public func check() throws -> CheckReport {
        try locker.check()
    }

    public func verifyAudit() throws -> AuditVerification {
        try locker.verifyAudit()
    }

    /// The newest `limit` audit entries, newest first. They hold actions and opaque ids, never
    /// personal data.
    public func auditEntries(limit: UInt32 = 100) throws -> [AuditEntry] {
        try locker.auditEntries(limit: limit)
    }

    // MARK: Conversions

    /// Gets the key, hands it to `use`, then wipes it: in place when this is its only copy, as
    /// with the Keychain's fresh `Data` (copy-on-write leaves a copy the provider kept alone).
    /// The core wipes the copy that crossed the FFI.
    private static func withKey<T>(from keys: KeyProvider, _ use: (Data) throws -> T) throws -> T {
        var key = try keys.databaseKey()
        defer { key.resetBytes(in: key.indices) }
        return try use(key)
    }
}

// MARK: - Profiles

/// The owner and family members: `store.profiles`.
public final class HealthLockerProfiles: Sendable {
    private let profiles: Profiles

    init(_ profiles: Profiles) {
        self.profiles = profiles
    }

    public func add(_ profile: NewProfile) throws -> Profile {
        try profiles.add(profile: profile)
    }

    public func get(id: String) throws -> Profile {
        try profiles.get(id: id)
    }

    /// The owner first, then family members in the order they were added.
    public func list() throws -> [Profile] {
        try profiles.list()
    }

    /// Saves an edited copy: every editable field takes the given value.
    @discardableResult
    public func update(_ profile: Profile) throws -> Profile {
        try profiles.update(profile: profile)
    }

    /// Removes a person with all their records and attachments, securely.
    public func remove(id: String) throws {
        try profiles.remove(id: id)
    }
}

// MARK: - Records

/// ABDM FHIR document bundles: `store.records`.
public final class HealthLockerRecords: Sendable {
    private let records: Records

    init(_ records: Records) {
        self.records = records
    }

    /// Imports a FHIR document bundle (JSON). The same bundle again throws `LockerError.Duplicate`.
    @discardableResult
    public func `import`(_ bundle: Data, forProfile profileId: String, careContext: String? = nil) throws -> RecordSummary {
        try records.importBundle(profileId: profileId, bundle: bundle, careContext: careContext)
    }

    /// Imports the bundle in the file at `url`.
    @discardableResult
    public func `import`(contentsOf url: URL, forProfile profileId: String, careContext: String? = nil) throws -> RecordSummary {
        try records.importFile(profileId: profileId, path: fileSystemPath(url), careContext: careContext)
    }

    /// One page, newest first; pass `nextCursor` back in `RecordQuery.cursor` for the next.
    public func list(matching query: RecordQuery = RecordQuery()) throws -> RecordPage {
        try records.list(query: query)
    }

    /// Every record matching `query`, newest first, fetched a page at a time. Summaries are
    /// small (no bundle content), so the whole list is returned at once.
    public func all(matching query: RecordQuery = RecordQuery()) throws -> [RecordSummary] {
        var page = query
        var found: [RecordSummary] = []
        repeat {
            let next = try records.list(query: page)
            found += next.records
            page.cursor = next.nextCursor
        } while page.cursor != nil
        return found
    }

    public func get(id: String) throws -> RecordSummary {
        try records.get(id: id)
    }

    /// The bundle exactly as it was imported, to show on this device (not recorded in the audit log).
    public func read(id: String) throws -> Data {
        try records.read(id: id)
    }

    /// The bundle exactly as it was imported, to leave the device (recorded in the audit log).
    public func export(id: String) throws -> Data {
        try records.export(id: id)
    }

    /// Writes the bundle to `url`, replacing the file whole; returns its length. Recorded in the
    /// audit log.
    @discardableResult
    public func export(id: String, to url: URL) throws -> UInt64 {
        try records.exportToFile(id: id, path: fileSystemPath(url))
    }

    public func delete(id: String) throws {
        try records.delete(id: id)
    }

    /// How many records the store holds.
    public func count() throws -> UInt64 {
        try records.count()
    }
}

// MARK: - Attachments

/// Scans, PDFs, images, streamed, never whole in memory: `store.attachments`.
public final class HealthLockerAttachments: Sendable {
    private let attachments: Attachments

    init(_ attachments: Attachments) {
        self.attachments = attachments
    }

    /// Stores what `produce` writes as a new attachment, piece by piece:
    ///
    ///     let info = try store.attachments.add(forProfile: me.id, mediaType: "application/pdf") { write in
    ///         while let piece = try source.next() { try write(piece) }
    ///     }
    ///
    /// If `produce` or a write throws, nothing is stored and the error is rethrown.
    @discardableResult
    public func add(
        forProfile profileId: String,
        mediaType: String,
        _ produce: (_ write: (Data) throws -> Void) throws -> Void
    ) throws -> AttachmentInfo {
        let writer = try attachments.begin(profileId: profileId, mediaType: mediaType)
        do {
            try produce { try writer.write(chunk: $0) }
            return try writer.finish()
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Stores the file at `url` as an attachment.
    @discardableResult
    public func add(contentsOf url: URL, forProfile profileId: String, mediaType: String) throws -> AttachmentInfo {
        try attachments.addFile(profileId: profileId, mediaType: mediaType, path: fileSystemPath(url))
    }

    /// Starts an attachment to be written piece by piece: `write(chunk:)`, then `finish()`, or
    /// `abort()` to store nothing. ``add(forProfile:mediaType:_:)`` does all three.
    public func begin(forProfile profileId: String, mediaType: String) throws -> AttachmentWriter {
        try attachments.begin(profileId: profileId, mediaType: mediaType)
    }

    /// Hands the attachment's content to `body` in pieces of at most `chunkSize` bytes (capped at
    /// ``HealthLockerStore/maxChunkSize``), each authenticated before `body` sees it. A changed,
    /// truncated or reordered file throws `LockerError.Tampered`, possibly after earlier pieces
    /// were handed out: treat what `body` received as unusable then.
    ///
    /// Synchronous on purpose: an `AsyncSequence` would block the concurrency pool's threads
    /// with file reads.
    public func read(
        id: String,
        chunkSize: UInt32 = HealthLockerStore.defaultChunkSize,
        _ body: (Data) throws -> Void
    ) throws {
        precondition(chunkSize > 0, "chunkSize must be positive")
        let reader = try attachments.`open`(id: id)
        while true {
            let piece = try reader.read(maxBytes: chunkSize)
            if piece.isEmpty {
                return
            }
            try body(piece)
        }
    }

    /// The attachment's reader, for pulling pieces yourself: `read(maxBytes:)` returns empty
    /// `Data` at the end.
    public func `open`(id: String) throws -> AttachmentReader {
        try attachments.`open`(id: id)
    }

    /// Writes the attachment's verified content to `url`, replacing the file whole; returns its length.
    @discardableResult
    public func save(id: String, to url: URL) throws -> UInt64 {
        try attachments.saveToFile(id: id, path: fileSystemPath(url))
    }

    public func get(id: String) throws -> AttachmentInfo {
        try attachments.get(id: id)
    }

    /// A profile's attachments, newest first.
    public func list(forProfile profileId: String) throws -> [AttachmentInfo] {
        try attachments.list(profileId: profileId)
    }

    /// Deletes an attachment added on its own (data inline in a bundle goes with its record).
    public func delete(id: String) throws {
        try attachments.delete(id: id)
    }
}

// MARK: - Enrolment

/// ABHA enrolment: `store.enrolment`.
///
/// Online, on the citizen's own phone, one call per step. Read `Enrolment.state` to know the next
/// step, also after a restart: `.otpSent` → onlineVerifyOtp; `.mobileUnverified` →
/// onlineRequestMobileOtp; `.mobileOtpSent` → onlineVerifyMobileOtp; `.addressPending` →
/// onlineAddressSuggestions / onlineCreateAddress; `.addressCreated` → onlineFinish. A step taken
/// out of turn throws `LockerError.WrongStep(state:)` with the state's code (`"done"`, …).
///
/// Assisted: a field worker captures citizens with no network; their submissions wait in the
/// outbox and go with ``submit(backbone:sessionId:)`` (or `store.outbox.drain(backbone:)`).
public final class HealthLockerEnrolment: Sendable {
    private let enrolments: Enrolments

    init(_ enrolments: Enrolments) {
        self.enrolments = enrolments
    }

    /// Starts an enrolment with the citizen's Aadhaar number (sealed at once, never stored in the
    /// clear) and mobile, and sends the Aadhaar OTP. `relation` is the new profile's relation to
    /// the owner (`self` for the owner).
    public func onlineStart(
        backbone: Backbone, aadhaar: String, mobile: String, relation: String = "self"
    ) async throws -> Enrolment {
        try await enrolments.onlineStart(backbone: backbone, aadhaar: aadhaar, mobile: mobile, relation: relation)
    }

    /// Sends the Aadhaar OTP again (also after `LockerError.TransactionExpired` or `.OtpLocked`).
    public func onlineRequestOtp(backbone: Backbone, enrolmentId: String) async throws -> Enrolment {
        try await enrolments.onlineRequestOtp(backbone: backbone, id: enrolmentId)
    }

    /// Enrols with the Aadhaar OTP; a wrong one throws `LockerError.WrongOtp(attemptsLeft:)`.
    public func onlineVerifyOtp(backbone: Backbone, enrolmentId: String, otp: String) async throws -> Enrolment {
        try await enrolments.onlineVerifyOtp(backbone: backbone, id: enrolmentId, otp: otp)
    }

    /// Sends an OTP to the mobile the citizen gave (when it is not the Aadhaar-linked one).
    public func onlineRequestMobileOtp(backbone: Backbone, enrolmentId: String) async throws -> Enrolment {
        try await enrolments.onlineRequestMobileOtp(backbone: backbone, id: enrolmentId)
    }

    /// Verifies the mobile with the OTP sent to it; a refused one throws `LockerError.Refused(code:)`.
    public func onlineVerifyMobileOtp(backbone: Backbone, enrolmentId: String, otp: String) async throws -> Enrolment {
        try await enrolments.onlineVerifyMobileOtp(backbone: backbone, id: enrolmentId, otp: otp)
    }

    /// Free ABHA addresses (the part before the `@`) the backbone suggests.
    public func onlineAddressSuggestions(backbone: Backbone, enrolmentId: String) async throws -> [String] {
        try await enrolments.onlineAddressSuggestions(backbone: backbone, id: enrolmentId)
    }

    /// Creates the chosen address; check it first with `validateAbhaAddressForCreation(text:)`.
    public func onlineCreateAddress(backbone: Backbone, enrolmentId: String, address: String) async throws -> Enrolment {
        try await enrolments.onlineCreateAddress(backbone: backbone, id: enrolmentId, address: address)
    }

    /// Saves the profile with its ABHA number and address, and the ABHA card (PNG) as its attachment.
    public func onlineFinish(backbone: Backbone, enrolmentId: String) async throws -> Profile {
        try await enrolments.onlineFinish(backbone: backbone, id: enrolmentId)
    }

    /// Fetches and keeps the backbone's sealing key; capture needs it once, before going offline.
    public func refreshBackboneKey(backbone: Backbone) async throws {
        try await enrolments.refreshBackboneKey(backbone: backbone)
    }

    /// Starts a worker's session; citizens' details stay at most `retentionDays` (1–90, default 7)
    /// on the device.
    public func startSession(workerId: String, deviceId: String, retentionDays: UInt32? = nil) throws -> WorkerSession {
        try enrolments.startSession(workerId: workerId, deviceId: deviceId, retentionDays: retentionDays)
    }

    public func endSession(id: String) throws {
        try enrolments.endSession(sessionId: id)
    }

    public func session(id: String) throws -> WorkerSession {
        try enrolments.session(sessionId: id)
    }

    /// Captures one citizen and queues their submission on the outbox, no network needed; the
    /// Aadhaar number is sealed before this returns. Throws `LockerError.BackboneKeyMissing` until
    /// ``refreshBackboneKey(backbone:)`` has run once.
    @discardableResult
    public func capture(
        sessionId: String, details: CitizenDetails, aadhaar: String, consent: ConsentCapture
    ) throws -> Enrolment {
        try enrolments.capture(sessionId: sessionId, details: details, aadhaar: aadhaar, consent: consent)
    }

    /// Corrects a queued or rejected enrolment; it is queued again.
    @discardableResult
    public func correct(id: String, details: CitizenDetails? = nil, aadhaar: String? = nil) throws -> Enrolment {
        try enrolments.correct(id: id, details: details, aadhaar: aadhaar)
    }

    /// Submits the queue (of one session, or all) through the outbox; what the network failed
    /// stays queued, and `halted` says why the submission stopped early (`offline`, …).
    @discardableResult
    public func submit(backbone: Backbone, sessionId: String? = nil) async throws -> SubmitReport {
        try await enrolments.submit(backbone: backbone, sessionId: sessionId)
    }

    public func get(id: String) throws -> Enrolment {
        try enrolments.get(id: id)
    }

    /// Enrolments, oldest first: of one session, and only those still holding details when
    /// `pendingOnly`.
    public func list(sessionId: String? = nil, pendingOnly: Bool = false) throws -> [Enrolment] {
        try enrolments.list(filter: EnrolmentFilter(sessionId: sessionId, pendingOnly: pendingOnly))
    }

    /// The ABHA card (PNG) of a submitted enrolment.
    public func card(backbone: Backbone, enrolmentId: String) async throws -> Data {
        try await enrolments.card(backbone: backbone, id: enrolmentId)
    }

    /// The ABHA card QR payload (JSON) of a submitted enrolment, to show with no network.
    public func qr(id: String) throws -> String {
        try enrolments.qr(id: id)
    }

    /// The citizen has their ABHA: their details are erased from the device.
    @discardableResult
    public func confirmHandover(id: String) throws -> Enrolment {
        try enrolments.confirmHandover(id: id)
    }

    /// Gives an enrolment up: its details are erased from the device at once.
    public func cancel(id: String) throws -> Enrolment {
        try enrolments.cancel(id: id)
    }

    /// Erases enrolments past their retention period; returns how many.
    @discardableResult
    public func purgeExpired() throws -> UInt32 {
        try enrolments.purgeExpired()
    }
}

// MARK: - Outbox

/// What the backbone must hear, kept until it has heard it: `store.outbox`. Work done offline (an
/// assisted enrolment's submission, …) waits here; ``drain(backbone:)`` sends it when the
/// network is back.
public final class HealthLockerOutbox: Sendable {
    private let outbox: Outbox

    init(_ outbox: Outbox) {
        self.outbox = outbox
    }

    /// Counts by state and kind, the age of the oldest waiting item, each wedged item's reason.
    public func status() throws -> OutboxStatus {
        try outbox.status()
    }

    /// Every item, oldest first. Nothing personal: an item names its subject by id.
    public func items() throws -> [OutboxItem] {
        try outbox.items()
    }

    /// Sends every item that is due, a few at a time; stops at the first failure every item
    /// would meet (`halted`: `offline`, …). Nothing is lost or sent twice.
    @discardableResult
    public func drain(backbone: Backbone) async throws -> DrainReport {
        try await outbox.drain(backbone: backbone)
    }

    /// Sends a wedged item again, as a new request, once the user has mended what its reason said.
    @discardableResult
    public func retry(id: Int64) throws -> OutboxItem {
        try outbox.retry(id: id)
    }

    /// Gives a wedged item up; its domain settles what it was for (a refused enrolment is erased).
    public func discard(id: Int64) throws {
        try outbox.discard(id: id)
    }
}

// MARK: - Consent

/// The citizen's consent: `store.consent`.
///
/// A HIU's request arrives with ``refresh(backbone:)``. The citizen narrows the
/// ``proposal(requestId:)`` and approves it, or denies it, with no network needed: the decision
/// applies here at once and reaches the consent manager with `store.outbox.drain(backbone:)`. A
/// grant made here covers nothing until the consent manager confirms it with its signed artefact
/// (it comes back with the drain); ``revoke(id:)`` takes effect here at once. Every release of
/// records asks the core's one policy first (``release(_:)``): the records it permits go, the
/// others stay, and `Released.decision` says why, record by record. Ids, types and counts reach
/// the audit log; no names and no records.
public final class HealthLockerConsent: Sendable {
    private let consents: Consents

    init(_ consents: Consents) {
        self.consents = consents
    }

    /// Keeps the citizen's consent-manager login (`token`, their `X-AUTH-TOKEN`) for `patient`,
    /// their ABHA address, valid for `expiresInSeconds`. A refused or missing login throws
    /// `LockerError.SignInNeeded` (a drain halts with `sign-in-needed`): sign in again and nothing
    /// is lost.
    public func signIn(patient: String, token: String, expiresInSeconds: UInt64) throws {
        try consents.signIn(patient: patient, token: token, expiresInS: expiresInSeconds)
    }

    /// Pulls the requests and artefacts of every citizen signed in here, each artefact's signature
    /// checked where the consent manager's scheme is known, then sweeps. A decision not yet heard
    /// by the consent manager keeps its status here.
    @discardableResult
    public func refresh(backbone: Backbone) async throws -> RefreshReport {
        try await consents.refresh(backbone: backbone)
    }

    /// Requests, newest first, of one `status` or all.
    public func requests(status: ConsentStatus? = nil) throws -> [StoredRequest] {
        try consents.requests(status: status)
    }

    public func request(id: String) throws -> StoredRequest {
        try consents.request(id: id)
    }

    /// Artefacts, of one `status` or all; `Grant.verification` says whether a signature was checked.
    public func artefacts(status: ConsentStatus? = nil) throws -> [StoredArtefact] {
        try consents.artefacts(status: status)
    }

    public func artefact(id: String) throws -> StoredArtefact {
        try consents.artefact(id: id)
    }

    /// The artefacts granted for a request, those the consent manager has not confirmed yet included.
    public func artefacts(ofRequest requestId: String) throws -> [StoredArtefact] {
        try consents.artefactsOf(requestId: requestId)
    }

    /// Every status change of a request or an artefact, oldest first, and who made it (`Source`).
    public func history(id: String) throws -> [HistoryEntry] {
        try consents.history(id: id)
    }

    /// What was released under one artefact (or under all), newest first: records by id only.
    public func uses(artefactId: String? = nil) throws -> [ConsentUse] {
        try consents.uses(artefact: artefactId)
    }

    /// What approving the request as asked would grant: every type, the whole range, the erase
    /// date asked for, and the visits asked for or else those of the citizen's records here that
    /// fall within it. Narrow it (it is a `var`) before approving.
    public func proposal(requestId: String) throws -> GrantChoice {
        try consents.proposal(id: requestId)
    }

    /// Approves a request with one grant per HIP, each narrowing what was asked (never widening
    /// it: `LockerError.InvalidInput`). An expired or answered request throws `.WrongStep`.
    @discardableResult
    public func approve(requestId: String, choices: [GrantChoice]) throws -> [StoredArtefact] {
        try consents.approve(id: requestId, choices: choices)
    }

    /// Denies a request, with an optional `reason` (at most 100 characters) for the HIU.
    public func deny(requestId: String, reason: String? = nil) throws {
        try consents.deny(id: requestId, reason: reason)
    }

    /// Revokes a request's artefacts, or one artefact (`id` is either): in force here at once.
    @discardableResult
    public func revoke(id: String) throws -> Revoked {
        try consents.revoke(id: id)
    }

    /// Asks the policy whether `ask`'s records may go to its HIU; records the use and returns
    /// those it permits, byte for byte as imported. The others stay; `decision.denied` says why.
    public func release(_ ask: ReleaseAsk) throws -> Released {
        try consents.release(ask: ask)
    }

    /// Expires what time has ended and erases what was received under ended grants.
    @discardableResult
    public func sweep() throws -> SweepReport {
        try consents.sweep()
    }

    /// Turns automatic approval of `patient`'s own requests (purpose `PATRQT`) from `hiu`, their
    /// app's HIU id, on or off: here at once, at the consent manager with the next drain.
    @discardableResult
    public func setAutoApproval(patient: String, hiu: String, enabled: Bool) throws -> AutoApproval {
        try consents.setAutoApproval(patient: patient, hiu: hiu, enabled: enabled)
    }

    /// The citizen's auto-approval setting for `patient`, if they ever made one.
    public func autoApproval(patient: String) throws -> AutoApproval? {
        try consents.autoApproval(patient: patient)
    }
}

// MARK: - Scan & Share

/// Scan & Share, the patient's side: `store.share`.
///
/// ``scan(profileId:facilityCode:phrUrl:)`` a counter's code and the profile goes to its facility
/// through `store.outbox.drain(backbone:)`: at once when online, or when the network is back
/// within five minutes (else it is dropped and ``notice(_:)`` says so). The facility's token comes
/// back with the drain, or later with ``refresh(backbone:)``; a rescan while the token holds is
/// that share again, and sends nothing. ``signedQr(profileId:)`` is the patient's own code, which a
/// counter checks with no network, once ``certifyQrKey(backbone:patient:)`` has had this device's
/// key certified. Shares name profiles and facilities by id; their contact and code print nothing
/// personal.
public final class HealthLockerShare: Sendable {
    private let shares: Shares

    init(_ shares: Shares) {
        self.shares = shares
    }

    /// Shares `profileId` (it needs its ABHA address) with the counter whose code was scanned
    /// (`facilityCode`: its link or JSON). `phrUrl` is the PHR host configured
    /// (`BackboneConfig.phrUrl`), so that deployment's links are read too. A bad code throws
    /// `LockerError.QrRefused` with its `code`.
    @discardableResult
    public func scan(profileId: String, facilityCode: String, phrUrl: String? = nil) throws -> Share {
        try shares.scan(profileId: profileId, facilityCode: facilityCode, phrUrl: phrUrl)
    }

    /// Shares, newest first, of one profile or all.
    public func list(profileId: String? = nil) throws -> [Share] {
        try shares.list(profileId: profileId)
    }

    public func get(id: String) throws -> Share {
        try shares.get(id: id)
    }

    /// What the patient is told of `share` (dropped, refused), when there is something to tell.
    public func notice(_ share: Share) -> String? {
        shareNotice(share: share)
    }

    /// Keeps what a counter is told of `profileId` besides its ABHA details (mobile, address).
    public func setContact(profileId: String, contact: ShareContact) throws {
        try shares.setContact(profileId: profileId, contact: contact)
    }

    public func contact(profileId: String) throws -> ShareContact {
        try shares.contact(profileId: profileId)
    }

    /// Reads the tokens of shares sent and not yet answered; returns how many changed.
    @discardableResult
    public func refresh(backbone: Backbone) async throws -> UInt32 {
        try await shares.refresh(backbone: backbone)
    }

    /// Has the issuer certify this device's QR key, as `patient` (signed in with
    /// `store.consent.signIn`); nothing is asked while the certificate kept has more than a week
    /// left.
    @discardableResult
    public func certifyQrKey(backbone: Backbone, patient: String) async throws -> QrCertification {
        try await shares.certifyQrKey(backbone: backbone, patient: patient)
    }

    /// `profileId`'s signed code, made now with no network (after ``certifyQrKey(backbone:patient:)``).
    public func signedQr(profileId: String) throws -> SignedQr {
        try shares.signedQr(profileId: profileId)
    }
}

/// This device as a hospital's OPD counter: `store.counter`.
///
/// ``open(hipId:counterId:)`` makes it one facility's counter. ``scan(code:cmId:)`` registers the
/// patient whose code was shown and gives their token, with no network: a signed locker code is
/// checked against the issuers' trust list kept (``refreshTrust(backbone:)``, online, before going
/// offline), an ABHA card's or the PHR app's code is taken unverified. A bad code throws
/// `LockerError.QrRefused` with its `code`; what the facility must hear waits in `store.outbox`.
public final class HealthLockerCounter: Sendable {
    private let counter: Counter

    init(_ counter: Counter) {
        self.counter = counter
    }

    /// Makes this device the counter `counterId` of facility `hipId`.
    @discardableResult
    public func `open`(hipId: String, counterId: String) throws -> CounterDesk {
        try counter.open(hipId: hipId, counterId: counterId)
    }

    /// The counter this device is, once opened.
    public func desk() throws -> CounterDesk? {
        try counter.desk()
    }

    /// The link this counter's own code shows, on the PHR host `phrUrl`.
    public func link(phrUrl: String) throws -> String {
        try counter.link(phrUrl: phrUrl)
    }

    /// Registers the patient whose `code` was scanned and gives their token; `cmId`
    /// (`BackboneConfig.cmId`) completes a number-only ABHA code's address. Before any trust list, a
    /// signed code throws `LockerError.WrongStep` (`no-trust-list`).
    public func scan(code: String, cmId: String) throws -> CounterVisit {
        try counter.scan(code: code, cmId: cmId)
    }

    /// Tokens given on `day` (days since 1970-01-01 in India; today when nil), in order.
    public func tokens(day: Int64? = nil) throws -> [CounterToken] {
        try counter.tokens(day: day)
    }

    public func patient(id: String) throws -> CounterPatient {
        try counter.patient(id: id)
    }

    /// The version of the issuers' trust list kept, if any.
    public func trustVersion() throws -> UInt64? {
        try counter.trustVersion()
    }

    /// Fetches the issuers' trust list (kept unless older than the one kept); returns the version
    /// kept.
    @discardableResult
    public func refreshTrust(backbone: Backbone) async throws -> UInt64 {
        try await counter.refreshTrust(backbone: backbone)
    }
}

/// The path the core takes for a file URL.
private func fileSystemPath(_ url: URL) throws -> String {
    guard url.isFileURL else {
        throw LockerError.InvalidInput(reason: "expected a file URL")
    }
    return url.path
}
