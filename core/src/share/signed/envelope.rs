//! The layers around a QR's COSE bytes (docs/signed-qr.md, layers 1 and 2): `HL1:`, Base45 and,
//! only when it makes the QR shorter, zlib. No trimming or case folding: a QR decoder returns
//! exactly what was drawn, and anything else did not come from a locker.

use super::base45;
use super::compress::{self, InflateError, MAX_INFLATED, ZLIB_FIRST_BYTE};
use super::problem::SignedQrProblem;

/// What every signed QR's text starts with; the `1` is the version of this format.
pub const PREFIX: &str = "HL1:";
/// The first byte of a tagged COSE_Sign1 (tag 18).
pub const COSE_SIGN1_FIRST_BYTE: u8 = 0xD2;

/// The text to draw for a QR's COSE bytes.
pub fn seal(cose: &[u8]) -> String {
    format!("{PREFIX}{}", base45::encode(&compress::deflate_if_shorter(cose)))
}

/// The COSE bytes inside a QR's text: `WrongPrefix`, `BadBase45`, `TooLarge` (more than
/// [`MAX_INFLATED`] bytes, before or after inflating), `BadCompression`, or `BadCose` when the
/// bytes are neither zlib nor a tagged COSE_Sign1.
pub fn open(text: &str) -> Result<Vec<u8>, SignedQrProblem> {
    let b45 = text.strip_prefix(PREFIX).ok_or(SignedQrProblem::WrongPrefix)?;
    let bytes = base45::decode(b45).map_err(|_| SignedQrProblem::BadBase45)?;
    if bytes.len() > MAX_INFLATED {
        return Err(SignedQrProblem::TooLarge);
    }
    let cose = if bytes.first() == Some(&ZLIB_FIRST_BYTE) {
        compress::inflate(&bytes).map_err(|e| match e {
            InflateError::TooLarge => SignedQrProblem::TooLarge,
            InflateError::Bad => SignedQrProblem::BadCompression,
        })?
    } else {
        bytes
    };
    if cose.first() != Some(&COSE_SIGN1_FIRST_BYTE) {
        return Err(SignedQrProblem::BadCose);
    }
    Ok(cose)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layers_come_off_in_order() {
        let cose = [&[COSE_SIGN1_FIRST_BYTE][..], &[0x84; 40]].concat();
        let text = seal(&cose);
        assert!(text.starts_with(PREFIX));
        assert_eq!(open(&text).unwrap(), cose);
        let mut random = vec![COSE_SIGN1_FIRST_BYTE];
        random.extend((0..40u8).map(|i| i.wrapping_mul(97) ^ 0x5A));
        assert_eq!(open(&seal(&random)).unwrap(), random);
        let cases = [
            ("hl1:BB8", SignedQrProblem::WrongPrefix),
            (" HL1:BB8", SignedQrProblem::WrongPrefix),
            ("HC1:BB8", SignedQrProblem::WrongPrefix),
            ("HL1:BB8A", SignedQrProblem::BadBase45),
            ("HL1:bb8", SignedQrProblem::BadBase45),
            ("HL1:", SignedQrProblem::BadCose),
            ("HL1:BB8", SignedQrProblem::BadCose),
        ];
        for (text, problem) in cases {
            assert_eq!(open(text), Err(problem), "{text}");
        }
        let huge = format!("{PREFIX}{}", base45::encode(&[COSE_SIGN1_FIRST_BYTE; MAX_INFLATED + 1]));
        assert_eq!(open(&huge), Err(SignedQrProblem::TooLarge));
        let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&[COSE_SIGN1_FIRST_BYTE; 100_000], 9);
        assert_eq!(open(&format!("{PREFIX}{}", base45::encode(&bomb))), Err(SignedQrProblem::TooLarge));
        let broken = [ZLIB_FIRST_BYTE, 0x9C, 0x01, 0x02];
        assert_eq!(open(&format!("{PREFIX}{}", base45::encode(&broken))), Err(SignedQrProblem::BadCompression));
    }
}
