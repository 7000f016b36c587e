// Records from hospitals against the sandbox's hospitals and relay: a hospital is linked with the
// OTP it sends, its records pulled encrypted to a key made on this device and read; a doctor's
// request that came while the phone was offline is answered a day later; the background-sync
// policy the BGTask glue follows. The same stories as core/tests/exchange.rs, the Kotlin and the
// Python suites. Each test is its own citizen (a fresh ABHA address).

import Foundation
import XCTest
@testable import HealthLocker

final class RecordsExchangeTests: StoreTestCase {
    private var sandbox: Sandbox!
    private var backbone: Backbone!
    private var patient: String!
    private let hospital = "sbx-hip-district"
    private let selfId = "sbx-phr-healthlocker"
    private let mobile = "9812345678"

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

    private func phone() async throws -> (HealthLockerStore, Profile) {
        let store = try HealthLockerStore.create(at: storeDirectory(), keys: InMemoryKeyProvider())
        let owner = try store.profiles.add(NewProfile(
            name: "Meena Pillai", gender: .female, birthDate: "1990-02-14", abhaNumber: nil,
            abhaAddress: patient, relation: "self", isOwner: true))
        try store.consent.signIn(patient: patient, token: try await sandbox.phrLogin(patient), expiresInSeconds: 86_400 * 30)
        return (store, owner)
    }

    private func syncUntil(_ store: HealthLockerStore, _ done: () throws -> Bool) async throws {
        for _ in 0..<40 {
            _ = try await store.sync(backbone: backbone)
            if try done() { return }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        XCTFail("the sync never got there")
    }

    func testAHospitalIsLinkedItsRecordsPulledEncryptedAndRead() async throws {
        _ = try await sandbox.admin("POST", "/admin/hip/records", [
            "hip": hospital, "patient": patient!, "careContexts": 2, "recordsPerContext": 3, "mobile": mobile,
        ])
        let (store, owner) = try await phone()
        let found = try await store.links.discover(backbone: backbone, patient: patient, hipId: hospital, mobile: mobile)
        let started = try await store.links.choose(backbone: backbone, attempt: found.attempt)
        let otp = try await sandbox.admin("GET", "/admin/link-otp/\(started.linkReference)")["otp"] as! String
        let linked = try await store.links.confirm(backbone: backbone, attempt: found.attempt, otp: otp)
        XCTAssertEqual(linked.count, 2)
        XCTAssertFalse("\(linked[0])".lowercased().contains("visit"))

        _ = try store.consent.setAutoApproval(patient: patient, hiu: selfId, enabled: true)
        let pull = try store.exchange.pull(profileId: owner.id)
        try await syncUntil(store) { try store.exchange.pullStatus(id: pull.id).state == .done }
        let done = try store.exchange.pullStatus(id: pull.id)
        XCTAssertEqual(done.transfers.map(\.recordsImported).reduce(0, +), 6)
        XCTAssertFalse(done.transfers.contains { $0.keyKept }, "the private key is erased once its push arrived")
    }

    func testBackgroundSyncRunsOnANetworkWithinWhatAMeteredOneAllows() {
        var policy = BackgroundSync()
        policy.meteredBytes = 1_000
        XCTAssertNil(policy.budget(.init(connected: false, metered: false, lowPower: false), allowanceMs: 30_000))
        XCTAssertNil(policy.budget(.init(connected: true, metered: false, lowPower: true), allowanceMs: 30_000))
        let b = policy.budget(.init(connected: true, metered: true, lowPower: true, userAsked: true), allowanceMs: 30_000)
        XCTAssertEqual(b?.maxBytes, 1_000)
        XCTAssertEqual(b?.maxMillis, 25_000)
    }
}
