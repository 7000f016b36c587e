//! The locker's own signed profile code (docs/signed-qr.md): made on the phone, with no network,
//! whenever it is shown, signed by this device's P-256 key, which an issuer certified when the
//! phone was last online. The key never leaves the store; the certificate is renewed, when
//! online, in its last week.

use super::sharing::Shares;
use super::signed::{DeviceCertificate, DeviceQrKey, QR_VALIDITY_SECS, QrClaims, sign_qr};
use crate::abha::AbhaNumber;
use crate::error::{Error, Result};
use crate::profiles::{self, Profile};
use crate::sync::Backbone;
use rusqlite::{Connection, OptionalExtension, params};
use zeroize::Zeroizing;

/// A signed profile code, ready to draw.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedQr {
    /// `HL1:…`: QR alphanumeric characters only.
    pub text: String,
    /// When a counter stops taking it (ms), unless the device's certificate ends first.
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for SignedQr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedQr").field("expires_at_ms", &self.expires_at_ms).finish_non_exhaustive()
    }
}

/// What the certification left on the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QrCertification {
    /// Until when codes made here verify (ms).
    pub not_after_ms: i64,
    /// Whether the issuer was asked (false: the certificate kept still had more than a week).
    pub renewed: bool,
}

struct Kept {
    key: DeviceQrKey,
    certificate: Option<(Vec<u8>, DeviceCertificate)>,
}

fn kept(conn: &Connection) -> Result<Option<Kept>> {
    type Row = (Zeroizing<Vec<u8>>, Option<Vec<u8>>);
    let row: Option<Row> = conn
        .query_row("SELECT pkcs8, certificate FROM qr_device_key WHERE id = 1", [], |r| {
            Ok((Zeroizing::new(r.get(0)?), r.get(1)?))
        })
        .optional()?;
    let Some((pkcs8, certificate)) = row else { return Ok(None) };
    let key = DeviceQrKey::from_pkcs8(&pkcs8).map_err(|_| Error::Corrupt("the device's QR key".into()))?;
    let certificate = match certificate {
        Some(bytes) => {
            let parsed = DeviceCertificate::parse(&bytes).map_err(|_| Error::Corrupt("the QR certificate".into()))?;
            Some((bytes, parsed))
        }
        None => None,
    };
    Ok(Some(Kept { key, certificate }))
}

/// `YYYY-MM-DD` or `YYYY` as the claims' `yyyymmdd` (unknown parts 0).
fn birth_number(birth: &str) -> Option<u32> {
    let mut parts = birth.split('-');
    let year: u32 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    let day: u32 = parts.next().map_or(Some(0), |d| d.parse().ok())?;
    Some(year * 10_000 + month * 100 + day)
}

/// The claims of `p`'s code, valid from `now_s` for a day (or to the certificate's end): what a
/// counter needs to register them and ask for their link token, and nothing more.
fn claims_of(p: &Profile, now_s: u64, not_after_s: u64) -> Result<QrClaims> {
    let abha_number = p.abha_number.as_deref().map(AbhaNumber::parse).transpose()?;
    if abha_number.is_none() && p.abha_address.is_none() {
        return Err(Error::InvalidInput("a signed code needs the profile's ABHA number or address".into()));
    }
    Ok(QrClaims {
        issued_at: now_s,
        expires_at: (now_s + QR_VALIDITY_SECS).min(not_after_s),
        abha_number,
        abha_address: p.abha_address.as_deref().map(str::to_ascii_lowercase),
        name: p.name.clone(),
        gender: p.gender,
        birth: birth_number(&p.birth_date).ok_or_else(|| Error::Corrupt("a birth date".into()))?,
        mobile: None,
        pincode: None,
    })
}

impl Shares<'_> {
    /// Has the issuer certify this device's QR key (made here the first time), as `patient`
    /// (an ABHA address signed in to the consent manager). Does nothing while the certificate
    /// kept has more than a week left.
    pub async fn certify_qr_key(&self, backbone: &Backbone, patient: &str) -> Result<QrCertification> {
        let now_s = self.0.now_s();
        let key = match self.0.read(|r| kept(r.conn()))? {
            Some(Kept { certificate: Some((_, c)), .. }) if !c.due_for_renewal(now_s) => {
                return Ok(QrCertification { not_after_ms: c.not_after as i64 * 1000, renewed: false });
            }
            Some(k) => k.key,
            None => {
                let key = DeviceQrKey::generate().map_err(|_| Error::Corrupt("no randomness for a key".into()))?;
                self.0.write(|tx| {
                    tx.execute(
                        "INSERT INTO qr_device_key (id, pkcs8, created_at) VALUES (1, ?1, ?2)",
                        params![key.pkcs8(), tx.now()],
                    )?;
                    tx.audit("share.qr-key", None, None)
                })?;
                key
            }
        };
        let token = crate::consent::token_of(self.0, &crate::consent::normal_patient(patient)?)?;
        let answer = backbone.certify_qr_key(&token, key.public_key()).await?;
        let bytes = answer
            .get("certificate")
            .and_then(serde_json::Value::as_str)
            .and_then(|s| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, s).ok())
            .ok_or_else(|| Error::UnreadableAnswer { what: "qr-certificate".into() })?;
        let certificate =
            DeviceCertificate::parse(&bytes).map_err(|_| Error::UnreadableAnswer { what: "qr-certificate".into() })?;
        self.0.write(|tx| {
            tx.execute(
                "UPDATE qr_device_key SET certificate = ?1, not_after = ?2 WHERE id = 1",
                params![bytes, certificate.not_after as i64],
            )?;
            tx.audit("share.qr-certified", None, Some(&format!("not_after={}", certificate.not_after)))
        })?;
        Ok(QrCertification { not_after_ms: certificate.not_after as i64 * 1000, renewed: true })
    }

    /// The id of this device's QR key (as a revocation list names it), once it has one.
    pub fn qr_key_id(&self) -> Result<Option<[u8; 8]>> {
        Ok(self.0.read(|r| kept(r.conn()))?.map(|k| k.key.key_id()))
    }

    /// `profile_id`'s signed code, made now with no network. Needs a certificate that still
    /// holds (see [`Shares::certify_qr_key`]).
    pub fn signed_qr(&self, profile_id: &str) -> Result<SignedQr> {
        let now_s = self.0.now_s();
        let (k, profile) = self.0.read(|r| Ok((kept(r.conn())?, profiles::get(r.conn(), profile_id)?)))?;
        let not_certified = || Error::WrongStep { state: "qr-key-not-certified".into() };
        let Kept { key, certificate } = k.ok_or_else(not_certified)?;
        let (bytes, certificate) = certificate.ok_or_else(not_certified)?;
        if certificate.not_after <= now_s {
            return Err(Error::WrongStep { state: "qr-certificate-expired".into() });
        }
        let claims = claims_of(&profile, now_s, certificate.not_after)?;
        let text =
            sign_qr(&claims, &key, &bytes).map_err(|e| Error::InvalidInput(format!("the code: {}", e.code())))?;
        self.0.write(|tx| tx.audit("share.qr-shown", Some(profile_id), None))?;
        Ok(SignedQr { text, expires_at_ms: claims.expires_at as i64 * 1000 })
    }
}

#[cfg(test)]
mod tests {
    use super::birth_number;

    #[test]
    fn birth_dates_become_yyyymmdd_with_unknown_parts_zero() {
        assert_eq!(birth_number("1986-03-05"), Some(19_860_305));
        assert_eq!(birth_number("1990"), Some(19_900_000));
        assert_eq!(birth_number("x"), None);
    }
}
