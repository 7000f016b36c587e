package org.healthlocker

import java.io.File
import kotlin.random.Random
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Before
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder

/**
 * ABHA enrolment through the facade, against a real `locker sandbox serve` process (a fresh one per test): the
 * citizen's own online enrolment, wrong and locked OTPs, a field worker's offline queue and the outbox that holds it,
 * the backbone's configuration and credentials, and the identifier checks a form makes while the user types.
 */
class EnrolmentTest {
    @get:Rule val tmp = TemporaryFolder()

    private lateinit var sandbox: Sandbox
    private lateinit var backbone: Backbone
    private val opened = mutableListOf<HealthLocker>()

    @Before fun startSandbox() {
        sandbox = Sandbox.start()
        backbone = Backbone(sandboxConfig(sandbox.url))
    }

    @After fun stop() {
        opened.forEach { runCatching { it.close() } }
        backbone.close()
        sandbox.stop()
    }

    private fun locker(): HealthLocker = HealthLocker.create(tmp.newFolder(), InMemoryKeyProvider()).also { opened += it }

    private fun otpFor(e: Enrolment): String = sandbox.otp(assertNotNull(e.transactionId, "an OTP step has a transaction"))

    @Test fun `a citizen enrols online and ends with a profile holding their ABHA number, address and card`() = runBlocking<Unit> {
        val rnd = Random(11)
        val l = locker()
        val aadhaar = validAadhaar(rnd)

        // A mobile that is not the Aadhaar-linked one must be verified with its own OTP.
        var e = l.enrolment.onlineStart(backbone, aadhaar, mobile(rnd))
        assertEquals(EnrolmentState.OTP_SENT, e.state)
        assertEquals(EnrolmentMode.ONLINE, e.mode)
        e = l.enrolment.onlineVerifyOtp(backbone, e.id, otpFor(e))
        assertEquals(EnrolmentState.MOBILE_UNVERIFIED, e.state)
        assertNotNull(e.abhaNumber, "the ABHA exists once the Aadhaar OTP is verified")
        e = l.enrolment.onlineRequestMobileOtp(backbone, e.id)
        assertEquals(EnrolmentState.MOBILE_OTP_SENT, e.state)
        e = l.enrolment.onlineVerifyMobileOtp(backbone, e.id, otpFor(e))
        assertEquals(EnrolmentState.ADDRESS_PENDING, e.state)

        val suggestions = l.enrolment.onlineAddressSuggestions(backbone, e.id)
        assertTrue(suggestions.isNotEmpty(), "the backbone suggests addresses")
        suggestions.forEach { validateAbhaAddressForCreation(it) }
        e = l.enrolment.onlineCreateAddress(backbone, e.id, suggestions.first())
        assertEquals(EnrolmentState.ADDRESS_CREATED, e.state)
        assertEquals("${suggestions.first()}@sbx", e.abhaAddress)

        val profile = l.enrolment.onlineFinish(backbone, e.id)
        val number = assertNotNull(profile.abhaNumber)
        assertEquals(number, parseAbhaNumber(number).dashed, "stored the way ABDM shows it")
        assertTrue(parseAbhaNumber(number).passesLuhn)
        assertEquals(e.abhaNumber, number)
        assertEquals("${suggestions.first()}@sbx", profile.abhaAddress)
        assertTrue(profile.isOwner, "the first person enrolled as self owns the locker")
        assertEquals(listOf(profile), l.profiles.list())

        val card = l.attachments.list(profile.id).single()
        assertEquals("image/png", card.mediaType)
        val png = l.attachments.open(card.id).use { it.readBytes() }
        assertContentEquals(PNG_SIGNATURE, png.copyOf(8))
        assertEquals(card.size.toInt(), png.size)

        val done = l.enrolment.get(e.id)
        assertEquals(EnrolmentState.DONE, done.state)
        assertTrue(done.erased)
        assertNull(done.name)
        assertNull(done.transactionId)
        assertEquals("done", assertFailsWith<LockerException.WrongStep> { l.enrolment.onlineFinish(backbone, e.id) }.state)
    }

    @Test fun `a family member whose mobile is the Aadhaar-linked one skips mobile verification`() = runBlocking<Unit> {
        val rnd = Random(12)
        val l = locker()
        val owner = l.profiles.add(
            NewProfile(name = "Meena Pillai", gender = Gender.FEMALE, birthDate = "1979-08-02", relation = "self", isOwner = true),
        )
        val aadhaar = validAadhaar(rnd)
        val phone = mobile(rnd)
        sandbox.addResident(aadhaar, "Rahul Pillai", "M", 2004, phone)

        var e = l.enrolment.onlineStart(backbone, aadhaar, "+91 $phone", relation = "child")
        e = l.enrolment.onlineVerifyOtp(backbone, e.id, otpFor(e))
        assertEquals(EnrolmentState.ADDRESS_PENDING, e.state)
        assertEquals("address_pending", assertFailsWith<LockerException.WrongStep> { l.enrolment.onlineRequestMobileOtp(backbone, e.id) }.state)
        assertFailsWith<LockerException.InvalidInput>("the strict rule applies before any network") {
            l.enrolment.onlineCreateAddress(backbone, e.id, "rp")
        }
        l.enrolment.onlineCreateAddress(backbone, e.id, "rahul.pillai04")
        val child = l.enrolment.onlineFinish(backbone, e.id)

        assertEquals("Rahul Pillai", child.name)
        assertEquals("child", child.relation)
        assertEquals(Gender.MALE, child.gender)
        assertEquals("rahul.pillai04@sbx", child.abhaAddress)
        assertEquals(listOf(owner.id, child.id), l.profiles.list().map { it.id })
        assertEquals(listOf("image/png"), l.attachments.list(child.id).map { it.mediaType })
        assertTrue(l.attachments.list(owner.id).isEmpty())
    }

    @Test fun `a wrong OTP is refused with the attempts left and the right one still works`() = runBlocking<Unit> {
        val l = locker()
        var e = l.enrolment.onlineStart(backbone, validAadhaar(Random(13)), mobile(Random(13)))
        val right = otpFor(e)
        val wrong = otherOtp(right)
        assertFailsWith<LockerException.InvalidInput>("a malformed OTP never reaches the backbone") {
            l.enrolment.onlineVerifyOtp(backbone, e.id, "12ab")
        }

        val first = assertFailsWith<LockerException.WrongOtp> { l.enrolment.onlineVerifyOtp(backbone, e.id, wrong) }
        assertEquals(4u, first.attemptsLeft)
        val second = assertFailsWith<LockerException.WrongOtp> { l.enrolment.onlineVerifyOtp(backbone, e.id, wrong) }
        assertEquals(3u, second.attemptsLeft)
        assertEquals(EnrolmentState.OTP_SENT, l.enrolment.get(e.id).state)
        assertNull(l.enrolment.get(e.id).abhaNumber)

        e = l.enrolment.onlineVerifyOtp(backbone, e.id, right)
        assertEquals(EnrolmentState.MOBILE_UNVERIFIED, e.state)
        val early = assertFailsWith<LockerException.WrongStep>("the mobile OTP was never requested") {
            l.enrolment.onlineVerifyMobileOtp(backbone, e.id, right)
        }
        assertEquals("mobile_unverified", early.state)
    }

    @Test fun `five wrong OTPs lock the transaction and a new OTP starts it again`() = runBlocking<Unit> {
        val l = locker()
        var e = l.enrolment.onlineStart(backbone, validAadhaar(Random(14)), mobile(Random(14)))
        val wrong = otherOtp(otpFor(e))
        repeat(4) { i ->
            val err = assertFailsWith<LockerException.WrongOtp> { l.enrolment.onlineVerifyOtp(backbone, e.id, wrong) }
            assertEquals((4 - i).toUInt(), err.attemptsLeft)
        }
        assertFailsWith<LockerException.OtpLocked> { l.enrolment.onlineVerifyOtp(backbone, e.id, wrong) }
        assertEquals(EnrolmentState.STARTED, l.enrolment.get(e.id).state)

        e = l.enrolment.onlineRequestOtp(backbone, e.id)
        assertEquals(EnrolmentState.OTP_SENT, e.state)
        e = l.enrolment.onlineVerifyOtp(backbone, e.id, otpFor(e))
        assertEquals(EnrolmentState.MOBILE_UNVERIFIED, e.state)
    }

    @Test fun `a field worker's captures wait offline, are submitted later, handed over and erased`() = runBlocking<Unit> {
        val rnd = Random(15)
        val l = locker()
        val session = l.enrolment.startSession("asha-0412", "tablet-77", retentionDays = 3)
        assertEquals(3L * 86_400_000, session.retentionMs)
        val consent = ConsentCapture(language = "hi", textVersion = "1.4")
        val people = listOf("Sunita Devi" to Gender.FEMALE, "Ramesh Yadav" to Gender.MALE, "Kiran Kumari" to Gender.FEMALE)

        assertFailsWith<LockerException.BackboneKeyMissing>("capture seals to a key fetched beforehand") {
            l.enrolment.capture(session.id, citizen(people[0], rnd), validAadhaar(rnd), consent)
        }
        l.enrolment.refreshBackboneKey(backbone)
        assertFailsWith<LockerException.InvalidInput> {
            l.enrolment.capture(session.id, citizen(people[0], rnd), "234567890123", consent)
        }
        assertFailsWith<LockerException.InvalidInput>("demographic enrolment needs male, female or other") {
            l.enrolment.capture(session.id, citizen("Sunita Devi" to Gender.UNKNOWN, rnd), validAadhaar(rnd), consent)
        }

        // In the village: no network at all.
        val offline = Backbone(sandboxConfig("http://127.0.0.1:${closedPort()}").copy(maxAttempts = 1u, connectTimeoutMs = 500u))
        val captured = people.map { l.enrolment.capture(session.id, citizen(it, rnd), validAadhaar(rnd), consent) }
        captured.forEach {
            assertEquals(EnrolmentState.QUEUED, it.state)
            assertEquals(EnrolmentMode.ASSISTED, it.mode)
            assertEquals("hi", it.consentLanguage)
        }
        assertEquals(people.map { it.first }, l.enrolment.list(sessionId = session.id).map { it.name })

        val stuck = offline.use { l.enrolment.submit(it, session.id) }
        assertEquals(3u, stuck.stillQueued)
        assertEquals(0u, stuck.created)
        assertEquals("offline", stuck.halted)
        val afterOffline = l.enrolment.list(sessionId = session.id)
        assertTrue(afterOffline.all { it.state == EnrolmentState.QUEUED && it.abhaNumber == null }, "$afterOffline")
        assertTrue(afterOffline.any { it.attempts == 0u && it.lastError == "offline" }, "no network counts against no item: $afterOffline")
        assertEquals(0L, sandbox.stats().demographicApplied)

        // Back in range.
        val report = l.enrolment.submit(backbone, session.id)
        assertEquals(3u, report.created)
        assertEquals(0u, report.stillQueued + report.rejected + report.alreadyExisted)
        assertEquals(captured.map { it.id }.toSet(), report.enrolments.map { it.id }.toSet())
        assertEquals(3L, sandbox.stats().demographicApplied)
        assertEquals(0L, sandbox.stats().duplicates)

        val submitted = l.enrolment.list(sessionId = session.id)
        submitted.forEach {
            assertEquals(EnrolmentState.SUBMITTED, it.state)
            assertEquals(EnrolmentOutcome.CREATED, it.outcome)
            assertTrue(parseAbhaNumber(assertNotNull(it.abhaNumber)).passesLuhn)
        }
        val first = submitted.first()
        val qr = l.enrolment.qr(first.id)
        assertTrue(qr.contains("\"hidn\":\"${first.abhaNumber}\""), "the QR carries the ABHA number")
        assertTrue(qr.contains("Sunita Devi"))
        assertContentEquals(PNG_SIGNATURE, l.enrolment.card(backbone, first.id).copyOf(8))

        val handed = l.enrolment.confirmHandover(first.id)
        assertEquals(EnrolmentState.HANDED_OVER, handed.state)
        assertTrue(handed.erased)
        assertNull(handed.name)
        assertNull(handed.abhaNumber)
        assertEquals("handed_over", assertFailsWith<LockerException.WrongStep> { l.enrolment.qr(first.id) }.state)
        assertEquals(submitted.drop(1).map { it.id }, l.enrolment.list(sessionId = session.id, pendingOnly = true).map { it.id })

        val dropped = l.enrolment.cancel(submitted[2].id)
        assertEquals(EnrolmentState.CANCELLED, dropped.state)
        assertTrue(dropped.erased)
        assertNull(dropped.name)
        assertEquals(EnrolmentOutcome.CREATED, dropped.outcome, "the ABHA itself still exists")
        assertEquals("cancelled", assertFailsWith<LockerException.WrongStep> { l.enrolment.cancel(submitted[2].id) }.state)

        assertEquals(0u, l.enrolment.submit(backbone).created, "nothing is sent twice")
        assertEquals(3L, sandbox.stats().demographicApplied)
        l.enrolment.endSession(session.id)
        assertNotNull(l.enrolment.session(session.id).endedAtMs)
        assertFailsWith<LockerException.InvalidInput> {
            l.enrolment.capture(session.id, citizen(people[0], rnd), validAadhaar(rnd), consent)
        }
    }

    @Test fun `identifiers are checked as a form would while the user types`() {
        // ABHA numbers: any of the written forms; a Luhn failure is a warning, not a refusal.
        val n = parseAbhaNumber("91 6285 4575 5116")
        assertEquals(AbhaNumberInfo(digits = "91628545755116", dashed = "91-6285-4575-5116", passesLuhn = true), n)
        assertFalse(parseAbhaNumber("11-1111-1111-1111").passesLuhn)
        for (bad in listOf("1234", "91-6285-4575-511", "9162-8545-7551-16", "91628545755116a")) {
            assertFailsWith<LockerException.InvalidInput>(bad) { parseAbhaNumber(bad) }
        }

        // ABHA addresses: lenient for existing ones, strict for a new one.
        assertEquals(AbhaAddressInfo(user = "ravi.kumar_12", suffix = "sbx", address = "ravi.kumar_12@sbx"), parseAbhaAddress(" ravi.kumar_12@SBX "))
        assertEquals(AbhaAddressInfo(user = "abc", suffix = null, address = "abc"), parseAbhaAddress("abc"))
        assertEquals("ravi.kumar_12", validateAbhaAddressForCreation("ravi.kumar_12@sbx").user)
        for (oldStyle in listOf("a+b%c-d@ndhm", "abc@sbx", "ravi.k.kumar@abdm")) {
            parseAbhaAddress(oldStyle)
            assertFailsWith<LockerException.InvalidInput>(oldStyle) { validateAbhaAddressForCreation(oldStyle) }
        }
        for (bad in listOf("ab", "name@", "name@sbx@abdm", "na me@sbx")) {
            assertFailsWith<LockerException.InvalidInput>(bad) { parseAbhaAddress(bad) }
        }

        // Aadhaar: a yes or no, never the digits back.
        val a = validAadhaar(Random(16))
        assertTrue(aadhaarIsValid(a))
        assertTrue(aadhaarIsValid("${a.substring(0, 4)} ${a.substring(4, 8)} ${a.substring(8)}"))
        val mistyped = a.substring(0, 11) + ((a[11] - '0' + 1) % 10)
        assertFalse(aadhaarIsValid(mistyped), "one digit off fails the Verhoeff check")
        assertFalse(aadhaarIsValid("1" + a.substring(1, 11) + verhoeff("1" + a.substring(1, 11))), "never starts with 1")
        assertFalse(aadhaarIsValid(a.substring(0, 11)))
        assertFalse(aadhaarIsValid("${a}0"))

        assertEquals("9876543210", parseMobile("+91 98765 43210"))
        assertFailsWith<LockerException.InvalidInput> { parseMobile("5876543210") }
    }

    @Test fun `an online enrolment refuses a mistyped Aadhaar before any network`() = runBlocking<Unit> {
        val l = locker()
        val a = validAadhaar(Random(17))
        val mistyped = a.substring(0, 11) + ((a[11] - '0' + 1) % 10)
        val unreachable = Backbone(sandboxConfig("http://127.0.0.1:${closedPort()}").copy(maxAttempts = 1u))
        unreachable.use {
            assertFailsWith<LockerException.InvalidInput> { l.enrolment.onlineStart(it, mistyped, mobile(Random(17))) }
            assertFailsWith<LockerException.Offline> { l.enrolment.onlineStart(it, a, mobile(Random(17))) }
        }
        assertTrue(l.enrolment.list().isEmpty())
    }

    @Test fun `a refused client secret is not tried again at once, so the client id is never locked out`() = runBlocking<Unit> {
        val l = locker()
        Backbone(sandboxConfig(sandbox.url).copy(clientSecret = ClientSecret("a-secret-from-last-year"))).use { stale ->
            repeat(3) { assertFailsWith<LockerException.Unauthorized> { l.enrolment.refreshBackboneKey(stale) } }
        }
        val stats = sandbox.stats()
        assertEquals(1L to 0L, stats.loginsRefused to stats.lockouts, "one refused login, then a pause")
        // The pause belongs to these credentials in the whole process: a new Backbone with the same stale secret sends
        // nothing either.
        Backbone(sandboxConfig(sandbox.url).copy(clientSecret = ClientSecret("a-secret-from-last-year"))).use { stale ->
            assertFailsWith<LockerException.Unauthorized> { l.enrolment.refreshBackboneKey(stale) }
        }
        assertEquals(1L to 0L, sandbox.stats().let { it.loginsRefused to it.lockouts })
        // The mended secret is tried at once and works: the client id was never locked out.
        l.enrolment.refreshBackboneKey(backbone)
        assertEquals(1L to 0L, sandbox.stats().let { it.loginsRefused to it.lockouts })
    }

    @Test fun `a backbone config has no default credentials, the local preset fills in the sandbox's addresses, and plain HTTP is for this machine only`() = runBlocking<Unit> {
        val url = sandbox.url
        val secret = ClientSecret(SANDBOX_SECRET)
        val preset = backbonePreset(Preset.Local(base = url), SANDBOX_CLIENT_ID, secret)
        // A secret crosses the FFI as an opaque object: what comes back is a new one, so the rest is compared here
        // and the secret itself by the sandbox taking it.
        assertEquals(
            BackboneConfig(
                gatewayUrl = url, abhaUrl = "$url/abha/api", hiecmUrl = "$url/api/hiecm", phrUrl = url,
                consentKeysPath = "/gateway/v3/certs", qrIssuerPath = "/qr/v1", relayUrl = "$url/relay",
                serviceId = "sbx-phr-healthlocker", clientId = SANDBOX_CLIENT_ID,
                clientSecret = secret, cmId = "sbx",
            ),
            preset.copy(clientSecret = secret),
        )
        assertEquals(preset.copy(clientSecret = secret), backbone.config().copy(clientSecret = secret))
        Backbone(backbone.config()).use { again -> locker().enrolment.refreshBackboneKey(again) }

        assertFailsWith<LockerException.InvalidInput> { Backbone(sandboxConfig("http://abdm.example.org")) }
        assertFailsWith<LockerException.InvalidInput> { Backbone(sandboxConfig(url).copy(maxAttempts = 0u)) }
        assertFailsWith<LockerException.InvalidInput>("no client id") { Backbone(sandboxConfig(url).copy(clientId = "")) }
        assertFailsWith<LockerException.InvalidInput>("no secret") { Backbone(sandboxConfig(url).copy(clientSecret = ClientSecret(""))) }
        Backbone(sandboxConfig("https://abdm.example.org")).close()

        val abdm = backbonePreset(Preset.AbdmSandbox, "my-app", ClientSecret("issued-by-abdm"))
        assertEquals("https://dev.abdm.gov.in/api/hiecm", abdm.gatewayUrl)
        assertEquals("https://abhasbx.abdm.gov.in/abha/api", abdm.abhaUrl)
        assertEquals("https://dev.abdm.gov.in/api/hiecm", abdm.hiecmUrl)
        assertEquals("https://phrsbx.abdm.gov.in", abdm.phrUrl)
        assertEquals("my-app" to "sbx", abdm.clientId to abdm.cmId)
        Backbone(abdm).close()
    }

    @Test fun `a backbone config made with a client secret never prints it`() {
        val secret = "s3cret-issued-by-abdm"
        val config = backbonePreset(Preset.AbdmSandbox, "my-app", ClientSecret(secret))
        val printed = listOf(
            config.toString(), "$config", config.clientSecret.toString(), config.copy(maxAttempts = 2u).toString(),
            Backbone(config).use { it.config().toString() },
            backbonePreset(Preset.Local(base = sandbox.url), SANDBOX_CLIENT_ID, ClientSecret(secret)).toString(),
        )
        for (text in printed) {
            assertFalse(secret in text, text)
            assertFalse("s3cret" in text, text)
        }
        assertTrue("my-app" in config.toString(), "the rest of the config still prints: $config")
    }

    @Test fun `captures made offline wait in the outbox, a drain with no network loses nothing, and one with the network delivers them`() = runBlocking<Unit> {
        val rnd = Random(19)
        val l = locker()
        l.enrolment.refreshBackboneKey(backbone)
        val session = l.enrolment.startSession("asha-0413", "tablet-78")
        val consent = ConsentCapture(language = "kn", textVersion = "1.4")
        assertEquals(0u, l.outbox.status().waiting)

        // In the village: two citizens captured, no network at all.
        val captured = listOf("Lakshmi Gowda" to Gender.FEMALE, "Manjunath Rao" to Gender.MALE).map {
            l.enrolment.capture(session.id, citizen(it, rnd), validAadhaar(rnd), consent)
        }
        val status = l.outbox.status()
        assertEquals(2u, status.waiting)
        assertEquals(0u, status.wedged)
        assertEquals(listOf(KindCount(kind = ItemKind.ENROLMENT_SUBMIT, waiting = 2u, wedged = 0u)), status.byKind)
        assertTrue(status.wedgedItems.isEmpty())
        assertNotNull(status.oldestWaitingAgeMs)
        val items = l.outbox.items()
        assertEquals(captured.map { it.id }.toSet(), items.map { it.subject }.toSet(), "one item per citizen, named by id")
        assertTrue(items.all { it.kind == ItemKind.ENROLMENT_SUBMIT && it.state == ItemState.WAITING && it.attempts == 0u }, "$items")

        val offline = Backbone(sandboxConfig("http://127.0.0.1:${closedPort()}").copy(maxAttempts = 1u, connectTimeoutMs = 500u))
        val halted = offline.use { l.outbox.drain(it) }
        assertEquals("offline", halted.halted)
        assertEquals(0u, halted.delivered)
        assertEquals(0u, halted.wedged)
        assertEquals(2u, halted.waiting)
        assertEquals(2u, l.outbox.status().waiting)
        assertEquals(0u, l.outbox.status().wedged)
        val afterOffline = l.outbox.items()
        assertEquals(items.map { it.id to it.requestId }, afterOffline.map { it.id to it.requestId }, "the same items, each with its REQUEST-ID")
        assertTrue(afterOffline.any { it.attempts == 0u && it.lastError == "offline" }, "no network counts against no item: $afterOffline")
        assertTrue(l.enrolment.list(sessionId = session.id).all { it.state == EnrolmentState.QUEUED }, "nothing was lost")
        assertEquals(0L, sandbox.stats().demographicApplied)

        // Back in range.
        val delivered = l.outbox.drain(backbone)
        assertNull(delivered.halted)
        assertEquals(2u, delivered.delivered)
        assertEquals(0u, delivered.waiting + delivered.wedged + delivered.retrying + delivered.expired)
        assertEquals(captured.map { it.id }.toSet(), delivered.touched.toSet())
        assertEquals(0u, l.outbox.status().waiting)
        assertTrue(l.outbox.items().isEmpty())
        assertEquals(2L, sandbox.stats().demographicApplied)
        l.enrolment.list(sessionId = session.id).forEach {
            assertEquals(EnrolmentState.SUBMITTED, it.state)
            assertEquals(EnrolmentOutcome.CREATED, it.outcome)
            assertTrue(parseAbhaNumber(assertNotNull(it.abhaNumber)).passesLuhn)
        }

        assertEquals(0u, l.outbox.drain(backbone).delivered, "nothing is sent twice")
        assertEquals(2L, sandbox.stats().demographicApplied)
        assertEquals(0L, sandbox.stats().duplicates)
    }

    @Test fun `over HTTPS the backbone is trusted only through its root and pinned keys`() = runBlocking<Unit> {
        val tls = File(System.getProperty("healthlocker.tlsFixtures") ?: "fixtures/sandbox/tls")
        val root = File(tls, "root.pem").readText()
        val intermediatePin = pinOfCertificate(File(tls, "intermediate.pem").readText())
        val otherPin = pinOfCertificate(File(tls, "other-root.pem").readText())
        assertTrue(intermediatePin.startsWith("sha256/") && intermediatePin != otherPin)
        assertFailsWith<LockerException.InvalidInput> { pinOfCertificate("no certificate here") }
        val l = locker()
        val https = Sandbox.start(tls = true)
        try {
            assertTrue(https.url.startsWith("https://"), https.url)
            fun backbone(roots: String = "", pins: List<String> = emptyList()) =
                Backbone(sandboxConfig(https.url).copy(maxAttempts = 2u, extraRootsPem = roots, pinnedKeys = pins))
            for (refused in listOf(backbone(), backbone(root, listOf(otherPin)))) {
                refused.use { assertFailsWith<LockerException.UntrustedBackbone> { l.enrolment.refreshBackboneKey(it) } }
            }
            // A pin that matches beside one that does not (a backup key), and the key arrives.
            backbone(root, listOf(otherPin, intermediatePin)).use { l.enrolment.refreshBackboneKey(it) }
        } finally {
            https.stop()
        }
    }

    private fun citizen(person: Pair<String, Gender>, rnd: Random) = CitizenDetails(
        name = person.first, gender = person.second, birthDate = "19${rnd.nextInt(50, 99)}-0${rnd.nextInt(1, 9)}-1${rnd.nextInt(0, 9)}",
        mobile = mobile(rnd), address = "Ward 4, Chikkaballapur", stateCode = "29", districtCode = "572", pinCode = "562101",
    )
}

private val PNG_SIGNATURE = byteArrayOf(0x89.toByte(), 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)

private fun mobile(rnd: Random) = "9" + (1..9).joinToString("") { rnd.nextInt(10).toString() }

private fun otherOtp(otp: String) = otp.map { '0' + (it - '0' + 1) % 10 }.joinToString("")

/** A well-formed Aadhaar number: 12 digits, the first 2–9, the last a Verhoeff check digit (computed here). */
private fun validAadhaar(rnd: Random): String {
    val body = (2 + rnd.nextInt(8)).toString() + (1..10).joinToString("") { rnd.nextInt(10).toString() }
    return body + verhoeff(body)
}

private val VERHOEFF_D = arrayOf(
    intArrayOf(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), intArrayOf(1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    intArrayOf(2, 3, 4, 0, 1, 7, 8, 9, 5, 6), intArrayOf(3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    intArrayOf(4, 0, 1, 2, 3, 9, 5, 6, 7, 8), intArrayOf(5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    intArrayOf(6, 5, 9, 8, 7, 1, 0, 4, 3, 2), intArrayOf(7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    intArrayOf(8, 7, 6, 5, 9, 3, 2, 1, 0, 4), intArrayOf(9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
private val VERHOEFF_P = arrayOf(
    intArrayOf(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), intArrayOf(1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    intArrayOf(5, 8, 0, 3, 7, 9, 6, 1, 4, 2), intArrayOf(8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    intArrayOf(9, 4, 5, 3, 1, 2, 6, 8, 7, 0), intArrayOf(4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    intArrayOf(2, 7, 9, 3, 8, 0, 6, 4, 1, 5), intArrayOf(7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
private val VERHOEFF_INV = intArrayOf(0, 4, 3, 2, 1, 5, 6, 7, 8, 9)

/** The Verhoeff check digit to append to [digits] (tables as published: D5 multiplication, position permutations). */
private fun verhoeff(digits: String): Int {
    var c = 0
    digits.reversed().forEachIndexed { i, ch -> c = VERHOEFF_D[c][VERHOEFF_P[(i + 1) % 8][ch - '0']] }
    return VERHOEFF_INV[c]
}
