package org.healthlocker

/**
 * Linking a facility's records: [discover] what it holds for the citizen (by their mobile), [choose] which care
 * contexts (it sends an OTP), [confirm] with the OTP. [list] is what is linked, those a facility linked itself
 * included once a sync (or [refresh]) has brought the list. Care links print their facility and reference only.
 */
class HealthLockerLinks internal constructor(private val links: Links) {
    suspend fun discover(backbone: Backbone, patient: String, hipId: String, mobile: String): Discovery =
        network { links.discover(backbone, patient, hipId, mobile) }

    /** Starts linking [references] (empty: all found); the facility sends the citizen an OTP. */
    suspend fun choose(backbone: Backbone, attempt: String, references: List<String> = emptyList()): LinkStarted =
        network { links.choose(backbone, attempt, references) }

    suspend fun confirm(backbone: Backbone, attempt: String, otp: String): List<CareLink> =
        network { links.confirm(backbone, attempt, otp) }

    suspend fun refresh(backbone: Backbone): Int = network { links.refresh(backbone) }.toInt()

    fun list(patient: String? = null): List<CareLink> = links.list(patient)
}

/**
 * The citizen's records from hospitals: [pull] asks (a self-request, approved automatically when the citizen's
 * auto-approval says so), then each sync moves it on: the records arrive encrypted to a key made on this phone, which
 * is erased once they have. [hipRequests] are doctors' requests this locker answered (as a HIP) under a grant.
 */
class HealthLockerExchange internal constructor(private val exchange: Exchange) {
    fun pull(profileId: String, hiTypes: List<HiType> = emptyList(), fromMs: Long? = null, toMs: Long? = null): Pull =
        exchange.pull(profileId, hiTypes, fromMs, toMs)

    fun pulls(): List<Pull> = exchange.pulls()

    fun pullStatus(id: String): Pull = exchange.pullStatus(id)

    fun hipRequests(): List<HipRequest> = exchange.hipRequests()
}

/**
 * What a shell decides itself about background sync, in plain Kotlin so the JVM tests exercise it; the WorkManager
 * worker (`org.healthlocker.android.SyncWorker`) only asks this and runs [HealthLocker.sync].
 *
 * It runs when there is a network; on a metered one only within [meteredBytes] (records can be large) and not at all
 * when the battery is low, unless the user asked. A run gets the platform's time less a margin to stop cleanly.
 */
class BackgroundSync(
    /** Bytes one run may read on a metered network. */
    val meteredBytes: Long = 8L shl 20,
    /** Bytes one run may read otherwise. */
    val unmeteredBytes: Long = 64L shl 20,
    /** Kept back from the platform's allowance, so the run ends before it is stopped. */
    val marginMs: Long = 30_000,
) {
    /** What the device says now. */
    data class Conditions(
        val connected: Boolean,
        val metered: Boolean,
        val batteryLow: Boolean,
        /** The user pressed "sync now". */
        val userAsked: Boolean = false,
    )

    /** Whether to run now and with what budget; null: do not run (wait for the next connectivity change). */
    fun budget(now: Conditions, allowanceMs: Long): SyncBudget? {
        if (!now.connected) return null
        if (now.batteryLow && !now.userAsked) return null
        val time = allowanceMs - marginMs
        if (time <= 0) return null
        val bytes = if (now.metered) meteredBytes else unmeteredBytes
        return SyncBudget(maxMillis = time.toULong(), maxBytes = bytes.toULong())
    }

    /**
     * After a run: whether to ask the platform for another soon (work was left: the budget ran out, or the mailbox
     * had more), or to wait for the next trigger. A run stopped by the network waits for connectivity.
     */
    fun again(report: SyncReport): Boolean = when (report.stopped) {
        null -> false
        "time-budget", "byte-budget" -> true
        else -> false
    }
}
