//! Device-free tests: each family's `Params` against its shader's, and the optimizer tables.

use super::context::FAMILIES;
use super::optim_tables::{chunks, Segment, MAX_SEGMENTS};
use super::{elementwise, gather, matmul, optim, random, reduce, softmax};
use std::mem::{offset_of, size_of};

/// A WGSL type's (size, alignment) in bytes, by WGSL's memory layout rules, for the scalar,
/// vector and array types kernel parameters use; `None` for a runtime-sized array.
fn wgsl_layout(ty: &str) -> Option<(usize, usize)> {
    let ty = ty.trim();
    if let Some(inner) = ty.strip_prefix("array<").and_then(|t| t.strip_suffix('>')) {
        let parts = split_top_level(inner);
        let (element, count) = match parts.as_slice() {
            [element] => (element, None),
            [element, count] => (element, Some(count.trim().trim_end_matches('u'))),
            _ => panic!("unexpected array type {ty}"),
        };
        let (size, align) = wgsl_layout(element).expect("an array of a sized type");
        let stride = size.next_multiple_of(align);
        let count: usize = count?.parse().expect("an array length");
        return Some((stride * count, align));
    }
    if let Some(rest) = ty.strip_prefix("vec") {
        let (n, scalar) = rest.split_once('<').expect("vecN<T>");
        let (scalar_size, _) = wgsl_layout(scalar.trim_end_matches('>')).unwrap();
        let n: usize = n.parse().expect("a vector width");
        let align = match n {
            2 => 2 * scalar_size,
            3 | 4 => 4 * scalar_size,
            _ => panic!("unexpected vector {ty}"),
        };
        return Some((n * scalar_size, align));
    }
    match ty {
        "u32" | "i32" | "f32" => Some((4, 4)),
        "f16" => Some((2, 2)),
        _ => panic!("no layout for WGSL type {ty}"),
    }
}

/// `s` split at its commas outside angle brackets.
fn split_top_level(s: &str) -> Vec<String> {
    let (mut parts, mut depth, mut current) = (Vec::new(), 0, String::new());
    for c in s.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts.retain(|p| !p.trim().is_empty());
    parts
}

/// A WGSL `struct Params` as laid out in memory.
#[derive(Debug)]
struct WgslParams {
    /// (name, byte offset) of every member of fixed size.
    fields: Vec<(String, usize)>,
    /// The struct's size, or with a runtime-sized array last, that array's offset: the bytes
    /// before the array, which the Rust mirror covers.
    size: usize,
}

/// Parses the `struct Params { ... }` of a shader's source and lays it out.
fn wgsl_params(src: &str) -> WgslParams {
    wgsl_struct(src, "Params")
}

/// Parses the `struct <name> { ... }` of a shader's source and lays it out.
fn wgsl_struct(src: &str, name: &str) -> WgslParams {
    let open = format!("struct {name} {{");
    let start = src.find(&open).expect("the shader declares the struct");
    let body = &src[start + open.len()..];
    let body = &body[..body.find('}').expect("the struct ends")];
    let body: String = body
        .lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let (mut fields, mut end, mut max_align) = (Vec::new(), 0usize, 1usize);
    let members = split_top_level(&body);
    for (i, member) in members.iter().enumerate() {
        assert!(
            !member.contains('@'),
            "attributes are not supported: {member}"
        );
        let (name, ty) = member.split_once(':').expect("name: type");
        let (name, ty) = (name.trim(), ty.trim());
        match wgsl_layout(ty) {
            Some((size, align)) => {
                let offset = end.next_multiple_of(align);
                fields.push((name.to_string(), offset));
                end = offset + size;
                max_align = max_align.max(align);
            }
            None => {
                assert_eq!(i, members.len() - 1, "a runtime-sized array comes last");
                let inner = ty.trim_start_matches("array<").trim_end_matches('>');
                let (_, align) = wgsl_layout(inner).unwrap();
                return WgslParams {
                    fields,
                    size: end.next_multiple_of(align),
                };
            }
        }
    }
    WgslParams {
        fields,
        size: end.next_multiple_of(max_align),
    }
}

fn source(family: &str) -> &'static str {
    FAMILIES
        .iter()
        .find(|(f, _)| *f == family)
        .map(|(_, src)| *src)
        .expect("a shader family")
}

/// `(name, offset)` of the listed fields of a Rust struct.
macro_rules! offsets {
    ($ty:ty: $($field:ident),* $(,)?) => {
        vec![$((stringify!($field).to_string(), offset_of!($ty, $field))),*]
    };
}

#[test]
fn wgsl_layout_rules() {
    let p = wgsl_params(
        "struct Params {\n    a: u32,  // a comment, with a comma\n    b: vec4<f32>,\n    c: vec3<u32>,\n    d: u32,\n    e: array<vec4<u32>, 2>,\n    f: vec2<f32>,\n}",
    );
    let expect: Vec<(String, usize)> = [
        ("a", 0),
        ("b", 16),
        ("c", 32),
        ("d", 44),
        ("e", 48),
        ("f", 80),
    ]
    .iter()
    .map(|&(n, o)| (n.to_string(), o))
    .collect();
    assert_eq!(p.fields, expect);
    assert_eq!(p.size, 96);
    let tail = wgsl_params("struct Params { n: u32, t: array<u32>, }");
    assert_eq!((tail.fields.len(), tail.size), (1, 4));
}

/// Every family's Rust `Params` has the WGSL struct's fields, at the same offsets, and its size
/// (for optim, the part before the runtime-sized `group_seg`).
#[test]
fn params_mirror_wgsl() {
    let families = [
        (
            "elementwise",
            size_of::<elementwise::Params>(),
            offsets!(elementwise::Params: dims, a_stride, b_stride, c_stride, offs, misc, fp, same_layout),
        ),
        (
            "matmul",
            size_of::<matmul::Params>(),
            offsets!(matmul::Params: m, n, k, runs, a_off, b_off, out_off, a_run_stride,
                b_run_stride, a_row_stride, a_k_stride, b_k_stride, b_col_stride, _pad0, _pad1, _pad2),
        ),
        (
            "reduce",
            size_of::<reduce::Params>(),
            offsets!(reduce::Params: outer, len, inner, op, in_off, out_off, _pad0, _pad1),
        ),
        (
            "softmax",
            size_of::<softmax::Params>(),
            offsets!(softmax::Params: rows, n, kind, in_off, out_off, _pad0, _pad1, _pad2),
        ),
        (
            "gather",
            size_of::<gather::Params>(),
            offsets!(gather::Params: n, src_rows, d, batch, src_off, idx_off, out_off,
                src_run_stride, idx_run_stride, _pad0, _pad1, _pad2),
        ),
        (
            "random",
            size_of::<random::Params>(),
            offsets!(random::Params: n, per_run, seed, stream, dist, counter_off, out_off, _pad0,
                p0, p1, _pad1, _pad2),
        ),
        (
            "optim",
            size_of::<optim::Params>(),
            offsets!(optim::Params: total, segments, lr_off, lr_len, step_off, kind, decoupled,
                first, count, _pad0, _pad1, _pad2, hyper, seg),
        ),
    ];
    assert_eq!(families.len(), FAMILIES.len(), "a test per shader family");
    for (family, size, fields) in families {
        let wgsl = wgsl_params(source(family));
        assert_eq!(fields, wgsl.fields, "{family}: Params fields and offsets");
        assert_eq!(
            size, wgsl.size,
            "{family}: size_of::<Params>() vs the WGSL struct"
        );
    }
}

/// The step kernel's `Control` has step.wgsl's fields, at the same offsets, and its size.
#[test]
fn step_control_mirrors_wgsl() {
    use super::step::{Control, SOURCE};
    let wgsl = wgsl_struct(SOURCE, "Control");
    let fields = offsets!(Control: start, ops, steps, spread, runs, step_at, step_runs, _pad);
    assert_eq!(fields, wgsl.fields);
    assert_eq!(size_of::<Control>(), wgsl.size);
}

#[test]
fn optimizer_tables() {
    // Three parameters, each starting a 64-element workgroup in the gradient arena; the last
    // has two runs.
    let segments: Vec<Segment> = vec![[0, 10, 1, 0], [64, 100, 1, 10], [192, 5, 2, 110]];
    let all: Vec<_> = chunks(&segments).collect();
    assert_eq!(all.len(), 1);
    let c = &all[0];
    assert_eq!((c.first, c.count), (0, 202));
    assert_eq!(c.group_segments(64), vec![0, 1, 1, 2]);
    let table = c.table();
    assert_eq!(&table[..3], &segments[..]);
    assert!(table[3..].iter().all(|s| *s == [0; 4]));

    // More parameters than one dispatch's table: chunks of MAX_SEGMENTS, each counted from its
    // own first element.
    let many: Vec<Segment> = (0..MAX_SEGMENTS as u32 + 3)
        .map(|j| [64 * j, 1, 1, j])
        .collect();
    let all: Vec<_> = chunks(&many).collect();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].segments.len(), MAX_SEGMENTS);
    assert_eq!((all[1].first, all[1].count), (64 * 64, 64 * 2 + 1));
    assert_eq!(all[1].group_segments(64), vec![0, 1, 2]);
}
