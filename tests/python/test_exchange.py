"""Records from hospitals from Python, against the sandbox's hospitals and relay: a hospital is
linked with the OTP it sends, its records are pulled encrypted to a key made on this device and
read; a doctor's request that came while the phone was offline is answered a day later; a sync
tells its listener how it goes. The same stories as core/tests/exchange.rs and the Kotlin suite."""

import asyncio
import time

import healthlocker as hl
from conftest import OWNER_ABHA_ADDRESS, SAMPLES, owner_profile

PATIENT = OWNER_ABHA_ADDRESS
MOBILE = "9812345678"
HOSPITAL = "sbx-hip-district"
DOCTOR = "sbx-hiu-city-hospital"
SELF_ID = "sbx-phr-healthlocker"


class Stages(hl.SyncListener):
    def __init__(self):
        self.seen = []

    def progress(self, progress):
        self.seen.append(progress.stage)


def sync(locker, backbone, listener=None):
    return asyncio.run(locker.sync(backbone, hl.SyncBudget(), listener or Stages()))


def sync_until(locker, backbone, done):
    for _ in range(40):
        sync(locker, backbone)
        if done():
            return
        time.sleep(0.05)
    raise AssertionError("the sync never got there")


def phone(locker, sandbox):
    owner = locker.profiles().add(owner_profile())
    locker.consent().sign_in(PATIENT, sandbox.phr_login(PATIENT), 86_400 * 30)
    return owner


def test_a_hospital_is_linked_its_records_arrive_encrypted_and_are_read(locker, sandbox, backbone):
    sandbox._request(
        "POST",
        "/admin/hip/records",
        {"hip": HOSPITAL, "patient": PATIENT, "careContexts": 2, "recordsPerContext": 2, "mobile": MOBILE},
    )
    owner = phone(locker, sandbox)
    links = locker.links()
    found = asyncio.run(links.discover(backbone, PATIENT, HOSPITAL, MOBILE))
    started = asyncio.run(links.choose(backbone, found.attempt, []))
    otp = sandbox._request("GET", f"/admin/link-otp/{started.link_reference}")["otp"]
    linked = asyncio.run(links.confirm(backbone, found.attempt, otp))
    assert len(linked) == 2
    assert "visit" not in str(linked[0]).lower(), "a care link prints no content"

    locker.consent().set_auto_approval(PATIENT, SELF_ID, True)
    stages = Stages()
    sync(locker, backbone, stages)
    assert stages.seen[-1] == hl.SyncStage.DONE and hl.SyncStage.MAILBOX in stages.seen
    pull = locker.exchange().pull(owner.id)
    sync_until(locker, backbone, lambda: locker.exchange().pull_status(pull.id).state == hl.PullState.DONE)
    done = locker.exchange().pull_status(pull.id)
    assert sum(t.records_imported for t in done.transfers) == 4
    assert not any(t.key_kept for t in done.transfers), "the private key is erased once its push arrived"
    records = locker.records().list(hl.RecordQuery(profile_id=owner.id)).records
    assert len(records) == 4 and all(r.care_context for r in records)


def test_a_doctors_request_that_came_while_offline_is_answered_a_day_later(locker, sandbox, backbone):
    owner = phone(locker, sandbox)
    prescription = next(s for s in SAMPLES if s.name == "prescription.json")
    locker.records().import_bundle(owner.id, prescription.data)
    request = sandbox.raise_consent_request(
        {
            "hiuId": DOCTOR,
            "purpose": {"text": "Care Management", "code": "CAREMGT"},
            "patient": {"id": PATIENT},
            "hip": {"id": SELF_ID},
            "requester": {"name": "Dr. Rao", "identifier": {"type": "REGNO", "value": "KA-48213"}},
            "hiTypes": ["Prescription", "DiagnosticReport", "OPConsultation"],
            "permission": {
                "accessMode": "VIEW",
                "dateRange": {"from": "2000-01-01T00:00:00.000Z", "to": "2030-12-31T23:59:59.999Z"},
                "dataEraseAt": "2031-12-31T00:00:00.000Z",
                "frequency": {"unit": "HOUR", "value": 5, "repeats": 0},
            },
        }
    )
    consent = locker.consent()
    asyncio.run(consent.refresh(backbone))
    consent.approve(request, [consent.proposal(request)])
    sync(locker, backbone)
    artefact = consent.artefacts_of(request)[0].grant.id
    txn = sandbox._request("POST", "/admin/data-request", {"consentId": artefact})["transactionId"]
    sandbox._request("POST", "/admin/clock", {"advanceSeconds": 86_400})
    sync_until(locker, backbone, lambda: any(h.state == "notified" for h in locker.exchange().hip_requests()))
    got = sandbox._request("GET", f"/admin/hiu-received/{txn}")
    assert got["entries"] and all(e["ok"] for e in got["entries"])
    assert got["notify"]["notification"]["statusNotification"]["sessionStatus"] == "TRANSFERRED"
