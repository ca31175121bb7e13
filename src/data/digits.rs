//! The 8×8 handwritten digits (UCI "Optical Recognition of Handwritten Digits", CC BY 4.0; see
//! `assets/DIGITS-LICENSE.md`), embedded in the binary, with the task scenarios a
//! continual-learning lab needs: stratified train/test splits, Permuted-, Rotated- and
//! Split-Digits.
//!
//! The crate has no gzip decoder, so the data is `assets/digits.bin`, an uncompressed copy of
//! `assets/digits.csv.gz` written by `scripts/make-digits-bin.py`: 1,797 records of 65 bytes, the
//! 64 pixels (row-major, 0..16) and then the label (0..9). Native builds embed it. The page does
//! not (it is 117 KB, and most labs never read it): the page serves it as its own file, [`FILE`],
//! and the first build that needs it fails with [`wanted`] set; the page then fetches the file,
//! hands it over with [`provide`] and builds again (`src/ui/engine.rs`).
//!
//! Every random choice is a pure function of its seed (a self-contained splitmix64), so the
//! browser, the CLI and the tests see the same splits and permutations.

/// Number of images in the data set.
pub const IMAGES: usize = 1797;
/// Pixels per image (8×8, row-major).
pub const PIXELS: usize = 64;
/// Number of classes (the digits 0..9).
pub const CLASSES: usize = 10;

/// Side of the square image.
const SIDE: usize = 8;
/// Bytes per embedded record: the pixels, then the label.
const RECORD: usize = PIXELS + 1;
/// The largest raw pixel value; pixels are divided by it to land in [0, 1].
const MAX_PIXEL: f32 = 16.0;

/// The data file's name beside the page (Trunk copies it there; index.html).
pub const FILE: &str = "digits.bin";

#[cfg(not(target_arch = "wasm32"))]
static EMBEDDED: &[u8] = include_bytes!("../../assets/digits.bin");

// The embedded file must hold exactly the whole data set: checked when compiling, not at run time.
#[cfg(not(target_arch = "wasm32"))]
const _: () = assert!(EMBEDDED.len() == IMAGES * RECORD);

/// The file as the page fetched it ([`provide`]).
#[cfg(target_arch = "wasm32")]
static PROVIDED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
/// Set when a build asked for the data before it was provided; cleared when it is.
static WANTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The raw records, or why they are not here yet.
fn data() -> Result<&'static [u8], String> {
    #[cfg(not(target_arch = "wasm32"))]
    return Ok(EMBEDDED);
    #[cfg(target_arch = "wasm32")]
    match PROVIDED.get() {
        Some(bytes) => Ok(bytes),
        None => {
            WANTED.store(true, std::sync::atomic::Ordering::Relaxed);
            Err(format!("the digits data set ({FILE}) is not loaded"))
        }
    }
}

/// Whether a build asked for the data and did not have it: the page should fetch [`FILE`].
pub fn wanted() -> bool {
    WANTED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Hands over the fetched [`FILE`]. Refuses a file that is not the whole data set (a bad or
/// truncated download), so that no lab trains on part of it.
pub fn provide(bytes: Vec<u8>) -> Result<(), String> {
    if bytes.len() != IMAGES * RECORD {
        return Err(format!(
            "{FILE} holds {} bytes, not the {} of the whole data set",
            bytes.len(),
            IMAGES * RECORD
        ));
    }
    if let Some(bad) = bytes.chunks_exact(RECORD).find(|r| {
        r[..PIXELS].iter().any(|&p| p as f32 > MAX_PIXEL) || r[PIXELS] as usize >= CLASSES
    }) {
        return Err(format!(
            "{FILE} has a record out of range: label {}",
            bad[PIXELS]
        ));
    }
    #[cfg(target_arch = "wasm32")]
    let _ = PROVIDED.set(bytes);
    WANTED.store(false, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// A set of digit images: `x` is row-major [n, 64] with pixels scaled to [0, 1], `y` the labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Digits {
    pub x: Vec<f32>,
    pub y: Vec<u8>,
    pub n: usize,
}

impl Digits {
    /// Builds a set from (pixels, label) pairs; `n` always matches what was collected.
    fn from_images<'a>(images: impl Iterator<Item = (&'a [f32], u8)>) -> Digits {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (pixels, label) in images {
            x.extend_from_slice(pixels);
            y.push(label);
        }
        let n = y.len();
        Digits { x, y, n }
    }

    /// The images as (pixels, label) pairs. Tolerates a hand-built set whose `x` and `y` disagree
    /// in length: only the complete images that have a label are visited.
    fn images(&self) -> impl Iterator<Item = (&[f32], u8)> {
        self.x.chunks_exact(PIXELS).zip(self.y.iter().copied())
    }
}

/// All 1,797 images, in the file's order. Fails only in the page, before [`provide`].
pub fn load() -> Result<Digits, String> {
    let mut x = Vec::with_capacity(IMAGES * PIXELS);
    let mut y = Vec::with_capacity(IMAGES);
    for record in data()?.chunks_exact(RECORD) {
        x.extend(record[..PIXELS].iter().map(|&p| p as f32 / MAX_PIXEL));
        y.push(record[PIXELS]);
    }
    Ok(Digits { x, y, n: IMAGES })
}

/// splitmix64 (Steele, Lea & Flood 2014): a tiny, well-mixed generator for seeded shuffles.
struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator for draw `stream` of seed `seed`: distinct streams give unrelated sequences.
    fn new(seed: u32, stream: u64) -> SplitMix64 {
        let mut g = SplitMix64(((seed as u64) << 32) ^ stream);
        g.next(); // NOTE: one warm-up step so that small seeds and streams are well mixed.
        g
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..bound (bound > 0) by multiply-shift on the top 32 bits.
    fn below(&mut self, bound: usize) -> usize {
        (((self.next() >> 32) * bound as u64) >> 32) as usize
    }

    /// Fisher–Yates shuffle in place.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Stream tags, so that splits and permutations never share random numbers.
const STREAM_SPLIT: u64 = 1 << 40;
const STREAM_PERMUTATION: u64 = 2 << 40;

/// The indices (into [`load`]'s order, ascending) of the train and test images for `seed`.
fn split_indices(labels: &[u8], seed: u32, test_fraction: f32) -> (Vec<usize>, Vec<usize>) {
    let mut train = Vec::new();
    let mut test = Vec::new();
    for class in 0..CLASSES as u8 {
        let mut members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        SplitMix64::new(seed, STREAM_SPLIT | class as u64).shuffle(&mut members);
        let n_test = (test_fraction * members.len() as f32).round() as usize;
        let n_test = n_test.min(members.len());
        test.extend_from_slice(&members[..n_test]);
        train.extend_from_slice(&members[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// A train/test split of the whole data set, stratified by class: each class sends
/// round(`test_fraction` × its count) images to the test set. A fixed function of `seed`; both
/// sets keep the file's order. `test_fraction` must lie in [0, 1].
pub fn split(seed: u32, test_fraction: f32) -> Result<(Digits, Digits), String> {
    if !(0.0..=1.0).contains(&test_fraction) {
        return Err(format!(
            "digits split: test_fraction must lie in [0, 1], got {test_fraction}"
        ));
    }
    let all = load()?;
    let (train, test) = split_indices(&all.y, seed, test_fraction);
    let pick = |indices: &[usize]| {
        Digits::from_images(
            indices
                .iter()
                .map(|&i| (&all.x[i * PIXELS..(i + 1) * PIXELS], all.y[i])),
        )
    };
    Ok((pick(&train), pick(&test)))
}

/// The pixel permutation of Permuted-Digits task `task`: task 0 is the identity, every other task
/// a fixed Fisher–Yates shuffle of the 64 pixels derived from `seed` and `task`.
pub fn permutation(seed: u32, task: usize) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..PIXELS).collect();
    if task > 0 {
        SplitMix64::new(seed, STREAM_PERMUTATION ^ task as u64).shuffle(&mut perm);
    }
    perm
}

/// `d` with its pixels reordered: pixel `i` of each new image is pixel `perm[i]` of the old one.
/// `perm` must be a permutation of 0..64.
pub fn permute(d: &Digits, perm: &[usize]) -> Result<Digits, String> {
    let mut seen = [false; PIXELS];
    for &p in perm.iter().filter(|&&p| p < PIXELS) {
        seen[p] = true;
    }
    if perm.len() != PIXELS || seen.contains(&false) {
        return Err(format!(
            "digits permute: perm must hold each of 0..{PIXELS} once, got {} entries",
            perm.len()
        ));
    }
    let mut x = Vec::with_capacity(d.x.len());
    let mut y = Vec::with_capacity(d.y.len());
    for (pixels, label) in d.images() {
        x.extend(perm.iter().map(|&p| pixels[p]));
        y.push(label);
    }
    let n = y.len();
    Ok(Digits { x, y, n })
}

/// Snaps a coordinate that is within rounding error of a pixel centre onto it, so that rotations
/// by multiples of 90° move pixels exactly.
fn snap(v: f32) -> f32 {
    if (v - v.round()).abs() < 1e-4 {
        v.round()
    } else {
        v
    }
}

/// Pixel (`row`, `col`) of an 8×8 image, zero outside it.
fn pixel(image: &[f32], row: i32, col: i32) -> f32 {
    let inside = |v: i32| (0..SIDE as i32).contains(&v);
    if inside(row) && inside(col) {
        image[row as usize * SIDE + col as usize]
    } else {
        0.0
    }
}

/// Bilinear sample of an 8×8 image at fractional (`row`, `col`), zero outside it.
fn bilinear(image: &[f32], row: f32, col: f32) -> f32 {
    let (r0, c0) = (row.floor(), col.floor());
    let (fr, fc) = (row - r0, col - c0);
    let (r0, c0) = (r0 as i32, c0 as i32);
    (1.0 - fr) * ((1.0 - fc) * pixel(image, r0, c0) + fc * pixel(image, r0, c0 + 1))
        + fr * ((1.0 - fc) * pixel(image, r0 + 1, c0) + fc * pixel(image, r0 + 1, c0 + 1))
}

/// `d` with each image rotated counter-clockwise (as displayed, rows running down) by `degrees`
/// about its centre, with bilinear interpolation and zero outside the image. At 90° pixel
/// (r, c) moves to (7 − c, r). A non-finite angle leaves the images unchanged.
pub fn rotate(d: &Digits, degrees: f32) -> Digits {
    let degrees = if degrees.is_finite() { degrees } else { 0.0 };
    let (sin, cos) = degrees.to_radians().sin_cos();
    let centre = (SIDE as f32 - 1.0) / 2.0;
    // For each output pixel, where it came from: the inverse rotation of its position, written in
    // (x right, y up) coordinates about the centre.
    let source: Vec<(f32, f32)> = (0..PIXELS)
        .map(|i| {
            let x = (i % SIDE) as f32 - centre;
            let y = centre - (i / SIDE) as f32;
            let (sx, sy) = (x * cos + y * sin, -x * sin + y * cos);
            (snap(centre - sy), snap(centre + sx))
        })
        .collect();
    let mut x = Vec::with_capacity(d.x.len());
    let mut y = Vec::with_capacity(d.y.len());
    for (pixels, label) in d.images() {
        x.extend(source.iter().map(|&(r, c)| bilinear(pixels, r, c)));
        y.push(label);
    }
    let n = y.len();
    Digits { x, y, n }
}

/// The images of `d` whose label is in `keep`, in their original order.
pub fn classes(d: &Digits, keep: &[u8]) -> Digits {
    Digits::from_images(d.images().filter(|(_, label)| keep.contains(label)))
}

/// The class pairs of Split-Digits with `tasks` tasks: {0, 1}, {2, 3}, … Needs 1 ≤ tasks ≤ 5.
pub fn split_tasks(tasks: usize) -> Result<Vec<Vec<u8>>, String> {
    if tasks == 0 || tasks > CLASSES / 2 {
        return Err(format!(
            "Split-Digits: tasks must be 1..={} (two classes each out of {CLASSES}), got {tasks}",
            CLASSES / 2
        ));
    }
    Ok((0..tasks as u8).map(|t| vec![2 * t, 2 * t + 1]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(labels: &[u8], class: u8) -> usize {
        labels.iter().filter(|&&l| l == class).count()
    }

    /// One blank image with a single lit pixel at (`row`, `col`).
    fn one_pixel(row: usize, col: usize) -> Digits {
        let mut x = vec![0.0; PIXELS];
        x[row * SIDE + col] = 1.0;
        Digits {
            x,
            y: vec![3],
            n: 1,
        }
    }

    #[test]
    fn load_has_the_whole_data_set() {
        let d = load().unwrap();
        assert_eq!(
            (d.n, d.x.len(), d.y.len()),
            (IMAGES, IMAGES * PIXELS, IMAGES)
        );
        for class in 0..CLASSES as u8 {
            let c = count(&d.y, class);
            assert!((174..=183).contains(&c), "class {class}: {c} images");
        }
        assert!(d.y.iter().all(|&l| (l as usize) < CLASSES));
        assert!(d
            .x
            .iter()
            .all(|&p| (0.0..=1.0).contains(&p) && (p * 16.0).fract() == 0.0));
        assert_eq!(d.x.iter().cloned().fold(0.0, f32::max), 1.0);
        // The first row of digits.csv.gz: a zero.
        let first: Vec<f32> = [0., 0., 5., 13., 9., 1., 0., 0.]
            .iter()
            .map(|p| p / 16.0)
            .collect();
        assert_eq!((&d.x[..8], d.y[0]), (&first[..], 0));
    }

    #[test]
    fn split_is_a_stratified_fixed_function_of_the_seed() {
        let (train, test) = split(7, 0.25).unwrap();
        assert_eq!(split(7, 0.25).unwrap(), (train.clone(), test.clone()));
        assert_ne!(split(8, 0.25).unwrap().1, test);
        assert_eq!(train.n + test.n, IMAGES);
        assert_eq!(
            (train.x.len(), test.x.len()),
            (train.n * PIXELS, test.n * PIXELS)
        );
        let all = load().unwrap();
        for class in 0..CLASSES as u8 {
            let share = 0.25 * count(&all.y, class) as f32;
            let got = count(&test.y, class) as f32;
            assert!(
                (got - share).abs() <= 2.0,
                "class {class}: {got} vs {share}"
            );
        }
    }

    #[test]
    fn split_partitions_the_images() {
        let labels = load().unwrap().y;
        let (train, test) = split_indices(&labels, 3, 0.3);
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..IMAGES).collect::<Vec<_>>());
        assert_eq!(split(1, 0.0).unwrap().1.n, 0);
        assert_eq!(split(1, 1.0).unwrap().0.n, 0);
    }

    #[test]
    fn split_rejects_bad_fractions() {
        for bad in [-0.1, 1.5, f32::NAN, f32::INFINITY] {
            let err = split(0, bad).unwrap_err();
            assert!(err.contains("test_fraction"), "{err}");
        }
    }

    #[test]
    fn permutation_is_a_fixed_bijection_and_identity_for_task_0() {
        let identity: Vec<usize> = (0..PIXELS).collect();
        assert_eq!(permutation(5, 0), identity);
        for task in 1..5 {
            let perm = permutation(5, task);
            let mut sorted = perm.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, identity);
            assert_ne!(perm, identity);
            assert_eq!(perm, permutation(5, task));
        }
        assert_ne!(permutation(5, 1), permutation(5, 2));
        assert_ne!(permutation(5, 1), permutation(6, 1));
    }

    #[test]
    fn permute_moves_pixels_and_checks_its_argument() {
        let d = classes(&load().unwrap(), &[4]);
        let identity = permutation(0, 0);
        assert_eq!(permute(&d, &identity).unwrap(), d);
        let perm = permutation(9, 3);
        let p = permute(&d, &perm).unwrap();
        assert_eq!((p.n, &p.y), (d.n, &d.y));
        for (i, &from) in perm.iter().enumerate() {
            assert_eq!(p.x[PIXELS + i], d.x[PIXELS + from]);
        }
        assert!(permute(&d, &identity[..63]).is_err());
        let mut repeated = identity.clone();
        repeated[1] = 0;
        assert!(permute(&d, &repeated).is_err());
        let mut outside = identity;
        outside[0] = 64;
        assert!(permute(&d, &outside).is_err());
    }

    #[test]
    fn rotate_by_0_is_the_identity_and_by_90_turns_left() {
        let d = load().unwrap();
        assert_eq!(rotate(&d, 0.0), d);
        assert_eq!(rotate(&d, f32::NAN), d);
        for (r, c) in [(0, 0), (1, 6), (2, 3), (7, 7), (5, 0)] {
            assert_eq!(
                rotate(&one_pixel(r, c), 90.0),
                one_pixel(7 - c, r),
                "({r}, {c})"
            );
            assert_eq!(
                rotate(&one_pixel(r, c), -90.0),
                one_pixel(c, 7 - r),
                "({r}, {c})"
            );
        }
        let small = classes(&d, &[7]);
        assert_eq!(rotate(&small, 360.0), small);
        let turned = rotate(&small, 45.0);
        assert_eq!((turned.n, turned.x.len()), (small.n, small.x.len()));
        assert!(turned.x.iter().all(|&p| (0.0..=1.0 + 1e-6).contains(&p)));
    }

    #[test]
    fn classes_keeps_the_chosen_labels_in_order() {
        let d = load().unwrap();
        let pair = classes(&d, &[2, 3]);
        assert_eq!(pair.n, count(&d.y, 2) + count(&d.y, 3));
        assert!(pair.y.iter().all(|&l| l == 2 || l == 3));
        let expected: Vec<&[f32]> =
            d.x.chunks(PIXELS)
                .zip(&d.y)
                .filter(|(_, &l)| l == 2 || l == 3)
                .map(|(x, _)| x)
                .collect();
        assert_eq!(pair.x.chunks(PIXELS).collect::<Vec<_>>(), expected);
        assert_eq!(classes(&d, &[]).n, 0);
    }

    #[test]
    fn split_tasks_pairs_classes_and_rejects_bad_counts() {
        assert_eq!(split_tasks(1).unwrap(), vec![vec![0, 1]]);
        let five = split_tasks(5).unwrap();
        assert_eq!(five.len(), 5);
        assert_eq!(five[4], vec![8, 9]);
        for bad in [0, 6, usize::MAX] {
            let err = split_tasks(bad).unwrap_err();
            assert!(
                err.contains("Split-Digits") && err.contains("tasks"),
                "{err}"
            );
        }
    }

    #[test]
    fn provide_takes_the_whole_data_set_only() {
        let whole = EMBEDDED.to_vec();
        assert!(provide(whole[..RECORD * 10].to_vec())
            .unwrap_err()
            .contains("bytes"));
        let mut bad_label = whole.clone();
        bad_label[PIXELS] = CLASSES as u8;
        assert!(provide(bad_label).unwrap_err().contains("out of range"));
        let mut bad_pixel = whole.clone();
        bad_pixel[0] = 17;
        assert!(provide(bad_pixel).is_err());
        assert_eq!(provide(whole), Ok(()));
        assert!(!wanted(), "native builds embed the data");
    }
}
