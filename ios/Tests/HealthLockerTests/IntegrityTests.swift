// The store's own verification: the full check on a sound store, and the audit log's chain
// of what was done, which names actions and opaque ids but never a person.

import Foundation
import XCTest
@testable import HealthLocker

final class IntegrityTests: StoreTestCase {
    func testCheckPassesOnASoundStoreWithRecordsAndAttachments() throws {
        let (store, owner) = try lockerWithOwner()
        try store.records.import(try sample("diagnostic-report"), forProfile: owner.id)
        try store.attachments.add(forProfile: owner.id, mediaType: "image/png") { write in
            try write(pattern(70_000))
        }

        let report = try store.check()
        XCTAssertEqual(report.problems, [])
        XCTAssertEqual(report.sqliteProblems, [])
        XCTAssertEqual(report.cipherPageFailures, 0)
        XCTAssertTrue(report.searchIndexOk)
        XCTAssertEqual(report.damagedAttachments, [])
        XCTAssertEqual(report.incompleteRecords, [])
        XCTAssertEqual(report.attachmentsChecked, 1, "the image; the report's small inline PDF stays in its bundle")
        guard case .intact = report.audit else {
            return XCTFail("audit chain: \(report.audit)")
        }
    }

    func testTheAuditLogRecordsEachChangeWithoutPersonalData() throws {
        let (store, owner) = try lockerWithOwner()
        func entries() throws -> UInt64 {
            let verification = try store.verifyAudit()
            guard case let .intact(entries) = verification else {
                XCTFail("audit chain: \(verification)")
                return 0
            }
            return entries
        }
        let start = try entries()

        let record = try store.records.import(try sample("op-consultation"), forProfile: owner.id)
        _ = try store.records.read(id: record.id) // shown on this device: not an export, not audited
        _ = try store.records.export(id: record.id)
        try store.records.delete(id: record.id)
        var edited = owner
        edited.name = "Kavita S. Verma"
        edited.abhaAddress = nil
        try store.profiles.update(edited)

        XCTAssertEqual(try entries(), start + 4)
        let log = try store.auditEntries(limit: 10)
        XCTAssertEqual(log.map(\.action), ["profile.update", "record.delete", "record.export", "record.import", "profile.add", "store.create"])
        XCTAssertEqual(log.map(\.seq), log.map(\.seq).sorted(by: >), "newest first")
        let text = log.map { String(describing: $0) }.joined(separator: "\n")
        for secret in ["Kavita", "Sharma", "Verma", "Meenakshi", "91-5540", "kavita.s"] {
            XCTAssertFalse(text.contains(secret), "the audit log names \(secret)")
        }
    }
}
