// Records from hospitals: linking a facility's records, pulling them encrypted to a key made on
// this phone, doctors' requests answered; and what the app decides itself about background sync,
// in plain Swift the tests exercise (`BackgroundSyncTask.swift` is the few lines of glue).

import Foundation

/// Linking: ``discover(backbone:patient:hipId:mobile:)`` what a facility holds for the citizen
/// (by their mobile), ``choose(backbone:attempt:references:)`` (it sends an OTP),
/// ``confirm(backbone:attempt:otp:)``. ``list(patient:)`` includes links a facility made itself
/// once a sync has brought the list. Care links print their facility and reference only.
public final class HealthLockerLinks: Sendable {
    private let links: Links

    init(_ links: Links) {
        self.links = links
    }

    public func discover(backbone: Backbone, patient: String, hipId: String, mobile: String) async throws -> Discovery {
        try await links.discover(backbone: backbone, patient: patient, hipId: hipId, mobile: mobile)
    }

    /// Starts linking `references` (empty: all found); the facility sends the citizen an OTP.
    public func choose(backbone: Backbone, attempt: String, references: [String] = []) async throws -> LinkStarted {
        try await links.choose(backbone: backbone, attempt: attempt, references: references)
    }

    public func confirm(backbone: Backbone, attempt: String, otp: String) async throws -> [CareLink] {
        try await links.confirm(backbone: backbone, attempt: attempt, otp: otp)
    }

    public func refresh(backbone: Backbone) async throws -> UInt32 {
        try await links.refresh(backbone: backbone)
    }

    public func list(patient: String? = nil) throws -> [CareLink] {
        try links.list(patient: patient)
    }
}

/// The citizen's records from hospitals: ``pull(profileId:hiTypes:fromMs:toMs:)`` asks, and each
/// sync moves it on; ``hipRequests()`` are doctors' requests answered under a grant.
public final class HealthLockerExchange: Sendable {
    private let exchange: Exchange

    init(_ exchange: Exchange) {
        self.exchange = exchange
    }

    @discardableResult
    public func pull(profileId: String, hiTypes: [HiType] = [], fromMs: Int64? = nil, toMs: Int64? = nil) throws -> Pull {
        try exchange.pull(profileId: profileId, hiTypes: hiTypes, fromMs: fromMs, toMs: toMs)
    }

    public func pulls() throws -> [Pull] {
        try exchange.pulls()
    }

    public func pullStatus(id: String) throws -> Pull {
        try exchange.pullStatus(id: id)
    }

    public func hipRequests() throws -> [HipRequest] {
        try exchange.hipRequests()
    }
}

/// Hands a sync's progress to a closure.
final class ProgressRelay: SyncListener, @unchecked Sendable {
    private let tell: @Sendable (SyncProgress) -> Void

    init(_ tell: @escaping @Sendable (SyncProgress) -> Void) {
        self.tell = tell
    }

    func progress(progress: SyncProgress) {
        tell(progress)
    }
}

/// When to sync in the background and with what budget: on a network; on a metered one within
/// `meteredBytes`; not on low power unless the user asked. iOS gives a background task about
/// thirty seconds (a processing task more): the budget keeps `marginMs` back to end cleanly.
public struct BackgroundSync: Sendable {
    public struct Conditions: Sendable {
        public var connected: Bool
        public var metered: Bool
        public var lowPower: Bool
        public var userAsked: Bool

        public init(connected: Bool, metered: Bool, lowPower: Bool, userAsked: Bool = false) {
            self.connected = connected
            self.metered = metered
            self.lowPower = lowPower
            self.userAsked = userAsked
        }
    }

    public var meteredBytes: UInt64 = 8 << 20
    public var unmeteredBytes: UInt64 = 64 << 20
    public var marginMs: UInt64 = 5_000

    public init() {}

    /// The budget to run with now, or nil to wait for the next chance.
    public func budget(_ now: Conditions, allowanceMs: UInt64) -> SyncBudget? {
        guard now.connected, !now.lowPower || now.userAsked, allowanceMs > marginMs else { return nil }
        return SyncBudget(maxMillis: allowanceMs - marginMs, maxBytes: now.metered ? meteredBytes : unmeteredBytes)
    }

    /// Whether to ask for another run soon: work was left because the budget ran out.
    public func again(_ report: SyncReport) -> Bool {
        report.stopped == "time-budget" || report.stopped == "byte-budget"
    }
}
