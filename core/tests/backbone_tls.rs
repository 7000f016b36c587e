//! The phone talks to the backbone and to nothing that merely pretends to be it: real TLS
//! handshakes on loopback against the sandbox serving fixture chains, with and without pinned
//! keys, and a field worker's queue behind a captive portal that intercepts TLS.

mod common;

use common::field::{aadhaar, citizen, consent, fast, sandbox_config};
use common::key;
use locker_core::sync::pin_of_certificate;
use locker_core::{Backbone, BackboneConfig, EnrolmentState, Error, Locker};
use locker_sandbox::{OTHER_ROOT_PEM, Sandbox, SandboxConfig, SandboxTls, TEST_INTERMEDIATE_PEM, TEST_ROOT_PEM};

fn tls_sandbox(tls: SandboxTls) -> Sandbox {
    Sandbox::start(SandboxConfig { tls: Some(tls), ..SandboxConfig::default() }).unwrap()
}

fn config(sb: &Sandbox, extra_roots_pem: &str, pinned_keys: Vec<String>) -> BackboneConfig {
    let mut c = fast(sandbox_config(&sb.url()));
    c.extra_roots_pem = extra_roots_pem.into();
    c.pinned_keys = pinned_keys;
    c.max_attempts = 2;
    c
}

async fn reach(c: BackboneConfig) -> Result<(), Error> {
    Backbone::new(c)?.public_key().await.map(|_| ())
}

/// The pin of the first certificate in `pem`.
fn pin(pem: &str) -> String {
    pin_of_certificate(pem).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backbone_is_reached_over_tls_when_its_root_is_trusted() {
    let sb = tls_sandbox(SandboxTls::test_chain());
    assert!(sb.url().starts_with("https://127.0.0.1:"));
    reach(config(&sb, TEST_ROOT_PEM, vec![])).await.unwrap();
    assert!(!sb.stats().applied.is_empty(), "the calls reached the sandbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_issuer_is_refused_and_not_taken_for_a_missing_network() {
    let sb = tls_sandbox(SandboxTls::test_chain());
    // Only the public roots: the fixture chain is nobody's.
    assert!(matches!(reach(config(&sb, "", vec![])).await, Err(Error::UntrustedBackbone)));
    // Another chain's root does not vouch for this one either.
    assert!(matches!(reach(config(&sb, OTHER_ROOT_PEM, vec![])).await, Err(Error::UntrustedBackbone)));
    assert!(sb.stats().applied.is_empty(), "no request reached the server: {:?}", sb.stats().applied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_key_anywhere_on_the_verified_chain_is_accepted() {
    let sb = tls_sandbox(SandboxTls::test_chain());
    let server = SandboxTls::test_chain().cert_chain_pem;
    for (which, p) in
        [("server", pin(&server)), ("intermediate", pin(TEST_INTERMEDIATE_PEM)), ("root", pin(TEST_ROOT_PEM))]
    {
        // A backup pin that matches nothing beside it, as a deployment would carry.
        let backup = pin(OTHER_ROOT_PEM);
        let r = reach(config(&sb, TEST_ROOT_PEM, vec![backup, p])).await;
        assert!(r.is_ok(), "pinning the {which} key: {r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pins_that_match_nothing_on_the_chain_refuse_a_trusted_server() {
    let sb = tls_sandbox(SandboxTls::test_chain());
    let r = reach(config(&sb, TEST_ROOT_PEM, vec![pin(OTHER_ROOT_PEM)])).await;
    assert!(matches!(r, Err(Error::UntrustedBackbone)), "{r:?}");
    assert!(sb.stats().applied.is_empty(), "{:?}", sb.stats().applied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_certificate_sent_beside_another_valid_chain_proves_nothing() {
    // A server with a valid certificate from another CA, which also sends the pinned
    // intermediate along (it is public): the intermediate is not on the path that verifies.
    let mut tls = SandboxTls::other_chain();
    tls.cert_chain_pem.push_str(TEST_INTERMEDIATE_PEM);
    let sb = tls_sandbox(tls);
    let both_roots = format!("{TEST_ROOT_PEM}{OTHER_ROOT_PEM}");
    reach(config(&sb, &both_roots, vec![])).await.expect("without pins, the chain itself is valid");
    let r = reach(config(&sb, &both_roots, vec![pin(TEST_INTERMEDIATE_PEM)])).await;
    assert!(matches!(r, Err(Error::UntrustedBackbone)), "{r:?}");
}

#[test]
fn pins_are_what_openssl_computes_for_the_same_certificates() {
    let pins = include_str!("../../fixtures/sandbox/tls/pins.txt");
    let expected = |file: &str| {
        pins.lines().find_map(|l| l.strip_prefix(file)).map(|p| p.trim().to_string()).expect("pins.txt names it")
    };
    assert_eq!(pin(TEST_ROOT_PEM), expected("root.pem "));
    assert_eq!(pin(TEST_INTERMEDIATE_PEM), expected("intermediate.pem "));
    assert_eq!(pin(OTHER_ROOT_PEM), expected("other-root.pem "));
    assert_eq!(pin(&SandboxTls::test_chain().cert_chain_pem), expected("server.pem "));
}

#[test]
fn pins_and_roots_are_checked_when_the_client_is_made() {
    let mut c = sandbox_config("https://abhasbx.abdm.gov.in");
    c.pinned_keys = vec!["sha256/not-a-pin".into()];
    assert!(matches!(Backbone::new(c.clone()), Err(Error::InvalidInput(_))));
    c.pinned_keys = vec![pin(TEST_ROOT_PEM)];
    assert!(Backbone::new(c.clone()).is_ok());
    // Pinning means nothing without TLS, even to this machine.
    let mut plain = sandbox_config("http://127.0.0.1:8080");
    plain.pinned_keys = c.pinned_keys.clone();
    assert!(matches!(Backbone::new(plain), Err(Error::InvalidInput(_))));
    c.extra_roots_pem = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".into();
    assert!(matches!(Backbone::new(c), Err(Error::InvalidInput(_))));
    assert!(matches!(pin_of_certificate("no certificate here"), Err(Error::InvalidInput(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workers_queue_behind_a_captive_portal_waits_and_is_not_rejected() {
    let backbone_sb = tls_sandbox(SandboxTls::test_chain());
    let genuine = Backbone::new(config(&backbone_sb, TEST_ROOT_PEM, vec![pin(TEST_INTERMEDIATE_PEM)])).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let locker = Locker::create(dir.path(), key()).unwrap();
    locker.enrolment().refresh_backbone_key(&genuine).await.unwrap();
    let session = locker.enrolment().start_session("asha-0042", "tab-17", None).unwrap().id;
    for (n, name) in ["Sunita Pawar", "Ramesh Gawande"].iter().enumerate() {
        locker
            .enrolment()
            .capture(&session, citizen(name, &format!("98220{:05}", n)), aadhaar(700 + n as u64), &consent())
            .unwrap();
    }

    // The village's Wi-Fi answers every HTTPS connection with its own login page's certificate.
    let portal_sb = tls_sandbox(SandboxTls::other_chain());
    let mut behind_portal = config(&portal_sb, TEST_ROOT_PEM, vec![pin(TEST_INTERMEDIATE_PEM)]);
    behind_portal.gateway_url = portal_sb.url();
    behind_portal.abha_url = portal_sb.abha_url();
    let portal = Backbone::new(behind_portal).unwrap();
    let r = locker.enrolment().submit(&portal, Some(&session)).await.unwrap();
    assert_eq!((r.created, r.rejected, r.still_queued), (0, 0, 2));
    let queued = locker.enrolment().list(&Default::default()).unwrap();
    for e in &queued {
        assert_eq!(e.state, EnrolmentState::Queued);
        assert!(!e.erased, "nothing is erased for a network's fault");
        // Those not tried after the first refusal carry no error.
        assert!(matches!(e.last_error.as_deref(), None | Some("untrusted-backbone")), "{:?}", e.last_error);
    }
    assert!(queued.iter().any(|e| e.last_error.as_deref() == Some("untrusted-backbone")));
    assert!(portal_sb.stats().applied.is_empty());

    let r = locker.enrolment().submit(&genuine, Some(&session)).await.unwrap();
    assert_eq!((r.created, r.rejected, r.still_queued), (2, 0, 0));
    assert_eq!(backbone_sb.stats().duplicates, 0);
}
