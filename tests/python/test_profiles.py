"""The owner and their family: added, edited, and removed with everything of theirs."""

import os

import healthlocker as hl
import pytest
from conftest import (
    CHILD_NAME,
    OWNER_ABHA_ADDRESS,
    OWNER_ABHA_NUMBER,
    OWNER_NAME,
    SAMPLES,
    child_profile,
    hla_path,
    list_all,
    opened,
    owner_profile,
)


def test_an_owner_and_a_child_are_added_and_listed_owner_first(locker):
    child = locker.profiles().add(child_profile())
    owner = locker.profiles().add(owner_profile())

    assert owner.is_owner and owner.relation == "self"
    assert owner.name == OWNER_NAME
    assert owner.gender == hl.Gender.FEMALE
    assert owner.birth_date == "1986-02-14"
    assert owner.abha_number == OWNER_ABHA_NUMBER
    assert owner.abha_address == OWNER_ABHA_ADDRESS
    assert not child.is_owner and child.relation == "child"
    assert child.name == CHILD_NAME
    assert child.birth_date == "2019", "a year alone is a valid birth date"
    assert child.abha_number is None and child.abha_address is None
    assert owner.id != child.id
    assert locker.profiles().list() == [owner, child]
    assert locker.profiles().get(child.id) == child


def test_an_abha_number_typed_without_dashes_is_stored_the_way_abdm_shows_it(locker):
    owner = locker.profiles().add(owner_profile(abha_number="91 4321 8765 2109"))
    assert owner.abha_number == OWNER_ABHA_NUMBER


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "   "},
        {"birth_date": "14-02-1986"},
        {"birth_date": "2999-01-01"},
        {"abha_number": "1234"},
        {"abha_address": "a@"},
        {"relation": "neighbour"},
        {"relation": "spouse"},  # the owner's relation is self
    ],
)
def test_a_profile_with_an_invalid_field_is_refused(locker, bad):
    with pytest.raises(hl.LockerError.InvalidInput):
        locker.profiles().add(owner_profile(**bad))
    assert locker.profiles().list() == []


def test_a_locker_has_only_one_owner(locker, owner):
    with pytest.raises(hl.LockerError.InvalidInput):
        locker.profiles().add(owner_profile(name="Another Owner"))
    assert locker.profiles().list() == [owner]


def test_an_edited_profile_keeps_its_new_name_and_cleared_address_after_reopening(locker, store_dir, key, owner):
    edited = locker.profiles().get(owner.id)
    edited.name = "Lakshmi V. Iyer"
    edited.abha_address = None
    saved = locker.profiles().update(edited)

    assert saved.name == "Lakshmi V. Iyer"
    assert saved.abha_address is None
    assert saved.abha_number == OWNER_ABHA_NUMBER, "fields left alone keep their values"
    assert saved.created_at_ms == owner.created_at_ms
    assert saved.updated_at_ms >= owner.updated_at_ms
    locker.close_store()

    with opened(store_dir, key) as again:
        assert again.profiles().get(owner.id) == saved
        assert again.profiles().list() == [saved]


def test_an_invalid_edit_is_refused_and_the_profile_is_unchanged(locker, owner, child):
    edited = locker.profiles().get(child.id)
    edited.relation = "self"
    with pytest.raises(hl.LockerError.InvalidInput):
        locker.profiles().update(edited)
    edited = locker.profiles().get(child.id)
    edited.name = ""
    with pytest.raises(hl.LockerError.InvalidInput):
        locker.profiles().update(edited)
    assert locker.profiles().get(child.id) == child


def test_editing_a_removed_profile_is_not_found(locker, owner, child):
    locker.profiles().remove(child.id)
    with pytest.raises(hl.LockerError.NotFound):
        locker.profiles().update(child)
    with pytest.raises(hl.LockerError.NotFound):
        locker.profiles().get(child.id)
    with pytest.raises(hl.LockerError.NotFound):
        locker.profiles().remove(child.id)


def test_removing_a_child_removes_their_records_and_attachments_and_nothing_of_the_owners(
    locker, store_dir, key, owner, child
):
    owners_records = [locker.records().import_bundle(owner.id, s.data) for s in SAMPLES[:3]]
    childs_records = [locker.records().import_bundle(child.id, s.data) for s in SAMPLES[3:]]
    writer = locker.attachments().begin(child.id, "image/jpeg")
    writer.write(os.urandom(100_000))
    childs_scan = writer.finish()
    writer = locker.attachments().begin(owner.id, "image/jpeg")
    writer.write(os.urandom(100_000))
    owners_scan = writer.finish()

    locker.profiles().remove(child.id)

    assert locker.profiles().list() == [owner]
    for r in childs_records:
        with pytest.raises(hl.LockerError.NotFound):
            locker.records().get(r.id)
        with pytest.raises(hl.LockerError.NotFound):
            locker.records().export(r.id)
    with pytest.raises(hl.LockerError.NotFound):
        locker.attachments().get(childs_scan.id)
    assert not hla_path(store_dir, childs_scan.id).exists()
    assert sorted(r.id for r in list_all(locker)) == sorted(r.id for r in owners_records)
    assert locker.attachments().list(owner.id) == [owners_scan]
    assert locker.check().problems == []

    # The child's documents can be imported again (for someone else): nothing of them lingers.
    again = locker.records().import_bundle(owner.id, SAMPLES[3].data)
    assert again.id not in {r.id for r in childs_records}
    locker.close_store()
    with opened(store_dir, key) as reopened:
        assert reopened.profiles().list() == [owner]
        assert len(list_all(reopened)) == len(owners_records) + 1


def test_printing_a_record_shows_no_personal_data(locker, owner):
    """A log line of a profile, a new profile or a record carries ids and kinds, never a name,
    a birth date or an ABHA number (as the core's Debug)."""
    printed = " ".join(
        f(x)
        for x in (owner, owner_profile(), hl.RecordQuery(text="tuberculosis"))
        for f in (str, repr)
    )
    for personal in (owner.name, owner.birth_date, owner.abha_number or "-", "tuberculosis"):
        assert personal not in printed, printed
    assert owner.id in printed
