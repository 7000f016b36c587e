// What every story needs: a temporary directory, a key kept in memory, the sample bundles, and
// assertions on LockerError. Tests only; nothing here ships.

import Foundation
import XCTest
@testable import HealthLocker

/// A key held in memory: for tests, never for a real app's store.
final class InMemoryKeyProvider: KeyProvider {
    private let key: Data

    init(key: Data? = nil) throws {
        self.key = try key ?? generateKey()
    }

    func databaseKey() throws -> Data {
        key
    }
}

struct MissingFixture: Error, CustomStringConvertible {
    let path: String

    var description: String {
        "no fixture at \(path); set HEALTHLOCKER_FIXTURES to the repository's fixtures/bundles"
    }
}

/// Collects errors from several threads.
final class ErrorCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [Error] = []

    func add(_ error: Error) {
        lock.lock()
        collected.append(error)
        lock.unlock()
    }

    var errors: [Error] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }
}

/// A test case with its own temporary directory; every store it tracks is closed afterwards.
class StoreTestCase: XCTestCase {
    /// The sample ABDM bundles, found from this file's place in the repository
    /// (ios/Tests/HealthLockerTests/ → fixtures/bundles/), or from HEALTHLOCKER_FIXTURES.
    static let fixtures: URL = {
        if let dir = ProcessInfo.processInfo.environment["HEALTHLOCKER_FIXTURES"] {
            return URL(fileURLWithPath: dir, isDirectory: true)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent() // HealthLockerTests
            .deletingLastPathComponent() // Tests
            .deletingLastPathComponent() // ios
            .deletingLastPathComponent() // the repository
            .appendingPathComponent("fixtures/bundles", isDirectory: true)
    }()

    private(set) var root: URL!
    private var opened: [HealthLockerStore] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("healthlocker-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        for store in opened {
            try? store.close()
        }
        opened.removeAll()
        if let root {
            try? FileManager.default.removeItem(at: root)
        }
        try super.tearDownWithError()
    }

    /// A directory for a store, not yet made.
    func storeDirectory(_ name: String = "store") -> URL {
        root.appendingPathComponent(name, isDirectory: true)
    }

    /// A file in the test's directory, not yet made.
    func file(_ name: String) -> URL {
        root.appendingPathComponent(name, isDirectory: false)
    }

    /// Closes `store` when the test ends.
    @discardableResult
    func track(_ store: HealthLockerStore) -> HealthLockerStore {
        opened.append(store)
        return store
    }

    func sample(_ name: String) throws -> Data {
        try Data(contentsOf: try fixture("\(name).json"))
    }

    /// A file under fixtures/bundles; its absence fails the test with a hint rather than skip it.
    func fixture(_ relativePath: String) throws -> URL {
        let url = Self.fixtures.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingFixture(path: url.path)
        }
        return url
    }

    /// The people in these stories are invented, like those in the sample bundles.
    func ownerProfile() -> NewProfile {
        NewProfile(
            name: "Kavita Sharma", gender: .female, birthDate: "1986-02-14",
            abhaNumber: "91-5540-2234-7788", abhaAddress: "kavita.s@sbx", relation: "self", isOwner: true
        )
    }

    func childProfile() -> NewProfile {
        NewProfile(name: "Rohan Sharma", gender: .male, birthDate: "2015", relation: "child")
    }

    /// A new store with its owner.
    func lockerWithOwner(at directory: URL? = nil, keys: KeyProvider? = nil) throws -> (HealthLockerStore, Profile) {
        let provider: KeyProvider = try keys ?? InMemoryKeyProvider()
        let store = track(try HealthLockerStore.create(at: directory ?? storeDirectory(), keys: provider))
        return (store, try store.profiles.add(ownerProfile()))
    }

    /// Every file under `directory`, by relative path, with its bytes.
    func snapshot(of directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: directory.path) {
            let url = directory.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[path] = try Data(contentsOf: url)
            }
        }
        return files
    }

    /// `count` bytes that are the same in every run and look like nothing in particular.
    func pattern(_ count: Int, seed: UInt64 = 7) -> Data {
        var state = seed
        var bytes = [UInt8](repeating: 0, count: count)
        for i in bytes.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        return Data(bytes)
    }

    /// Asserts that `expression` throws exactly `expected`.
    func assertThrows<T>(
        _ expected: LockerError,
        _ expression: @autoclosure () throws -> T,
        _ message: String = "",
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertThrowsError(try expression(), message, file: file, line: line) { error in
            XCTAssertEqual(error as? LockerError, expected, message, file: file, line: line)
        }
    }

    /// Asserts that `expression` throws `LockerError.InvalidInput`, whatever its reason.
    func assertThrowsInvalidInput<T>(
        _ expression: @autoclosure () throws -> T,
        _ message: String = "",
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertThrowsError(try expression(), message, file: file, line: line) { error in
            guard case .InvalidInput = error as? LockerError else {
                return XCTFail("expected InvalidInput, got \(error) \(message)", file: file, line: line)
            }
        }
    }
}
