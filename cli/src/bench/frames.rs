//! The degraded frames `locker bench qr` reads: QR codes as a phone camera would see them,
//! made from a seed so every run (and zxing-cpp, reading the same files) gets the same pixels.
//! Each text is drawn onto a 640×480 grey frame (CameraX's default analysis size) through a
//! projective map, supersampled, then spoiled: rotation, blur, noise, JPEG, low contrast,
//! glare, small modules, perspective tilt, and mixes of them.

use locker_core::share::frame::Luma;
use locker_core::share::render::{QUIET_ZONE, Qr};
use std::path::{Path, PathBuf};

const W: usize = 640;
const H: usize = 480;
const BASE45: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// One frame on disk and the text it must read as.
pub struct Frame {
    pub path: PathBuf,
    pub expected: String,
    /// What was done to it, e.g. `rotate-23+blur-1.2`.
    pub kind: String,
}

/// How one frame is spoiled. Geometry first (where the code sits), then pixels in this order.
#[derive(Clone, Copy, Default)]
struct Spoil {
    module_px: f64,
    angle_deg: f64,
    /// How much narrower the code's far edge is than its near one (0 = flat).
    tilt: f64,
    blur: f64,
    noise: f64,
    contrast: Option<(f64, f64)>,
    glare: f64,
    jpeg: Option<u8>,
}

/// Small deterministic generator (SplitMix64): no dependency, same numbers everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }
}

/// The texts: signed-QR-like (`HL1:` + Base45, 300 characters, version 10 at M) and facility
/// counter links.
pub fn texts(rng: &mut Rng) -> Vec<String> {
    let mut out: Vec<String> = (0..4)
        .map(|_| {
            let body: String = (0..296).map(|_| BASE45[(rng.next_u64() % 45) as usize] as char).collect();
            format!("HL1:{body}")
        })
        .collect();
    for _ in 0..2 {
        out.push(format!(
            "https://phrsbx.abdm.gov.in/share-profile?hip-id=IN34100{:05}&counter-id={}",
            rng.next_u64() % 100_000,
            rng.next_u64() % 100_000
        ));
    }
    out
}

/// Every spoiling applied to each text: 26 a text.
fn spoils() -> Vec<(String, Spoil)> {
    let base = Spoil { module_px: 5.0, ..Default::default() };
    let mut v = vec![("clean".to_string(), base)];
    for a in [7.0, 23.0, 45.0, 192.0] {
        v.push((format!("rotate-{a}"), Spoil { angle_deg: a, ..base }));
    }
    for b in [1.0, 1.6] {
        v.push((format!("blur-{b}"), Spoil { blur: b, ..base }));
    }
    for n in [20.0, 40.0] {
        v.push((format!("noise-{n}"), Spoil { noise: n, ..base }));
    }
    for q in [15, 30] {
        v.push((format!("jpeg-{q}"), Spoil { jpeg: Some(q), ..base }));
    }
    for (lo, hi) in [(100.0, 150.0), (120.0, 145.0)] {
        v.push((format!("contrast-{lo}-{hi}"), Spoil { contrast: Some((lo, hi)), ..base }));
    }
    for g in [150.0, 210.0] {
        v.push((format!("glare-{g}"), Spoil { glare: g, ..base }));
    }
    for m in [2.0, 1.5] {
        v.push((format!("small-{m}"), Spoil { module_px: m, ..base }));
    }
    for t in [0.2, 0.35] {
        v.push((format!("tilt-{t}"), Spoil { tilt: t, angle_deg: 10.0, ..base }));
    }
    let mixes = [
        ("rotate+blur+noise", Spoil { angle_deg: 31.0, blur: 1.0, noise: 15.0, ..base }),
        ("small-2+jpeg-30", Spoil { module_px: 2.0, jpeg: Some(30), ..base }),
        ("contrast+noise", Spoil { contrast: Some((90.0, 160.0)), noise: 12.0, ..base }),
        ("glare+rotate", Spoil { glare: 150.0, angle_deg: 17.0, ..base }),
        ("tilt+blur+jpeg", Spoil { tilt: 0.25, angle_deg: 5.0, blur: 1.0, jpeg: Some(40), ..base }),
    ];
    v.extend(mixes.into_iter().map(|(k, s)| (k.to_string(), s)));
    v
}

/// Writes every frame under `dir` (PNG, or JPEG for the JPEG spoils) and lists them.
pub fn generate(dir: &Path, seed: u64) -> std::io::Result<Vec<Frame>> {
    let mut rng = Rng::new(seed);
    let mut frames = Vec::new();
    for (t, text) in texts(&mut rng).into_iter().enumerate() {
        let qr = Qr::new(&text).map_err(std::io::Error::other)?;
        for (kind, spoil) in spoils() {
            let luma = draw(&qr, spoil, &mut rng);
            let ext = if spoil.jpeg.is_some() { "jpg" } else { "png" };
            let path = dir.join(format!("{t}-{kind}.{ext}"));
            let img = image::GrayImage::from_raw(W as u32, H as u32, luma).expect("W × H pixels");
            match spoil.jpeg {
                Some(q) => {
                    let mut out = std::fs::File::create(&path)?;
                    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, q)
                        .encode_image(&img)
                        .map_err(std::io::Error::other)?;
                }
                None => img.save(&path).map_err(std::io::Error::other)?,
            }
            frames.push(Frame { path, expected: text.clone(), kind });
        }
    }
    Ok(frames)
}

/// Reads a frame file back to luma, as a phone's gallery would hand it over.
pub fn load(path: &Path) -> std::io::Result<Luma> {
    let bytes = std::fs::read(path)?;
    crate::share::picture(&bytes).map_err(std::io::Error::other)
}

fn draw(qr: &Qr, s: Spoil, rng: &mut Rng) -> Vec<u8> {
    // The code with its quiet zone and a little more white paper, in module units.
    let paper = (qr.width() + 2 * QUIET_ZONE) as f64 + 2.0;
    let half = paper * s.module_px / 2.0;
    let (cx, cy) = (W as f64 / 2.0 + rng.unit() * 20.0 - 10.0, H as f64 / 2.0 + rng.unit() * 20.0 - 10.0);
    let (sin, cos) = s.angle_deg.to_radians().sin_cos();
    // Corners of the paper (top-left, top-right, bottom-right, bottom-left); tilt shrinks the top.
    let corners: Vec<(f64, f64)> = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]
        .iter()
        .map(|&(x, y): &(f64, f64)| {
            let x = if y < 0.0 { x * (1.0 - s.tilt) } else { x };
            let (x, y) = (x * half, y * half);
            (cx + x * cos - y * sin, cy + x * sin + y * cos)
        })
        .collect();
    let square = [(0.0, 0.0), (paper, 0.0), (paper, paper), (0.0, paper)];
    let to_paper = homography(&corners, &square);
    let off = QUIET_ZONE as f64 + 1.0;
    let shade = 60.0 + rng.unit() * 40.0;
    let mut img = vec![0f64; W * H];
    for (i, px) in img.iter_mut().enumerate() {
        let (x, y) = ((i % W) as f64, (i / W) as f64);
        let mut sum = 0.0;
        for (dx, dy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
            let (u, v) = apply(&to_paper, x + dx, y + dy);
            sum += if u < 0.0 || v < 0.0 || u >= paper || v >= paper {
                shade + 20.0 * (x / W as f64)
            } else if qr.is_dark((u - off).floor() as isize, (v - off).floor() as isize) {
                25.0
            } else {
                235.0
            };
        }
        *px = sum / 4.0;
    }
    if s.blur > 0.0 {
        blur(&mut img, s.blur);
    }
    if let Some((lo, hi)) = s.contrast {
        img.iter_mut().for_each(|p| *p = lo + *p * (hi - lo) / 255.0);
    }
    if s.glare > 0.0 {
        let (gx, gy) = (cx + (rng.unit() - 0.5) * half, cy + (rng.unit() - 0.5) * half);
        let r = half * 0.35;
        for (i, p) in img.iter_mut().enumerate() {
            let d2 = ((i % W) as f64 - gx).powi(2) + ((i / W) as f64 - gy).powi(2);
            *p += s.glare * (-d2 / (2.0 * r * r)).exp();
        }
    }
    if s.noise > 0.0 {
        img.iter_mut().for_each(|p| *p += s.noise * rng.normal());
    }
    img.into_iter().map(|p| p.round().clamp(0.0, 255.0) as u8).collect()
}

/// Separable Gaussian blur of standard deviation `sigma` pixels, edges clamped.
fn blur(img: &mut [f64], sigma: f64) {
    let r = (sigma * 3.0).ceil() as isize;
    let k: Vec<f64> = (-r..=r).map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp()).collect();
    let total: f64 = k.iter().sum();
    let pass = |src: &[f64], horizontal: bool| -> Vec<f64> {
        (0..W * H)
            .map(|i| {
                let (x, y) = ((i % W) as isize, (i / W) as isize);
                (-r..=r)
                    .zip(&k)
                    .map(|(d, w)| {
                        let (sx, sy) = if horizontal {
                            ((x + d).clamp(0, W as isize - 1), y)
                        } else {
                            (x, (y + d).clamp(0, H as isize - 1))
                        };
                        src[sy as usize * W + sx as usize] * w
                    })
                    .sum::<f64>()
                    / total
            })
            .collect()
    };
    let h = pass(img, true);
    img.copy_from_slice(&pass(&h, false));
}

/// The projective map taking the four points `from` to the four points `to`.
fn homography(from: &[(f64, f64)], to: &[(f64, f64)]) -> [f64; 9] {
    let mut a = [[0f64; 9]; 8];
    for (i, (&(x, y), &(u, v))) in from.iter().zip(to).enumerate() {
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    // Gauss–Jordan with partial pivoting on the 8 × 8 system (last column the right side).
    for c in 0..8 {
        let p = (c..8).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs())).expect("rows left");
        a.swap(c, p);
        let pivot = a[c];
        for (r, row) in a.iter_mut().enumerate() {
            if r != c {
                let f = row[c] / pivot[c];
                row.iter_mut().zip(pivot).skip(c).for_each(|(x, p)| *x -= f * p);
            }
        }
    }
    let h: Vec<f64> = (0..8).map(|i| a[i][8] / a[i][i]).collect();
    [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0]
}

fn apply(h: &[f64; 9], x: f64, y: f64) -> (f64, f64) {
    let w = h[6] * x + h[7] * y + h[8];
    ((h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w)
}
