//! MNIST's IDX files: how 70,000 handwritten digits are stored, and how a training step reads them.
//!
//! An IDX file is a big-endian header followed by raw bytes:
//!
//! ```text
//! images: [0x00 0x00 0x08 0x03] [count: u32] [rows: u32] [cols: u32] [count*rows*cols pixels: u8]
//! labels: [0x00 0x00 0x08 0x01] [count: u32]                         [count labels: u8, 0..=9]
//! ```
//!
//! The magic number's third byte (0x08) says "unsigned bytes", the fourth how many dimensions
//! follow. Pixels are 0 (background) to 255 (ink), row-major, one image after another. The files
//! are distributed gzip-compressed ([`FILES`]); decompressing is the caller's job, so this file
//! stays plain `std` and runs the same natively and in wasm.
//!
//! The same format carries a user's own digits out of the page and back ([`write_images`],
//! [`write_labels`], [`Dataset::to_idx`]).
//!
//! A [`Dataset`] keeps the pixels as `u8` (47 MB for the training set instead of 188 MB as `f32`)
//! and converts only the batch a step needs, with [`Dataset::fill_batch`].
//!
//! Next: [`super::preprocess`], which turns a digit drawn on the page into an image like these.

use std::ops::Range;

use crate::error::{Error, Result};

/// The four standard file names, in order: train images, train labels, test images, test labels.
pub const FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (count, rows, cols).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (count).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// Side of an MNIST image; the networks of this project take 28x28 = 784 inputs.
pub const SIDE: usize = 28;

/// The decoded contents of an IDX image file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    /// `count * rows * cols` bytes, row-major, image after image; 0 is background, 255 full ink.
    pub pixels: Vec<u8>,
}

/// Parse an (uncompressed) IDX image file.
pub fn parse_images(bytes: &[u8]) -> Result<Images> {
    let (count, rows, cols) = check_images(bytes)?;
    Ok(Images {
        count,
        rows,
        cols,
        pixels: bytes[16..].to_vec(),
    })
}

/// [`parse_images`] of a file the caller gives up: its pixels stay where they are (the header is
/// cut off in place), so a 47 MB training set is not held twice while it loads.
pub fn parse_images_owned(mut bytes: Vec<u8>) -> Result<Images> {
    let (count, rows, cols) = check_images(&bytes)?;
    bytes.drain(..16);
    Ok(Images {
        count,
        rows,
        cols,
        pixels: bytes,
    })
}

/// An IDX image file's dimensions (count, rows, cols) once its header and length are checked.
fn check_images(bytes: &[u8]) -> Result<(usize, usize, usize)> {
    let header = read_header(bytes, IMAGES_MAGIC, 4, "image")?;
    let (count, rows, cols) = (header[0], header[1], header[2]);
    if count == 0 || rows == 0 || cols == 0 {
        return Err(Error::new(format!(
            "the header says {count} images of {rows}x{cols}; every dimension must be nonzero"
        )));
    }
    let expected = count
        .checked_mul(rows)
        .and_then(|n| n.checked_mul(cols))
        .ok_or_else(|| {
            Error::new(format!(
                "the header says {count} images of {rows}x{cols}, too large to load"
            ))
        })?;
    let body = &bytes[16..];
    check_body_len(body.len(), expected, || {
        format!("bytes of pixels for {count} images of {rows}x{cols}")
    })?;
    Ok((count, rows, cols))
}

/// Parse an (uncompressed) IDX label file: one digit 0..=9 per image.
pub fn parse_labels(bytes: &[u8]) -> Result<Vec<u8>> {
    let count = read_header(bytes, LABELS_MAGIC, 2, "label")?[0];
    if count == 0 {
        return Err(Error::new(
            "the header says 0 labels; the file must hold at least one",
        ));
    }
    let body = &bytes[8..];
    check_body_len(body.len(), count, || {
        format!("bytes of labels for {count} labels")
    })?;
    if let Some(i) = body.iter().position(|&l| l > 9) {
        return Err(Error::new(format!(
            "label {i} is {}, expected a digit 0 to 9",
            body[i]
        )));
    }
    Ok(body.to_vec())
}

/// An (uncompressed) IDX image file of `images`: the header, then the pixels. [`parse_images`]
/// reads it back unchanged; this is how the page exports a user's own digits.
pub fn write_images(images: &Images) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(16 + images.pixels.len());
    for word in [images.count, images.rows, images.cols] {
        assert!(
            u32::try_from(word).is_ok(),
            "an IDX dimension must fit in 32 bits, found {word}"
        );
    }
    bytes.extend_from_slice(&IMAGES_MAGIC.to_be_bytes());
    for word in [images.count, images.rows, images.cols] {
        bytes.extend_from_slice(&(word as u32).to_be_bytes());
    }
    bytes.extend_from_slice(&images.pixels);
    bytes
}

/// An (uncompressed) IDX label file of `labels`; [`parse_labels`] reads it back.
pub fn write_labels(labels: &[u8]) -> Vec<u8> {
    let count = u32::try_from(labels.len()).expect("an IDX count fits in 32 bits");
    let mut bytes = Vec::with_capacity(8 + labels.len());
    bytes.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    bytes.extend_from_slice(&count.to_be_bytes());
    bytes.extend_from_slice(labels);
    bytes
}

/// Check the magic number and return the `words - 1` big-endian sizes that follow it.
fn read_header(bytes: &[u8], magic: u32, words: usize, kind: &str) -> Result<Vec<usize>> {
    let len = 4 * words;
    let gzip = bytes.starts_with(&[0x1f, 0x8b]);
    let gzip_hint = if gzip {
        ": the file looks gzip-compressed; decompress it first"
    } else {
        ""
    };
    let word = |i: usize| {
        u32::from_be_bytes([
            bytes[4 * i],
            bytes[4 * i + 1],
            bytes[4 * i + 2],
            bytes[4 * i + 3],
        ])
    };
    // The magic number first: a wrong file says more than a short one.
    if bytes.len() >= 4 && word(0) != magic {
        let found = word(0);
        let hint = if gzip {
            gzip_hint.to_string()
        } else if found == IMAGES_MAGIC || found == LABELS_MAGIC {
            let other = if found == IMAGES_MAGIC {
                "an image"
            } else {
                "a label"
            };
            format!(": this is {other} file; were the two files swapped?")
        } else {
            String::new()
        };
        return Err(Error::new(format!(
            "expected the IDX {kind} magic number 0x{magic:08x}, found 0x{found:08x}{hint}"
        )));
    }
    if bytes.len() < len {
        return Err(Error::new(format!(
            "an IDX {kind} file starts with a {len}-byte header, found only {} bytes{gzip_hint}",
            bytes.len()
        )));
    }
    Ok((1..words).map(|i| word(i) as usize).collect())
}

/// The body must be exactly as long as the header promised: shorter is a truncated download,
/// longer is usually two files glued together or the wrong file.
fn check_body_len(found: usize, expected: usize, what: impl Fn() -> String) -> Result<()> {
    if found < expected {
        Err(Error::new(format!(
            "expected {expected} {}, found {found}: the file is truncated",
            what()
        )))
    } else if found > expected {
        Err(Error::new(format!(
            "expected {expected} {}, found {found}: {} extra bytes after the end",
            what(),
            found - expected
        )))
    } else {
        Ok(())
    }
}

/// Images and their labels, checked to match: the training set or the test set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// `count * rows * cols` bytes, row-major, image after image.
    pub images: Vec<u8>,
    /// `count` digits 0..=9; `labels[i]` is the digit shown by `image(i)`.
    pub labels: Vec<u8>,
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
}

impl Dataset {
    /// Parse a pair of (uncompressed) IDX files, e.g. train-images with train-labels.
    pub fn from_idx(images_bytes: &[u8], labels_bytes: &[u8]) -> Result<Dataset> {
        let images = parse_images(images_bytes).map_err(|e| e.context("images"))?;
        let labels = parse_labels(labels_bytes).map_err(|e| e.context("labels"))?;
        Dataset::new(images, labels)
    }

    /// [`from_idx`](Self::from_idx) of an image file the caller gives up
    /// ([`parse_images_owned`]): the pixels are not copied.
    pub fn from_idx_owned(images_bytes: Vec<u8>, labels_bytes: &[u8]) -> Result<Dataset> {
        let images = parse_images_owned(images_bytes).map_err(|e| e.context("images"))?;
        let labels = parse_labels(labels_bytes).map_err(|e| e.context("labels"))?;
        Dataset::new(images, labels)
    }

    /// Pair parsed images with parsed labels.
    pub fn new(images: Images, labels: Vec<u8>) -> Result<Dataset> {
        if images.count != labels.len() {
            return Err(Error::new(format!(
                "the image file holds {} images but the label file holds {} labels; \
                 use a matching pair (train-images with train-labels, t10k-images with t10k-labels)",
                images.count,
                labels.len()
            )));
        }
        if (images.rows, images.cols) != (SIDE, SIDE) {
            return Err(Error::new(format!(
                "the images are {}x{}, but this project's networks take MNIST's {SIDE}x{SIDE} images",
                images.rows, images.cols
            )));
        }
        Ok(Dataset {
            images: images.pixels,
            labels,
            count: images.count,
            rows: images.rows,
            cols: images.cols,
        })
    }

    /// The pair of (uncompressed) IDX files, images then labels, that [`Dataset::from_idx`]
    /// reads back.
    pub fn to_idx(&self) -> (Vec<u8>, Vec<u8>) {
        let images = Images {
            count: self.count,
            rows: self.rows,
            cols: self.cols,
            pixels: self.images.clone(),
        };
        (write_images(&images), write_labels(&self.labels))
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Pixels per image: rows * cols = 784.
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// The `rows * cols` pixels of image `i`, row-major, 0..=255.
    pub fn image(&self, i: usize) -> &[u8] {
        assert!(
            i < self.count,
            "image {i} out of range: the dataset holds {} images",
            self.count
        );
        let n = self.pixels_per_image();
        &self.images[i * n..(i + 1) * n]
    }

    /// The digit shown by image `i`.
    pub fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }

    /// A copy of images `range`, e.g. `subset(0..50_000)` and `subset(50_000..60_000)` for a
    /// training/validation split.
    pub fn subset(&self, range: Range<usize>) -> Dataset {
        assert!(
            range.start <= range.end && range.end <= self.count,
            "subset {range:?} out of range: the dataset holds {} images",
            self.count
        );
        let n = self.pixels_per_image();
        Dataset {
            images: self.images[range.start * n..range.end * n].to_vec(),
            labels: self.labels[range.clone()].to_vec(),
            count: range.len(),
            rows: self.rows,
            cols: self.cols,
        }
    }

    /// A copy of the images `indices`, in that order: a held-out part of a user's digits.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        let mut images = Vec::with_capacity(indices.len() * self.pixels_per_image());
        for &i in indices {
            images.extend_from_slice(self.image(i));
        }
        Dataset {
            images,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            count: indices.len(),
            rows: self.rows,
            cols: self.cols,
        }
    }

    /// Copy the images `indices` into a batch, scaled to [0, 1].
    ///
    /// `x[b * 784 + p] = image(indices[b])[p] / 255`, `y[b] = label(indices[b])`.
    /// x: (B, 784) row-major, y: (B,), with B = `indices.len()`. Nothing is allocated: the
    /// training loop calls this every step with the same buffers (for an `Array2<f32>` of shape
    /// (B, 784) pass `x.as_slice_mut().unwrap()`).
    pub fn fill_batch(&self, indices: &[usize], x: &mut [f32], y: &mut [usize]) {
        let n = self.pixels_per_image();
        assert_eq!(
            x.len(),
            indices.len() * n,
            "fill_batch: x must hold {} images of {n} pixels",
            indices.len()
        );
        assert_eq!(
            y.len(),
            indices.len(),
            "fill_batch: y must hold one label per index"
        );
        for ((&i, x_row), y_b) in indices.iter().zip(x.chunks_exact_mut(n)).zip(y.iter_mut()) {
            for (x_p, &p) in x_row.iter_mut().zip(self.image(i)) {
                *x_p = f32::from(p) / 255.0;
            }
            *y_b = usize::from(self.labels[i]);
        }
    }
}

/// `n` made-up digits a model can learn quickly, for tests and benchmarks: image `i` shows the
/// digit `i % 10`, drawn as a bright bar across row `2k + 4` for digit k.
pub fn synthetic(n: usize) -> Dataset {
    let mut pixels = vec![0u8; n * SIDE * SIDE];
    for (i, img) in pixels.chunks_exact_mut(SIDE * SIDE).enumerate() {
        let row = 2 * (i % 10) + 4;
        img[row * SIDE + 4..row * SIDE + 24].fill(255);
    }
    let images = Images {
        count: n,
        rows: SIDE,
        cols: SIDE,
        pixels,
    };
    Dataset::new(images, (0..n).map(|i| (i % 10) as u8).collect()).expect("28x28 digits")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IDX image file built by hand: header, then pixel `k` of the body is `k % 256`.
    fn idx_images(count: u32, rows: u32, cols: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        for word in [IMAGES_MAGIC, count, rows, cols] {
            bytes.extend_from_slice(&word.to_be_bytes());
        }
        let n = (count * rows * cols) as usize;
        bytes.extend((0..n).map(|k| (k % 256) as u8));
        bytes
    }

    fn idx_labels(labels: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
        bytes.extend_from_slice(&(labels.len() as u32).to_be_bytes());
        bytes.extend_from_slice(labels);
        bytes
    }

    fn err<T: std::fmt::Debug>(r: Result<T>) -> String {
        r.expect_err("expected an error").0
    }

    #[test]
    fn parses_images_and_labels() {
        let images = parse_images(&idx_images(3, 2, 4)).unwrap();
        assert_eq!((images.count, images.rows, images.cols), (3, 2, 4));
        assert_eq!(images.pixels, (0..24).collect::<Vec<u8>>());
        assert_eq!(
            parse_labels(&idx_labels(&[7, 0, 9])).unwrap(),
            vec![7, 0, 9]
        );
        // Taken over instead of copied: the same images, the same errors.
        assert_eq!(parse_images_owned(idx_images(3, 2, 4)).unwrap(), images);
        let mut short = idx_images(3, 2, 4);
        short.pop();
        assert_eq!(
            err(parse_images_owned(short.clone())),
            err(parse_images(&short))
        );
    }

    #[test]
    fn bad_magic_says_what_was_found() {
        let mut bytes = idx_images(1, 2, 2);
        bytes[3] = 0x04;
        assert_eq!(
            err(parse_images(&bytes)),
            "expected the IDX image magic number 0x00000803, found 0x00000804"
        );
        let e = err(parse_images(&idx_labels(&[1])));
        assert!(
            e.ends_with("found 0x00000801: this is a label file; were the two files swapped?"),
            "{e}"
        );
    }

    #[test]
    fn gzip_bytes_get_a_hint() {
        // The first bytes of a real .gz file: magic 1f 8b, method 08 (deflate), flags, mtime...
        let gz = [
            0x1f, 0x8b, 0x08, 0x08, 0x9c, 0x12, 0x40, 0x54, 0x00, 0x03, 0x74, 0x72, 0x61, 0x69,
            0x6e, 0x2d, 0x69,
        ];
        let e = err(parse_images(&gz));
        assert!(e.contains("found 0x1f8b0808"), "{e}");
        assert!(
            e.ends_with("found 0x1f8b0808: the file looks gzip-compressed; decompress it first"),
            "{e}"
        );
        let e = err(parse_labels(&gz[..2]));
        assert!(
            e.contains("header, found only 2 bytes: the file looks gzip-compressed"),
            "{e}"
        );
    }

    #[test]
    fn short_header_is_an_error() {
        assert_eq!(
            err(parse_images(&[0, 0, 8, 3, 0, 0])),
            "an IDX image file starts with a 16-byte header, found only 6 bytes"
        );
    }

    #[test]
    fn zero_dimensions_are_an_error() {
        let e = err(parse_images(&idx_images(5, 0, 28)));
        assert_eq!(
            e,
            "the header says 5 images of 0x28; every dimension must be nonzero"
        );
        assert!(err(parse_labels(&idx_labels(&[]))).contains("0 labels"));
    }

    #[test]
    fn truncated_file_says_how_much_is_missing() {
        let mut bytes = idx_images(3, 28, 28);
        bytes.truncate(16 + 1000);
        assert_eq!(
            err(parse_images(&bytes)),
            "expected 2352 bytes of pixels for 3 images of 28x28, found 1000: the file is truncated"
        );
        let mut labels = idx_labels(&[1, 2, 3]);
        labels.pop();
        assert_eq!(
            err(parse_labels(&labels)),
            "expected 3 bytes of labels for 3 labels, found 2: the file is truncated"
        );
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let mut bytes = idx_images(2, 28, 28);
        bytes.extend_from_slice(&[0; 5]);
        assert_eq!(
            err(parse_images(&bytes)),
            "expected 1568 bytes of pixels for 2 images of 28x28, found 1573: 5 extra bytes after the end"
        );
    }

    #[test]
    fn bad_label_names_its_index() {
        assert_eq!(
            err(parse_labels(&idx_labels(&[3, 9, 10, 12]))),
            "label 2 is 10, expected a digit 0 to 9"
        );
    }

    #[test]
    fn dataset_needs_matching_counts() {
        let e = err(Dataset::from_idx(
            &idx_images(3, 28, 28),
            &idx_labels(&[1, 2]),
        ));
        assert!(
            e.starts_with("the image file holds 3 images but the label file holds 2 labels"),
            "{e}"
        );
    }

    #[test]
    fn dataset_needs_28x28() {
        let e = err(Dataset::from_idx(
            &idx_images(2, 32, 32),
            &idx_labels(&[1, 2]),
        ));
        assert_eq!(
            e,
            "the images are 32x32, but this project's networks take MNIST's 28x28 images"
        );
    }

    #[test]
    fn dataset_errors_say_which_file() {
        let e = err(Dataset::from_idx(
            &idx_images(1, 28, 28),
            &idx_labels(&[11]),
        ));
        assert_eq!(e, "labels: label 0 is 11, expected a digit 0 to 9");
        let e = err(Dataset::from_idx(&[0x1f, 0x8b], &idx_labels(&[1])));
        assert!(e.starts_with("images: an IDX image file"), "{e}");
    }

    #[test]
    fn images_subsets_and_batches() {
        let data = Dataset::from_idx(&idx_images(4, 28, 28), &idx_labels(&[5, 0, 4, 1])).unwrap();
        assert_eq!((data.len(), data.is_empty()), (4, false));
        // Image 1 starts at byte 784 of the body, and 784 % 256 = 16.
        assert_eq!(&data.image(1)[..3], &[16, 17, 18]);

        let (train, valid) = (data.subset(0..3), data.subset(3..4));
        assert_eq!((train.len(), valid.len()), (3, 1));
        assert_eq!(valid.image(0), data.image(3));
        assert_eq!(valid.labels, vec![1]);
        assert!(data.subset(2..2).is_empty());
        let picked = data.select(&[3, 1]);
        assert_eq!(
            (picked.labels.clone(), picked.image(0)),
            (vec![1, 0], data.image(3))
        );

        let mut x = vec![-1.0; 2 * 784];
        let mut y = vec![99; 2];
        data.fill_batch(&[3, 1], &mut x, &mut y);
        assert_eq!(y, vec![1, 0]);
        // Image 3 starts at 3 * 784 = 2352, 2352 % 256 = 48; image 1 at 16.
        assert_eq!(x[0], 48.0 / 255.0);
        assert_eq!(x[784], 16.0 / 255.0);
        // Pixel 239 of image 1 is (784 + 239) % 256 = 255: full ink is exactly 1.
        assert_eq!(x[784 + 239], 1.0);
        assert!(x.iter().all(|&v| (0.0..=1.0).contains(&v)));
    }

    #[test]
    fn written_files_are_idx_and_read_back() {
        let images = Images {
            count: 2,
            rows: 28,
            cols: 28,
            pixels: (0..2 * 784).map(|k| (k % 251) as u8).collect(),
        };
        let bytes = write_images(&images);
        // Magic 0x00000803, then 2, 28, 28 as big-endian u32, then the pixels.
        assert_eq!(
            &bytes[..16],
            &[0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]
        );
        assert_eq!(bytes, idx_images_of(&images));
        assert_eq!(parse_images(&bytes).unwrap(), images);
        let labels = write_labels(&[7, 0]);
        assert_eq!(labels, vec![0, 0, 8, 1, 0, 0, 0, 2, 7, 0]);

        let data = Dataset::new(images, vec![7, 0]).unwrap();
        let (i, l) = data.to_idx();
        assert_eq!(Dataset::from_idx(&i, &l).unwrap(), data);
    }

    /// The same file as [`idx_images`] builds, from given pixels.
    fn idx_images_of(images: &Images) -> Vec<u8> {
        let mut b = idx_images(images.count as u32, images.rows as u32, images.cols as u32);
        b.truncate(16);
        b.extend_from_slice(&images.pixels);
        b
    }

    #[test]
    fn file_names_are_in_the_documented_order() {
        assert!(FILES[0].starts_with("train-images") && FILES[1].starts_with("train-labels"));
        assert!(FILES[2].starts_with("t10k-images") && FILES[3].starts_with("t10k-labels"));
    }

    #[test]
    fn synthetic_digits_round_trip_through_idx() {
        let data = synthetic(12);
        assert_eq!(data.label(11), 1);
        // Digit 1's bar is row 6: pixels 6 * 28 + 4 to 6 * 28 + 23.
        assert_eq!(data.image(11)[6 * 28 + 4], 255);
        assert_eq!(data.image(11)[6 * 28 + 3], 0);
        let (images, labels) = data.to_idx();
        let back = Dataset::from_idx(&images, &labels).unwrap();
        assert_eq!((back.images, back.labels), (data.images, data.labels));
    }
}
