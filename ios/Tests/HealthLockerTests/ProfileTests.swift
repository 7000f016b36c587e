// Profiles: the owner and family members, edited whole, removed with everything that was theirs.

import Foundation
import XCTest
@testable import HealthLocker

final class ProfileTests: StoreTestCase {
    func testPrintingARecordShowsNoPersonalData() throws {
        let (_, owner) = try lockerWithOwner()
        var dumped = ""
        dump(owner, to: &dumped)
        let printed = [String(describing: owner), String(reflecting: owner), dumped,
                       String(describing: ownerProfile()), String(describing: RecordQuery(text: "tuberculosis"))]
            .joined(separator: " ")
        for personal in [owner.name, owner.birthDate, owner.abhaNumber ?? "-", "tuberculosis"] {
            XCTAssertFalse(printed.contains(personal), printed)
        }
        XCTAssertTrue(printed.contains(owner.id), printed)
    }

    func testProfilesAreEditedWholeAndRemovingOneTakesItsRecords() throws {
        let (store, owner) = try lockerWithOwner()
        XCTAssertTrue(owner.isOwner)
        XCTAssertEqual(owner.relation, "self")

        var edit = owner
        edit.name = "Kavita S. Verma"
        edit.abhaAddress = nil
        let edited = try store.profiles.update(edit)
        XCTAssertEqual(edited.name, "Kavita S. Verma")
        XCTAssertNil(edited.abhaAddress)
        XCTAssertEqual(try store.profiles.get(id: owner.id).abhaNumber, owner.abhaNumber)

        let child = try store.profiles.add(childProfile())
        XCTAssertFalse(child.isOwner)
        XCTAssertEqual(try store.profiles.list().map(\.id), [owner.id, child.id], "the owner first")
        let record = try store.records.import(try sample("immunization"), forProfile: child.id)
        let scan = try store.attachments.add(forProfile: child.id, mediaType: "image/jpeg") { write in
            try write(pattern(10_000))
        }

        try store.profiles.remove(id: child.id)
        assertThrows(.NotFound(what: "profile"), try store.profiles.get(id: child.id))
        assertThrows(.NotFound(what: "record"), try store.records.get(id: record.id))
        assertThrows(.NotFound(what: "attachment"), try store.attachments.get(id: scan.id))
        XCTAssertEqual(try store.profiles.list(), [edited])
    }

    func testALockerHasOneOwnerAndRefusesAProfileItCannotKeep() throws {
        let (store, _) = try lockerWithOwner()
        var secondOwner = childProfile()
        secondOwner.relation = "self"
        secondOwner.isOwner = true
        assertThrowsInvalidInput(try store.profiles.add(secondOwner), "a second owner")

        var nameless = childProfile()
        nameless.name = ""
        assertThrowsInvalidInput(try store.profiles.add(nameless), "an empty name")

        var badDate = childProfile()
        badDate.birthDate = "12/01/2015"
        assertThrowsInvalidInput(try store.profiles.add(badDate), "a date that is not YYYY-MM-DD or YYYY")

        var stranger = childProfile()
        stranger.relation = "neighbour"
        assertThrowsInvalidInput(try store.profiles.add(stranger), "a relation outside the list")
        XCTAssertEqual(try store.profiles.list().count, 1)
    }
}
