// Scan & Share against the sandbox's facilities and its signed-QR issuer: a patient scans a
// counter's code with no network and the share goes, and the token comes back, when the network
// is back; a counter's device with no network registers patients from their ABHA cards and gives
// tokens; a patient's signed code is checked by a counter with no network and a changed one
// refused; none of it prints a name, a number, an address or a code's text. The same stories as
// core/tests/share.rs, core/tests/counter.rs and the Kotlin and Python suites.
//
// The sandbox is started as in EnrolmentTests (SandboxSupport.swift). Each test is its own
// citizen (a fresh ABHA address), so a sandbox shared between tests shows each only its own
// shares and link tokens; counts are compared as differences. A facility's token numbers run
// through the day for every patient, so "0001" is expected only from a sandbox of our own.

import Foundation
import XCTest
@testable import HealthLocker

final class ShareTests: StoreTestCase {
    private var sandbox: Sandbox!
    private var config: BackboneConfig!
    private var backbone: Backbone!
    private var patient: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        sandbox = try Sandbox.start()
        config = sandboxConfig(sandbox.url)
        backbone = try Backbone(config: config)
        patient = "lakshmi.\(UUID().uuidString.prefix(8).lowercased())@sbx"
    }

    override func tearDownWithError() throws {
        backbone = nil
        sandbox?.stop()
        sandbox = nil
        try super.tearDownWithError()
    }

    /// Whether the sandbox is a process of this test's own (fresh), not one named by
    /// HEALTHLOCKER_SANDBOX_URL and shared with other tests and earlier runs.
    private var sandboxIsOurs: Bool {
        ProcessInfo.processInfo.environment["HEALTHLOCKER_SANDBOX_URL"] == nil
    }

    /// A phone whose owner's ABHA address is `patient`, with a contact for counters, signed in to
    /// the sandbox's consent manager.
    private func phone() async throws -> (HealthLockerStore, Profile) {
        let store = track(try HealthLockerStore.create(at: storeDirectory("phone"), keys: InMemoryKeyProvider()))
        let owner = try store.profiles.add(NewProfile(
            name: ownerName, gender: .female, birthDate: birth, abhaNumber: abhaNumber, abhaAddress: patient,
            relation: "self", isOwner: true
        ))
        try store.share.setContact(profileId: owner.id, contact: contact)
        let token = try await sandbox.phrLogin(patient)
        try store.consent.signIn(patient: patient, token: token, expiresInSeconds: 86_400)
        return (store, owner)
    }

    /// A hospital counter's device: its own store, opened as `hip`'s counter `counterId`.
    private func counterDevice() throws -> HealthLockerStore {
        let store = track(try HealthLockerStore.create(at: storeDirectory("counter"), keys: InMemoryKeyProvider()))
        try store.counter.open(hipId: hip, counterId: counterId)
        return store
    }

    /// The owner's signed code, once the issuer has certified this phone's key.
    private func signedQr(_ store: HealthLockerStore, _ owner: Profile) async throws -> SignedQr {
        let first = try await store.share.certifyQrKey(backbone: backbone, patient: patient)
        XCTAssertTrue(first.renewed)
        XCTAssertGreaterThan(first.notAfterMs, nowMs() + 7 * day)
        let again = try await store.share.certifyQrKey(backbone: backbone, patient: patient)
        XCTAssertFalse(again.renewed, "a certificate with weeks left is kept")
        return try store.share.signedQr(profileId: owner.id)
    }

    private func offline() throws -> Backbone {
        var offlineConfig = sandboxConfig("http://127.0.0.1:\(try closedPort())")
        offlineConfig.maxAttempts = 1
        offlineConfig.connectTimeoutMs = 500
        return try Backbone(config: offlineConfig)
    }

    /// The `code` and `reason` of the `QrRefused` that `expression` throws, and how the error
    /// prints; nil (and a failure) for anything else.
    private func refusal<T>(
        _ expression: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line
    ) -> (code: String, reason: String, shown: String)? {
        do {
            _ = try expression()
            XCTFail("the code was taken", file: file, line: line)
        } catch {
            guard case let .QrRefused(code, reason)? = error as? LockerError else {
                XCTFail("expected QrRefused, got \(error)", file: file, line: line)
                return nil
            }
            return (code, reason, String(describing: error) + " " + String(reflecting: error))
        }
        return nil
    }

    func testACountersCodeScannedOfflineGoesWhenTheNetworkIsBackAndARescanIsTheSameShare() async throws {
        let (store, owner) = try await phone()
        let before = try await sandbox.stats().applied[shareRoute, default: 0]

        // Scanned with no network: the share waits in the outbox.
        let share = try store.share.scan(profileId: owner.id, facilityCode: facilityQr, phrUrl: config.phrUrl)
        XCTAssertEqual(share.status, .waiting)
        XCTAssertEqual(share.hipId, hip)
        XCTAssertEqual(share.counterId, counterId)
        XCTAssertNil(share.tokenNumber)
        XCTAssertEqual(share.deadlineMs - share.createdAtMs, 5 * minute, "it may wait five minutes")
        XCTAssertNil(store.share.notice(share))
        let waiting = try store.outbox.items()
        XCTAssertEqual(waiting.map(\.kind), [.shareProfile])
        XCTAssertEqual(waiting.map(\.subject), [share.id])
        let halted = try await store.outbox.drain(backbone: try offline())
        XCTAssertEqual(halted.halted, "offline")
        XCTAssertEqual(halted.delivered, 0)
        XCTAssertEqual(halted.waiting, 1)
        XCTAssertEqual(try store.share.get(id: share.id).status, .waiting)
        let whileOffline = try await sandbox.stats().applied[shareRoute, default: 0]
        XCTAssertEqual(whileOffline, before)

        // Back in range, the drain sends it and the facility's token comes back.
        let sent = try await store.outbox.drain(backbone: backbone)
        XCTAssertEqual(sent.delivered, 1)
        XCTAssertEqual(sent.waiting, 0)
        XCTAssertNil(sent.halted)
        let got = try store.share.get(id: share.id)
        XCTAssertEqual(got.status, .token)
        XCTAssertNil(got.errorCode)
        let token = try XCTUnwrap(got.tokenNumber)
        if sandboxIsOurs {
            XCTAssertEqual(token, "0001")
        } else {
            XCTAssertEqual(token.count, 4, "a facility's token as it writes it: \(token)")
        }
        let left = try XCTUnwrap(got.validUntilMs) - nowMs()
        XCTAssertTrue((29 * minute...30 * minute).contains(left), "a token holds about 30 minutes (\(left) ms)")
        let online = try await sandbox.stats().applied[shareRoute, default: 0]
        XCTAssertEqual(online - before, 1)

        // A rescan while the token holds is that share, and sends nothing.
        let again = try store.share.scan(profileId: owner.id, facilityCode: facilityQr, phrUrl: config.phrUrl)
        XCTAssertEqual(again.id, share.id)
        XCTAssertEqual(again.status, .token)
        XCTAssertEqual(again.tokenNumber, token)
        XCTAssertEqual(try store.outbox.items(), [])
        XCTAssertEqual(try store.share.list(profileId: owner.id).map(\.id), [share.id])
        let rescanned = try await sandbox.stats().applied[shareRoute, default: 0]
        XCTAssertEqual(rescanned - before, 1)

        // The consent ledger knows the profile left, and to whom.
        let uses = try store.consent.uses(artefactId: share.id)
        XCTAssertEqual(uses.map(\.hiu), [hip])
        XCTAssertEqual(uses.map(\.channel), ["scan-share"])
    }

    func testACounterWithNoNetworkGivesTokensFromAbhaCardsTheSameOneOnARescanAndRefusesABadCode() async throws {
        let device = track(try HealthLockerStore.create(at: storeDirectory("counter"), keys: InMemoryKeyProvider()))
        let counter = device.counter
        let asha = card("91-6285-4575-5116", "asha.\(UUID().uuidString.prefix(8).lowercased())@sbx", "Asha Kumari")
        let ravi = card("91-1234-5678-9012", "ravi.\(UUID().uuidString.prefix(8).lowercased())@sbx", "Ravi Shankar")
        XCTAssertNil(try counter.desk())
        assertThrows(.WrongStep(state: "counter-closed"), try counter.scan(code: asha.code, cmId: config.cmId),
                     "a device that is no counter registers nobody")
        let desk = try counter.open(hipId: hip, counterId: counterId)
        XCTAssertEqual(desk.hipId, hip)
        XCTAssertEqual(desk.counterId, counterId)
        XCTAssertEqual(try counter.desk(), desk)

        let first = try counter.scan(code: asha.code, cmId: config.cmId)
        XCTAssertEqual(first.token.number, "0001")
        XCTAssertTrue(first.newToken && first.newPatient)
        XCTAssertEqual(first.patient.source, .abhaCard)
        XCTAssertFalse(first.patient.verified, "a card is unsigned")
        XCTAssertEqual(first.patient.abhaAddress, asha.address)
        let second = try counter.scan(code: ravi.code, cmId: config.cmId)
        XCTAssertEqual(second.token.number, "0002")
        XCTAssertTrue(second.newPatient)

        let again = try counter.scan(code: asha.code, cmId: config.cmId)
        XCTAssertEqual(again.token.number, "0001")
        XCTAssertFalse(again.newToken)
        XCTAssertFalse(again.newPatient)
        XCTAssertEqual(again.patient.id, first.patient.id)
        XCTAssertEqual(again.token.validUntilMs, first.token.validUntilMs, "a rescan does not extend the token")
        let tokens = try counter.tokens()
        XCTAssertEqual(tokens.map(\.number), ["0001", "0002"])
        XCTAssertEqual(tokens.map(\.patientId), [first.patient.id, second.patient.id])
        XCTAssertEqual(try counter.patient(id: first.patient.id), again.patient)

        // Codes that are not a patient's are refused with what is wrong, never with what was read.
        for (code, scanned) in [
            ("missing-abha", #"{"hid":"","name":"Someone"}"#),
            ("not-abha-qr", "https://example.com/some-page"),
            ("empty", ""),
        ] {
            let refused = refusal(try counter.scan(code: scanned, cmId: config.cmId))
            XCTAssertEqual(refused?.code, code)
            XCTAssertFalse(refused?.reason.isEmpty ?? true)
            let shown = (refused?.shown ?? "") + " " + (refused?.reason ?? "")
            XCTAssertFalse(shown.contains("Someone") || shown.contains("example.com"), shown)
        }
        XCTAssertEqual(try counter.tokens().count, 2, "a refused code registers nobody")

        // What the facility must hear (one link-token request per patient) waits for the network.
        XCTAssertEqual(try device.outbox.items().map(\.kind), [.counterLinkToken, .counterLinkToken])
        let halted = try await device.outbox.drain(backbone: try offline())
        XCTAssertEqual(halted.halted, "offline")
        XCTAssertEqual(halted.waiting, 2)
        let ours: ([[String: Any]]) -> [[String: Any]] = { list in
            list.filter { [asha.address, ravi.address].contains($0["abhaAddress"] as? String ?? "") }
        }
        let whileOffline = try await sandbox.linkTokens()
        XCTAssertEqual(ours(whileOffline).count, 0)
        let sent = try await device.outbox.drain(backbone: backbone)
        XCTAssertEqual(sent.delivered, 2)
        XCTAssertEqual(sent.waiting, 0)
        let online = try await sandbox.linkTokens()
        let asked = ours(online)
        XCTAssertEqual(asked.compactMap { $0["abhaAddress"] as? String }.sorted(), [asha.address, ravi.address].sorted())
        XCTAssertEqual(Set(asked.compactMap { $0["hipId"] as? String }), [hip])
    }

    func testASignedCodeIsCheckedByACounterWithNoNetworkAndAChangedOneIsRefused() async throws {
        let (phoneStore, owner) = try await phone()
        let qr = try await signedQr(phoneStore, owner)
        XCTAssertTrue(qr.text.hasPrefix("HL1:"))
        XCTAssertGreaterThan(qr.expiresAtMs, nowMs())
        let counter = try counterDevice().counter
        XCTAssertNil(try counter.trustVersion())
        assertThrows(.WrongStep(state: "no-trust-list"), try counter.scan(code: qr.text, cmId: config.cmId),
                     "a counter that never fetched the trust list says so")
        let version = try await counter.refreshTrust(backbone: backbone)
        XCTAssertEqual(try counter.trustVersion(), version)

        // From here on there is no network: the counter checks the code alone (a sandbox of our
        // own is stopped; scanning takes no backbone in any case).
        sandbox.stop()
        let visit = try counter.scan(code: qr.text, cmId: config.cmId)
        XCTAssertEqual(visit.patient.source, .signed)
        XCTAssertTrue(visit.patient.verified)
        XCTAssertEqual(visit.token.number, "0001")
        XCTAssertTrue(visit.newToken && visit.newPatient)
        let patient = visit.patient
        XCTAssertEqual(patient.name, ownerName)
        XCTAssertEqual(patient.abhaAddress, self.patient)
        XCTAssertEqual(patient.birth, birth)
        XCTAssertEqual(patient.abhaNumber.map(digits), digits(abhaNumber))
        let again = try counter.scan(code: qr.text, cmId: config.cmId)
        XCTAssertEqual(again.token.number, "0001")
        XCTAssertFalse(again.newToken)
        XCTAssertEqual(again.patient.id, patient.id)

        // One character changed anywhere is refused, with a reason and without the code.
        var characters = Array(qr.text)
        let middle = characters.count / 2
        characters[middle] = characters[middle] == "A" ? "B" : "A"
        let changed = String(characters)
        let refused = refusal(try counter.scan(code: changed, cmId: config.cmId))
        XCTAssertFalse(refused?.code.isEmpty ?? true)
        XCTAssertFalse(refused?.reason.isEmpty ?? true)
        let piece = String(Array(changed)[4..<24])
        XCTAssertFalse((refused?.shown ?? "").contains(piece))
        XCTAssertEqual(try counter.tokens().count, 1, "a refused code registers nobody")
    }

    func testScanAndShareRecordsPrintNoNameNumberAddressOrCode() async throws {
        let (phoneStore, owner) = try await phone()
        let qr = try await signedQr(phoneStore, owner)
        let counter = try counterDevice().counter
        try await counter.refreshTrust(backbone: backbone)
        let signed = try counter.scan(code: qr.text, cmId: config.cmId)
        let asha = card("91-6285-4575-5116", "asha.k@sbx", "Asha Kumari")
        let carded = try counter.scan(code: asha.code, cmId: config.cmId)
        let share = try phoneStore.share.scan(profileId: owner.id, facilityCode: facilityQr)
        let shown: [Any] = [
            contact, try phoneStore.share.contact(profileId: owner.id), qr, signed, signed.patient, carded,
            try counter.patient(id: carded.patient.id), try counter.tokens(), share, try phoneStore.share.list(),
        ]
        var printed = ""
        for value in shown {
            printed += String(describing: value) + "\n" + String(reflecting: value) + "\n"
            dump(value, to: &printed)
        }
        let secrets = [
            ownerName, "Lakshmi", abhaNumber, digits(abhaNumber), patient!, birth,
            "Asha", "asha.k@sbx", "91-6285-4575-5116", "91628545755116", "5/3/1986", "1986-03-05",
            "9876543210", "12 MG Road", "Bengaluru", "Karnataka", "560001",
            String(Array(qr.text)[4..<24]), String(qr.text.suffix(20)),
        ]
        for secret in secrets {
            XCTAssertFalse(printed.contains(secret), "\(secret) in \(printed)")
        }
        for kept in [signed.patient.id, carded.patient.id, share.id, "0001"] {
            XCTAssertTrue(printed.contains(kept), "ids and tokens still print: \(printed)")
        }
    }
}

private let ownerName = "Lakshmi Narayanan"
private let birth = "1984-07-19"
private let abhaNumber = "91-4321-8765-2109"
private let hip = "IN3410000260"
private let counterId = "OPD-1"
private let facilityQr = "https://phrsbx.abdm.gov.in/share-profile?hip-id=\(hip)&counter-id=\(counterId)"
private let shareRoute = "/api/hiecm/patient-share/v3/share"
private let minute: Int64 = 60_000
private let day: Int64 = 24 * 60 * minute
private let contact = ShareContact(
    mobile: "9876543210", addressLine: "12 MG Road", district: "Bengaluru", state: "Karnataka", pincode: "560001"
)

/// What an ABHA card's QR code holds, and the address it carries.
private func card(_ number: String, _ address: String, _ name: String) -> (code: String, address: String) {
    let fields: [String: String] = [
        "hidn": number, "hid": address, "name": name, "gender": "F", "statelgd": "29", "distlgd": "-",
        "dob": "5/3/1986", "state name": "Karnataka", "district_name": "Bengaluru", "mobile": "9876543210",
        "address": "12 MG Road",
    ]
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    return (String(decoding: data, as: UTF8.self), address)
}

/// An ABHA number without its dashes.
private func digits(_ number: String) -> String {
    number.replacingOccurrences(of: "-", with: "")
}

private func nowMs() -> Int64 {
    Int64(Date().timeIntervalSince1970 * 1000)
}
