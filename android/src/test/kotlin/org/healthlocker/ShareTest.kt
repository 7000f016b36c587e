package org.healthlocker

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Before
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder

/**
 * Scan & Share through the facade, against a real `locker sandbox serve` process (a fresh one per test), its
 * facilities and its signed-QR issuer: a patient scans a counter's code with no network and the share goes, and the
 * token comes back, when the network is back; a counter's device with no network registers patients from their ABHA
 * cards and gives tokens; a patient's signed code is checked by a counter with no network and a changed one refused;
 * none of it prints a name, a number, an address or a code's text. The same stories as core/tests/share.rs,
 * core/tests/counter.rs, the Python and the Swift suites.
 */
class ShareTest {
    @get:Rule val tmp = TemporaryFolder()

    private lateinit var sandbox: Sandbox
    private lateinit var config: BackboneConfig
    private lateinit var backbone: Backbone
    private val opened = mutableListOf<HealthLocker>()

    @Before fun startSandbox() {
        sandbox = Sandbox.start()
        config = sandboxConfig(sandbox.url)
        backbone = Backbone(config)
    }

    @After fun stop() {
        opened.forEach { runCatching { it.close() } }
        backbone.close()
        sandbox.stop()
    }

    private fun store() = HealthLocker.create(tmp.newFolder(), InMemoryKeyProvider()).also { opened += it }

    /** A phone whose owner's ABHA address is [PATIENT], with a contact for counters, signed in to the consent manager. */
    private fun phone(): Pair<HealthLocker, Profile> {
        val l = store()
        val owner = l.profiles.add(
            NewProfile(
                name = OWNER, gender = Gender.FEMALE, birthDate = BIRTH, abhaNumber = ABHA_NUMBER,
                abhaAddress = PATIENT, relation = "self", isOwner = true,
            ),
        )
        l.share.setContact(owner.id, CONTACT)
        l.consent.signIn(PATIENT, sandbox.phrLogin(PATIENT), 86_400)
        return l to owner
    }

    /** A hospital counter's device: its own store, opened as [HIP]'s counter [COUNTER]. */
    private fun counterDevice(): HealthLocker = store().also { it.counter.open(HIP, COUNTER) }

    /** The owner's signed code, once the issuer has certified this phone's key. */
    private suspend fun signedQr(l: HealthLocker, owner: Profile): SignedQr {
        val first = l.share.certifyQrKey(backbone, PATIENT)
        assertTrue(first.renewed && first.notAfterMs > now() + 7 * DAY, "$first")
        assertFalse(l.share.certifyQrKey(backbone, PATIENT).renewed, "a certificate with weeks left is kept")
        return l.share.signedQr(owner.id)
    }

    private fun offline() = Backbone(sandboxConfig("http://127.0.0.1:${closedPort()}").copy(maxAttempts = 1u, connectTimeoutMs = 500u))

    @Test fun `a counter's code scanned offline goes when the network is back, and a rescan is the same share`() = runBlocking<Unit> {
        val (l, owner) = phone()

        // Scanned with no network: the share waits in the outbox.
        val share = l.share.scan(owner.id, FACILITY_QR, config.phrUrl)
        assertEquals(ShareStatus.WAITING, share.status)
        assertEquals(HIP to COUNTER, share.hipId to share.counterId)
        assertNull(share.tokenNumber)
        assertEquals(5 * MINUTE, share.deadlineMs - share.createdAtMs, "it may wait five minutes")
        assertNull(l.share.notice(share))
        assertEquals(listOf(ItemKind.SHARE_PROFILE to share.id), l.outbox.items().map { it.kind to it.subject })
        val halted = offline().use { l.outbox.drain(it) }
        assertEquals("offline", halted.halted)
        assertEquals(0u to 1u, halted.delivered to halted.waiting)
        assertEquals(ShareStatus.WAITING, l.share.get(share.id).status)
        assertEquals(0L, sandbox.applied(SHARE_ROUTE))

        // Back in range, the drain sends it and the facility's token comes back.
        val sent = l.outbox.drain(backbone)
        assertEquals(1u to 0u, sent.delivered to sent.waiting)
        assertNull(sent.halted)
        val got = l.share.get(share.id)
        assertEquals(ShareStatus.TOKEN to "0001", got.status to got.tokenNumber)
        assertNull(got.errorCode)
        val left = got.validUntilMs!! - now()
        assertTrue(left in 29 * MINUTE..30 * MINUTE, "a token holds about 30 minutes ($left ms)")
        assertEquals(1L, sandbox.applied(SHARE_ROUTE))

        // A rescan while the token holds is that share, and sends nothing.
        val again = l.share.scan(owner.id, FACILITY_QR, config.phrUrl)
        assertEquals(share.id, again.id)
        assertEquals(ShareStatus.TOKEN to "0001", again.status to again.tokenNumber)
        assertTrue(l.outbox.items().isEmpty())
        assertEquals(listOf(share.id), l.share.list(owner.id).map { it.id })
        assertEquals(1L, sandbox.applied(SHARE_ROUTE))

        // The consent ledger knows the profile left, and to whom.
        val use = l.consent.uses(share.id).single()
        assertEquals(HIP to "scan-share", use.hiu to use.channel)
    }

    @Test fun `a counter with no network gives tokens from ABHA cards, the same one on a rescan, and refuses a bad code`() = runBlocking<Unit> {
        val device = store()
        val counter = device.counter
        assertNull(counter.desk())
        val closed = assertFailsWith<LockerException.WrongStep> { counter.scan(ASHA, config.cmId) }
        assertEquals("counter-closed", closed.state, "a device that is no counter registers nobody")
        val desk = counter.open(HIP, COUNTER)
        assertEquals(HIP to COUNTER, desk.hipId to desk.counterId)
        assertEquals(desk, counter.desk())

        val first = counter.scan(ASHA, config.cmId)
        assertEquals("0001", first.token.number)
        assertTrue(first.newToken && first.newPatient)
        assertEquals(PatientSource.ABHA_CARD, first.patient.source)
        assertFalse(first.patient.verified, "a card is unsigned")
        assertEquals("asha.k@sbx", first.patient.abhaAddress)
        val second = counter.scan(RAVI, config.cmId)
        assertEquals("0002", second.token.number)
        assertTrue(second.newPatient)

        val again = counter.scan(ASHA, config.cmId)
        assertEquals("0001", again.token.number)
        assertFalse(again.newToken || again.newPatient)
        assertEquals(first.patient.id, again.patient.id)
        assertEquals(first.token.validUntilMs, again.token.validUntilMs, "a rescan does not extend the token")
        assertEquals(
            listOf("0001" to first.patient.id, "0002" to second.patient.id),
            counter.tokens().map { it.number to it.patientId },
        )
        assertEquals(again.patient, counter.patient(first.patient.id))

        // Codes that are not a patient's are refused with what is wrong, never with what was read.
        for ((code, scanned) in listOf(
            "missing-abha" to """{"hid":"","name":"Someone"}""",
            "not-abha-qr" to "https://example.com/some-page",
            "empty" to "",
        )) {
            val refused = assertFailsWith<LockerException.QrRefused> { counter.scan(scanned, config.cmId) }
            assertEquals(code, refused.code)
            assertTrue(refused.reason.isNotEmpty())
            val shown = "$refused ${refused.message} ${refused.reason}"
            assertFalse("Someone" in shown || "example.com" in shown, shown)
        }
        assertEquals(2, counter.tokens().size, "a refused code registers nobody")

        // What the facility must hear (one link-token request per patient) waits for the network.
        assertEquals(List(2) { ItemKind.COUNTER_LINK_TOKEN }, device.outbox.items().map { it.kind })
        val halted = offline().use { device.outbox.drain(it) }
        assertEquals("offline" to 2u, halted.halted to halted.waiting)
        assertTrue(sandbox.linkTokens().isEmpty())
        val sent = device.outbox.drain(backbone)
        assertEquals(2u to 0u, sent.delivered to sent.waiting)
        val asked = sandbox.linkTokens()
        assertEquals(listOf("asha.k@sbx", "ravi.s@sbx"), asked.map { it.second }.sorted())
        assertEquals(setOf(HIP), asked.map { it.first }.toSet())
    }

    @Test fun `a signed code is checked by a counter with no network, and a changed one is refused`() = runBlocking<Unit> {
        val (phone, owner) = phone()
        val qr = signedQr(phone, owner)
        assertTrue(qr.text.startsWith("HL1:"))
        assertTrue(qr.expiresAtMs > now())
        val counter = counterDevice().counter
        assertNull(counter.trustVersion())
        val noList = assertFailsWith<LockerException.WrongStep> { counter.scan(qr.text, config.cmId) }
        assertEquals("no-trust-list", noList.state, "a counter that never fetched the trust list says so")
        val version = counter.refreshTrust(backbone)
        assertEquals(version, counter.trustVersion())

        // From here on there is no network at all: the counter checks the code alone.
        sandbox.stop()
        val visit = counter.scan(qr.text, config.cmId)
        assertEquals(PatientSource.SIGNED, visit.patient.source)
        assertTrue(visit.patient.verified)
        assertEquals("0001", visit.token.number)
        assertTrue(visit.newToken && visit.newPatient)
        val patient = visit.patient
        assertEquals(Triple(OWNER, PATIENT, BIRTH), Triple(patient.name, patient.abhaAddress, patient.birth))
        assertEquals(ABHA_NUMBER.replace("-", ""), patient.abhaNumber?.replace("-", ""))
        val again = counter.scan(qr.text, config.cmId)
        assertEquals(Triple("0001", false, patient.id), Triple(again.token.number, again.newToken, again.patient.id))

        // One character changed anywhere is refused, with a reason and without the code.
        val middle = qr.text.length / 2
        val changed = qr.text.substring(0, middle) + (if (qr.text[middle] == 'A') 'B' else 'A') + qr.text.substring(middle + 1)
        val refused = assertFailsWith<LockerException.QrRefused> { counter.scan(changed, config.cmId) }
        assertTrue(refused.code.isNotEmpty() && refused.reason.isNotEmpty())
        assertFalse(changed.substring(4, 24) in "$refused ${refused.message}")
        assertEquals(1, counter.tokens().size, "a refused code registers nobody")
    }

    @Test fun `scan and share records print no name, number, address or code`() = runBlocking<Unit> {
        val (phone, owner) = phone()
        val qr = signedQr(phone, owner)
        val counter = counterDevice().counter
        counter.refreshTrust(backbone)
        val signed = counter.scan(qr.text, config.cmId)
        val carded = counter.scan(ASHA, config.cmId)
        val share = phone.share.scan(owner.id, FACILITY_QR)
        val printed = listOf(
            CONTACT, phone.share.contact(owner.id), qr, signed, signed.patient, carded, counter.patient(carded.patient.id),
            counter.tokens(), share, phone.share.list(),
        ).joinToString("\n") { it.toString() }
        val secrets = listOf(
            OWNER, "Lakshmi", ABHA_NUMBER, ABHA_NUMBER.replace("-", ""), PATIENT, BIRTH,
            "Asha", "asha.k@sbx", "91-6285-4575-5116", "91628545755116", "5/3/1986", "1986-03-05",
            "9876543210", "12 MG Road", "Bengaluru", "Karnataka", "560001",
            qr.text.substring(4, 24), qr.text.takeLast(20),
        )
        for (secret in secrets) assertFalse(secret in printed, "$secret in $printed")
        for (kept in listOf(signed.patient.id, carded.patient.id, share.id, "0001", "SIGNED", "ABHA_CARD")) {
            assertTrue(kept in printed, "ids, tokens and kinds still print: $printed")
        }
    }

    @Test fun `a code drawn as PNG is read back from the image and from a camera frame with a row stride`() {
        val text = FACILITY_QR
        val png = qrPng(text, 4u)
        assertEquals(listOf(text), qrDecodeImage(png))
        val image = javax.imageio.ImageIO.read(java.io.ByteArrayInputStream(png))
        val (width, height) = image.width to image.height
        val stride = width + 32
        val plane = ByteArray(stride * height)
        for (y in 0 until height) for (x in 0 until width) {
            plane[y * stride + x] = (image.getRGB(x, y) and 0xff).toByte()
        }
        assertEquals(listOf(text), qrDecodeFrame(plane, width.toUInt(), height.toUInt(), stride.toUInt()))
        val none = assertFailsWith<LockerException.QrRefused> { qrDecodeImage(byteArrayOf(1, 2, 3)) }
        assertEquals("image-unreadable", none.code)
    }
}

private const val OWNER = "Lakshmi Narayanan"
private const val BIRTH = "1984-07-19"
private const val ABHA_NUMBER = "91-4321-8765-2109"
private const val PATIENT = "lakshmi.n@sbx"
private const val HIP = "IN3410000260"
private const val COUNTER = "OPD-1"
private const val FACILITY_QR = "https://phrsbx.abdm.gov.in/share-profile?hip-id=$HIP&counter-id=$COUNTER"
private const val SHARE_ROUTE = "/api/hiecm/patient-share/v3/share"
private const val MINUTE = 60_000L
private const val DAY = 24 * 60 * MINUTE
private val CONTACT = ShareContact(
    mobile = "9876543210", addressLine = "12 MG Road", district = "Bengaluru", state = "Karnataka", pincode = "560001",
)

/** What an ABHA card's QR code holds. */
private fun card(number: String, address: String, name: String) =
    """{"hidn":"$number","hid":"$address","name":"$name","gender":"F","statelgd":"29","distlgd":"-","dob":"5/3/1986",""" +
        """"state name":"Karnataka","district_name":"Bengaluru","mobile":"9876543210","address":"12 MG Road"}"""

private val ASHA = card("91-6285-4575-5116", "asha.k@sbx", "Asha Kumari")
private val RAVI = card("91-1234-5678-9012", "ravi.s@sbx", "Ravi Shankar")

private fun now() = System.currentTimeMillis()
