//! How a record's bundle text is kept in the database: LZ4-compressed behind a one-byte tag.
//! FHIR JSON shrinks 2.5–5x, so the store takes less of a cheap phone's flash and SQLCipher
//! encrypts (and HMACs) fewer pages per import; decompression runs at gigabytes a second.

use crate::error::{Error, Result};

/// The longest text a body may unpack to: a bundle's own limit (`records::MAX_BUNDLE_BYTES`).
pub(crate) const MAX_TEXT_BYTES: usize = 512 * 1024 * 1024;

const RAW: u8 = 0;
const LZ4: u8 = 1;

/// The stored form of `text`.
pub(crate) fn pack(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 2 + 16);
    out.push(LZ4);
    out.extend_from_slice(&lz4_flex::compress_prepend_size(text));
    if out.len() > text.len() {
        // Incompressible: keep it as it is.
        out.clear();
        out.push(RAW);
        out.extend_from_slice(text);
    }
    out
}

/// The text back from its stored form.
pub(crate) fn unpack(stored: &[u8]) -> Result<Vec<u8>> {
    let damaged = || Error::Corrupt("a record body cannot be read".into());
    match stored.split_first() {
        Some((&RAW, text)) => Ok(text.to_vec()),
        Some((&LZ4, packed)) => {
            // The stated size is checked before anything is allocated for it.
            let size = u32::from_le_bytes(packed.get(..4).ok_or_else(damaged)?.try_into().expect("4 bytes")) as usize;
            if size > MAX_TEXT_BYTES {
                return Err(damaged());
            }
            lz4_flex::decompress_size_prepended(packed).map_err(|_| damaged())
        }
        _ => Err(damaged()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_compressed_or_not() {
        let json =
            br#"{"resourceType":"Bundle","entry":[{"a":"aaaaaaaaaaaaaaaaaaaaaaaa"},{"a":"aaaaaaaaaaaaaaaaaaaaaaaa"}]}"#;
        let packed = pack(json);
        assert_eq!(packed[0], LZ4);
        assert!(packed.len() < json.len());
        assert_eq!(unpack(&packed).unwrap(), json);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let noise: Vec<u8> = (0..300)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        assert_eq!(pack(&noise)[0], RAW);
        assert_eq!(unpack(&pack(&noise)).unwrap(), noise);
        assert_eq!(unpack(&pack(b"")).unwrap(), b"");
    }

    #[test]
    fn damaged_bodies_are_corrupt_not_a_panic_or_a_huge_allocation() {
        for bad in [
            &b""[..],
            &[9, 1, 2][..],
            &[LZ4, 1][..],
            &[LZ4, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3][..],
            &[LZ4, 10, 0, 0, 0, 0xf0][..],
        ] {
            assert!(matches!(unpack(bad), Err(Error::Corrupt(_))), "{bad:?}");
        }
    }
}
