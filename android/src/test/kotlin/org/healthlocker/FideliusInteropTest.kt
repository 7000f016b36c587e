package org.healthlocker

import java.math.BigInteger
import java.security.KeyFactory
import java.security.SecureRandom
import java.security.Security
import java.security.spec.X509EncodedKeySpec
import java.util.Base64
import javax.crypto.Cipher
import javax.crypto.KeyAgreement
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec
import kotlin.random.Random
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import org.bouncycastle.crypto.agreement.ECDHBasicAgreement
import org.bouncycastle.crypto.digests.SHA256Digest
import org.bouncycastle.crypto.ec.CustomNamedCurves
import org.bouncycastle.crypto.generators.ECKeyPairGenerator
import org.bouncycastle.crypto.generators.HKDFBytesGenerator
import org.bouncycastle.crypto.params.ECDomainParameters
import org.bouncycastle.crypto.params.ECKeyGenerationParameters
import org.bouncycastle.crypto.params.ECPrivateKeyParameters
import org.bouncycastle.crypto.params.ECPublicKeyParameters
import org.bouncycastle.crypto.params.HKDFParameters
import org.bouncycastle.jce.ECNamedCurveTable
import org.bouncycastle.jce.interfaces.ECPublicKey
import org.bouncycastle.jce.provider.BouncyCastleProvider
import org.bouncycastle.jce.spec.ECParameterSpec
import org.bouncycastle.jce.spec.ECPrivateKeySpec
import org.bouncycastle.jce.spec.ECPublicKeySpec
import org.bouncycastle.math.ec.ECPoint
import org.bouncycastle.util.BigIntegers
import org.junit.Test

/**
 * Fidelius against BouncyCastle, the library every Java HIP and HIU (and fidelius-cli) runs on, as the live peer:
 * a thousand random exchanges each way. BouncyCastle sends (JCA `ECDH` on its named curve `curve25519`,
 * `HKDFBytesGenerator` over SHA-256, `AES/GCM/NoPadding` with a 128-bit tag) and our library receives; then ours
 * sends and BouncyCastle receives. Public keys cross in every form both ways: raw `04‖X‖Y`, X.509 with explicit
 * parameters as Java's `getEncoded()` writes it (ours must parse in Java and re-encode to the same bytes: the
 * 244-byte prefix) and X.509 naming the curve. Java-made private keys (`BigInteger.toByteArray()`: short ones, and
 * with a leading 0x00) are imported into ours and must give Java's public key. A secret with a leading zero byte
 * must be padded, never trimmed. Plaintexts of 0 to 4096 random bytes.
 */
class FideliusInteropTest {
    private val x9 = CustomNamedCurves.getByName("curve25519")
    private val domain = ECDomainParameters(x9.curve, x9.g, x9.n, x9.h)

    /** How fidelius-cli and the ABDM reference code build their keys: an `ECParameterSpec`, so X.509 spells the curve out. */
    private val explicitSpec = ECParameterSpec(x9.curve, x9.g, x9.n, x9.h, x9.seed)
    private val namedSpec = ECNamedCurveTable.getParameterSpec("curve25519")
    private val keyFactory = KeyFactory.getInstance("EC", BC)
    private val secure = SecureRandom()
    private val seed = System.nanoTime()
    private val random = Random(seed)

    /** A BouncyCastle party: its key pair in every form Java gives it, and its nonce. */
    private inner class JavaParty {
        val d: BigInteger
        val q: ECPoint
        init {
            val kp = ECKeyPairGenerator().apply { init(ECKeyGenerationParameters(domain, secure)) }.generateKeyPair()
            d = (kp.private as ECPrivateKeyParameters).d
            q = (kp.public as ECPublicKeyParameters).q.normalize()
        }
        val nonce = ByteArray(32).also(secure::nextBytes)
        val raw: ByteArray get() = q.getEncoded(false)
        val x509Explicit: ByteArray get() = keyFactory.generatePublic(ECPublicKeySpec(q, explicitSpec)).encoded
        val x509Named: ByteArray get() = keyFactory.generatePublic(ECPublicKeySpec(q, namedSpec)).encoded

        /** The form a given exchange sends this key in. */
        fun publicKey(form: Int): ByteArray = when (form % 3) {
            0 -> raw
            1 -> x509Explicit
            else -> x509Named
        }

        /**
         * ECDH as fidelius-cli does it (JCA `KeyAgreement`, BC provider: the secret comes padded to the field's 32
         * bytes) one exchange in [JCA_EVERY], else with BouncyCastle's lightweight `ECDHBasicAgreement` (the same
         * arithmetic under the JCA, without its key objects: quicker), padded to 32 bytes as the JCA pads it.
         */
        fun secretWith(peer: ECPoint, exchange: Int = 0): ByteArray {
            if (exchange % JCA_EVERY == 0) {
                val agreement = KeyAgreement.getInstance("ECDH", BC)
                agreement.init(keyFactory.generatePrivate(ECPrivateKeySpec(d, explicitSpec)))
                agreement.doPhase(keyFactory.generatePublic(ECPublicKeySpec(peer, explicitSpec)), true)
                return agreement.generateSecret()
            }
            val agreement = ECDHBasicAgreement().apply { init(ECPrivateKeyParameters(d, domain)) }
            return BigIntegers.asUnsignedByteArray(32, agreement.calculateAgreement(ECPublicKeyParameters(peer, domain)))
        }
    }

    /** A key of ours read as a Java peer reads it: raw through the curve, X.509 through the key factory. */
    private fun javaReads(key: String): ECPoint {
        val bytes = b64d(key)
        return if (bytes.size == 65) {
            x9.curve.decodePoint(bytes)
        } else {
            val parsed = keyFactory.generatePublic(X509EncodedKeySpec(bytes))
            // Our X.509 is Java's, byte for byte.
            assertContentEquals(bytes, parsed.encoded, "our X.509 key re-encodes to the same bytes in Java")
            (parsed as ECPublicKey).q.normalize()
        }
    }

    private fun gcm(mode: Int, secret: ByteArray, senderNonce: ByteArray, requesterNonce: ByteArray, input: ByteArray): ByteArray {
        assertEquals(32, secret.size)
        val xor = ByteArray(32) { (senderNonce[it].toInt() xor requesterNonce[it].toInt()).toByte() }
        val key = ByteArray(32)
        HKDFBytesGenerator(SHA256Digest()).apply { init(HKDFParameters(secret, xor.copyOfRange(0, 20), null)) }
            .generateBytes(key, 0, 32)
        val cipher = Cipher.getInstance("AES/GCM/NoPadding", BC)
        cipher.init(mode, SecretKeySpec(key, "AES"), GCMParameterSpec(128, xor.copyOfRange(20, 32)))
        return cipher.doFinal(input)
    }

    private fun plaintext() = random.nextBytes(random.nextInt(0, 4097))

    /** Java's form of a private key, sometimes with the leading 0x00 some Java code leaves on. */
    private fun javaPrivate(d: BigInteger, i: Int): String =
        b64(if (i % 10 == 3) byteArrayOf(0) + d.toByteArray() else d.toByteArray())

    @Test fun bouncyCastleSendsAndWeReceive() {
        var leadingZero = 0
        var shortKeys = 0
        repeat(EXCHANGES) { i ->
            val hip = JavaParty()
            if (hip.d.toByteArray().size < 32) shortKeys++
            val ours = fideliusGenerateKeyPair()
            val ourNonce = b64(ByteArray(32).also(secure::nextBytes))
            // The HIU (us) sends its key raw, as a HIU does; every other time in X.509, as a HIP does.
            val ourKey = if (i % 2 == 0) ours.publicKeyRaw else ours.publicKeyX509
            val secret = hip.secretWith(javaReads(ourKey), i)
            if (secret[0] == 0.toByte()) leadingZero++
            val clear = plaintext()
            val sealed = gcm(Cipher.ENCRYPT_MODE, secret, hip.nonce, b64d(ourNonce), clear)
            val opened = fideliusDecrypt(ours.privateKey, ourNonce, b64(hip.publicKey(i)), b64(hip.nonce), b64(sealed))
            assertContentEquals(clear, opened, "exchange $i (seed $seed)")
        }
        println("Fidelius: BouncyCastle → ours, $EXCHANGES exchanges, $leadingZero secrets with a leading zero byte, $shortKeys short Java keys")
    }

    @Test fun weSendAndBouncyCastleReceives() {
        var leadingZero = 0
        repeat(EXCHANGES) { i ->
            val hiu = JavaParty()
            // Half the time our sender's key is one Java made, imported from its BigInteger bytes: it must give
            // Java's own public key (no clamping, any length).
            val sender: FideliusKeyPair
            if (i % 2 == 0) {
                sender = fideliusGenerateKeyPair()
            } else {
                val java = JavaParty()
                sender = fideliusPublicKey(javaPrivate(java.d, i))
                assertEquals(b64(java.raw), sender.publicKeyRaw, "a Java private key gives Java's public key (exchange $i)")
                assertContentEquals(java.x509Explicit, b64d(sender.publicKeyX509))
            }
            val ourNonce = ByteArray(32).also(secure::nextBytes)
            val clear = plaintext()
            val sealed = fideliusEncrypt(sender.privateKey, b64(ourNonce), b64(hiu.publicKey(i)), b64(hiu.nonce), clear)
            // The HIU reads our key as a HIP sends it (X.509), or raw.
            val ourKey = if (i % 3 == 0) sender.publicKeyRaw else sender.publicKeyX509
            val secret = hiu.secretWith(javaReads(ourKey), i)
            if (secret[0] == 0.toByte()) leadingZero++
            val opened = gcm(Cipher.DECRYPT_MODE, secret, ourNonce, hiu.nonce, b64d(sealed))
            assertContentEquals(clear, opened, "exchange $i (seed $seed)")
        }
        println("Fidelius: ours → BouncyCastle, $EXCHANGES exchanges, $leadingZero secrets with a leading zero byte")
    }

    /** Found by search, so it is certain to be tested: a secret whose first byte is zero, both ways. */
    @Test fun aSecretWithALeadingZeroByteIsPaddedNotTrimmed() {
        val java = JavaParty()
        var ours: FideliusKeyPair
        var secret: ByteArray
        var tries = 0
        do {
            ours = fideliusGenerateKeyPair()
            secret = java.secretWith(javaReads(ours.publicKeyRaw))
            tries++
        } while (secret[0] != 0.toByte() && tries < 20_000)
        assertEquals(0, secret[0].toInt(), "no leading-zero secret in $tries tries")
        // The number's own bytes are fewer: a port that trims hashes 31 bytes (or fewer) and fails here.
        assertTrue(BigIntegers.asUnsignedByteArray(BigInteger(1, secret)).size < 32)
        val ourNonce = ByteArray(32).also(secure::nextBytes)
        val clear = "pad, never trim".toByteArray()
        val sealed = gcm(Cipher.ENCRYPT_MODE, secret, java.nonce, ourNonce, clear)
        assertContentEquals(clear, fideliusDecrypt(ours.privateKey, b64(ourNonce), b64(java.x509Explicit), b64(java.nonce), b64(sealed)))
        val back = fideliusEncrypt(ours.privateKey, b64(ourNonce), b64(java.raw), b64(java.nonce), clear)
        assertContentEquals(clear, gcm(Cipher.DECRYPT_MODE, secret, ourNonce, java.nonce, b64d(back)))
    }

    @Test fun whatBouncyCastleRefusesWeRefuseByName() {
        val java = JavaParty()
        val ours = fideliusGenerateKeyPair()
        val (n1, n2) = fideliusNewNonce() to fideliusNewNonce()
        val secret = java.secretWith(javaReads(ours.publicKeyRaw))
        val sealed = gcm(Cipher.ENCRYPT_MODE, secret, b64d(n2), b64d(n1), "entry".toByteArray())
        sealed[sealed.size - 1] = (sealed[sealed.size - 1].toInt() xor 1).toByte()
        val tag = assertFailsWith<LockerException.CryptoRefused> {
            fideliusDecrypt(ours.privateKey, n1, b64(java.raw), n2, b64(sealed))
        }
        assertEquals("tag-mismatch", tag.code)
        // A point off the curve, and a private key equal to the group order: BouncyCastle refuses both too.
        val off = java.raw.also { it[64] = (it[64].toInt() xor 1).toByte() }
        assertFailsWith<IllegalArgumentException> { x9.curve.decodePoint(off) }
        val notOnCurve = assertFailsWith<LockerException.CryptoRefused> {
            fideliusEncrypt(ours.privateKey, n1, b64(off), n2, byteArrayOf())
        }
        assertEquals("not-on-curve", notOnCurve.code)
        val order = assertFailsWith<LockerException.CryptoRefused> { fideliusPublicKey(b64(x9.n.toByteArray())) }
        assertEquals("bad-private-key", order.code)
        // The key pair prints its public key only.
        assertTrue(!ours.toString().contains(ours.privateKey), ours.toString())
    }

    companion object {
        const val EXCHANGES = 1000
        const val JCA_EVERY = 10
        private val BC = BouncyCastleProvider().also { Security.addProvider(it) }
        private fun b64(bytes: ByteArray): String = Base64.getEncoder().encodeToString(bytes)
        private fun b64d(text: String): ByteArray = Base64.getDecoder().decode(text)
    }
}
