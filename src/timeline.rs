//! The timeline of a training run: which snapshots of the model to keep, so that the page can show
//! the model as it was at any of them, compare two, and continue training from one.
//!
//! A snapshot is a model file with the optimizer's state and the trainer's place in its epoch
//! ([`crate::train::Run::snapshot`]): loading it gives back a trainer that goes on exactly as the
//! run did. This file decides which steps to keep; the bytes are kept by whoever holds the
//! timeline (the browser's worker keeps them in its own memory and in IndexedDB, outside the
//! wasm heap), so this file only sees their sizes.
//!
//! The schedule, in steps `s` since the run's first snapshot: `s = 0`; the rounded powers of
//! 2^(1/[`vocabulary::TIMELINE_PER_OCTAVE`]) (1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 16, 19, 23, ...),
//! dense early, when the weights change fastest; and the end of every epoch.
//!
//! The bound: the snapshots' bytes never exceed the timeline's bound
//! ([`vocabulary::TIMELINE_BYTES`]). When a new snapshot would not fit, the timeline lets go of
//! the one whose absence leaves the smallest gap in `ln(1 + s)` (never the first, never the
//! newest; epoch ends only when nothing else is left), until it fits. So it thins out evenly, on
//! the scale on which training changes, instead of stopping: the newest snapshot is always kept.
//!
//! Next: [`crate::finetune`].

use serde::{Deserialize, Serialize};

use crate::vocabulary;

/// One snapshot the timeline keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Steps taken in total when it was taken.
    pub step: u64,
    /// Completed epochs then.
    pub epoch: usize,
    /// It was taken at the end of an epoch.
    pub epoch_end: bool,
    /// Its size.
    pub bytes: usize,
}

/// The snapshots of one run, by step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    /// The most bytes the snapshots may take.
    pub bound: usize,
    /// Snapshots per doubling of the step count.
    pub per_octave: u32,
    entries: Vec<Entry>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline::new(vocabulary::TIMELINE_BYTES, vocabulary::TIMELINE_PER_OCTAVE)
    }
}

/// The smallest step of the schedule after `s` (steps since the run's start): the next rounded
/// power of 2^(1/per_octave) above `s`.
pub fn next_scheduled(s: u64, per_octave: u32) -> u64 {
    let p = f64::from(per_octave.max(1));
    // Start a little below the power that reaches s, then walk up.
    let mut k = ((s as f64 + 1.0).log2() * p).floor() as i64 - 2;
    loop {
        let v = 2f64.powf(k.max(0) as f64 / p).round() as u64;
        if v > s {
            return v;
        }
        k += 1;
    }
}

/// Whether `s` (steps since the run's start) is on the schedule.
pub fn scheduled(s: u64, per_octave: u32) -> bool {
    s == 0 || next_scheduled(s - 1, per_octave) == s
}

impl Timeline {
    pub fn new(bound: usize, per_octave: u32) -> Timeline {
        Timeline {
            bound,
            per_octave,
            entries: Vec::new(),
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The bytes of every snapshot kept.
    pub fn bytes(&self) -> usize {
        self.entries.iter().map(|e| e.bytes).sum()
    }

    /// The run's first snapshot's step, once there is one.
    pub fn start(&self) -> Option<u64> {
        self.entries.first().map(|e| e.step)
    }

    pub fn has(&self, step: u64) -> bool {
        self.entries.iter().any(|e| e.step == step)
    }

    /// Whether a snapshot is due at `step` (`epoch_end`: the step ended an epoch): the first of the
    /// run, a step of the schedule, or an epoch's end, unless it is kept already.
    pub fn due(&self, step: u64, epoch_end: bool) -> bool {
        match self.start() {
            None => true,
            Some(start) if step < start => false,
            Some(start) => {
                !self.has(step) && (epoch_end || scheduled(step - start, self.per_octave))
            }
        }
    }

    /// Steps from `step` to the next step of the schedule (at least 1), so that training can stop
    /// there for a snapshot.
    pub fn steps_until_due(&self, step: u64) -> u64 {
        match self.start() {
            Some(start) if step >= start => {
                let s = step - start;
                next_scheduled(s, self.per_octave) - s
            }
            _ => 1,
        }
    }

    /// Keeps a snapshot (in place of one of the same step); returns the steps let go to stay
    /// within the bound, oldest first. A snapshot bigger than the bound on its own is let go too.
    pub fn add(&mut self, e: Entry) -> Vec<u64> {
        self.entries.retain(|x| x.step != e.step);
        let at = self.entries.partition_point(|x| x.step < e.step);
        self.entries.insert(at, e);
        let mut dropped = Vec::new();
        while self.bytes() > self.bound {
            let i = self.victim().unwrap_or(0);
            dropped.push(self.entries.remove(i).step);
        }
        dropped.sort_unstable();
        dropped
    }

    /// Lets go of every snapshot after `step` (training goes on from there instead); returns their
    /// steps.
    pub fn truncate_after(&mut self, step: u64) -> Vec<u64> {
        let gone = self
            .entries
            .iter()
            .filter(|e| e.step > step)
            .map(|e| e.step)
            .collect();
        self.entries.retain(|e| e.step <= step);
        gone
    }

    /// Starts again from snapshots kept earlier (after a reload), keeping those at or before
    /// `live_step` (the model in use) that fit the bound; returns the steps let go.
    pub fn restore(&mut self, mut entries: Vec<Entry>, live_step: u64) -> Vec<u64> {
        self.entries.clear();
        entries.sort_by_key(|e| e.step);
        let mut dropped = Vec::new();
        for e in entries {
            if e.step > live_step {
                dropped.push(e.step);
            } else {
                dropped.extend(self.add(e));
            }
        }
        dropped.sort_unstable();
        dropped
    }

    /// The snapshot to let go: among the interior ones (not the first, not the newest), the one
    /// whose neighbours are closest in `ln(1 + s)`; epoch ends only when no other is left.
    fn victim(&self) -> Option<usize> {
        let n = self.entries.len();
        if n < 3 {
            return None;
        }
        let start = self.entries[0].step;
        let x = |i: usize| ((self.entries[i].step - start) as f64).ln_1p();
        let pick = |epoch_end: bool| {
            (1..n - 1)
                .filter(|&i| self.entries[i].epoch_end == epoch_end)
                .min_by(|&a, &b| {
                    let gap = |i: usize| x(i + 1) - x(i - 1);
                    gap(a).total_cmp(&gap(b)).then(a.cmp(&b))
                })
        };
        pick(false).or_else(|| pick(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_dense_early_and_log_spaced() {
        let steps: Vec<u64> = (0..70).filter(|&s| scheduled(s, 4)).collect();
        // 2^(k/4) rounded: 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 7, 8, 10, 11, 13, 16, 19, 23, 27, 32,
        // 38, 45, 54, 64 (2^(9/4) = 4.757 → 5, 2^(13/4) = 9.51 → 10, 2^(19/4) = 26.9 → 27).
        assert_eq!(
            steps,
            vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 16, 19, 23, 27, 32, 38, 45, 54, 64]
        );
        assert_eq!(next_scheduled(64, 4), 76, "2^(25/4) = 76.1");
        assert_eq!(next_scheduled(1000, 4), 1024);
        // About 4 per doubling, all the way.
        let count = |lo: u64, hi: u64| (lo..hi).filter(|&s| scheduled(s, 4)).count();
        assert_eq!(count(1024, 2048), 4);
        assert_eq!(count(1 << 20, 1 << 21), 4);
    }

    fn entry(step: u64, bytes: usize, epoch_end: bool) -> Entry {
        Entry {
            step,
            epoch: 0,
            epoch_end,
            bytes,
        }
    }

    /// A run of `epochs` epochs of `per_epoch` steps, snapshots of `size` bytes: the bytes kept
    /// never exceed the bound, the first and the newest are always kept, and after the bound is
    /// reached the timeline keeps taking snapshots, letting older ones go.
    fn simulate(size: usize, bound: usize, per_epoch: u64, epochs: u64) -> Timeline {
        let mut t = Timeline::new(bound, 4);
        let mut kept_after_full = 0;
        for step in 0..=per_epoch * epochs {
            let epoch_end = step > 0 && step % per_epoch == 0;
            if !t.due(step, epoch_end) {
                continue;
            }
            let was_full = t.bytes() + size > bound;
            let dropped = t.add(Entry {
                step,
                epoch: (step / per_epoch) as usize,
                epoch_end,
                bytes: size,
            });
            assert!(t.bytes() <= bound, "{} > {bound} at step {step}", t.bytes());
            assert!(!dropped.contains(&step), "the newest is kept");
            assert_eq!(t.entries().last().unwrap().step, step);
            assert_eq!(t.start(), Some(0), "the first is kept");
            if was_full {
                kept_after_full += 1;
                assert!(!dropped.is_empty(), "room is made by letting others go");
            }
        }
        if t.entries().len() == bound / size {
            assert!(kept_after_full > 0, "it thins out rather than stops");
        }
        t
    }

    #[test]
    fn the_bound_is_never_exceeded_and_the_timeline_thins_out_evenly() {
        // 3 epochs of 938 steps (full MNIST, batch 64), room for 12 snapshots.
        let t = simulate(100, 1200, 938, 3);
        let steps: Vec<u64> = t.entries().iter().map(|e| e.step).collect();
        assert_eq!(t.entries().len(), 12);
        for end in [938, 1876, 2814] {
            assert!(steps.contains(&end), "every epoch's end is kept: {steps:?}");
        }
        // Between the first and the first epoch's end, the ones left are spread evenly in
        // ln(1 + s): no gap more than 3 times another.
        let xs: Vec<f64> = steps
            .iter()
            .take_while(|&&s| s <= 938)
            .map(|&s| (s as f64).ln_1p())
            .collect();
        let gaps: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
        let (lo, hi) = gaps
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), &g| (lo.min(g), hi.max(g)));
        assert!(hi <= 3.0 * lo, "even in the log of the step: {steps:?}");

        // Room for only 4: the first, the newest, and epoch ends before anything else.
        let t = simulate(100, 400, 938, 3);
        let steps: Vec<u64> = t.entries().iter().map(|e| e.step).collect();
        assert_eq!(steps, vec![0, 938, 1876, 2814]);
        // Room for hundreds: nothing is let go.
        let t = simulate(100, 1 << 20, 938, 3);
        assert!(t.entries().len() > 40);
    }

    #[test]
    fn a_long_run_keeps_fewer_epoch_ends_spread_out() {
        // 100 epochs, room for 10: epochs 1, 2, 3, 4, 6, ... spaced by ln, the last one kept.
        let t = simulate(1, 10, 100, 100);
        let ends: Vec<u64> = t.entries().iter().map(|e| e.step / 100).collect();
        assert_eq!(ends.len(), 10);
        assert_eq!((ends[0], *ends.last().unwrap()), (0, 100));
        assert!(ends.windows(2).all(|w| w[1] > w[0]));
    }

    #[test]
    fn too_big_a_snapshot_is_not_kept_and_continuing_from_a_point_lets_the_future_go() {
        let mut t = Timeline::new(10, 4);
        assert_eq!(t.add(entry(0, 11, false)), vec![0]);
        assert_eq!(t.bytes(), 0);

        let mut t = Timeline::new(1000, 4);
        for s in [0, 1, 2, 3, 4, 5, 6] {
            t.add(entry(s, 10, false));
        }
        assert_eq!(t.truncate_after(3), vec![4, 5, 6]);
        assert!(t.due(4, false), "step 4 is due again on the new branch");
        assert!(!t.due(3, false), "step 3 is kept");
        assert_eq!(t.steps_until_due(8), 2, "8 → 10");
        assert_eq!(t.steps_until_due(3), 1);
    }

    #[test]
    fn a_reload_restores_what_fits_up_to_the_model_in_use() {
        let mut t = Timeline::new(35, 4);
        let dropped = t.restore(
            vec![
                entry(4, 10, false),
                entry(0, 10, false),
                entry(2, 10, false),
                entry(1, 10, false),
                entry(8, 10, false),
            ],
            5,
        );
        // Step 8 is after the model in use; of 0, 1, 2, 4 only three fit. Without 1 the gap would
        // be ln 3 − ln 1 = 1.10, without 2 it is ln 5 − ln 2 = 0.92: 2 goes.
        assert_eq!(dropped, vec![2, 8]);
        let steps: Vec<u64> = t.entries().iter().map(|e| e.step).collect();
        assert_eq!(steps, vec![0, 1, 4]);
    }

    /// Every preset's default run (full MNIST, 60,000 examples in batches of 64: 938 steps an
    /// epoch; 3 epochs) within the bound, with the real sizes of its snapshots (Adam's state
    /// included). `cargo test --release timeline_of_every_preset -- --nocapture` prints the table
    /// of README.
    #[test]
    fn the_timeline_of_every_preset_fits_the_bound() {
        use crate::train::{Run, Settings};
        let (per_epoch, epochs) = (60_000u64.div_ceil(64), 3);
        // MB as the page prints them: 2²⁰ bytes.
        let mb = |b: usize| b as f64 / f64::from(1 << 20);
        eprintln!("| preset | one snapshot | snapshots kept | timeline |");
        for p in crate::presets::PRESETS {
            let mut run = Run::fresh(Settings {
                model: p.name.into(),
                optimizer: vocabulary::OptimizerKind::Adam.config(None),
                batch: 64,
                seed: 1,
            })
            .unwrap();
            let size = run.save(serde_json::json!({})).unwrap().len();
            let t = simulate(size, vocabulary::TIMELINE_BYTES, per_epoch, epochs);
            assert!(t.bytes() <= vocabulary::TIMELINE_BYTES);
            let kept = t.entries().len();
            assert!(
                kept >= 5,
                "{}: the start, three epoch ends and more",
                p.name
            );
            eprintln!(
                "| {} | {:.2} MB | {} | {:.1} MB |",
                p.name,
                mb(size),
                kept,
                mb(t.bytes())
            );
        }
    }
}
