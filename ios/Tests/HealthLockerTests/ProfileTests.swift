// Profiles: the owner and family members, edited whole, removed with everything that was theirs.

import Foundation
import XCTest
@testable import HealthLocker

final class ProfileTests: StoreTestCase {
    func testProfilesAreEditedWholeAndRemovingOneTakesItsRecords() throws {
        let (store, owner) = try lockerWithOwner()
        XCTAssertTrue(owner.isOwner)
        XCTAssertEqual(owner.relation, "self")

        var edit = owner
        edit.name = "Kavita S. Verma"
        edit.abhaAddress = nil
        let edited = try store.updateProfile(edit)
        XCTAssertEqual(edited.name, "Kavita S. Verma")
        XCTAssertNil(edited.abhaAddress)
        XCTAssertEqual(try store.profile(id: owner.id).abhaNumber, owner.abhaNumber)

        let child = try store.addProfile(childProfile())
        XCTAssertFalse(child.isOwner)
        XCTAssertEqual(try store.profiles().map(\.id), [owner.id, child.id], "the owner first")
        let record = try store.importRecord(try sample("immunization"), forProfile: child.id)
        let scan = try store.addAttachment(forProfile: child.id, mediaType: "image/jpeg") { write in
            try write(pattern(10_000))
        }

        try store.removeProfile(id: child.id)
        assertThrows(.NotFound(what: "profile"), try store.profile(id: child.id))
        assertThrows(.NotFound(what: "record"), try store.record(id: record.id))
        assertThrows(.NotFound(what: "attachment"), try store.attachment(id: scan.id))
        XCTAssertEqual(try store.profiles(), [edited])
    }

    func testALockerHasOneOwnerAndRefusesAProfileItCannotKeep() throws {
        let (store, _) = try lockerWithOwner()
        var secondOwner = childProfile()
        secondOwner.relation = "self"
        secondOwner.isOwner = true
        assertThrowsInvalidInput(try store.addProfile(secondOwner), "a second owner")

        var nameless = childProfile()
        nameless.name = ""
        assertThrowsInvalidInput(try store.addProfile(nameless), "an empty name")

        var badDate = childProfile()
        badDate.birthDate = "12/01/2015"
        assertThrowsInvalidInput(try store.addProfile(badDate), "a date that is not YYYY-MM-DD or YYYY")

        var stranger = childProfile()
        stranger.relation = "neighbour"
        assertThrowsInvalidInput(try store.addProfile(stranger), "a relation outside the list")
        XCTAssertEqual(try store.profiles().count, 1)
    }
}
