//! TLS to the backbone: the public WebPKI roots (plus any a deployment adds), and optionally
//! pinned keys. A pin is the SHA-256 of a certificate's SubjectPublicKeyInfo, written
//! `sha256/<base64>` as HPKP and OkHttp write it. With pins set, a server is accepted only if a
//! chain that verifies from its certificate to a trusted root passes through a pinned key (the
//! server's own, an intermediate's or the root's). Only certificates on a verified path count:
//! a pinned certificate merely sent along beside some other valid chain proves nothing.

use super::config::BackboneConfig;
use crate::error::{Error, Result};
use base64::Engine as _;
use ring::digest::{SHA256, digest};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;

/// A pin: SHA-256 of a DER SubjectPublicKeyInfo.
pub(crate) type Pin = [u8; 32];

/// Reads `sha256/<base64>` (the prefix may be left out).
pub(crate) fn parse_pin(text: &str) -> Result<Pin> {
    let b64 = text.trim();
    let b64 = b64.strip_prefix("sha256/").unwrap_or(b64);
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .ok()
        .and_then(|d| Pin::try_from(d.as_slice()).ok())
        .ok_or_else(|| Error::InvalidInput("a pinned key is not sha256/ and the base64 of 32 bytes".into()))
}

/// `sha256/<base64>` of a DER SubjectPublicKeyInfo: what to put in `pinned_keys`.
pub fn pin_of_spki(spki_der: &[u8]) -> String {
    format!("sha256/{}", base64::engine::general_purpose::STANDARD.encode(digest(&SHA256, spki_der)))
}

/// The pin of the first certificate in `pem` (`-----BEGIN CERTIFICATE-----`): how a deployment
/// turns the backbone's certificate, its intermediate or its root into a `pinned_keys` entry.
pub fn pin_of_certificate(pem: &str) -> Result<String> {
    let unreadable = || Error::InvalidInput("not a readable PEM certificate".into());
    let der = parse_roots(pem)?.into_iter().next().ok_or_else(unreadable)?;
    let cert = webpki::EndEntityCert::try_from(&der).map_err(|_| unreadable())?;
    Ok(pin_of_spki(cert.subject_public_key_info().as_ref()))
}

/// The certificates in a PEM bundle (`-----BEGIN CERTIFICATE-----` blocks; anything else is
/// skipped).
pub(crate) fn parse_roots(pem: &str) -> Result<Vec<CertificateDer<'static>>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| Error::InvalidInput("the extra root certificates are not readable PEM".into()))
}

/// The TLS setup for `config`: roots, and the pinning verifier when pins are set.
pub(crate) fn client_config(config: &BackboneConfig) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    for cert in parse_roots(&config.extra_roots_pem)? {
        roots
            .add(cert)
            .map_err(|_| Error::InvalidInput("an extra root certificate is not a usable CA certificate".into()))?;
    }
    let roots = Arc::new(roots);
    let pins = config.pinned_keys.iter().map(|p| parse_pin(p)).collect::<Result<Vec<_>>>()?;
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|_| Error::InvalidInput("TLS could not be set up".into()))?;
    let config = if pins.is_empty() {
        builder.with_root_certificates(roots)
    } else {
        let verifier = PinningVerifier::new(roots, provider, pins)?;
        builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier))
    };
    Ok(config.with_no_client_auth())
}

/// Whether a failed request failed because the server's certificate was refused (unknown
/// issuer, wrong name, expired, or no pinned key on its path), rather than for want of a
/// network. Such a failure is not retried: it is either an attack or a misconfiguration.
pub(crate) fn is_certificate_failure(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return matches!(tls, rustls::Error::InvalidCertificate(_));
        }
        next = match e.downcast_ref::<std::io::Error>() {
            // tokio-rustls and hyper wrap rustls' error in io::Errors, whose `source` skips the
            // wrapped error itself: step into it instead.
            Some(io) => io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    false
}

/// WebPKI verification as rustls does it, then a second path search that only accepts paths
/// through a pinned key.
#[derive(Debug)]
struct PinningVerifier {
    inner: Arc<WebPkiServerVerifier>,
    roots: Arc<RootCertStore>,
    algorithms: WebPkiSupportedAlgorithms,
    pins: Vec<Pin>,
}

impl PinningVerifier {
    fn new(roots: Arc<RootCertStore>, provider: Arc<CryptoProvider>, pins: Vec<Pin>) -> Result<Self> {
        let algorithms = provider.signature_verification_algorithms;
        let inner = WebPkiServerVerifier::builder_with_provider(roots.clone(), provider)
            .build()
            .map_err(|_| Error::InvalidInput("TLS could not be set up".into()))?;
        Ok(PinningVerifier { inner, roots, algorithms, pins })
    }

    fn pinned(&self, spki_der: &[u8]) -> bool {
        let d = digest(&SHA256, spki_der);
        self.pins.iter().any(|p| p.as_slice() == d.as_ref())
    }

    fn path_is_pinned(&self, path: &webpki::VerifiedPath<'_>) -> bool {
        let ee = path.end_entity().subject_public_key_info();
        // A trust anchor keeps its SubjectPublicKeyInfo without the outer SEQUENCE.
        let anchor = der_sequence(path.anchor().subject_public_key_info.as_ref());
        self.pinned(ee.as_ref())
            || path.intermediate_certificates().any(|c| self.pinned(c.subject_public_key_info().as_ref()))
            || self.pinned(&anchor)
    }
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)?;
        let refused = || rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure);
        let cert = webpki::EndEntityCert::try_from(end_entity).map_err(|_| refused())?;
        // Rejecting a path makes webpki look for another, so a pinned path is found if any exists.
        let only_pinned = |path: &webpki::VerifiedPath<'_>| {
            if self.path_is_pinned(path) { Ok(()) } else { Err(webpki::Error::UnknownIssuer) }
        };
        cert.verify_for_usage(
            self.algorithms.all,
            &self.roots.roots,
            intermediates,
            now,
            webpki::KeyUsage::server_auth(),
            None,
            Some(&only_pinned),
        )
        .map_err(|_| refused())?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `contents` wrapped in a DER SEQUENCE header (webpki hands out a key's contents only).
fn der_sequence(contents: &[u8]) -> Vec<u8> {
    use der::Encode;
    let mut out = Vec::with_capacity(contents.len() + 6);
    let header = der::Length::try_from(contents.len()).and_then(|len| der::Header::new(der::Tag::Sequence, len));
    // A key is far below DER's 256 MiB length limit: a header always encodes.
    if let Ok(h) = header
        && h.encode_to_vec(&mut out).is_ok()
    {
        out.extend_from_slice(contents);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_read_with_or_without_their_prefix_and_nothing_else() {
        let spki = b"not really a key, but any bytes hash";
        let pin = pin_of_spki(spki);
        assert!(pin.starts_with("sha256/"));
        let raw: Pin = digest(&SHA256, spki).as_ref().try_into().unwrap();
        assert_eq!(parse_pin(&pin).unwrap(), raw);
        assert_eq!(parse_pin(pin.trim_start_matches("sha256/")).unwrap(), raw);
        for bad in ["", "sha256/", "sha256/AAAA", "sha1/not-base64!", &pin[..pin.len() - 4]] {
            assert!(matches!(parse_pin(bad), Err(Error::InvalidInput(_))), "{bad:?}");
        }
    }

    #[test]
    fn der_sequence_headers_short_and_long_forms() {
        assert_eq!(der_sequence(&[1, 2]), vec![0x30, 2, 1, 2]);
        let long = vec![7u8; 0x1234];
        let wrapped = der_sequence(&long);
        assert_eq!(&wrapped[..4], &[0x30, 0x82, 0x12, 0x34]);
        assert_eq!(wrapped.len(), 4 + 0x1234);
        assert_eq!(der_sequence(&[0; 0x80])[..3], [0x30, 0x81, 0x80]);
    }
}
