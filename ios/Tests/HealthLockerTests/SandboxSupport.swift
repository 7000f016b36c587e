// The sandbox backbone the network stories run against: a `locker sandbox serve` process of the
// test's own (macOS) or one named by HEALTHLOCKER_SANDBOX_URL, its admin routes
// (fixtures/sandbox/README.md), and the configuration that points the library at it. Tests only.

import Foundation
@testable import HealthLocker

/// What `locker sandbox serve` accepts: there are no default credentials anywhere else.
let sandboxClientId = "healthlocker-sandbox"
let sandboxSecret = "sandbox-secret"

/// The local sandbox at `url`, with the credentials it issues.
func sandboxConfig(_ url: String) -> BackboneConfig {
    backbonePreset(preset: .local(base: url), clientId: sandboxClientId, clientSecret: ClientSecret(secret: sandboxSecret))
}

/// A loopback port where nothing listens: the network as a village without signal sees it.
func closedPort() throws -> Int {
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    guard fd >= 0 else { throw CocoaError(.fileReadUnknown) }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
        }
    }
    guard bound else { throw CocoaError(.fileReadUnknown) }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// What `/admin/stats` counts.
struct SandboxStats: Decodable {
    let demographicApplied: Int
    let duplicates: Int
    let consentApprovals: Int
    let consentDenials: Int
    let consentRevokes: Int
    /// Requests applied, by route (`/api/hiecm/patient-share/v3/share`, …).
    let applied: [String: Int]
}

/// The sandbox backbone: a process of our own (macOS), or one named by HEALTHLOCKER_SANDBOX_URL.
final class Sandbox {
    let url: String
    #if os(macOS)
    private let process: Process?
    #endif

    struct NoSandbox: Error, CustomStringConvertible {
        let description: String
    }

    /// With `tls`, a fresh `locker sandbox serve --tls` (HTTPS with the chains in
    /// fixtures/sandbox/tls), never the one HEALTHLOCKER_SANDBOX_URL names.
    static func start(tls: Bool = false) throws -> Sandbox {
        if !tls, let url = ProcessInfo.processInfo.environment["HEALTHLOCKER_SANDBOX_URL"] {
            return Sandbox(url: url.hasSuffix("/") ? String(url.dropLast()) : url)
        }
        #if os(macOS)
        let bin = ProcessInfo.processInfo.environment["LOCKER_BIN"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent() // HealthLockerTests
                .deletingLastPathComponent() // Tests
                .deletingLastPathComponent() // ios
                .deletingLastPathComponent() // the repository
                .appendingPathComponent("target/debug/locker")
        guard FileManager.default.isExecutableFile(atPath: bin.path) else {
            throw NoSandbox(description: "no locker binary at \(bin.path) (cargo build -p locker-cli, or set LOCKER_BIN)")
        }
        let process = Process()
        process.executableURL = bin
        process.arguments = ["sandbox", "serve", "--port", "0"] + (tls ? ["--tls"] : [])
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let more = out.fileHandleForReading.availableData
            if more.isEmpty { break }
            line.append(more)
        }
        let first = String(decoding: line.prefix { $0 != 0x0A }, as: UTF8.self)
        let prefix = "locker-sandbox listening on "
        guard first.hasPrefix(prefix), first.dropFirst(prefix.count).hasPrefix(tls ? "https://127.0.0.1:" : "http://127.0.0.1:") else {
            process.terminate()
            throw NoSandbox(description: "the sandbox did not say where it listens: \(first)")
        }
        // Keep reading so a chatty sandbox never blocks on a full pipe.
        out.fileHandleForReading.readabilityHandler = { _ = $0.availableData }
        return Sandbox(url: String(first.dropFirst(prefix.count)), process: process)
        #else
        throw NoSandbox(description: "set HEALTHLOCKER_SANDBOX_URL to a running `locker sandbox serve`")
        #endif
    }

    #if os(macOS)
    private init(url: String, process: Process? = nil) {
        self.url = url
        self.process = process
    }
    #else
    private init(url: String) {
        self.url = url
    }
    #endif

    func stop() {
        #if os(macOS)
        if let process, process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        #endif
    }

    func otp(transaction: String) async throws -> String {
        struct Otp: Decodable { let otp: String }
        return try JSONDecoder().decode(Otp.self, from: try await request("GET", "/admin/otp/\(transaction)")).otp
    }

    func addResident(aadhaar: String, name: String, gender: String, yearOfBirth: Int, mobile: String) async throws {
        let body: [String: Any] = [
            "aadhaar": aadhaar, "name": name, "gender": gender, "yearOfBirth": yearOfBirth, "mobile": mobile,
        ]
        _ = try await request("POST", "/admin/residents", json: try JSONSerialization.data(withJSONObject: body))
    }

    func stats() async throws -> SandboxStats {
        try JSONDecoder().decode(SandboxStats.self, from: try await request("GET", "/admin/stats"))
    }

    // The consent manager's hooks.

    /// A citizen's consent-manager login (`X-AUTH-TOKEN`), as the PHR app's sign-in would give.
    func phrLogin(_ abhaAddress: String) async throws -> String {
        struct Login: Decodable { let token: String }
        let body = try JSONSerialization.data(withJSONObject: ["abhaAddress": abhaAddress])
        return try JSONDecoder().decode(Login.self, from: try await request("POST", "/admin/phr-login", json: body)).token
    }

    /// Raises a request as a HIU would (request/init's `consent` object plus `hiuId`); its id.
    func raiseConsentRequest(_ consent: [String: Any]) async throws -> String {
        struct Raised: Decodable { let id: String }
        let body = try JSONSerialization.data(withJSONObject: consent)
        return try JSONDecoder().decode(Raised.self, from: try await request("POST", "/admin/consent/requests", json: body)).id
    }

    /// A request as the consent manager sees it (`status`, `denyReason`, …).
    func consentRequest(_ id: String) async throws -> [String: Any] {
        try object(try await request("GET", "/admin/consent/requests/\(id)"))
    }

    /// An artefact as the consent manager sees it (revokes included).
    func consentArtefact(_ id: String) async throws -> [String: Any] {
        try object(try await request("GET", "/admin/consent/artefacts/\(id)"))
    }

    // Scan & Share's hooks.

    /// The link-token requests counters made, in the order applied (`hipId`, `abhaAddress`, …).
    func linkTokens() async throws -> [[String: Any]] {
        let data = try await request("GET", "/admin/share/link-tokens")
        guard let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw NoSandbox(description: "not a JSON array: \(String(decoding: data, as: UTF8.self))")
        }
        return list
    }

    // Hospitals, the relay and doctors' requests.

    /// Any admin call with a JSON body; its answer as a JSON object.
    func admin(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        let json = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        return try object(try await request(method, path, json: json))
    }

    private func object(_ data: Data) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw NoSandbox(description: "not a JSON object: \(String(decoding: data, as: UTF8.self))")
        }
        return object
    }

    private func request(_ method: String, _ path: String, json: Data? = nil) async throws -> Data {
        var req = URLRequest(url: URL(string: url + path)!, timeoutInterval: 5)
        req.httpMethod = method
        if let json {
            req.httpBody = json
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: req)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            throw NoSandbox(description: "\(method) \(path): \(status) \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }
}
