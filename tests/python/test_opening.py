"""Opening, closing and keying a store: what a citizen's app sees at start-up and sign-out."""

import healthlocker as hl
import pytest
from conftest import SAMPLES, child_profile, file_hashes, opened, owner_profile


def test_citizen_reopening_with_the_same_key_finds_the_same_family(store_dir, key):
    lk = hl.Locker.create(str(store_dir), key)
    owner = lk.profiles().add(owner_profile())
    child = lk.profiles().add(child_profile())
    lk.close_store()

    assert (store_dir / "locker.db").is_file()
    assert (store_dir / "locker.keycheck").is_file()
    assert (store_dir / "attachments").is_dir()

    with opened(store_dir, key) as again:
        assert again.profiles().list() == [owner, child]


def test_creating_over_an_existing_store_is_refused_and_the_store_survives(store_dir, key):
    lk = hl.Locker.create(str(store_dir), key)
    owner = lk.profiles().add(owner_profile())
    lk.close_store()
    before = file_hashes(store_dir)

    with pytest.raises(hl.LockerError.StoreExists):
        hl.Locker.create(str(store_dir), hl.generate_key())

    assert file_hashes(store_dir) == before
    with opened(store_dir, key) as again:
        assert again.profiles().list() == [owner]


def test_an_app_starting_opens_its_store_or_makes_it_the_first_time(tmp_path, key):
    first = hl.Locker.open_or_create(str(tmp_path / "locker"), key)
    me = first.profiles().add(owner_profile())
    first.close_store()
    with pytest.raises(hl.LockerError.WrongKey):
        hl.Locker.open_or_create(str(tmp_path / "locker"), hl.generate_key())
    with opened(tmp_path / "locker", key, how=hl.Locker.open_or_create) as later:
        assert later.profiles().list() == [me]


def test_an_app_whose_database_file_was_lost_never_gets_a_new_store_over_what_remains(store_dir, key):
    lk = hl.Locker.create(str(store_dir), key)
    owner = lk.profiles().add(owner_profile())
    w = lk.attachments().begin(owner.id, "application/pdf")
    w.write(b"%PDF-1.4 a scanned report")
    w.finish()
    lk.close_store()
    (store_dir / "locker.db").unlink()
    before = file_hashes(store_dir)

    for other in (key, hl.generate_key()):
        with pytest.raises(hl.LockerError.Corrupt) as lost:
            hl.Locker.open_or_create(str(store_dir), other)
        assert "locker.db is missing" in lost.value.reason
        with pytest.raises(hl.LockerError.StoreExists) as refused:
            hl.Locker.create(str(store_dir), other)
        assert "attachments/ (1 file)" in refused.value.found
    after = file_hashes(store_dir)
    assert {k: v for k, v in after.items() if k != "locker.lock"} == {
        k: v for k, v in before.items() if k != "locker.lock"
    }


def test_a_store_whose_key_check_was_lost_says_so_once_when_opened(store_dir, key):
    hl.Locker.create(str(store_dir), key).close_store()
    (store_dir / "locker.keycheck").unlink()
    with opened(store_dir, key) as lk:
        assert lk.notices() == [hl.OpenNotice.KEY_CHECK_REWRITTEN(was_damaged=False)]
    with opened(store_dir, key) as lk:
        assert lk.notices() == []


def test_opening_a_folder_with_no_store_is_not_found(tmp_path, key):
    with pytest.raises(hl.LockerError.NotFound):
        hl.Locker.open(str(tmp_path / "nothing-here"), key)


def test_a_second_open_of_a_store_in_use_is_busy_until_the_first_closes(locker, store_dir, key, owner):
    with pytest.raises(hl.LockerError.Busy):
        hl.Locker.open(str(store_dir), key)

    assert locker.profiles().list() == [owner], "the first holder is unaffected by the refused open"
    locker.close_store()
    with opened(store_dir, key) as second:
        assert second.profiles().list() == [owner]


def test_every_call_after_close_store_raises_closed_and_closing_twice_is_harmless(locker, owner):
    locker.close_store()
    locker.close_store()

    calls = [
        lambda: locker.profiles().list(),
        lambda: locker.profiles().get(owner.id),
        lambda: locker.profiles().add(owner_profile(name="Someone Else", relation="spouse", is_owner=False)),
        lambda: locker.records().import_bundle(owner.id, SAMPLES[0].data),
        lambda: locker.records().list(hl.RecordQuery()),
        lambda: locker.attachments().begin(owner.id, "application/pdf"),
        lambda: locker.attachments().list(owner.id),
        lambda: locker.check(),
        lambda: locker.verify_audit(),
        lambda: locker.audit_entries(10),
        lambda: locker.rekey(hl.generate_key()),
    ]
    for call in calls:
        with pytest.raises(hl.LockerError.Closed):
            call()


@pytest.mark.parametrize("length", [0, 31, 33])
def test_a_key_that_is_not_32_bytes_is_invalid_input_and_makes_no_store(store_dir, length):
    with pytest.raises(hl.LockerError.InvalidInput):
        hl.Locker.create(str(store_dir), bytes(length))
    assert not (store_dir / "locker.db").exists()


def test_opening_an_existing_store_with_a_31_byte_key_is_invalid_input(locker, store_dir, key):
    locker.close_store()
    with pytest.raises(hl.LockerError.InvalidInput):
        hl.Locker.open(str(store_dir), key[:31])


def test_generated_keys_are_32_random_bytes():
    keys = {hl.generate_key() for _ in range(8)}
    assert len(keys) == 8
    assert all(isinstance(k, bytes) and len(k) == 32 for k in keys)


def test_citizen_opening_with_a_wrong_key_gets_wrong_key_and_the_store_is_untouched(locker, store_dir, key, owner):
    record = locker.records().import_bundle(owner.id, SAMPLES[0].data)
    writer = locker.attachments().begin(owner.id, "image/jpeg")
    writer.write(b"\xff\xd8" + bytes(range(256)) * 100)
    attachment = writer.finish()
    locker.close_store()
    before = file_hashes(store_dir)
    assert "locker.db" in before and "locker.keycheck" in before
    assert f"attachments/{attachment.id}.hla" in before

    for _ in range(2):
        with pytest.raises(hl.LockerError.WrongKey):
            hl.Locker.open(str(store_dir), hl.generate_key())

    assert file_hashes(store_dir) == before, "a refused key changed, added or removed a file"
    with opened(store_dir, key) as right:
        assert right.profiles().list() == [owner]
        assert right.records().get(record.id) == record
        assert right.records().export(record.id) == SAMPLES[0].data
        assert right.attachments().get(attachment.id) == attachment


def test_after_a_rekey_only_the_new_key_opens_the_store(locker, store_dir, key, owner):
    record = locker.records().import_bundle(owner.id, SAMPLES[1].data)
    new_key = hl.generate_key()
    locker.rekey(new_key)
    assert locker.records().get(record.id) == record, "the open store keeps working after a rekey"
    locker.close_store()

    with pytest.raises(hl.LockerError.WrongKey):
        hl.Locker.open(str(store_dir), key)
    with opened(store_dir, new_key) as reopened:
        assert reopened.records().export(record.id) == SAMPLES[1].data
        assert reopened.check().problems == []


def test_the_rooms_a_locker_hands_out_share_its_store_and_close_with_it(locker, owner):
    # Every domain object is a view of the one store: what one handle changes, another sees.
    profiles, records, attachments = locker.profiles(), locker.records(), locker.attachments()
    enrolment, outbox = locker.enrolment(), locker.outbox()
    record = records.import_bundle(owner.id, SAMPLES[0].data)
    assert locker.records().get(record.id) == record
    assert locker.profiles().list() == profiles.list() == [owner]
    writer = attachments.begin(owner.id, "application/pdf")
    writer.write(b"%PDF-1.4")
    scan = writer.finish()
    assert locker.attachments().list(owner.id) == [scan]
    assert enrolment.list() == [] and outbox.items() == []

    # Handles taken before the store closed are closed with it.
    locker.close_store()
    calls = [
        lambda: profiles.list(),
        lambda: profiles.get(owner.id),
        lambda: records.get(record.id),
        lambda: records.count(),
        lambda: records.read(record.id),
        lambda: attachments.get(scan.id),
        lambda: attachments.open(scan.id),
        lambda: enrolment.list(),
        lambda: enrolment.start_session("asha-0001", "tablet-01"),
        lambda: outbox.status(),
        lambda: outbox.items(),
    ]
    for call in calls:
        with pytest.raises(hl.LockerError.Closed):
            call()
