//! What the Draw view asks of the core about a drawing: read it (preprocess, predict) and say
//! why (the saliency map of the predicted class or of a class the user picks), in one call per
//! animation frame; and a test digit put on the pad as strokes, for a keyboard user.
//!
//! Next: [`crate::digit`].

use serde::Serialize;

use crate::data::drawn;
use crate::data::mnist::Dataset;
use crate::data::preprocess::{self, Preprocessed};
use crate::digit;
use crate::error::{Error, Result};
use crate::network::Network;
use crate::saliency::{saliency_of, Saliency, Score};
use crate::train::argmax;
use crate::vocabulary::TEST_DIGIT_SIZE;

/// Which saliency map to compute with a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Explain {
    Nothing,
    /// Of the class the network reads.
    Predicted,
    Class(usize),
}

/// A drawing read by the network.
#[derive(Debug, Clone, Serialize)]
pub struct DrawingRead {
    pub probs: Vec<f32>,
    /// The digit it reads: the first of the largest probabilities.
    pub class: usize,
    /// The 28x28 input as grey levels 0..=255 ([`preprocess::to_u8`]): what "keep this digit"
    /// stores.
    pub bytes: Vec<u8>,
    /// ∂(logit of the class)/∂(each input pixel), when asked for.
    pub saliency: Option<Saliency>,
    /// Every stage of the preprocessing; its `image` is the network's input.
    pub preprocessed: Preprocessed,
}

/// Reads canvas RGBA pixels (`width` x `height`): `None` for an empty canvas.
pub fn read_drawing(
    net: &mut Network,
    rgba: &[u8],
    width: usize,
    height: usize,
    explain: Explain,
) -> Result<Option<DrawingRead>> {
    if rgba.len() != width * height * 4 {
        return Err(Error::new(format!(
            "expected {width}x{height} RGBA pixels ({} bytes), found {} bytes",
            width * height * 4,
            rgba.len()
        )));
    }
    let ink = preprocess::ink_from_rgba(rgba, width, height);
    let Some(p) = preprocess::preprocess(&ink, width, height)? else {
        return Ok(None);
    };
    digit::check_pixels(net, &p.image)?;
    let (probs, saliency) = match explain {
        Explain::Nothing => (net.predict(&p.image).into_raw_vec_and_offset().0, None),
        Explain::Predicted | Explain::Class(_) => {
            let class = match explain {
                Explain::Class(c) => Some(c),
                _ => None,
            };
            let s = saliency_of(net, &p.image, class, Score::Logit)?;
            (s.probs.clone(), Some(s))
        }
    };
    Ok(Some(DrawingRead {
        class: argmax(&probs),
        probs,
        bytes: preprocess::to_u8(&p.image),
        saliency,
        preprocessed: p,
    }))
}

/// Test digit `index` as pen positions on the pad ([`drawn::pad_points`], at
/// [`TEST_DIGIT_SIZE`]), with its label.
pub fn test_digit_on_pad(test: &Dataset, index: usize) -> Result<(Vec<(f32, f32)>, usize)> {
    let (_, label) = digit::test_digit(test, index)?;
    let points = drawn::pad_points(
        test.image(index),
        drawn::CANVAS,
        TEST_DIGIT_SIZE,
        drawn::PEN,
    );
    Ok((points, label))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vertical bar drawn on a 280 px canvas as RGBA (opaque ink on a transparent canvas).
    fn bar() -> Vec<u8> {
        let mut rgba = vec![0u8; 280 * 280 * 4];
        for y in 60..220 {
            for x in 130..150 {
                rgba[(y * 280 + x) * 4 + 3] = 255;
            }
        }
        rgba
    }

    #[test]
    fn one_call_reads_the_drawing_and_explains_the_class_asked_for() {
        let mut net = crate::presets::network("mlp-64", 1).unwrap();
        let rgba = bar();
        let plain = read_drawing(&mut net, &rgba, 280, 280, Explain::Nothing)
            .unwrap()
            .unwrap();
        assert!(plain.saliency.is_none());
        assert_eq!(
            plain.probs,
            net.predict(&plain.preprocessed.image)
                .into_raw_vec_and_offset()
                .0
        );
        assert_eq!(plain.bytes, preprocess::to_u8(&plain.preprocessed.image));
        let why = read_drawing(&mut net, &rgba, 280, 280, Explain::Predicted)
            .unwrap()
            .unwrap();
        let s = why.saliency.unwrap();
        assert_eq!((why.class, s.class), (plain.class, plain.class));
        assert_eq!(why.probs, plain.probs);
        assert_eq!(
            s,
            crate::saliency::saliency(
                &mut net,
                &plain.preprocessed.image,
                plain.class,
                Score::Logit
            )
            .unwrap()
        );
        let three = read_drawing(&mut net, &rgba, 280, 280, Explain::Class(3))
            .unwrap()
            .unwrap();
        assert_eq!(three.saliency.unwrap().class, 3);
        assert_eq!(
            three.class, plain.class,
            "the reading does not follow the pick"
        );
        assert!(read_drawing(
            &mut net,
            &vec![0; 280 * 280 * 4],
            280,
            280,
            Explain::Predicted
        )
        .unwrap()
        .is_none());
        assert_eq!(
            read_drawing(&mut net, &rgba, 280, 280, Explain::Class(10))
                .unwrap_err()
                .to_string(),
            "class 10 does not exist; the network has 10 classes (0 to 9)"
        );
    }

    #[test]
    fn a_test_digit_on_the_pad_reads_as_the_digit() {
        // A synthetic "1": a bar, as a test set of one.
        let mut img = vec![0u8; 784];
        for y in 4..24 {
            for x in 13..16 {
                img[y * 28 + x] = 255;
            }
        }
        let test = Dataset::new(
            crate::data::mnist::Images {
                count: 1,
                rows: 28,
                cols: 28,
                pixels: img,
            },
            vec![1],
        )
        .unwrap();
        let (points, label) = test_digit_on_pad(&test, 0).unwrap();
        assert_eq!(label, 1);
        assert!(points
            .iter()
            .all(|&(x, y)| (0.0..280.0).contains(&x) && (0.0..280.0).contains(&y)));
        assert_eq!(
            test_digit_on_pad(&test, 1).unwrap_err().to_string(),
            "test digit 1 does not exist; there are 1 (0 to 0)"
        );
    }
}
