// The Keychain key provider: a key made once, found again at the next launch, kept on this
// device only, and a clear error while the device is locked after boot.
//
// The round trip needs a keychain this test process may use. A test bundle hosted by an app,
// or `swift test` on a Mac, has one; an unsigned process without a keychain access group gets
// errSecMissingEntitlement, and those tests are skipped rather than failed.

import Foundation
import Security
import XCTest
@testable import HealthLocker

final class KeychainKeyProviderTests: StoreTestCase {
    /// A provider under a name of its own, deleted when the test ends.
    private func provider() -> KeychainKeyProvider {
        let keys = KeychainKeyProvider(service: "org.healthlocker.tests", account: UUID().uuidString)
        addTeardownBlock { try? keys.deleteKey() }
        return keys
    }

    /// The key, or a skip when this process has no keychain.
    private func firstKey(from keys: KeychainKeyProvider) throws -> Data {
        do {
            return try keys.databaseKey()
        } catch KeyProviderError.keychainFailure(let status)
            where status == errSecMissingEntitlement || status == errSecNotAvailable {
            throw XCTSkip("no keychain for this test process (status \(status)): run the tests hosted by an app")
        }
    }

    func testKeychainKeepsTheKeyForTheNextLaunchOnThisDeviceOnly() throws {
        let keys = provider()
        let made = try firstKey(from: keys)
        XCTAssertEqual(made.count, 32)
        XCTAssertEqual(try keys.databaseKey(), made, "the next launch finds the same key")
        let sameNameElsewhere = KeychainKeyProvider(service: keys.service, account: keys.account)
        XCTAssertEqual(try sameNameElsewhere.databaseKey(), made)

        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: keys.service,
            kSecAttrAccount as String: keys.account,
            kSecUseDataProtectionKeychain as String: true,
            kSecReturnAttributes as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        XCTAssertEqual(SecItemCopyMatching(query as CFDictionary, &item), errSecSuccess)
        let attributes = try XCTUnwrap(item as? [String: Any])
        XCTAssertEqual(
            attributes[kSecAttrAccessible as String] as? String,
            kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly as String,
            "readable after the first unlock, never synced or moved to another device"
        )

        try keys.deleteKey()
        let remade = try keys.databaseKey()
        XCTAssertNotEqual(remade, made, "a deleted key is gone for good; a new one is made")
    }

    func testTwoStoresGetTwoKeys() throws {
        let first = try firstKey(from: provider())
        let second = try firstKey(from: provider())
        XCTAssertNotEqual(first, second)
    }

    func testAStoreOpensAgainWithItsKeychainKey() throws {
        let keys = provider()
        _ = try firstKey(from: keys)
        let directory = storeDirectory()
        let (store, owner) = try lockerWithOwner(at: directory, keys: keys)
        try store.close()

        let again = track(try HealthLockerStore.open(at: directory, keys: keys))
        XCTAssertEqual(try again.profiles.list(), [owner])
    }

    func testKeyAskedForBeforeFirstUnlockTellsTheAppToRetryLater() {
        // The Keychain answers errSecInteractionNotAllowed for an AfterFirstUnlock item until the
        // device has been unlocked once since boot; a locked simulator cannot be arranged in a
        // test, so the mapping is checked directly.
        XCTAssertEqual(KeyProviderError(keychainStatus: errSecInteractionNotAllowed), .deviceLockedSinceBoot)
        XCTAssertEqual(KeyProviderError(keychainStatus: errSecMissingEntitlement), .keychainFailure(status: errSecMissingEntitlement))
        let message = KeyProviderError.deviceLockedSinceBoot.localizedDescription
        XCTAssertTrue(message.contains("unlock"), message)
    }
}
