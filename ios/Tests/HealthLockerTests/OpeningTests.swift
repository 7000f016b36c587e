// Opening, closing and keys: a store comes back with its key, refuses any other without
// touching a byte, takes a new key, and serves several threads.

import Foundation
import XCTest
@testable import HealthLocker

final class OpeningTests: StoreTestCase {
    func testFamilyLockerOpensAgainWithItsKeyAndShowsTheSamePeople() throws {
        let directory = storeDirectory()
        let keys = try InMemoryKeyProvider()
        let (store, owner) = try lockerWithOwner(at: directory, keys: keys)
        let child = try store.profiles.add(childProfile())
        try store.close()
        assertThrows(.Closed, try store.profiles.list())
        try store.close() // closing twice is harmless

        let again = track(try HealthLockerStore.open(at: directory, keys: keys))
        XCTAssertEqual(try again.profiles.list(), [owner, child])
    }

    func testFirstLaunchCreatesTheStoreAndLaterLaunchesOpenIt() throws {
        let directory = storeDirectory()
        let keys = try InMemoryKeyProvider()
        assertThrows(.NotFound(what: "store"), try HealthLockerStore.open(at: directory, keys: keys))

        let first = try HealthLockerStore.openOrCreate(at: directory, keys: keys)
        XCTAssertEqual(try first.profiles.list(), [])
        let owner = try first.profiles.add(ownerProfile())
        try first.close()
        XCTAssertThrowsError(try HealthLockerStore.create(at: directory, keys: keys), "a second store over the first") { error in
            guard case .StoreExists = error as? LockerError else { return XCTFail("\(error)") }
        }

        let later = track(try HealthLockerStore.openOrCreate(at: directory, keys: keys))
        XCTAssertEqual(try later.profiles.list(), [owner])
    }

    func testStoreThatLostItsDatabaseIsDamagedAndNeverBuiltOver() throws {
        let directory = storeDirectory()
        let keys = try InMemoryKeyProvider()
        let (store, owner) = try lockerWithOwner(at: directory, keys: keys)
        try store.attachments.add(forProfile: owner.id, mediaType: "application/pdf") { write in
            try write(pattern(1_000))
        }
        try store.close()
        try FileManager.default.removeItem(at: directory.appendingPathComponent("locker.db"))
        var before = try snapshot(of: directory)
        before.removeValue(forKey: "locker.lock")

        for k in [keys, try InMemoryKeyProvider()] {
            XCTAssertThrowsError(try HealthLockerStore.openOrCreate(at: directory, keys: k)) { error in
                guard case .Corrupt(let reason) = error as? LockerError else { return XCTFail("\(error)") }
                XCTAssertTrue(reason.contains("locker.db is missing"), reason)
            }
            XCTAssertThrowsError(try HealthLockerStore.create(at: directory, keys: k)) { error in
                guard case .StoreExists(let found) = error as? LockerError else { return XCTFail("\(error)") }
                XCTAssertTrue(found.contains("attachments/ (1 file)"), found)
            }
        }
        var after = try snapshot(of: directory)
        after.removeValue(forKey: "locker.lock")
        XCTAssertEqual(after, before)
    }

    func testCitizenWithWrongKeyGetsWrongKeyAndStoreIsUntouched() throws {
        let directory = storeDirectory()
        let keys = try InMemoryKeyProvider()
        let (store, owner) = try lockerWithOwner(at: directory, keys: keys)
        try store.records.import(try sample("prescription"), forProfile: owner.id)
        try store.attachments.add(forProfile: owner.id, mediaType: "image/png") { write in
            try write(pattern(100_000))
        }
        try store.close()
        let before = try snapshot(of: directory)
        XCTAssertTrue(before.keys.contains("locker.db"), "the store's files: \(before.keys.sorted())")

        assertThrows(.WrongKey, try HealthLockerStore.open(at: directory, keys: InMemoryKeyProvider()))
        XCTAssertEqual(try snapshot(of: directory), before, "a wrong key changed, added or removed a file")
        assertThrowsInvalidInput(try HealthLockerStore.open(at: directory, keys: InMemoryKeyProvider(key: Data(count: 31))))
        XCTAssertEqual(try snapshot(of: directory), before)

        let opened = track(try HealthLockerStore.open(at: directory, keys: keys))
        XCTAssertEqual(try opened.records.list().records.count, 1)
    }

    func testNewKeyReplacesTheOldOne() throws {
        let directory = storeDirectory()
        let old = try InMemoryKeyProvider()
        let (store, owner) = try lockerWithOwner(at: directory, keys: old)
        try store.records.import(try sample("wellness"), forProfile: owner.id)
        let newKey = try generateKey()
        try store.rekey(to: newKey)
        try store.close()

        assertThrows(.WrongKey, try HealthLockerStore.open(at: directory, keys: old))
        let reopened = track(try HealthLockerStore.open(at: directory, keys: InMemoryKeyProvider(key: newKey)))
        XCTAssertEqual(try reopened.records.list().records.count, 1)
    }

    func testOneLockerServesSeveralThreadsAtOnce() throws {
        let (store, owner) = try lockerWithOwner()
        let bundles = try ["op-consultation", "prescription", "discharge-summary", "diagnostic-report"].map { try sample($0) }
        let ownerId = owner.id
        let failures = ErrorCollector()
        DispatchQueue.concurrentPerform(iterations: bundles.count) { i in
            do {
                try store.records.import(bundles[i], forProfile: ownerId)
                for _ in 0..<20 {
                    _ = try store.records.list()
                }
            } catch {
                failures.add(error)
            }
        }
        XCTAssertTrue(failures.errors.isEmpty, "\(failures.errors)")
        XCTAssertEqual(try store.records.list().records.count, bundles.count)
    }
}
