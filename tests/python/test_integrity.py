"""The store vouching for itself: the full check, and the audit log of who did what."""

import os

import healthlocker as hl
import pytest
from conftest import (
    CHILD_NAME,
    OWNER_ABHA_ADDRESS,
    OWNER_ABHA_NUMBER,
    OWNER_NAME,
    SAMPLES,
    audit_count,
    child_profile,
    flip_byte,
    hla_path,
    owner_profile,
)


def add_attachment(locker, profile_id, size=150_000):
    writer = locker.attachments().begin(profile_id, "application/pdf")
    writer.write(os.urandom(size))
    return writer.finish()


@pytest.fixture
def furnished(locker, owner):
    """A store in use: every sample imported, three attachments added."""
    records = [locker.records().import_bundle(owner.id, s.data) for s in SAMPLES]
    attachments = [add_attachment(locker, owner.id, size) for size in (0, 150_000, 700_000)]
    return records, attachments


def test_a_store_in_ordinary_use_checks_clean(locker, furnished):
    _, attachments = furnished
    report = locker.check()

    assert report.problems == []
    assert report.sqlite_problems == []
    assert report.cipher_page_failures == 0
    assert report.search_index_ok is True
    assert report.audit.is_intact()
    assert report.attachments_checked == len(attachments)
    assert report.damaged_attachments == []
    assert report.incomplete_records == []


def truncate(path):
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size - 1)


@pytest.mark.parametrize(
    "damage",
    [lambda p: flip_byte(p, p.stat().st_size // 2), truncate, os.remove],
    ids=["one-byte-flipped", "truncated", "deleted"],
)
def test_a_damaged_attachment_file_is_named_by_the_check(locker, furnished, store_dir, damage):
    _, attachments = furnished
    victim = attachments[1]
    damage(hla_path(store_dir, victim.id))

    report = locker.check()

    assert report.damaged_attachments == [victim.id]
    assert report.problems != []
    assert any(victim.id in p for p in report.problems)
    assert report.attachments_checked == len(attachments)
    assert report.audit.is_intact()


def test_the_audit_log_grows_by_one_entry_per_change_and_stays_intact(locker, tmp_path):
    # Creating the store is the first entry.
    assert locker.verify_audit() == hl.AuditVerification.INTACT(entries=1)
    steps = []

    def step(expected_action, do):
        before = audit_count(locker)
        result = do()
        assert audit_count(locker) == before + 1, expected_action
        newest = locker.audit_entries(1)
        assert [e.action for e in newest] == [expected_action]
        assert newest[0].seq == before + 1
        steps.append(expected_action)
        return result

    owner = step("profile.add", lambda: locker.profiles().add(owner_profile()))
    child = step("profile.add", lambda: locker.profiles().add(child_profile()))
    record = step("record.import", lambda: locker.records().import_bundle(owner.id, SAMPLES[0].data))
    step("record.import", lambda: locker.records().import_bundle(child.id, SAMPLES[1].data))
    step("record.export", lambda: locker.records().export(record.id))
    step("record.delete", lambda: locker.records().delete(record.id))
    owner.name = "Lakshmi V."
    step("profile.update", lambda: locker.profiles().update(owner))
    attachment = step("attachment.add", lambda: add_attachment(locker, owner.id, 1000))
    step("attachment.delete", lambda: locker.attachments().delete(attachment.id))
    step("profile.remove", lambda: locker.profiles().remove(child.id))

    # Reading changes nothing in the log.
    before = audit_count(locker)
    locker.profiles().list()
    locker.records().list(hl.RecordQuery())
    locker.check()
    assert audit_count(locker) == before == 1 + len(steps)

    entries = locker.audit_entries(100)
    assert [e.seq for e in entries] == list(range(len(steps) + 1, 0, -1)), "newest first, no gaps"
    assert [e.action for e in reversed(entries)] == ["store.create", *steps]
    assert [e.seq for e in locker.audit_entries(3)] == [len(steps) + 1, len(steps), len(steps) - 1]


def test_a_refused_change_leaves_no_audit_entry(locker, owner):
    locker.records().import_bundle(owner.id, SAMPLES[0].data)
    before = audit_count(locker)
    with pytest.raises(hl.LockerError.Duplicate):
        locker.records().import_bundle(owner.id, SAMPLES[0].data)
    with pytest.raises(hl.LockerError.InvalidInput):
        locker.profiles().add(child_profile(name=""))
    with pytest.raises(hl.LockerError.NotFound):
        locker.records().delete("no-such-record")
    assert audit_count(locker) == before


def test_the_audit_log_holds_no_personal_data(locker, owner, child):
    record = locker.records().import_bundle(owner.id, SAMPLES[0].data)
    child_record = locker.records().import_bundle(child.id, SAMPLES[1].data)
    locker.records().export(record.id)
    attachment = add_attachment(locker, owner.id, 1000)
    owner.abha_address = None
    locker.profiles().update(owner)
    locker.records().delete(record.id)
    locker.profiles().remove(child.id)

    entries = locker.audit_entries(1000)
    assert len(entries) == audit_count(locker)
    personal = [
        OWNER_NAME,
        *OWNER_NAME.split(),
        CHILD_NAME,
        *CHILD_NAME.split(),
        OWNER_ABHA_ADDRESS,
        OWNER_ABHA_NUMBER,
        OWNER_ABHA_NUMBER.replace("-", ""),
    ]
    for s in SAMPLES[:2]:
        personal += [*s.patient_names, *s.title.split(" - ")]
    fields = [f for e in entries for f in (e.action, e.subject, e.detail) if f is not None]
    for value in personal:
        leaks = [f for f in fields if value.lower() in f.lower()]
        assert leaks == [], f"{value!r} appears in the audit log"

    # A subject is only ever an opaque id the app already holds.
    known_ids = {owner.id, child.id, record.id, child_record.id, attachment.id}
    subjects = {e.subject for e in entries if e.subject is not None}
    assert subjects <= known_ids
