//! Decodes base64 as some senders write it inside JSON strings: wrapped in lines, with escaped
//! slashes (`\/`) or line breaks (`\n`, `\r\n`), padding optional. Streams, so a large
//! attachment never has to be held whole.

use std::io::{self, Read};

fn value(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    })
}

fn not_base64() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "inline data is not base64")
}

/// Reads raw JSON string text, yields the decoded bytes.
pub struct LenientBase64<R: Read> {
    inp: R,
    raw: Vec<u8>,
    raw_pos: usize,
    escape: bool,
    quad: [u8; 4],
    quad_len: usize,
    out: Vec<u8>,
    out_pos: usize,
    done: bool,
}

impl<R: Read> LenientBase64<R> {
    pub fn new(inp: R) -> Self {
        LenientBase64 {
            inp,
            raw: vec![0; 16 * 1024],
            raw_pos: 0,
            escape: false,
            quad: [0; 4],
            quad_len: 0,
            out: Vec::with_capacity(12 * 1024),
            out_pos: 0,
            done: false,
        }
    }

    fn emit_quad(&mut self) {
        let q = self.quad;
        let n = self.quad_len;
        let bits = (q[0] as u32) << 18 | (q[1] as u32) << 12 | (q[2] as u32) << 6 | q[3] as u32;
        let bytes = [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8];
        self.out.extend_from_slice(&bytes[..n - 1]);
        self.quad = [0; 4];
        self.quad_len = 0;
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        while self.out.is_empty() && !self.done {
            let n = self.inp.read(&mut self.raw[self.raw_pos..])?;
            if n == 0 {
                self.done = true;
                match self.quad_len {
                    0 => {}
                    1 => return Err(not_base64()),
                    _ => self.emit_quad(),
                }
                break;
            }
            for i in 0..n {
                let c = self.raw[i];
                if self.escape {
                    self.escape = false;
                    match c {
                        b'/' => self.push(b'/')?,
                        b'n' | b'r' | b't' => {}
                        _ => return Err(not_base64()),
                    }
                    continue;
                }
                match c {
                    b'\\' => self.escape = true,
                    b'=' | b' ' | b'\n' | b'\r' | b'\t' => {}
                    _ => self.push(c)?,
                }
            }
        }
        Ok(())
    }

    fn push(&mut self, c: u8) -> io::Result<()> {
        self.quad[self.quad_len] = value(c).ok_or_else(not_base64)?;
        self.quad_len += 1;
        if self.quad_len == 4 {
            self.emit_quad();
        }
        Ok(())
    }
}

impl<R: Read> Read for LenientBase64<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out.len() {
            self.refill()?;
        }
        let n = (self.out.len() - self.out_pos).min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn decode(text: &str) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        LenientBase64::new(text.as_bytes()).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn wrapped_escaped_and_unpadded_text_decodes() {
        let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
        let wrapped: String =
            b64.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\\r\\n");
        assert_eq!(decode(&wrapped.replace('/', "\\/")).unwrap(), data);
        assert_eq!(decode(b64.trim_end_matches('=')).unwrap(), data);
        assert!(decode("QUJD*").is_err());
        assert!(decode("Q").is_err());
    }
}
