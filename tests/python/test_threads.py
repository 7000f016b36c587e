"""One Locker shared by the threads of an app: imports, listings and uploads at once."""

import threading

import healthlocker as hl
from conftest import SAMPLES, audit_count, list_all, one_cpu, unreadable_attachments, variant


def run_together(count, work):
    """Runs `work(t)` on `count` threads released at the same moment; returns their errors."""
    start = threading.Barrier(count)
    errors = []

    def worker(t):
        try:
            start.wait()
            work(t)
        except Exception as e:  # noqa: BLE001 - reported by the caller, with its thread
            errors.append((t, repr(e)))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(count)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not any(th.is_alive() for th in threads), "a thread is stuck"
    return errors


def test_four_threads_importing_and_listing_at_once_all_succeed(locker, owner):
    threads, per_thread = 4, 6
    imported = [[] for _ in range(threads)]
    entries = audit_count(locker)

    def work(t):
        for i in range(per_thread):
            sample = SAMPLES[(t + i) % len(SAMPLES)]
            summary = locker.records().import_bundle(owner.id, variant(sample, t * 100 + i))
            assert summary.hi_type == sample.hi_type
            imported[t].append(summary.id)
            page = locker.records().list(hl.RecordQuery(limit=3, hi_types=[sample.hi_type]))
            assert page.records, "a thread's own import must be visible to it"
            assert len(list_all(locker, limit=4)) >= i + 1
            assert locker.records().get(summary.id) == summary

    assert run_together(threads, work) == []

    everything = list_all(locker, limit=7)
    assert sorted(r.id for r in everything) == sorted(i for ids in imported for i in ids)
    assert len(everything) == threads * per_thread
    assert audit_count(locker) == entries + threads * per_thread
    assert locker.check().problems == []


def test_scans_uploaded_from_several_threads_at_once_all_read_back(locker, owner):
    # An app sending a multi-page scan on a few threads, on a busy phone with one core to
    # spare: several uploads are in progress at once. Every one that finished must read back.
    threads, per_thread = 8, 8
    finished = []

    def work(t):
        writers = [locker.attachments().begin(owner.id, "image/jpeg") for _ in range(per_thread)]
        for i, writer in enumerate(writers):
            writer.write(bytes([t, i]) * (500 + i))
            finished.append((writer.finish(), bytes([t, i]) * (500 + i)))

    with one_cpu():
        assert run_together(threads, work) == []

    assert len(locker.attachments().list(owner.id)) == threads * per_thread
    unreadable = unreadable_attachments(locker, finished)
    assert unreadable == [], f"{len(unreadable)} of {len(finished)} finished uploads cannot be read back"
    assert locker.check().damaged_attachments == []
