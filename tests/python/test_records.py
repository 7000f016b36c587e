"""Health records: ABDM bundles imported, found again, exported exactly and deleted."""

import healthlocker as hl
import pytest
from conftest import INVALID_SAMPLES, SAMPLES, audit_count, list_all, opened, variant

SAMPLE_IDS = [s.name for s in SAMPLES]


@pytest.fixture
def imported(locker, owner):
    """Every sample imported for the owner: sample name → RecordSummary."""
    return {s.name: locker.records().import_bundle(owner.id, s.data) for s in SAMPLES}


@pytest.mark.parametrize("sample", SAMPLES, ids=SAMPLE_IDS)
def test_each_kind_of_abdm_record_imports_with_its_type_title_and_date(locker, owner, sample):
    summary = locker.records().import_bundle(owner.id, sample.data)

    assert summary.hi_type == sample.hi_type
    assert summary.title == sample.title
    assert summary.date == sample.date
    assert summary.sort_ms == sample.sort_ms
    assert summary.profile_id == owner.id
    assert summary.id
    assert locker.records().get(summary.id) == summary


def test_a_record_that_arrived_under_a_care_context_keeps_it(locker, owner):
    summary = locker.records().import_bundle(owner.id, SAMPLES[0].data, care_context="CC-2025-0042")
    assert summary.care_context == "CC-2025-0042"
    assert locker.records().get(summary.id).care_context == "CC-2025-0042"


@pytest.mark.parametrize("sample", SAMPLES[:2], ids=SAMPLE_IDS[:2])
def test_the_same_bundle_twice_is_a_duplicate_naming_the_first_record(locker, owner, sample):
    first = locker.records().import_bundle(owner.id, sample.data)
    entries = audit_count(locker)

    with pytest.raises(hl.LockerError.Duplicate) as raised:
        locker.records().import_bundle(owner.id, sample.data)
    assert raised.value.existing == first.id

    # The same document re-serialised (other white space) is still the same document.
    pretty = variant(sample, 0).replace(b"-copy-0", b"")
    assert pretty != sample.data
    with pytest.raises(hl.LockerError.Duplicate) as raised:
        locker.records().import_bundle(owner.id, pretty)
    assert raised.value.existing == first.id

    assert [r.id for r in list_all(locker)] == [first.id]
    assert audit_count(locker) == entries


@pytest.mark.parametrize("path", INVALID_SAMPLES, ids=[p.name for p in INVALID_SAMPLES])
def test_a_bundle_a_reader_must_refuse_is_invalid_input_and_nothing_is_stored(locker, owner, store_dir, path):
    entries = audit_count(locker)

    with pytest.raises(hl.LockerError.InvalidInput):
        locker.records().import_bundle(owner.id, path.read_bytes())
    with pytest.raises(hl.LockerError.InvalidInput):
        locker.records().import_file(owner.id, str(path))

    assert list_all(locker) == []
    assert locker.attachments().list(owner.id) == []
    assert list((store_dir / "attachments").iterdir()) == []
    assert audit_count(locker) == entries


def test_a_record_for_a_profile_that_does_not_exist_is_not_found(locker, owner):
    with pytest.raises(hl.LockerError.NotFound):
        locker.records().import_bundle("no-such-profile", SAMPLES[0].data)
    assert list_all(locker) == []


def test_records_list_newest_first(locker, imported):
    records = list_all(locker)

    assert sorted(r.id for r in records) == sorted(r.id for r in imported.values())
    assert [r.sort_ms for r in records] == sorted((s.sort_ms for s in SAMPLES), reverse=True)
    assert records[0].hi_type == hl.HiType.WELLNESS_RECORD  # 2025-10-04, the newest sample
    assert records[-1].hi_type == hl.HiType.DISCHARGE_SUMMARY  # 2022-09-17, the oldest


def test_filtering_by_type_shows_only_those_types(locker, imported):
    wanted = [hl.HiType.PRESCRIPTION, hl.HiType.INVOICE]
    records = list_all(locker, hi_types=wanted)

    assert sorted(r.id for r in records) == sorted(imported[n].id for n in ("prescription.json", "invoice.json"))
    assert [r.hi_type for r in records] == [hl.HiType.INVOICE, hl.HiType.PRESCRIPTION]


@pytest.mark.parametrize(
    "bounds",
    [
        {"from_date": "2024-03-05", "to_date": "2025-01-22"},  # bounds fall on record days: inclusive
        {"from_date": "2024-01-01", "to_date": "2024-12-31"},
        {"from_date": "2025-02-11"},
        {"to_date": "2023-11-18"},
        {"from_date": "2026-01-01"},
    ],
)
def test_filtering_by_date_range_shows_records_of_those_days_only(locker, imported, bounds):
    lo, hi = bounds.get("from_date", "0000-00-00"), bounds.get("to_date", "9999-99-99")
    expected = [imported[s.name].id for s in sorted(SAMPLES, key=lambda s: -s.sort_ms) if lo <= s.date <= hi]

    assert [r.id for r in list_all(locker, **bounds)] == expected


def test_a_malformed_date_bound_is_invalid_input(locker, imported):
    for bounds in ({"from_date": "2024-3-5"}, {"to_date": "yesterday"}, {"from_date": "2024-02-30"}):
        with pytest.raises(hl.LockerError.InvalidInput):
            locker.records().list(hl.RecordQuery(**bounds))


@pytest.mark.parametrize(
    "text, sample",
    [
        ("Dengue", "discharge-summary.json"),  # a word of the title
        ("thrombocytopenia", "discharge-summary.json"),  # any case
        ("Appendic", "health-document.json"),  # the last word may be typed half-way
        ("Metformin", "prescription.json"),  # a medicine named in the body
        ("fever cough", "op-consultation.json"),  # every word must match
    ],
)
def test_free_text_search_finds_the_record_with_that_word(locker, imported, text, sample):
    assert [r.id for r in list_all(locker, text=text)] == [imported[sample].id]


def test_free_text_that_matches_nothing_or_is_only_punctuation_is_handled(locker, imported):
    assert list_all(locker, text="chikungunya") == []
    assert len(list_all(locker, text='"( * -')) == len(imported), "no words means no text filter"


def test_filters_combine(locker, imported):
    records = list_all(locker, text="discharge", from_date="2025-01-01")
    assert [r.id for r in records] == [imported["health-document.json"].id]


def test_a_family_members_records_are_listed_apart_from_the_owners(locker, owner, child):
    owners = [locker.records().import_bundle(owner.id, s.data).id for s in SAMPLES[:5]]
    childs = [locker.records().import_bundle(child.id, s.data).id for s in SAMPLES[5:]]

    assert sorted(r.id for r in list_all(locker, profile_id=child.id)) == sorted(childs)
    assert sorted(r.id for r in list_all(locker, profile_id=owner.id)) == sorted(owners)
    assert all(r.profile_id == child.id for r in list_all(locker, profile_id=child.id))
    with pytest.raises(hl.LockerError.NotFound):
        locker.records().list(hl.RecordQuery(profile_id="no-such-profile"))


def test_paging_with_a_small_limit_walks_every_record_exactly_once_newest_first(locker, owner, imported):
    # Four more records on the prescription's day: ties in the sort key must not lose or repeat.
    prescription = next(s for s in SAMPLES if s.name == "prescription.json")
    for n in range(1, 5):
        locker.records().import_bundle(owner.id, variant(prescription, n))
    everything = locker.records().list(hl.RecordQuery(limit=500))
    assert everything.next_cursor is None
    assert len(everything.records) == 12

    pages, cursor = [], None
    while True:
        page = locker.records().list(hl.RecordQuery(limit=5, cursor=cursor))
        pages.append(page.records)
        cursor = page.next_cursor
        if cursor is None:
            break
        assert len(page.records) == 5

    assert [len(p) for p in pages] == [5, 5, 2]
    walked = [r.id for p in pages for r in p]
    assert walked == [r.id for r in everything.records]
    assert len(set(walked)) == 12
    sort_keys = [r.sort_ms for p in pages for r in p]
    assert sort_keys == sorted(sort_keys, reverse=True)


def test_paging_keeps_its_filter_from_page_to_page(locker, owner, imported):
    for n in range(1, 4):
        locker.records().import_bundle(owner.id, variant(SAMPLES[0], n))
    wanted = [SAMPLES[0].hi_type]
    walked = list_all(locker, limit=1, hi_types=wanted)
    assert len(walked) == 4
    assert {r.hi_type for r in walked} == {SAMPLES[0].hi_type}


def test_a_cursor_the_store_never_gave_out_is_invalid_input(locker, imported):
    with pytest.raises(hl.LockerError.InvalidInput):
        locker.records().list(hl.RecordQuery(cursor="not a cursor"))


@pytest.mark.parametrize("sample", SAMPLES, ids=SAMPLE_IDS)
def test_an_exported_record_is_byte_for_byte_the_bundle_that_was_imported(locker, owner, tmp_path, sample):
    record = locker.records().import_bundle(owner.id, sample.data)

    assert locker.records().export(record.id) == sample.data
    out = tmp_path / "export" / "bundle.json"
    out.parent.mkdir()
    assert locker.records().export_to_file(record.id, str(out)) == len(sample.data)
    assert out.read_bytes() == sample.data


def test_a_record_imported_from_a_file_exports_as_that_file_even_after_reopening(locker, owner, store_dir, key):
    sample = SAMPLES[2]
    record = locker.records().import_file(owner.id, str(sample.path))
    assert record.hi_type == sample.hi_type
    locker.close_store()

    with opened(store_dir, key) as again:
        assert again.records().export(record.id) == sample.data


def test_exporting_over_an_existing_file_replaces_it_whole(locker, owner, tmp_path):
    record = locker.records().import_bundle(owner.id, SAMPLES[3].data)
    out = tmp_path / "bundle.json"
    out.write_bytes(b"x" * (len(SAMPLES[3].data) * 2))
    locker.records().export_to_file(record.id, str(out))
    assert out.read_bytes() == SAMPLES[3].data


def test_a_deleted_record_is_gone_and_the_others_stay(locker, imported):
    gone = imported["invoice.json"]
    locker.records().delete(gone.id)

    with pytest.raises(hl.LockerError.NotFound):
        locker.records().get(gone.id)
    with pytest.raises(hl.LockerError.NotFound):
        locker.records().export(gone.id)
    with pytest.raises(hl.LockerError.NotFound):
        locker.records().delete(gone.id)
    assert locker.records().list(hl.RecordQuery(text="Cardiology")).records == []
    remaining = list_all(locker)
    assert sorted(r.id for r in remaining) == sorted(r.id for n, r in imported.items() if n != "invoice.json")


def test_a_deleted_record_can_be_imported_again(locker, owner):
    first = locker.records().import_bundle(owner.id, SAMPLES[0].data)
    locker.records().delete(first.id)
    second = locker.records().import_bundle(owner.id, SAMPLES[0].data)
    assert second.id != first.id
    assert locker.records().export(second.id) == SAMPLES[0].data


def test_a_record_read_to_show_on_the_device_is_the_bundle_and_leaves_no_audit_entry(locker, imported):
    record = imported["prescription.json"]
    sample = next(s for s in SAMPLES if s.name == "prescription.json")
    entries = audit_count(locker)

    assert locker.records().read(record.id) == sample.data
    assert audit_count(locker) == entries, "showing a record on the device is not an export"
    assert locker.records().export(record.id) == sample.data
    assert audit_count(locker) == entries + 1
    assert locker.audit_entries(1)[0].action == "record.export"
    locker.records().delete(record.id)
    with pytest.raises(hl.LockerError.NotFound):
        locker.records().read(record.id)


def test_the_record_count_follows_imports_and_deletes(locker, owner):
    assert locker.records().count() == 0
    records = [locker.records().import_bundle(owner.id, s.data) for s in SAMPLES[:3]]
    assert locker.records().count() == 3
    locker.records().delete(records[0].id)
    assert locker.records().count() == 2 == len(list_all(locker))
