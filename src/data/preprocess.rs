//! From a digit drawn on the page to a 28x28 input that looks like MNIST.
//!
//! A network trained on MNIST has only ever seen digits prepared one way (LeCun et al.): the
//! digit's bounding box scaled, keeping its aspect ratio, to fit a 20x20 box, anti-aliased to grey
//! levels, then put in a 28x28 field so that its centre of mass sits at the centre. A drawing fed
//! in raw (small, off-centre, hairline or blobby) is misread though the network is fine. So the
//! drawing goes through the same steps, and every stage is kept for the page to show:
//!
//! 1. **crop**: the bounding box of the ink ([`Preprocessed::cropped`]). Ink fainter than
//!    [`NOISE_FLOOR`] times the darkest ink counts as background, so specks of noise do not
//!    stretch the box; an empty canvas gives `None`.
//! 2. **fit**: scale by one factor so the longer side is 20 px ([`Preprocessed::scaled`]).
//!    Shrinking averages each output pixel over the input area it covers (a box filter with
//!    fractional coverage), so a 280x280 drawing becomes grey edges, not jagged black and white.
//!    Enlarging a tiny digit interpolates bilinearly.
//! 3. **stroke**: give the digit MNIST's stroke width for its size ([`Preprocessed::stroked`]).
//!    The page's pen has a fixed width, so after fitting a large digit has hairlines and a
//!    small one is a blob; MNIST's strokes are about an eighth of the digit's span, whatever its
//!    size. So the strokes are drawn again at MNIST's median width ([`STROKE_TARGET`], measured
//!    by [`stroke_width`] once fitted): on a finer copy of the crop, every pixel gets its signed
//!    distance to the ink's edge (how far inside, or outside: `signed_distance`), and the new
//!    ink is the set of pixels more than some offset inside: a positive offset thins every
//!    stroke by the same amount on both sides, a negative one thickens it. For a round pen this
//!    is exactly the same path drawn with a narrower (or wider) round pen, ends and all. The
//!    pen's radius is the median depth along the middle of the strokes (`pen_radius`), and
//!    the offset follows from it and the digit's span so that, fitted to 20 px, the new pen is
//!    [`PEN_TARGET`] wide. The same strokes drawn large, small or in a corner thus come out
//!    alike. A loop that a thick pen filled in stays filled (nothing can tell it was a loop);
//!    it thins with the strokes around it. Last, the darkest ink is stretched to 1.
//! 4. **centre**: place it in 28x28 so the centre of mass lands on pixel (14, 14), moving by whole
//!    pixels ([`Preprocessed::centered`], [`Preprocessed::image`]).
//!
//! The numbers (20, 14, the stroke width) were measured on MNIST's 10,000 test images: every
//! digit's ink spans exactly 20 px on its longer side; the centre of mass lies within half a pixel
//! of (14, 14), with pixel `i` centred at coordinate `i` (so MNIST moved digits by whole pixels);
//! [`stroke_width`] has 5th, 25th, 50th, 75th and 95th percentiles 1.67, 2.05, 2.40, 2.82 and
//! 3.66 px.
//!
//! Everything is linear in the number of canvas pixels: the page runs it on every animation frame
//! while the user draws.
//!
//! The network's forward pass takes [`Preprocessed::image`] as its input.
//!
//! Next: [`crate::error`].

use crate::error::{Error, Result};

/// Side of the output image.
pub const SIDE: usize = 28;
/// The longer side of the digit's box after fitting.
pub const BOX: usize = 20;
/// Where the centre of mass goes, in pixel-centre coordinates (pixel `i` is centred at `i`).
pub const CENTER: f32 = 14.0;
/// Ink below this fraction of the darkest ink is treated as background.
pub const NOISE_FLOOR: f32 = 0.05;
/// A canvas whose darkest ink is below this is empty.
pub const MIN_PEAK: f32 = 0.1;
/// A canvas with less ink than this many fully inked pixels is empty.
pub const MIN_INK: f32 = 2.0;
/// MNIST's median stroke width ([`stroke_width`] over the t10k images, each spanning 20 px; the
/// quartiles are 2.05 and 2.82, and each digit's own median lies between 2.19 for 5s and 2.61
/// for 0s).
pub const STROKE_TARGET: f32 = 2.40;
/// The width of the pen the stroke step draws with, in a digit spanning 20 px. [`stroke_width`]
/// (2·area/perimeter) reads a pen stroke as a little narrower than the pen, for its round ends
/// and its bends: this pen gives drawn digits [`STROKE_TARGET`] as their measured width, on
/// average (2.36 to 2.45 at each size, on 500 MNIST test digits redrawn with the page's pen:
/// `cargo run --release --example drawn_sizes`).
pub const PEN_TARGET: f32 = 2.47;
/// A stroke step that moves the width by less than this (px) counts as keeping the pen's width
/// ([`Preprocessed::restroked`] is false; `stroked` is the redrawn digit all the same).
pub const UNCHANGED: f32 = 0.1;
/// The longer side, in pixels, of the picture the stroke step works on: 3.2 pixels per pixel of
/// the 20 px box. (96 gave the same accuracies in `drawn_sizes` at twice the cost.)
const WORK: usize = 64;
/// The empty margin, in working pixels, that thickened strokes can grow into: 7 px is 2.2 final
/// pixels on each side, enough to turn a hairline into a 2.4 px stroke.
const MARGIN: usize = 8;

/// One picture along the way: grey levels in [0, 1], row-major.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stage {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<f32>,
}

/// Every stage of [`preprocess`], for the page to show.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Preprocessed {
    /// What the network sees: 28x28 = 784 values in [0, 1], row-major (the same as `centered`).
    pub image: Vec<f32>,
    /// The ink's bounding box in input pixels, `(x0, y0, x1, y1)`, half-open: `x0..x1`, `y0..y1`.
    pub bbox: (usize, usize, usize, usize),
    /// The input inside `bbox`, noise floor applied.
    pub cropped: Stage,
    /// `cropped` scaled to fit the box, longer side 20 px: the digit at MNIST's size with the
    /// strokes of the pen it was drawn with (what the stroke step replaces).
    pub scaled: Stage,
    /// The digit with its strokes drawn again at MNIST's median width ([`STROKE_TARGET`]) for
    /// its size, fitted to the box (longer side 20 px), the darkest ink stretched to 1. Computed
    /// from `cropped` at a finer scale, not from `scaled`.
    pub stroked: Stage,
    /// The final 28x28 image.
    pub centered: Stage,
    /// [`stroke_width`] of `scaled` (the pen as drawn, at MNIST's size) and of `stroked`.
    pub stroke_width_before: f32,
    pub stroke_width_after: f32,
    /// Whether the stroke step changed the width: by more than [`UNCHANGED`] px.
    pub restroked: bool,
    /// Centre of mass of `stroked` in its own pixel coordinates, (x, y).
    pub center_of_mass: (f32, f32),
    /// Whole pixels added to `stroked`'s coordinates to get `centered`'s: (dx, dy).
    pub shift: (i32, i32),
}

/// Turn `ink` (width x height, row-major, 0 = background, 1 = full ink) into a 28x28 MNIST-like
/// image. `Ok(None)` when there is no ink to speak of; values outside [0, 1] are clamped.
pub fn preprocess(ink: &[f32], width: usize, height: usize) -> Result<Option<Preprocessed>> {
    check_dimensions(ink.len(), width, height)?;

    // 1. crop. ink: (height, width) -> cropped: (y1 - y0, x1 - x0)
    // A drawing is tens of thousands of pixels and this runs on every stroke: the passes over
    // all of them run in lanes (`lanes_max`), a row's ink is looked for from both ends only.
    let row_peaks: Vec<f32> = ink.chunks_exact(width).map(lanes_max).collect();
    let peak = row_peaks.iter().copied().fold(0.0, larger);
    if peak < MIN_PEAK {
        return Ok(None);
    }
    let floor = NOISE_FLOOR * peak;
    let inked = |v: f32| {
        let v = clamp01(v);
        if v >= floor {
            v
        } else {
            0.0
        }
    };
    let (mut x0, mut y0, mut x1, mut y1) = (width, height, 0, 0);
    let mut total = 0.0;
    for (y, (row, &row_peak)) in ink.chunks_exact(width).zip(&row_peaks).enumerate() {
        // clamp01(v) >= floor > 0 exactly when v >= floor (NaN fails both).
        if row_peak < floor {
            continue;
        }
        let first = row
            .iter()
            .position(|&v| v >= floor)
            .expect("the row's peak");
        let last = row
            .iter()
            .rposition(|&v| v >= floor)
            .expect("the row's peak");
        total += row[first..=last].iter().map(|&v| inked(v)).sum::<f32>();
        x0 = x0.min(first);
        x1 = x1.max(last + 1);
        y0 = y0.min(y);
        y1 = y1.max(y + 1);
    }
    if total < MIN_INK {
        return Ok(None);
    }
    let (cw, ch) = (x1 - x0, y1 - y0);
    let mut pixels = Vec::with_capacity(cw * ch);
    for row in ink.chunks_exact(width).skip(y0).take(ch) {
        pixels.extend(row[x0..x1].iter().map(|&v| inked(v)));
    }
    let cropped = Stage {
        width: cw,
        height: ch,
        pixels,
    };

    // 2. fit: the digit at MNIST's size, strokes as the user's pen made them.
    let scaled = fit(&cropped, BOX as f32);
    let stroke_width_before = stroke_width(&scaled);
    // 3. stroke: drawn again at MNIST's median width for a digit of this span.
    let mut stroked = restroke(&cropped);
    let top = stroked.pixels.iter().fold(0.0f32, |m, &v| larger(m, v));
    if top > 0.0 {
        stroked
            .pixels
            .iter_mut()
            .for_each(|v| *v = (*v / top).min(1.0));
    }
    let stroke_width_after = stroke_width(&stroked);
    let restroked = (stroke_width_after - stroke_width_before).abs() > UNCHANGED;

    // 4. centre: move by whole pixels, like MNIST, so strokes stay as sharp as they were.
    let center_of_mass = center_of_mass(&stroked);
    let (sx, sy) = (stroked.width as i32, stroked.height as i32);
    let (ix0, iy0, ix1, iy1) = ink_bounds(&stroked);
    let side = SIDE as i32;
    // Keep all ink on the 28x28 field (it could fall off only for a lopsided digit; `stroked`
    // is at most 20 px wide, so there is always room).
    let dx = ((CENTER - center_of_mass.0).round() as i32)
        .max(-ix0)
        .min(side - ix1);
    let dy = ((CENTER - center_of_mass.1).round() as i32)
        .max(-iy0)
        .min(side - iy1);
    let mut image = vec![0.0; SIDE * SIDE];
    for y in 0..sy {
        for x in 0..sx {
            let (tx, ty) = (x + dx, y + dy);
            if (0..side).contains(&tx) && (0..side).contains(&ty) {
                image[(ty * side + tx) as usize] = stroked.pixels[(y * sx + x) as usize];
            }
        }
    }
    let centered = Stage {
        width: SIDE,
        height: SIDE,
        pixels: image.clone(),
    };

    Ok(Some(Preprocessed {
        image,
        bbox: (x0, y0, x1, y1),
        cropped,
        scaled,
        stroked,
        centered,
        stroke_width_before,
        stroke_width_after,
        restroked,
        center_of_mass,
        shift: (dx, dy),
    }))
}

/// The largest of `values` clamped to [0, 1] (NaN as 0), in eight independent lanes so that the
/// loop vectorises.
fn lanes_max(values: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = values.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            lanes[k] = larger(lanes[k], clamp01(c[k]));
        }
    }
    for &v in rest {
        lanes[0] = larger(lanes[0], clamp01(v));
    }
    lanes.into_iter().fold(0.0, larger)
}

fn clamp01(v: f32) -> f32 {
    // Comparisons only, so NaN becomes 0; and f32::min/max compile to library calls in wasm,
    // which were a large share of a drawing's preprocessing time there.
    if v > 0.0 {
        if v < 1.0 {
            v
        } else {
            1.0
        }
    } else {
        0.0
    }
}

/// The larger of two non-NaN numbers, as one comparison (see [`clamp01`] for why not f32::max).
#[inline]
fn larger(a: f32, b: f32) -> f32 {
    if b > a {
        b
    } else {
        a
    }
}

fn check_dimensions(len: usize, width: usize, height: usize) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::new(format!(
            "the drawing is {width}x{height} pixels; width and height must be at least 1"
        )));
    }
    match width.checked_mul(height) {
        Some(n) if n == len => Ok(()),
        Some(n) => Err(Error::new(format!(
            "a {width}x{height} drawing has {n} pixels, but {len} ink values were given"
        ))),
        None => Err(Error::new(format!(
            "the drawing is {width}x{height} pixels, too large"
        ))),
    }
}

/// Scale `s` by one factor so its longer side is `size` pixels, centred on the shorter side.
///
/// Shrinking: out(o) = average of the input over the area output pixel o covers (box filter),
/// which keeps the total ink in proportion: Σ out = scale² Σ in. Enlarging: bilinear.
/// s: (h, w) -> (⌈h·scale⌉, ⌈w·scale⌉) with scale = size / max(h, w).
fn fit(s: &Stage, size: f32) -> Stage {
    let scale = size / s.width.max(s.height) as f32;
    let out_len = |n: usize| ((n as f32 * scale - 1e-3).ceil() as usize).max(1);
    let (ow, oh) = (out_len(s.width), out_len(s.height));
    let tx = taps(s.width, ow, scale);
    let ty = taps(s.height, oh, scale);

    // Rows first: (h, w) -> (h, ow), then columns: (h, ow) -> (oh, ow).
    let mut rows = vec![0.0; s.height * ow];
    for (src, dst) in s
        .pixels
        .chunks_exact(s.width)
        .zip(rows.chunks_exact_mut(ow))
    {
        for (d, (start, w)) in dst.iter_mut().zip(&tx) {
            *d = w.iter().zip(&src[*start..]).map(|(w, v)| w * v).sum();
        }
    }
    let mut pixels = vec![0.0; oh * ow];
    for (dst, (start, w)) in pixels.chunks_exact_mut(ow).zip(&ty) {
        for (k, wk) in w.iter().enumerate() {
            let src = &rows[(start + k) * ow..(start + k + 1) * ow];
            dst.iter_mut().zip(src).for_each(|(d, v)| *d += wk * v);
        }
    }
    Stage {
        width: ow,
        height: oh,
        pixels,
    }
}

/// For each of `n_out` output pixels, the first input pixel it reads and the weights of the
/// input pixels from there on. Input pixel i covers [i, i+1); output pixel o covers
/// [(o - offset)/scale, (o + 1 - offset)/scale) of the input, with `offset` centring the content.
fn taps(n_in: usize, n_out: usize, scale: f32) -> Vec<(usize, Vec<f32>)> {
    let offset = (n_out as f32 - n_in as f32 * scale) / 2.0;
    (0..n_out)
        .map(|o| {
            if scale <= 1.0 {
                // Box filter: weight = the overlap of input pixel i with the covered interval,
                // times scale, so a fully covered output pixel is the average of its inputs.
                let a = ((o as f32 - offset) / scale).max(0.0);
                let b = ((o as f32 + 1.0 - offset) / scale).min(n_in as f32);
                if b <= a {
                    return (0, Vec::new());
                }
                let first = a.floor() as usize;
                let last = (b.ceil() as usize).min(n_in);
                let w = (first..last)
                    .map(|i| ((i + 1) as f32).min(b) - (i as f32).max(a))
                    .map(|c| c * scale);
                (first, w.collect())
            } else {
                // Bilinear at the output pixel's centre; outside the input counts as no ink.
                let u = (o as f32 + 0.5 - offset) / scale - 0.5;
                let i0 = u.floor();
                let f = u - i0;
                let i0 = i0 as isize;
                let inside: Vec<(isize, f32)> = [(i0, 1.0 - f), (i0 + 1, f)]
                    .into_iter()
                    .filter(|&(i, _)| (0..n_in as isize).contains(&i))
                    .collect();
                match inside.first() {
                    Some(&(first, _)) => (first as usize, inside.iter().map(|&(_, w)| w).collect()),
                    None => (0, Vec::new()),
                }
            }
        })
        .collect()
}

/// Stroke width in pixels: 2·area / perimeter.
///
/// A stroke of length L and width w has area wL and perimeter about 2L. For a grey image the
/// area is Σ I and the perimeter Σ |∇I| (the coarea formula: the perimeters of all the level
/// sets, averaged), with forward differences and no ink outside the image. Scaling the grey
/// levels changes neither, so faint and dark strokes of the same shape measure the same.
pub fn stroke_width(s: &Stage) -> f32 {
    let (w, h) = (s.width as isize, s.height as isize);
    let at = |x: isize, y: isize| {
        if (0..w).contains(&x) && (0..h).contains(&y) {
            s.pixels[(y * w + x) as usize]
        } else {
            0.0
        }
    };
    let (mut area, mut perimeter) = (0.0f32, 0.0f32);
    // From -1 so the jump from the empty outside onto the first row and column counts.
    for y in -1..h {
        for x in -1..w {
            let v = at(x, y);
            area += v;
            let (dx, dy) = (at(x + 1, y) - v, at(x, y + 1) - v);
            perimeter += (dx * dx + dy * dy).sqrt();
        }
    }
    if perimeter > 0.0 {
        2.0 * area / perimeter
    } else {
        0.0
    }
}

/// `s` with `n` empty pixels added on every side.
fn pad(s: &Stage, n: usize) -> Stage {
    let (w, h) = (s.width + 2 * n, s.height + 2 * n);
    let mut pixels = vec![0.0; w * h];
    for (y, row) in s.pixels.chunks_exact(s.width).enumerate() {
        pixels[(y + n) * w + n..(y + n) * w + n + s.width].copy_from_slice(row);
    }
    Stage {
        width: w,
        height: h,
        pixels,
    }
}

/// Redraw the strokes of `cropped` so that, in a digit spanning [`BOX`] px, they are
/// [`PEN_TARGET`] px wide: the stroke step (see the module docs). Returns the redrawn digit
/// fitted to the box.
///
/// Works at [`WORK`] px on the longer side, with a margin of [`MARGIN`] px for strokes to grow
/// into: cropped: (h, w) -> work: (≈ WORK·h/max + 2 MARGIN, ≈ WORK·w/max + 2 MARGIN).
fn restroke(cropped: &Stage) -> Stage {
    let work = pad(&fit(cropped, WORK as f32), MARGIN);
    let depth = signed_distance(&work);
    let r = pen_radius(&depth, work.width, work.height);
    // Cutting `o` px inside the edge leaves strokes of radius r − o and shrinks the span L by
    // 2o; in the box they are 2 (r − o) · BOX / (L − 2o) wide. Setting that to the target T:
    // o = (2 BOX r − T L) / (2 BOX − 2 T).
    let (x0, y0, x1, y1) = ink_bounds(&cut_at(&depth, work.width, work.height, 0.0));
    let span = (x1 - x0).max(y1 - y0) as f32;
    let (b, t) = (BOX as f32, PEN_TARGET);
    // Never thin a stroke below 1.5 working pixels, never grow past the margin.
    let offset = ((2.0 * b * r - t * span) / (2.0 * b - 2.0 * t))
        .clamp(1.0 - MARGIN as f32, (r - 0.75).max(0.0));
    let cut = cut_at(&depth, work.width, work.height, offset);
    let (x0, y0, x1, y1) = ink_bounds(&cut);
    let (x0, y0, x1, y1) = (x0 as usize, y0 as usize, x1 as usize, y1 as usize);
    let mut inked = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for row in cut.pixels.chunks_exact(cut.width).skip(y0).take(y1 - y0) {
        inked.extend_from_slice(&row[x0..x1]);
    }
    fit(
        &Stage {
            width: x1 - x0,
            height: y1 - y0,
            pixels: inked,
        },
        BOX as f32,
    )
}

/// The ink of a cut of the signed distance at `offset`: a pixel `offset` px inside the old edge
/// becomes the new edge. out = clamp(depth − offset + ½, 0, 1): half ink on the new edge, a
/// one-pixel anti-aliased ramp across it.
fn cut_at(depth: &[f32], width: usize, height: usize, offset: f32) -> Stage {
    Stage {
        width,
        height,
        pixels: depth.iter().map(|&d| clamp01(d - offset + 0.5)).collect(),
    }
}

/// The pen's radius: the median depth along the middle of the strokes (the ridge of the signed
/// distance: ink pixels at least as deep as their eight neighbours). A round pen leaves the same
/// depth all along its path; a loop filled in by a thick pen is a deeper, shorter ridge, which
/// the median passes over. Pixel centres sample the middle of a stroke of even width a half
/// pixel off, so the median depth is a quarter pixel short on average: added back.
fn pen_radius(depth: &[f32], width: usize, height: usize) -> f32 {
    let mut ridge = Vec::new();
    for y in 1..height.saturating_sub(1) {
        for x in 1..width.saturating_sub(1) {
            let d = depth[y * width + x];
            if d <= 0.0 {
                continue;
            }
            let deepest = (y - 1..=y + 1)
                .flat_map(|yy| (x - 1..=x + 1).map(move |xx| depth[yy * width + xx]))
                .all(|n| n <= d);
            if deepest {
                ridge.push(d);
            }
        }
    }
    if ridge.is_empty() {
        return 0.5;
    }
    let mid = ridge.len() / 2;
    let (_, median, _) = ridge.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
    *median + 0.25
}

/// Signed distance to the ink's edge, in pixels: positive inside the ink (how far in), negative
/// outside. Ink is where the grey level reaches half the darkest; the edge lies halfway between
/// an ink pixel's centre and a background pixel's, so depth = (distance to the nearest pixel of
/// the other kind) − ½, with that sign. Exact Euclidean distances ([`squared_distance`]).
fn signed_distance(s: &Stage) -> Vec<f32> {
    let peak = s.pixels.iter().fold(0.0f32, |m, &v| larger(m, v));
    let ink: Vec<bool> = s
        .pixels
        .iter()
        .map(|&v| v > 0.0 && v >= 0.5 * peak)
        .collect();
    let to_background = squared_distance(&ink, s.width, s.height, false);
    let to_ink = squared_distance(&ink, s.width, s.height, true);
    ink.iter()
        .zip(to_background.iter().zip(&to_ink))
        .map(|(&i, (&b, &k))| {
            if i {
                b.sqrt() as f32 - 0.5
            } else {
                0.5 - k.sqrt() as f32
            }
        })
        .collect()
}

/// For every pixel, the squared Euclidean distance to the nearest pixel where `mask == target`
/// (pixel centres; outside the image counts as not ink: `target` false is found there). Two 1-D
/// passes of Felzenszwalb & Huttenlocher's lower envelope of parabolas ("Distance Transforms of
/// Sampled Functions", 2012): linear in the number of pixels.
fn squared_distance(mask: &[bool], width: usize, height: usize, target: bool) -> Vec<f64> {
    // Far enough to lose to any real distance, small enough that sums stay exact in f64.
    const FAR: f64 = 1e12;
    // One pixel of background around the image, so that ink touching the border has an edge.
    let (w, h) = (width + 2, height + 2);
    let mut f = vec![if target { FAR } else { 0.0 }; w * h];
    for y in 0..height {
        for x in 0..width {
            f[(y + 1) * w + x + 1] = if mask[y * width + x] == target {
                0.0
            } else {
                FAR
            };
        }
    }
    let n = w.max(h);
    let (mut line, mut out) = (vec![0.0; n], vec![0.0; n]);
    let (mut v, mut z) = (vec![0usize; n], vec![0.0f64; n + 1]);
    // Along the rows every value is 0 or FAR, where the envelope is the squared distance to the
    // nearest 0 (FAR when the row has none): two scans give the same numbers without it.
    for row in f.chunks_exact_mut(w) {
        nearest_zero_squared(row, FAR);
    }
    for x in 0..w {
        for y in 0..h {
            line[y] = f[y * w + x];
        }
        envelope(&line[..h], &mut out[..h], &mut v, &mut z);
        for y in 0..h {
            f[y * w + x] = out[y];
        }
    }
    let mut d = Vec::with_capacity(width * height);
    for y in 0..height {
        d.extend_from_slice(&f[(y + 1) * w + 1..(y + 1) * w + 1 + width]);
    }
    d
}

/// Each value of `row` (each 0 or `far`) becomes its squared distance to the nearest 0 in the
/// row, or `far` when the row has none: [`envelope`] of such a row, computed in place by a scan
/// from each end.
fn nearest_zero_squared(row: &mut [f64], far: f64) {
    // Left to right: the distance to the last 0 (`far` before the first); a 0 stays 0.
    let mut last = None;
    for (q, v) in row.iter_mut().enumerate() {
        if *v == 0.0 {
            last = Some(q);
        }
        *v = last.map_or(far, |p| (q - p) as f64);
    }
    // Right to left: the nearer of that and the next 0, squared.
    let mut next = None;
    for q in (0..row.len()).rev() {
        if row[q] == 0.0 {
            next = Some(q);
        }
        let mut d = row[q];
        if let Some(p) = next {
            let right = (p - q) as f64;
            if right < d {
                d = right;
            }
        }
        row[q] = if d == far { far } else { d * d };
    }
}

/// d(q) = min_p (q − p)² + f(p): the lower envelope of the parabolas rooted at each (p, f(p)).
/// `v` holds the parabolas of the envelope, `z` the boundaries between them.
fn envelope(f: &[f64], d: &mut [f64], v: &mut [usize], z: &mut [f64]) {
    let n = f.len();
    let mut k = 0;
    v[0] = 0;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    for q in 1..n {
        let qf = q as f64;
        // Where the parabola of q overtakes that of v[k]; z[0] = −∞ stops the loop at k = 0.
        let meet =
            |p: usize| ((f[q] + qf * qf) - (f[p] + (p * p) as f64)) / (2.0 * (qf - p as f64));
        let mut s = meet(v[k]);
        while s <= z[k] {
            k -= 1;
            s = meet(v[k]);
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = f64::INFINITY;
    }
    let mut k = 0;
    for (q, out) in d.iter_mut().enumerate() {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let p = v[k] as f64;
        *out = (q as f64 - p) * (q as f64 - p) + f[v[k]];
    }
}

/// (Σ I·x, Σ I·y) / Σ I, pixel (x, y) centred at coordinates (x, y).
fn center_of_mass(s: &Stage) -> (f32, f32) {
    let (mut m, mut mx, mut my) = (0.0f32, 0.0f32, 0.0f32);
    for (y, row) in s.pixels.chunks_exact(s.width).enumerate() {
        for (x, &v) in row.iter().enumerate() {
            m += v;
            mx += v * x as f32;
            my += v * y as f32;
        }
    }
    if m > 0.0 {
        (mx / m, my / m)
    } else {
        ((s.width as f32 - 1.0) / 2.0, (s.height as f32 - 1.0) / 2.0)
    }
}

/// Half-open bounds (x0, y0, x1, y1) of the nonzero pixels; the whole stage when there are none.
fn ink_bounds(s: &Stage) -> (i32, i32, i32, i32) {
    let (mut x0, mut y0, mut x1, mut y1) = (s.width, s.height, 0, 0);
    for (y, row) in s.pixels.chunks_exact(s.width).enumerate() {
        for (x, &v) in row.iter().enumerate() {
            if v > 0.0 {
                x0 = x0.min(x);
                x1 = x1.max(x + 1);
                y0 = y0.min(y);
                y1 = y1.max(y + 1);
            }
        }
    }
    if x1 == 0 {
        return (0, 0, s.width as i32, s.height as i32);
    }
    (x0 as i32, y0 as i32, x1 as i32, y1 as i32)
}

/// Ink per pixel from canvas RGBA bytes (width x height x 4, as `getImageData` gives them).
///
/// The rule: if the border is mostly transparent (median border alpha below 128), the canvas was
/// cleared rather than painted, so the strokes are whatever is opaque: ink = alpha / 255, for any
/// pen colour. Otherwise each pixel's luminance (Rec. 601 luma, laid over the background where
/// the pixel is partly transparent) goes through the rule of [`ink_from_gray`].
pub fn ink_from_rgba(rgba: &[u8], width: usize, height: usize) -> Vec<f32> {
    assert_eq!(
        rgba.len(),
        width * height * 4,
        "ink_from_rgba: {width}x{height} RGBA needs {} bytes",
        width * height * 4
    );
    if median(&border(width, height, |i| rgba[4 * i + 3])) < 128 {
        return rgba
            .chunks_exact(4)
            .map(|p| f32::from(p[3]) / 255.0)
            .collect();
    }
    let luma =
        |p: &[u8]| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
    let bg = f32::from(median(&border(width, height, |i| {
        // + 0.5 then truncate rounds these non-negative values without a library call in wasm.
        (luma(&rgba[4 * i..4 * i + 4]) + 0.5) as u8
    })));
    let mut gray = vec![0u8; width * height];
    for (g, p) in gray.iter_mut().zip(rgba.chunks_exact(4)) {
        let a = f32::from(p[3]) / 255.0;
        // At most 255.5 (+ rounding), so through i32 it truncates as `as u8` would, in lanes.
        *g = (a * luma(p) + (1.0 - a) * bg + 0.5) as i32 as u8;
    }
    ink_from_gray(&gray, width, height)
}

/// Ink per pixel from grey levels (width x height, 0 black, 255 white).
///
/// The rule: the background is the median grey of the border pixels. On a light background ink
/// is darker than it (a dark digit on paper), on a dark one lighter (a white-on-black MNIST-style
/// image); the other direction, such as a highlight on paper, is not ink. Ink is the distance
/// from the background in that direction, less the border's own noise (twice the 75th
/// percentile of the border's distances: zero for a clean image), as a fraction of the way to
/// black (or white).
pub fn ink_from_gray(gray: &[u8], width: usize, height: usize) -> Vec<f32> {
    assert_eq!(
        gray.len(),
        width * height,
        "ink_from_gray: {width}x{height} grey needs {} bytes",
        width * height
    );
    let edge = border(width, height, |i| gray[i]);
    let bg = median(&edge);
    let light = bg >= 128;
    let away = |g: u8| {
        if light {
            bg.saturating_sub(g)
        } else {
            g.saturating_sub(bg)
        }
    };
    let mut distances: Vec<u8> = edge.iter().map(|&g| away(g)).collect();
    distances.sort_unstable();
    let noise = 2.0
        * distances
            .get(distances.len() * 3 / 4)
            .map_or(0.0, |&d| f32::from(d));
    let range = if light {
        f32::from(bg)
    } else {
        255.0 - f32::from(bg)
    };
    // A grey level's ink, looked up: a drawing is tens of thousands of pixels of 256 levels.
    let ink: [f32; 256] = std::array::from_fn(|g| {
        ((f32::from(away(g as u8)) - noise) / (range - noise).max(1.0)).clamp(0.0, 1.0)
    });
    gray.iter().map(|&g| ink[usize::from(g)]).collect()
}

/// `value(i)` for the pixels on the image's border, i = y * width + x.
fn border(width: usize, height: usize, value: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 * (width + height));
    for y in 0..height {
        if y == 0 || y + 1 == height {
            out.extend((0..width).map(|x| value(y * width + x)));
        } else if width > 0 {
            out.push(value(y * width));
            if width > 1 {
                out.push(value(y * width + width - 1));
            }
        }
    }
    out
}

/// The median of some bytes; 255 (a white page) when there are none.
fn median(values: &[u8]) -> u8 {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(255)
}

/// Grey levels 0..=255 for showing an image: round(255 · v), clamped.
pub fn to_u8(image: &[f32]) -> Vec<u8> {
    image
        .iter()
        .map(|&v| (clamp01(v) * 255.0).round() as u8)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A round pen of radius `r` drawn along the polyline `points`, anti-aliased:
    /// ink = clamp(r + 1/2 - distance to the line, 0, 1), measured from pixel centres.
    fn draw(width: usize, height: usize, points: &[(f32, f32)], r: f32) -> Vec<f32> {
        let mut ink = vec![0.0; width * height];
        for y in 0..height {
            for x in 0..width {
                let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                let mut d = f32::MAX;
                for seg in points.windows(2) {
                    let ((ax, ay), (bx, by)) = (seg[0], seg[1]);
                    let (vx, vy) = (bx - ax, by - ay);
                    let t = (((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy).max(1e-9))
                        .clamp(0.0, 1.0);
                    d = d.min((ax + t * vx - px).hypot(ay + t * vy - py));
                }
                ink[y * width + x] = (r + 0.5 - d).clamp(0.0, 1.0);
            }
        }
        ink
    }

    /// A "2": a half circle, a diagonal and a base, `size` px tall, top-left corner at (x, y).
    fn two(size: f32, x: f32, y: f32) -> Vec<(f32, f32)> {
        let mut points: Vec<(f32, f32)> = (0..=12)
            .map(|i| {
                let a = std::f32::consts::PI * (1.0 + i as f32 / 12.0);
                (
                    x + size * (0.35 + 0.33 * a.cos()),
                    y + size * (0.27 + 0.27 * a.sin()),
                )
            })
            .collect();
        points.extend([(x + size * 0.02, y + size), (x + size * 0.7, y + size)]);
        points
    }

    /// Half-open bounds of the nonzero pixels of a 28x28 image, and the centre of mass.
    fn bounds_and_com(image: &[f32]) -> ((usize, usize, usize, usize), (f32, f32)) {
        let s = Stage {
            width: SIDE,
            height: SIDE,
            pixels: image.to_vec(),
        };
        let (x0, y0, x1, y1) = ink_bounds(&s);
        (
            (x0 as usize, y0 as usize, x1 as usize, y1 as usize),
            center_of_mass(&s),
        )
    }

    /// Within half a pixel of (14, 14): the most a whole-pixel shift can promise.
    fn near_center(cx: f32, cy: f32) -> bool {
        (cx - CENTER).abs() <= 0.5 + 1e-3 && (cy - CENTER).abs() <= 0.5 + 1e-3
    }

    fn run(ink: &[f32], width: usize, height: usize) -> Preprocessed {
        preprocess(ink, width, height)
            .unwrap()
            .expect("the drawing has ink")
    }

    #[test]
    fn empty_or_nearly_empty_canvas_gives_none() {
        assert_eq!(preprocess(&[0.0; 280 * 280], 280, 280).unwrap(), None);
        // Faint noise everywhere: the darkest is below MIN_PEAK.
        let noise: Vec<f32> = (0..280 * 280).map(|i| (i % 7) as f32 * 0.01).collect();
        assert_eq!(preprocess(&noise, 280, 280).unwrap(), None);
        // One dark speck: less than MIN_INK.
        let mut speck = vec![0.0; 280 * 280];
        speck[1000] = 1.0;
        assert_eq!(preprocess(&speck, 280, 280).unwrap(), None);
    }

    #[test]
    fn bad_dimensions_are_explained() {
        let e = preprocess(&[], 0, 280).unwrap_err().0;
        assert_eq!(
            e,
            "the drawing is 0x280 pixels; width and height must be at least 1"
        );
        let e = preprocess(&[0.0; 100], 28, 28).unwrap_err().0;
        assert_eq!(
            e,
            "a 28x28 drawing has 784 pixels, but 100 ink values were given"
        );
    }

    #[test]
    fn off_centre_blob_is_fitted_and_centred() {
        // A disc of radius 12 at (50, 220) on a 280x280 canvas: 24 px across, far off centre.
        let ink = draw(280, 280, &[(50.0, 220.0), (50.0, 220.0)], 12.0);
        let p = run(&ink, 280, 280);
        assert_eq!(p.bbox, (38, 208, 62, 232));
        let ((x0, y0, x1, y1), (cx, cy)) = bounds_and_com(&p.image);
        assert!(near_center(cx, cy), "centre of mass ({cx}, {cy})");
        let span = (x1 - x0).max(y1 - y0);
        assert!((19..=21).contains(&span), "the blob spans {span} px");
        assert_eq!(p.image.len(), 784);
        assert_eq!(p.centered.pixels, p.image);
        assert_eq!((p.centered.width, p.centered.height), (28, 28));
        assert!(p.image.iter().all(|&v| (0.0..=1.0).contains(&v)));
    }

    #[test]
    fn tall_one_keeps_its_aspect_ratio() {
        // A slightly slanted "1", 200 px tall, drawn with a 7 px pen.
        let ink = draw(280, 280, &[(150.0, 40.0), (140.0, 240.0)], 3.5);
        let p = run(&ink, 280, 280);
        assert_eq!(p.scaled.height, 20);
        assert!(
            p.scaled.width <= 3,
            "scaled to {}x{}",
            p.scaled.width,
            p.scaled.height
        );
        let ((x0, y0, x1, y1), (cx, cy)) = bounds_and_com(&p.image);
        assert!((19..=21).contains(&(y1 - y0)), "height {}", y1 - y0);
        assert!(x1 - x0 <= 5, "width {}", x1 - x0);
        assert!(near_center(cx, cy), "centre of mass ({cx}, {cy})");
    }

    #[test]
    fn hairline_on_a_big_canvas_gets_an_mnist_stroke() {
        // A 1 px pen on 280x280 shrinks to a faint line about 1 px wide...
        let ink = draw(280, 280, &two(220.0, 40.0, 20.0), 0.5);
        let p = run(&ink, 280, 280);
        assert!(
            p.stroke_width_before < 1.2,
            "before: {}",
            p.stroke_width_before
        );
        let faint = p.scaled.pixels.iter().fold(0.0f32, |m, &v| m.max(v));
        assert!(faint < 0.3, "the scaled hairline peaks at {faint}");
        // ...and is redrawn at MNIST's median width, at full strength, still spanning 20 px.
        assert!(p.restroked);
        assert!(
            (p.stroke_width_after - STROKE_TARGET).abs() < 0.3,
            "after: {}",
            p.stroke_width_after
        );
        let full = Stage {
            width: 28,
            height: 28,
            pixels: p.image.clone(),
        };
        assert!((stroke_width(&full) - STROKE_TARGET).abs() < 0.3);
        assert_eq!(p.image.iter().fold(0.0f32, |m, &v| m.max(v)), 1.0);
        let ((x0, y0, x1, y1), _) = bounds_and_com(&p.image);
        assert!(
            (19..=21).contains(&(x1 - x0).max(y1 - y0)),
            "spans {:?}",
            (x1 - x0, y1 - y0)
        );
    }

    #[test]
    fn thick_pen_is_thinned() {
        // A small "2" drawn with a 30 px pen: strokes about 6 px wide once fitted.
        let ink = draw(280, 280, &two(70.0, 30.0, 150.0), 15.0);
        let p = run(&ink, 280, 280);
        assert!(
            p.restroked && p.stroke_width_before > 5.0,
            "before: {}",
            p.stroke_width_before
        );
        assert!(
            p.stroke_width_after < p.stroke_width_before - 1.0,
            "after: {}",
            p.stroke_width_after
        );
    }

    #[test]
    fn downscaling_averages_area_and_keeps_ink_in_proportion() {
        // A "2" drawn with a 12 px pen on a 600x400 canvas, shrunk about 17 times.
        let ink = draw(600, 400, &two(330.0, 200.0, 30.0), 6.0);
        let p = run(&ink, 600, 400);
        let (x0, y0, x1, y1) = p.bbox;
        let scale = 20.0 / (x1 - x0).max(y1 - y0) as f32;
        let mass_in: f32 = p.cropped.pixels.iter().sum();
        let fitted = fit(&p.cropped, 20.0);
        let mass_out: f32 = fitted.pixels.iter().sum();
        let expected = scale * scale * mass_in;
        assert!(
            (mass_out - expected).abs() < 1e-3 * expected,
            "{mass_out} vs {expected}"
        );
        // Anti-aliased: many grey levels, not just black and white.
        let greys = fitted
            .pixels
            .iter()
            .filter(|&&v| v > 0.05 && v < 0.95)
            .count();
        let inked = fitted.pixels.iter().filter(|&&v| v > 0.0).count();
        assert!(greys * 2 > inked, "{greys} grey of {inked} inked pixels");
    }

    #[test]
    fn enlarging_a_tiny_digit_works() {
        // A "2" 8 px tall in a 28x28 input: enlarged 2.5 times, then redrawn sharp.
        let ink = draw(28, 28, &two(8.0, 3.0, 2.0), 0.6);
        let p = run(&ink, 28, 28);
        assert!(p.cropped.height <= 10 && p.restroked);
        assert!(
            (16..=22).contains(&p.scaled.height),
            "scaled to {}x{}",
            p.scaled.width,
            p.scaled.height
        );
        // Redrawn: a solid core, where bilinear enlarging alone leaves a soft grey blur.
        assert!(p.image.iter().filter(|&&v| v > 0.99).count() > 30);
        let ((x0, y0, x1, y1), (cx, cy)) = bounds_and_com(&p.image);
        assert!((19..=21).contains(&(x1 - x0).max(y1 - y0)));
        assert!(near_center(cx, cy), "centre of mass ({cx}, {cy})");
    }

    /// Mean absolute difference of two 28x28 images, per pixel.
    fn mean_difference(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
    }

    /// The image moved one pixel to the right: the smallest change a person would call "moved".
    fn shifted(a: &[f32]) -> Vec<f32> {
        let mut out = vec![0.0; a.len()];
        for y in 0..SIDE {
            for x in 1..SIDE {
                out[y * SIDE + x] = a[y * SIDE + x - 1];
            }
        }
        out
    }

    #[test]
    fn preparing_twice_changes_little() {
        // A prepared image has MNIST's span, centre and stroke width, so preparing it again
        // redraws the strokes at the width they have: far less change than a one-pixel shift.
        let first = run(&draw(280, 280, &two(150.0, 60.0, 50.0), 9.0), 280, 280).image;
        let again = run(&first, 28, 28);
        assert!(
            !again.restroked,
            "the width moved from {} to {}",
            again.stroke_width_before, again.stroke_width_after
        );
        let d = mean_difference(&first, &again.image);
        let shift = mean_difference(&first, &shifted(&first));
        assert!(
            d < 0.25 * shift,
            "prepared again: {d}, a one-pixel shift: {shift}"
        );
    }

    #[test]
    fn the_same_strokes_at_three_sizes_and_in_a_corner_come_out_alike() {
        // The page's pen (20 px on 280x280) drawing the same "2" large, normal, small, and small
        // in a corner: after fitting, its strokes are 1.6, 2.4 and 4.7 px wide.
        let pen = 10.0;
        let drawings = [
            draw(280, 280, &two(230.0, 25.0, 20.0), pen),
            draw(280, 280, &two(150.0, 65.0, 60.0), pen),
            draw(280, 280, &two(70.0, 105.0, 100.0), pen),
            draw(280, 280, &two(70.0, 12.0, 12.0), pen),
        ];
        let prepared: Vec<Preprocessed> = drawings.iter().map(|d| run(d, 280, 280)).collect();
        let widths: Vec<f32> = prepared.iter().map(|p| p.stroke_width_before).collect();
        assert!(
            widths[0] < 1.8 && widths[2] > 4.0,
            "the pen differs, fitted: {widths:?}"
        );
        // Tolerance: the images may differ by 35% of what moving one of them by a single pixel
        // changes (they differ by 25 to 26%): drawn at different sizes, the strokes fall on the
        // pixel grid at different phases, which no preprocessing undoes.
        let normal = &prepared[1].image;
        let shift = mean_difference(normal, &shifted(normal));
        for (p, name) in prepared.iter().zip(["large", "normal", "small", "corner"]) {
            let d = mean_difference(&p.image, normal);
            assert!(
                d < 0.35 * shift,
                "{name}: differs from normal by {d}, a shift by {shift}"
            );
            assert!(
                (p.stroke_width_after - STROKE_TARGET).abs() < 0.3,
                "{name}: width {}",
                p.stroke_width_after
            );
        }
    }

    #[test]
    fn distances_are_exact() {
        // A scattered mask against brute force: the nearest pixel of the wanted kind, with
        // background all around the image (one pixel out, for ink's distance to background).
        let (w, h) = (13, 9);
        let mask: Vec<bool> = (0..w * h).map(|i| (i * 7 + i / 5) % 11 < 4).collect();
        for target in [true, false] {
            let fast = squared_distance(&mask, w, h, target);
            for y in 0..h as isize {
                for x in 0..w as isize {
                    let mut best = f64::MAX;
                    for yy in -1..=h as isize {
                        for xx in -1..=w as isize {
                            let inside =
                                (0..w as isize).contains(&xx) && (0..h as isize).contains(&yy);
                            let ink = inside && mask[yy as usize * w + xx as usize];
                            if ink == target {
                                best = best.min(((x - xx).pow(2) + (y - yy).pow(2)) as f64);
                            }
                        }
                    }
                    assert_eq!(
                        fast[y as usize * w + x as usize],
                        best,
                        "({x}, {y}), {target}"
                    );
                }
            }
        }
    }

    #[test]
    fn stroke_width_of_known_shapes() {
        // A 3x12 bar: area 36, perimeter 2 (3 + 12) = 30, width 2·36/30 = 2.4; measured 2.45
        // because at two corners the forward differences meet on one pixel (√2, not 1 + 1).
        let mut bar = Stage {
            width: 7,
            height: 16,
            pixels: vec![0.0; 7 * 16],
        };
        for y in 2..14 {
            for x in 2..5 {
                bar.pixels[y * 7 + x] = 1.0;
            }
        }
        assert!(
            (stroke_width(&bar) - 2.4).abs() < 0.05,
            "{}",
            stroke_width(&bar)
        );
        // Half as dark, same shape: same width.
        bar.pixels.iter_mut().for_each(|v| *v *= 0.5);
        assert!((stroke_width(&bar) - 2.4).abs() < 0.05);
    }

    #[test]
    fn nan_and_out_of_range_ink_is_clamped() {
        let mut ink = draw(56, 56, &[(28.0, 8.0), (28.0, 48.0)], 2.0);
        ink[0] = f32::NAN;
        ink[1] = -3.0;
        ink[28 * 56 + 28] = 7.0;
        let p = run(&ink, 56, 56);
        assert!(p.image.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert_eq!(p.bbox.0, 26);
    }

    #[test]
    fn ink_from_rgba_black_on_white() {
        // 4x4 white canvas, one black pixel and one mid-grey pixel.
        let mut rgba = [255u8; 4 * 4 * 4];
        rgba[4 * 5..4 * 5 + 3].copy_from_slice(&[0, 0, 0]);
        rgba[4 * 6..4 * 6 + 3].copy_from_slice(&[128, 128, 128]);
        let ink = ink_from_rgba(&rgba, 4, 4);
        assert_eq!(ink[5], 1.0);
        assert!((ink[6] - 127.0 / 255.0).abs() < 1e-6);
        assert_eq!(ink.iter().filter(|&&v| v > 0.0).count(), 2);
    }

    #[test]
    fn ink_from_rgba_white_on_transparent_and_on_black() {
        // A cleared canvas (all zero), one white pixel and one half-transparent one.
        let mut rgba = [0u8; 4 * 4 * 4];
        rgba[4 * 5..4 * 5 + 4].copy_from_slice(&[255, 255, 255, 255]);
        rgba[4 * 6..4 * 6 + 4].copy_from_slice(&[255, 255, 255, 51]);
        let ink = ink_from_rgba(&rgba, 4, 4);
        assert_eq!((ink[5], ink[6], ink[0]), (1.0, 0.2, 0.0));
        // The same strokes painted white on an opaque black canvas.
        let mut rgba: Vec<u8> = [0, 0, 0, 255].repeat(16);
        rgba[4 * 5..4 * 5 + 3].copy_from_slice(&[255, 255, 255]);
        let ink = ink_from_rgba(&rgba, 4, 4);
        assert_eq!((ink[5], ink[0]), (1.0, 0.0));
    }

    #[test]
    fn ink_from_gray_paper_and_mnist_style() {
        // A photo of paper: grey 200 to 210 with a digit at 60. The paper's noise is not ink.
        let mut gray: Vec<u8> = (0..64).map(|i| 200 + (i * 7 % 11) as u8).collect();
        gray[27] = 60;
        let ink = ink_from_gray(&gray, 8, 8);
        assert!(ink[27] > 0.6, "{}", ink[27]);
        assert_eq!(ink.iter().filter(|&&v| v > 0.0).count(), 1, "{ink:?}");
        // White on black, like MNIST: exactly the grey level / 255.
        let mut gray = vec![0u8; 64];
        gray[27] = 255;
        gray[28] = 51;
        let ink = ink_from_gray(&gray, 8, 8);
        assert_eq!((ink[27], ink[28], ink[0]), (1.0, 0.2, 0.0));
    }

    #[test]
    fn to_u8_rounds_and_clamps() {
        assert_eq!(
            to_u8(&[0.0, 0.5, 1.0, 1.5, -1.0, 0.002]),
            vec![0, 128, 255, 255, 0, 1]
        );
    }

    #[test]
    fn timing_of_a_280x280_drawing() {
        let ink = draw(280, 280, &two(200.0, 40.0, 30.0), 8.0);
        let runs = 20;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            std::hint::black_box(preprocess(std::hint::black_box(&ink), 280, 280).unwrap());
        }
        let each = start.elapsed() / runs;
        let build = if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        };
        println!("preprocess of a 280x280 drawing: {each:?} per call ({build} build)");
    }
}
