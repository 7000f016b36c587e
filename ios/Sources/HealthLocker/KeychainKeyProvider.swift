// The database key kept by the Keychain: made once from the system's random generator, readable
// after the first unlock, on this device only. It must never log, print or describe the key.

import Foundation
import Security

/// The store's database key, kept by the Keychain.
///
/// The first call makes a random 32-byte key with `SecRandomCopyBytes` and adds it as a generic
/// password that is
/// - readable after the first unlock following a boot (`kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly`),
///   so background work (sync, a share extension) can open the store while the screen is locked;
/// - kept on this device only: never synced to iCloud Keychain and never restored from a backup
///   onto another device. A store restored onto a new phone therefore cannot be opened there;
///   its records come back from ABDM, not from the backup.
///
/// Every later call reads it back. Before the first unlock after a boot the Keychain refuses,
/// and this provider throws ``KeyProviderError/deviceLockedSinceBoot`` and changes nothing.
///
/// Keychain items outlive the app: after a reinstall the old key is found again and the new,
/// empty store is keyed with it. Use ``deleteKey()`` to erase a store for good.
public struct KeychainKeyProvider: KeyProvider, Sendable {
    /// The length of a database key; the store refuses any other.
    static let keyLength = 32

    public let service: String
    /// One account per store: two stores never share a key.
    public let account: String
    /// A keychain access group shared with app extensions, or `nil` for the app's own.
    public let accessGroup: String?

    public init(
        service: String = "org.healthlocker.database-key",
        account: String = "default",
        accessGroup: String? = nil
    ) {
        self.service = service
        self.account = account
        self.accessGroup = accessGroup
    }

    public func databaseKey() throws -> Data {
        if let key = try storedKey() {
            return key
        }
        return try addNewKey()
    }

    /// Deletes the key. The store it opened can then never be read again: this is how a store is
    /// erased at once (a field worker's device after sync), never a remedy for an error.
    public func deleteKey() throws {
        let status = SecItemDelete(baseQuery as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw KeyProviderError(keychainStatus: status)
        }
    }

    /// Names the item. `kSecUseDataProtectionKeychain` makes macOS use the same keychain as iOS,
    /// the one that honours `kSecAttrAccessible`; iOS ignores it.
    private var baseQuery: [String: Any] {
        var query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrSynchronizable as String: false,
            kSecUseDataProtectionKeychain as String: true,
        ]
        if let accessGroup {
            query[kSecAttrAccessGroup as String] = accessGroup
        }
        return query
    }

    private func storedKey() throws -> Data? {
        var query = baseQuery
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        switch status {
        case errSecSuccess:
            guard let key = item as? Data else {
                throw KeyProviderError.malformedKey(byteCount: 0)
            }
            guard key.count == Self.keyLength else {
                throw KeyProviderError.malformedKey(byteCount: key.count)
            }
            return key
        case errSecItemNotFound:
            return nil
        default:
            throw KeyProviderError(keychainStatus: status)
        }
    }

    private func addNewKey() throws -> Data {
        var key = Data(count: Self.keyLength)
        let generated = key.withUnsafeMutableBytes { buffer -> OSStatus in
            guard let base = buffer.baseAddress else { return errSecAllocate }
            return SecRandomCopyBytes(kSecRandomDefault, buffer.count, base)
        }
        guard generated == errSecSuccess else {
            throw KeyProviderError.randomGeneratorFailed(status: generated)
        }

        var attributes = baseQuery
        attributes[kSecValueData as String] = key
        attributes[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let added = SecItemAdd(attributes as CFDictionary, nil)
        switch added {
        case errSecSuccess:
            return key
        case errSecDuplicateItem:
            // Another thread or process added a key between our read and our add. Theirs is
            // the one kept, so theirs is the store's key; ours is dropped.
            key.resetBytes(in: key.indices)
            guard let theirs = try storedKey() else {
                throw KeyProviderError.keychainFailure(status: added)
            }
            return theirs
        default:
            throw KeyProviderError(keychainStatus: added)
        }
    }
}

extension KeyProviderError {
    /// The typed error for a Keychain status other than success and not-found.
    init(keychainStatus status: OSStatus) {
        if status == errSecInteractionNotAllowed {
            // What SecItemCopyMatching/SecItemAdd return for an AfterFirstUnlock item while the
            // device has not been unlocked since boot.
            self = .deviceLockedSinceBoot
        } else {
            self = .keychainFailure(status: status)
        }
    }
}
