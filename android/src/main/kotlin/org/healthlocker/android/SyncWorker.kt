package org.healthlocker.android

import android.content.Context
import android.net.ConnectivityManager
import android.net.NetworkCapabilities
import android.os.BatteryManager
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import org.healthlocker.Backbone
import org.healthlocker.BackgroundSync
import org.healthlocker.HealthLocker

/**
 * Android's glue for background sync: a WorkManager worker constrained to a connected network, enqueued again on each
 * connectivity change ([schedule]). What to do is [BackgroundSync]'s to decide; the work is [HealthLocker.sync].
 * The app supplies the opened locker and its backbone through [Dependencies].
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    interface Dependencies {
        fun locker(): HealthLocker
        fun backbone(): Backbone
    }

    override suspend fun doWork(): Result {
        val deps = applicationContext as? Dependencies ?: return Result.failure()
        val cm = applicationContext.getSystemService(ConnectivityManager::class.java)
        val caps = cm.getNetworkCapabilities(cm.activeNetwork)
        val battery = applicationContext.getSystemService(BatteryManager::class.java)
        val now = BackgroundSync.Conditions(
            connected = caps?.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET) == true,
            metered = caps?.hasCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED) != true,
            batteryLow = battery.getIntProperty(BatteryManager.BATTERY_PROPERTY_CAPACITY) in 0..15,
        )
        val policy = BackgroundSync()
        val budget = policy.budget(now, allowanceMs = 10 * 60_000L) ?: return Result.success()
        val report = deps.locker().sync(deps.backbone(), budget)
        return if (policy.again(report)) Result.retry() else Result.success()
    }

    companion object {
        private const val NAME = "healthlocker-sync"

        /** Runs a sync as soon as there is a network (call at start and from a connectivity callback). */
        fun schedule(context: Context) {
            val request = OneTimeWorkRequestBuilder<SyncWorker>()
                .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
                .build()
            WorkManager.getInstance(context).enqueueUniqueWork(NAME, ExistingWorkPolicy.KEEP, request)
        }
    }
}
