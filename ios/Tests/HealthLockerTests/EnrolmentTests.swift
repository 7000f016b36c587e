// ABHA enrolment against a real sandbox backbone: the citizen's own online enrolment, wrong and
// locked OTPs, a field worker's offline queue and the outbox that holds it, the backbone's
// configuration and credentials, and the identifier checks a form makes while the user types.
// The same stories as the Kotlin and Python suites.
//
// The sandbox: on macOS each test starts `locker sandbox serve --port 0` (LOCKER_BIN, default
// <repository>/target/debug/locker) and stops it afterwards; where processes cannot be started
// (the iOS simulator), HEALTHLOCKER_SANDBOX_URL names one already running, shared by the tests
// (so counts are compared as differences).

import Foundation
import XCTest
@testable import HealthLocker

final class EnrolmentTests: StoreTestCase {
    private var sandbox: Sandbox!
    private var backbone: Backbone!

    override func setUpWithError() throws {
        try super.setUpWithError()
        sandbox = try Sandbox.start()
        backbone = try Backbone(config: sandboxConfig(sandbox.url))
    }

    override func tearDownWithError() throws {
        backbone = nil
        sandbox?.stop()
        sandbox = nil
        try super.tearDownWithError()
    }

    private func newStore() throws -> HealthLockerStore {
        track(try HealthLockerStore.create(at: storeDirectory(), keys: InMemoryKeyProvider()))
    }

    private func otp(for enrolment: Enrolment) async throws -> String {
        let txn = try XCTUnwrap(enrolment.transactionId, "an OTP step has a transaction")
        return try await sandbox.otp(transaction: txn)
    }

    func testACitizenEnrolsOnlineAndEndsWithAProfileHoldingTheirAbhaNumberAddressAndCard() async throws {
        var rng = Seeded(31)
        let store = try newStore()

        // A mobile that is not the Aadhaar-linked one must be verified with its own OTP.
        var e = try await store.enrolment.onlineStart(backbone: backbone, aadhaar: validAadhaar(&rng), mobile: mobile(&rng))
        XCTAssertEqual(e.state, .otpSent)
        XCTAssertEqual(e.mode, .online)
        e = try await store.enrolment.onlineVerifyOtp(backbone: backbone, enrolmentId: e.id, otp: try await otp(for: e))
        XCTAssertEqual(e.state, .mobileUnverified)
        XCTAssertNotNil(e.abhaNumber, "the ABHA exists once the Aadhaar OTP is verified")
        e = try await store.enrolment.onlineRequestMobileOtp(backbone: backbone, enrolmentId: e.id)
        XCTAssertEqual(e.state, .mobileOtpSent)
        e = try await store.enrolment.onlineVerifyMobileOtp(backbone: backbone, enrolmentId: e.id, otp: try await otp(for: e))
        XCTAssertEqual(e.state, .addressPending)

        let suggestions = try await store.enrolment.onlineAddressSuggestions(backbone: backbone, enrolmentId: e.id)
        let chosen = try XCTUnwrap(suggestions.first, "the backbone suggests addresses")
        for s in suggestions {
            XCTAssertNoThrow(try validateAbhaAddressForCreation(text: s))
        }
        e = try await store.enrolment.onlineCreateAddress(backbone: backbone, enrolmentId: e.id, address: chosen)
        XCTAssertEqual(e.state, .addressCreated)
        XCTAssertEqual(e.abhaAddress, "\(chosen)@sbx")

        let profile = try await store.enrolment.onlineFinish(backbone: backbone, enrolmentId: e.id)
        let number = try XCTUnwrap(profile.abhaNumber)
        XCTAssertEqual(number, e.abhaNumber)
        XCTAssertEqual(try parseAbhaNumber(text: number).dashed, number, "stored the way ABDM shows it")
        XCTAssertTrue(try parseAbhaNumber(text: number).passesLuhn)
        XCTAssertEqual(profile.abhaAddress, "\(chosen)@sbx")
        XCTAssertTrue(profile.isOwner, "the first person enrolled as self owns the locker")
        XCTAssertEqual(try store.profiles.list(), [profile])

        let cards = try store.attachments.list(forProfile: profile.id)
        XCTAssertEqual(cards.map(\.mediaType), ["image/png"])
        var png = Data()
        try store.attachments.read(id: cards[0].id) { png.append($0) }
        XCTAssertEqual(png.prefix(8), pngSignature)
        XCTAssertEqual(UInt64(png.count), cards[0].size)

        let done = try store.enrolment.get(id: e.id)
        XCTAssertEqual(done.state, .done)
        XCTAssertTrue(done.erased)
        XCTAssertNil(done.name)
        XCTAssertNil(done.transactionId)
        await assertThrowsAsync(.WrongStep(state: "done")) {
            _ = try await store.enrolment.onlineFinish(backbone: self.backbone, enrolmentId: e.id)
        }
    }

    func testAFamilyMemberWhoseMobileIsTheAadhaarLinkedOneSkipsMobileVerification() async throws {
        var rng = Seeded(32)
        let store = try newStore()
        let owner = try store.profiles.add(
            NewProfile(name: "Meena Pillai", gender: .female, birthDate: "1979-08-02", relation: "self", isOwner: true)
        )
        let aadhaar = validAadhaar(&rng)
        let phone = mobile(&rng)
        try await sandbox.addResident(aadhaar: aadhaar, name: "Rahul Pillai", gender: "M", yearOfBirth: 2004, mobile: phone)

        var e = try await store.enrolment.onlineStart(backbone: backbone, aadhaar: aadhaar, mobile: "+91 \(phone)", relation: "child")
        e = try await store.enrolment.onlineVerifyOtp(backbone: backbone, enrolmentId: e.id, otp: try await otp(for: e))
        XCTAssertEqual(e.state, .addressPending)
        let id = e.id
        await assertThrowsAsync(.WrongStep(state: "address_pending")) {
            _ = try await store.enrolment.onlineRequestMobileOtp(backbone: self.backbone, enrolmentId: id)
        }
        await assertThrowsInvalidInputAsync("the strict rule applies before any network") {
            _ = try await store.enrolment.onlineCreateAddress(backbone: self.backbone, enrolmentId: id, address: "rp")
        }
        _ = try await store.enrolment.onlineCreateAddress(backbone: backbone, enrolmentId: id, address: "rahul.pillai04")
        let child = try await store.enrolment.onlineFinish(backbone: backbone, enrolmentId: id)

        XCTAssertEqual(child.name, "Rahul Pillai")
        XCTAssertEqual(child.relation, "child")
        XCTAssertEqual(child.gender, .male)
        XCTAssertEqual(child.abhaAddress, "rahul.pillai04@sbx")
        XCTAssertEqual(try store.profiles.list().map(\.id), [owner.id, child.id])
        XCTAssertEqual(try store.attachments.list(forProfile: child.id).map(\.mediaType), ["image/png"])
        XCTAssertEqual(try store.attachments.list(forProfile: owner.id), [])
    }

    func testAWrongOtpIsRefusedWithTheAttemptsLeftAndTheRightOneStillWorks() async throws {
        var rng = Seeded(33)
        let store = try newStore()
        var e = try await store.enrolment.onlineStart(backbone: backbone, aadhaar: validAadhaar(&rng), mobile: mobile(&rng))
        let id = e.id
        let right = try await otp(for: e)
        let wrong = otherOtp(right)

        await assertThrowsInvalidInputAsync("a malformed OTP never reaches the backbone") {
            _ = try await store.enrolment.onlineVerifyOtp(backbone: self.backbone, enrolmentId: id, otp: "12ab")
        }
        await assertThrowsAsync(.WrongOtp(attemptsLeft: 4)) {
            _ = try await store.enrolment.onlineVerifyOtp(backbone: self.backbone, enrolmentId: id, otp: wrong)
        }
        await assertThrowsAsync(.WrongOtp(attemptsLeft: 3)) {
            _ = try await store.enrolment.onlineVerifyOtp(backbone: self.backbone, enrolmentId: id, otp: wrong)
        }
        XCTAssertEqual(try store.enrolment.get(id: id).state, .otpSent)
        XCTAssertNil(try store.enrolment.get(id: id).abhaNumber)

        e = try await store.enrolment.onlineVerifyOtp(backbone: backbone, enrolmentId: id, otp: right)
        XCTAssertEqual(e.state, .mobileUnverified)
        await assertThrowsAsync(.WrongStep(state: "mobile_unverified"), "the mobile OTP was never requested") {
            _ = try await store.enrolment.onlineVerifyMobileOtp(backbone: self.backbone, enrolmentId: id, otp: right)
        }
    }

    func testFiveWrongOtpsLockTheTransactionAndANewOtpStartsItAgain() async throws {
        var rng = Seeded(34)
        let store = try newStore()
        var e = try await store.enrolment.onlineStart(backbone: backbone, aadhaar: validAadhaar(&rng), mobile: mobile(&rng))
        let id = e.id
        let wrong = otherOtp(try await otp(for: e))
        for left in stride(from: UInt32(4), through: 1, by: -1) {
            await assertThrowsAsync(.WrongOtp(attemptsLeft: left)) {
                _ = try await store.enrolment.onlineVerifyOtp(backbone: self.backbone, enrolmentId: id, otp: wrong)
            }
        }
        await assertThrowsAsync(.OtpLocked) {
            _ = try await store.enrolment.onlineVerifyOtp(backbone: self.backbone, enrolmentId: id, otp: wrong)
        }
        XCTAssertEqual(try store.enrolment.get(id: id).state, .started)

        e = try await store.enrolment.onlineRequestOtp(backbone: backbone, enrolmentId: id)
        XCTAssertEqual(e.state, .otpSent)
        e = try await store.enrolment.onlineVerifyOtp(backbone: backbone, enrolmentId: id, otp: try await otp(for: e))
        XCTAssertEqual(e.state, .mobileUnverified)
    }

    func testAFieldWorkersCapturesWaitOfflineAreSubmittedLaterHandedOverAndErased() async throws {
        var rng = Seeded(35)
        let store = try newStore()
        let session = try store.enrolment.startSession(workerId: "asha-0412", deviceId: "tablet-77", retentionDays: 3)
        XCTAssertEqual(session.retentionMs, 3 * 86_400_000)
        let consent = ConsentCapture(language: "hi", textVersion: "1.4")
        let people: [(String, Gender)] = [("Sunita Devi", .female), ("Ramesh Yadav", .male), ("Kiran Kumari", .female)]

        assertThrows(.BackboneKeyMissing, try store.enrolment.capture(
            sessionId: session.id, details: citizen(people[0], &rng), aadhaar: validAadhaar(&rng), consent: consent
        ), "capture seals to a key fetched beforehand")
        try await store.enrolment.refreshBackboneKey(backbone: backbone)
        assertThrowsInvalidInput(try store.enrolment.capture(
            sessionId: session.id, details: citizen(people[0], &rng), aadhaar: mistyped(validAadhaar(&rng)), consent: consent
        ))
        assertThrowsInvalidInput(try store.enrolment.capture(
            sessionId: session.id, details: citizen(("Sunita Devi", .unknown), &rng), aadhaar: validAadhaar(&rng), consent: consent
        ))

        // In the village: no network at all.
        var offlineConfig = sandboxConfig("http://127.0.0.1:\(try closedPort())")
        offlineConfig.maxAttempts = 1
        offlineConfig.connectTimeoutMs = 500
        let offline = try Backbone(config: offlineConfig)
        var captured: [Enrolment] = []
        for person in people {
            captured.append(try store.enrolment.capture(
                sessionId: session.id, details: citizen(person, &rng), aadhaar: validAadhaar(&rng), consent: consent
            ))
        }
        for e in captured {
            XCTAssertEqual(e.state, .queued)
            XCTAssertEqual(e.mode, .assisted)
            XCTAssertEqual(e.consentLanguage, "hi")
        }
        XCTAssertEqual(try store.enrolment.list(sessionId: session.id).map(\.name), people.map { Optional($0.0) })

        let before = try await sandbox.stats()
        let stuck = try await store.enrolment.submit(backbone: offline, sessionId: session.id)
        XCTAssertEqual(stuck.stillQueued, 3)
        XCTAssertEqual(stuck.created, 0)
        XCTAssertEqual(stuck.halted, "offline")
        let afterOffline = try store.enrolment.list(sessionId: session.id)
        XCTAssertTrue(afterOffline.allSatisfy { $0.state == .queued && $0.abhaNumber == nil })
        XCTAssertTrue(afterOffline.contains { $0.attempts == 0 && $0.lastError == "offline" })
        let whileOffline = try await sandbox.stats()
        XCTAssertEqual(whileOffline.demographicApplied, before.demographicApplied)

        // Back in range.
        let report = try await store.enrolment.submit(backbone: backbone, sessionId: session.id)
        XCTAssertEqual(report.created, 3)
        XCTAssertEqual(report.stillQueued + report.rejected + report.alreadyExisted, 0)
        XCTAssertEqual(Set(report.enrolments.map(\.id)), Set(captured.map(\.id)))
        let after = try await sandbox.stats()
        XCTAssertEqual(after.demographicApplied - before.demographicApplied, 3)
        XCTAssertEqual(after.duplicates, before.duplicates)

        let submitted = try store.enrolment.list(sessionId: session.id)
        for e in submitted {
            XCTAssertEqual(e.state, .submitted)
            XCTAssertEqual(e.outcome, .created)
            XCTAssertTrue(try parseAbhaNumber(text: try XCTUnwrap(e.abhaNumber)).passesLuhn)
        }
        let first = submitted[0]
        let qr = try JSONSerialization.jsonObject(with: Data(try store.enrolment.qr(id: first.id).utf8)) as? [String: Any]
        XCTAssertEqual(qr?["hidn"] as? String, first.abhaNumber, "the QR carries the ABHA number")
        XCTAssertEqual(qr?["name"] as? String, "Sunita Devi")
        let card = try await store.enrolment.card(backbone: backbone, enrolmentId: first.id)
        XCTAssertEqual(card.prefix(8), pngSignature)

        let handed = try store.enrolment.confirmHandover(id: first.id)
        XCTAssertEqual(handed.state, .handedOver)
        XCTAssertTrue(handed.erased)
        XCTAssertNil(handed.name)
        XCTAssertNil(handed.abhaNumber)
        assertThrows(.WrongStep(state: "handed_over"), try store.enrolment.qr(id: first.id))
        XCTAssertEqual(try store.enrolment.list(sessionId: session.id, pendingOnly: true).map(\.id), submitted.dropFirst().map(\.id))

        let dropped = try store.enrolment.cancel(id: submitted[2].id)
        XCTAssertEqual(dropped.state, .cancelled)
        XCTAssertTrue(dropped.erased)
        XCTAssertNil(dropped.name)
        XCTAssertEqual(dropped.outcome, .created, "the ABHA itself still exists")
        assertThrows(.WrongStep(state: "cancelled"), try store.enrolment.cancel(id: submitted[2].id))

        let again = try await store.enrolment.submit(backbone: backbone)
        XCTAssertEqual(again.created, 0, "nothing is sent twice")
        let atTheEnd = try await sandbox.stats()
        XCTAssertEqual(atTheEnd.demographicApplied - before.demographicApplied, 3)
        try store.enrolment.endSession(id: session.id)
        XCTAssertNotNil(try store.enrolment.session(id: session.id).endedAtMs)
        assertThrowsInvalidInput(try store.enrolment.capture(
            sessionId: session.id, details: citizen(people[0], &rng), aadhaar: validAadhaar(&rng), consent: consent
        ))
    }

    func testAnOnlineEnrolmentRefusesAMistypedAadhaarBeforeAnyNetwork() async throws {
        var rng = Seeded(36)
        let store = try newStore()
        let aadhaar = validAadhaar(&rng)
        let phone = mobile(&rng)
        var config = sandboxConfig("http://127.0.0.1:\(try closedPort())")
        config.maxAttempts = 1
        let unreachable = try Backbone(config: config)
        await assertThrowsInvalidInputAsync {
            _ = try await store.enrolment.onlineStart(backbone: unreachable, aadhaar: mistyped(aadhaar), mobile: phone)
        }
        await assertThrowsAsync(.Offline) {
            _ = try await store.enrolment.onlineStart(backbone: unreachable, aadhaar: aadhaar, mobile: phone)
        }
        XCTAssertEqual(try store.enrolment.list(), [])
    }

    func testIdentifiersAreCheckedAsAFormWouldWhileTheUserTypes() throws {
        // ABHA numbers: any of the written forms; a Luhn failure is a warning, not a refusal.
        XCTAssertEqual(
            try parseAbhaNumber(text: "91 6285 4575 5116"),
            AbhaNumberInfo(digits: "91628545755116", dashed: "91-6285-4575-5116", passesLuhn: true)
        )
        XCTAssertFalse(try parseAbhaNumber(text: "11-1111-1111-1111").passesLuhn)
        for bad in ["1234", "91-6285-4575-511", "9162-8545-7551-16", "91628545755116a"] {
            assertThrowsInvalidInput(try parseAbhaNumber(text: bad), bad)
        }

        // ABHA addresses: lenient for existing ones, strict for a new one.
        XCTAssertEqual(
            try parseAbhaAddress(text: " ravi.kumar_12@SBX "),
            AbhaAddressInfo(user: "ravi.kumar_12", suffix: "sbx", address: "ravi.kumar_12@sbx")
        )
        XCTAssertEqual(try parseAbhaAddress(text: "abc"), AbhaAddressInfo(user: "abc", suffix: nil, address: "abc"))
        XCTAssertEqual(try validateAbhaAddressForCreation(text: "ravi.kumar_12@sbx").user, "ravi.kumar_12")
        for oldStyle in ["a+b%c-d@ndhm", "abc@sbx", "ravi.k.kumar@abdm"] {
            XCTAssertNoThrow(try parseAbhaAddress(text: oldStyle), oldStyle)
            assertThrowsInvalidInput(try validateAbhaAddressForCreation(text: oldStyle), oldStyle)
        }
        for bad in ["ab", "name@", "name@sbx@abdm", "na me@sbx"] {
            assertThrowsInvalidInput(try parseAbhaAddress(text: bad), bad)
        }

        // Aadhaar: a yes or no, never the digits back.
        var rng = Seeded(37)
        let a = validAadhaar(&rng)
        XCTAssertTrue(aadhaarIsValid(text: a))
        let groups = [a.prefix(4), a.dropFirst(4).prefix(4), a.suffix(4)].map(String.init)
        XCTAssertTrue(aadhaarIsValid(text: groups.joined(separator: " ")))
        XCTAssertFalse(aadhaarIsValid(text: mistyped(a)), "one digit off fails the Verhoeff check")
        let startsWith1 = "1" + String(a.dropFirst().prefix(10))
        XCTAssertFalse(aadhaarIsValid(text: startsWith1 + String(verhoeff(startsWith1))), "never starts with 1")
        XCTAssertFalse(aadhaarIsValid(text: String(a.prefix(11))))
        XCTAssertFalse(aadhaarIsValid(text: a + "0"))

        XCTAssertEqual(try parseMobile(text: "+91 98765 43210"), "9876543210")
        assertThrowsInvalidInput(try parseMobile(text: "5876543210"))
    }

    func testABackboneConfigHasNoDefaultCredentialsTheLocalPresetFillsInTheSandboxsAddressesAndPlainHttpIsForThisMachineOnly() async throws {
        let url = sandbox.url
        let secret = ClientSecret(secret: sandboxSecret)
        let preset = backbonePreset(preset: .local(base: url), clientId: sandboxClientId, clientSecret: secret)
        // A secret crosses the FFI as an opaque object (and a config is not Equatable): the rest
        // is compared here, the secret itself by the sandbox taking it.
        assertSameSettings(
            preset,
            BackboneConfig(
                gatewayUrl: url, abhaUrl: "\(url)/abha/api", hiecmUrl: "\(url)/api/hiecm", phrUrl: url,
                consentKeysPath: "/gateway/v3/certs", qrIssuerPath: "/qr/v1", clientId: sandboxClientId,
                clientSecret: secret, cmId: "sbx"
            )
        )
        assertSameSettings(backbone.config(), preset)
        let store = try newStore()
        let again = try Backbone(config: backbone.config())
        try await store.enrolment.refreshBackboneKey(backbone: again)

        assertThrowsInvalidInput(try Backbone(config: sandboxConfig("http://abdm.example.org")))
        var zeroTries = sandboxConfig(url)
        zeroTries.maxAttempts = 0
        assertThrowsInvalidInput(try Backbone(config: zeroTries))
        var noClientId = sandboxConfig(url)
        noClientId.clientId = ""
        assertThrowsInvalidInput(try Backbone(config: noClientId), "no client id")
        var noSecret = sandboxConfig(url)
        noSecret.clientSecret = ClientSecret(secret: "")
        assertThrowsInvalidInput(try Backbone(config: noSecret), "no secret")
        XCTAssertNoThrow(try Backbone(config: sandboxConfig("https://abdm.example.org")))

        let abdm = backbonePreset(preset: .abdmSandbox, clientId: "my-app", clientSecret: ClientSecret(secret: "issued-by-abdm"))
        XCTAssertEqual(abdm.gatewayUrl, "https://dev.abdm.gov.in/api/hiecm")
        XCTAssertEqual(abdm.abhaUrl, "https://abhasbx.abdm.gov.in/abha/api")
        XCTAssertEqual(abdm.hiecmUrl, "https://dev.abdm.gov.in/api/hiecm")
        XCTAssertEqual(abdm.phrUrl, "https://phrsbx.abdm.gov.in")
        XCTAssertEqual(abdm.clientId, "my-app")
        XCTAssertEqual(abdm.cmId, "sbx")
        XCTAssertNoThrow(try Backbone(config: abdm))
    }

    func testABackboneConfigMadeWithAClientSecretNeverPrintsIt() throws {
        let secret = "s3cret-issued-by-abdm"
        let config = backbonePreset(preset: .abdmSandbox, clientId: "my-app", clientSecret: ClientSecret(secret: secret))
        var edited = config
        edited.maxAttempts = 2
        let local = backbonePreset(preset: .local(base: sandbox.url), clientId: sandboxClientId, clientSecret: ClientSecret(secret: secret))
        let roundTripped = try Backbone(config: config).config()
        var dumped = ""
        dump(config, to: &dumped)
        let printed = [
            String(describing: config), String(reflecting: config), "\(config)",
            String(describing: config.clientSecret), String(reflecting: config.clientSecret),
            String(describing: edited), String(describing: roundTripped), String(describing: local), dumped,
        ]
        for text in printed {
            XCTAssertFalse(text.contains(secret), text)
            XCTAssertFalse(text.contains("s3cret"), text)
        }
        XCTAssertTrue(String(describing: config).contains("my-app"), "the rest of the config still prints: \(config)")
    }

    func testCapturesMadeOfflineWaitInTheOutboxADrainWithNoNetworkLosesNothingAndOneWithTheNetworkDeliversThem() async throws {
        var rng = Seeded(38)
        let store = try newStore()
        try await store.enrolment.refreshBackboneKey(backbone: backbone)
        let session = try store.enrolment.startSession(workerId: "asha-0413", deviceId: "tablet-78")
        let consent = ConsentCapture(language: "kn", textVersion: "1.4")
        XCTAssertEqual(try store.outbox.status().waiting, 0)

        // In the village: two citizens captured, no network at all.
        let people: [(String, Gender)] = [("Lakshmi Gowda", .female), ("Manjunath Rao", .male)]
        var captured: [Enrolment] = []
        for person in people {
            captured.append(try store.enrolment.capture(
                sessionId: session.id, details: citizen(person, &rng), aadhaar: validAadhaar(&rng), consent: consent
            ))
        }
        let status = try store.outbox.status()
        XCTAssertEqual(status.waiting, 2)
        XCTAssertEqual(status.wedged, 0)
        XCTAssertEqual(status.byKind, [KindCount(kind: .enrolmentSubmit, waiting: 2, wedged: 0)])
        XCTAssertEqual(status.wedgedItems, [])
        XCTAssertNotNil(status.oldestWaitingAgeMs)
        let items = try store.outbox.items()
        XCTAssertEqual(Set(items.map(\.subject)), Set(captured.map(\.id)), "one item per citizen, named by id")
        XCTAssertTrue(items.allSatisfy { $0.kind == .enrolmentSubmit && $0.state == .waiting && $0.attempts == 0 }, "\(items)")

        let before = try await sandbox.stats()
        var offlineConfig = sandboxConfig("http://127.0.0.1:\(try closedPort())")
        offlineConfig.maxAttempts = 1
        offlineConfig.connectTimeoutMs = 500
        let offline = try Backbone(config: offlineConfig)
        let halted = try await store.outbox.drain(backbone: offline)
        XCTAssertEqual(halted.halted, "offline")
        XCTAssertEqual(halted.delivered, 0)
        XCTAssertEqual(halted.wedged, 0)
        XCTAssertEqual(halted.waiting, 2)
        XCTAssertEqual(try store.outbox.status().waiting, 2)
        XCTAssertEqual(try store.outbox.status().wedged, 0)
        let afterOffline = try store.outbox.items()
        XCTAssertEqual(afterOffline.map(\.id), items.map(\.id))
        XCTAssertEqual(afterOffline.map(\.requestId), items.map(\.requestId), "the same items, each with its REQUEST-ID")
        XCTAssertTrue(afterOffline.contains { $0.attempts == 0 && $0.lastError == "offline" }, "\(afterOffline)")
        XCTAssertTrue(try store.enrolment.list(sessionId: session.id).allSatisfy { $0.state == .queued }, "nothing was lost")
        let whileOffline = try await sandbox.stats()
        XCTAssertEqual(whileOffline.demographicApplied, before.demographicApplied)

        // Back in range.
        let delivered = try await store.outbox.drain(backbone: backbone)
        XCTAssertNil(delivered.halted)
        XCTAssertEqual(delivered.delivered, 2)
        XCTAssertEqual(delivered.waiting + delivered.wedged + delivered.retrying + delivered.expired, 0)
        XCTAssertEqual(Set(delivered.touched), Set(captured.map(\.id)))
        XCTAssertEqual(try store.outbox.status().waiting, 0)
        XCTAssertEqual(try store.outbox.items(), [])
        let after = try await sandbox.stats()
        XCTAssertEqual(after.demographicApplied - before.demographicApplied, 2)
        for e in try store.enrolment.list(sessionId: session.id) {
            XCTAssertEqual(e.state, .submitted)
            XCTAssertEqual(e.outcome, .created)
            XCTAssertTrue(try parseAbhaNumber(text: try XCTUnwrap(e.abhaNumber)).passesLuhn)
        }

        let again = try await store.outbox.drain(backbone: backbone)
        XCTAssertEqual(again.delivered, 0, "nothing is sent twice")
        let atTheEnd = try await sandbox.stats()
        XCTAssertEqual(atTheEnd.demographicApplied - before.demographicApplied, 2)
        XCTAssertEqual(atTheEnd.duplicates, before.duplicates)
    }

    #if os(macOS)
    func testOverHttpsTheBackboneIsTrustedOnlyThroughItsRootAndPinnedKeys() async throws {
        let tls = Self.fixtures.deletingLastPathComponent().appendingPathComponent("sandbox/tls", isDirectory: true)
        func pem(_ name: String) throws -> String {
            try String(contentsOf: tls.appendingPathComponent(name), encoding: .utf8)
        }
        let root = try pem("root.pem")
        let intermediatePin = try pinOfCertificate(pem: try pem("intermediate.pem"))
        let otherPin = try pinOfCertificate(pem: try pem("other-root.pem"))
        XCTAssertTrue(intermediatePin.hasPrefix("sha256/") && intermediatePin != otherPin)
        assertThrowsInvalidInput(try pinOfCertificate(pem: "no certificate here"))
        let store = try newStore()
        let https = try Sandbox.start(tls: true)
        defer { https.stop() }
        func backbone(_ roots: String = "", _ pins: [String] = []) throws -> Backbone {
            var config = sandboxConfig(https.url)
            config.maxAttempts = 2
            config.extraRootsPem = roots
            config.pinnedKeys = pins
            return try Backbone(config: config)
        }
        for refused in [try backbone(), try backbone(root, [otherPin])] {
            await assertThrowsAsync(.UntrustedBackbone) { try await store.enrolment.refreshBackboneKey(backbone: refused) }
        }
        // A pin that matches beside one that does not (a backup key), and the key arrives.
        try await store.enrolment.refreshBackboneKey(backbone: try backbone(root, [otherPin, intermediatePin]))
    }
    #endif

    // MARK: Helpers

    private func citizen(_ person: (String, Gender), _ rng: inout Seeded) -> CitizenDetails {
        CitizenDetails(
            name: person.0, gender: person.1,
            birthDate: "19\(rng.next(50...98))-0\(rng.next(1...9))-1\(rng.next(0...9))",
            mobile: mobile(&rng), address: "Ward 4, Chikkaballapur", stateCode: "29", districtCode: "572", pinCode: "562101"
        )
    }

    /// Asserts that two configurations agree on everything but the secret, which no one can read back.
    private func assertSameSettings(
        _ a: BackboneConfig, _ b: BackboneConfig, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(a.gatewayUrl, b.gatewayUrl, "gatewayUrl", file: file, line: line)
        XCTAssertEqual(a.abhaUrl, b.abhaUrl, "abhaUrl", file: file, line: line)
        XCTAssertEqual(a.hiecmUrl, b.hiecmUrl, "hiecmUrl", file: file, line: line)
        XCTAssertEqual(a.phrUrl, b.phrUrl, "phrUrl", file: file, line: line)
        XCTAssertEqual(a.consentKeysPath, b.consentKeysPath, "consentKeysPath", file: file, line: line)
        XCTAssertEqual(a.qrIssuerPath, b.qrIssuerPath, "qrIssuerPath", file: file, line: line)
        XCTAssertEqual(a.clientId, b.clientId, "clientId", file: file, line: line)
        XCTAssertEqual(a.cmId, b.cmId, "cmId", file: file, line: line)
        XCTAssertEqual(a.connectTimeoutMs, b.connectTimeoutMs, "connectTimeoutMs", file: file, line: line)
        XCTAssertEqual(a.readTimeoutMs, b.readTimeoutMs, "readTimeoutMs", file: file, line: line)
        XCTAssertEqual(a.maxAttempts, b.maxAttempts, "maxAttempts", file: file, line: line)
        XCTAssertEqual(a.maxRetryAfterMs, b.maxRetryAfterMs, "maxRetryAfterMs", file: file, line: line)
        XCTAssertEqual(a.initialBackoffMs, b.initialBackoffMs, "initialBackoffMs", file: file, line: line)
        XCTAssertEqual(a.maxBackoffMs, b.maxBackoffMs, "maxBackoffMs", file: file, line: line)
        XCTAssertEqual(a.pinnedKeys, b.pinnedKeys, "pinnedKeys", file: file, line: line)
        XCTAssertEqual(a.extraRootsPem, b.extraRootsPem, "extraRootsPem", file: file, line: line)
    }

    /// Asserts that the async `body` throws exactly `expected`.
    private func assertThrowsAsync(
        _ expected: LockerError,
        _ message: String = "",
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            XCTFail("expected \(expected), nothing was thrown \(message)", file: file, line: line)
        } catch {
            XCTAssertEqual(error as? LockerError, expected, message, file: file, line: line)
        }
    }

    /// Asserts that the async `body` throws `LockerError.InvalidInput`, whatever its reason.
    private func assertThrowsInvalidInputAsync(
        _ message: String = "",
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            XCTFail("expected InvalidInput, nothing was thrown \(message)", file: file, line: line)
        } catch {
            guard case .InvalidInput = error as? LockerError else {
                return XCTFail("expected InvalidInput, got \(error) \(message)", file: file, line: line)
            }
        }
    }
}

private let pngSignature = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])

/// The same numbers in every run (SplitMix64).
private struct Seeded {
    private var state: UInt64

    init(_ seed: UInt64) {
        state = seed
    }

    mutating func next(_ range: ClosedRange<Int>) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return range.lowerBound + Int(z % UInt64(range.count))
    }
}

private func mobile(_ rng: inout Seeded) -> String {
    "9" + (0..<9).map { _ in String(rng.next(0...9)) }.joined()
}

private func otherOtp(_ otp: String) -> String {
    String(otp.map { Character(String((Int(String($0))! + 1) % 10)) })
}

/// A well-formed Aadhaar number: 12 digits, the first 2–9, the last a Verhoeff check digit.
private func validAadhaar(_ rng: inout Seeded) -> String {
    let body = String(rng.next(2...9)) + (0..<10).map { _ in String(rng.next(0...9)) }.joined()
    return body + String(verhoeff(body))
}

/// The same number with its last digit off by one: the check digit no longer matches.
private func mistyped(_ aadhaar: String) -> String {
    String(aadhaar.prefix(11)) + String((Int(String(aadhaar.last!))! + 1) % 10)
}

// Verhoeff's tables, as published: multiplication in D5, the position permutations, inverses.
private let verhoeffD: [[Int]] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
private let verhoeffP: [[Int]] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]
private let verhoeffInv = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]

/// The Verhoeff check digit to append to `digits`.
private func verhoeff(_ digits: String) -> Int {
    var c = 0
    for (i, ch) in digits.reversed().enumerated() {
        c = verhoeffD[c][verhoeffP[(i + 1) % 8][Int(String(ch))!]]
    }
    return verhoeffInv[c]
}
