"""ABHA enrolment against a real `locker sandbox serve` process: the citizen's own online
enrolment, wrong and locked OTPs, a field worker's offline queue, and the identifier checks a form
makes while the user types. The network calls are coroutines, run here with `asyncio.run`."""

import asyncio
import json
import random

import healthlocker as hl
import pytest
from conftest import (
    PNG_SIGNATURE,
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    TLS_FIXTURES,
    Sandbox,
    mistyped,
    other_otp,
    random_mobile,
    read_attachment,
    sandbox_config,
    valid_aadhaar,
    verhoeff_check_digit,
)


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_citizen_enrols_online_and_ends_with_a_profile_holding_their_abha_number_address_and_card(
    locker, sandbox, backbone
):
    rng = random.Random(21)

    async def enrol():
        # A mobile that is not the Aadhaar-linked one must be verified with its own OTP.
        e = await locker.enrolment().online_start(backbone, valid_aadhaar(rng), random_mobile(rng))
        assert (e.state, e.mode) == (hl.EnrolmentState.OTP_SENT, hl.EnrolmentMode.ONLINE)
        e = await locker.enrolment().online_verify_otp(backbone, e.id, sandbox.otp(e.transaction_id))
        assert e.state == hl.EnrolmentState.MOBILE_UNVERIFIED
        assert e.abha_number is not None, "the ABHA exists once the Aadhaar OTP is verified"
        e = await locker.enrolment().online_request_mobile_otp(backbone, e.id)
        assert e.state == hl.EnrolmentState.MOBILE_OTP_SENT
        e = await locker.enrolment().online_verify_mobile_otp(backbone, e.id, sandbox.otp(e.transaction_id))
        assert e.state == hl.EnrolmentState.ADDRESS_PENDING

        suggestions = await locker.enrolment().online_address_suggestions(backbone, e.id)
        assert suggestions, "the backbone suggests addresses"
        for s in suggestions:
            hl.validate_abha_address_for_creation(s)
        e = await locker.enrolment().online_create_address(backbone, e.id, suggestions[0])
        assert e.state == hl.EnrolmentState.ADDRESS_CREATED
        assert e.abha_address == f"{suggestions[0]}@sbx"
        return e, suggestions[0], await locker.enrolment().online_finish(backbone, e.id)

    e, chosen, profile = run(enrol())

    assert profile.abha_number == e.abha_number
    assert hl.parse_abha_number(profile.abha_number).dashed == profile.abha_number, "stored as ABDM shows it"
    assert hl.parse_abha_number(profile.abha_number).passes_luhn
    assert profile.abha_address == f"{chosen}@sbx"
    assert profile.is_owner, "the first person enrolled as self owns the locker"
    assert locker.profiles().list() == [profile]

    [card] = locker.attachments().list(profile.id)
    assert card.media_type == "image/png"
    png = read_attachment(locker, card.id)
    assert png.startswith(PNG_SIGNATURE) and len(png) == card.size

    done = locker.enrolment().get(e.id)
    assert done.state == hl.EnrolmentState.DONE
    assert done.erased and done.name is None and done.transaction_id is None
    with pytest.raises(hl.LockerError.WrongStep) as wrong_step:
        run(locker.enrolment().online_finish(backbone, e.id))
    assert wrong_step.value.state == "done"


def test_a_family_member_whose_mobile_is_the_aadhaar_linked_one_skips_mobile_verification(locker, sandbox, backbone):
    rng = random.Random(22)
    owner = locker.profiles().add(
        hl.NewProfile(name="Meena Pillai", gender=hl.Gender.FEMALE, birth_date="1979-08-02", relation="self", is_owner=True)
    )
    aadhaar, phone = valid_aadhaar(rng), random_mobile(rng)
    sandbox.add_resident(aadhaar, "Rahul Pillai", "M", 2004, phone)

    async def enrol():
        e = await locker.enrolment().online_start(backbone, aadhaar, f"+91 {phone}", relation="child")
        e = await locker.enrolment().online_verify_otp(backbone, e.id, sandbox.otp(e.transaction_id))
        assert e.state == hl.EnrolmentState.ADDRESS_PENDING
        with pytest.raises(hl.LockerError.WrongStep) as wrong_step:
            await locker.enrolment().online_request_mobile_otp(backbone, e.id)
        assert wrong_step.value.state == "address_pending"
        with pytest.raises(hl.LockerError.InvalidInput):
            await locker.enrolment().online_create_address(backbone, e.id, "rp")
        await locker.enrolment().online_create_address(backbone, e.id, "rahul.pillai04")
        return await locker.enrolment().online_finish(backbone, e.id)

    child = run(enrol())
    assert (child.name, child.relation, child.gender) == ("Rahul Pillai", "child", hl.Gender.MALE)
    assert child.abha_address == "rahul.pillai04@sbx"
    assert [p.id for p in locker.profiles().list()] == [owner.id, child.id]
    assert [a.media_type for a in locker.attachments().list(child.id)] == ["image/png"]
    assert locker.attachments().list(owner.id) == []


def test_a_wrong_otp_is_refused_with_the_attempts_left_and_the_right_one_still_works(locker, sandbox, backbone):
    rng = random.Random(23)
    e = run(locker.enrolment().online_start(backbone, valid_aadhaar(rng), random_mobile(rng)))
    right = sandbox.otp(e.transaction_id)
    wrong = other_otp(right)

    with pytest.raises(hl.LockerError.InvalidInput):  # never reaches the backbone
        run(locker.enrolment().online_verify_otp(backbone, e.id, "12ab"))
    with pytest.raises(hl.LockerError.WrongOtp) as first:
        run(locker.enrolment().online_verify_otp(backbone, e.id, wrong))
    assert first.value.attempts_left == 4
    with pytest.raises(hl.LockerError.WrongOtp) as second:
        run(locker.enrolment().online_verify_otp(backbone, e.id, wrong))
    assert second.value.attempts_left == 3
    assert locker.enrolment().get(e.id).state == hl.EnrolmentState.OTP_SENT
    assert locker.enrolment().get(e.id).abha_number is None

    e = run(locker.enrolment().online_verify_otp(backbone, e.id, right))
    assert e.state == hl.EnrolmentState.MOBILE_UNVERIFIED
    with pytest.raises(hl.LockerError.WrongStep) as wrong_step:  # the mobile OTP was never requested
        run(locker.enrolment().online_verify_mobile_otp(backbone, e.id, right))
    assert wrong_step.value.state == "mobile_unverified"


def test_five_wrong_otps_lock_the_transaction_and_a_new_otp_starts_it_again(locker, sandbox, backbone):
    rng = random.Random(24)
    e = run(locker.enrolment().online_start(backbone, valid_aadhaar(rng), random_mobile(rng)))
    wrong = other_otp(sandbox.otp(e.transaction_id))

    async def five_wrong():
        left = []
        for _ in range(4):
            with pytest.raises(hl.LockerError.WrongOtp) as err:
                await locker.enrolment().online_verify_otp(backbone, e.id, wrong)
            left.append(err.value.attempts_left)
        with pytest.raises(hl.LockerError.OtpLocked):
            await locker.enrolment().online_verify_otp(backbone, e.id, wrong)
        return left

    assert run(five_wrong()) == [4, 3, 2, 1]
    assert locker.enrolment().get(e.id).state == hl.EnrolmentState.STARTED

    e = run(locker.enrolment().online_request_otp(backbone, e.id))
    assert e.state == hl.EnrolmentState.OTP_SENT
    e = run(locker.enrolment().online_verify_otp(backbone, e.id, sandbox.otp(e.transaction_id)))
    assert e.state == hl.EnrolmentState.MOBILE_UNVERIFIED


PEOPLE = [("Sunita Devi", hl.Gender.FEMALE), ("Ramesh Yadav", hl.Gender.MALE), ("Kiran Kumari", hl.Gender.FEMALE)]


def citizen(person, rng) -> "hl.CitizenDetails":
    name, gender = person
    return hl.CitizenDetails(
        name=name,
        gender=gender,
        birth_date=f"19{rng.randint(50, 98)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        mobile=random_mobile(rng),
        address="Ward 4, Chikkaballapur",
        state_code="29",
        district_code="572",
        pin_code="562101",
    )


def test_a_field_workers_captures_wait_offline_are_submitted_later_handed_over_and_erased(
    locker, sandbox, backbone, offline_backbone
):
    rng = random.Random(25)
    session = locker.enrolment().start_session("asha-0412", "tablet-77", retention_days=3)
    assert session.retention_ms == 3 * 86_400_000
    consent = hl.ConsentCapture(language="hi", text_version="1.4")

    with pytest.raises(hl.LockerError.BackboneKeyMissing):  # capture seals to a key fetched beforehand
        locker.enrolment().capture(session.id, citizen(PEOPLE[0], rng), valid_aadhaar(rng), consent)
    run(locker.enrolment().refresh_backbone_key(backbone))
    with pytest.raises(hl.LockerError.InvalidInput):
        locker.enrolment().capture(session.id, citizen(PEOPLE[0], rng), mistyped(valid_aadhaar(rng)), consent)
    with pytest.raises(hl.LockerError.InvalidInput):  # ABDM's demographic enrolment needs M, F or O
        locker.enrolment().capture(session.id, citizen(("Sunita Devi", hl.Gender.UNKNOWN), rng), valid_aadhaar(rng), consent)

    # In the village: no network at all.
    captured = [locker.enrolment().capture(session.id, citizen(p, rng), valid_aadhaar(rng), consent) for p in PEOPLE]
    for e in captured:
        assert (e.state, e.mode, e.consent_language) == (hl.EnrolmentState.QUEUED, hl.EnrolmentMode.ASSISTED, "hi")
    assert [e.name for e in locker.enrolment().list(hl.EnrolmentFilter(session_id=session.id))] == [p[0] for p in PEOPLE]

    stuck = run(locker.enrolment().submit(offline_backbone, session.id))
    assert (stuck.still_queued, stuck.created, stuck.halted) == (3, 0, "offline")
    after = locker.enrolment().list(hl.EnrolmentFilter(session_id=session.id))
    assert all(e.state == hl.EnrolmentState.QUEUED and e.abha_number is None for e in after)
    assert any(e.attempts == 0 and e.last_error == "offline" for e in after), "no network counts against no item"
    assert sandbox.stats()["demographicApplied"] == 0

    # Back in range.
    report = run(locker.enrolment().submit(backbone, session.id))
    assert (report.created, report.already_existed, report.rejected, report.still_queued) == (3, 0, 0, 0)
    assert report.halted is None
    assert {e.id for e in report.enrolments} == {e.id for e in captured}
    stats = sandbox.stats()
    assert (stats["demographicApplied"], stats["duplicates"]) == (3, 0)

    submitted = locker.enrolment().list(hl.EnrolmentFilter(session_id=session.id))
    for e in submitted:
        assert (e.state, e.outcome) == (hl.EnrolmentState.SUBMITTED, hl.EnrolmentOutcome.CREATED)
        assert hl.parse_abha_number(e.abha_number).passes_luhn
    first = submitted[0]
    qr = json.loads(locker.enrolment().qr(first.id))
    assert (qr["hidn"], qr["name"]) == (first.abha_number, "Sunita Devi")
    assert run(locker.enrolment().card(backbone, first.id)).startswith(PNG_SIGNATURE)

    handed = locker.enrolment().confirm_handover(first.id)
    assert handed.state == hl.EnrolmentState.HANDED_OVER
    assert handed.erased and handed.name is None and handed.abha_number is None
    with pytest.raises(hl.LockerError.WrongStep) as wrong_step:
        locker.enrolment().qr(first.id)
    assert wrong_step.value.state == "handed_over"
    pending = locker.enrolment().list(hl.EnrolmentFilter(session_id=session.id, pending_only=True))
    assert [e.id for e in pending] == [e.id for e in submitted[1:]]

    # A citizen who cannot be reached again: the worker gives up, and the device forgets them.
    dropped = locker.enrolment().cancel(submitted[2].id)
    assert dropped.state == hl.EnrolmentState.CANCELLED
    assert dropped.erased and dropped.name is None
    assert dropped.outcome == hl.EnrolmentOutcome.CREATED, "the ABHA itself still exists"
    with pytest.raises(hl.LockerError.WrongStep):
        locker.enrolment().cancel(submitted[2].id)

    assert run(locker.enrolment().submit(backbone)).created == 0, "nothing is sent twice"
    assert sandbox.stats()["demographicApplied"] == 3
    locker.enrolment().end_session(session.id)
    assert locker.enrolment().session(session.id).ended_at_ms is not None
    with pytest.raises(hl.LockerError.InvalidInput):
        locker.enrolment().capture(session.id, citizen(PEOPLE[0], rng), valid_aadhaar(rng), consent)


def test_an_online_enrolment_refuses_a_mistyped_aadhaar_before_any_network(locker, offline_backbone):
    rng = random.Random(26)
    aadhaar = valid_aadhaar(rng)
    with pytest.raises(hl.LockerError.InvalidInput):
        run(locker.enrolment().online_start(offline_backbone, mistyped(aadhaar), random_mobile(rng)))
    with pytest.raises(hl.LockerError.Offline):
        run(locker.enrolment().online_start(offline_backbone, aadhaar, random_mobile(rng)))
    assert locker.enrolment().list() == []


def test_abha_numbers_parse_in_any_written_form_and_a_luhn_failure_is_a_warning_only():
    assert hl.parse_abha_number("91 6285 4575 5116") == hl.AbhaNumberInfo(
        digits="91628545755116", dashed="91-6285-4575-5116", passes_luhn=True
    )
    assert hl.parse_abha_number("91628545755116").dashed == "91-6285-4575-5116"
    assert not hl.parse_abha_number("11-1111-1111-1111").passes_luhn
    for bad in ["1234", "91-6285-4575-511", "9162-8545-7551-16", "91628545755116a"]:
        with pytest.raises(hl.LockerError.InvalidInput):
            hl.parse_abha_number(bad)


def test_abha_addresses_are_lenient_when_read_and_strict_when_created():
    assert hl.parse_abha_address(" ravi.kumar_12@SBX ") == hl.AbhaAddressInfo(
        user="ravi.kumar_12", suffix="sbx", address="ravi.kumar_12@sbx"
    )
    assert hl.parse_abha_address("abc") == hl.AbhaAddressInfo(user="abc", suffix=None, address="abc")
    assert hl.validate_abha_address_for_creation("ravi.kumar_12@sbx").user == "ravi.kumar_12"
    for old_style in ["a+b%c-d@ndhm", "abc@sbx", "ravi.k.kumar@abdm"]:
        hl.parse_abha_address(old_style)
        with pytest.raises(hl.LockerError.InvalidInput):
            hl.validate_abha_address_for_creation(old_style)
    for bad in ["ab", "name@", "name@sbx@abdm", "na me@sbx"]:
        with pytest.raises(hl.LockerError.InvalidInput):
            hl.parse_abha_address(bad)


def test_an_aadhaar_number_is_checked_without_its_digits_ever_coming_back():
    a = valid_aadhaar(random.Random(27))
    assert hl.aadhaar_is_valid(a)
    assert hl.aadhaar_is_valid(f"{a[:4]} {a[4:8]} {a[8:]}")
    assert hl.aadhaar_is_valid(f"{a[:4]}-{a[4:8]}-{a[8:]}")
    assert not hl.aadhaar_is_valid(mistyped(a)), "one digit off fails the Verhoeff check"
    starts_with_1 = "1" + a[1:11]
    assert not hl.aadhaar_is_valid(starts_with_1 + str(verhoeff_check_digit(starts_with_1)))
    assert not hl.aadhaar_is_valid(a[:11])
    assert not hl.aadhaar_is_valid(a + "0")
    assert not hl.aadhaar_is_valid("")


def test_mobile_numbers_normalise_to_ten_digits():
    for written in ["+91 98765 43210", "098765-43210", "9876543210", "919876543210"]:
        assert hl.parse_mobile(written) == "9876543210"
    for bad in ["5876543210", "+91 98765", "98765x3210"]:
        with pytest.raises(hl.LockerError.InvalidInput):
            hl.parse_mobile(bad)


def config_fields(config) -> dict:
    """Every field of a BackboneConfig but its secret, which no one reads back (nor compares)."""
    return {name: value for name, value in vars(config).items() if name != "client_secret"}


def test_a_backbone_configs_defaults_are_the_presets_and_plain_http_is_for_this_machine_only(locker, sandbox, backbone):
    url = sandbox.url
    by_hand = hl.BackboneConfig(
        gateway_url=url,
        abha_url=f"{url}/abha/api",
        hiecm_url=f"{url}/api/hiecm",
        phr_url=url,
        consent_keys_path="/gateway/v3/certs",
        qr_issuer_path="/qr/v1",
        relay_url=f"{url}/relay",
        service_id="sbx-phr-healthlocker",
        client_id=SANDBOX_CLIENT_ID,
        client_secret=hl.ClientSecret(SANDBOX_CLIENT_SECRET),
        cm_id="sbx",
    )
    assert config_fields(by_hand) == config_fields(sandbox_config(url))
    assert config_fields(backbone.config()) == config_fields(sandbox_config(url))
    # The secret cannot be read back; it crossed whole if the handed-back config logs in.
    run(locker.enrolment().refresh_backbone_key(hl.Backbone(backbone.config())))
    run(locker.enrolment().refresh_backbone_key(hl.Backbone(by_hand)))
    with pytest.raises(hl.LockerError.InvalidInput):
        hl.Backbone(sandbox_config("http://abdm.example.org"))
    zero_tries = sandbox_config(url)
    zero_tries.max_attempts = 0
    with pytest.raises(hl.LockerError.InvalidInput):
        hl.Backbone(zero_tries)
    hl.Backbone(sandbox_config("https://abdm.example.org"))
    # No credential has a default: none given is refused before any network.
    for missing in [sandbox_config(url, client_id=" "), sandbox_config(url, client_secret="")]:
        with pytest.raises(hl.LockerError.InvalidInput):
            hl.Backbone(missing)
    abdm = hl.backbone_preset(hl.Preset.ABDM_SANDBOX(), "an-app-of-ours", hl.ClientSecret("issued-by-abdm"))
    assert (abdm.client_id, abdm.cm_id) == ("an-app-of-ours", "sbx")
    assert all(u.startswith("https://") for u in (abdm.gateway_url, abdm.abha_url, abdm.hiecm_url, abdm.phr_url))
    hl.Backbone(abdm)


def test_a_backbone_config_never_shows_its_client_secret():
    secret_text = "s3cret-issued-by-abdm-0042"
    config = hl.backbone_preset(hl.Preset.LOCAL(base="http://127.0.0.1:9"), "an-app-of-ours", hl.ClientSecret(secret_text))
    by_hand = hl.BackboneConfig(
        gateway_url="https://gw.example.org",
        abha_url="https://abha.example.org/abha/api",
        hiecm_url="https://gw.example.org/api/hiecm",
        phr_url="https://phr.example.org",
        consent_keys_path=None,
        client_id="an-app-of-ours",
        client_secret=hl.ClientSecret(secret_text),
        cm_id="sbx",
    )
    handed_back = hl.Backbone(config).config()
    for c in (config, by_hand, handed_back):
        shown = [repr(c), str(c), f"{c}", f"{c!r}", repr(c.client_secret), str(c.client_secret), repr(vars(c))]
        assert not any(secret_text in s or "s3cret" in s for s in shown), shown
    assert "an-app-of-ours" in str(config), "the rest of the configuration still shows"


def test_a_locker_and_a_backbone_can_be_shared_by_concurrent_enrolments(locker, sandbox, backbone):
    rng = random.Random(28)
    numbers = [(valid_aadhaar(rng), random_mobile(rng)) for _ in range(4)]

    async def both():
        return await asyncio.gather(*(locker.enrolment().online_start(backbone, a, m, relation="self") for a, m in numbers))

    started = run(both())
    assert len({e.transaction_id for e in started}) == 4
    assert all(e.state == hl.EnrolmentState.OTP_SENT for e in started)
    assert sorted(e.id for e in locker.enrolment().list()) == sorted(e.id for e in started)


def test_over_https_the_backbone_is_trusted_only_through_its_root_and_pinned_keys(locker):
    root = (TLS_FIXTURES / "root.pem").read_text()
    intermediate_pin = hl.pin_of_certificate((TLS_FIXTURES / "intermediate.pem").read_text())
    other_pin = hl.pin_of_certificate((TLS_FIXTURES / "other-root.pem").read_text())
    assert intermediate_pin.startswith("sha256/") and intermediate_pin != other_pin
    with pytest.raises(hl.LockerError.InvalidInput):
        hl.pin_of_certificate("no certificate here")
    sb = Sandbox(tls=True)
    try:
        assert sb.url.startswith("https://")

        def backbone(**tls):
            config = sandbox_config(sb.url)
            config.max_attempts = 2
            for name, value in tls.items():
                setattr(config, name, value)
            return hl.Backbone(config)

        for refused in [backbone(), backbone(extra_roots_pem=root, pinned_keys=[other_pin])]:
            with pytest.raises(hl.LockerError.UntrustedBackbone):
                run(locker.enrolment().refresh_backbone_key(refused))
        # A pin that matches beside one that does not (a backup key), and the key arrives.
        run(locker.enrolment().refresh_backbone_key(backbone(extra_roots_pem=root, pinned_keys=[other_pin, intermediate_pin])))
    finally:
        sb.stop()


def test_a_refused_client_secret_is_not_tried_again_at_once(locker, sandbox):
    # ABDM locks a client id out for eight minutes after eight refused logins: a stale secret
    # must cost one refused login, not one per call.
    stale = hl.Backbone(sandbox_config(sandbox.url, client_secret="a-secret-from-last-year"))
    for _ in range(3):
        with pytest.raises(hl.LockerError.Unauthorized):
            run(locker.enrolment().refresh_backbone_key(stale))
    stats = sandbox.stats()
    assert (stats["loginsRefused"], stats["lockouts"]) == (1, 0)
    # The pause belongs to these credentials, not to one Backbone: a new Backbone with the same
    # stale secret sends nothing either.
    with pytest.raises(hl.LockerError.Unauthorized):
        run(locker.enrolment().refresh_backbone_key(
            hl.Backbone(sandbox_config(sandbox.url, client_secret="a-secret-from-last-year"))))
    assert sandbox.stats()["loginsRefused"] == 1
    # The mended secret is tried at once, and works: the client id was never locked out.
    run(locker.enrolment().refresh_backbone_key(hl.Backbone(sandbox_config(sandbox.url))))
    assert sandbox.stats()["lockouts"] == 0
