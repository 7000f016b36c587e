//! `locker sandbox serve`: locker-sandbox alone on this machine, in test mode, so a newcomer
//! can enrol against it from another terminal. OTPs are printed on standard error; the first
//! line on standard output says where it listens (tests in other languages parse it).

use crate::CliResult;
use crate::args::SandboxCmd;
use locker_sandbox::SandboxConfig;
use std::io::Write;

pub fn run(cmd: SandboxCmd) -> CliResult {
    let SandboxCmd::Serve { port, tls } = cmd;
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
