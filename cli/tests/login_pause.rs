//! A field worker with a stale client secret retries `locker enrol submit` by hand: each run is a
//! new process with a new backbone client, and still the client id earns one refused login, not
//! one per try: the pause is kept in the store, not in the process.

mod common;

use common::field::Field;
use common::*;

#[test]
fn retrying_submit_by_hand_with_a_stale_secret_never_walks_the_client_id_into_a_lock_out() {
    let f = Field::new();
    for i in 0..3 {
        f.capture_offline(i);
    }
    for _ in 0..9 {
        let o = f.run(&["enrol", "submit", "--client-secret", "a-secret-from-last-year"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(10), "refused credentials are exit 10: {err}");
        assert!(err.contains("refused the client credentials"), "{err}");
    }
    let stats = f.sandbox.stats();
    assert_eq!((stats.logins_refused, stats.lockouts), (1, 0), "one refused login in nine runs");
    // Mended, the same device submits at once: nothing was lost meanwhile.
    let report = f.submit();
    assert_eq!(report["created"], 3, "{report}");
    assert_eq!(f.sandbox.stats().lockouts, 0);
    ok(&f.run(&["enrol", "queue"]));
}
