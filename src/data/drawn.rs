//! MNIST's digits drawn again with the page's pen: a set of drawings with real handwriting
//! strokes, at any size and place on the drawing pad, to test preprocessing against.
//!
//! A digit drawn on the page is a path drawn with a round pen of fixed width ([`PEN`] pixels on a
//! [`CANVAS`]-pixel canvas), whatever the size of the digit. To get such drawings of real
//! handwriting, each MNIST digit is thinned to its skeleton, the line down the middle of its
//! strokes ([`skeleton`]: enlarged 8 times, cut at half ink, then Zhang & Suen's thinning), and
//! the skeleton is drawn again with that pen at the size and place wanted ([`draw`]): the ink at
//! a pixel is `clamp(r + ½ − d, 0, 1)`, `d` the distance from the pixel's centre to the path and
//! `r` the pen's radius, as a canvas anti-aliases a round pen.
//!
//! The same skeleton drawn large, small or in a corner is the same strokes, as a user would draw
//! them: what the preprocessing must read alike.

use super::mnist::SIDE;

/// The drawing pad's own resolution, in pixels (square).
pub const CANVAS: usize = 280;
/// The page's pen width, in drawing pixels.
pub const PEN: f32 = 20.0;
/// How much finer than MNIST's pixels the skeleton is traced.
const FINE: usize = 8;

/// The skeleton of a 28x28 digit (grey levels 0..=255): points along the middle of its strokes,
/// in MNIST pixel units (pixel `i` covers `[i, i + 1)`), spaced 1/8 pixel apart.
pub fn skeleton(image: &[u8]) -> Vec<(f32, f32)> {
    assert_eq!(image.len(), SIDE * SIDE, "skeleton: a 28x28 image");
    // Bilinear enlargement, cut at half ink; a border of background for the thinning.
    let n = SIDE * FINE + 2;
    let at = |x: isize, y: isize| {
        if (0..SIDE as isize).contains(&x) && (0..SIDE as isize).contains(&y) {
            f32::from(image[y as usize * SIDE + x as usize]) / 255.0
        } else {
            0.0
        }
    };
    let mut grid = vec![false; n * n];
    for fy in 0..SIDE * FINE {
        for fx in 0..SIDE * FINE {
            // Fine pixel centre in MNIST pixel-index coordinates (pixel i centred at i).
            let u = (fx as f32 + 0.5) / FINE as f32 - 0.5;
            let v = (fy as f32 + 0.5) / FINE as f32 - 0.5;
            let (x0, y0) = (u.floor(), v.floor());
            let (a, b) = (u - x0, v - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            let ink = (1.0 - a) * (1.0 - b) * at(x0, y0)
                + a * (1.0 - b) * at(x0 + 1, y0)
                + (1.0 - a) * b * at(x0, y0 + 1)
                + a * b * at(x0 + 1, y0 + 1);
            grid[(fy + 1) * n + fx + 1] = ink >= 0.5;
        }
    }
    thin(&mut grid, n);
    let mut points = Vec::new();
    for y in 1..n - 1 {
        for x in 1..n - 1 {
            if grid[y * n + x] {
                points.push((
                    (x as f32 - 0.5) / FINE as f32,
                    (y as f32 - 0.5) / FINE as f32,
                ));
            }
        }
    }
    points
}

/// Zhang & Suen (1984), "A fast parallel algorithm for thinning digital patterns": peel the
/// boundary pixels whose removal keeps the shape connected, alternately from the south-east and
/// the north-west, until nothing changes. `grid` is `n x n` with a background border.
fn thin(grid: &mut [bool], n: usize) {
    let mut remove = Vec::new();
    loop {
        let mut changed = false;
        for pass in 0..2 {
            remove.clear();
            for y in 1..n - 1 {
                for x in 1..n - 1 {
                    if !grid[y * n + x] {
                        continue;
                    }
                    // P2..P9: north, then clockwise.
                    let p = [
                        grid[(y - 1) * n + x],
                        grid[(y - 1) * n + x + 1],
                        grid[y * n + x + 1],
                        grid[(y + 1) * n + x + 1],
                        grid[(y + 1) * n + x],
                        grid[(y + 1) * n + x - 1],
                        grid[y * n + x - 1],
                        grid[(y - 1) * n + x - 1],
                    ];
                    let neighbours = p.iter().filter(|&&v| v).count();
                    let transitions = (0..8).filter(|&i| !p[i] && p[(i + 1) % 8]).count();
                    let (n2, e4, s6, w8) = (p[0], p[2], p[4], p[6]);
                    // The paper's P2·P4·P6 = 0 and P4·P6·P8 = 0 (south-east pass), and
                    // P2·P4·P8 = 0 and P2·P6·P8 = 0 (north-west pass).
                    let side = if pass == 0 {
                        !(e4 && s6 && (n2 || w8))
                    } else {
                        !(n2 && w8 && (e4 || s6))
                    };
                    if (2..=6).contains(&neighbours) && transitions == 1 && side {
                        remove.push(y * n + x);
                    }
                }
            }
            for &i in &remove {
                grid[i] = false;
            }
            changed |= !remove.is_empty();
        }
        if !changed {
            break;
        }
    }
}

/// Where a drawing goes on the pad.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Place {
    /// Centred on the pad.
    Centre,
    /// The ink's top-left corner this many pixels from the pad's top-left corner.
    Corner(f32),
}

/// `points` (a [`skeleton`]) drawn with a round pen of `pen` pixels on a `canvas`-pixel square
/// pad, scaled so that the ink (pen included) spans `size` pixels on its longer side, at `place`.
/// Ink per pixel in [0, 1], row-major, as the page's drawing gives it.
pub fn draw(points: &[(f32, f32)], canvas: usize, size: f32, place: Place, pen: f32) -> Vec<f32> {
    let mut ink = vec![0.0f32; canvas * canvas];
    let r = pen / 2.0;
    for (cx, cy) in on_pad(points, canvas, size, place, pen) {
        let reach = r + 1.0;
        let (ax, bx) = (
            (cx - reach).floor().max(0.0) as usize,
            (cx + reach).ceil() as usize,
        );
        let (ay, by) = (
            (cy - reach).floor().max(0.0) as usize,
            (cy + reach).ceil() as usize,
        );
        for py in ay..by.min(canvas) {
            for px in ax..bx.min(canvas) {
                let d = (px as f32 + 0.5 - cx).hypot(py as f32 + 0.5 - cy);
                let v = (r + 0.5 - d).clamp(0.0, 1.0);
                let cell = &mut ink[py * canvas + px];
                if v > *cell {
                    *cell = v;
                }
            }
        }
    }
    ink
}

/// Where [`draw`] puts the pen's centre for each of `points`, in pad pixels: scaled so that the
/// ink (pen included) spans `size` pixels on its longer side, at `place`.
pub fn on_pad(
    points: &[(f32, f32)],
    canvas: usize,
    size: f32,
    place: Place,
    pen: f32,
) -> Vec<(f32, f32)> {
    if points.is_empty() {
        return Vec::new();
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &(x, y) in points {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let r = pen / 2.0;
    let k = (size - pen).max(0.0) / (x1 - x0).max(y1 - y0).max(1e-6);
    let (w, h) = ((x1 - x0) * k + pen, (y1 - y0) * k + pen);
    let (ox, oy) = match place {
        Place::Centre => ((canvas as f32 - w) / 2.0, (canvas as f32 - h) / 2.0),
        Place::Corner(margin) => (margin, margin),
    };
    points
        .iter()
        .map(|&(x, y)| (ox + r + (x - x0) * k, oy + r + (y - y0) * k))
        .collect()
}

/// A 28x28 digit (grey levels) as the drawing pad's pen would draw it: its [`skeleton`] placed
/// centred at `size` pixels ([`on_pad`]), one pen position per pad pixel it touches (the pad
/// paints each as a dot of the pen, which gives the same ink as [`draw`]). How a keyboard user
/// puts a test digit on the pad.
pub fn pad_points(image: &[u8], canvas: usize, size: f32, pen: f32) -> Vec<(f32, f32)> {
    let mut seen = std::collections::HashSet::new();
    on_pad(&skeleton(image), canvas, size, Place::Centre, pen)
        .into_iter()
        .filter(|&(x, y)| seen.insert((x.round() as i32, y.round() as i32)))
        .map(|(x, y)| ((x * 10.0).round() / 10.0, (y * 10.0).round() / 10.0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_thins_to_its_middle_line() {
        // A vertical bar 3 px wide (columns 12..15) and 16 px tall (rows 6..22).
        let mut img = [0u8; 784];
        for y in 6..22 {
            for x in 12..15 {
                img[y * 28 + x] = 255;
            }
        }
        let points = skeleton(&img);
        assert!(!points.is_empty());
        // Every point lies on the bar's middle line x = 13.5, give or take a fine pixel.
        for &(x, y) in &points {
            assert!((x - 13.5).abs() <= 1.0 / FINE as f32 + 1e-4, "({x}, {y})");
        }
        // And the line runs most of the bar's length (thinning shortens the ends a little).
        let (lo, hi) = points
            .iter()
            .fold((f32::MAX, f32::MIN), |(lo, hi), &(_, y)| {
                (lo.min(y), hi.max(y))
            });
        assert!(hi - lo > 12.0, "{lo}..{hi}");
    }

    #[test]
    fn drawing_puts_the_pen_where_asked() {
        let line = [(5.0, 4.0), (5.0, 24.0)];
        let points: Vec<(f32, f32)> = (0..=160)
            .map(|i| (line[0].0, line[0].1 + i as f32 / 8.0))
            .collect();
        let ink = draw(&points, CANVAS, 200.0, Place::Corner(10.0), PEN);
        // Ink spans x in [10, 30) and y in [10, 210): full ink on the path, none a pen away.
        let at = |x: usize, y: usize| ink[y * CANVAS + x];
        assert_eq!(at(20, 110), 1.0);
        assert_eq!(at(20, 12), 1.0);
        assert_eq!(at(20, 9), 0.0);
        assert_eq!(at(31, 110), 0.0);
        assert_eq!(at(20, 211), 0.0);
        let centred = draw(&points, CANVAS, 200.0, Place::Centre, PEN);
        assert_eq!(centred[140 * CANVAS + 140], 1.0);
        assert_eq!(centred[140 * CANVAS + 151], 0.0);
    }

    #[test]
    fn a_digit_put_on_the_pad_is_its_strokes_at_the_asked_size() {
        // The bar of the first test: its pen positions run down the middle of the pad, one per
        // pad pixel, and with the pen they span 170 px.
        let mut img = [0u8; 784];
        for y in 6..22 {
            for x in 12..15 {
                img[y * 28 + x] = 255;
            }
        }
        let points = pad_points(&img, CANVAS, 170.0, PEN);
        let fine = skeleton(&img).len();
        assert!(points.len() <= fine, "{} of {fine}", points.len());
        let (lo, hi) = points
            .iter()
            .fold((f32::MAX, f32::MIN), |(lo, hi), &(_, y)| {
                (lo.min(y), hi.max(y))
            });
        assert!((hi - lo + PEN - 170.0).abs() < 0.2, "{lo}..{hi}");
        assert!((lo + hi) / 2.0 - 140.0 < 0.2);
        for &(x, _) in &points {
            assert!((x - 140.0).abs() < 0.2, "{x}");
        }
        // Painted as dots of the pen they give the ink of `draw`: the same pen positions.
        let ink = draw(&skeleton(&img), CANVAS, 170.0, Place::Centre, PEN);
        let at = |x: usize, y: usize| ink[y * CANVAS + x];
        assert_eq!(at(140, 140), 1.0);
        assert_eq!(at(140 + PEN as usize, 140), 0.0);
    }
}
