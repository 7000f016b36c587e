// iOS's glue for background sync: a BGAppRefreshTask that runs one ``HealthLockerStore/sync``
// under ``BackgroundSync``'s budget and asks again when work was left. The identifier must be in
// the app's Info.plist (`BGTaskSchedulerPermittedIdentifiers`).

#if canImport(BackgroundTasks) && os(iOS)
import BackgroundTasks
import Network

public enum BackgroundSyncTask {
    public static let identifier = "org.healthlocker.sync"

    /// Registers the handler (call once, before the app finishes launching).
    public static func register(store: @escaping @Sendable () -> HealthLockerStore, backbone: @escaping @Sendable () -> Backbone) {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            let path = NWPathMonitor().currentPath
            let now = BackgroundSync.Conditions(
                connected: path.status == .satisfied, metered: path.isExpensive,
                lowPower: ProcessInfo.processInfo.isLowPowerModeEnabled)
            let policy = BackgroundSync()
            guard let budget = policy.budget(now, allowanceMs: 30_000) else {
                schedule()
                task.setTaskCompleted(success: true)
                return
            }
            let run = Task {
                let report = try? await store().sync(backbone: backbone(), budget: budget)
                if report.map(policy.again) ?? true { schedule() }
                task.setTaskCompleted(success: report != nil)
            }
            task.expirationHandler = { run.cancel() }
        }
    }

    /// Asks iOS for a run when it sees fit (with a network).
    public static func schedule() {
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 15 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }
}
#endif
