//! Data-parallel training: one batch's gradient computed on several cores.
//!
//! A batch of N examples is cut into shards of [`SHARD`] consecutive examples (the last one may
//! be smaller). Each shard runs forward, the loss and backward on its own copy of the network,
//! with the same weights, and the batch gradient is the sum of the shards' gradients:
//!
//! ```text
//! L = (1/N) Σ_n ℓ_n = Σ_s (1/N) Σ_{n ∈ s} ℓ_n        so        ∂L/∂θ = Σ_s ∂L_s/∂θ
//! ```
//!
//! where `L_s` is shard s's share of the batch's mean loss: each shard divides by N, the size of
//! the whole batch, not by its own ([`Loss::forward_backward_part`]). Dropout draws, in each
//! shard, the rows of the mask that one pass over the whole batch would have drawn.
//!
//! **The same seed gives the same run, bit for bit, whatever the number of threads.** The shards
//! depend on the batch alone, never on the threads; each shard's numbers do not depend on where
//! it runs; and the shards' gradients are added in shard order, `((g₀ + g₁) + g₂) + …`, once all
//! are done. One thread runs the shards one after the other and gets the same bits. (Cutting a
//! batch differently changes the last bits of the sum, which is why the cut is fixed; a batch of
//! at most [`SHARD`] examples is one shard and is computed as one pass.)
//!
//! Natively the shards run on rayon's thread pool, one core each (`--threads`, or
//! `RAYON_NUM_THREADS`, to use fewer), and so does the optimizer's step, cut into pieces of the
//! parameters ([`optimizer_step`]); the browser build runs them in turn on its one thread.
//!
//! Next: [`crate::health`] (is training going well?), then [`crate::timeline`] and
//! [`crate::finetune`] (learning a user's digits, with these same steps).

use std::ops::Range;

use ndarray::{Array2, Axis};

use crate::data::mnist::Dataset;
use crate::layers::{Dropout, Layer, Param};
use crate::loss::{Loss, Targets};
use crate::network::Network;
use crate::optim::Optimizer;
#[cfg(not(target_arch = "wasm32"))]
use crate::optim::{adam, sgd};
use crate::train::argmax;

/// Examples per shard. 32 keeps each shard's matrix products large enough to run near full
/// speed; the usual batch of 64 gives two shards, one per core of a two-core machine.
pub const SHARD: usize = 32;

/// The copies of the network that run a batch's shards beyond the first (the trainer's own
/// network runs the first). They are scratch space: their weights are set before every batch,
/// and a clone of this (a trainer's checkpoint) starts without them.
#[derive(Debug, Default)]
pub struct DataParallel {
    replicas: Vec<Network>,
    /// The weights a [`ShardHelper`] is sent, kept between batches (no allocation per step).
    weights: Vec<f32>,
}

impl Clone for DataParallel {
    fn clone(&self) -> Self {
        DataParallel::default()
    }
}

/// What a batch's forward pass found, before the update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchPass {
    /// The batch's mean loss.
    pub loss: f32,
    /// How many examples the network classified right.
    pub correct: usize,
}

/// The shards of a batch of `n` examples: consecutive ranges of [`SHARD`] examples.
pub fn shards(n: usize) -> Vec<Range<usize>> {
    (0..n)
        .step_by(SHARD)
        .map(|a| a..(a + SHARD).min(n))
        .collect()
}

impl DataParallel {
    /// Forward, loss (softmax cross-entropy with labels `y`) and backward of the batch `x` (flat,
    /// `y.len()` examples), shard by shard; leaves the gradient of the batch's mean loss in
    /// `net`'s gradients (replacing what they held) and its dropout generators past the batch.
    pub fn forward_backward(&mut self, net: &mut Network, x: &[f32], y: &[usize]) -> BatchPass {
        let n = y.len();
        assert!(n > 0 && x.len() % n == 0, "a batch of {n} examples");
        let features = x.len() / n;
        let shards = shards(n);
        let dropout = dropout_values_per_example(net);
        while self.replicas.len() + 1 < shards.len() {
            self.replicas.push(net.clone());
        }
        for (replica, shard) in self.replicas.iter_mut().zip(&shards[1..]) {
            follow(replica, net, shard.start, &dropout);
        }

        let mut nets: Vec<&mut Network> = std::iter::once(&mut *net)
            .chain(self.replicas.iter_mut())
            .take(shards.len())
            .collect();
        let passes = run_shards(&mut nets, |s, shard_net| {
            let r = shards[s].clone();
            shard_pass(
                shard_net,
                &x[r.start * features..r.end * features],
                &y[r.clone()],
                n,
            )
        });

        // Σ_s g_s, in shard order, into the first shard's gradients.
        if let Some((first, rest)) = nets.split_first_mut() {
            for replica in rest {
                add_gradients(first, replica);
            }
        }
        // The first shard's dropout drew its own rows; the rest of the batch's mask lies beyond.
        let first_rows = shards[0].len();
        for &(l, values) in &dropout {
            if let Layer::Dropout(d) = &mut net.layers[l] {
                d.skip(((n - first_rows) * values) as u128);
            }
        }
        BatchPass {
            loss: passes.iter().map(|p| p.0).sum::<f64>() as f32,
            correct: passes.iter().map(|p| p.1).sum(),
        }
    }
}

impl DataParallel {
    /// The networks that ran the last [`DataParallel::forward_backward`] of `n` examples, in shard
    /// order, each with its shard's size: `net` itself first, then the replicas. Their layers still
    /// hold their shard's forward values (what the health panel reads).
    pub fn shard_nets<'a>(&'a self, net: &'a Network, n: usize) -> Vec<(&'a Network, usize)> {
        std::iter::once(net)
            .chain(self.replicas.iter())
            .zip(shards(n))
            .map(|(shard_net, rows)| (shard_net, rows.len()))
            .collect()
    }
}

impl DataParallel {
    /// The outputs of `net` in evaluation mode (no dropout) for the `n` examples of `x` (flat),
    /// the rows split between the threads. Each example's output is computed alone, row by row, so
    /// the split does not change a bit of it.
    // x: (n, features...) flat -> (n, outputs)
    pub fn forward(&mut self, net: &mut Network, x: &[f32], n: usize) -> Array2<f32> {
        let parts = threads().min(n.div_ceil(SHARD)).max(1);
        if parts == 1 {
            return net.forward(net.batch_from_flat(x.to_vec(), n), false);
        }
        let features = x.len() / n;
        let rows: Vec<Range<usize>> = (0..parts)
            .map(|p| p * n / parts..(p + 1) * n / parts)
            .collect();
        while self.replicas.len() + 1 < parts {
            self.replicas.push(net.clone());
        }
        for replica in &mut self.replicas[..parts - 1] {
            follow(replica, net, 0, &[]);
        }
        let mut nets: Vec<&mut Network> = std::iter::once(&mut *net)
            .chain(self.replicas.iter_mut())
            .take(parts)
            .collect();
        let outs = run_shards(&mut nets, |p, net| {
            let r = rows[p].clone();
            net.forward(
                net.batch_from_flat(x[r.start * features..r.end * features].to_vec(), r.len()),
                false,
            )
        });
        let views: Vec<_> = outs.iter().map(|o| o.view()).collect();
        ndarray::concatenate(Axis(0), &views).expect("outputs of one network have one width")
    }
}

/// Another instance of the core that computes shards of a batch while this one computes others:
/// the browser's second core (a second wasm instance in its own worker). It holds the same
/// training set; a shard is sent as the indices of its examples, with the weights (at a step's
/// first shard) and the dropout generators' states where the shard starts.
pub trait ShardHelper {
    /// Starts the gradient of the examples `examples` of the training set, as a part of a batch
    /// of `batch`, on `weights` (all parameters flat, in [`Network::params`] order; empty: the
    /// weights of the last start) with the dropout states `dropout` (14 words per dropout layer,
    /// [`crate::layers::Dropout::rng_state`]). Returns without waiting; false when the helper
    /// cannot take it (then nothing was started).
    fn start(&mut self, weights: &[f32], examples: &[u32], batch: usize, dropout: &[u32]) -> bool;
    /// Waits for the started shard and adds its gradient into `grads` (in [`Network::params`]
    /// order; each `+=` in turn, as [`DataParallel::forward_backward`] adds a shard's);
    /// returns its share of the batch's mean loss and how many it classified right, or `None`
    /// when the helper failed (then `grads` is untouched).
    fn finish(&mut self, grads: &mut [&mut [f32]]) -> Option<(f64, usize)>;
}

/// The other side of a [`ShardHelper`]: a copy of the network that computes the shards it is
/// given, exactly as [`DataParallel::forward_backward`] computes them on one instance.
#[derive(Debug)]
pub struct ShardWorker {
    pub net: Network,
    x: Vec<f32>,
    y: Vec<usize>,
}

impl ShardWorker {
    pub fn new(net: Network) -> Self {
        ShardWorker {
            net,
            x: Vec::new(),
            y: Vec::new(),
        }
    }

    /// The gradient of `examples` of `data` as a part of a batch of `batch` ([`ShardHelper`]'s
    /// arguments), left in the network's gradients; returns the loss share and the right answers.
    pub fn run(
        &mut self,
        data: &Dataset,
        weights: &[f32],
        examples: &[u32],
        batch: usize,
        dropout: &[u32],
    ) -> (f64, usize) {
        if !weights.is_empty() {
            let mut at = 0;
            for p in self.net.params() {
                p.value.copy_from_slice(&weights[at..at + p.value.len()]);
                at += p.value.len();
            }
        }
        let mut states = dropout.chunks(14);
        for l in &mut self.net.layers {
            if let Layer::Dropout(d) = l {
                d.set_rng_state(states.next().expect("a state per dropout layer"));
            }
        }
        let n = examples.len();
        let indices: Vec<usize> = examples.iter().map(|&i| i as usize).collect();
        self.x.resize(n * data.pixels_per_image(), 0.0);
        self.y.resize(n, 0);
        data.fill_batch(&indices, &mut self.x, &mut self.y);
        shard_pass(&mut self.net, &self.x, &self.y, batch)
    }
}

/// All of `net`'s weights, flat, in [`Network::params`] order.
pub fn flat_weights(net: &mut Network) -> Vec<f32> {
    let mut into = Vec::new();
    flat_weights_into(net, &mut into);
    into
}

/// [`flat_weights`] into `into` (cleared first), a tensor at a time.
fn flat_weights_into(net: &mut Network, into: &mut Vec<f32>) {
    into.clear();
    for p in net.params() {
        into.extend_from_slice(p.value);
    }
}

impl DataParallel {
    /// [`forward_backward`](Self::forward_backward) with every other shard computed by `helper`
    /// (another instance of the core, at the same time): shards 0, 2, 4, … here, 1, 3, 5, …
    /// there, the gradients added in shard order as on one instance, so the bits are the same.
    /// `examples` are the batch's indices in `data`; a shard the helper cannot take or fails to
    /// finish is computed here.
    pub fn forward_backward_helped(
        &mut self,
        net: &mut Network,
        x: &[f32],
        y: &[usize],
        examples: &[usize],
        helper: &mut dyn ShardHelper,
    ) -> BatchPass {
        let n = y.len();
        let shards = shards(n);
        if shards.len() == 1 {
            return self.forward_backward(net, x, y);
        }
        let features = x.len() / n;
        let dropout = dropout_values_per_example(net);
        if self.replicas.is_empty() {
            self.replicas.push(net.clone());
        }
        // The dropout layers as the batch starts: each shard continues from there.
        let at_start: Vec<Dropout> = dropout
            .iter()
            .filter_map(|&(l, _)| match &net.layers[l] {
                Layer::Dropout(d) => Some(d.clone()),
                _ => None,
            })
            .collect();
        let mut weights = std::mem::take(&mut self.weights);
        flat_weights_into(net, &mut weights);
        let replica = &mut self.replicas[0];
        // The replica takes the weights only when a shard is computed here after all.
        let mut replica_follows = false;
        let mut passes = vec![(0.0, 0); shards.len()];
        let mut weights_sent = false;
        let shard_x = |s: usize| {
            let r = shards[s].clone();
            (&x[r.start * features..r.end * features], &y[r])
        };
        // Shard s here: the first in `net`, the others in the replica, added into `net`.
        let mut here = |s: usize, net: &mut Network, replica: &mut Network| {
            let (xs, ys) = shard_x(s);
            if s == 0 {
                return shard_pass(net, xs, ys, n);
            }
            if !replica_follows {
                follow(replica, net, 0, &[]);
                replica_follows = true;
            }
            for (&(l, values), from) in dropout.iter().zip(&at_start) {
                if let Layer::Dropout(to) = &mut replica.layers[l] {
                    to.continue_from(from, shards[s].start * values);
                }
            }
            let p = shard_pass(replica, xs, ys, n);
            add_gradients(net, replica);
            p
        };
        for r in (0..shards.len()).step_by(2) {
            let mut helped = false;
            if let Some(shard) = shards.get(r + 1) {
                let mut states = Vec::new();
                for (&(_, values), d) in dropout.iter().zip(&at_start) {
                    let mut d = d.clone();
                    d.skip((shard.start * values) as u128);
                    states.extend(d.rng_state());
                }
                let ids: Vec<u32> = examples[shard.clone()].iter().map(|&i| i as u32).collect();
                let w: &[f32] = if weights_sent { &[] } else { &weights };
                helped = helper.start(w, &ids, n, &states);
                weights_sent |= helped;
            }
            passes[r] = here(r, net, replica);
            if r + 1 < shards.len() {
                let done = if helped {
                    let mut grads: Vec<&mut [f32]> =
                        net.layers.iter_mut().flat_map(Layer::grads_mut).collect();
                    helper.finish(&mut grads)
                } else {
                    None
                };
                passes[r + 1] = match done {
                    Some(p) => p,
                    None => here(r + 1, net, replica),
                };
            }
        }
        self.weights = weights;
        let first_rows = shards[0].len();
        for &(l, values) in &dropout {
            if let Layer::Dropout(d) = &mut net.layers[l] {
                d.skip(((n - first_rows) * values) as u128);
            }
        }
        BatchPass {
            loss: passes.iter().map(|p| p.0).sum::<f64>() as f32,
            correct: passes.iter().map(|p| p.1).sum(),
        }
    }
}

/// One shard: forward (training mode), the loss of these rows as a part of a batch of `batch`,
/// backward. Returns the shard's share of the batch's mean loss and how many it got right.
fn shard_pass(net: &mut Network, x: &[f32], y: &[usize], batch: usize) -> (f64, usize) {
    let n = y.len();
    let out = net.forward(net.batch_from_flat(x.to_vec(), n), true);
    let lo = Loss::SoftmaxCrossEntropy.forward_backward_part(
        out.view(),
        &Targets::Labels(y.to_vec()),
        batch,
    );
    let correct = out
        .rows()
        .into_iter()
        .zip(y)
        .filter(|(row, &label)| argmax(row.as_slice().expect("contiguous")) == label)
        .count();
    net.zero_grad();
    net.backward(lo.dout);
    (lo.loss_f64, correct)
}

/// Elements per piece when the optimizer's step is split between threads.
#[cfg(not(target_arch = "wasm32"))]
const OPTIMIZER_PIECE: usize = 1 << 14;

/// The optimizer's step, [`Optimizer::step`], with every tensor cut into pieces that run on all
/// the threads. Each element's update depends on that element alone and every piece runs the
/// optimizer's own loop, so the pieces give the bits of the plain step on any number of threads.
#[cfg(not(target_arch = "wasm32"))]
pub fn optimizer_step(opt: &mut Optimizer, params: &mut [Param<'_>]) {
    use rayon::prelude::*;
    if threads() == 1 {
        return opt.step(params);
    }
    let piece = OPTIMIZER_PIECE;
    match opt {
        Optimizer::Adam(a) => {
            let (s, m, v) = a.begin_step(params);
            let mut pieces = Vec::new();
            for ((p, m), v) in params.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()) {
                pieces.extend(
                    p.value
                        .chunks_mut(piece)
                        .zip(p.grad.chunks(piece))
                        .zip(m.chunks_mut(piece))
                        .zip(v.chunks_mut(piece)),
                );
            }
            pieces.into_par_iter().for_each(|(((theta, g), m), v)| {
                adam::update_tensor(&s, theta, g, m, v, |_, _| {})
            });
        }
        Optimizer::Sgd(o) => {
            let (lr, momentum, velocity) = o.begin_step(params);
            let mut pieces = Vec::new();
            for (p, velocity) in params.iter_mut().zip(velocity.iter_mut()) {
                pieces.extend(
                    p.value
                        .chunks_mut(piece)
                        .zip(p.grad.chunks(piece))
                        .zip(velocity.chunks_mut(piece)),
                );
            }
            pieces.into_par_iter().for_each(|((theta, g), velocity)| {
                sgd::update_tensor(lr, momentum, theta, g, velocity, |_, _| {})
            });
        }
    }
}

/// The optimizer's step, [`Optimizer::step`] (the browser's one thread).
#[cfg(target_arch = "wasm32")]
pub fn optimizer_step(opt: &mut Optimizer, params: &mut [Param<'_>]) {
    opt.step(params);
}

/// How many threads the shards can run on.
#[cfg(not(target_arch = "wasm32"))]
fn threads() -> usize {
    rayon::current_num_threads()
}

#[cfg(target_arch = "wasm32")]
fn threads() -> usize {
    1
}

/// Runs `f(shard, network)` for every shard, each on its own core, in shard order of results.
#[cfg(not(target_arch = "wasm32"))]
fn run_shards<T: Send>(
    nets: &mut [&mut Network],
    f: impl Fn(usize, &mut Network) -> T + Sync,
) -> Vec<T> {
    use rayon::prelude::*;
    if nets.len() == 1 {
        return vec![f(0, nets[0])];
    }
    nets.par_iter_mut()
        .enumerate()
        .map(|(s, net)| f(s, net))
        .collect()
}

/// Runs `f(shard, network)` for every shard, one after the other (the browser's one thread).
#[cfg(target_arch = "wasm32")]
fn run_shards<T>(nets: &mut [&mut Network], f: impl Fn(usize, &mut Network) -> T) -> Vec<T> {
    nets.iter_mut()
        .enumerate()
        .map(|(s, net)| f(s, net))
        .collect()
}

/// `(layer index, mask values per example)` for each dropout layer of `net`.
fn dropout_values_per_example(net: &Network) -> Vec<(usize, usize)> {
    let shapes = net
        .arch()
        .shapes()
        .expect("a built network has a valid architecture");
    net.layers
        .iter()
        .enumerate()
        .filter(|(_, l)| matches!(l, Layer::Dropout(_)))
        .map(|(i, _)| {
            let input = if i == 0 {
                &net.input_shape
            } else {
                &shapes[i - 1]
            };
            (i, input.iter().product())
        })
        .collect()
}

/// Makes `replica` ready to run the shard that starts at example `first` of `leader`'s batch:
/// the leader's weights, and dropout generators where the leader's will be after `first` examples.
fn follow(replica: &mut Network, leader: &mut Network, first: usize, dropout: &[(usize, usize)]) {
    for (to, from) in replica.params().iter_mut().zip(leader.params()) {
        to.value.copy_from_slice(from.value);
    }
    for &(l, values) in dropout {
        if let (Layer::Dropout(to), Layer::Dropout(from)) =
            (&mut replica.layers[l], &leader.layers[l])
        {
            to.continue_from(from, first * values);
        }
    }
}

/// `into.grad += from.grad` for every parameter.
fn add_gradients(into: &mut Network, from: &mut Network) {
    for (to, from) in into.layers.iter_mut().zip(from.layers.iter_mut()) {
        for (sum, p) in to.grads_mut().into_iter().zip(from.params()) {
            for (s, g) in sum.iter_mut().zip(p.grad) {
                *s += g;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Arch;
    use crate::presets;

    fn batch(n: usize, features: usize) -> (Vec<f32>, Vec<usize>) {
        let x = (0..n * features)
            .map(|i| ((i * 7919) % 251) as f32 / 251.0)
            .collect();
        (x, (0..n).map(|i| (i * 3) % 10).collect())
    }

    /// `count` 28x28 training digits whose pixels and labels vary from one example to the next
    /// (no two alike, so a shard computed on the wrong examples cannot go unnoticed).
    fn varied_digits(
        count: usize,
        pixel: impl Fn(usize) -> usize,
        label: impl Fn(usize) -> usize,
    ) -> crate::data::mnist::Dataset {
        use crate::data::mnist::{Dataset, Images};
        let images = Images {
            count,
            rows: 28,
            cols: 28,
            pixels: (0..count * 784).map(|i| (pixel(i) % 256) as u8).collect(),
        };
        Dataset::new(images, (0..count).map(|i| (label(i) % 10) as u8).collect()).unwrap()
    }

    fn grads(net: &mut Network) -> Vec<Vec<f32>> {
        net.params().iter().map(|p| p.grad.to_vec()).collect()
    }

    /// A copy of `net` after one unsharded forward, loss and backward over the batch, and the
    /// batch's mean loss: what the shards are checked against.
    fn one_pass(net: &Network, x: &[f32], y: &[usize]) -> (Network, f32) {
        let mut whole = net.clone();
        let out = whole.forward(whole.batch_from_flat(x.to_vec(), y.len()), true);
        let lo =
            Loss::SoftmaxCrossEntropy.forward_backward(out.view(), &Targets::Labels(y.to_vec()));
        whole.zero_grad();
        whole.backward(lo.dout);
        (whole, lo.loss)
    }

    #[test]
    fn shards_cover_the_batch_in_order() {
        assert_eq!(shards(64), vec![0..32, 32..64]);
        assert_eq!(shards(70), vec![0..32, 32..64, 64..70]);
        assert_eq!(shards(5), vec![0..5]);
    }

    /// The sharded gradient is the gradient of the whole batch's mean loss (to rounding), and a
    /// single shard is exactly one pass over the batch.
    #[test]
    fn the_shards_gradient_is_the_batch_gradient() {
        let arch = Arch {
            input_shape: vec![1, 6, 6],
            layers: vec![
                crate::layers::LayerSpec::Conv2d {
                    in_channels: 1,
                    out_channels: 2,
                    kernel: 3,
                    stride: 1,
                    padding: 1,
                },
                crate::layers::LayerSpec::Relu,
                crate::layers::LayerSpec::Maxpool2d { size: 2, stride: 2 },
                crate::layers::LayerSpec::Flatten,
                crate::layers::LayerSpec::Dense {
                    inputs: 18,
                    outputs: 10,
                },
            ],
        };
        let net = Network::from_arch(&arch, 5).unwrap();
        for n in [SHARD, 2 * SHARD + 7] {
            let (x, y) = batch(n, 36);
            let (mut whole, loss) = one_pass(&net, &x, &y);

            let mut sharded = net.clone();
            let pass = DataParallel::default().forward_backward(&mut sharded, &x, &y);
            let (a, b) = (grads(&mut whole), grads(&mut sharded));
            if n <= SHARD {
                assert_eq!(a, b, "one shard is one pass");
                assert_eq!(pass.loss, loss);
            } else {
                for (ga, gb) in a.iter().flatten().zip(b.iter().flatten()) {
                    assert!((ga - gb).abs() <= 1e-6 + 1e-5 * ga.abs(), "{ga} vs {gb}");
                }
                assert!((pass.loss - loss).abs() < 1e-6);
            }
        }
    }

    /// Dropout in shards draws the mask one pass over the batch draws: with dropout before the
    /// only weights, the weight gradient of each shard's rows shows the mask, so equal sums mean
    /// equal masks; and the generators end where one pass leaves them.
    #[test]
    fn dropout_masks_are_those_of_one_pass() {
        let net = Network::from_arch(&presets::arch("mlp-512-dropout").unwrap(), 3).unwrap();
        let n = 3 * SHARD;
        let (x, y) = batch(n, 784);
        let (mut whole, loss) = one_pass(&net, &x, &y);
        let mut sharded = net.clone();
        let pass = DataParallel::default().forward_backward(&mut sharded, &x, &y);
        assert!((pass.loss - loss).abs() < 1e-5, "{} vs {}", pass.loss, loss);
        for (ga, gb) in grads(&mut whole)
            .iter()
            .flatten()
            .zip(grads(&mut sharded).iter().flatten())
        {
            assert!((ga - gb).abs() <= 1e-6 + 1e-4 * ga.abs(), "{ga} vs {gb}");
        }
        // The next pass draws the same masks in both.
        let a = whole.forward(whole.batch_from_flat(x.clone(), n), true);
        let b = sharded.forward(sharded.batch_from_flat(x, n), true);
        assert_eq!(a, b);
    }

    /// The same batches give the same bits on 1, 2 and 3 threads.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn any_number_of_threads_gives_the_same_bits() {
        let net = Network::from_arch(&presets::arch("mlp-64").unwrap(), 2).unwrap();
        let (x, y) = batch(3 * SHARD - 5, 784);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut n = net.clone();
                let pass = DataParallel::default().forward_backward(&mut n, &x, &y);
                (pass, grads(&mut n))
            })
        };
        let one = run(1);
        assert_eq!(run(2), one);
        assert_eq!(run(3), one);
    }

    /// Whole training runs (shuffling, several steps, Adam) end with the same weights on 1 and
    /// 2 threads.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn a_training_run_is_the_same_on_any_number_of_threads() {
        use crate::optim::OptimizerConfig;
        use crate::train::Trainer;
        let data = varied_digits(300, |i| i * 31, |i| i);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let net = Network::from_arch(&presets::arch("mlp-64").unwrap(), 1).unwrap();
                let mut t = Trainer::new(net, OptimizerConfig::default(), 64, 1);
                let losses: Vec<f32> = (0..8).map(|_| t.step(&data).unwrap().loss).collect();
                let weights: Vec<Vec<f32>> =
                    t.net.params().iter().map(|p| p.value.to_vec()).collect();
                (losses, weights)
            })
        };
        assert_eq!(run(2), run(1));
    }

    /// A second instance simulated in the same process: a [`ShardWorker`] with its own copy of the
    /// network and of the data, reached only through [`ShardHelper`]'s flat arrays. `refuse`
    /// makes it decline or fail every so often (then the shard is computed by the first instance).
    struct Simulated {
        worker: ShardWorker,
        data: crate::data::mnist::Dataset,
        grads: Vec<f32>,
        done: Option<(f64, usize)>,
        calls: usize,
        refuse: bool,
        helped: usize,
    }

    impl ShardHelper for Simulated {
        fn start(
            &mut self,
            weights: &[f32],
            examples: &[u32],
            batch: usize,
            dropout: &[u32],
        ) -> bool {
            self.calls += 1;
            if self.refuse && self.calls % 3 == 0 {
                return false;
            }
            let p = self
                .worker
                .run(&self.data, weights, examples, batch, dropout);
            self.grads = self
                .worker
                .net
                .params()
                .iter()
                .flat_map(|p| p.grad.to_vec())
                .collect();
            self.done = Some(p);
            true
        }

        fn finish(&mut self, grads: &mut [&mut [f32]]) -> Option<(f64, usize)> {
            let done = self.done.take()?;
            if self.refuse && self.calls % 4 == 0 {
                return None;
            }
            let mut at = 0;
            for g in grads.iter_mut() {
                for (s, v) in g.iter_mut().zip(&self.grads[at..]) {
                    *s += v;
                }
                at += g.len();
            }
            self.helped += 1;
            Some(done)
        }
    }

    /// One instance, and two (every other shard on the second), take the same steps: the same
    /// losses and the same weights, bit for bit, with dropout, a short last batch, a CNN, and a
    /// second instance that sometimes declines or fails.
    #[test]
    fn two_instances_train_the_same_bits_as_one() {
        use crate::optim::OptimizerConfig;
        use crate::train::Trainer;
        let count = 230;
        let data = varied_digits(count, |i| i * 31 + i / 977, |i| i * 7);
        for (model, batch, refuse) in [
            ("mlp-64", 64, false),
            ("mlp-512-dropout", 100, false),
            ("mlp-512-dropout", 100, true),
            ("cnn", 70, false),
        ] {
            let fresh = || {
                let net = presets::network(model, 5).unwrap();
                Trainer::new(net, OptimizerConfig::default(), batch, 5)
            };
            let mut one = fresh();
            let mut two = fresh();
            let mut helper = Simulated {
                worker: ShardWorker::new(presets::network(model, 99).unwrap()),
                data: data.clone(),
                grads: Vec::new(),
                done: None,
                calls: 0,
                refuse,
                helped: 0,
            };
            let steps = 2 * count.div_ceil(batch) + 1;
            // The second chunks measure the health.
            let a = one.run_chunk(&data, steps, false);
            let b = two.run_chunk_helped(&data, steps, false, Some(&mut helper));
            let c = one.run_chunk(&data, steps, true);
            let d = two.run_chunk_helped(&data, steps, true, Some(&mut helper));
            assert!(
                helper.helped > 2,
                "{model}: the second instance took shards"
            );
            assert_eq!((a.losses, c.losses), (b.losses, d.losses), "{model}");
            // The health panel: the same figures from the gradient and the step; the
            // activations, counted on the first shard of each batch with a helper, cover a
            // window of their own.
            let without_activations = |h: Option<crate::health::Health>| {
                let h = h.expect("health was asked for");
                let window = h.window;
                let mut v = serde_json::to_value(h).unwrap();
                v["window"] = serde_json::Value::Null;
                for l in v["layers"].as_array_mut().unwrap() {
                    l["activation"] = serde_json::Value::Null;
                }
                (v, window)
            };
            let (one_health, _) = without_activations(c.health);
            let (two_health, window) = without_activations(d.health);
            assert_eq!(one_health, two_health, "{model}");
            assert!(
                window == 0 || window >= crate::vocabulary::HEALTH_WINDOW,
                "{model}: a window of {window} examples"
            );
            if batch == 64 {
                // The epoch's last two batches (64 and 38 examples) give 32 rows each here.
                assert_eq!(window, 2 * SHARD, "{model}");
            }
            assert_eq!(
                flat_weights(&mut one.net),
                flat_weights(&mut two.net),
                "{model}"
            );
        }
    }

    /// Evaluation splits the rows between threads; each example's outputs are the same bits
    /// whichever rows it was computed with.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn evaluation_outputs_do_not_depend_on_the_split() {
        for model in ["mlp-128", "cnn"] {
            let net = Network::from_arch(&presets::arch(model).unwrap(), 4).unwrap();
            let n = 2 * SHARD + 9;
            let (x, _) = batch(n, 784);
            let whole = net
                .clone()
                .forward(net.batch_from_flat(x.clone(), n), false);
            for threads in [2, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let split =
                    pool.install(|| DataParallel::default().forward(&mut net.clone(), &x, n));
                assert_eq!(split, whole, "{model}, {threads} threads");
            }
        }
    }

    /// The optimizer's step in pieces on 3 threads leaves the bits of the plain step, for Adam
    /// and SGD with momentum, over steps whose state carries over.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_optimizer_in_pieces_is_the_plain_step() {
        use crate::optim::OptimizerConfig;
        fn params<'a>(
            (w, b): &'a mut (Vec<f32>, Vec<f32>),
            g: &'a [f32],
            gb: &'a [f32],
        ) -> Vec<Param<'a>> {
            let shape = vec![w.len()];
            vec![
                Param {
                    name: "weight",
                    shape,
                    value: w,
                    grad: g,
                },
                Param {
                    name: "bias",
                    shape: vec![b.len()],
                    value: b,
                    grad: gb,
                },
            ]
        }
        let n = 3 * OPTIMIZER_PIECE + 5;
        let theta0: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
        let bias0 = vec![0.1f32; 7];
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        for cfg in [
            OptimizerConfig::default(),
            OptimizerConfig::Sgd {
                lr: 0.05,
                momentum: 0.9,
            },
        ] {
            let (mut plain, mut pieces) = (cfg.build(), cfg.build());
            let (mut a, mut b) = (
                (theta0.clone(), bias0.clone()),
                (theta0.clone(), bias0.clone()),
            );
            for step in 0..3 {
                let g: Vec<f32> = (0..n)
                    .map(|i| ((i * 7 + step) as f32 * 0.61).cos() * 10f32.powi(i as i32 % 5 - 2))
                    .collect();
                let gb = vec![0.5f32 - step as f32; 7];
                plain.step(&mut params(&mut a, &g, &gb));
                pool.install(|| optimizer_step(&mut pieces, &mut params(&mut b, &g, &gb)));
                assert!(a == b, "{cfg:?}, step {step}");
            }
            assert_eq!(plain.steps(), pieces.steps());
            assert_eq!(plain.last_steps(), pieces.last_steps());
        }
    }
}
