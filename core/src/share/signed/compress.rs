//! zlib for the signed QR: applied by the issuer only when it makes the QR shorter, undone with a
//! hard cap. Two ES256 signatures are random bytes that never compress, so most QRs go without;
//! the cap is what keeps a 200-byte zlib bomb from becoming megabytes on a counter's phone.

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};

/// The most bytes a QR's content inflates to: far above any QR (version 40 holds under 3 KB),
/// far below what would hurt a phone.
pub const MAX_INFLATED: usize = 4096;

/// The first byte of every zlib stream we make (deflate, 32 KiB window).
pub const ZLIB_FIRST_BYTE: u8 = 0x78;

/// zlib's strongest level: the output is deterministic for a given input.
const LEVEL: u8 = 9;

/// Why a zlib stream was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InflateError {
    /// It inflates past [`MAX_INFLATED`].
    TooLarge,
    /// Not a complete zlib stream (header, deflate data, Adler-32), or bytes after its end.
    Bad,
}

/// `bytes` as zlib, when that is shorter; otherwise `bytes` unchanged.
pub fn deflate_if_shorter(bytes: &[u8]) -> Vec<u8> {
    let deflated = miniz_oxide::deflate::compress_to_vec_zlib(bytes, LEVEL);
    if deflated.len() < bytes.len() { deflated } else { bytes.to_vec() }
}

/// The bytes a zlib stream holds, never more than [`MAX_INFLATED`] of them. The output buffer
/// is one byte larger than the cap so that "exactly at the cap" and "past it" differ.
pub fn inflate(zlib: &[u8]) -> Result<Vec<u8>, InflateError> {
    let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let mut out = vec![0u8; MAX_INFLATED + 1];
    let mut state = Box::<DecompressorOxide>::default();
    let (status, consumed, written) = decompress(&mut state, zlib, &mut out, 0, flags);
    match status {
        TINFLStatus::Done if written > MAX_INFLATED => Err(InflateError::TooLarge),
        TINFLStatus::Done if consumed == zlib.len() => {
            out.truncate(written);
            Ok(out)
        }
        TINFLStatus::HasMoreOutput => Err(InflateError::TooLarge),
        _ => Err(InflateError::Bad),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_repeats_is_compressed_and_comes_back() {
        let text = b"Asha Devi Kumari, Asha Devi Kumari, Asha Devi Kumari".repeat(4);
        let z = deflate_if_shorter(&text);
        assert!(z.len() < text.len() && z[0] == ZLIB_FIRST_BYTE);
        assert_eq!(inflate(&z).unwrap(), text);
    }

    #[test]
    fn random_bytes_are_left_as_they_are() {
        let mut noise = [0u8; 128];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut noise).unwrap();
        assert_eq!(deflate_if_shorter(&noise), noise);
    }

    #[test]
    fn a_zlib_bomb_stops_at_the_cap() {
        let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0u8; 1 << 20], LEVEL);
        assert!(bomb.len() < 2048);
        assert_eq!(inflate(&bomb), Err(InflateError::TooLarge));
        let just = miniz_oxide::deflate::compress_to_vec_zlib(&[7u8; MAX_INFLATED], LEVEL);
        assert_eq!(inflate(&just).unwrap().len(), MAX_INFLATED, "exactly the cap is allowed");
        let over = miniz_oxide::deflate::compress_to_vec_zlib(&[7u8; MAX_INFLATED + 1], LEVEL);
        assert_eq!(inflate(&over), Err(InflateError::TooLarge));
    }

    #[test]
    fn broken_streams_are_refused() {
        let z = miniz_oxide::deflate::compress_to_vec_zlib(b"a QR's content, a QR's content", LEVEL);
        let mut bad_adler = z.clone();
        *bad_adler.last_mut().unwrap() ^= 1;
        let mut trailing = z.clone();
        trailing.push(0);
        for bad in [&z[..z.len() - 1], &bad_adler, &trailing, &[0x78][..], &[], &[0x78, 0x9C, 0xFF, 0xFF]] {
            assert_eq!(inflate(bad), Err(InflateError::Bad));
        }
    }
}
