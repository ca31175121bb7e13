//! The self-supervised lab's data: the bundled digits with augmentations drawn on the device, and
//! two Gaussian toys for the theory papers.
//!
//! An augmentation is a *view*: a small rotation and a shift, applied as a pixel map (each output
//! pixel's nearest source pixel, or blank), then cutout (a 3×3 square set to 0) with some
//! probability, then Gaussian pixel noise. The maps and the cutout masks are tables uploaded
//! once; each view picks rows of them by indices drawn from the step counter, so nothing is
//! uploaded per step.

use crate::data::digits::{self, PIXELS};
use crate::engine::{Graph, Result, Tensor};

/// Side of a digit image.
const SIDE: usize = 8;
/// Side of the cutout square.
const CUT: usize = 3;
/// The split is fixed (seed 0, a quarter held out) so that probe accuracies compare across seeds.
const SPLIT_SEED: u32 = 0;
pub const TEST_FRACTION: f32 = 0.25;

/// A labelled image set: `x` row-major [n, 64] in [0, 1].
#[derive(Clone, Debug)]
pub struct Images {
    pub x: Vec<f32>,
    pub y: Vec<usize>,
}

impl Images {
    pub fn n(&self) -> usize {
        self.y.len()
    }
    pub fn row(&self, i: usize) -> &[f32] {
        &self.x[i * PIXELS..(i + 1) * PIXELS]
    }
}

/// The digits' fixed train and test sets.
pub fn digit_sets() -> std::result::Result<(Images, Images), String> {
    let (train, test) = digits::split(SPLIT_SEED, TEST_FRACTION)?;
    let set = |d: digits::Digits| Images {
        y: d.y.iter().map(|&c| c as usize).collect(),
        x: d.x,
    };
    Ok((set(train), set(test)))
}

/// How views are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Augment {
    /// Largest shift in pixels, each axis (0–2).
    pub shift: usize,
    /// Largest rotation in degrees (a view turns by −r, 0 or +r).
    pub rotate: f32,
    /// Probability of a cutout square.
    pub cutout: f32,
    /// Standard deviation of the added pixel noise.
    pub noise: f32,
}

/// The pixel maps of every (rotation, shift): per map, each output pixel's source pixel, or
/// `PIXELS` (a blank one) when the source falls outside the image. Nearest neighbour.
pub fn pixel_maps(a: &Augment) -> Vec<Vec<usize>> {
    let s = a.shift as i32;
    let angles: Vec<f32> = if a.rotate > 0.0 {
        vec![-a.rotate, 0.0, a.rotate]
    } else {
        vec![0.0]
    };
    let centre = (SIDE as f32 - 1.0) / 2.0;
    let mut maps = Vec::new();
    for &deg in &angles {
        let (sin, cos) = deg.to_radians().sin_cos();
        for dy in -s..=s {
            for dx in -s..=s {
                let map = (0..PIXELS)
                    .map(|p| {
                        // The output pixel, moved back by the shift, then turned back.
                        let (r, c) = ((p / SIDE) as f32 - dy as f32, (p % SIDE) as f32 - dx as f32);
                        let (yr, xr) = (r - centre, c - centre);
                        let sr = (cos * yr + sin * xr + centre).round();
                        let sc = (-sin * yr + cos * xr + centre).round();
                        let inside =
                            (0.0..SIDE as f32).contains(&sr) && (0.0..SIDE as f32).contains(&sc);
                        if inside {
                            sr as usize * SIDE + sc as usize
                        } else {
                            PIXELS
                        }
                    })
                    .collect();
                maps.push(map);
            }
        }
    }
    maps
}

/// Every cutout mask: 1 everywhere except a 3×3 square of 0s, one mask per position.
pub fn cutout_masks() -> Vec<Vec<f32>> {
    let last = SIDE - CUT;
    let mut masks = Vec::new();
    for top in 0..=last {
        for left in 0..=last {
            masks.push(
                (0..PIXELS)
                    .map(|p| {
                        let (r, c) = (p / SIDE, p % SIDE);
                        let hit = (top..top + CUT).contains(&r) && (left..left + CUT).contains(&c);
                        if hit {
                            0.0
                        } else {
                            1.0
                        }
                    })
                    .collect(),
            );
        }
    }
    masks
}

/// The augmentation tables on the device, and the graph pieces that apply them.
pub struct Augmenter {
    maps: Tensor,
    map_count: usize,
    masks: Tensor,
    mask_count: usize,
    augment: Augment,
}

impl Augmenter {
    pub fn new(g: &Graph, augment: Augment) -> Result<Augmenter> {
        let maps = pixel_maps(&augment);
        let masks = cutout_masks();
        let (map_count, mask_count) = (maps.len(), masks.len());
        let flat_maps: Vec<f32> = maps.iter().flatten().map(|&i| i as f32).collect();
        let flat_masks: Vec<f32> = masks.into_iter().flatten().collect();
        Ok(Augmenter {
            maps: g.input("ssl.pixel_maps", &[1, map_count, PIXELS], flat_maps)?,
            map_count,
            masks: g.input("ssl.cutouts", &[1, mask_count, PIXELS], flat_masks)?,
            mask_count,
            augment,
        })
    }

    /// A view of each image of `x` ([R, B, 64]): fresh draws for each value of `counter`.
    pub fn view(&self, x: &Tensor, counter: &Tensor) -> Result<Tensor> {
        let g = x.graph();
        let dims = x.dims();
        let (runs, b) = (dims[0], dims[1]);
        // Each image's pixel map, offset into its own row of the padded batch.
        let which = g.random_index(&[runs, b], self.map_count, Some(counter))?;
        let offsets: Vec<f32> = (0..b).map(|i| (i * (PIXELS + 1)) as f32).collect();
        let offsets = g.input("ssl.view_offsets", &[1, b, 1], offsets)?;
        let sources = self
            .maps
            .gather_rows(&which)?
            .add(&offsets)?
            .reshape(&[runs, b * PIXELS])?;
        let padded = x
            .concat(&g.zeros(&[runs, b, 1])?)?
            .reshape(&[runs, b * (PIXELS + 1), 1])?;
        let mut v = padded.gather_rows(&sources)?.reshape(&[runs, b, PIXELS])?;
        if self.augment.cutout > 0.0 {
            let mask = self.masks.gather_rows(&g.random_index(
                &[runs, b],
                self.mask_count,
                Some(counter),
            )?)?;
            let apply = g
                .random_uniform(&[runs, b, 1], 0.0, 1.0, Some(counter))?
                .lt(&g.scalar(self.augment.cutout)?)?;
            // 1 − apply·(1 − mask): the mask where a cutout is drawn, else all ones.
            let keep = mask.add_scalar(-1.0)?.mul(&apply)?.add_scalar(1.0)?;
            v = v.mul(&keep)?;
        }
        if self.augment.noise > 0.0 {
            v = v.add(&g.random_normal(
                &[runs, b, PIXELS],
                0.0,
                self.augment.noise,
                Some(counter),
            )?)?;
        }
        v.detach()
    }
}

/// The spectrum toy (*On the Stepwise Nature of Self-Supervised Learning*): x ~ N(0, diag(λ))
/// in `TOY_INPUTS` dimensions with λ_k = decay^k, and each view x plus N(0, σ²) noise, so the
/// views' cross-covariance is diag(λ).
pub const TOY_INPUTS: usize = 16;
/// The view noise of the spectrum toy.
pub const SPECTRUM_NOISE: f32 = 0.1;

pub fn spectrum(decay: f32) -> Vec<f32> {
    (0..TOY_INPUTS).map(|k| decay.powi(k as i32)).collect()
}

/// The two-feature toy (*How JEPA Avoids Noisy Features*): feature A has a high variance λ and a
/// low regression coefficient ρ between the views, feature B the reverse. View 2's feature i is
/// ρᵢ·xᵢ plus noise of variance λᵢ(1 − ρᵢ²), so both views have variance λᵢ.
/// A's λρ (what MAE's dynamics follow) is twice B's; B's ρ (what JEPA's follow) is nearly twice
/// A's.
pub const FEATURES: [(&str, f32, f32); 2] = [("A", 1.0, 0.5), ("B", 0.25, 0.9)];
