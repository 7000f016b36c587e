"""Attachments: scans and reports streamed in and out, sealed on disk, and refused when changed."""

import base64
import gc
import os
import random

import healthlocker as hl
import pytest
from conftest import (
    SAMPLES,
    audit_count,
    flip_byte,
    hla_path,
    list_all,
    one_cpu,
    read_attachment,
    unreadable_attachments,
)

THREE_MB = 3 * 1024 * 1024 + 12_345


def uneven_pieces(data: bytes, seed: int = 7):
    """Pieces of awkward sizes: single bytes, one either side of the 64 KiB chunk, large runs."""
    sizes = [1, 7, 65_535, 65_537, 3, 100_000, 65_536, 333_333, 2, 1_048_577]
    rng = random.Random(seed)
    pos = 0
    while pos < len(data):
        n = rng.choice(sizes)
        yield data[pos : pos + n]
        pos += n


def test_a_three_megabyte_scan_written_in_uneven_pieces_reads_back_identical(locker, owner):
    scan = os.urandom(THREE_MB)
    writer = locker.attachments().begin(owner.id, "Application/PDF")
    for piece in uneven_pieces(scan):
        writer.write(piece)
    info = writer.finish()

    assert info.size == len(scan)
    assert info.profile_id == owner.id
    assert info.record_id is None
    assert info.media_type == "application/pdf"
    assert locker.attachments().get(info.id) == info
    assert locker.attachments().list(owner.id) == [info]

    for piece in (1_000, 65_536, 777_777, 1_048_576):
        assert read_attachment(locker, info.id, piece) == scan


def test_a_reader_hands_out_at_most_what_was_asked_then_empty_at_the_end(locker, owner):
    content = os.urandom(300_000)
    writer = locker.attachments().begin(owner.id, "image/png")
    writer.write(content)
    info = writer.finish()

    reader = locker.attachments().open(info.id)
    assert reader.info() == info
    pieces = []
    while piece := reader.read(100_001):
        assert len(piece) <= 100_001
        pieces.append(piece)
    assert [len(p) for p in pieces] == [100_001, 100_001, 99_998]
    assert reader.read(100_001) == b""
    assert b"".join(pieces) == content


def test_the_pages_of_a_scan_begun_together_and_finished_one_by_one_all_read_back(locker, owner):
    # A document scanner app opens one upload per page, then fills and finishes them in turn,
    # on a busy phone (one core to spare).
    pages = [bytes([n]) * (2_000 + n) for n in range(32)]
    with one_cpu():
        writers = [locker.attachments().begin(owner.id, "image/jpeg") for _ in pages]
        infos = []
        for writer, page in zip(writers, pages):
            writer.write(page)
            infos.append(writer.finish())

    assert [i.size for i in infos] == [len(p) for p in pages]
    unreadable = unreadable_attachments(locker, zip(infos, pages))
    assert unreadable == [], f"{len(unreadable)} of {len(pages)} finished pages cannot be read back"
    assert locker.check().damaged_attachments == []


def test_an_empty_attachment_is_stored_and_reads_back_empty(locker, owner):
    writer = locker.attachments().begin(owner.id, "text/plain")
    info = writer.finish()
    assert info.size == 0
    assert read_attachment(locker, info.id) == b""


def test_a_file_added_as_an_attachment_saves_back_to_the_same_bytes(locker, owner, tmp_path):
    original = tmp_path / "xray.jpg"
    original.write_bytes(os.urandom(1_234_567))
    info = locker.attachments().add_file(owner.id, "image/jpeg", str(original))
    assert info.size == original.stat().st_size

    saved = tmp_path / "saved" / "xray.jpg"
    saved.parent.mkdir()
    assert locker.attachments().save_to_file(info.id, str(saved)) == original.stat().st_size
    assert saved.read_bytes() == original.read_bytes()
    assert read_attachment(locker, info.id) == original.read_bytes()


def test_the_file_on_disk_is_sealed_not_the_content_in_clear(locker, owner, store_dir):
    content = b"Hb 13.2 g/dL; platelets 250000/uL; " * 2_000
    writer = locker.attachments().begin(owner.id, "text/plain")
    writer.write(content)
    info = writer.finish()

    on_disk = hla_path(store_dir, info.id).read_bytes()
    assert b"platelets" not in on_disk
    assert len(on_disk) > len(content)


def test_an_aborted_upload_leaves_nothing_behind(locker, owner, store_dir):
    entries = audit_count(locker)
    writer = locker.attachments().begin(owner.id, "application/pdf")
    writer.write(os.urandom(500_000))
    attachments_dir = store_dir / "attachments"
    assert list(attachments_dir.glob("*.tmp")), "an upload in progress should be a temporary file"

    writer.abort()

    assert list(attachments_dir.iterdir()) == []
    assert locker.attachments().list(owner.id) == []
    assert audit_count(locker) == entries
    with pytest.raises(hl.LockerError.InvalidInput):
        writer.finish()
    with pytest.raises(hl.LockerError.InvalidInput):
        writer.write(b"more")


def test_a_finished_upload_cannot_be_finished_twice(locker, owner):
    writer = locker.attachments().begin(owner.id, "application/pdf")
    writer.write(b"%PDF-1.7")
    info = writer.finish()
    with pytest.raises(hl.LockerError.InvalidInput):
        writer.finish()
    assert locker.attachments().list(owner.id) == [info]


def test_an_upload_dropped_without_finishing_leaves_nothing_behind(locker, owner, store_dir):
    writer = locker.attachments().begin(owner.id, "application/pdf")
    writer.write(os.urandom(10_000))
    del writer
    gc.collect()
    assert list((store_dir / "attachments").iterdir()) == []
    assert locker.attachments().list(owner.id) == []


@pytest.mark.parametrize("media_type", ["pdf", "", "application/", "/pdf", "application/p df"])
def test_a_media_type_that_is_not_type_slash_subtype_is_invalid_input(locker, owner, media_type):
    with pytest.raises(hl.LockerError.InvalidInput):
        locker.attachments().begin(owner.id, media_type)


def test_an_attachment_for_an_unknown_profile_is_not_found(locker, owner, store_dir):
    with pytest.raises(hl.LockerError.NotFound):
        locker.attachments().begin("no-such-profile", "application/pdf")
    assert list((store_dir / "attachments").iterdir()) == []


# 10 KB is read directly; 1 MB goes through the read-ahead thread: both must catch tampering.
@pytest.mark.parametrize("size", [10_000, 1_000_000], ids=["small", "large"])
def test_one_flipped_byte_in_an_attachment_file_makes_reading_it_tampered(
    locker, owner, store_dir, tmp_path, size
):
    content = os.urandom(size)
    writer = locker.attachments().begin(owner.id, "application/pdf")
    writer.write(content)
    info = writer.finish()
    assert read_attachment(locker, info.id) == content

    path = hla_path(store_dir, info.id)
    flip_byte(path, path.stat().st_size // 2)

    with pytest.raises(hl.LockerError.Tampered):
        read_attachment(locker, info.id, 65_536)
    saved = tmp_path / "saved.pdf"
    with pytest.raises(hl.LockerError.Tampered):
        locker.attachments().save_to_file(info.id, str(saved))
    assert not saved.exists(), "a tampered attachment must not be half-saved"


def test_a_truncated_attachment_file_is_tampered(locker, owner, store_dir):
    writer = locker.attachments().begin(owner.id, "application/pdf")
    writer.write(os.urandom(200_000))
    info = writer.finish()
    path = hla_path(store_dir, info.id)
    # Cut at a chunk boundary (header, then 64 KiB + 16-byte tag per chunk).
    with open(path, "r+b") as f:
        f.truncate(20 + 2 * (65_536 + 16))

    with pytest.raises(hl.LockerError.Tampered):
        read_attachment(locker, info.id)


def test_a_deleted_attachment_is_gone_from_the_list_and_the_disk(locker, owner, store_dir):
    keep = locker.attachments().begin(owner.id, "image/png")
    keep.write(b"\x89PNG" + os.urandom(1000))
    keep = keep.finish()
    gone = locker.attachments().begin(owner.id, "image/png")
    gone.write(b"\x89PNG" + os.urandom(1000))
    gone = gone.finish()
    assert [a.id for a in locker.attachments().list(owner.id)] == [gone.id, keep.id], "newest first"

    locker.attachments().delete(gone.id)

    assert locker.attachments().list(owner.id) == [keep]
    assert not hla_path(store_dir, gone.id).exists()
    with pytest.raises(hl.LockerError.NotFound):
        locker.attachments().get(gone.id)
    with pytest.raises(hl.LockerError.NotFound):
        locker.attachments().open(gone.id)
    with pytest.raises(hl.LockerError.NotFound):
        locker.attachments().delete(gone.id)


def with_large_scan(scan: bytes, line_breaks: bool) -> bytes:
    """The scanned discharge card sample, its small inline PDF replaced by `scan`: as canonical
    base64, or wrapped with escaped line breaks as some HIPs send it."""
    sample = next(s for s in SAMPLES if s.name == "health-document.json")
    text = base64.b64encode(scan)
    if line_breaks:
        text = b"\\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    start = sample.data.index(b'"data"')
    open_quote = sample.data.index(b'"', sample.data.index(b":", start)) + 1
    close_quote = sample.data.index(b'"', open_quote)
    return sample.data[:open_quote] + text + sample.data[close_quote:]


@pytest.mark.parametrize("line_breaks", [False, True], ids=["canonical-base64", "wrapped-base64"])
def test_a_record_with_a_large_inline_scan_keeps_it_as_an_attachment_and_exports_byte_for_byte(
    locker, owner, store_dir, line_breaks
):
    scan = b"%PDF-1.4\n" + os.urandom(300_000)
    bundle = with_large_scan(scan, line_breaks)

    record = locker.records().import_bundle(owner.id, bundle)

    assert record.attachments == 1
    [info] = locker.attachments().list(owner.id)
    assert info.record_id == record.id
    assert info.media_type == "application/pdf"
    assert read_attachment(locker, info.id) == scan
    assert locker.records().export(record.id) == bundle
    assert locker.check().problems == []
    with pytest.raises(hl.LockerError.InvalidInput):
        locker.attachments().delete(info.id)

    locker.records().delete(record.id)
    assert locker.attachments().list(owner.id) == []
    assert not hla_path(store_dir, info.id).exists()
    assert list_all(locker) == []


def test_a_record_whose_inline_scan_was_damaged_is_reported_and_not_exported_wrong(locker, owner, store_dir):
    bundle = with_large_scan(os.urandom(200_000), line_breaks=False)
    record = locker.records().import_bundle(owner.id, bundle)
    [info] = locker.attachments().list(owner.id)
    path = hla_path(store_dir, info.id)
    flip_byte(path, path.stat().st_size // 2)

    with pytest.raises(hl.LockerError.Tampered):
        locker.records().export(record.id)
    assert locker.check().damaged_attachments == [info.id]
