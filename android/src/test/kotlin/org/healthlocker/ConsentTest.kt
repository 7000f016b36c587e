package org.healthlocker

import java.io.File
import java.time.Instant
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
 * The citizen's consent through the facade, against a real `locker sandbox serve` process (a fresh one per test) and
 * its consent manager: a doctor's request arrives, is narrowed and granted with no network, synced, used for a record
 * inside the grant and revoked; a release outside the grant is refused record by record; a login the consent manager
 * no longer knows asks for a new one and loses nothing; the citizen's own requests are approved automatically only
 * while they say so. The same stories as core/tests/consent.rs, the Python and the Swift suites.
 */
class ConsentTest {
    @get:Rule val tmp = TemporaryFolder()

    private val fixtures = File(System.getProperty("healthlocker.fixtures") ?: "fixtures/bundles")
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

    /** The citizen's records on this phone, by sample. */
    private class Phone(val locker: HealthLocker, val owner: Profile, val records: Map<String, RecordSummary>) {
        fun id(sample: String) = records.getValue(sample).id
    }

    /**
     * A phone whose owner's ABHA address is [PATIENT], holding a prescription (2023), a lab report (2025), an OP
     * consultation (2024) and a discharge summary (2022), signed in to the sandbox's consent manager.
     */
    private fun phone(signIn: Boolean = true): Phone {
        val l = HealthLocker.create(tmp.newFolder(), InMemoryKeyProvider()).also { opened += it }
        val owner = l.profiles.add(
            NewProfile(
                name = "Meena Pillai", gender = Gender.FEMALE, birthDate = "1979-08-02",
                abhaAddress = PATIENT, relation = "self", isOwner = true,
            ),
        )
        val records = SAMPLES.associateWith { l.records.import(owner.id, sample(it)) }
        if (signIn) l.consent.signIn(PATIENT, sandbox.phrLogin(PATIENT), 86_400)
        return Phone(l, owner, records)
    }

    private fun sample(name: String) = File(fixtures, "$name.json").readBytes()

    /** The city hospital asks for prescriptions, lab reports and consultations of 2020–2025, erased at 2030's end. */
    private fun doctorAsks(mode: String = "VIEW"): String = sandbox.raiseConsentRequest(
        """{"hiuId":"$HOSPITAL","purpose":{"text":"Care Management","code":"CAREMGT"},"patient":{"id":"$PATIENT"},
           "requester":{"name":"$DOCTOR","identifier":{"type":"REGNO","value":"KA-48213"}},
           "hiTypes":["Prescription","DiagnosticReport","OPConsultation"],
           "permission":{"accessMode":"$mode",
             "dateRange":{"from":"2020-01-01T00:00:00.000Z","to":"2025-12-31T23:59:59.999Z"},
             "dataEraseAt":"2030-12-31T00:00:00.000Z","frequency":{"unit":"DAY","value":5,"repeats":10}}}""",
    )

    /** The citizen grants prescriptions only, from 2023, and the consent manager confirms it. */
    private suspend fun grantPrescriptionsSince2023(p: Phone): Pair<String, Grant> {
        val id = doctorAsks()
        p.locker.consent.refresh(backbone)
        val choice = p.locker.consent.proposal(id).copy(hiTypes = listOf(HiType.PRESCRIPTION), dateFromMs = ms("2023-01-01"))
        p.locker.consent.approve(id, listOf(choice))
        assertEquals(1u, p.locker.outbox.drain(backbone).delivered)
        return id to p.locker.consent.artefactsOf(id).single().grant
    }

    private fun share(p: Phone, vararg samples: String, hiu: String = HOSPITAL, mode: AccessMode = AccessMode.VIEW) =
        p.locker.consent.release(
            ReleaseAsk(hiu = hiu, mode = mode, records = samples.map { p.id(it) }, channel = ReleaseChannel.SHARE),
        )

    @Test fun `a doctor's request is narrowed and granted offline, synced, used for a record in the grant and revoked`() = runBlocking<Unit> {
        val p = phone()
        val consent = p.locker.consent
        val id = doctorAsks()

        // The request arrives.
        val pulled = consent.refresh(backbone)
        assertEquals(1u to 1u, pulled.patients to pulled.requestsChanged)
        assertEquals(listOf(id), consent.requests(ConsentStatus.REQUESTED).map { it.request.id })
        val asked = consent.request(id)
        assertEquals(ConsentStatus.REQUESTED, asked.request.status)
        assertNull(asked.pending)
        assertEquals(HOSPITAL, asked.request.hiu.id)
        assertEquals(Purpose.CARE_MANAGEMENT, asked.request.purpose)
        assertEquals(DOCTOR, asked.request.requesterName, "the citizen sees who asks")
        assertEquals(listOf(HiType.PRESCRIPTION, HiType.DIAGNOSTIC_REPORT, HiType.OP_CONSULTATION), asked.request.hiTypes)
        assertEquals(AccessMode.VIEW, asked.request.permission.accessMode)
        assertEquals(Frequency(unit = FrequencyUnit.DAY, value = 5u, repeats = 10u), asked.request.permission.frequency)

        // With no network, the citizen grants prescriptions only, from 2023.
        val proposal = consent.proposal(id)
        assertEquals(3, proposal.careContexts.size, "the three records of the types asked, of 2020–2025, on this phone")
        assertEquals("healthlocker", proposal.hip.id, "the records are on this device")
        val choice = proposal.copy(hiTypes = listOf(HiType.PRESCRIPTION), dateFromMs = ms("2023-01-01"))
        assertFailsWith<LockerException.InvalidInput>("a grant never widens what was asked") {
            consent.approve(id, listOf(choice.copy(dateFromMs = ms("2019-01-01"))))
        }
        val pending = consent.approve(id, listOf(choice)).single()
        assertEquals(Verification.PENDING, pending.grant.verification)
        assertEquals(listOf(HiType.PRESCRIPTION), pending.grant.hiTypes)
        val decided = consent.request(id)
        assertEquals(ConsentStatus.GRANTED to PendingDecision.APPROVE, decided.request.status to decided.pending)
        val early = share(p, "prescription")
        assertTrue(early.records.isEmpty(), "nothing goes before the consent manager confirms the grant")
        assertEquals(listOf(DenyReason.NotConfirmed), early.decision.denied.map { it.reason })
        assertEquals("granted", assertFailsWith<LockerException.WrongStep> { consent.deny(id) }.state)

        val offline = Backbone(sandboxConfig("http://127.0.0.1:${closedPort()}").copy(maxAttempts = 1u, connectTimeoutMs = 500u))
        val halted = offline.use { p.locker.outbox.drain(it) }
        assertEquals("offline", halted.halted)
        assertEquals(listOf(ItemKind.CONSENT_APPROVE to id), p.locker.outbox.items().map { it.kind to it.subject })
        assertEquals(0L, sandbox.stats().consentApprovals)

        // Back in range, the grant syncs: the consent manager's signed artefact replaces the one made here.
        val sent = p.locker.outbox.drain(backbone)
        assertEquals(1u to 0u, sent.delivered to sent.waiting)
        assertEquals(1L, sandbox.stats().consentApprovals)
        val synced = consent.request(id)
        assertEquals(ConsentStatus.GRANTED, synced.request.status)
        assertNull(synced.pending)
        val artefact = consent.artefactsOf(id).single()
        assertEquals(Verification.VERIFIED, artefact.grant.verification, "signed by the consent manager, checked here")
        assertNotNull(artefact.keyId)
        assertEquals(listOf(HiType.PRESCRIPTION), artefact.grant.hiTypes)
        assertEquals(HOSPITAL, artefact.grant.hiu)
        assertEquals(ms("2023-01-01"), artefact.grant.permission.dateFromMs)
        assertEquals("GRANTED", sandbox.consentArtefactStatus(artefact.grant.id))
        assertEquals(listOf(artefact.grant.id), consent.artefacts(ConsentStatus.GRANTED).map { it.grant.id })

        // Used: the prescription goes, byte for byte; the lab report and the consultation (types not granted) stay.
        val out = share(p, "prescription", "diagnostic-report", "op-consultation")
        val released = out.records.single()
        assertEquals(p.id("prescription") to artefact.grant.id, released.id to released.artefact)
        assertContentEquals(sample("prescription"), released.bundle)
        assertEquals(listOf(Permit(record = p.id("prescription"), artefact = artefact.grant.id)), out.decision.permitted)
        assertEquals(
            listOf(Denial(p.id("diagnostic-report"), DenyReason.HiType), Denial(p.id("op-consultation"), DenyReason.HiType)),
            out.decision.denied,
        )
        val use = consent.uses(artefact.grant.id).single()
        assertEquals(listOf(p.id("prescription")), use.records)
        assertEquals(HOSPITAL to "share", use.hiu to use.channel)

        // Revoked with no network: in force here at once, before the consent manager hears of it.
        val revoked = consent.revoke(id)
        assertEquals(id, revoked.requestId)
        assertEquals(listOf(artefact.grant.id), revoked.artefacts)
        assertTrue(consent.artefact(artefact.grant.id).revokePending)
        assertEquals(listOf(DenyReason.NotGranted(ConsentStatus.REVOKED)), share(p, "prescription").decision.denied.map { it.reason })
        assertEquals("the grant is revoked", denyReasonExplanation(DenyReason.NotGranted(ConsentStatus.REVOKED)))
        assertEquals("GRANTED", sandbox.consentArtefactStatus(artefact.grant.id))
        assertEquals(1u, p.locker.outbox.drain(backbone).delivered)
        assertEquals("REVOKED", sandbox.consentArtefactStatus(artefact.grant.id))
        assertEquals(1L, sandbox.stats().consentRevokes)
        val after = consent.artefact(artefact.grant.id)
        assertEquals(ConsentStatus.REVOKED, after.grant.status)
        assertFalse(after.revokePending)
        assertTrue(
            consent.history(artefact.grant.id).any { it.status == ConsentStatus.REVOKED && it.source == Source.DEVICE },
            "${consent.history(artefact.grant.id)}",
        )

        // A later pull keeps it revoked; the audit log tells the story by reference only.
        consent.refresh(backbone)
        assertEquals(ConsentStatus.REVOKED, consent.artefact(artefact.grant.id).grant.status)
        val audit = p.locker.auditEntries(200)
        for (action in listOf("consent.approve", "consent.release", "consent.release-refused", "consent.revoke")) {
            assertTrue(audit.any { it.action == action }, "$action in the audit log")
        }
        val text = audit.joinToString()
        assertFalse("Meena" in text || PATIENT in text || DOCTOR in text, text)
        assertTrue(p.locker.verifyAudit() is AuditVerification.Intact)
    }

    @Test fun `a release outside the grant is refused record by record and nothing leaves`() = runBlocking<Unit> {
        val p = phone()
        val (_, grant) = grantPrescriptionsSince2023(p)
        val consent = p.locker.consent
        fun reasons(r: Released) = r.decision.denied.map { it.reason }.also { assertTrue(r.records.isEmpty(), "$r") }

        assertEquals(listOf(DenyReason.HiType), reasons(share(p, "discharge-summary")), "a type not granted")
        assertEquals(listOf(DenyReason.NoGrant), reasons(share(p, "prescription", hiu = "sbx-hiu-diagnostics")), "another HIU")
        assertEquals(listOf(DenyReason.AccessMode), reasons(share(p, "prescription", mode = AccessMode.STORE)), "to keep, not view")
        val wider = ReleaseAsk(
            hiu = HOSPITAL, consentId = grant.id, mode = AccessMode.VIEW,
            dateRange = DateRange(fromMs = ms("2019-01-01"), toMs = ms("2025-12-31")),
            records = listOf(p.id("prescription")), channel = ReleaseChannel.DATA_REQUEST,
        )
        assertEquals(listOf(DenyReason.RangeWiderThanGranted), reasons(consent.release(wider)), "a data request for more years")
        assertEquals(listOf(DenyReason.NoGrant), reasons(consent.release(wider.copy(consentId = "no-such-artefact", dateRange = null))))
        assertFailsWith<LockerException.NotFound> { consent.release(wider.copy(records = listOf("no-such-record"))) }
        assertFailsWith<LockerException.InvalidInput> { consent.release(wider.copy(records = emptyList())) }

        assertTrue(consent.uses().isEmpty(), "a refused release is no use of the grant")
        val audit = p.locker.auditEntries(200).map { it.action }
        assertTrue("consent.release-refused" in audit)
        assertFalse("consent.release" in audit)

        // Inside the grant, the same data request goes.
        val ok = consent.release(wider.copy(dateRange = DateRange(fromMs = ms("2023-06-01"), toMs = ms("2024-06-01"))))
        assertEquals(listOf(p.id("prescription")), ok.records.map { it.id })
        assertEquals(listOf("data-request"), consent.uses().map { it.channel })
    }

    @Test fun `a login the consent manager no longer knows asks for a new one, and the decision waits without loss`() = runBlocking<Unit> {
        val p = phone()
        val consent = p.locker.consent
        val id = doctorAsks()
        consent.refresh(backbone)
        assertFailsWith<LockerException.InvalidInput>("at most 100 characters") { consent.deny(id, "x".repeat(101)) }
        consent.deny(id, "I see this doctor in person next week")
        assertEquals(ConsentStatus.DENIED to PendingDecision.DENY, consent.request(id).let { it.request.status to it.pending })

        consent.signIn(PATIENT, "a-token-from-last-month", 86_400)
        assertFailsWith<LockerException.SignInNeeded> { consent.refresh(backbone) }
        val halted = p.locker.outbox.drain(backbone)
        assertEquals("sign-in-needed", halted.halted)
        assertEquals(PendingDecision.DENY, consent.request(id).pending)
        assertEquals("REQUESTED", sandbox.consentRequestStatus(id))

        consent.signIn(PATIENT, sandbox.phrLogin(PATIENT), 86_400)
        assertEquals(1u, p.locker.outbox.drain(backbone).delivered)
        assertEquals("DENIED", sandbox.consentRequestStatus(id))
        assertEquals(1L, sandbox.stats().consentDenials)
        assertNull(consent.request(id).pending)
        val history = consent.history(id).map { it.status to it.source }
        assertTrue(ConsentStatus.DENIED to Source.DEVICE in history, "$history")
    }

    @Test fun `the citizen's own requests are approved automatically only while they say so`() = runBlocking<Unit> {
        val p = phone()
        val consent = p.locker.consent
        fun ownRequest() = sandbox.raiseConsentRequest(
            """{"hiuId":"$SELF_HIU","purpose":{"text":"Self Requested","code":"PATRQT"},"patient":{"id":"$PATIENT"},
               "requester":{"name":"Meena Pillai","identifier":{"type":"ABHA","value":"$PATIENT"}},
               "hiTypes":["Prescription"],
               "permission":{"accessMode":"VIEW",
                 "dateRange":{"from":"2020-01-01T00:00:00.000Z","to":"2025-12-31T23:59:59.999Z"},
                 "dataEraseAt":"2030-12-31T00:00:00.000Z","frequency":{"unit":"HOUR","value":1,"repeats":0}}}""",
        )
        assertNull(consent.autoApproval(PATIENT))

        // With no network, on, off and on again: only where it ended is sent.
        for (on in listOf(true, false, true)) consent.setAutoApproval(PATIENT, SELF_HIU, on)
        val setting = assertNotNull(consent.autoApproval(PATIENT))
        assertTrue(setting.enabled)
        assertFalse(setting.synced)
        assertEquals(listOf(ItemKind.CONSENT_AUTO_APPROVAL), p.locker.outbox.items().map { it.kind })
        p.locker.outbox.drain(backbone)
        val synced = assertNotNull(consent.autoApproval(PATIENT))
        assertTrue(synced.enabled && synced.synced)
        assertNotNull(synced.policyId)

        val first = ownRequest()
        consent.refresh(backbone)
        assertEquals(ConsentStatus.GRANTED, consent.request(first).request.status)
        assertEquals(Purpose.SELF_REQUESTED, consent.request(first).request.purpose)
        val granted = consent.artefactsOf(first)
        assertTrue(granted.isNotEmpty() && granted.all { it.grant.verification == Verification.VERIFIED }, "$granted")

        consent.setAutoApproval(PATIENT, SELF_HIU, false)
        p.locker.outbox.drain(backbone)
        val second = ownRequest()
        val doctors = doctorAsks()
        consent.refresh(backbone)
        assertEquals(ConsentStatus.REQUESTED, consent.request(second).request.status)
        assertEquals(ConsentStatus.REQUESTED, consent.request(doctors).request.status, "a doctor's request never is")
    }

    @Test fun `consent records print no names, addresses or records`() = runBlocking<Unit> {
        val p = phone()
        val (id, grant) = grantPrescriptionsSince2023(p)
        val consent = p.locker.consent
        val printed = listOf(
            consent.request(id), consent.request(id).request, consent.artefact(grant.id), grant, grant.careContexts,
            consent.proposal(id).careContexts, share(p, "prescription"), consent.autoApproval(PATIENT),
            consent.setAutoApproval(PATIENT, SELF_HIU, true),
        ).joinToString("\n") { it.toString() }
        for (secret in listOf(DOCTOR, PATIENT, "Meena", "Pillai", "MedicationRequest", "resourceType")) {
            assertFalse(secret in printed, "$secret in $printed")
        }
        assertTrue(id in printed && grant.id in printed && "PRESCRIPTION" in printed, "ids and kinds still print: $printed")
    }
}

private const val PATIENT = "meena.pillai@sbx"
private const val HOSPITAL = "sbx-hiu-city-hospital"
private const val SELF_HIU = "sbx-phr-healthlocker"
private const val DOCTOR = "Dr. Arvind Rao"
private val SAMPLES = listOf("prescription", "diagnostic-report", "op-consultation", "discharge-summary")

/** Midnight UTC of [day] (`YYYY-MM-DD`), in milliseconds. */
private fun ms(day: String): Long = Instant.parse("${day}T00:00:00Z").toEpochMilli()
