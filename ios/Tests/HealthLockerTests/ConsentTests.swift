// The citizen's consent against the sandbox's consent manager: a doctor's request arrives, is
// narrowed and granted with no network, synced, used for a record inside the grant and revoked;
// a release outside the grant is refused record by record; a login the consent manager no
// longer knows asks for a new one and loses nothing; the citizen's own requests are approved
// automatically only while they say so. The same stories as core/tests/consent.rs and the Kotlin
// and Python suites.
//
// The sandbox is started as in EnrolmentTests (SandboxSupport.swift). Each test is its own
// citizen (a fresh ABHA address), so a sandbox shared between tests shows each only its own
// requests; counts are compared as differences.

import Foundation
import XCTest
@testable import HealthLocker

final class ConsentTests: StoreTestCase {
    private var sandbox: Sandbox!
    private var backbone: Backbone!
    private var patient: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        sandbox = try Sandbox.start()
        backbone = try Backbone(config: sandboxConfig(sandbox.url))
        patient = "meena.\(UUID().uuidString.prefix(8).lowercased())@sbx"
    }

    override func tearDownWithError() throws {
        backbone = nil
        sandbox?.stop()
        sandbox = nil
        try super.tearDownWithError()
    }

    /// The citizen's store and their records, by sample.
    private struct Phone {
        let store: HealthLockerStore
        let records: [String: RecordSummary]

        var consent: HealthLockerConsent { store.consent }

        func id(_ sample: String) -> String {
            records[sample]!.id
        }
    }

    /// A store whose owner's ABHA address is `patient`, holding a prescription (2023), a lab report
    /// (2025), an OP consultation (2024) and a discharge summary (2022), signed in to the sandbox's
    /// consent manager.
    private func phone() async throws -> Phone {
        let store = track(try HealthLockerStore.create(at: storeDirectory(), keys: InMemoryKeyProvider()))
        let owner = try store.profiles.add(NewProfile(
            name: "Meena Pillai", gender: .female, birthDate: "1979-08-02", abhaAddress: patient, relation: "self",
            isOwner: true
        ))
        var records: [String: RecordSummary] = [:]
        for name in samples {
            records[name] = try store.records.import(try sample(name), forProfile: owner.id)
        }
        let token = try await sandbox.phrLogin(patient)
        try store.consent.signIn(patient: patient, token: token, expiresInSeconds: 86_400)
        return Phone(store: store, records: records)
    }

    /// The city hospital asks for prescriptions, lab reports and consultations of 2020–2025, to be
    /// erased at the end of 2030.
    private func doctorAsks() async throws -> String {
        try await sandbox.raiseConsentRequest([
            "hiuId": hospital,
            "purpose": ["text": "Care Management", "code": "CAREMGT"],
            "patient": ["id": patient!],
            "requester": ["name": doctor, "identifier": ["type": "REGNO", "value": "KA-48213"]] as [String: Any],
            "hiTypes": ["Prescription", "DiagnosticReport", "OPConsultation"],
            "permission": [
                "accessMode": "VIEW",
                "dateRange": ["from": "2020-01-01T00:00:00.000Z", "to": "2025-12-31T23:59:59.999Z"],
                "dataEraseAt": "2030-12-31T00:00:00.000Z",
                "frequency": ["unit": "DAY", "value": 5, "repeats": 10] as [String: Any],
            ] as [String: Any],
        ])
    }

    /// The citizen asks for their own prescriptions through their app (purpose PATRQT).
    private func ownRequest() async throws -> String {
        try await sandbox.raiseConsentRequest([
            "hiuId": selfHiu,
            "purpose": ["text": "Self Requested", "code": "PATRQT"],
            "patient": ["id": patient!],
            "requester": ["name": "Meena Pillai", "identifier": ["type": "ABHA", "value": patient!]] as [String: Any],
            "hiTypes": ["Prescription"],
            "permission": [
                "accessMode": "VIEW",
                "dateRange": ["from": "2020-01-01T00:00:00.000Z", "to": "2025-12-31T23:59:59.999Z"],
                "dataEraseAt": "2030-12-31T00:00:00.000Z",
                "frequency": ["unit": "HOUR", "value": 1, "repeats": 0] as [String: Any],
            ] as [String: Any],
        ])
    }

    /// What was asked, narrowed to prescriptions from 2023.
    private func narrowed(_ p: Phone, _ requestId: String) throws -> GrantChoice {
        var choice = try p.consent.proposal(requestId: requestId)
        choice.hiTypes = [.prescription]
        choice.dateFromMs = ms("2023-01-01")
        return choice
    }

    /// The citizen grants prescriptions from 2023 and the consent manager confirms it.
    private func grantPrescriptionsSince2023(_ p: Phone) async throws -> (String, Grant) {
        let id = try await doctorAsks()
        try await p.consent.refresh(backbone: backbone)
        try p.consent.approve(requestId: id, choices: [try narrowed(p, id)])
        let sent = try await p.store.outbox.drain(backbone: backbone)
        XCTAssertEqual(sent.delivered, 1)
        let artefacts = try p.consent.artefacts(ofRequest: id)
        XCTAssertEqual(artefacts.count, 1)
        return (id, try XCTUnwrap(artefacts.first).grant)
    }

    private func share(_ p: Phone, _ names: String..., hiu: String = hospital, mode: AccessMode = .view) throws -> Released {
        try p.consent.release(ReleaseAsk(hiu: hiu, mode: mode, records: names.map { p.id($0) }, channel: .share))
    }

    func testADoctorsRequestIsNarrowedAndGrantedOfflineSyncedUsedForARecordInTheGrantAndRevoked() async throws {
        let p = try await phone()
        let consent = p.consent
        let before = try await sandbox.stats()
        let id = try await doctorAsks()

        // The request arrives.
        let pulled = try await consent.refresh(backbone: backbone)
        XCTAssertEqual(pulled.patients, 1)
        XCTAssertEqual(pulled.requestsChanged, 1)
        XCTAssertEqual(try consent.requests(status: .requested).map(\.request.id), [id])
        let asked = try consent.request(id: id)
        XCTAssertEqual(asked.request.status, .requested)
        XCTAssertNil(asked.pending)
        XCTAssertEqual(asked.request.hiu.id, hospital)
        XCTAssertEqual(asked.request.purpose, .careManagement)
        XCTAssertEqual(asked.request.requesterName, doctor, "the citizen sees who asks")
        XCTAssertEqual(asked.request.hiTypes, [.prescription, .diagnosticReport, .opConsultation])
        XCTAssertEqual(asked.request.permission.frequency, Frequency(unit: .day, value: 5, repeats: 10))

        // With no network, the citizen grants prescriptions only, from 2023.
        let proposal = try consent.proposal(requestId: id)
        XCTAssertEqual(proposal.careContexts.count, 3, "the three records of the types asked, of 2020–2025, on this phone")
        XCTAssertEqual(proposal.hip.id, "healthlocker", "the records are on this device")
        let choice = try narrowed(p, id)
        var wider = choice
        wider.dateFromMs = ms("2019-01-01")
        assertThrowsInvalidInput(try consent.approve(requestId: id, choices: [wider]), "a grant never widens what was asked")
        let pending = try consent.approve(requestId: id, choices: [choice])
        XCTAssertEqual(pending.map(\.grant.verification), [.pending])
        XCTAssertEqual(pending.map(\.grant.hiTypes), [[.prescription]])
        let decided = try consent.request(id: id)
        XCTAssertEqual(decided.request.status, .granted)
        XCTAssertEqual(decided.pending, .approve)
        let early = try share(p, "prescription")
        XCTAssertEqual(early.records, [], "nothing goes before the consent manager confirms the grant")
        XCTAssertEqual(early.decision.denied.map(\.reason), [.notConfirmed])
        assertThrows(.WrongStep(state: "granted"), try consent.deny(requestId: id))

        var offlineConfig = sandboxConfig("http://127.0.0.1:\(try closedPort())")
        offlineConfig.maxAttempts = 1
        offlineConfig.connectTimeoutMs = 500
        let halted = try await p.store.outbox.drain(backbone: try Backbone(config: offlineConfig))
        XCTAssertEqual(halted.halted, "offline")
        let waiting = try p.store.outbox.items()
        XCTAssertEqual(waiting.map(\.kind), [.consentApprove])
        XCTAssertEqual(waiting.map(\.subject), [id])
        let whileOffline = try await sandbox.stats()
        XCTAssertEqual(whileOffline.consentApprovals, before.consentApprovals)

        // Back in range, the grant syncs: the consent manager's signed artefact replaces the one made here.
        let sent = try await p.store.outbox.drain(backbone: backbone)
        XCTAssertEqual(sent.delivered, 1)
        XCTAssertEqual(sent.waiting, 0)
        let synced = try await sandbox.stats()
        XCTAssertEqual(synced.consentApprovals - before.consentApprovals, 1)
        let granted = try consent.request(id: id)
        XCTAssertEqual(granted.request.status, .granted)
        XCTAssertNil(granted.pending)
        let artefacts = try consent.artefacts(ofRequest: id)
        XCTAssertEqual(artefacts.count, 1)
        let artefact = try XCTUnwrap(artefacts.first)
        let grant = artefact.grant
        XCTAssertEqual(grant.verification, .verified, "signed by the consent manager, checked here")
        XCTAssertNotNil(artefact.keyId)
        XCTAssertEqual(grant.hiTypes, [.prescription])
        XCTAssertEqual(grant.hiu, hospital)
        XCTAssertEqual(grant.permission.dateFromMs, ms("2023-01-01"))
        let theirs = try await sandbox.consentArtefact(grant.id)
        XCTAssertEqual(theirs["status"] as? String, "GRANTED")
        XCTAssertEqual(try consent.artefacts(status: .granted).map(\.grant.id), [grant.id])

        // Used: the prescription goes, byte for byte; the lab report and the consultation (types not
        // granted) stay.
        let out = try share(p, "prescription", "diagnostic-report", "op-consultation")
        XCTAssertEqual(out.records.map(\.id), [p.id("prescription")])
        XCTAssertEqual(out.records.map(\.artefact), [grant.id])
        XCTAssertEqual(out.records.first?.bundle, try sample("prescription"))
        XCTAssertEqual(out.decision.permitted, [Permit(record: p.id("prescription"), artefact: grant.id)])
        XCTAssertEqual(out.decision.denied, [
            Denial(record: p.id("diagnostic-report"), reason: .hiType),
            Denial(record: p.id("op-consultation"), reason: .hiType),
        ])
        let uses = try consent.uses(artefactId: grant.id)
        XCTAssertEqual(uses.map(\.records), [[p.id("prescription")]])
        XCTAssertEqual(uses.map(\.hiu), [hospital])
        XCTAssertEqual(uses.map(\.channel), ["share"])

        // Revoked with no network: in force here at once, before the consent manager hears of it.
        let revoked = try consent.revoke(id: id)
        XCTAssertEqual(revoked, Revoked(requestId: id, artefacts: [grant.id]))
        XCTAssertTrue(try consent.artefact(id: grant.id).revokePending)
        XCTAssertEqual(try share(p, "prescription").decision.denied.map(\.reason), [.notGranted(.revoked)])
        let stillGranted = try await sandbox.consentArtefact(grant.id)
        XCTAssertEqual(stillGranted["status"] as? String, "GRANTED")
        let revokeSent = try await p.store.outbox.drain(backbone: backbone)
        XCTAssertEqual(revokeSent.delivered, 1)
        let nowRevoked = try await sandbox.consentArtefact(grant.id)
        XCTAssertEqual(nowRevoked["status"] as? String, "REVOKED")
        let afterRevoke = try await sandbox.stats()
        XCTAssertEqual(afterRevoke.consentRevokes - before.consentRevokes, 1)
        let after = try consent.artefact(id: grant.id)
        XCTAssertEqual(after.grant.status, .revoked)
        XCTAssertFalse(after.revokePending)
        XCTAssertTrue(try consent.history(id: grant.id).contains { $0.status == .revoked && $0.source == .device })

        // A later pull keeps it revoked; the audit log tells the story by reference only.
        try await consent.refresh(backbone: backbone)
        XCTAssertEqual(try consent.artefact(id: grant.id).grant.status, .revoked)
        let audit = try p.store.auditEntries(limit: 200)
        for action in ["consent.approve", "consent.release", "consent.release-refused", "consent.revoke"] {
            XCTAssertTrue(audit.contains { $0.action == action }, "\(action) in the audit log")
        }
        let text = String(describing: audit)
        for secret in ["Meena", patient!, doctor] {
            XCTAssertFalse(text.contains(secret), "\(secret) in \(text)")
        }
        guard case .intact = try p.store.verifyAudit() else {
            return XCTFail("the audit chain is broken")
        }
    }

    func testAReleaseOutsideTheGrantIsRefusedRecordByRecordAndNothingLeaves() async throws {
        let p = try await phone()
        let (_, grant) = try await grantPrescriptionsSince2023(p)
        let consent = p.consent
        func refused(_ released: Released, file: StaticString = #filePath, line: UInt = #line) -> [DenyReason] {
            XCTAssertEqual(released.records, [], file: file, line: line)
            return released.decision.denied.map(\.reason)
        }

        XCTAssertEqual(refused(try share(p, "discharge-summary")), [.hiType], "a type not granted")
        XCTAssertEqual(refused(try share(p, "prescription", hiu: "sbx-hiu-diagnostics")), [.noGrant], "another HIU")
        XCTAssertEqual(refused(try share(p, "prescription", mode: .store)), [.accessMode], "to keep, not view")
        var ask = ReleaseAsk(
            hiu: hospital, consentId: grant.id, mode: .view,
            dateRange: DateRange(fromMs: ms("2019-01-01"), toMs: ms("2025-12-31")),
            records: [p.id("prescription")], channel: .dataRequest
        )
        XCTAssertEqual(refused(try consent.release(ask)), [.rangeWiderThanGranted], "a data request for more years")
        var unknown = ask
        unknown.consentId = "no-such-artefact"
        unknown.dateRange = nil
        XCTAssertEqual(refused(try consent.release(unknown)), [.noGrant])
        unknown.records = ["no-such-record"]
        assertThrows(.NotFound(what: "record"), try consent.release(unknown))
        unknown.records = []
        assertThrowsInvalidInput(try consent.release(unknown))

        XCTAssertEqual(try consent.uses(), [], "a refused release is no use of the grant")
        let actions = try p.store.auditEntries(limit: 200).map(\.action)
        XCTAssertTrue(actions.contains("consent.release-refused"))
        XCTAssertFalse(actions.contains("consent.release"))

        // Inside the grant, the same data request goes.
        ask.dateRange = DateRange(fromMs: ms("2023-06-01"), toMs: ms("2024-06-01"))
        XCTAssertEqual(try consent.release(ask).records.map(\.id), [p.id("prescription")])
        XCTAssertEqual(try consent.uses().map(\.channel), ["data-request"])
    }

    func testALoginTheConsentManagerNoLongerKnowsAsksForANewOneAndTheDecisionWaitsWithoutLoss() async throws {
        let p = try await phone()
        let consent = p.consent
        let before = try await sandbox.stats()
        let id = try await doctorAsks()
        try await consent.refresh(backbone: backbone)
        assertThrowsInvalidInput(try consent.deny(requestId: id, reason: String(repeating: "x", count: 101)))
        try consent.deny(requestId: id, reason: "I see this doctor in person next week")
        let denied = try consent.request(id: id)
        XCTAssertEqual(denied.request.status, .denied)
        XCTAssertEqual(denied.pending, .deny)

        try consent.signIn(patient: patient, token: "a-token-from-last-month", expiresInSeconds: 86_400)
        do {
            try await consent.refresh(backbone: backbone)
            XCTFail("a refused login asks for a new one")
        } catch {
            XCTAssertEqual(error as? LockerError, .SignInNeeded)
        }
        let halted = try await p.store.outbox.drain(backbone: backbone)
        XCTAssertEqual(halted.halted, "sign-in-needed")
        XCTAssertEqual(try consent.request(id: id).pending, .deny)
        let waiting = try await sandbox.consentRequest(id)
        XCTAssertEqual(waiting["status"] as? String, "REQUESTED")

        let token = try await sandbox.phrLogin(patient)
        try consent.signIn(patient: patient, token: token, expiresInSeconds: 86_400)
        let sent = try await p.store.outbox.drain(backbone: backbone)
        XCTAssertEqual(sent.delivered, 1)
        let theirs = try await sandbox.consentRequest(id)
        XCTAssertEqual(theirs["status"] as? String, "DENIED")
        XCTAssertEqual(theirs["denyReason"] as? String, "I see this doctor in person next week")
        let after = try await sandbox.stats()
        XCTAssertEqual(after.consentDenials - before.consentDenials, 1)
        XCTAssertNil(try consent.request(id: id).pending)
        XCTAssertTrue(try consent.history(id: id).contains { $0.status == .denied && $0.source == .device })
    }

    func testTheCitizensOwnRequestsAreApprovedAutomaticallyOnlyWhileTheySaySo() async throws {
        let p = try await phone()
        let consent = p.consent
        XCTAssertNil(try consent.autoApproval(patient: patient))

        // With no network, on, off and on again: only where it ended is sent.
        for on in [true, false, true] {
            try consent.setAutoApproval(patient: patient, hiu: selfHiu, enabled: on)
        }
        let setting = try XCTUnwrap(try consent.autoApproval(patient: patient))
        XCTAssertTrue(setting.enabled)
        XCTAssertFalse(setting.synced)
        XCTAssertEqual(try p.store.outbox.items().map(\.kind), [.consentAutoApproval])
        try await p.store.outbox.drain(backbone: backbone)
        let synced = try XCTUnwrap(try consent.autoApproval(patient: patient))
        XCTAssertTrue(synced.enabled && synced.synced)
        XCTAssertNotNil(synced.policyId)

        let first = try await ownRequest()
        try await consent.refresh(backbone: backbone)
        XCTAssertEqual(try consent.request(id: first).request.status, .granted)
        XCTAssertEqual(try consent.request(id: first).request.purpose, .selfRequested)
        let granted = try consent.artefacts(ofRequest: first)
        XCTAssertFalse(granted.isEmpty)
        XCTAssertTrue(granted.allSatisfy { $0.grant.verification == .verified })

        try consent.setAutoApproval(patient: patient, hiu: selfHiu, enabled: false)
        try await p.store.outbox.drain(backbone: backbone)
        let second = try await ownRequest()
        let doctors = try await doctorAsks()
        try await consent.refresh(backbone: backbone)
        XCTAssertEqual(try consent.request(id: second).request.status, .requested)
        XCTAssertEqual(try consent.request(id: doctors).request.status, .requested, "a doctor's request never is")
    }

    func testConsentRecordsPrintNoNamesAddressesOrRecords() async throws {
        let p = try await phone()
        let (id, grant) = try await grantPrescriptionsSince2023(p)
        let consent = p.consent
        let shown: [Any] = [
            try consent.request(id: id), try consent.request(id: id).request, try consent.artefact(id: grant.id), grant,
            grant.careContexts, try consent.proposal(requestId: id), try share(p, "prescription"),
            try consent.setAutoApproval(patient: patient, hiu: selfHiu, enabled: true),
        ]
        var printed = ""
        for value in shown {
            printed += String(describing: value) + "\n" + String(reflecting: value) + "\n"
            dump(value, to: &printed)
        }
        for secret in [doctor, patient!, "Meena", "Pillai", "MedicationRequest", "resourceType"] {
            XCTAssertFalse(printed.contains(secret), "\(secret) in \(printed)")
        }
        XCTAssertTrue(printed.contains(id) && printed.contains(grant.id), "ids still print: \(printed)")
    }
}

private let hospital = "sbx-hiu-city-hospital"
private let selfHiu = "sbx-phr-healthlocker"
private let doctor = "Dr. Arvind Rao"
private let samples = ["prescription", "diagnostic-report", "op-consultation", "discharge-summary"]

/// Midnight UTC of `day` (YYYY-MM-DD), in milliseconds.
private func ms(_ day: String) -> Int64 {
    Int64(ISO8601DateFormatter().date(from: "\(day)T00:00:00Z")!.timeIntervalSince1970 * 1000)
}
