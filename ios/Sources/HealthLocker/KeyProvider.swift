// Where a store's 32-byte database key comes from, and how getting it can fail.
// It owns the contract only; it never logs, prints or describes a key.

import Foundation

/// Where a store's 32-byte database key comes from. In an app that is ``KeychainKeyProvider``;
/// tests and tools may keep a key in memory.
///
/// The store wipes the key once it has been used, where it holds the only copy (the core wipes
/// the copy that crossed into Rust). A `Data` the provider keeps is a separate value and is left
/// alone.
public protocol KeyProvider {
    /// The database key, made and kept the first time it is asked for.
    func databaseKey() throws -> Data
}

/// Why a ``KeyProvider`` could not hand out the key. No case carries key material.
public enum KeyProviderError: Error, Equatable, Sendable {
    /// The device has restarted and has not been unlocked since, so the Keychain keeps the key
    /// out of reach. Nothing is lost: retry after the first unlock, for example when
    /// `UIApplication.protectedDataDidBecomeAvailableNotification` arrives (a background launch
    /// right after boot, such as a push or a background task, meets this case).
    case deviceLockedSinceBoot
    /// What the Keychain holds under this name is not a 32-byte key. It is left alone: replacing
    /// it would make the store it opens unreadable for good.
    case malformedKey(byteCount: Int)
    /// The system's random number generator failed (`SecRandomCopyBytes` status).
    case randomGeneratorFailed(status: Int32)
    /// Any other Keychain failure, with its `OSStatus` (see `SecCopyErrorMessageString`).
    /// `errSecMissingEntitlement` (-34018) means the process has no keychain access group:
    /// an unsigned tool or a test bundle without a host app.
    case keychainFailure(status: Int32)
}

extension KeyProviderError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .deviceLockedSinceBoot:
            return "The device has not been unlocked since it started, so the health locker's key is unavailable. Try again after the first unlock."
        case .malformedKey(let byteCount):
            return "The Keychain item for the health locker's key holds \(byteCount) bytes, not 32; it was left unchanged."
        case .randomGeneratorFailed(let status):
            return "The system random number generator failed (status \(status))."
        case .keychainFailure(let status):
            return "The Keychain refused the health locker's key (status \(status))."
        }
    }
}
