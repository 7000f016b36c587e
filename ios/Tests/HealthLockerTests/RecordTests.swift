// Records: ABDM document bundles in, listed, filtered, paged, and out exactly as they came.

import Foundation
import XCTest
@testable import HealthLocker

final class RecordTests: StoreTestCase {
    func testEveryKindOfRecordImportsClassifiedAndASecondCopyIsADuplicate() throws {
        let (store, owner) = try lockerWithOwner()
        let expected: [(String, HiType)] = [
            ("op-consultation", .opConsultation), ("prescription", .prescription),
            ("discharge-summary", .dischargeSummary), ("diagnostic-report", .diagnosticReport),
            ("immunization", .immunizationRecord), ("health-document", .healthDocumentRecord),
            ("wellness", .wellnessRecord), ("invoice", .invoice),
        ]
        var ids: [String] = []
        for (name, type) in expected {
            let record = try store.records.import(try sample(name), forProfile: owner.id)
            XCTAssertEqual(record.hiType, type, name)
            XCTAssertFalse(record.title.isEmpty, name)
            XCTAssertNotNil(record.date, name)
            XCTAssertEqual(record.profileId, owner.id, name)
            ids.append(record.id)
        }

        assertThrows(.Duplicate(existing: ids[ids.count - 1]), try store.records.import(try sample("invoice"), forProfile: owner.id))
        let invalid = try fixture("invalid")
        for bad in try FileManager.default.contentsOfDirectory(at: invalid, includingPropertiesForKeys: nil)
            where bad.pathExtension == "json" {
            assertThrowsInvalidInput(try store.records.import(contentsOf: bad, forProfile: owner.id), bad.lastPathComponent)
        }
        assertThrows(.NotFound(what: "profile"), try store.records.import(try sample("invoice"), forProfile: "no-such-person"))
        XCTAssertEqual(Set(try store.records.all().map(\.id)), Set(ids))
    }

    func testRecordsListNewestFirstAndFilterByTypeDatesWordsAndPerson() throws {
        let (store, owner) = try lockerWithOwner()
        let child = try store.profiles.add(childProfile())
        for name in ["op-consultation", "prescription", "discharge-summary", "diagnostic-report", "wellness"] {
            try store.records.import(try sample(name), forProfile: owner.id)
        }
        try store.records.import(try sample("immunization"), forProfile: child.id)

        let all = try store.records.list().records
        XCTAssertEqual(all.count, 6)
        XCTAssertEqual(all.map(\.sortMs), all.map(\.sortMs).sorted(by: >), "newest first")

        func types(_ query: RecordQuery) throws -> [HiType] {
            try store.records.list(matching: query).records.map(\.hiType)
        }
        XCTAssertEqual(try types(RecordQuery(hiTypes: [.prescription])), [.prescription])
        XCTAssertEqual(try types(RecordQuery(fromDate: "2024-01-01", toDate: "2024-12-31")), [.immunizationRecord, .opConsultation])
        XCTAssertEqual(try types(RecordQuery(text: "dengue")), [.dischargeSummary])
        XCTAssertEqual(try types(RecordQuery(text: "lipi")), [.diagnosticReport], "a word's beginning finds it")
        XCTAssertEqual(try types(RecordQuery(text: "appendicectomy")), [], "in a bundle that was not imported")
        XCTAssertEqual(try store.records.list(matching: RecordQuery(profileId: child.id)).records.map(\.profileId), [child.id])

        // Two at a time, every record exactly once.
        let first = try store.records.list(matching: RecordQuery(limit: 2))
        XCTAssertEqual(first.records.count, 2)
        XCTAssertNotNil(first.nextCursor)
        let second = try store.records.list(matching: RecordQuery(limit: 2, cursor: first.nextCursor))
        XCTAssertEqual(second.records, Array(all[2..<4]))
        XCTAssertEqual(try store.records.all(matching: RecordQuery(limit: 2)), all)
    }

    func testRecordExportsExactlyAsImportedToMemoryOrAFileAndDeletes() throws {
        let (store, owner) = try lockerWithOwner()
        let bundle = try sample("health-document") // carries an inline PDF
        let record = try store.records.import(bundle, forProfile: owner.id, careContext: "visit-2018-appendix")
        XCTAssertEqual(record.careContext, "visit-2018-appendix")
        XCTAssertEqual(try store.records.get(id: record.id), record)
        XCTAssertEqual(try store.records.export(id: record.id), bundle)
        XCTAssertEqual(try store.records.read(id: record.id), bundle)
        XCTAssertEqual(try store.records.count(), 1)

        let out = file("export.json")
        XCTAssertEqual(try store.records.export(id: record.id, to: out), UInt64(bundle.count))
        XCTAssertEqual(try Data(contentsOf: out), bundle)

        // The same bundle from a file is the same record.
        let copy = file("copy.json")
        try bundle.write(to: copy)
        assertThrows(.Duplicate(existing: record.id), try store.records.import(contentsOf: copy, forProfile: owner.id))

        try store.records.delete(id: record.id)
        assertThrows(.NotFound(what: "record"), try store.records.get(id: record.id))
        assertThrows(.NotFound(what: "record"), try store.records.export(id: record.id))
        XCTAssertEqual(try store.records.count(), 0)
        XCTAssertEqual(try store.records.import(contentsOf: copy, forProfile: owner.id).hiType, .healthDocumentRecord)
    }
}
