"""Scan & Share from Python, against the sandbox's facilities and its signed-QR issuer: a patient
scans a counter's code with no network and the share goes, and the token comes back, when the
network is back; a counter's device with no network registers patients from their ABHA cards and
gives tokens; a patient's signed code is checked by a counter with no network and a changed one
refused; none of it prints a name, a number, an address or a code's text. The same stories as
core/tests/share.rs, core/tests/counter.rs and the Kotlin and Swift suites."""

import asyncio
import json
import time

import healthlocker as hl
import pytest
from conftest import OWNER_ABHA_ADDRESS, OWNER_ABHA_NUMBER, OWNER_NAME, owner_profile, sandbox_config

PATIENT = OWNER_ABHA_ADDRESS
HIP = "IN3410000260"
COUNTER = "OPD-1"
CM_ID = "sbx"
FACILITY_QR = f"https://phrsbx.abdm.gov.in/share-profile?hip-id={HIP}&counter-id={COUNTER}"
SHARE_ROUTE = "/api/hiecm/patient-share/v3/share"
MINUTE = 60_000
CONTACT = hl.ShareContact(
    mobile="9876543210", address_line="12 MG Road", district="Bengaluru", state="Karnataka", pincode="560001"
)


def run(coroutine):
    return asyncio.run(coroutine)


def now_ms() -> int:
    return int(time.time() * 1000)


def card(number: str, address: str, name: str) -> str:
    """What an ABHA card's QR code holds."""
    return json.dumps(
        {
            "hidn": number,
            "hid": address,
            "name": name,
            "gender": "F",
            "statelgd": "29",
            "distlgd": "-",
            "dob": "5/3/1986",
            "state name": "Karnataka",
            "district_name": "Bengaluru",
            "mobile": "9876543210",
            "address": "12 MG Road",
        }
    )


ASHA = card("91-6285-4575-5116", "asha.k@sbx", "Asha Kumari")
RAVI = card("91-1234-5678-9012", "ravi.s@sbx", "Ravi Shankar")


@pytest.fixture
def counter_device(tmp_path):
    """A hospital counter's device: its own store, opened as IN3410000260's counter OPD-1."""
    lk = hl.Locker.create(str(tmp_path / "counter"), hl.generate_key())
    lk.counter().open(HIP, COUNTER)
    yield lk
    lk.close_store()


def signed_in(locker, sandbox):
    locker.consent().sign_in(PATIENT, sandbox.phr_login(PATIENT), 86_400)


def certified(locker, owner, sandbox, backbone) -> "hl.SignedQr":
    """The owner's signed code, once the issuer has certified this phone's key."""
    signed_in(locker, sandbox)
    first = run(locker.share().certify_qr_key(backbone, PATIENT))
    assert first.renewed and first.not_after_ms > now_ms() + 7 * 24 * 60 * MINUTE
    again = run(locker.share().certify_qr_key(backbone, PATIENT))
    assert not again.renewed, "a certificate with weeks left is kept"
    return locker.share().signed_qr(owner.id)


def test_a_counters_code_scanned_offline_goes_when_the_network_is_back_and_a_rescan_is_the_same_share(
    locker, owner, sandbox, backbone, offline_backbone
):
    shares = locker.share()
    shares.set_contact(owner.id, CONTACT)
    signed_in(locker, sandbox)
    phr_url = sandbox_config(sandbox.url).phr_url

    # Scanned with no network: the share waits in the outbox.
    share = shares.scan(owner.id, FACILITY_QR, phr_url)
    assert (share.status, share.hip_id, share.counter_id, share.token_number) == (hl.ShareStatus.WAITING, HIP, COUNTER, None)
    assert share.deadline_ms - share.created_at_ms == 5 * MINUTE, "it may wait five minutes"
    assert hl.share_notice(share) is None
    assert [(i.kind, i.subject) for i in locker.outbox().items()] == [(hl.ItemKind.SHARE_PROFILE, share.id)]
    halted = run(locker.outbox().drain(offline_backbone))
    assert (halted.halted, halted.delivered, halted.waiting) == ("offline", 0, 1)
    assert shares.get(share.id).status == hl.ShareStatus.WAITING
    assert sandbox.applied(SHARE_ROUTE) == 0

    # Back in range, the drain sends it and the facility's token comes back.
    sent = run(locker.outbox().drain(backbone))
    assert (sent.delivered, sent.waiting, sent.halted) == (1, 0, None)
    got = shares.get(share.id)
    assert (got.status, got.token_number, got.error_code) == (hl.ShareStatus.TOKEN, "0001", None)
    left = got.valid_until_ms - now_ms()
    assert 29 * MINUTE <= left <= 30 * MINUTE, f"a token holds about 30 minutes ({left} ms)"
    assert sandbox.applied(SHARE_ROUTE) == 1

    # A rescan while the token holds is that share, and sends nothing.
    again = shares.scan(owner.id, FACILITY_QR, phr_url)
    assert (again.id, again.status, again.token_number) == (share.id, hl.ShareStatus.TOKEN, "0001")
    assert locker.outbox().items() == []
    assert [s.id for s in shares.list(owner.id)] == [share.id]
    assert sandbox.applied(SHARE_ROUTE) == 1

    # The consent ledger knows the profile left, and to whom.
    [use] = locker.consent().uses(share.id)
    assert (use.hiu, use.channel) == (HIP, "scan-share")


def test_a_counter_with_no_network_gives_tokens_from_abha_cards_the_same_one_on_a_rescan_and_refuses_a_bad_code(
    tmp_path, sandbox, backbone, offline_backbone
):
    device = hl.Locker.create(str(tmp_path / "counter"), hl.generate_key())
    try:
        counter = device.counter()
        assert counter.desk() is None
        with pytest.raises(hl.LockerError.WrongStep) as closed:
            counter.scan(ASHA, CM_ID)
        assert closed.value.state == "counter-closed", "a device that is no counter registers nobody"
        desk = counter.open(HIP, COUNTER)
        assert (desk.hip_id, desk.counter_id) == (HIP, COUNTER)
        assert counter.desk() == desk

        first = counter.scan(ASHA, CM_ID)
        assert first.token.number == "0001"
        assert first.new_token and first.new_patient
        assert (first.patient.source, first.patient.verified) == (hl.PatientSource.ABHA_CARD, False), "a card is unsigned"
        assert first.patient.abha_address == "asha.k@sbx"
        second = counter.scan(RAVI, CM_ID)
        assert (second.token.number, second.new_patient) == ("0002", True)

        again = counter.scan(ASHA, CM_ID)
        assert (again.token.number, again.new_token, again.new_patient) == ("0001", False, False)
        assert again.patient.id == first.patient.id
        assert again.token.valid_until_ms == first.token.valid_until_ms, "a rescan does not extend the token"
        assert [(t.number, t.patient_id) for t in counter.tokens()] == [
            ("0001", first.patient.id),
            ("0002", second.patient.id),
        ]
        assert counter.patient(first.patient.id) == again.patient

        # Codes that are not a patient's are refused with what is wrong, never with what was read.
        for code, scanned in [
            ("missing-abha", '{"hid":"","name":"Someone"}'),
            ("not-abha-qr", "https://example.com/some-page"),
            ("empty", ""),
        ]:
            with pytest.raises(hl.LockerError.QrRefused) as refused:
                counter.scan(scanned, CM_ID)
            assert refused.value.code == code
            assert refused.value.reason
            shown = f"{refused.value} {refused.value!r} {refused.value.reason}"
            assert "Someone" not in shown and "example.com" not in shown, shown
        assert len(counter.tokens()) == 2, "a refused code registers nobody"

        # What the facility must hear (one link-token request per patient) waits for the network.
        kinds = [i.kind for i in device.outbox().items()]
        assert kinds == [hl.ItemKind.COUNTER_LINK_TOKEN] * 2, kinds
        halted = run(device.outbox().drain(offline_backbone))
        assert (halted.halted, halted.waiting) == ("offline", 2)
        assert sandbox.link_tokens() == []
        sent = run(device.outbox().drain(backbone))
        assert (sent.delivered, sent.waiting) == (2, 0)
        asked = sandbox.link_tokens()
        assert sorted(a["abhaAddress"] for a in asked) == ["asha.k@sbx", "ravi.s@sbx"]
        assert {a["hipId"] for a in asked} == {HIP}
    finally:
        device.close_store()


def test_a_signed_code_is_checked_by_a_counter_with_no_network_and_a_changed_one_is_refused(
    locker, owner, counter_device, sandbox, backbone
):
    qr = certified(locker, owner, sandbox, backbone)
    assert qr.text.startswith("HL1:")
    assert qr.expires_at_ms > now_ms()
    counter = counter_device.counter()
    assert counter.trust_version() is None
    with pytest.raises(hl.LockerError.WrongStep) as no_list:
        counter.scan(qr.text, CM_ID)
    assert no_list.value.state == "no-trust-list", "a counter that never fetched the trust list says so"
    version = run(counter.refresh_trust(backbone))
    assert counter.trust_version() == version

    # From here on there is no network at all: the counter checks the code alone.
    sandbox.stop()
    visit = counter.scan(qr.text, CM_ID)
    assert (visit.patient.source, visit.patient.verified) == (hl.PatientSource.SIGNED, True)
    assert (visit.token.number, visit.new_token, visit.new_patient) == ("0001", True, True)
    patient = visit.patient
    assert (patient.name, patient.abha_address, patient.birth) == (OWNER_NAME, PATIENT, "1986-02-14")
    assert patient.abha_number.replace("-", "") == OWNER_ABHA_NUMBER.replace("-", "")
    again = counter.scan(qr.text, CM_ID)
    assert (again.token.number, again.new_token, again.patient.id) == ("0001", False, patient.id)

    # One character changed anywhere is refused, with a reason and without the code.
    middle = len(qr.text) // 2
    changed = qr.text[:middle] + ("B" if qr.text[middle] == "A" else "A") + qr.text[middle + 1 :]
    with pytest.raises(hl.LockerError.QrRefused) as refused:
        counter.scan(changed, CM_ID)
    assert refused.value.code and refused.value.reason
    assert changed[4:24] not in f"{refused.value} {refused.value!r}"
    assert len(counter.tokens()) == 1, "a refused code registers nobody"


def test_scan_and_share_records_print_no_name_number_address_or_code(
    locker, owner, counter_device, sandbox, backbone
):
    locker.share().set_contact(owner.id, CONTACT)
    qr = certified(locker, owner, sandbox, backbone)
    counter = counter_device.counter()
    run(counter.refresh_trust(backbone))
    signed = counter.scan(qr.text, CM_ID)
    carded = counter.scan(ASHA, CM_ID)
    share = locker.share().scan(owner.id, FACILITY_QR, None)
    shown = [
        CONTACT,
        locker.share().contact(owner.id),
        qr,
        signed,
        signed.patient,
        carded,
        counter.patient(carded.patient.id),
        counter.tokens(),
        share,
        locker.share().list(),
    ]
    printed = "\n".join(f"{s}\n{s!r}" for s in shown)
    secrets = [
        OWNER_NAME, "Lakshmi", OWNER_ABHA_NUMBER, OWNER_ABHA_NUMBER.replace("-", ""), PATIENT, "1986-02-14",
        "Asha", "asha.k@sbx", "91-6285-4575-5116", "91628545755116", "5/3/1986", "1986-03-05",
        "9876543210", "12 MG Road", "Bengaluru", "Karnataka", "560001",
        qr.text[4:24], qr.text[-20:],
    ]
    for secret in secrets:
        assert secret not in printed, f"{secret} in {printed}"
    for kept in (signed.patient.id, carded.patient.id, share.id, "0001", "SIGNED", "ABHA_CARD"):
        assert kept in printed, f"ids, tokens and kinds still print: {printed}"
