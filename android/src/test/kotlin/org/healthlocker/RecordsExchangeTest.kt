package org.healthlocker

import kotlin.test.assertEquals
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
 * Records from hospitals through the facade, against a real `locker sandbox serve` process: a hospital is linked with
 * the OTP it sends, its records are pulled encrypted to a key made on the phone and read; a doctor's request that
 * came while the phone was offline is answered a day later; the background-sync policy the Android worker follows;
 * nothing printed carries what a facility calls a visit. The same stories as core/tests/exchange.rs and Python's.
 */
class RecordsExchangeTest {
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

    private fun phone(): Pair<HealthLocker, Profile> {
        val l = HealthLocker.create(tmp.newFolder(), InMemoryKeyProvider()).also { opened += it }
        val owner = l.profiles.add(
            NewProfile(
                name = "Meena Pillai", gender = Gender.FEMALE, birthDate = "1990-02-14", abhaNumber = null,
                abhaAddress = PATIENT, relation = "self", isOwner = true,
            ),
        )
        l.consent.signIn(PATIENT, sandbox.phrLogin(PATIENT), 86_400L * 30)
        return l to owner
    }

    /** Syncs until [done], as a phone that sees the network now and then. */
    private suspend fun syncUntil(l: HealthLocker, done: () -> Boolean) {
        repeat(40) {
            l.sync(backbone)
            if (done()) return
            Thread.sleep(50)
        }
        error("the sync never got there")
    }

    @Test fun `a hospital is linked, its records pulled encrypted to this phone and read`() = runBlocking<Unit> {
        sandbox.hipRecords(HOSPITAL, PATIENT, 2, 3, MOBILE)
        val (l, owner) = phone()
        val found = l.links.discover(backbone, PATIENT, HOSPITAL, MOBILE)
        val contexts = found.patients.sumOf { it.careContexts.size }
        assertEquals(2, contexts)
        val started = l.links.choose(backbone, found.attempt)
        val linked = l.links.confirm(backbone, found.attempt, sandbox.linkOtp(started.linkReference))
        assertEquals(2, linked.size)
        assertFalse(linked.first().toString().contains("visit", ignoreCase = true), "a care link prints no content")

        l.consent.setAutoApproval(PATIENT, SELF_HIU, true)
        val seen = mutableListOf<SyncStage>()
        l.sync(backbone) { seen += it.stage }
        assertTrue(SyncStage.MAILBOX in seen && seen.last() == SyncStage.DONE)
        val pull = l.exchange.pull(owner.id)
        syncUntil(l) { l.exchange.pullStatus(pull.id).state == PullState.DONE }
        val done = l.exchange.pullStatus(pull.id)
        assertEquals(6u, done.transfers.sumOf { it.recordsImported })
        assertTrue(done.transfers.none { it.keyKept }, "the private key is erased once its push arrived")
        val page = l.records.list(RecordQuery(profileId = owner.id))
        assertEquals(6, page.records.size)
        assertTrue(page.records.all { it.careContext != null })
    }

    @Test fun `a doctor's request that came while the phone was offline is answered a day later`() = runBlocking<Unit> {
        val (l, owner) = phone()
        val sample = java.io.File(System.getProperty("healthlocker.fixtures"), "prescription.json").readBytes()
        l.records.import(owner.id, sample)
        val id = sandbox.raiseConsentRequest(
            """{"hiuId":"$DOCTOR","purpose":{"text":"Care Management","code":"CAREMGT"},"patient":{"id":"$PATIENT"},
               "hip":{"id":"$SELF_HIP"},
               "requester":{"name":"Dr. Rao","identifier":{"type":"REGNO","value":"KA-48213"}},
               "hiTypes":["Prescription","DiagnosticReport","OPConsultation"],
               "permission":{"accessMode":"VIEW",
                 "dateRange":{"from":"2000-01-01T00:00:00.000Z","to":"2030-12-31T23:59:59.999Z"},
                 "dataEraseAt":"2031-12-31T00:00:00.000Z","frequency":{"unit":"HOUR","value":5,"repeats":0}}}""",
        )
        l.consent.refresh(backbone)
        l.consent.approve(id, listOf(l.consent.proposal(id)))
        l.sync(backbone)
        val artefact = l.consent.artefactsOf(id).single().grant.id
        val txn = sandbox.dataRequest(artefact)
        sandbox.advanceClock(86_400)
        syncUntil(l) { l.exchange.hipRequests().any { it.state == "notified" } }
        val got = sandbox.hiuReceived(txn)
        assertTrue(got.contains("\"ok\":true") && got.contains("TRANSFERRED"), got)
    }

    @Test fun `background sync runs on a network, within what a metered one allows, and again only for work left`() {
        val policy = BackgroundSync(meteredBytes = 1_000, unmeteredBytes = 9_000, marginMs = 30_000)
        assertNull(policy.budget(BackgroundSync.Conditions(connected = false, metered = false, batteryLow = false), 600_000))
        assertNull(policy.budget(BackgroundSync.Conditions(connected = true, metered = false, batteryLow = true), 600_000))
        val asked = assertNotNull(
            policy.budget(BackgroundSync.Conditions(connected = true, metered = true, batteryLow = true, userAsked = true), 600_000),
        )
        assertEquals(1_000UL, asked.maxBytes)
        assertEquals(570_000UL, asked.maxMillis)
        assertNull(policy.budget(BackgroundSync.Conditions(connected = true, metered = false, batteryLow = false), 20_000))
        val report = { stopped: String? ->
            SyncReport(
                outbox = DrainReport(0u, 0u, 0u, 0u, null, 0u, emptyList()), consentChanged = 0u, linksNew = 0u, tokens = 0u,
                mailbox = MailboxReport(0u, 0uL, 0u, 0u, 0u, 0u, 0u, 0u, 0u, false), pullRequests = 0u, items = 0uL,
                bytes = 0uL, stopped = stopped, failed = emptyList(),
            )
        }
        assertTrue(policy.again(report("byte-budget")))
        assertFalse(policy.again(report("offline")), "a run the network stopped waits for connectivity")
        assertFalse(policy.again(report(null)))
    }

    companion object {
        const val PATIENT = "meena.p@sbx"
        const val MOBILE = "9812345678"
        const val HOSPITAL = "sbx-hip-district"
        const val DOCTOR = "sbx-hiu-city-hospital"
        const val SELF_HIU = "sbx-phr-healthlocker"
        const val SELF_HIP = "sbx-phr-healthlocker"
    }
}
