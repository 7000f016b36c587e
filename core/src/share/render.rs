//! Drawing a QR code the locker shows: PNG bytes, an SVG string, terminal text. Owns the choice
//! of error correction (M unless asked) and reports the version it came to; never reads codes
//! (`decode.rs` does) and never looks at what the text means.
//!
//! The encoder picks the shortest segmentation, so a text of QR alphanumeric characters only
//! (`HL1:` + Base45, docs/signed-qr.md) is coded in alphanumeric mode, 5.5 bits a character.

use super::frame::Luma;
use qrcode::{EcLevel, QrCode, Version};
use std::fmt::Write as _;

/// Modules of blank margin on every side, as the QR standard asks.
pub const QUIET_ZONE: usize = 4;

/// The widest picture drawn, in pixels.
pub const MAX_SIDE_PX: usize = 16_384;

/// Error correction: the share of the code that may be lost and still read (7, 15, 25, 30 %).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ecc {
    L,
    M,
    Q,
    H,
}

/// Why a text could not be drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum RenderError {
    /// Longer than a version-40 code holds at this error correction.
    #[error("the text does not fit in a QR code at this error correction")]
    TooLong,
    /// A module size of zero pixels, or one making the picture wider than `MAX_SIDE_PX`.
    #[error("the module size must be at least one pixel and the picture at most 16,384 wide")]
    BadModuleSize,
}

/// Which terminal the text is for. A terminal draws its glyphs in the foreground colour, so on
/// a dark terminal (light glyphs on black, the usual default) the blocks are the code's *light*
/// modules and the dark ones are left as blank background; on a light terminal, the reverse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Terminal {
    /// Light text on a dark background.
    Dark,
    /// Dark text on a light background.
    Light,
}

/// A drawn code: its modules, its version and error correction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qr {
    dark: Vec<bool>,
    width: usize,
    version: u8,
    ecc: Ecc,
}

impl Qr {
    /// `text` at error correction M.
    pub fn new(text: &str) -> Result<Qr, RenderError> {
        Qr::with_ecc(text, Ecc::M)
    }

    /// `text` at the given error correction, in the smallest version it fits.
    pub fn with_ecc(text: &str, ecc: Ecc) -> Result<Qr, RenderError> {
        let level = match ecc {
            Ecc::L => EcLevel::L,
            Ecc::M => EcLevel::M,
            Ecc::Q => EcLevel::Q,
            Ecc::H => EcLevel::H,
        };
        let code = QrCode::with_error_correction_level(text.as_bytes(), level).map_err(|_| RenderError::TooLong)?;
        let version = match code.version() {
            Version::Normal(v) => u8::try_from(v).expect("versions run 1 to 40"),
            Version::Micro(_) => unreachable!("QrCode::with_error_correction_level makes normal codes only"),
        };
        let width = code.width();
        let dark = code.to_colors().into_iter().map(|c| c == qrcode::Color::Dark).collect();
        Ok(Qr { dark, width, version, ecc })
    }

    /// The QR version (1–40): the code is `17 + 4 × version` modules wide.
    pub fn version(&self) -> u8 {
        self.version
    }

    pub fn ecc(&self) -> Ecc {
        self.ecc
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the module at column `x`, row `y` is dark; outside the code (the quiet zone and
    /// beyond) every module is light.
    pub fn is_dark(&self, x: isize, y: isize) -> bool {
        let w = self.width as isize;
        (0..w).contains(&x) && (0..w).contains(&y) && self.dark[(y * w + x) as usize]
    }

    /// The code as an 8-bit grey image, `module_px` pixels a module, with the quiet zone: black
    /// on white.
    pub fn luma(&self, module_px: u32) -> Result<Luma, RenderError> {
        let (m, side) = self.side_px(module_px)?;
        let q = QUIET_ZONE as isize;
        let mut pixels = vec![255u8; side * side];
        for (y, row) in pixels.chunks_exact_mut(side).enumerate() {
            for (x, px) in row.iter_mut().enumerate() {
                if self.is_dark((x / m) as isize - q, (y / m) as isize - q) {
                    *px = 0;
                }
            }
        }
        Ok(Luma::new(side, side, pixels).expect("a drawn code is far below the size limit"))
    }

    /// The code as PNG bytes, `module_px` pixels a module, with the quiet zone: black on white,
    /// one bit a pixel (a tenth of the bytes, and of the time, of 8-bit grey).
    pub fn png(&self, module_px: u32) -> Result<Vec<u8>, RenderError> {
        let (m, side) = self.side_px(module_px)?;
        let row_bytes = side.div_ceil(8);
        let q = QUIET_ZONE as isize;
        let mut data = vec![0u8; row_bytes * side];
        for (y, row) in data.chunks_exact_mut(row_bytes).enumerate() {
            for x in 0..side {
                // 1 is white in a 1-bit grey PNG; the first pixel is the byte's top bit.
                if !self.is_dark((x / m) as isize - q, (y / m) as isize - q) {
                    row[x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        let mut out = Vec::new();
        let side = u32::try_from(side).expect("at most MAX_SIDE_PX");
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        let mut w = enc.write_header().expect("writing to a Vec cannot fail");
        w.write_image_data(&data).expect("the data matches the header");
        w.finish().expect("writing to a Vec cannot fail");
        Ok(out)
    }

    /// Pixels a module and a side, checked.
    fn side_px(&self, module_px: u32) -> Result<(usize, usize), RenderError> {
        let m = module_px as usize;
        match (self.width + 2 * QUIET_ZONE).checked_mul(m) {
            Some(side) if m > 0 && side <= MAX_SIDE_PX => Ok((m, side)),
            _ => Err(RenderError::BadModuleSize),
        }
    }

    /// The code as an SVG document, one unit a module, with the quiet zone: black on white,
    /// scalable to any size without blur (`shape-rendering="crispEdges"`).
    pub fn svg(&self) -> String {
        let side = self.width + 2 * QUIET_ZONE;
        let mut s = String::with_capacity(self.width * self.width * 6);
        let _ = write!(
            s,
            r##"<?xml version="1.0" encoding="UTF-8"?><svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 {side} {side}" shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/><path fill="#000" d=""##
        );
        // One run of dark modules in a row is one rectangle: a third of the size of one per module.
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if !self.dark[y * self.width + x] {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < self.width && self.dark[y * self.width + x] {
                    x += 1;
                }
                let _ = write!(s, "M{} {}h{}v1h-{}z", start + QUIET_ZONE, y + QUIET_ZONE, x - start, x - start);
            }
        }
        s.push_str(r#""/></svg>"#);
        s
    }

    /// The code as text for `terminal`: half blocks (`▀ ▄ █`), two module rows a line, one
    /// column a module, with the quiet zone. Lines end with `\n`. A terminal cell is about twice
    /// as tall as wide, so the modules come out close to square.
    pub fn terminal(&self, terminal: Terminal) -> String {
        let q = QUIET_ZONE as isize;
        let side = (self.width + 2 * QUIET_ZONE) as isize;
        // Ink is what the terminal draws in its foreground colour; past the quiet zone's last row
        // (the code's side is odd) nothing is drawn.
        let ink = |x: isize, y: isize| {
            if y >= side {
                return false;
            }
            let dark = self.is_dark(x - q, y - q);
            match terminal {
                Terminal::Dark => !dark,
                Terminal::Light => dark,
            }
        };
        let mut s = String::with_capacity((side as usize + 1) * (side as usize).div_ceil(2) * 3);
        for y in (0..side).step_by(2) {
            for x in 0..side {
                s.push(match (ink(x, y), ink(x, y + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::decode::decode_image;

    /// A signed QR's text at its budget: `HL1:` and Base45 up to 311 characters.
    fn signed_like(len: usize) -> String {
        const B45: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
        let body: String = (0..len - 4).map(|i| B45[(i * 7 + i / 3) % 45] as char).collect();
        format!("HL1:{body}")
    }

    #[test]
    fn a_signed_qr_at_its_budget_fits_version_10_at_m_only_in_alphanumeric_mode() {
        // 311 characters fit version 10 at M in alphanumeric mode; in byte mode they would not.
        let qr = Qr::new(&signed_like(311)).expect("fits");
        assert_eq!((qr.version(), qr.ecc(), qr.width()), (10, Ecc::M, 57));
        assert!(Qr::with_ecc(&signed_like(311), Ecc::H).expect("fits").version() > 10);
        assert_eq!(Qr::new(&"A".repeat(5000)), Err(RenderError::TooLong));
    }

    #[test]
    fn a_png_drawn_by_the_locker_reads_back_as_the_same_text() {
        let text = signed_like(300);
        let png = Qr::new(&text).and_then(|q| q.png(4)).expect("drawn");
        assert_eq!(&png[1..4], b"PNG");
        assert_eq!(decode_image(&png), Ok(vec![text]));
    }

    #[test]
    fn a_module_size_of_zero_or_too_many_pixels_is_refused() {
        let qr = Qr::new("HELLO").expect("fits");
        assert_eq!(qr.png(0), Err(RenderError::BadModuleSize));
        assert_eq!(qr.png(u32::MAX), Err(RenderError::BadModuleSize));
        assert!(qr.luma(0).is_err());
    }

    #[test]
    fn the_svg_is_one_well_formed_document_drawing_exactly_the_dark_modules() {
        let qr =
            Qr::new("https://phrsbx.abdm.gov.in/share-profile?hip-id=IN3410000260&counter-id=12345").expect("fits");
        let svg = qr.svg();
        assert!(svg.starts_with("<?xml") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<svg").count(), 1);
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
        // Draw the path's runs back onto a grid: it must be the code, quiet zone and all.
        let side = qr.width() + 2 * QUIET_ZONE;
        assert!(svg.contains(&format!(r#"viewBox="0 0 {side} {side}""#)));
        let path = svg.split(" d=\"").nth(1).and_then(|p| p.split('"').next()).expect("a path");
        let mut grid = vec![false; side * side];
        for run in path.split('z').filter(|r| !r.is_empty()) {
            let nums: Vec<usize> =
                run.split(['M', ' ', 'h', 'v']).filter(|n| !n.is_empty()).filter_map(|n| n.parse().ok()).collect();
            let (x, y, n) = (nums[0], nums[1], nums[2]);
            (x..x + n).for_each(|x| grid[y * side + x] = true);
        }
        let q = QUIET_ZONE as isize;
        for y in 0..side {
            for x in 0..side {
                assert_eq!(grid[y * side + x], qr.is_dark(x as isize - q, y as isize - q), "module {x},{y}");
            }
        }
    }

    #[test]
    fn terminal_text_has_two_module_rows_a_line_and_shows_the_code_on_either_terminal() {
        let qr = Qr::new("HL1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0B3KL6QM5/OA3").expect("fits");
        let side = qr.width() + 2 * QUIET_ZONE;
        let q = QUIET_ZONE as isize;
        for (terminal, ink_is_dark) in [(Terminal::Dark, false), (Terminal::Light, true)] {
            let text = qr.terminal(terminal);
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), side.div_ceil(2));
            for (row, line) in lines.iter().enumerate() {
                assert_eq!(line.chars().count(), side);
                for (x, c) in line.chars().enumerate() {
                    let (top, bottom) = match c {
                        '█' => (true, true),
                        '▀' => (true, false),
                        '▄' => (false, true),
                        ' ' => (false, false),
                        other => panic!("unexpected {other:?}"),
                    };
                    let (x, y) = (x as isize - q, (2 * row) as isize - q);
                    assert_eq!(top, qr.is_dark(x, y) == ink_is_dark);
                    if 2 * row + 1 < side {
                        assert_eq!(bottom, qr.is_dark(x, y + 1) == ink_is_dark);
                    }
                }
            }
        }
    }
}
