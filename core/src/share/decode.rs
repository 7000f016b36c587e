//! Reading QR codes from what a phone sees: a camera frame (a luma plane, or RGBA), a PNG, and a
//! gallery photo once the platform has decoded it to a frame. Owns the order of passes over a picture and the bound on
//! its size; never interprets the texts it finds (`facility_qr.rs`, `abha_card.rs` and the signed
//! QR do) and never puts them in an error.
//!
//! Why rxing (a port of ZXing) and these passes: on `locker bench qr`'s 144 degraded frames
//! (rotation, blur, noise, JPEG, low contrast, glare, 2 and 1.5 px modules, tilt, mixes), rxing
//! through the passes below read 138 with a median of about 1 ms a frame; rqrr (quirc's port)
//! through the same passes 130 at about 17 ms; zxing-cpp 2.3.0, the reference, 131 at about
//! 1.3 ms. rxing alone, with no retry pass, reads 98: it misses every washed-out code and most
//! 1.5 px modules. In a stripped, size-optimised, fat-LTO test binary rxing (QR, multi-code,
//! encoding_rs, which its character sets require; the multi-code reader left out since) costs 369 KB and rqrr 184 KB. Photos are
//! decoded by the platform (JPEG, HEIC, EXIF rotation): the image crate's JPEG decoder took
//! 180 KB of the library (docs/decisions.md D26); PNG, whose encoder is linked anyway, is read here.

use super::frame::{Luma, MAX_PIXELS};
use std::io::Cursor;

/// Why no text came out of a picture. Carries nothing read from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum DecodeError {
    /// The picture was read, but holds no QR code that could be decoded.
    #[error("no QR code found")]
    NoCode,
    /// Not a PNG, damaged, or a frame whose sizes do not match its bytes.
    #[error("the image could not be read")]
    Unreadable,
    /// More pixels than a picture may have (`frame::MAX_PIXELS`).
    #[error("the image is too large")]
    TooLarge,
}

impl DecodeError {
    /// A stable code, for scripts and the bindings.
    pub fn code(self) -> &'static str {
        match self {
            DecodeError::NoCode => "no-code",
            DecodeError::Unreadable => "unreadable",
            DecodeError::TooLarge => "too-large",
        }
    }
}

/// A picture with more pixels than this is box-downscaled before the first pass: a code that
/// fills a fair part of a 12-megapixel photo still has several pixels a module at this size,
/// and the passes cost in proportion to the pixels.
pub const WORK_PIXELS: usize = 1_500_000;

/// The QR texts in a PNG (a screenshot, or a code this library drew). Photos in other formats
/// (JPEG, HEIC) are decoded by the platform, which does it in hardware and knows the formats the
/// camera writes, and handed over as a frame ([`decode_rgba`]).
pub fn decode_image(bytes: &[u8]) -> Result<Vec<String>, DecodeError> {
    decode_luma(&load_image(bytes)?)
}

/// The QR texts in a camera frame's luma (Y) plane: `height` rows of `stride` bytes, the first
/// `width` of each the picture.
pub fn decode_frame(plane: &[u8], width: u32, height: u32, stride: u32) -> Result<Vec<String>, DecodeError> {
    decode_luma(&Luma::from_plane(plane, width as usize, height as usize, stride as usize)?)
}

/// The QR texts in an RGBA frame (4 bytes a pixel, `stride` bytes a row).
pub fn decode_rgba(data: &[u8], width: u32, height: u32, stride: u32) -> Result<Vec<String>, DecodeError> {
    decode_luma(&Luma::from_rgba(data, width as usize, height as usize, stride as usize)?)
}

/// The QR text in a grey picture: one code a picture, as a scanner reads (with two in view,
/// whichever the decoder locks onto first). A list, so that reading several can come back
/// without changing the API.
pub fn decode_luma(luma: &Luma) -> Result<Vec<String>, DecodeError> {
    let found = scan(luma, detect);
    if found.is_empty() { Err(DecodeError::NoCode) } else { Ok(found) }
}

/// A PNG as a grey picture, refused from its header alone when it names more than `MAX_PIXELS`.
pub fn load_image(bytes: &[u8]) -> Result<Luma, DecodeError> {
    use png::{ColorType, Transformations};
    // 16-bit RGBA is the most a pixel decodes to before it is made grey.
    let limits = png::Limits { bytes: MAX_PIXELS * 8 };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), limits);
    decoder.set_transformations(Transformations::EXPAND | Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(refusal)?;
    let (w, h) = (reader.info().width as usize, reader.info().height as usize);
    if w.saturating_mul(h) > MAX_PIXELS {
        return Err(DecodeError::TooLarge);
    }
    let mut buf = vec![0; reader.output_buffer_size().ok_or(DecodeError::TooLarge)?];
    let frame = reader.next_frame(&mut buf).map_err(refusal)?;
    let channels = match frame.color_type {
        ColorType::Grayscale => 1,
        ColorType::GrayscaleAlpha => 2,
        ColorType::Rgb => 3,
        ColorType::Rgba => 4,
        ColorType::Indexed => return Err(DecodeError::Unreadable),
    };
    let (width, height, stride) = (frame.width as usize, frame.height as usize, frame.line_size);
    let mut grey = Vec::with_capacity(width * height);
    for row in buf.chunks(stride).take(height) {
        grey.extend(row.chunks(channels).take(width).map(|px| match channels {
            1 | 2 => px[0],
            // ITU-R BT.601 luma, in integers.
            _ => ((u32::from(px[0]) * 299 + u32::from(px[1]) * 587 + u32::from(px[2]) * 114) / 1000) as u8,
        }));
    }
    Luma::new(width, height, grey)
}

/// A PNG past the limit set on its decoding is too large; anything else wrong with it,
/// unreadable.
fn refusal(e: png::DecodingError) -> DecodeError {
    match e {
        png::DecodingError::LimitsExceeded => DecodeError::TooLarge,
        _ => DecodeError::Unreadable,
    }
}

/// The passes over a picture, each tried only when those before it found nothing: the picture
/// as it is (brought down to `WORK_PIXELS`), its contrast stretched (a washed-out code, which
/// the decoder's own block thresholds miss), binarised against a local mean over about six
/// modules (blur with noise, tilt), halved (noise), and for a small picture grown threefold
/// (modules under two pixels). A picture with a code is mostly read by the first pass; one
/// without pays for all of them. `detect` is the decoder; the bench passes another to compare
/// decoders over the same passes.
pub fn scan(luma: &Luma, mut detect: impl FnMut(&Luma) -> Vec<String>) -> Vec<String> {
    let pixels = luma.width() * luma.height();
    let factor = (1..).find(|f| pixels / (f * f) <= WORK_PIXELS).expect("some factor brings any picture down");
    let base = luma.downscaled(factor);
    let mut passes: Vec<Box<dyn Fn() -> Luma + '_>> = vec![
        Box::new(|| base.stretched()),
        Box::new(|| base.binarised(31)),
        Box::new(|| base.binarised(61)),
        Box::new(|| base.downscaled(2)),
    ];
    if base.width() * base.height() * 9 <= UPSCALE_PIXELS {
        passes.push(Box::new(|| base.upscaled(2)));
        passes.push(Box::new(|| base.upscaled(3)));
    }
    let found = detect(&base);
    if !found.is_empty() {
        return dedup(found);
    }
    for pass in passes {
        let found = detect(&pass());
        if !found.is_empty() {
            return dedup(found);
        }
    }
    Vec::new()
}

/// The largest picture the last pass grows a small one to: a VGA frame (640 × 480) is grown,
/// an HD one is not (its modules are seldom that small).
const UPSCALE_PIXELS: usize = 3_000_000;

fn dedup(mut texts: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    texts.retain(|t| seen.insert(t.clone()));
    texts
}

/// One pass of the decoder (rxing, a port of ZXing) over a picture as it is: every QR code its
/// multi-code detector finds, else the one its single-code detector finds (which settles for the
/// best three finder patterns, and so reads some codes the other gives up on).
pub fn detect(luma: &Luma) -> Vec<String> {
    use rxing::Reader;
    let (w, h) = (luma.width() as u32, luma.height() as u32);
    let Ok(src) = rxing::Luma8Source::new_with_slice(luma.pixels(), w, h) else { return Vec::new() };
    let mut bitmap = rxing::BinaryBitmap::new(rxing::common::HybridBinarizer::new(src));
    let hints = rxing::DecodeHints { TryHarder: Some(true), ..Default::default() };
    rxing::qrcode::QRCodeReader
        .decode_with_hints(&mut bitmap, &hints)
        .map(|r| vec![r.getText().to_string()])
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::render::Qr;

    const COUNTER: &str = "https://phrsbx.abdm.gov.in/share-profile?hip-id=IN3410000260&counter-id=12345";

    /// The code drawn at 4 px a module, set at (`left`, `top`) in a mid-grey frame of `width` ×
    /// `height`, each row `stride` bytes (the padding filled with junk, as a camera's may be).
    fn camera_plane(text: &str, width: usize, height: usize, stride: usize, left: usize, top: usize) -> Vec<u8> {
        let code = Qr::new(text).and_then(|q| q.luma(4)).expect("drawn");
        let mut plane = vec![7u8; stride * height];
        for y in 0..height {
            plane[y * stride..y * stride + width].fill(128);
        }
        for (y, row) in code.pixels().chunks_exact(code.width()).enumerate() {
            plane[(top + y) * stride + left..][..code.width()].copy_from_slice(row);
        }
        plane
    }

    #[test]
    fn a_counter_code_in_a_camera_frame_with_row_padding_is_read() {
        let plane = camera_plane(COUNTER, 640, 480, 704, 150, 60);
        assert_eq!(decode_frame(&plane, 640, 480, 704), Ok(vec![COUNTER.to_string()]));
        // The same frame, the last row cut at its width as Android's planes often are.
        assert_eq!(decode_frame(&plane[..704 * 479 + 640], 640, 480, 704), Ok(vec![COUNTER.to_string()]));
    }

    #[test]
    fn a_code_in_an_rgba_frame_is_read() {
        let plane = camera_plane(COUNTER, 400, 300, 400, 20, 10);
        let rgba: Vec<u8> = plane.iter().flat_map(|&v| [v, v, v, 255]).collect();
        assert_eq!(decode_rgba(&rgba, 400, 300, 1600), Ok(vec![COUNTER.to_string()]));
    }

    #[test]
    fn with_two_codes_in_view_one_is_read_whole() {
        let other = "HL1:NCFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0B3KL6QM5/OA3";
        let mut plane = camera_plane(COUNTER, 900, 450, 900, 20, 20);
        let second = camera_plane(other, 900, 450, 900, 520, 60);
        for (i, px) in plane.iter_mut().enumerate() {
            if i % 900 >= 500 {
                *px = second[i];
            }
        }
        // One code a picture, as a scanner reads: the multi-code reader was left out for size
        // (docs/decisions.md D26). Whichever comes, it comes whole.
        let found = decode_frame(&plane, 900, 450, 900).expect("read");
        assert_eq!(found.len(), 1);
        assert!(found[0] == other || found[0] == COUNTER, "a code read whole, not a mix of two");
    }

    #[test]
    fn a_washed_out_code_is_read_after_its_contrast_is_stretched() {
        let plane: Vec<u8> = camera_plane(COUNTER, 640, 480, 640, 150, 60).iter().map(|&v| 120 + v / 10).collect();
        assert_eq!(detect(&Luma::new(640, 480, plane.clone()).expect("fits")), Vec::<String>::new());
        assert_eq!(decode_frame(&plane, 640, 480, 640), Ok(vec![COUNTER.to_string()]));
    }

    #[test]
    fn a_frame_without_a_code_is_no_code() {
        let noise: Vec<u8> = (0..320 * 240u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        assert_eq!(decode_frame(&noise, 320, 240, 320), Err(DecodeError::NoCode));
    }

    #[test]
    fn a_frame_whose_sizes_do_not_match_its_bytes_is_unreadable_not_a_panic() {
        let plane = vec![0u8; 100];
        assert_eq!(decode_frame(&plane, 10, 11, 10), Err(DecodeError::Unreadable));
        assert_eq!(decode_frame(&plane, 10, 10, 9), Err(DecodeError::Unreadable));
        assert_eq!(decode_frame(&plane, 0, 10, 10), Err(DecodeError::Unreadable));
        assert_eq!(decode_frame(&plane, u32::MAX, u32::MAX, u32::MAX), Err(DecodeError::TooLarge));
        assert_eq!(decode_rgba(&plane, 5, 5, 19), Err(DecodeError::Unreadable));
        assert_eq!(decode_rgba(&plane, 5, 6, 20), Err(DecodeError::Unreadable));
    }

    #[test]
    fn bytes_that_are_no_png_are_unreadable_and_a_giant_one_is_refused_before_decoding() {
        assert_eq!(decode_image(b""), Err(DecodeError::Unreadable));
        assert_eq!(decode_image(b"this is not an image at all"), Err(DecodeError::Unreadable));
        let png = Qr::new(COUNTER).and_then(|q| q.png(4)).expect("drawn");
        assert_eq!(decode_image(&png[..png.len() / 2]), Err(DecodeError::Unreadable));
        // A real PNG header announcing 100,000 × 100,000 pixels, and the start of their data.
        let mut giant = Vec::new();
        let mut enc = png::Encoder::new(&mut giant, 100_000, 100_000);
        enc.set_color(png::ColorType::Grayscale);
        let mut w = enc.write_header().expect("a header");
        w.write_chunk(png::chunk::IDAT, &[0x78, 0x9c, 0, 0]).expect("a chunk");
        drop(w);
        assert_eq!(decode_image(&giant), Err(DecodeError::TooLarge));
        assert_eq!(DecodeError::TooLarge.code(), "too-large");
    }

    #[test]
    fn a_large_photo_handed_over_as_a_frame_is_downscaled_and_still_read() {
        let text = "HL1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0B3KL6QM5/OA3";
        let code = Qr::new(text).and_then(|q| q.luma(40)).expect("drawn");
        let (w, h) = (3000, 2000);
        let mut pixels = vec![200u8; w * h];
        for (y, row) in code.pixels().chunks_exact(code.width()).enumerate() {
            pixels[(300 + y) * w + 900..][..code.width()].copy_from_slice(row);
        }
        let rgba: Vec<u8> = pixels.iter().flat_map(|&g| [g, g, g, 255]).collect();
        assert_eq!(decode_rgba(&rgba, w as u32, h as u32, w as u32 * 4), Ok(vec![text.to_string()]));
    }
}
