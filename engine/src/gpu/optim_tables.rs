//! The optimizer's tables: each parameter's segment, and each workgroup's segment index.

/// Segments per optimizer dispatch (the size of the parameters' segment table).
pub(super) const MAX_SEGMENTS: usize = 64;

/// One parameter's segment: [gradient-arena start, elements per run, runs, parameter-arena start].
pub(super) type Segment = [u32; 4];

/// The segments one optimizer dispatch updates: gradient-arena elements [first, first + count).
pub(super) struct Chunk<'a> {
    pub segments: &'a [Segment],
    pub first: u32,
    pub count: u32,
}

/// Splits `segments` (in gradient-arena order) into dispatches of at most `MAX_SEGMENTS`.
pub(super) fn chunks(segments: &[Segment]) -> impl Iterator<Item = Chunk<'_>> {
    assert!(segments.windows(2).all(|w| w[0][0] < w[1][0]));
    segments.chunks(MAX_SEGMENTS).map(|chunk| {
        let first = chunk[0][0];
        let last = chunk.last().unwrap();
        let count = last[0] + last[1] * last[2] - first;
        Chunk {
            segments: chunk,
            first,
            count,
        }
    })
}

impl Chunk<'_> {
    /// The segment table, padded with zeros to `MAX_SEGMENTS`.
    pub fn table(&self) -> [Segment; MAX_SEGMENTS] {
        let mut table = [[0; 4]; MAX_SEGMENTS];
        table[..self.segments.len()].copy_from_slice(self.segments);
        table
    }

    /// Per workgroup of `workgroup` elements, the index of its segment: the last one starting at
    /// or before it (it may end in the padding after that segment, which the kernel skips).
    pub fn group_segments(&self, workgroup: u32) -> Vec<u32> {
        let groups = self.count.div_ceil(workgroup);
        (0..groups)
            .map(|wg| {
                let start = self.first + wg * workgroup;
                (self
                    .segments
                    .iter()
                    .rposition(|s| s[0] <= start)
                    .unwrap_or(0)) as u32
            })
            .collect()
    }
}
