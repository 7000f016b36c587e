"""Shared ground for the Python suite: the generated `healthlocker` module, a fresh store per
test, the sample ABDM bundles with what a reader should make of them, a `locker sandbox serve`
process standing in for ABDM's backbone, and small helpers. It never builds the bindings (or the
`locker` binary) itself and never skips: a missing module or binary is a failure."""

import contextlib
import datetime
import hashlib
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GENERATED = REPO / "bindings" / "generated" / "python"
BUNDLES = REPO / "fixtures" / "bundles"
TLS_FIXTURES = REPO / "fixtures" / "sandbox" / "tls"
INVALID_BUNDLES = BUNDLES / "invalid"
LOCKER_BIN = Path(os.environ.get("LOCKER_BIN", REPO / "target" / "debug" / "locker"))

sys.path.insert(0, str(GENERATED))
try:
    import healthlocker as hl
except (ImportError, OSError) as e:  # OSError: the .py is there but its library is not
    raise ImportError(
        f"the healthlocker Python bindings are missing or unloadable in {GENERATED} ({e}); "
        f"run `bindings/generate` from {REPO} first"
    ) from e

IST = datetime.timezone(datetime.timedelta(hours=5, minutes=30))

# From fixtures/bundles/README.md: which hiType each sample is.
SAMPLE_TYPES = {
    "op-consultation.json": hl.HiType.OP_CONSULTATION,
    "prescription.json": hl.HiType.PRESCRIPTION,
    "discharge-summary.json": hl.HiType.DISCHARGE_SUMMARY,
    "diagnostic-report.json": hl.HiType.DIAGNOSTIC_REPORT,
    "immunization.json": hl.HiType.IMMUNIZATION_RECORD,
    "health-document.json": hl.HiType.HEALTH_DOCUMENT_RECORD,
    "wellness.json": hl.HiType.WELLNESS_RECORD,
    "invoice.json": hl.HiType.INVOICE,
}

OWNER_NAME = "Lakshmi Venkataraman"
OWNER_ABHA_NUMBER = "91-4321-8765-2109"
OWNER_ABHA_ADDRESS = "lakshmi.venkat@sbx"
CHILD_NAME = "Arjun Venkataraman"


@dataclass(frozen=True)
class Sample:
    """One sample bundle and what the locker should index from it, worked out here
    independently of the library (Composition.title, Composition.date)."""

    name: str
    path: Path
    data: bytes
    hi_type: object
    title: str
    date: str
    sort_ms: int
    patient_names: tuple


def _expected_sort_ms(fhir_date: str) -> int:
    # A bare day is midnight in India; a date-time carries its own offset.
    if "T" not in fhir_date:
        day = datetime.date.fromisoformat(fhir_date)
        return int(datetime.datetime(day.year, day.month, day.day, tzinfo=IST).timestamp() * 1000)
    return int(datetime.datetime.fromisoformat(fhir_date).timestamp() * 1000)


def _patient_names(bundle: dict) -> tuple:
    names = []
    for entry in bundle.get("entry", []):
        res = entry.get("resource", {})
        if res.get("resourceType") == "Patient":
            for n in res.get("name", []):
                if n.get("text"):
                    names.append(n["text"])
                names.extend(n.get("given", []))
                if n.get("family"):
                    names.append(n["family"])
    return tuple(names)


def _load_sample(path: Path) -> Sample:
    data = path.read_bytes()
    bundle = json.loads(data)
    composition = bundle["entry"][0]["resource"]
    return Sample(
        name=path.name,
        path=path,
        data=data,
        hi_type=SAMPLE_TYPES[path.name],
        title=composition["title"],
        date=composition["date"][:10],
        sort_ms=_expected_sort_ms(composition["date"]),
        patient_names=_patient_names(bundle),
    )


SAMPLES = [_load_sample(BUNDLES / name) for name in sorted(SAMPLE_TYPES)]
INVALID_SAMPLES = sorted(INVALID_BUNDLES.glob("*.json"))


def variant(sample: Sample, n: int) -> bytes:
    """Another document with the same clinical content: a new Bundle.identifier, so it is not
    a duplicate of the sample (nor of any other variant)."""
    bundle = json.loads(sample.data)
    bundle["identifier"]["value"] = f"{bundle['identifier']['value']}-copy-{n}"
    return json.dumps(bundle, ensure_ascii=False).encode()


def owner_profile(**overrides) -> "hl.NewProfile":
    fields = dict(
        name=OWNER_NAME,
        gender=hl.Gender.FEMALE,
        birth_date="1986-02-14",
        abha_number=OWNER_ABHA_NUMBER,
        abha_address=OWNER_ABHA_ADDRESS,
        relation="self",
        is_owner=True,
    )
    fields.update(overrides)
    return hl.NewProfile(**fields)


def child_profile(**overrides) -> "hl.NewProfile":
    fields = dict(name=CHILD_NAME, gender=hl.Gender.MALE, birth_date="2019", relation="child")
    fields.update(overrides)
    return hl.NewProfile(**fields)


def file_hashes(directory: Path) -> dict:
    """SHA-256 of every file under `directory`, by relative path."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def list_all(locker, limit=50, **query) -> list:
    """Every record matching `query`, walking the pages."""
    records, cursor = [], None
    while True:
        page = locker.records().list(hl.RecordQuery(limit=limit, cursor=cursor, **query))
        records.extend(page.records)
        cursor = page.next_cursor
        if cursor is None:
            return records


def audit_count(locker) -> int:
    v = locker.verify_audit()
    assert v.is_intact(), f"the audit chain is broken: {v}"
    return v.entries


def read_attachment(locker, attachment_id, piece=200_003) -> bytes:
    reader = locker.attachments().open(attachment_id)
    out = bytearray()
    while True:
        chunk = reader.read(piece)
        if not chunk:
            return bytes(out)
        out += chunk


def unreadable_attachments(locker, expected) -> list:
    """The ids, of (info, content) pairs, whose attachment does not read back as its content."""
    bad = []
    for info, content in expected:
        try:
            if read_attachment(locker, info.id) != content:
                bad.append(info.id)
        except hl.LockerError.Tampered:
            bad.append(info.id)
    return bad


@contextlib.contextmanager
def opened(store_dir, key, how=None):
    """The store opened again (by `how`, default `Locker.open`), closed when the block ends."""
    locker = (how or hl.Locker.open)(str(store_dir), key)
    try:
        yield locker
    finally:
        locker.close_store()


def hla_path(store_dir: Path, attachment_id: str) -> Path:
    return store_dir / "attachments" / f"{attachment_id}.hla"


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@contextlib.contextmanager
def one_cpu():
    """Runs the block, and every thread it starts, on a single CPU: a phone with one core to
    spare, where a thread that wakes another is often paused in favour of it."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@pytest.fixture
def key() -> bytes:
    return hl.generate_key()


@pytest.fixture
def store_dir(tmp_path) -> Path:
    return tmp_path / "locker"


@pytest.fixture
def locker(store_dir, key):
    """A fresh, empty store; closed after the test."""
    lk = hl.Locker.create(str(store_dir), key)
    yield lk
    lk.close_store()


@pytest.fixture
def owner(locker):
    return locker.profiles().add(owner_profile())


@pytest.fixture
def child(locker, owner):
    return locker.profiles().add(child_profile())


# ABHA enrolment: the sandbox backbone and the identifiers the tests make up.

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Verhoeff's tables, as published: multiplication in D5, the position permutations, inverses.
_VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]
_VERHOEFF_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def verhoeff_check_digit(digits: str) -> int:
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[(i + 1) % 8][int(ch)]]
    return _VERHOEFF_INV[c]


def valid_aadhaar(rng: random.Random) -> str:
    """A well-formed Aadhaar number: 12 digits, the first 2-9, the last a Verhoeff check digit."""
    body = str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(10))
    return body + str(verhoeff_check_digit(body))


def mistyped(aadhaar: str) -> str:
    """The same number with its last digit off by one: the check digit no longer matches."""
    return aadhaar[:11] + str((int(aadhaar[11]) + 1) % 10)


def random_mobile(rng: random.Random) -> str:
    return "9" + "".join(str(rng.randint(0, 9)) for _ in range(9))


def other_otp(otp: str) -> str:
    """An OTP of the same length that differs in every digit."""
    return "".join(str((int(d) + 1) % 10) for d in otp)


def closed_port() -> int:
    """A loopback port where nothing listens: the network as a village without signal sees it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The credentials `locker sandbox serve` accepts (fixtures/sandbox/README.md): no credential has a
# default in the library, so the tests give the sandbox's own, as an app gives ABDM's.
SANDBOX_CLIENT_ID = "healthlocker-sandbox"
SANDBOX_CLIENT_SECRET = "sandbox-secret"


def sandbox_config(url: str, client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET) -> "hl.BackboneConfig":
    """The local sandbox at `url`, with its own credentials (or those given)."""
    return hl.backbone_preset(hl.Preset.LOCAL(base=url), client_id, hl.ClientSecret(client_secret))


def offline_config() -> "hl.BackboneConfig":
    """A sandbox configuration for a port where nothing listens: one try, a short connect timeout."""
    config = sandbox_config(f"http://127.0.0.1:{closed_port()}")
    config.max_attempts = 1
    config.connect_timeout_ms = 500
    return config


class Sandbox:
    """A `locker sandbox serve` process on a free loopback port, and its admin routes."""

    LISTENING = re.compile(r"^locker-sandbox listening on (https?://127\.0\.0\.1:\d+)$")

    def __init__(self, tls=False):
        """With `tls`, it serves HTTPS with the chains in fixtures/sandbox/tls (its admin routes
        are then out of these helpers' reach)."""
        assert LOCKER_BIN.is_file(), f"no locker binary at {LOCKER_BIN}: run `cargo build -p locker-cli` or set LOCKER_BIN"
        self.process = subprocess.Popen(
            [str(LOCKER_BIN), "sandbox", "serve", "--port", "0"] + (["--tls"] if tls else []),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        first = self.process.stdout.readline().rstrip("\n")
        match = self.LISTENING.match(first)
        if not match:
            self.stop()
            raise AssertionError(f"the sandbox did not say where it listens: {first!r}")
        self.url = match.group(1)
        # Keep reading so a chatty sandbox never blocks on a full pipe.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{method} {path}: {e.code} {e.read()!r}") from e
        return json.loads(raw) if raw else None

    def otp(self, txn_id: str) -> str:
        """The last OTP the sandbox sent for a transaction."""
        assert txn_id, "an OTP step has a transaction"
        return self._request("GET", f"/admin/otp/{txn_id}")["otp"]

    def add_resident(self, aadhaar, name, gender, year_of_birth, mobile):
        self._request(
            "POST",
            "/admin/residents",
            {"aadhaar": aadhaar, "name": name, "gender": gender, "yearOfBirth": year_of_birth, "mobile": mobile},
        )

    def stats(self) -> dict:
        return self._request("GET", "/admin/stats")

    def accounts(self) -> list:
        """Every account, in creation order, with the REQUEST-IDs of the enrolments that landed on it."""
        return self._request("GET", "/admin/accounts")

    # The consent manager's hooks (fixtures/sandbox/README.md, Admin).

    def phr_login(self, abha_address: str) -> str:
        """A citizen's consent-manager login (X-AUTH-TOKEN), as the PHR app's sign-in would give."""
        return self._request("POST", "/admin/phr-login", {"abhaAddress": abha_address})["token"]

    def raise_consent_request(self, consent: dict) -> str:
        """Raises a request as a HIU would (request/init's `consent` object plus `hiuId`); its id."""
        return self._request("POST", "/admin/consent/requests", consent)["id"]

    def answer_consent_request(self, request_id: str, decision: str) -> dict:
        """The citizen answering from another device: "approve" or "deny"."""
        return self._request("POST", f"/admin/consent/requests/{request_id}/answer", {"decision": decision})

    def consent_request(self, request_id: str) -> dict:
        """A request as the consent manager sees it."""
        return self._request("GET", f"/admin/consent/requests/{request_id}")

    def consent_artefact(self, artefact_id: str) -> dict:
        """An artefact as the consent manager sees it (revokes included)."""
        return self._request("GET", f"/admin/consent/artefacts/{artefact_id}")

    # Scan & Share's hooks.

    def applied(self, route: str) -> int:
        """How many requests the sandbox applied on `route` (`/admin/stats`' `applied`)."""
        return self.stats()["applied"].get(route, 0)

    def link_tokens(self) -> list:
        """The link-token requests counters made, in the order applied."""
        return self._request("GET", "/admin/share/link-tokens")


@pytest.fixture
def sandbox():
    """A fresh sandbox backbone per test, stopped after it."""
    sb = Sandbox()
    yield sb
    sb.stop()


@pytest.fixture
def backbone(sandbox):
    return hl.Backbone(sandbox_config(sandbox.url))


@pytest.fixture
def offline_backbone():
    """A backbone nobody answers for: one try, a short connect timeout."""
    return hl.Backbone(offline_config())
