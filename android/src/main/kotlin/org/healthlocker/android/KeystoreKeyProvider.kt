package org.healthlocker.android

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.security.keystore.UserNotAuthenticatedException
import java.io.File
import java.security.KeyStore
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.healthlocker.KeyProvider
import org.healthlocker.KeyUnavailableException

/**
 * The store's database key, kept safe by Android Keystore.
 *
 * The first call makes a random 32-byte database key, wraps (encrypts) it with a non-exportable AES-256-GCM key that
 * lives in AndroidKeyStore (hardware-backed where the device has it), and writes only the wrapped key to app-private
 * storage. Every later call unwraps it. The clear key never touches disk and is never logged.
 *
 * After a reboot, before the first unlock, the keystore may refuse to work; this provider then throws
 * [KeyUnavailableException] and changes nothing: ask again after the user unlocks.
 *
 * @param alias the keystore alias of the wrapping key; one per store.
 */
class KeystoreKeyProvider(
    context: Context,
    private val alias: String = "healthlocker.db-key-wrap",
) : KeyProvider {
    private val wrappedFile = File(context.noBackupFilesDir, "$alias.wrapped")

    override fun databaseKey(): ByteArray =
        try {
            if (wrappedFile.exists()) unwrap(wrappedFile.readBytes()) else createKey()
        } catch (e: KeyUnavailableException) {
            throw e
        } catch (e: UserNotAuthenticatedException) {
            throw KeyUnavailableException("the keystore needs the device to be unlocked first", e)
        } catch (e: IllegalStateException) {
            // Thrown by keystore operations while the device is still locked after boot.
            throw KeyUnavailableException("the keystore is not usable yet; retry after the device is unlocked", e)
        } catch (e: java.security.GeneralSecurityException) {
            throw KeyUnavailableException("the keystore could not unwrap the database key", e)
        }

    private fun keystore(): KeyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }

    private fun wrappingKey(create: Boolean): SecretKey {
        (keystore().getKey(alias, null) as SecretKey?)?.let { return it }
        if (!create) throw KeyUnavailableException("the wrapping key is missing from the keystore")
        val gen = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        gen.init(
            KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .setRandomizedEncryptionRequired(true)
                .build(),
        )
        return gen.generateKey()
    }

    private fun createKey(): ByteArray {
        val key = ByteArray(32).also { SecureRandom().nextBytes(it) }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, wrappingKey(create = true))
        val wrapped = byteArrayOf(cipher.iv.size.toByte()) + cipher.iv + cipher.doFinal(key)
        // Written under a temporary name and renamed: a crash never leaves half a wrapped key.
        val tmp = File(wrappedFile.path + ".tmp")
        tmp.outputStream().use {
            it.write(wrapped)
            it.fd.sync()
        }
        if (!tmp.renameTo(wrappedFile)) throw java.io.IOException("could not store the wrapped database key")
        return key
    }

    private fun unwrap(wrapped: ByteArray): ByteArray {
        val ivLen = wrapped.firstOrNull()?.toInt() ?: throw KeyUnavailableException("the wrapped key file is empty")
        if (wrapped.size < 1 + ivLen + 16) throw KeyUnavailableException("the wrapped key file is damaged")
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, wrappingKey(create = false), GCMParameterSpec(128, wrapped, 1, ivLen))
        return cipher.doFinal(wrapped, 1 + ivLen, wrapped.size - 1 - ivLen)
    }

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
    }
}
