"""The citizen's consent from Python, against the sandbox's consent manager: a doctor's request
arrives, is narrowed and granted with no network, synced, used for a record inside the grant and
revoked; a release outside the grant is refused record by record; a login the consent manager no
longer knows asks for a new one and loses nothing; the citizen's own requests are approved
automatically only while they say so. The same stories as core/tests/consent.rs and the Kotlin and
Swift suites."""

import asyncio
import datetime

import healthlocker as hl
import pytest
from conftest import BUNDLES, OWNER_ABHA_ADDRESS, OWNER_NAME

PATIENT = OWNER_ABHA_ADDRESS
HOSPITAL = "sbx-hiu-city-hospital"
SELF_HIU = "sbx-phr-healthlocker"
DOCTOR = "Dr. Arvind Rao"
SAMPLES = ["prescription", "diagnostic-report", "op-consultation", "discharge-summary"]


def run(coroutine):
    return asyncio.run(coroutine)


def ms(day: str) -> int:
    """Midnight UTC of `day` (YYYY-MM-DD), in milliseconds."""
    d = datetime.date.fromisoformat(day)
    return int(datetime.datetime(d.year, d.month, d.day, tzinfo=datetime.timezone.utc).timestamp() * 1000)


def sample(name: str) -> bytes:
    return (BUNDLES / f"{name}.json").read_bytes()


class Phone:
    """The owner's store (their ABHA address is PATIENT) holding a prescription (2023), a lab
    report (2025), an OP consultation (2024) and a discharge summary (2022), signed in to the
    sandbox's consent manager."""

    def __init__(self, locker, owner, sandbox):
        self.locker = locker
        self.consent = locker.consent()
        self.records = {name: locker.records().import_bundle(owner.id, sample(name)) for name in SAMPLES}
        self.consent.sign_in(PATIENT, sandbox.phr_login(PATIENT), 86_400)

    def id(self, name: str) -> str:
        return self.records[name].id

    def share(self, *names, hiu=HOSPITAL, mode=hl.AccessMode.VIEW) -> "hl.Released":
        ask = hl.ReleaseAsk(hiu=hiu, mode=mode, records=[self.id(n) for n in names], channel=hl.ReleaseChannel.SHARE)
        return self.consent.release(ask)


@pytest.fixture
def phone(locker, owner, sandbox):
    return Phone(locker, owner, sandbox)


def doctor_asks(sandbox, mode="VIEW") -> str:
    """The city hospital asks for prescriptions, lab reports and consultations of 2020-2025,
    to be erased at the end of 2030."""
    return sandbox.raise_consent_request(
        {
            "hiuId": HOSPITAL,
            "purpose": {"text": "Care Management", "code": "CAREMGT"},
            "patient": {"id": PATIENT},
            "requester": {"name": DOCTOR, "identifier": {"type": "REGNO", "value": "KA-48213"}},
            "hiTypes": ["Prescription", "DiagnosticReport", "OPConsultation"],
            "permission": {
                "accessMode": mode,
                "dateRange": {"from": "2020-01-01T00:00:00.000Z", "to": "2025-12-31T23:59:59.999Z"},
                "dataEraseAt": "2030-12-31T00:00:00.000Z",
                "frequency": {"unit": "DAY", "value": 5, "repeats": 10},
            },
        }
    )


def own_request(sandbox) -> str:
    """The citizen asks for their own prescriptions through their app (purpose PATRQT)."""
    return sandbox.raise_consent_request(
        {
            "hiuId": SELF_HIU,
            "purpose": {"text": "Self Requested", "code": "PATRQT"},
            "patient": {"id": PATIENT},
            "requester": {"name": OWNER_NAME, "identifier": {"type": "ABHA", "value": PATIENT}},
            "hiTypes": ["Prescription"],
            "permission": {
                "accessMode": "VIEW",
                "dateRange": {"from": "2020-01-01T00:00:00.000Z", "to": "2025-12-31T23:59:59.999Z"},
                "dataEraseAt": "2030-12-31T00:00:00.000Z",
                "frequency": {"unit": "HOUR", "value": 1, "repeats": 0},
            },
        }
    )


def narrowed(phone, request_id) -> "hl.GrantChoice":
    """What was asked, narrowed to prescriptions from 2023."""
    choice = phone.consent.proposal(request_id)
    choice.hi_types = [hl.HiType.PRESCRIPTION]
    choice.date_from_ms = ms("2023-01-01")
    return choice


def grant_prescriptions_since_2023(phone, sandbox, backbone):
    request_id = doctor_asks(sandbox)
    run(phone.consent.refresh(backbone))
    phone.consent.approve(request_id, [narrowed(phone, request_id)])
    assert run(phone.locker.outbox().drain(backbone)).delivered == 1
    [artefact] = phone.consent.artefacts_of(request_id)
    return request_id, artefact.grant


def reasons(released) -> list:
    return [d.reason for d in released.decision.denied]


def test_a_doctors_request_is_narrowed_and_granted_offline_synced_used_for_a_record_in_the_grant_and_revoked(
    phone, sandbox, backbone, offline_backbone
):
    consent = phone.consent
    request_id = doctor_asks(sandbox)

    # The request arrives.
    pulled = run(consent.refresh(backbone))
    assert (pulled.patients, pulled.requests_changed, pulled.artefacts_refused) == (1, 1, 0)
    assert [r.request.id for r in consent.requests(hl.ConsentStatus.REQUESTED)] == [request_id]
    asked = consent.request(request_id)
    assert (asked.request.status, asked.pending, asked.notice) == (hl.ConsentStatus.REQUESTED, None, None)
    assert (asked.request.hiu.id, asked.request.purpose) == (HOSPITAL, hl.Purpose.CARE_MANAGEMENT)
    assert asked.request.requester_name == DOCTOR, "the citizen sees who asks"
    assert asked.request.hi_types == [hl.HiType.PRESCRIPTION, hl.HiType.DIAGNOSTIC_REPORT, hl.HiType.OP_CONSULTATION]
    assert asked.request.permission.frequency == hl.Frequency(unit=hl.FrequencyUnit.DAY, value=5, repeats=10)

    # With no network, the citizen grants prescriptions only, from 2023.
    proposal = consent.proposal(request_id)
    assert len(proposal.care_contexts) == 3, "the three records of the types asked, of 2020-2025, on this phone"
    assert proposal.hip.id == "healthlocker", "the records are on this device"
    choice = narrowed(phone, request_id)
    wider = narrowed(phone, request_id)
    wider.date_from_ms = ms("2019-01-01")
    with pytest.raises(hl.LockerError.InvalidInput):
        consent.approve(request_id, [wider])
    [pending] = consent.approve(request_id, [choice])
    assert (pending.grant.verification, pending.grant.hi_types) == (hl.Verification.PENDING, [hl.HiType.PRESCRIPTION])
    decided = consent.request(request_id)
    assert (decided.request.status, decided.pending) == (hl.ConsentStatus.GRANTED, hl.PendingDecision.APPROVE)
    early = phone.share("prescription")
    assert early.records == [], "nothing goes before the consent manager confirms the grant"
    assert reasons(early) == [hl.DenyReason.NOT_CONFIRMED()]
    with pytest.raises(hl.LockerError.WrongStep) as wrong_step:
        consent.deny(request_id)
    assert wrong_step.value.state == "granted"

    halted = run(phone.locker.outbox().drain(offline_backbone))
    assert halted.halted == "offline"
    assert [(i.kind, i.subject) for i in phone.locker.outbox().items()] == [(hl.ItemKind.CONSENT_APPROVE, request_id)]
    assert sandbox.stats()["consentApprovals"] == 0

    # Back in range, the grant syncs: the consent manager's signed artefact replaces the one made here.
    sent = run(phone.locker.outbox().drain(backbone))
    assert (sent.delivered, sent.waiting, sent.halted) == (1, 0, None)
    assert sandbox.stats()["consentApprovals"] == 1
    synced = consent.request(request_id)
    assert (synced.request.status, synced.pending) == (hl.ConsentStatus.GRANTED, None)
    [artefact] = consent.artefacts_of(request_id)
    grant = artefact.grant
    assert grant.verification == hl.Verification.VERIFIED, "signed by the consent manager, checked here"
    assert artefact.key_id
    assert (grant.hiu, grant.hi_types) == (HOSPITAL, [hl.HiType.PRESCRIPTION])
    assert grant.permission.date_from_ms == ms("2023-01-01")
    assert sandbox.consent_artefact(grant.id)["status"] == "GRANTED"
    assert [a.grant.id for a in consent.artefacts(hl.ConsentStatus.GRANTED)] == [grant.id]

    # Used: the prescription goes, byte for byte; the lab report and the consultation (types not
    # granted) stay.
    out = phone.share("prescription", "diagnostic-report", "op-consultation")
    [released] = out.records
    assert (released.id, released.artefact) == (phone.id("prescription"), grant.id)
    assert released.bundle == sample("prescription")
    assert out.decision.permitted == [hl.Permit(record=phone.id("prescription"), artefact=grant.id)]
    assert out.decision.denied == [
        hl.Denial(record=phone.id("diagnostic-report"), reason=hl.DenyReason.HI_TYPE()),
        hl.Denial(record=phone.id("op-consultation"), reason=hl.DenyReason.HI_TYPE()),
    ]
    [use] = consent.uses(grant.id)
    assert (use.records, use.hiu, use.channel) == ([phone.id("prescription")], HOSPITAL, "share")

    # Revoked with no network: in force here at once, before the consent manager hears of it.
    revoked = consent.revoke(request_id)
    assert (revoked.request_id, revoked.artefacts) == (request_id, [grant.id])
    assert consent.artefact(grant.id).revoke_pending
    assert reasons(phone.share("prescription")) == [hl.DenyReason.NOT_GRANTED(hl.ConsentStatus.REVOKED)]
    why = hl.DenyReason.NOT_GRANTED(hl.ConsentStatus.REVOKED)
    assert hl.deny_reason_code(why) == "not-granted:REVOKED"
    assert hl.deny_reason_explanation(why) == "the grant is revoked"
    assert sandbox.consent_artefact(grant.id)["status"] == "GRANTED"
    assert run(phone.locker.outbox().drain(backbone)).delivered == 1
    assert sandbox.consent_artefact(grant.id)["status"] == "REVOKED"
    assert sandbox.stats()["consentRevokes"] == 1
    after = consent.artefact(grant.id)
    assert (after.grant.status, after.revoke_pending) == (hl.ConsentStatus.REVOKED, False)
    history = [(h.status, h.source) for h in consent.history(grant.id)]
    assert (hl.ConsentStatus.REVOKED, hl.Source.DEVICE) in history, history

    # A later pull keeps it revoked; the audit log tells the story by reference only.
    run(consent.refresh(backbone))
    assert consent.artefact(grant.id).grant.status == hl.ConsentStatus.REVOKED
    audit = phone.locker.audit_entries(200)
    for action in ["consent.approve", "consent.release", "consent.release-refused", "consent.revoke"]:
        assert any(e.action == action for e in audit), f"{action} in the audit log"
    text = repr([vars(e) for e in audit])
    assert not any(s in text for s in (PATIENT, DOCTOR, "Lakshmi")), text
    assert phone.locker.verify_audit().is_intact()


def test_a_release_outside_the_grant_is_refused_record_by_record_and_nothing_leaves(phone, sandbox, backbone):
    _, grant = grant_prescriptions_since_2023(phone, sandbox, backbone)
    consent = phone.consent

    def refused(released):
        assert released.records == [], released
        return reasons(released)

    assert refused(phone.share("discharge-summary")) == [hl.DenyReason.HI_TYPE()], "a type not granted"
    assert refused(phone.share("prescription", hiu="sbx-hiu-diagnostics")) == [hl.DenyReason.NO_GRANT()]
    assert refused(phone.share("prescription", mode=hl.AccessMode.STORE)) == [hl.DenyReason.ACCESS_MODE()]
    wider = hl.ReleaseAsk(
        hiu=HOSPITAL,
        consent_id=grant.id,
        mode=hl.AccessMode.VIEW,
        date_range=hl.DateRange(from_ms=ms("2019-01-01"), to_ms=ms("2025-12-31")),
        records=[phone.id("prescription")],
        channel=hl.ReleaseChannel.DATA_REQUEST,
    )
    assert refused(consent.release(wider)) == [hl.DenyReason.RANGE_WIDER_THAN_GRANTED()], "a data request for more years"
    unknown = hl.ReleaseAsk(
        hiu=HOSPITAL,
        consent_id="no-such-artefact",
        mode=hl.AccessMode.VIEW,
        records=[phone.id("prescription")],
        channel=hl.ReleaseChannel.DATA_REQUEST,
    )
    assert refused(consent.release(unknown)) == [hl.DenyReason.NO_GRANT()]
    unknown.records = ["no-such-record"]
    with pytest.raises(hl.LockerError.NotFound):
        consent.release(unknown)
    unknown.records = []
    with pytest.raises(hl.LockerError.InvalidInput):
        consent.release(unknown)

    assert consent.uses() == [], "a refused release is no use of the grant"
    actions = [e.action for e in phone.locker.audit_entries(200)]
    assert "consent.release-refused" in actions and "consent.release" not in actions

    # Inside the grant, the same data request goes.
    wider.date_range = hl.DateRange(from_ms=ms("2023-06-01"), to_ms=ms("2024-06-01"))
    assert [r.id for r in consent.release(wider).records] == [phone.id("prescription")]
    assert [u.channel for u in consent.uses()] == ["data-request"]


def test_a_login_the_consent_manager_no_longer_knows_asks_for_a_new_one_and_the_decision_waits_without_loss(
    phone, sandbox, backbone
):
    consent = phone.consent
    request_id = doctor_asks(sandbox)
    run(consent.refresh(backbone))
    with pytest.raises(hl.LockerError.InvalidInput):
        consent.deny(request_id, "x" * 101)
    consent.deny(request_id, "I see this doctor in person next week")
    denied = consent.request(request_id)
    assert (denied.request.status, denied.pending) == (hl.ConsentStatus.DENIED, hl.PendingDecision.DENY)

    consent.sign_in(PATIENT, "a-token-from-last-month", 86_400)
    with pytest.raises(hl.LockerError.SignInNeeded):
        run(consent.refresh(backbone))
    halted = run(phone.locker.outbox().drain(backbone))
    assert halted.halted == "sign-in-needed"
    assert consent.request(request_id).pending == hl.PendingDecision.DENY
    assert sandbox.consent_request(request_id)["status"] == "REQUESTED"

    consent.sign_in(PATIENT, sandbox.phr_login(PATIENT), 86_400)
    assert run(phone.locker.outbox().drain(backbone)).delivered == 1
    theirs = sandbox.consent_request(request_id)
    assert (theirs["status"], theirs["denyReason"]) == ("DENIED", "I see this doctor in person next week")
    assert sandbox.stats()["consentDenials"] == 1
    assert consent.request(request_id).pending is None
    history = [(h.status, h.source) for h in consent.history(request_id)]
    assert (hl.ConsentStatus.DENIED, hl.Source.DEVICE) in history, history


def test_the_citizens_own_requests_are_approved_automatically_only_while_they_say_so(phone, sandbox, backbone):
    consent = phone.consent
    assert consent.auto_approval(PATIENT) is None

    # With no network, on, off and on again: only where it ended is sent.
    for on in (True, False, True):
        consent.set_auto_approval(PATIENT, SELF_HIU, on)
    setting = consent.auto_approval(PATIENT)
    assert (setting.enabled, setting.synced, setting.hiu) == (True, False, SELF_HIU)
    assert [i.kind for i in phone.locker.outbox().items()] == [hl.ItemKind.CONSENT_AUTO_APPROVAL]
    run(phone.locker.outbox().drain(backbone))
    synced = consent.auto_approval(PATIENT)
    assert synced.enabled and synced.synced and synced.policy_id

    first = own_request(sandbox)
    run(consent.refresh(backbone))
    assert consent.request(first).request.status == hl.ConsentStatus.GRANTED
    assert consent.request(first).request.purpose == hl.Purpose.SELF_REQUESTED
    granted = consent.artefacts_of(first)
    assert granted and all(a.grant.verification == hl.Verification.VERIFIED for a in granted)

    consent.set_auto_approval(PATIENT, SELF_HIU, False)
    run(phone.locker.outbox().drain(backbone))
    second = own_request(sandbox)
    doctors = doctor_asks(sandbox)
    run(consent.refresh(backbone))
    assert consent.request(second).request.status == hl.ConsentStatus.REQUESTED
    assert consent.request(doctors).request.status == hl.ConsentStatus.REQUESTED, "a doctor's request never is"


def test_consent_records_print_no_names_addresses_or_records(phone, sandbox, backbone):
    request_id, grant = grant_prescriptions_since_2023(phone, sandbox, backbone)
    consent = phone.consent
    shown = [
        consent.request(request_id),
        consent.request(request_id).request,
        consent.artefact(grant.id),
        grant,
        grant.care_contexts,
        consent.proposal(request_id),
        phone.share("prescription"),
        consent.set_auto_approval(PATIENT, SELF_HIU, True),
    ]
    printed = "\n".join(f"{s}\n{s!r}" for s in shown)
    for secret in (DOCTOR, PATIENT, "Lakshmi", "Venkat", "MedicationRequest", "resourceType"):
        assert secret not in printed, f"{secret} in {printed}"
    assert request_id in printed and grant.id in printed and "PRESCRIPTION" in printed, printed
