//! Your own data: a CSV table of numeric columns, one of them the label.
//!
//! A table is read once, checked (every bad cell named by its row and column), and kept in its
//! canonical text: the header, then each row's numbers in their shortest form that reads back to
//! the same `f32`. That text is what a share link carries (deflated, base64url) when it is small,
//! and what the table's id hashes when it is not: a link to a larger table names the file and its
//! id, and whoever opens it gives the file again (`remember`, `recall`). The data never leaves the
//! machine.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// Most rows a table may have: the page trains on small tables.
pub const MAX_ROWS: usize = 10_000;
/// Most columns.
pub const MAX_COLUMNS: usize = 256;
/// Largest file read, in bytes.
pub const MAX_BYTES: usize = 4 << 20;
/// Most distinct labels (classes) a label column may have.
pub const MAX_CLASSES: usize = 20;
/// Largest table a share link carries: its deflated canonical text, in bytes.
pub const INLINE_MAX: usize = 2048;

/// A checked table: named numeric columns, row-major values, and which column is the label.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// The file's name, as given (for messages and the link of a table too large to carry).
    pub name: String,
    pub columns: Vec<String>,
    /// Row-major, `rows × columns.len()`, every value finite.
    pub values: Vec<f32>,
    pub rows: usize,
    /// The label column.
    pub label: usize,
    /// What links carry, computed once: the id, and the canonical text deflated in base64url.
    packed: Packed,
}

/// A table's id and packed text (they do not depend on its name or label column).
#[derive(Clone, Debug, PartialEq)]
struct Packed {
    id: String,
    text: String,
    /// Deflated bytes, before base64url.
    bytes: usize,
}

impl Packed {
    fn of(canonical: &str) -> Packed {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in canonical.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let deflated = miniz_oxide::deflate::compress_to_vec(canonical.as_bytes(), 9);
        Packed {
            id: format!("{h:016x}"),
            text: base64url(&deflated),
            bytes: deflated.len(),
        }
    }
}

/// The default label column: the first named like a label, else the last.
fn default_label(columns: &[String]) -> usize {
    const NAMES: [&str; 6] = ["label", "class", "y", "target", "species", "category"];
    NAMES
        .iter()
        .find_map(|n| columns.iter().position(|c| c.eq_ignore_ascii_case(n)))
        .unwrap_or(columns.len().saturating_sub(1))
}

/// Splits one CSV line into fields: commas (or semicolons or tabs, one kind per file), double
/// quotes around a field removed, spaces trimmed.
fn fields(line: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => out.push(std::mem::take(&mut field).trim().to_string()),
            c => field.push(c),
        }
    }
    out.push(field.trim().to_string());
    out
}

/// The message for a file over `MAX_BYTES` (checked before it is read, where it can be).
pub fn too_large(name: &str, bytes: usize) -> String {
    format!(
        "{name} is {:.1} MB: the page trains on small tables (at most {} MB, {MAX_ROWS} rows); take a sample",
        bytes as f64 / 1e6,
        MAX_BYTES >> 20
    )
}

fn number(s: &str) -> Option<f32> {
    s.parse::<f32>().ok().filter(|v| v.is_finite())
}

fn quoted(s: &str) -> String {
    let q: String = s.chars().take(24).collect();
    if s.chars().count() > 24 {
        format!("\"{q}…\"")
    } else {
        format!("\"{q}\"")
    }
}

impl Table {
    /// Reads a CSV file's bytes. A first row with any non-number is the header; without one the
    /// columns are named `c1`, `c2`, …. Every problem names its row (counting data rows from 1)
    /// and line in the file, and its column.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Table, String> {
        if bytes.len() > MAX_BYTES {
            return Err(too_large(name, bytes.len()));
        }
        let text = std::str::from_utf8(bytes)
            .ok()
            .filter(|t| !t.contains('\0'))
            .ok_or_else(|| format!("{name} is not a text file: a CSV file is expected"))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((first_line, first)) = lines.next() else {
            return Err(format!(
                "{name} is empty: a CSV file with a header and rows is expected"
            ));
        };
        let sep = [',', ';', '\t']
            .into_iter()
            .max_by_key(|&s| first.matches(s).count())
            .filter(|&s| first.contains(s))
            .ok_or_else(|| {
                format!("{name} has one column: expected comma-separated columns (features and a label)")
            })?;
        let head = fields(first, sep);
        if head.len() > MAX_COLUMNS {
            return Err(format!(
                "{name} has {} columns: at most {MAX_COLUMNS}",
                head.len()
            ));
        }
        let header = head.iter().any(|f| number(f).is_none());
        let columns: Vec<String> = if header {
            let mut names: Vec<String> = Vec::new();
            for (k, f) in head.iter().enumerate() {
                let n = f.replace([',', '"', '\n'], " ").trim().to_string();
                let n = if n.is_empty() {
                    format!("c{}", k + 1)
                } else {
                    n
                };
                if names.contains(&n) {
                    return Err(format!(
                        "line {first_line}: column {} is named {} like an earlier one: column names must differ",
                        k + 1,
                        quoted(&n)
                    ));
                }
                names.push(n);
            }
            names
        } else {
            (1..=head.len()).map(|k| format!("c{k}")).collect()
        };
        let width = columns.len();
        let mut values = Vec::new();
        let mut rows = 0usize;
        let data = (!header)
            .then_some((first_line, first))
            .into_iter()
            .chain(lines);
        for (line, l) in data {
            rows += 1;
            if rows > MAX_ROWS {
                return Err(format!(
                    "{name} has more than {MAX_ROWS} rows (row {rows} is on line {line}): the page trains on small tables; take a sample"
                ));
            }
            let row = fields(l, sep);
            if row.len() != width {
                return Err(format!(
                    "row {rows} (line {line}) has {} fields; the {} has {width}",
                    row.len(),
                    if header { "header" } else { "first row" }
                ));
            }
            for (k, f) in row.iter().enumerate() {
                match number(f) {
                    Some(v) => values.push(v),
                    None => {
                        return Err(format!(
                            "row {rows} (line {line}), column {}: {} is not a number",
                            quoted(&columns[k]),
                            quoted(f)
                        ))
                    }
                }
            }
        }
        if rows < 2 {
            return Err(format!("{name} has {rows} rows: at least 2 are needed"));
        }
        let label = default_label(&columns);
        let mut table = Table {
            name: name.replace(['&', '#', '\n'], "_"),
            columns,
            values,
            rows,
            label,
            packed: Packed {
                id: String::new(),
                text: String::new(),
                bytes: 0,
            },
        };
        table.packed = Packed::of(&table.canonical());
        Ok(table)
    }

    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.width()..(i + 1) * self.width()]
    }

    /// The label column's distinct values, ascending: class k is the k-th.
    pub fn classes(&self) -> Vec<f32> {
        let mut seen: Vec<f32> = (0..self.rows).map(|i| self.row(i)[self.label]).collect();
        seen.sort_by(f32::total_cmp);
        seen.dedup();
        seen
    }

    /// Each row's class index.
    pub fn class_of_rows(&self) -> Vec<usize> {
        let classes = self.classes();
        (0..self.rows)
            .map(|i| {
                let v = self.row(i)[self.label];
                classes.partition_point(|c| c.total_cmp(&v).is_lt())
            })
            .collect()
    }

    /// The feature columns (every column but the label), in file order.
    pub fn features(&self) -> Vec<usize> {
        (0..self.width()).filter(|&k| k != self.label).collect()
    }

    /// Checks the table for a lab that takes `features` feature columns (at least; `None`: any
    /// number) and at most `max_classes` classes.
    pub fn check(&self, features: Option<usize>, max_classes: usize) -> Result<(), String> {
        let label = quoted(&self.columns[self.label]);
        let classes = self.classes();
        if classes.len() < 2 {
            return Err(format!(
                "the label column {label} has one value only ({}): at least two classes are needed",
                classes[0]
            ));
        }
        if classes.len() > max_classes {
            return Err(format!(
                "the label column {label} has {} distinct values: at most {max_classes} classes here; choose another label column",
                classes.len()
            ));
        }
        let have = self.width() - 1;
        if let Some(need) = features {
            if have < need {
                return Err(format!(
                    "{} has {have} feature column{} besides the label {label}: {need} are needed",
                    self.name,
                    if have == 1 { "" } else { "s" }
                ));
            }
        }
        Ok(())
    }

    /// The label column chosen by name.
    pub fn with_label(&self, column: &str) -> Option<Table> {
        let label = self.columns.iter().position(|c| c == column)?;
        Some(Table {
            label,
            ..self.clone()
        })
    }

    /// The same table with the default label column.
    pub fn with_default_label(&self) -> Table {
        Table {
            label: default_label(&self.columns),
            ..self.clone()
        }
    }

    /// The same table under another file name.
    pub fn named(self, name: &str) -> Table {
        Table {
            name: name.to_string(),
            ..self
        }
    }

    /// Whether the label is the default column (a link leaves it out).
    pub fn default_label(&self) -> bool {
        self.label == default_label(&self.columns)
    }

    /// The canonical text: header, then rows, each number in its shortest exact form.
    pub fn canonical(&self) -> String {
        let mut out = self.columns.join(",");
        for i in 0..self.rows {
            out.push('\n');
            for (k, v) in self.row(i).iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{v}");
            }
        }
        out
    }

    /// The table's id: 64-bit FNV-1a of its canonical text, in hex.
    pub fn id(&self) -> &str {
        &self.packed.id
    }

    /// The deflated canonical text in base64url, whatever its size: what a session's engines
    /// are started with.
    pub fn packed(&self) -> &str {
        &self.packed.text
    }

    /// The packed text, when it fits a link (`INLINE_MAX` deflated bytes).
    pub fn inline(&self) -> Option<&str> {
        (self.packed.bytes <= INLINE_MAX).then_some(self.packed.text.as_str())
    }

    /// A table from a link's `csv` value.
    pub fn from_inline(name: &str, text: &str) -> Result<Table, String> {
        let packed = unbase64url(text).ok_or("not base64url text")?;
        let raw = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_BYTES)
            .map_err(|_| "not a deflated table".to_string())?;
        Table::parse(name, &raw)
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn unbase64url(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u32> = text
        .bytes()
        .map(|c| ALPHABET.iter().position(|&a| a == c).map(|p| p as u32))
        .collect::<Option<_>>()?;
    if digits.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | d << (18 - 6 * i));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

thread_local! {
    /// Tables given on this thread (a dropped file in the page, `--data` in the CLI), by id: a
    /// link naming a table too large to carry finds it here.
    static GIVEN: RefCell<BTreeMap<String, Arc<Table>>> = const { RefCell::new(BTreeMap::new()) };
    /// The id of the table given last.
    static LATEST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps a given table for links that name it by id.
pub fn remember(table: &Table) {
    let id = table.id().to_string();
    GIVEN.with(|g| {
        g.borrow_mut().insert(id.clone(), Arc::new(table.clone()));
    });
    LATEST.with(|l| *l.borrow_mut() = Some(id));
}

/// The table given last on this thread (a page switching back to its own data).
pub fn latest() -> Option<Arc<Table>> {
    LATEST
        .with(|l| l.borrow().clone())
        .and_then(|id| recall(&id))
}

/// The given table with id `id`, if any.
pub fn recall(id: &str) -> Option<Arc<Table>> {
    GIVEN.with(|g| g.borrow().get(id).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_table_with_a_header_and_round_trips_it_through_a_link() {
        let t = Table::parse(
            "two.csv",
            b"x1,x2,label\n0.5,-1,0\n1e-3, 2.25 ,1\n\n3,4,1\n",
        )
        .unwrap();
        assert_eq!(t.columns, ["x1", "x2", "label"]);
        assert_eq!((t.rows, t.label), (3, 2));
        assert_eq!(t.canonical(), "x1,x2,label\n0.5,-1,0\n0.001,2.25,1\n3,4,1");
        let back = Table::from_inline("two.csv", t.inline().unwrap()).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.id(), t.id());
        assert_eq!(t.class_of_rows(), [0, 1, 1]);
        assert!(t.check(Some(2), 2).is_ok());
    }

    #[test]
    fn names_the_row_and_column_of_a_bad_cell() {
        let e = Table::parse("a.csv", b"a,b,label\n1,2,0\n1,x,1\n").unwrap_err();
        assert_eq!(e, "row 2 (line 3), column \"b\": \"x\" is not a number");
        let e = Table::parse("a.csv", b"a,b,label\n1,2,0\n1,1\n").unwrap_err();
        assert_eq!(e, "row 2 (line 3) has 2 fields; the header has 3");
        let e = Table::parse("a.csv", b"1;2;0\n1;2;nan\n").unwrap_err();
        assert!(e.starts_with("row 2 (line 2), column \"c3\""), "{e}");
        assert!(Table::parse("a.png", b"\x89PNG\r\n\x1a\n\0\0")
            .unwrap_err()
            .contains("not a text file"));
        assert!(Table::parse("a.txt", b"hello\nworld\n")
            .unwrap_err()
            .contains("one column"));
        let one = Table::parse("a.csv", b"a,b,label\n1,2,1\n3,4,1\n").unwrap();
        assert!(one
            .check(Some(2), 2)
            .unwrap_err()
            .contains("one value only (1)"));
        let big: String = std::iter::once("a,b\n".to_string())
            .chain((0..MAX_ROWS + 5).map(|i| format!("{i},{}\n", i % 2)))
            .collect();
        assert!(Table::parse("big.csv", big.as_bytes())
            .unwrap_err()
            .contains("more than 10000 rows"));
    }

    #[test]
    fn base64url_round_trips_every_length() {
        for n in 0..12 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 250) as u8).collect();
            assert_eq!(unbase64url(&base64url(&bytes)).unwrap(), bytes);
        }
        assert!(unbase64url("a=").is_none());
    }
}
