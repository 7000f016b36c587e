//! A picture as the QR decoder sees it: one packed 8-bit luma plane. Owns taking a camera frame
//! in (a Y plane with its row stride, as Android's ImageProxy and iOS's CVPixelBuffer give it,
//! or RGBA) and the cheap image operations the decoder's passes use (box downscale, contrast
//! stretch, local-mean binarisation). Never decodes image files: that is for photos only
//! (`decode.rs`), so a camera frame needs no image codec.

use super::decode::DecodeError;

/// The most pixels a picture may have to be read at all (a 48-megapixel photo fits). A frame or
/// photo past it is refused before any pixel is copied.
pub const MAX_PIXELS: usize = 50_000_000;

/// An 8-bit grey picture, rows packed (stride = width).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Luma {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Luma {
    /// `pixels`, `width × height` of them, row by row.
    pub fn new(width: usize, height: usize, pixels: Vec<u8>) -> Result<Luma, DecodeError> {
        check_size(width, height)?;
        if pixels.len() != width * height {
            return Err(DecodeError::Unreadable);
        }
        Ok(Luma { width, height, pixels })
    }

    /// A camera's luma (Y) plane: `height` rows of `stride` bytes, the first `width` of each the
    /// picture. The last row may stop at `width` (Android's planes often do).
    pub fn from_plane(plane: &[u8], width: usize, height: usize, stride: usize) -> Result<Luma, DecodeError> {
        check_plane(plane.len(), width, height, stride, 1)?;
        let mut pixels = Vec::with_capacity(width * height);
        for y in 0..height {
            pixels.extend_from_slice(&plane[y * stride..y * stride + width]);
        }
        Ok(Luma { width, height, pixels })
    }

    /// An RGBA picture (4 bytes a pixel, `stride` bytes a row), to luma by BT.601 weights. The
    /// alpha byte is ignored.
    pub fn from_rgba(data: &[u8], width: usize, height: usize, stride: usize) -> Result<Luma, DecodeError> {
        check_plane(data.len(), width, height, stride, 4)?;
        let mut pixels = Vec::with_capacity(width * height);
        for y in 0..height {
            let row = &data[y * stride..y * stride + 4 * width];
            pixels.extend(
                row.chunks_exact(4)
                    .map(|p| ((77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2]) + 128) >> 8) as u8),
            );
        }
        Ok(Luma { width, height, pixels })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels, row by row.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Shrunk by `factor` on each side, each pixel the mean of its `factor × factor` block (a
    /// box filter, which also averages away sensor noise); a partial last block is dropped.
    pub fn downscaled(&self, factor: usize) -> Luma {
        let f = factor.max(1);
        let (w, h) = ((self.width / f).max(1), (self.height / f).max(1));
        if f == 1 || self.width < f || self.height < f {
            return self.clone();
        }
        let mut sums = vec![0u64; w];
        let mut pixels = Vec::with_capacity(w * h);
        let area = (f * f) as u64;
        for by in 0..h {
            sums.iter_mut().for_each(|s| *s = 0);
            for row in self.pixels[by * f * self.width..].chunks_exact(self.width).take(f) {
                for (s, block) in sums.iter_mut().zip(row.chunks_exact(f)) {
                    *s += block.iter().map(|&p| u64::from(p)).sum::<u64>();
                }
            }
            pixels.extend(sums.iter().map(|&s| ((s + area / 2) / area) as u8));
        }
        Luma { width: w, height: h, pixels }
    }

    /// Grown `factor` times on each side by bilinear interpolation: gives the decoder, which
    /// needs a few pixels a module, something to work with when modules are under two pixels.
    /// Unchanged when grown it would pass `MAX_PIXELS`.
    pub fn upscaled(&self, factor: usize) -> Luma {
        let f = factor.max(1);
        if f == 1 || f.saturating_mul(f) > MAX_PIXELS / (self.width * self.height) {
            return self.clone();
        }
        let (w, h) = (self.width * f, self.height * f);
        let at =
            |x: usize, y: usize| u32::from(self.pixels[y.min(self.height - 1) * self.width + x.min(self.width - 1)]);
        let (ff, half) = (f as u32, (f * f / 2) as u32);
        let mut pixels = Vec::with_capacity(w * h);
        for y in 0..h {
            let (sy, fy) = (y / f, (y % f) as u32);
            for x in 0..w {
                let (sx, fx) = (x / f, (x % f) as u32);
                let top = at(sx, sy) * (ff - fx) + at(sx + 1, sy) * fx;
                let bottom = at(sx, sy + 1) * (ff - fx) + at(sx + 1, sy + 1) * fx;
                pixels.push(((top * (ff - fy) + bottom * fy + half) / (ff * ff)) as u8);
            }
        }
        Luma { width: w, height: h, pixels }
    }

    /// Contrast stretched so the darkest 1 % is black and the brightest 1 % white: a washed-out
    /// or dim code spans the whole range again.
    pub fn stretched(&self) -> Luma {
        let mut hist = [0usize; 256];
        self.pixels.iter().for_each(|&p| hist[p as usize] += 1);
        let cut = self.pixels.len() / 100;
        let lo = level_at(hist.iter().copied().enumerate(), cut);
        let hi = level_at(hist.iter().copied().enumerate().rev(), cut);
        if hi <= lo + 1 {
            return self.clone();
        }
        let span = (hi - lo) as u32;
        let map: Vec<u8> =
            (0..=255u32).map(|v| (v.clamp(lo as u32, hi as u32) - lo as u32) * 255 / span).map(|v| v as u8).collect();
        Luma { width: self.width, height: self.height, pixels: self.pixels.iter().map(|&p| map[p as usize]).collect() }
    }

    /// Black and white by comparing each pixel with the mean of the `window`-pixel square around
    /// it (a summed-area table, so any window costs the same): survives glare, shadows and low
    /// contrast that defeat one global threshold.
    pub fn binarised(&self, window: usize) -> Luma {
        let (w, h) = (self.width, self.height);
        let mut sat = vec![0u64; (w + 1) * (h + 1)];
        for y in 0..h {
            let mut row = 0u64;
            for x in 0..w {
                row += u64::from(self.pixels[y * w + x]);
                sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row;
            }
        }
        let r = window / 2;
        let mut pixels = Vec::with_capacity(w * h);
        for y in 0..h {
            let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
            for x in 0..w {
                let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
                let sum =
                    sat[y1 * (w + 1) + x1] + sat[y0 * (w + 1) + x0] - sat[y0 * (w + 1) + x1] - sat[y1 * (w + 1) + x0];
                let n = ((x1 - x0) * (y1 - y0)) as u64;
                // A pixel a little below its neighbourhood's mean is dark: the small margin keeps
                // flat areas (a module's inside, the quiet zone) from turning to noise.
                let dark = u64::from(self.pixels[y * w + x]) * n * 100 < sum * 96;
                pixels.push(if dark { 0 } else { 255 });
            }
        }
        Luma { width: w, height: h, pixels }
    }
}

/// The grey level below (or above, counting from the top) which `cut` pixels lie.
fn level_at(hist: impl Iterator<Item = (usize, usize)>, cut: usize) -> usize {
    let mut seen = 0;
    for (level, n) in hist {
        seen += n;
        if seen > cut {
            return level;
        }
    }
    0
}

fn check_size(width: usize, height: usize) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::Unreadable);
    }
    match width.checked_mul(height) {
        Some(n) if n <= MAX_PIXELS => Ok(()),
        _ => Err(DecodeError::TooLarge),
    }
}

fn check_plane(
    len: usize,
    width: usize,
    height: usize,
    stride: usize,
    bytes_per_pixel: usize,
) -> Result<(), DecodeError> {
    check_size(width, height)?;
    let row = width * bytes_per_pixel;
    let needed = stride.checked_mul(height - 1).and_then(|n| n.checked_add(row));
    if stride < row || needed.is_none_or(|n| len < n) {
        return Err(DecodeError::Unreadable);
    }
    Ok(())
}
