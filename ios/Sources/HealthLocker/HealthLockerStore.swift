// The Swift face of one encrypted store: Swift types in (URL, Data, closures), the generated
// bindings' calls out. It converts and delegates; a decision made here would be a defect.

import Foundation

/// healthlocker for Swift: one encrypted store of a family's health records, usable with no network.
///
/// A thin facade over the generated bindings (``Locker``): file `URL`s instead of path strings,
/// chunked helpers for attachments, and keys from a ``KeyProvider``. Everything it does is a call
/// into the Rust core; failures are ``LockerError`` (`.WrongKey`, `.Corrupt`, `.Duplicate`,
/// `.Tampered`, …), whose messages never carry personal data, or ``KeyProviderError``.
///
/// Local calls are plain and blocking: make them off the main thread, on a queue of your own.
/// Network work (ABHA enrolment) is `async`; a ``Backbone`` (one per app, e.g.
/// `Backbone(config: sandboxConfig(baseUrl: url))`) says where ABDM's backbone is. Safe to share
/// between threads: calls into the store run one at a time.
///
/// Named `HealthLockerStore`, not `HealthLocker`: the module is `HealthLocker`, and a type with
/// the module's name shadows the module, so an app could no longer write `HealthLocker.Profile`
/// to tell our `Profile` from its own. (`Locker` is taken by the generated class.)
public final class HealthLockerStore: Sendable {
    /// The largest piece ``readAttachment(id:chunkSize:_:)`` can return; the core caps reads at 1 MiB.
    public static let maxChunkSize: UInt32 = 1 << 20
    /// The piece size used when none is given: the same as the Android facade's.
    public static let defaultChunkSize: UInt32 = 256 * 1024

    private let locker: Locker

    private init(_ locker: Locker) {
        self.locker = locker
    }

    /// Releases the store (its lock file) as soon as the last reference goes, not at some later
    /// collection; call ``close()`` to choose the moment yourself.
    deinit {
        try? locker.closeStore()
    }

    // MARK: Opening and closing

    /// Creates a new store in `directory` (made if missing), keyed from `keys`. Refuses a
    /// directory that already holds a store.
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

    /// Closes the store and releases it for the next open; later calls throw `LockerError.Closed`.
    /// Closing twice is harmless.
    public func close() throws {
        try locker.closeStore()
    }

    /// Re-encrypts the store under `newKey` (32 bytes). Interrupted at any point, the store opens
    /// with the old key or the new one: keep the old key until this returns, then replace it.
    /// The core wipes the copy that crossed the FFI; `Data` is a value, so yours is yours to drop.
    public func rekey(to newKey: Data) throws {
        try locker.rekey(newKey: newKey)
    }

    // MARK: Profiles: the owner and family members

    public func addProfile(_ profile: NewProfile) throws -> Profile {
        try locker.addProfile(profile: profile)
    }

    public func profile(id: String) throws -> Profile {
        try locker.profile(id: id)
    }

    /// The owner first, then family members in the order they were added.
    public func profiles() throws -> [Profile] {
        try locker.profiles()
    }

    /// Saves an edited copy: every editable field takes the given value.
    @discardableResult
    public func updateProfile(_ profile: Profile) throws -> Profile {
        try locker.updateProfile(profile: profile)
    }

    /// Removes a person with all their records and attachments, securely.
    public func removeProfile(id: String) throws {
        try locker.removeProfile(id: id)
    }

    // MARK: Records: ABDM FHIR document bundles

    /// Imports a FHIR document bundle (JSON). The same bundle again throws `LockerError.Duplicate`.
    @discardableResult
    public func importRecord(_ bundle: Data, forProfile profileId: String, careContext: String? = nil) throws -> RecordSummary {
        try locker.importRecord(profileId: profileId, bundle: bundle, careContext: careContext)
    }

    /// Imports the bundle in the file at `url`.
    @discardableResult
    public func importRecord(contentsOf url: URL, forProfile profileId: String, careContext: String? = nil) throws -> RecordSummary {
        try locker.importRecordFile(profileId: profileId, path: fileSystemPath(url), careContext: careContext)
    }

    /// One page, newest first; pass `nextCursor` back in `RecordQuery.cursor` for the next.
    public func records(matching query: RecordQuery = RecordQuery()) throws -> RecordPage {
        try locker.listRecords(query: query)
    }

    /// Every record matching `query`, newest first, fetched a page at a time. Summaries are
    /// small (no bundle content), so the whole list is returned at once.
    public func allRecords(matching query: RecordQuery = RecordQuery()) throws -> [RecordSummary] {
        var page = query
        var records: [RecordSummary] = []
        repeat {
            let next = try locker.listRecords(query: page)
            records += next.records
            page.cursor = next.nextCursor
        } while page.cursor != nil
        return records
    }

    public func record(id: String) throws -> RecordSummary {
        try locker.record(id: id)
    }

    /// The bundle exactly as it was imported.
    public func exportRecord(id: String) throws -> Data {
        try locker.exportRecord(id: id)
    }

    /// Writes the bundle to `url`, replacing the file whole; returns its length.
    @discardableResult
    public func exportRecord(id: String, to url: URL) throws -> UInt64 {
        try locker.exportRecordToFile(id: id, path: fileSystemPath(url))
    }

    public func deleteRecord(id: String) throws {
        try locker.deleteRecord(id: id)
    }

    // MARK: Attachments: scans, PDFs, images; streamed, never whole in memory

    /// Stores what `produce` writes as a new attachment, piece by piece:
    ///
    ///     let info = try store.addAttachment(forProfile: me.id, mediaType: "application/pdf") { write in
    ///         while let piece = try source.next() { try write(piece) }
    ///     }
    ///
    /// If `produce` or a write throws, nothing is stored and the error is rethrown.
    @discardableResult
    public func addAttachment(
        forProfile profileId: String,
        mediaType: String,
        _ produce: (_ write: (Data) throws -> Void) throws -> Void
    ) throws -> AttachmentInfo {
        let writer = try locker.beginAttachment(profileId: profileId, mediaType: mediaType)
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
    public func addAttachment(contentsOf url: URL, forProfile profileId: String, mediaType: String) throws -> AttachmentInfo {
        try locker.addAttachmentFile(profileId: profileId, mediaType: mediaType, path: fileSystemPath(url))
    }

    /// Starts an attachment to be written piece by piece: `write(chunk:)`, then `finish()`, or
    /// `abort()` to store nothing. ``addAttachment(forProfile:mediaType:_:)`` does all three.
    public func beginAttachment(forProfile profileId: String, mediaType: String) throws -> AttachmentWriter {
        try locker.beginAttachment(profileId: profileId, mediaType: mediaType)
    }

    /// Hands the attachment's content to `body` in pieces of at most `chunkSize` bytes (capped at
    /// ``maxChunkSize``), each authenticated before `body` sees it. A changed, truncated or
    /// reordered file throws `LockerError.Tampered`, possibly after earlier pieces were handed
    /// out: treat what `body` received as unusable then.
    ///
    /// Synchronous on purpose: an `AsyncSequence` would block the concurrency pool's threads
    /// with file reads.
    public func readAttachment(
        id: String,
        chunkSize: UInt32 = HealthLockerStore.defaultChunkSize,
        _ body: (Data) throws -> Void
    ) throws {
        precondition(chunkSize > 0, "chunkSize must be positive")
        let reader = try locker.openAttachment(id: id)
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
    public func openAttachment(id: String) throws -> AttachmentReader {
        try locker.openAttachment(id: id)
    }

    /// Writes the attachment's verified content to `url`, replacing the file whole; returns its length.
    @discardableResult
    public func saveAttachment(id: String, to url: URL) throws -> UInt64 {
        try locker.saveAttachment(id: id, path: fileSystemPath(url))
    }

    public func attachment(id: String) throws -> AttachmentInfo {
        try locker.attachment(id: id)
    }

    /// A profile's attachments, newest first.
    public func attachments(forProfile profileId: String) throws -> [AttachmentInfo] {
        try locker.attachments(profileId: profileId)
    }

    /// Deletes an attachment added on its own (data inline in a bundle goes with its record).
    public func deleteAttachment(id: String) throws {
        try locker.deleteAttachment(id: id)
    }

    // MARK: ABHA enrolment, online: the citizen's own phone, one call per step

    // Read `Enrolment.state` to know the next step, also after a restart: `.otpSent` →
    // verifyOtp; `.mobileUnverified` → requestMobileOtp; `.mobileOtpSent` → verifyMobileOtp;
    // `.addressPending` → addressSuggestions / createAddress; `.addressCreated` → finish.

    /// Starts an enrolment with the citizen's Aadhaar number (sealed at once, never stored in the
    /// clear) and mobile, and sends the Aadhaar OTP. `relation` is the new profile's relation to
    /// the owner (`self` for the owner).
    public func enrolOnlineStart(
        backbone: Backbone, aadhaar: String, mobile: String, relation: String = "self"
    ) async throws -> Enrolment {
        try await locker.enrolOnlineStart(backbone: backbone, aadhaar: aadhaar, mobile: mobile, relation: relation)
    }

    /// Sends the Aadhaar OTP again (also after `LockerError.TransactionExpired` or `.OtpLocked`).
    public func enrolOnlineRequestOtp(backbone: Backbone, enrolmentId: String) async throws -> Enrolment {
        try await locker.enrolOnlineRequestOtp(backbone: backbone, id: enrolmentId)
    }

    /// Enrols with the Aadhaar OTP; a wrong one throws `LockerError.WrongOtp(attemptsLeft:)`.
    public func enrolOnlineVerifyOtp(backbone: Backbone, enrolmentId: String, otp: String) async throws -> Enrolment {
        try await locker.enrolOnlineVerifyOtp(backbone: backbone, id: enrolmentId, otp: otp)
    }

    /// Sends an OTP to the mobile the citizen gave (when it is not the Aadhaar-linked one).
    public func enrolOnlineRequestMobileOtp(backbone: Backbone, enrolmentId: String) async throws -> Enrolment {
        try await locker.enrolOnlineRequestMobileOtp(backbone: backbone, id: enrolmentId)
    }

    public func enrolOnlineVerifyMobileOtp(backbone: Backbone, enrolmentId: String, otp: String) async throws -> Enrolment {
        try await locker.enrolOnlineVerifyMobileOtp(backbone: backbone, id: enrolmentId, otp: otp)
    }

    /// Free ABHA addresses (the part before the `@`) the backbone suggests.
    public func enrolOnlineAddressSuggestions(backbone: Backbone, enrolmentId: String) async throws -> [String] {
        try await locker.enrolOnlineAddressSuggestions(backbone: backbone, id: enrolmentId)
    }

    /// Creates the chosen address; check it first with `validateAbhaAddressForCreation(text:)`.
    public func enrolOnlineCreateAddress(backbone: Backbone, enrolmentId: String, address: String) async throws -> Enrolment {
        try await locker.enrolOnlineCreateAddress(backbone: backbone, id: enrolmentId, address: address)
    }

    /// Saves the profile with its ABHA number and address, and the ABHA card (PNG) as its attachment.
    public func enrolOnlineFinish(backbone: Backbone, enrolmentId: String) async throws -> Profile {
        try await locker.enrolOnlineFinish(backbone: backbone, id: enrolmentId)
    }

    // MARK: ABHA enrolment, assisted: a field worker captures citizens with no network

    /// Fetches and keeps the backbone's sealing key; capture needs it once, before going offline.
    public func refreshBackboneKey(backbone: Backbone) async throws {
        try await locker.refreshBackboneKey(backbone: backbone)
    }

    /// Starts a worker's session; citizens' details stay at most `retentionDays` (1–90, default 7)
    /// on the device.
    public func startWorkerSession(workerId: String, deviceId: String, retentionDays: UInt32? = nil) throws -> WorkerSession {
        try locker.startWorkerSession(workerId: workerId, deviceId: deviceId, retentionDays: retentionDays)
    }

    public func endWorkerSession(id: String) throws {
        try locker.endWorkerSession(sessionId: id)
    }

    public func workerSession(id: String) throws -> WorkerSession {
        try locker.workerSession(sessionId: id)
    }

    /// Captures one citizen into the queue, no network needed; the Aadhaar number is sealed before
    /// this returns. Throws `LockerError.BackboneKeyMissing` until ``refreshBackboneKey(backbone:)``
    /// has run once.
    @discardableResult
    public func captureEnrolment(
        sessionId: String, details: CitizenDetails, aadhaar: String, consent: ConsentCapture
    ) throws -> Enrolment {
        try locker.captureEnrolment(sessionId: sessionId, details: details, aadhaar: aadhaar, consent: consent)
    }

    /// Corrects a queued or rejected enrolment; it is queued again.
    @discardableResult
    public func correctEnrolment(id: String, details: CitizenDetails? = nil, aadhaar: String? = nil) throws -> Enrolment {
        try locker.correctEnrolment(id: id, details: details, aadhaar: aadhaar)
    }

    /// Submits the queue (of one session, or all); what the network failed stays queued.
    @discardableResult
    public func submitEnrolments(backbone: Backbone, sessionId: String? = nil) async throws -> SubmitReport {
        try await locker.submitEnrolments(backbone: backbone, sessionId: sessionId)
    }

    public func enrolment(id: String) throws -> Enrolment {
        try locker.enrolment(id: id)
    }

    /// Enrolments, oldest first: of one session, and only those still holding details when
    /// `pendingOnly`.
    public func enrolments(sessionId: String? = nil, pendingOnly: Bool = false) throws -> [Enrolment] {
        try locker.enrolments(filter: EnrolmentFilter(sessionId: sessionId, pendingOnly: pendingOnly))
    }

    /// The ABHA card (PNG) of a submitted enrolment.
    public func enrolmentCard(backbone: Backbone, enrolmentId: String) async throws -> Data {
        try await locker.enrolmentCard(backbone: backbone, id: enrolmentId)
    }

    /// The ABHA card QR payload (JSON) of a submitted enrolment, to show with no network.
    public func enrolmentQr(id: String) throws -> String {
        try locker.enrolmentQr(id: id)
    }

    /// The citizen has their ABHA: their details are erased from the device.
    @discardableResult
    public func confirmHandover(id: String) throws -> Enrolment {
        try locker.confirmHandover(id: id)
    }

    /// Gives an enrolment up: its details are erased from the device at once.
    public func cancelEnrolment(id: String) throws -> Enrolment {
        try locker.cancelEnrolment(id: id)
    }

    /// Erases enrolments past their retention period; returns how many.
    @discardableResult
    public func purgeExpiredEnrolments() throws -> UInt32 {
        try locker.purgeExpiredEnrolments()
    }

    // MARK: Integrity

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

/// The path the core takes for a file URL.
private func fileSystemPath(_ url: URL) throws -> String {
    guard url.isFileURL else {
        throw LockerError.InvalidInput(reason: "expected a file URL")
    }
    return url.path
}
