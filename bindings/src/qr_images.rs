//! QR images for the shells: codes read from a camera frame, a decoded photo or a PNG, and drawn
//! as PNG or SVG. A picture that holds no code, or cannot be read, is `QrRefused` with its code
//! (`no-code`, `image-unreadable`, `image-too-large`).

use crate::error::{LockerError, run};
use locker_core::share::{QrProblem, decode, render};

fn read(found: Result<Vec<String>, decode::DecodeError>) -> locker_core::Result<Vec<String>> {
    found.map_err(|e| QrProblem::from(e).into())
}

fn drawn<T>(made: Result<T, render::RenderError>) -> locker_core::Result<T> {
    made.map_err(|e| locker_core::Error::InvalidInput(e.to_string()))
}

/// Every QR code's text in a PNG (a screenshot, a code drawn here). A gallery photo in another
/// format (JPEG, HEIC) is decoded by the platform (`BitmapFactory`, `CGImageSource`) and handed
/// over with [`qr_decode_rgba`].
#[uniffi::export]
pub fn qr_decode_image(bytes: Vec<u8>) -> Result<Vec<String>, LockerError> {
    run(|| read(decode::decode_image(&bytes)))
}

/// Every QR code's text in a camera frame's luma (Y) plane: Android's `ImageProxy` plane 0, iOS's
/// `CVPixelBuffer` plane 0, with its row stride in bytes.
#[uniffi::export]
pub fn qr_decode_frame(plane: Vec<u8>, width: u32, height: u32, stride: u32) -> Result<Vec<String>, LockerError> {
    run(|| read(decode::decode_frame(&plane, width, height, stride)))
}

/// Every QR code's text in an RGBA frame (8 bits a channel), with its row stride in bytes.
#[uniffi::export]
pub fn qr_decode_rgba(data: Vec<u8>, width: u32, height: u32, stride: u32) -> Result<Vec<String>, LockerError> {
    run(|| read(decode::decode_rgba(&data, width, height, stride)))
}

/// `text` drawn as a QR code (ECC M, a quiet zone of four modules) in PNG, `module_px` pixels a
/// module.
#[uniffi::export]
pub fn qr_png(text: String, module_px: u32) -> Result<Vec<u8>, LockerError> {
    run(|| drawn(render::Qr::new(&text).and_then(|q| q.png(module_px))))
}

/// `text` drawn as a QR code (ECC M) in SVG, one unit a module.
#[uniffi::export]
pub fn qr_svg(text: String) -> Result<String, LockerError> {
    run(|| drawn(render::Qr::new(&text).map(|q| q.svg())))
}
