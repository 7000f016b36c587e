//! `locker sandbox serve`: locker-sandbox alone on this machine, in test mode, so a newcomer
//! can enrol against it from another terminal. OTPs are printed on standard error; the first
//! line on standard output says where it listens (tests in other languages parse it).

use crate::CliResult;
use crate::args::SandboxCmd;
use locker_sandbox::SandboxConfig;
use std::io::Write;

pub fn run(cmd: SandboxCmd) -> CliResult {
    let (port, tls) = match cmd {
        SandboxCmd::Serve { port, tls } => (port, tls),
        SandboxCmd::Ask { patient, hiu, hi_types, mode, url } => return ask(&url, &patient, &hiu, &hi_types, &mode),
    };
    let scheme = if tls { "https" } else { "http" };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| crate::Failure::new(format!("cannot listen on 127.0.0.1:{port}: {}", crate::explain(&e))))?;
        let addr = listener.local_addr()?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "locker-sandbox listening on {scheme}://{addr}")?;
            out.flush()?;
        }
        // The test root, written where any working directory reaches it (the copy in the
        // repository is only there for a checkout).
        let trust = if tls {
            let root = std::env::temp_dir().join("locker-sandbox-root.pem");
            std::fs::write(&root, locker_sandbox::TEST_ROOT_PEM)
                .map_err(|e| crate::Failure::file("write the test root to", &root, &e))?;
            format!(" --ca-file {}", root.display())
        } else {
            String::new()
        };
        eprintln!(
            "test mode: OTPs are printed here; enrol from another terminal with `locker enrol --backbone {scheme}://{addr}{trust}`"
        );
        if tls {
            for (what, pem) in [("root", locker_sandbox::TEST_ROOT_PEM), ("intermediate", locker_sandbox::TEST_INTERMEDIATE_PEM)] {
                eprintln!("pin of the test {what}: --pin {}", locker_core::sync::pin_of_certificate(pem)?);
            }
        }
        // Made-up numbers with a valid check digit: no real person's Aadhaar is needed here.
        let samples: Vec<String> = (1..=3).map(|n| locker_sandbox::test_aadhaar(n * 7_777_777)).collect();
        eprintln!("made-up Aadhaar numbers to try: {}", samples.join(", "));
        let tls = tls.then(locker_sandbox::SandboxTls::test_chain);
        let config = SandboxConfig { print_otps: true, tls, ..SandboxConfig::default() };
        locker_sandbox::serve(listener, config).await?;
        Ok(())
    })
}

/// Posts `body` to a test-mode sandbox's admin route `path` at `base` (plain HTTP on this
/// machine only) and returns the JSON answer. The admin routes are the sandbox's own test hooks,
/// never ABDM's, so this is not the backbone client: a few lines of HTTP/1.1 suffice.
pub fn admin_post(base: &str, path: &str, body: &serde_json::Value) -> CliResult<serde_json::Value> {
    admin(base, "POST", path, &body.to_string())
}

/// Reads a test-mode sandbox's admin route `path` at `base`, as `admin_post` posts.
pub fn admin_get(base: &str, path: &str) -> CliResult<serde_json::Value> {
    admin(base, "GET", path, "")
}

fn admin(base: &str, method: &str, path: &str, body: &str) -> CliResult<serde_json::Value> {
    use std::io::Read;
    let refuse = || crate::Failure::usage(format!("{base} is not a sandbox on this machine (http://127.0.0.1:PORT)"));
    let host = base.strip_prefix("http://").ok_or_else(refuse)?.trim_end_matches('/');
    let addr: std::net::SocketAddr = host.replace("localhost", "127.0.0.1").parse().map_err(|_| refuse())?;
    if !addr.ip().is_loopback() {
        return Err(refuse());
    }
    let unreachable = |e: std::io::Error| {
        crate::Failure::with_code(
            crate::exit::NETWORK,
            format!("the sandbox at {base} could not be reached: {}", crate::explain(&e)),
        )
    };
    let mut conn =
        std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(5)).map_err(unreachable)?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10))).map_err(unreachable)?;
    write!(
        conn,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(unreachable)?;
    let mut answer = String::new();
    conn.read_to_string(&mut answer).map_err(unreachable)?;
    let (head, json) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).unwrap_or("");
    if !status.starts_with('2') {
        return Err(crate::Failure::with_code(
            crate::exit::REFUSED,
            format!("the sandbox at {base} refused {path} (HTTP {status}); is it in test mode?"),
        ));
    }
    serde_json::from_str(json).map_err(|_| {
        crate::Failure::with_code(crate::exit::NETWORK, format!("the sandbox at {base} answered {path} unreadably"))
    })
}

/// A consent-manager login token for `patient` from a test-mode sandbox at `base`.
pub fn phr_login(base: &str, patient: &str) -> CliResult<String> {
    let v = admin_post(base, "/admin/phr-login", &serde_json::json!({ "abhaAddress": patient }))?;
    v["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| crate::Failure::with_code(crate::exit::NETWORK, "the sandbox's login answer holds no token"))
}

/// The OTP a sample hospital of a test-mode sandbox at `base` sent for link `link_ref`.
pub fn link_otp(base: &str, link_ref: &str) -> CliResult<String> {
    let v = admin_get(base, &format!("/admin/link-otp/{link_ref}"))?;
    v["otp"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| crate::Failure::with_code(crate::exit::NETWORK, "the sandbox's answer holds no OTP"))
}

/// `locker sandbox ask`: a doctor at a sample HIU asks for the citizen's records of the last ten
/// years, to be erased in a year.
fn ask(url: &str, patient: &str, hiu: &str, hi_types: &[String], mode: &str) -> CliResult {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let year = 365 * 86_400_000;
    let at = locker_calendar::iso_utc_ms;
    let body = serde_json::json!({
        "hiuId": hiu,
        "purpose": {"text": "Care Management", "code": "CAREMGT"},
        "patient": {"id": patient},
        "requester": {"name": "Dr. Meera Pillai", "identifier": {"type": "REGNO", "value": "MH-12345", "system": "https://www.mciindia.org"}},
        "hiTypes": hi_types,
        "permission": {
            "accessMode": mode.to_ascii_uppercase(),
            "dateRange": {"from": at(now - 10 * year), "to": at(now)},
            "dataEraseAt": at(now + year),
            "frequency": {"unit": "HOUR", "value": 1, "repeats": 0},
        },
    });
    let v = admin_post(url, "/admin/consent/requests", &body)?;
    let id = v["id"]
        .as_str()
        .ok_or_else(|| crate::Failure::with_code(crate::exit::NETWORK, "the sandbox's answer holds no id"))?;
    println!("{id}");
    Ok(())
}
