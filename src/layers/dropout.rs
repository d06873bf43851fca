//! Inverted dropout: while training, each value is kept with probability `1 − rate` and scaled
//! by `1 / (1 − rate)`, or set to 0. At test time the layer does nothing, and thanks to the
//! scaling the expected activation is the same in both modes.
//!
//! `y = x ⊙ mask`, `mask_i = 1/(1−rate)` with probability `1−rate`, else 0; backward
//! `dx = dout ⊙ mask`. The mask comes from the layer's own seeded generator, so one seed
//! reproduces a whole training run, dropout included.
//!
//! Next: [`crate::trace`].

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Tensor;

#[derive(Debug, Clone)]
pub struct Dropout {
    pub rate: f32,
    rng: ChaCha8Rng,
    /// The mask of the last training forward pass (empty after an evaluation pass).
    mask: Vec<f32>,
}

impl Dropout {
    pub fn new(rate: f32, seed: u64) -> Self {
        assert!(
            crate::vocabulary::DROPOUT_RATE.contains(f64::from(rate)),
            "dropout: rate {rate} must be in [0, 1)"
        );
        Dropout {
            rate,
            rng: ChaCha8Rng::seed_from_u64(seed),
            mask: Vec::new(),
        }
    }

    // x: any shape -> same shape
    pub fn forward(&mut self, mut x: Tensor, train: bool) -> Tensor {
        if !train || self.rate == 0.0 {
            self.mask.clear();
            return x;
        }
        let keep = 1.0 - self.rate;
        let scale = 1.0 / keep;
        self.mask.clear();
        self.mask.extend((0..x.len()).map(|_| {
            if self.rng.random::<f32>() < keep {
                scale
            } else {
                0.0
            }
        }));
        for (v, m) in x.iter_mut().zip(&self.mask) {
            *v *= m;
        }
        x
    }

    /// Moves the generator past `values` mask values, where a training pass over that many
    /// inputs would leave it (nowhere when the rate is 0: no mask is drawn then).
    pub fn skip(&mut self, values: u128) {
        if self.rate > 0.0 {
            let at = self.rng.get_word_pos();
            // One mask value is one f32 drawn from one 32-bit word of the ChaCha stream.
            self.rng.set_word_pos(at + values);
        }
    }

    /// Puts this layer's generator where `leader`'s will be after `values` more mask values.
    /// A data-parallel shard of a batch starts where the examples before it leave off, so the
    /// shards together draw exactly the mask one pass over the whole batch would.
    pub fn continue_from(&mut self, leader: &Dropout, values: usize) {
        self.rng = leader.rng.clone();
        self.skip(values as u128);
    }

    /// The generator's state as 14 words (seed, stream, position in the stream): another
    /// instance of the core ([`crate::parallel::ShardWorker`]) continues with the same mask.
    pub fn rng_state(&self) -> [u32; 14] {
        let mut w = [0u32; 14];
        for (i, c) in self.rng.get_seed().chunks(4).enumerate() {
            w[i] = u32::from_le_bytes(c.try_into().expect("4 bytes"));
        }
        let stream = self.rng.get_stream();
        (w[8], w[9]) = (stream as u32, (stream >> 32) as u32);
        let pos = self.rng.get_word_pos();
        for i in 0..4 {
            w[10 + i] = (pos >> (32 * i)) as u32;
        }
        w
    }

    /// Puts the generator in the state [`rng_state`](Self::rng_state) gave.
    pub fn set_rng_state(&mut self, w: &[u32]) {
        let mut seed = [0u8; 32];
        for (i, word) in w[..8].iter().enumerate() {
            seed[4 * i..4 * i + 4].copy_from_slice(&word.to_le_bytes());
        }
        self.rng = ChaCha8Rng::from_seed(seed);
        self.rng
            .set_stream(u64::from(w[8]) | (u64::from(w[9]) << 32));
        let pos = (0..4).fold(0u128, |p, i| p | (u128::from(w[10 + i]) << (32 * i)));
        self.rng.set_word_pos(pos);
    }

    /// Draws and forgets the masks of `passes` training passes over `values` numbers each, as
    /// `forward` would have drawn them: a saved spec that goes on after some steps goes on with
    /// the masks that come next.
    pub fn skip_masks(&mut self, passes: u64, values: usize) {
        self.skip(passes as u128 * values as u128);
    }

    pub fn backward(&self, dout: &Tensor) -> Tensor {
        let mut dx = dout.clone();
        if !self.mask.is_empty() {
            assert_eq!(
                dx.len(),
                self.mask.len(),
                "dropout: dout has the wrong size"
            );
            for (d, m) in dx.iter_mut().zip(&self.mask) {
                *d *= m;
            }
        }
        dx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::gradcheck::check_layer;
    use crate::layers::Layer;
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn keeps_the_expected_value_and_is_off_at_test_time() {
        let x = ArrayD::<f32>::ones(IxDyn(&[100, 100]));
        let mut d = Dropout::new(0.5, 1);
        let y = d.forward(x.clone(), true);
        let zeros = y.iter().filter(|&&v| v == 0.0).count();
        assert!(
            (4500..5500).contains(&zeros),
            "about half dropped, got {zeros}"
        );
        assert!(
            y.iter().all(|&v| v == 0.0 || v == 2.0),
            "kept values are scaled by 1/(1-rate)"
        );
        assert!((y.mean().unwrap() - 1.0).abs() < 0.05);
        assert_eq!(d.forward(x.clone(), false), x, "identity when not training");
    }

    #[test]
    fn same_seed_same_mask() {
        let x = ArrayD::<f32>::ones(IxDyn(&[4, 50]));
        let a = Dropout::new(0.3, 9).forward(x.clone(), true);
        let b = Dropout::new(0.3, 9).forward(x.clone(), true);
        let c = Dropout::new(0.3, 10).forward(x, true);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn gradients_match_central_differences() {
        check_layer(&mut Layer::Dropout(Dropout::new(0.4, 3)), &[3, 8], 51);
    }

    /// Two shards, the second continuing where the first's examples end, draw the mask of one
    /// pass over both; and the leader, moved past the whole batch, goes on as if it had run it.
    #[test]
    fn shards_draw_the_mask_of_one_pass() {
        let x = ArrayD::<f32>::ones(IxDyn(&[5, 40]));
        let mut whole = Dropout::new(0.3, 7);
        let mut first = whole.clone();
        let mut second = Dropout::new(0.3, 99);
        second.continue_from(&first, 2 * 40);
        let a = first.forward(x.slice(ndarray::s![..2, ..]).to_owned().into_dyn(), true);
        let b = second.forward(x.slice(ndarray::s![2.., ..]).to_owned().into_dyn(), true);
        let both = whole.forward(x.clone(), true);
        let joined: Vec<f32> = a.iter().chain(b.iter()).copied().collect();
        assert_eq!(joined, both.iter().copied().collect::<Vec<_>>());
        first.skip(3 * 40);
        assert_eq!(first.forward(x.clone(), true), whole.forward(x, true));
    }
}
