package org.healthlocker

/**
 * Where a store's 32-byte database key comes from. On Android that is [org.healthlocker.android.KeystoreKeyProvider];
 * tests and tools may keep a key in memory.
 *
 * The key returned is handed to the store and then wiped, so return a fresh copy every time.
 */
interface KeyProvider {
    /** The database key, creating it the first time. */
    @Throws(KeyUnavailableException::class)
    fun databaseKey(): ByteArray
}

/**
 * The key exists but cannot be reached now, e.g. the device has restarted and not yet been unlocked.
 * Nothing is lost: ask again after the user unlocks.
 */
class KeyUnavailableException(message: String, cause: Throwable? = null) : Exception(message, cause)

/** A key held in memory: for tests and tools, never for a real app's store. */
class InMemoryKeyProvider(key: ByteArray = generateKey()) : KeyProvider {
    private val key = key.copyOf()

    override fun databaseKey(): ByteArray = key.copyOf()
}
