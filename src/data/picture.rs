//! A picture of a digit from a file (PNG, JPEG, BMP or GIF, any size), as `backprop-lab predict
//! --image` reads it: decoded by the `image` crate within limits, turned grey, its ink found by
//! [`preprocess::ink_from_gray`] and prepared like a drawing by [`preprocess::preprocess`].
//! Native builds only (the page gets its drawings from a canvas).

use std::io::Cursor;

use image::{ImageReader, Limits};

use crate::data::preprocess::{self, Preprocessed};
use crate::error::{Error, Result};

/// The longest side a picture may have: 16,384 px, more than a 48-megapixel phone photo's.
pub const MAX_SIDE: u32 = 16_384;
/// What the decoder may allocate. A 48-megapixel RGB photo takes 145 MB; the grey copy and the
/// ink (one f32 per pixel) that follow take five bytes per pixel more.
pub const MAX_DECODE_BYTES: u64 = 256 << 20;

/// The preprocessed digit in a picture file's bytes. Errors say what is wrong with the picture:
/// not a picture this program reads, larger than the limits, or blank.
pub fn digit_from_picture(bytes: &[u8]) -> Result<Preprocessed> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::new(format!("not a readable picture ({e})")))?;
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| Error::new(format!("not a readable picture ({})", one_line(&e))))?;
    let gray = img.to_luma8();
    let (w, h) = gray.dimensions();
    let ink = preprocess::ink_from_gray(gray.as_raw(), w as usize, h as usize);
    preprocess::preprocess(&ink, w as usize, h as usize)?
        .ok_or_else(|| Error::new("no digit found (the picture is blank)"))
}

/// A decoder's message on one line (some span several).
fn one_line(e: &impl std::fmt::Display) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
