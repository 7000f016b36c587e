//! Base45 (RFC 9285): the text a QR's alphanumeric mode holds densely. Encoding never fails;
//! decoding refuses, with a typed error and never a panic, anything RFC 9285 does not produce.

use std::fmt;

/// The 45 characters of QR alphanumeric mode, in RFC 9285's order.
const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Why a text is not Base45.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base45Error {
    /// A character outside the 45 of the alphabet.
    BadCharacter,
    /// A length of 3n + 1, which no encoding makes.
    BadLength,
    /// A group worth more than its bytes can hold (above 65 535, or 255 for a final pair).
    Overflow,
}

impl fmt::Display for Base45Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Base45Error::BadCharacter => "a character outside the Base45 alphabet",
            Base45Error::BadLength => "a length no Base45 encoding has",
            Base45Error::Overflow => "a Base45 group worth more than its bytes hold",
        })
    }
}

impl std::error::Error for Base45Error {}

/// Each pair of bytes as three characters (least significant first), a last single byte as two.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    let mut push = |n: u32, digits: usize| {
        let mut n = n;
        for _ in 0..digits {
            out.push(char::from(ALPHABET[(n % 45) as usize]));
            n /= 45;
        }
    };
    let mut pairs = bytes.chunks_exact(2);
    for p in &mut pairs {
        push(u32::from(p[0]) << 8 | u32::from(p[1]), 3);
    }
    if let [last] = pairs.remainder() {
        push(u32::from(*last), 2);
    }
    out
}

fn value(c: u8) -> Result<u32, Base45Error> {
    ALPHABET.iter().position(|&a| a == c).map(|v| v as u32).ok_or(Base45Error::BadCharacter)
}

/// The bytes `text` encodes. Characters are checked before the length, so a text with a
/// character outside the alphabet is `BadCharacter` whatever its length.
pub fn decode(text: &str) -> Result<Vec<u8>, Base45Error> {
    let chars = text.as_bytes();
    let values = chars.iter().map(|&c| value(c)).collect::<Result<Vec<u32>, _>>()?;
    if values.len() % 3 == 1 {
        return Err(Base45Error::BadLength);
    }
    let mut out = Vec::with_capacity(values.len() / 3 * 2 + 1);
    for group in values.chunks(3) {
        let n = group.iter().rev().fold(0u32, |n, v| n * 45 + v);
        if group.len() == 3 {
            let n = u16::try_from(n).map_err(|_| Base45Error::Overflow)?;
            out.extend_from_slice(&n.to_be_bytes());
        } else {
            out.push(u8::try_from(n).map_err(|_| Base45Error::Overflow)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9285, section 4.3 and 4.4's examples.
    #[test]
    fn rfc_9285s_examples() {
        for (bytes, text) in [
            (&b"AB"[..], "BB8"),
            (b"Hello!!", "%69 VD92EX0"),
            (b"base-45", "UJCLQE7W581"),
            (b"ietf!", "QED8WEX0"),
            (b"", ""),
        ] {
            assert_eq!(encode(bytes), text);
            assert_eq!(decode(text).unwrap(), bytes);
        }
    }

    #[test]
    fn what_rfc_9285_never_makes_is_refused() {
        assert_eq!(decode("GGW"), Err(Base45Error::Overflow), "65 536 is past two bytes");
        assert_eq!(decode(":::"), Err(Base45Error::Overflow));
        assert_eq!(decode("FGW"), Ok(vec![0xFF, 0xFF]), "65 535 is the largest group");
        assert_eq!(decode("U5"), Ok(vec![0xFF]));
        assert_eq!(decode("V5"), Err(Base45Error::Overflow), "256 in a final pair");
        assert_eq!(decode("BB8A"), Err(Base45Error::BadLength));
        assert_eq!(decode("A"), Err(Base45Error::BadLength));
        assert_eq!(decode("bb8"), Err(Base45Error::BadCharacter), "lower case is not Base45");
        assert_eq!(decode("BB8é"), Err(Base45Error::BadCharacter));
        assert_eq!(decode("B_8"), Err(Base45Error::BadCharacter));
    }

    #[test]
    fn every_byte_pair_round_trips() {
        let all: Vec<u8> = (0..=255u8).flat_map(|a| (0..=255u8).flat_map(move |b| [a, b])).collect();
        assert_eq!(decode(&encode(&all)).unwrap(), all);
        assert_eq!(decode(&encode(&all[..3])).unwrap(), &all[..3]);
    }
}
