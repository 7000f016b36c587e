//! Shared by the enrolment stories: a sandbox backbone, clients for it (and for no network at
//! all), valid Aadhaar numbers and citizens to capture.

use locker_core::abha::verhoeff_check_digit;
use locker_core::{Backbone, BackboneConfig, CitizenDetails, ConsentCapture, Gender, Locker, ShiftedClock};
use locker_sandbox::{Sandbox, SandboxConfig};
use std::sync::Arc;
use std::time::Duration;

/// Runs `f` to completion on a runtime of its own (tests that are not async themselves).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// A worker's device in `dir`, on a clock the test moves, with the backbone's key fetched and a
/// worker session started: returns the locker and the session's id.
pub fn worker_device(sb: &Sandbox, dir: &std::path::Path, clock: Arc<ShiftedClock>) -> (Locker, String) {
    let l = Locker::create_with_clock(dir, super::key(), clock).unwrap();
    let s = l.enrolment().start_session("ASHA-9", "tab-1", None).unwrap();
    block_on(l.enrolment().refresh_backbone_key(&backbone(sb))).unwrap();
    (l, s.id)
}

pub fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).unwrap()
}

pub fn fast(mut c: BackboneConfig) -> BackboneConfig {
    c.connect_timeout = Duration::from_secs(2);
    c.read_timeout = Duration::from_secs(2);
    c.initial_backoff = Duration::from_millis(10);
    c.max_backoff = Duration::from_millis(100);
    c
}

/// The sandbox's own client credentials (`SandboxConfig::default`), at `url`.
pub fn sandbox_config(url: &str) -> BackboneConfig {
    BackboneConfig::local(url, "healthlocker-sandbox", "sandbox-secret")
}

pub fn backbone(sb: &Sandbox) -> Backbone {
    Backbone::new(fast(sandbox_config(&sb.url()))).unwrap()
}

/// The sandbox's backbone as a device with an out-of-date client secret is configured for it.
pub fn stale_secret(sb: &Sandbox) -> BackboneConfig {
    let mut c = fast(sandbox_config(&sb.url()));
    c.client_secret = zeroize::Zeroizing::new("a-secret-from-last-year".to_string());
    c
}

/// A backbone that cannot be reached: a loopback port nobody listens on.
pub fn unreachable() -> Backbone {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut c = fast(sandbox_config(&format!("http://127.0.0.1:{port}")));
    c.max_attempts = 2;
    Backbone::new(c).unwrap()
}

/// The n-th valid Aadhaar number of these tests (first digit 2–9, Verhoeff check digit).
pub fn aadhaar(n: u64) -> String {
    let body = format!("{}{:010}", 2 + n % 8, 3_141_592_653u64.wrapping_add(n * 7_919) % 10_000_000_000);
    format!("{body}{}", verhoeff_check_digit(&body))
}

pub fn citizen(name: &str, mobile: &str) -> CitizenDetails {
    CitizenDetails {
        name: name.into(),
        gender: Gender::Female,
        birth_date: "1988-04-12".into(),
        mobile: mobile.into(),
        address: "House 12, Ward 3, Chandrapur village".into(),
        state_code: "27".into(),
        district_code: "502".into(),
        pin_code: "442401".into(),
    }
}

pub fn consent() -> ConsentCapture {
    ConsentCapture { language: "mr".into(), text_version: "1.4".into() }
}
