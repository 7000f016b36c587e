package org.healthlocker

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.net.HttpURLConnection
import java.net.ServerSocket
import java.net.URI
import java.util.concurrent.TimeUnit
import kotlin.test.assertNotNull

// The sandbox backbone the network stories run against: a `locker sandbox serve` process per test, its admin routes
// (fixtures/sandbox/README.md), and the configuration that points the library at it. Tests only.

/** What `locker sandbox serve` accepts: there are no default credentials anywhere else. */
internal const val SANDBOX_CLIENT_ID = "healthlocker-sandbox"
internal const val SANDBOX_SECRET = "sandbox-secret"

/** The local sandbox at [url], with the credentials it issues (`healthlocker-sandbox` / `sandbox-secret`). */
internal fun sandboxConfig(url: String) =
    backbonePreset(Preset.Local(base = url), SANDBOX_CLIENT_ID, ClientSecret(SANDBOX_SECRET))

/** A port on this machine where nothing listens: the network as a village without signal sees it. */
internal fun closedPort(): Int = ServerSocket(0).use { it.localPort }

/** What `/admin/stats` counts. */
internal data class SandboxStats(
    val demographicApplied: Long,
    val duplicates: Long,
    val loginsRefused: Long,
    val lockouts: Long,
    val consentApprovals: Long,
    val consentDenials: Long,
    val consentRevokes: Long,
)

/** A `locker sandbox serve` process on a free loopback port, and its admin routes. */
internal class Sandbox private constructor(private val process: Process, val url: String) {
    companion object {
        private val LISTENING = Regex("""^locker-sandbox listening on (https?://127\.0\.0\.1:\d+)$""")

        /** With [tls], it serves HTTPS with the chains in fixtures/sandbox/tls (its admin routes are then out of reach). */
        fun start(tls: Boolean = false): Sandbox {
            val bin = System.getenv("LOCKER_BIN") ?: System.getProperty("healthlocker.lockerBin") ?: "target/debug/locker"
            check(File(bin).canExecute()) { "no locker binary at $bin (cargo build -p locker-cli, or set LOCKER_BIN)" }
            val process = ProcessBuilder(listOf(bin, "sandbox", "serve", "--port", "0") + if (tls) listOf("--tls") else emptyList())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start()
            val out = BufferedReader(InputStreamReader(process.inputStream))
            val first = out.readLine()
            val url = first?.let { LISTENING.matchEntire(it) }?.groupValues?.get(1)
            if (url == null) {
                process.destroyForcibly()
                error("the sandbox did not say where it listens: $first")
            }
            // Keep reading so a chatty sandbox never blocks on a full pipe.
            Thread { runCatching { out.forEachLine { } } }.apply { isDaemon = true }.start()
            return Sandbox(process, url)
        }
    }

    fun stop() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }

    fun otp(txnId: String): String = text(request("GET", "/admin/otp/$txnId"), "otp")

    fun addResident(aadhaar: String, name: String, gender: String, yearOfBirth: Int, mobile: String) {
        request(
            "POST", "/admin/residents",
            """{"aadhaar":"$aadhaar","name":"$name","gender":"$gender","yearOfBirth":$yearOfBirth,"mobile":"$mobile"}""",
        )
    }

    fun stats(): SandboxStats {
        val body = request("GET", "/admin/stats")
        fun field(name: String) = assertNotNull(Regex(""""$name"\s*:\s*(\d+)""").find(body), body).groupValues[1].toLong()
        return SandboxStats(
            field("demographicApplied"), field("duplicates"), field("loginsRefused"), field("lockouts"),
            field("consentApprovals"), field("consentDenials"), field("consentRevokes"),
        )
    }

    // The consent manager's hooks.

    /** A citizen's consent-manager login (`X-AUTH-TOKEN`) for [abhaAddress], as the PHR app's sign-in would give. */
    fun phrLogin(abhaAddress: String): String =
        text(request("POST", "/admin/phr-login", """{"abhaAddress":"$abhaAddress"}"""), "token")

    /** Raises a request as a HIU would ([consent] is request/init's `consent` object plus `hiuId`); returns its id. */
    fun raiseConsentRequest(consent: String): String = text(request("POST", "/admin/consent/requests", consent), "id")

    /** The citizen answering from another device: `approve` or `deny`. */
    fun answerConsentRequest(id: String, decision: String) {
        request("POST", "/admin/consent/requests/$id/answer", """{"decision":"$decision"}""")
    }

    /** A request's status as the consent manager sees it (`REQUESTED`, `GRANTED`, …). */
    fun consentRequestStatus(id: String): String = text(request("GET", "/admin/consent/requests/$id"), "status")

    /** An artefact's status as the consent manager sees it (`GRANTED`, `REVOKED`, `EXPIRED`). */
    fun consentArtefactStatus(id: String): String = text(request("GET", "/admin/consent/artefacts/$id"), "status")

    // Scan & Share's hooks.

    /** How many requests the sandbox applied on [route] (`/admin/stats`' `applied`). */
    fun applied(route: String): Long =
        Regex(""""${Regex.escape(route)}"\s*:\s*(\d+)""").find(request("GET", "/admin/stats"))?.groupValues?.get(1)?.toLong() ?: 0

    /** The link-token requests counters made, in the order applied: (`hipId`, `abhaAddress`) of each. */
    fun linkTokens(): List<Pair<String, String>> =
        Regex("""\{[^{}]*\}""").findAll(request("GET", "/admin/share/link-tokens"))
            .map { text(it.value, "hipId") to text(it.value, "abhaAddress") }.toList()

    // Hospitals, the relay and doctors' requests.

    /** Sample HIP [hip] holds [careContexts] × [perContext] records for [patient], found there by [mobile]. */
    fun hipRecords(hip: String, patient: String, careContexts: Int, perContext: Int, mobile: String) {
        request(
            "POST", "/admin/hip/records",
            """{"hip":"$hip","patient":"$patient","careContexts":$careContexts,"recordsPerContext":$perContext,"mobile":"$mobile"}""",
        )
    }

    /** The OTP a facility sent for link [linkRef]. */
    fun linkOtp(linkRef: String): String = text(request("GET", "/admin/link-otp/$linkRef"), "otp")

    /** Facility [hip] links [n] of [patient]'s care contexts itself. */
    fun hipLink(hip: String, patient: String, n: Int) {
        request("POST", "/admin/hip/link", """{"hip":"$hip","patient":"$patient","careContexts":$n}""")
    }

    /** A doctor (the artefact's HIU) asks the locker, as a HIP, for the records of [consentId]; the transaction id. */
    fun dataRequest(consentId: String): String =
        text(request("POST", "/admin/data-request", """{"consentId":"$consentId"}"""), "transactionId")

    /** What the doctor's side received for [txn], as JSON text. */
    fun hiuReceived(txn: String): String = request("GET", "/admin/hiu-received/$txn")

    /** Moves the sandbox's clock on by [seconds]. */
    fun advanceClock(seconds: Long) {
        request("POST", "/admin/clock", """{"advanceSeconds":$seconds}""")
    }

    /** The first string value of [name] in a JSON [body] (the admin answers have it once, at the top). */
    private fun text(body: String, name: String): String =
        assertNotNull(Regex(""""$name"\s*:\s*"([^"]*)"""").find(body), body).groupValues[1]

    private fun request(method: String, path: String, json: String? = null): String {
        val c = URI(url + path).toURL().openConnection() as HttpURLConnection
        try {
            c.requestMethod = method
            c.connectTimeout = 5_000
            c.readTimeout = 5_000
            if (json != null) {
                c.doOutput = true
                c.setRequestProperty("Content-Type", "application/json")
                c.outputStream.use { it.write(json.toByteArray()) }
            }
            val status = c.responseCode
            val body = (if (status < 400) c.inputStream else c.errorStream)?.use { it.readBytes().decodeToString() } ?: ""
            check(status in 200..299) { "$method $path: $status $body" }
            return body
        } finally {
            c.disconnect()
        }
    }
}
