"""The outbox from Python: a field worker's captures wait on it while there is no network, a drain
delivers them once in range, and a submission the backbone refuses is wedged with its reason until
the worker retries it, corrects it, or gives it up."""

import asyncio
import random
import re

import healthlocker as hl
import pytest
from conftest import random_mobile, valid_aadhaar

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CONSENT = hl.ConsentCapture(language="kn", text_version="1.4")


def run(coroutine):
    return asyncio.run(coroutine)


def details(name, gender, year, rng) -> "hl.CitizenDetails":
    return hl.CitizenDetails(
        name=name,
        gender=gender,
        birth_date=f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        mobile=random_mobile(rng),
        address="Ward 9, Kolar",
        state_code="29",
        district_code="569",
        pin_code="563101",
    )


@pytest.fixture
def session(locker, backbone):
    """A worker session on a device that fetched the backbone's key while it had network."""
    s = locker.enrolment().start_session("asha-0413", "tablet-78")
    run(locker.enrolment().refresh_backbone_key(backbone))
    return s


def capture(locker, session, name, gender, year, rng, aadhaar=None):
    return locker.enrolment().capture(session.id, details(name, gender, year, rng), aadhaar or valid_aadhaar(rng), CONSENT)


def refused_capture(locker, sandbox, session, rng):
    """A capture the backbone refuses (ABDM-1115): the Aadhaar record holds another name."""
    aadhaar = valid_aadhaar(rng)
    sandbox.add_resident(aadhaar, "Shobha Narayanaswamy", "F", 1984, random_mobile(rng))
    return capture(locker, session, "Sunita Devi", hl.Gender.FEMALE, 1984, rng, aadhaar), aadhaar


def test_two_citizens_captured_offline_wait_on_the_outbox_and_a_drain_delivers_them_once_in_range(
    locker, sandbox, backbone, offline_backbone, session
):
    rng = random.Random(41)
    assert locker.outbox().status() == hl.OutboxStatus(
        waiting=0, wedged=0, by_kind=[], oldest_waiting_age_ms=None, wedged_items=[]
    )
    captured = [
        capture(locker, session, "Lakshmamma Gowda", hl.Gender.FEMALE, 1961, rng),
        capture(locker, session, "Nagaraj Reddy", hl.Gender.MALE, 1958, rng),
    ]

    status = locker.outbox().status()
    assert (status.waiting, status.wedged, status.wedged_items) == (2, 0, [])
    assert status.by_kind == [hl.KindCount(kind=hl.ItemKind.ENROLMENT_SUBMIT, waiting=2, wedged=0)]
    assert status.oldest_waiting_age_ms is not None and status.oldest_waiting_age_ms >= 0
    items = locker.outbox().items()
    assert [i.subject for i in items] == [e.id for e in captured], "one item per capture, oldest first"
    assert all(i.kind == hl.ItemKind.ENROLMENT_SUBMIT and i.state == hl.ItemState.WAITING for i in items)
    assert all(UUID.match(i.request_id) for i in items) and len({i.request_id for i in items}) == 2
    assert locker.enrolment().purge_expired() == 0, "nothing is past its retention yet"

    # In the village: the backbone cannot be reached. The drain stops and nothing is lost.
    stuck = run(locker.outbox().drain(offline_backbone))
    assert stuck.halted == "offline"
    assert (stuck.delivered, stuck.wedged, stuck.waiting) == (0, 0, 2)
    assert locker.outbox().status().waiting == 2
    after = locker.outbox().items()
    assert [(i.id, i.request_id) for i in after] == [(i.id, i.request_id) for i in items], "same REQUEST-IDs kept"
    assert any(i.last_error == "offline" for i in after)
    for e in locker.enrolment().list(hl.EnrolmentFilter(session_id=session.id)):
        assert (e.state, e.abha_number) == (hl.EnrolmentState.QUEUED, None)
        assert e.name is not None, "a capture waiting to be sent keeps the citizen's details"
    assert sandbox.stats()["demographicApplied"] == 0

    # Back in range.
    report = run(locker.outbox().drain(backbone))
    assert (report.delivered, report.wedged, report.waiting, report.halted) == (2, 0, 0, None)
    assert sorted(report.touched) == sorted(e.id for e in captured)
    assert locker.outbox().status() == hl.OutboxStatus(
        waiting=0, wedged=0, by_kind=[], oldest_waiting_age_ms=None, wedged_items=[]
    )
    assert locker.outbox().items() == []
    for e in locker.enrolment().list(hl.EnrolmentFilter(session_id=session.id)):
        assert (e.state, e.outcome) == (hl.EnrolmentState.SUBMITTED, hl.EnrolmentOutcome.CREATED)
        assert hl.parse_abha_number(e.abha_number).passes_luhn
    stats = sandbox.stats()
    assert (stats["demographicApplied"], stats["duplicates"]) == (2, 0)
    landed = sorted(r for a in sandbox.accounts() for r in a["requestIds"])
    assert landed == sorted(i.request_id for i in items), "each went once, with the REQUEST-ID fixed at capture"

    again = run(locker.outbox().drain(backbone))
    assert (again.delivered, again.waiting) == (0, 0)
    assert sandbox.stats()["demographicApplied"] == 2, "nothing is sent twice"


def test_a_submission_the_backbone_refuses_is_wedged_with_its_reason_and_retry_sends_it_as_a_new_request(
    locker, sandbox, backbone, session
):
    rng = random.Random(42)
    refused, aadhaar = refused_capture(locker, sandbox, session, rng)
    fine = capture(locker, session, "Manjunath Shetty", hl.Gender.MALE, 1990, rng)
    [first_try] = [i for i in locker.outbox().items() if i.subject == refused.id]

    report = run(locker.outbox().drain(backbone))
    assert (report.delivered, report.wedged, report.waiting, report.halted) == (1, 1, 0, None)

    status = locker.outbox().status()
    assert (status.waiting, status.wedged) == (0, 1)
    assert status.by_kind == [hl.KindCount(kind=hl.ItemKind.ENROLMENT_SUBMIT, waiting=0, wedged=1)]
    assert status.oldest_waiting_age_ms is None
    [wedged] = status.wedged_items
    assert (wedged.id, wedged.kind, wedged.subject) == (first_try.id, hl.ItemKind.ENROLMENT_SUBMIT, refused.id)
    assert "Aadhaar record" in wedged.reason, wedged.reason
    assert "ABDM-1115" in wedged.last_error
    assert not any(w in f"{wedged.reason} {wedged.last_error}" for w in ("Sunita", "Shobha", aadhaar))

    rejected = locker.enrolment().get(refused.id)
    assert (rejected.state, rejected.outcome) == (hl.EnrolmentState.REJECTED, hl.EnrolmentOutcome.REJECTED)
    assert rejected.reason == wedged.reason
    assert rejected.name == "Sunita Devi", "kept so the worker can check it with the citizen"
    assert locker.enrolment().get(fine.id).state == hl.EnrolmentState.SUBMITTED

    # The Aadhaar record is mended (the citizen's name there was out of date), and the worker
    # sends the submission again: a new request, since the backbone answered the old one.
    sandbox.add_resident(aadhaar, "Sunita Devi", "F", 1984, random_mobile(rng))
    requeued = locker.outbox().retry(wedged.id)
    assert (requeued.id, requeued.subject, requeued.state) == (wedged.id, refused.id, hl.ItemState.WAITING)
    assert UUID.match(requeued.request_id) and requeued.request_id != first_try.request_id
    assert locker.enrolment().get(refused.id).state == hl.EnrolmentState.QUEUED
    with pytest.raises(hl.LockerError.WrongStep) as wrong_step:
        locker.outbox().retry(wedged.id)
    assert wrong_step.value.state == "waiting"

    report = run(locker.outbox().drain(backbone))
    assert (report.delivered, report.wedged, report.waiting) == (1, 0, 0)
    done = locker.enrolment().get(refused.id)
    assert (done.state, done.outcome) == (hl.EnrolmentState.SUBMITTED, hl.EnrolmentOutcome.CREATED)
    [account] = [a for a in sandbox.accounts() if a["abhaNumber"] == done.abha_number]
    assert account["requestIds"] == [requeued.request_id]
    assert locker.outbox().status().wedged_items == []


def test_a_rejected_enrolment_corrected_by_the_worker_is_queued_again_and_goes_through(locker, sandbox, backbone, session):
    rng = random.Random(43)
    refused, _ = refused_capture(locker, sandbox, session, rng)
    [first_try] = locker.outbox().items()
    run(locker.outbox().drain(backbone))
    assert [w.subject for w in locker.outbox().status().wedged_items] == [refused.id]

    corrected = locker.enrolment().correct(
        refused.id, details=details("Shobha Narayanaswamy", hl.Gender.FEMALE, 1984, rng)
    )
    assert (corrected.state, corrected.name, corrected.reason) == (hl.EnrolmentState.QUEUED, "Shobha Narayanaswamy", None)
    [item] = locker.outbox().items()
    assert (item.subject, item.state) == (refused.id, hl.ItemState.WAITING)
    assert UUID.match(item.request_id) and item.request_id != first_try.request_id, "a new request"
    assert locker.outbox().status().wedged == 0

    report = run(locker.outbox().drain(backbone))
    assert (report.delivered, report.wedged) == (1, 0)
    done = locker.enrolment().get(refused.id)
    assert done.state == hl.EnrolmentState.SUBMITTED
    [account] = [a for a in sandbox.accounts() if a["abhaNumber"] == done.abha_number]
    assert (account["name"], account["requestIds"]) == ("Shobha Narayanaswamy", [item.request_id])
    with pytest.raises(hl.LockerError.WrongStep) as wrong_step:
        locker.enrolment().correct(refused.id, aadhaar=valid_aadhaar(rng))
    assert wrong_step.value.state == "submitted"


def test_discarding_a_wedged_submission_erases_the_enrolment_from_the_device(locker, sandbox, backbone, session):
    rng = random.Random(44)
    refused, _ = refused_capture(locker, sandbox, session, rng)
    run(locker.outbox().drain(backbone))
    [wedged] = locker.outbox().status().wedged_items

    locker.outbox().discard(wedged.id)

    gone = locker.enrolment().get(refused.id)
    assert gone.state == hl.EnrolmentState.CANCELLED
    assert gone.erased and gone.name is None and gone.abha_number is None
    assert locker.outbox().status() == hl.OutboxStatus(
        waiting=0, wedged=0, by_kind=[], oldest_waiting_age_ms=None, wedged_items=[]
    )
    assert locker.outbox().items() == []
    for call in (locker.outbox().discard, locker.outbox().retry):
        with pytest.raises(hl.LockerError.NotFound):
            call(wedged.id)
    assert locker.enrolment().list(hl.EnrolmentFilter(session_id=session.id, pending_only=True)) == []
    assert sandbox.stats()["demographicApplied"] == 0
