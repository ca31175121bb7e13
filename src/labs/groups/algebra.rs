//! Finite groups as multiplication tables, with their real irreducible characters: the cyclic
//! group C_p (in closed form, conjugate pairs of complex characters joined into one real
//! "frequency"), the dihedral group D_n (closed form) and the symmetric group S_5 (by cycle type).
//!
//! `shares` splits an embedding (one row per element) into the isotypic components of the
//! regular representation with the projectors P_ρ[x][y] = (d_ρ/|G|) χ_ρ(x y⁻¹), which are
//! orthogonal and sum to the identity, and returns each non-trivial component's share of the
//! embedding's variance.

/// A real irreducible representation (or, for C_p, a conjugate pair): its name, the dimension
/// of the isotypic component it spans in the regular representation's real span (d² for a real
/// irrep of dimension d), and its real character ψ per element, scaled so that the projector is
/// P[x][y] = weight · ψ(x y⁻¹).
#[derive(Clone, Debug)]
pub struct Irrep {
    pub name: String,
    pub dim: usize,
    /// The projector's kernel: P[x][y] = kernel[x·y⁻¹].
    kernel: Vec<f64>,
    pub trivial: bool,
}

#[derive(Clone, Debug)]
pub struct FiniteGroup {
    pub name: String,
    pub order: usize,
    /// `table[a * order + b]` = a·b.
    pub table: Vec<u16>,
    pub inverse: Vec<u16>,
    pub irreps: Vec<Irrep>,
}

impl FiniteGroup {
    pub fn mul(&self, a: usize, b: usize) -> usize {
        self.table[a * self.order + b] as usize
    }

    /// C_p: element k is k, the product is addition mod p. Frequencies k = 1 … ⌊p/2⌋ join the
    /// characters e^{±2πikx/p} into P_k[x][y] = (2/p) cos(2πk(x−y)/p) (one term at k = p/2).
    pub fn cyclic(p: usize) -> FiniteGroup {
        let table = (0..p * p).map(|i| ((i / p + i % p) % p) as u16).collect();
        let inverse = (0..p).map(|k| ((p - k) % p) as u16).collect();
        let mut irreps = vec![Irrep {
            name: "trivial".into(),
            dim: 1,
            kernel: vec![1.0 / p as f64; p],
            trivial: true,
        }];
        for k in 1..=p / 2 {
            let pair = if 2 * k == p { 1.0 } else { 2.0 };
            irreps.push(Irrep {
                name: format!("k{k}"),
                dim: pair as usize,
                kernel: (0..p)
                    .map(|x| {
                        pair / p as f64
                            * (2.0 * std::f64::consts::PI * (k * x) as f64 / p as f64).cos()
                    })
                    .collect(),
                trivial: false,
            });
        }
        FiniteGroup {
            name: format!("C{p}"),
            order: p,
            table,
            inverse,
            irreps,
        }
    }

    /// D_n, order 2n: element f·n + k is r^k s^f, and (r^a s^f)(r^b s^g) = r^{a + (−1)^f b} s^{f+g}.
    /// Irreps: the trivial and the sign, two more one-dimensional ones when n is even, and the
    /// two-dimensional ρ_j (χ(r^k) = 2cos(2πjk/n), 0 on reflections) for 1 ≤ j < n/2.
    pub fn dihedral(n: usize) -> FiniteGroup {
        let order = 2 * n;
        let elem = |k: usize, f: usize| f * n + k;
        let mut table = vec![0u16; order * order];
        for (x, y) in (0..order).flat_map(|x| (0..order).map(move |y| (x, y))) {
            let (a, f, b, g) = (x % n, x / n, y % n, y / n);
            let k = if f == 0 { (a + b) % n } else { (a + n - b) % n };
            table[x * order + y] = elem(k, f ^ g) as u16;
        }
        let inverse = (0..order)
            .map(|x| {
                let (k, f) = (x % n, x / n);
                (if f == 0 { elem((n - k) % n, 0) } else { x }) as u16
            })
            .collect();
        // Characters per element, then projector kernels (d/|G|)·χ.
        let mut chars: Vec<(String, usize, Vec<f64>)> = vec![
            ("trivial".into(), 1, vec![1.0; order]),
            (
                "sign".into(),
                1,
                (0..order).map(|x| if x < n { 1.0 } else { -1.0 }).collect(),
            ),
        ];
        if n.is_multiple_of(2) {
            let parity = |x: usize| if (x % n).is_multiple_of(2) { 1.0 } else { -1.0 };
            chars.push(("alt".into(), 1, (0..order).map(parity).collect()));
            chars.push((
                "alt-sign".into(),
                1,
                (0..order)
                    .map(|x| parity(x) * if x < n { 1.0 } else { -1.0 })
                    .collect(),
            ));
        }
        for j in 1..n.div_ceil(2) {
            if 2 * j == n {
                continue;
            }
            let chi = (0..order)
                .map(|x| {
                    if x < n {
                        2.0 * (2.0 * std::f64::consts::PI * (j * x) as f64 / n as f64).cos()
                    } else {
                        0.0
                    }
                })
                .collect();
            chars.push((format!("rho{j}"), 2, chi));
        }
        FiniteGroup {
            name: format!("D{n}"),
            order,
            table,
            inverse,
            irreps: irreps_from_characters(order, chars),
        }
    }

    /// S_5, order 120: the permutations of 0..5 in lexicographic order, (a·b)(i) = a(b(i)).
    /// The seven irreps' characters are read off each element's cycle type.
    pub fn symmetric5() -> FiniteGroup {
        let perms = permutations(5);
        let order = perms.len();
        let index = |p: &[u8]| perms.iter().position(|q| q == p).expect("a permutation");
        let mut table = vec![0u16; order * order];
        let mut inverse = vec![0u16; order];
        for (x, a) in perms.iter().enumerate() {
            for (y, b) in perms.iter().enumerate() {
                let ab: Vec<u8> = b.iter().map(|&i| a[i as usize]).collect();
                table[x * order + y] = index(&ab) as u16;
            }
            let mut inv = vec![0u8; 5];
            for (i, &ai) in a.iter().enumerate() {
                inv[ai as usize] = i as u8;
            }
            inverse[x] = index(&inv) as u16;
        }
        // Cycle types in the order of the table's columns.
        const TYPES: [&[usize]; 7] = [
            &[1, 1, 1, 1, 1],
            &[2, 1, 1, 1],
            &[2, 2, 1],
            &[3, 1, 1],
            &[3, 2],
            &[4, 1],
            &[5],
        ];
        // Rows: the irreps by partition, their characters on those cycle types.
        const TABLE: [(&str, usize, [f64; 7]); 7] = [
            ("[5]", 1, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
            ("[1^5]", 1, [1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0]),
            ("[4,1]", 4, [4.0, 2.0, 0.0, 1.0, -1.0, 0.0, -1.0]),
            ("[2,1^3]", 4, [4.0, -2.0, 0.0, 1.0, 1.0, 0.0, -1.0]),
            ("[3,2]", 5, [5.0, 1.0, 1.0, -1.0, 1.0, -1.0, 0.0]),
            ("[2,2,1]", 5, [5.0, -1.0, 1.0, -1.0, -1.0, 1.0, 0.0]),
            ("[3,1,1]", 6, [6.0, 0.0, -2.0, 0.0, 0.0, 0.0, 1.0]),
        ];
        let class: Vec<usize> = perms
            .iter()
            .map(|p| {
                let t = cycle_type(p);
                TYPES
                    .iter()
                    .position(|c| *c == t.as_slice())
                    .expect("a cycle type")
            })
            .collect();
        let chars = TABLE
            .iter()
            .map(|(name, dim, row)| {
                let name = if *name == "[5]" { "trivial" } else { name };
                (
                    name.to_string(),
                    *dim,
                    class.iter().map(|&c| row[c]).collect(),
                )
            })
            .collect();
        FiniteGroup {
            name: "S5".into(),
            order,
            table,
            inverse,
            irreps: irreps_from_characters(order, chars),
        }
    }

    /// Irrep `r`'s character at element `g`, up to a positive scale (cosines do not see it).
    pub fn character(&self, r: usize, g: usize) -> f64 {
        self.irreps[r].kernel[g]
    }

    /// The projector of irrep `r` as a dense |G|×|G| matrix.
    pub fn projector(&self, r: usize) -> Vec<f64> {
        let n = self.order;
        let k = &self.irreps[r].kernel;
        let mut p = vec![0.0; n * n];
        for x in 0..n {
            for y in 0..n {
                p[x * n + y] = k[self.mul(x, self.inverse[y] as usize)];
            }
        }
        p
    }

    /// Each non-trivial irrep's share of the variance of `embedding` ([|G|, cols], row-major):
    /// ‖P_ρ E‖² / Σ_ρ' ‖P_ρ' E‖² over the non-trivial ρ'. Names in `irreps` order, trivial left out.
    pub fn shares(&self, embedding: &[f32], cols: usize) -> Vec<(String, f64)> {
        let n = self.order;
        let mut out = Vec::new();
        for (r, irrep) in self.irreps.iter().enumerate() {
            if irrep.trivial {
                continue;
            }
            let p = self.projector(r);
            // ‖P E‖² = tr(Eᵀ P E) since P is an orthogonal projector.
            let mut power = 0.0;
            for c in 0..cols {
                for x in 0..n {
                    let mut px = 0.0;
                    for y in 0..n {
                        px += p[x * n + y] * embedding[y * cols + c] as f64;
                    }
                    power += px * embedding[x * cols + c] as f64;
                }
            }
            out.push((irrep.name.clone(), power.max(0.0)));
        }
        let total: f64 = out.iter().map(|(_, v)| v).sum();
        for (_, v) in &mut out {
            *v = if total > 0.0 { *v / total } else { 0.0 };
        }
        out
    }
}

/// Irreps from (name, dimension, character per element): kernels (d/|G|)·χ, real-isotypic
/// dimension d².
fn irreps_from_characters(order: usize, chars: Vec<(String, usize, Vec<f64>)>) -> Vec<Irrep> {
    chars
        .into_iter()
        .map(|(name, d, chi)| Irrep {
            trivial: name == "trivial",
            name,
            dim: d * d,
            kernel: chi.iter().map(|c| d as f64 / order as f64 * c).collect(),
        })
        .collect()
}

/// Every permutation of 0..n in lexicographic order.
fn permutations(n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut p: Vec<u8> = (0..n as u8).collect();
    loop {
        out.push(p.clone());
        // Next lexicographic permutation.
        let Some(i) = (0..n.saturating_sub(1)).rev().find(|&i| p[i] < p[i + 1]) else {
            return out;
        };
        let j = (i + 1..n)
            .rev()
            .find(|&j| p[j] > p[i])
            .expect("a larger entry");
        p.swap(i, j);
        p[i + 1..].reverse();
    }
}

/// Cycle lengths of a permutation, longest first.
fn cycle_type(p: &[u8]) -> Vec<usize> {
    let mut seen = vec![false; p.len()];
    let mut lengths = Vec::new();
    for start in 0..p.len() {
        let (mut i, mut len) = (start, 0);
        while !seen[i] {
            seen[i] = true;
            i = p[i] as usize;
            len += 1;
        }
        if len > 0 {
            lengths.push(len);
        }
    }
    lengths.sort_unstable_by(|a, b| b.cmp(a));
    lengths
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> Vec<FiniteGroup> {
        vec![
            FiniteGroup::cyclic(7),
            FiniteGroup::cyclic(8),
            FiniteGroup::dihedral(5),
            FiniteGroup::dihedral(6),
            FiniteGroup::symmetric5(),
        ]
    }

    #[test]
    fn tables_are_groups() {
        for g in groups() {
            let n = g.order;
            let e = (0..n)
                .find(|&e| (0..n).all(|x| g.mul(e, x) == x))
                .expect("identity");
            for x in 0..n {
                assert_eq!(g.mul(x, g.inverse[x] as usize), e, "{}", g.name);
                for y in 0..n {
                    for z in 0..n {
                        assert_eq!(g.mul(g.mul(x, y), z), g.mul(x, g.mul(y, z)), "{}", g.name);
                    }
                }
            }
            let mut rows: Vec<Vec<u16>> = g.table.chunks(n).map(|r| r.to_vec()).collect();
            for r in &mut rows {
                r.sort_unstable();
                assert_eq!(
                    *r,
                    (0..n as u16).collect::<Vec<_>>(),
                    "{}: a Latin square",
                    g.name
                );
            }
        }
    }

    /// The projectors are idempotent, mutually orthogonal and sum to the identity; their
    /// traces are the isotypic dimensions, which sum to |G|.
    #[test]
    fn projectors_split_the_regular_representation() {
        for g in groups() {
            let n = g.order;
            let ps: Vec<Vec<f64>> = (0..g.irreps.len()).map(|r| g.projector(r)).collect();
            let dims: usize = g.irreps.iter().map(|i| i.dim).sum();
            assert_eq!(dims, n, "{}", g.name);
            let mm = |a: &[f64], b: &[f64], x: usize, y: usize| -> f64 {
                (0..n).map(|k| a[x * n + k] * b[k * n + y]).sum()
            };
            for (r, p) in ps.iter().enumerate() {
                let trace: f64 = (0..n).map(|x| p[x * n + x]).sum();
                assert!(
                    (trace - g.irreps[r].dim as f64).abs() < 1e-9,
                    "{} {}",
                    g.name,
                    g.irreps[r].name
                );
                for (s, q) in ps.iter().enumerate() {
                    for (x, y) in [(0, 0), (1, 2), (n - 1, 3 % n), (n / 2, n - 1)] {
                        let want = if r == s { p[x * n + y] } else { 0.0 };
                        assert!((mm(p, q, x, y) - want).abs() < 1e-9, "{} {r}·{s}", g.name);
                    }
                }
            }
            for x in 0..n {
                for y in 0..n {
                    let sum: f64 = ps.iter().map(|p| p[x * n + y]).sum();
                    assert!(
                        (sum - if x == y { 1.0 } else { 0.0 }).abs() < 1e-9,
                        "{}",
                        g.name
                    );
                }
            }
        }
    }

    /// A pure frequency puts all its variance in its own component.
    #[test]
    fn a_pure_frequency_is_all_in_one_share() {
        let g = FiniteGroup::cyclic(11);
        let e: Vec<f32> = (0..11)
            .flat_map(|x| {
                let t = 2.0 * std::f32::consts::PI * 3.0 * x as f32 / 11.0;
                [t.cos(), t.sin() + 0.5]
            })
            .collect();
        let shares = g.shares(&e, 2);
        let k3 = shares.iter().find(|(n, _)| n == "k3").unwrap().1;
        assert!((k3 - 1.0).abs() < 1e-6, "{shares:?}");
    }
}
