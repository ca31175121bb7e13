//! What a lab page draws: plain data the labs build from their run groups and the UI renders
//! without knowing which lab it came from.

pub use crate::history::BandPoint;
use serde::{Deserialize, Serialize};

/// What a lab page draws, rebuilt from the run groups after each observation: plain data that
/// the UI renders without knowing which lab it came from.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Views {
    pub charts: Vec<ChartView>,
    pub bars: Vec<BarView>,
    pub heatmaps: Vec<HeatmapView>,
    pub networks: Vec<NetworkView>,
    pub table: TableView,
}

/// A line chart: each method's mean over runs with a min–max band, plus reference lines.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ChartView {
    /// The metric it shows (the page's `data-metric`).
    pub metric: String,
    pub title: String,
    pub series: Vec<SeriesView>,
    /// Dashed reference lines (a true value, a ceiling), in (step, value) points.
    pub guides: Vec<Guide>,
    /// A fixed value range (accuracy: 0..1); `None` fits the data and guides.
    pub range: Option<(f64, f64)>,
    /// Twice the usual width: a lab's main picture.
    pub wide: bool,
    /// What the x axis counts ("step", or "λ × 100" for a sweep).
    pub x_label: String,
    /// Steps on a log axis (from the first positive step): grokking's decades.
    pub log_x: bool,
    /// Points drawn as dots in black, in (step, value) (a few-shot task's shots).
    pub markers: Vec<(f64, f64)>,
    /// What the x axis's ends stand for, when it is not a count from 0 (x from −5 to 5).
    pub x_span: Option<(f64, f64)>,
}

impl ChartView {
    /// `metric` over training steps: for each (method, palette colour, history), its mean over
    /// seeds with the min–max band.
    pub fn over_steps<'a>(
        metric: &str,
        title: &str,
        methods: impl IntoIterator<Item = (&'a str, usize, &'a crate::history::History)>,
    ) -> ChartView {
        ChartView {
            metric: metric.into(),
            title: title.into(),
            series: methods
                .into_iter()
                .map(|(method, colour, history)| SeriesView {
                    method: method.into(),
                    colour,
                    band: history.band(metric),
                    dashed: false,
                })
                .collect(),
            x_label: "step".into(),
            ..ChartView::default()
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SeriesView {
    pub method: String,
    /// Index into the page's palette: the method's place in the lab's list.
    pub colour: usize,
    pub band: Vec<BandPoint>,
    /// Drawn dashed: a second reading of the same method (its validation curve).
    pub dashed: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Guide {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// A heatmap of values in [0, 1], row 0 at the top: a decision boundary over
/// [-extent, extent]² with points drawn over it, or a matrix (with its values written in).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HeatmapView {
    /// The caption (the page's `data-method`).
    pub method: String,
    pub cols: usize,
    /// Pixels per cell.
    pub cell: usize,
    pub values: Vec<f32>,
    pub extent: f32,
    pub style: HeatStyle,
    /// Points' labels are class indices, drawn in the page's palette (else values in [0, 1] on
    /// the boundary's scale).
    pub categorical: bool,
    /// (x, y, label or target, is a test point).
    pub points: std::sync::Arc<Vec<(f32, f32, f32, bool)>>,
    /// A reference boundary w·(x, y) = 0 drawn dashed (the Bayes-optimal one), as w.
    pub line: Option<[f32; 2]>,
}

impl HeatmapView {
    /// Points (x, y, class, false) on a blank canvas centred on the origin and scaled to fit: a
    /// 2-D projection of embeddings, coloured by class.
    pub fn scatter(
        caption: String,
        points: std::sync::Arc<Vec<(f32, f32, f32, bool)>>,
    ) -> HeatmapView {
        let extent = points
            .iter()
            .map(|p| p.0.abs().max(p.1.abs()))
            .filter(|v| v.is_finite())
            .fold(1e-3f32, f32::max)
            * 1.1;
        HeatmapView {
            method: caption,
            cols: 1,
            cell: 240,
            values: vec![0.0],
            extent,
            style: HeatStyle::Ink,
            categorical: true,
            points,
            line: None,
        }
    }

    /// Points (x, y, class, false) of two measures on a blank canvas, each axis spanning its
    /// values' range, which the caption states.
    pub fn plane(caption: &str, points: &[(f32, f32, f32, bool)]) -> HeatmapView {
        let range = |pick: fn(&(f32, f32, f32, bool)) -> f32| {
            let (lo, hi) = points
                .iter()
                .map(pick)
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                });
            let pad = ((hi - lo) * 0.1).max(1e-3);
            (lo - pad, hi + pad)
        };
        let ((x0, x1), (y0, y1)) = (range(|p| p.0), range(|p| p.1));
        let scaled = points
            .iter()
            .map(|&(x, y, c, t)| {
                (
                    2.0 * (x - x0) / (x1 - x0) - 1.0,
                    2.0 * (y - y0) / (y1 - y0) - 1.0,
                    c,
                    t,
                )
            })
            .collect();
        let caption = if points.is_empty() {
            format!("{caption} (no finished runs yet)")
        } else {
            format!("{caption}; x from {x0:.3} to {x1:.3}, y from {y0:.3} to {y1:.3}")
        };
        HeatmapView {
            extent: 1.0,
            ..HeatmapView::scatter(caption, std::sync::Arc::new(scaled))
        }
    }
}

/// How a heatmap paints its values.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeatStyle {
    /// Blue (0) through white to orange (1): a decision boundary.
    Boundary,
    /// White to blue with each cell's value written in: a matrix of accuracies.
    Matrix,
    /// White (0) to black (1): pixel intensities, a density.
    Ink,
}

/// A bar chart: per group (a method), one bar per named value, with its mean and a whisker
/// from mean − sd to mean + sd over seeds.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct BarView {
    /// The page's `data-metric`.
    pub metric: String,
    pub title: String,
    /// The names of the bars in every group, each with its palette index.
    pub names: Vec<(String, usize)>,
    /// (group label, per name: (mean, sd)).
    pub groups: Vec<(String, Vec<(f64, f64)>)>,
    pub range: (f64, f64),
}

/// "mean ± sd" of the finite values, for a table cell ("–" when there are none).
pub fn mean_sd(values: &[f32]) -> String {
    match BarView::spread(values) {
        (m, _) if m.is_nan() => "–".into(),
        (m, sd) => format!("{m:.3} ± {sd:.3}"),
    }
}

impl BarView {
    /// Mean and standard deviation of the finite values.
    pub fn spread(values: &[f32]) -> (f64, f64) {
        let v: Vec<f64> = values
            .iter()
            .filter(|x| x.is_finite())
            .map(|&x| x as f64)
            .collect();
        if v.is_empty() {
            return (f64::NAN, 0.0);
        }
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (
            m,
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt(),
        )
    }
}

/// A lab's costly picture of one group's first run, read now and then (not every frame).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Picture {
    /// A decision-boundary grid.
    pub grid: Vec<f32>,
    /// The network's weights, layer by layer, each [in × out] row-major.
    pub weights: Vec<Vec<f32>>,
}

/// A network drawn as columns of units, each link's width and colour its weight.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct NetworkView {
    pub method: String,
    /// Units per layer, inputs first.
    pub sizes: Vec<usize>,
    /// Names of the inputs.
    pub inputs: Vec<String>,
    pub weights: Vec<Vec<f32>>,
}

/// The summary table: one row per method, one cell per column.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct TableView {
    /// (CSS class of the cells, heading).
    pub columns: Vec<(String, String)>,
    /// (method, cells).
    pub rows: Vec<(String, Vec<String>)>,
}

impl Views {
    /// One page's views from the views of parts of a session (its methods split over workers,
    /// each part's in the session's method order, the parts in that order too): what one driver
    /// of all the methods would have built. A chart, bar chart or table present in several
    /// parts gets their series, groups and rows in order; what every part draws alike (a guide,
    /// a reference bar, a shared heatmap) appears once, where it stood.
    pub fn merge(parts: impl IntoIterator<Item = Views>) -> Views {
        let mut out = Views::default();
        for part in parts {
            merge_list(
                &mut out.charts,
                part.charts,
                |a, b| a.metric == b.metric && a.title == b.title,
                |c, chart| {
                    merge_list(&mut c.series, chart.series, PartialEq::eq, |_, _| {});
                    // A guide drawn from the first group that has one (a slope through its first
                    // point) is the first part's, as one driver would have drawn it.
                    merge_list(
                        &mut c.guides,
                        chart.guides,
                        |a, b| a.label == b.label,
                        |_, _| {},
                    );
                    merge_list(&mut c.markers, chart.markers, PartialEq::eq, |_, _| {});
                },
            );
            merge_list(
                &mut out.bars,
                part.bars,
                |a, b| a.metric == b.metric && a.title == b.title,
                |b, bars| b.merge(bars),
            );
            merge_list(&mut out.heatmaps, part.heatmaps, PartialEq::eq, |_, _| {});
            merge_list(&mut out.networks, part.networks, PartialEq::eq, |_, _| {});
            if out.table.columns.is_empty() {
                out.table.columns = part.table.columns;
            }
            merge_list(
                &mut out.table.rows,
                part.table.rows,
                |x, y| x.0 == y.0,
                |_, _| {},
            );
        }
        out
    }
}

impl BarView {
    /// Another part's bars of the same chart: its names (methods, or categories) join these,
    /// and each group's values are lined up with the names (a group both have, one category
    /// with a bar per method, gets the other part's bars).
    fn merge(&mut self, other: BarView) {
        let value = |names: &[(String, usize)], values: &[(f64, f64)], name: &(String, usize)| {
            names
                .iter()
                .position(|n| n == name)
                .and_then(|i| values.get(i).copied())
        };
        let (mine, theirs) = (self.names.clone(), other.names.clone());
        merge_list(&mut self.names, other.names, PartialEq::eq, |_, _| {});
        let names = self.names.clone();
        // A group's values by `from`'s names, lined up with the merged names.
        let line_up = |from: &[(String, usize)], values: &[(f64, f64)]| -> Vec<(f64, f64)> {
            names
                .iter()
                .map(|n| value(from, values, n).unwrap_or((f64::NAN, 0.0)))
                .collect()
        };
        for g in &mut self.groups {
            g.1 = line_up(&mine, &g.1);
        }
        let groups: Vec<_> = other
            .groups
            .into_iter()
            .map(|(label, values)| (label, line_up(&theirs, &values)))
            .collect();
        merge_list(
            &mut self.groups,
            groups,
            |x, y| x.0 == y.0,
            |g, other| {
                let filled =
                    g.1.iter()
                        .zip(&other.1)
                        .map(|(&a, &b)| if a.0.is_nan() { b } else { a })
                        .collect();
                g.1 = filled;
            },
        );
        self.range = (
            self.range.0.min(other.range.0),
            self.range.1.max(other.range.1),
        );
    }
}

/// Merges `new` into `out`: an item `same` as one already there is combined into it; the
/// others go in before the item that follows them in `new` and is already in `out` (so items
/// every part has, before or after the parts' own, keep their places), or at the end.
fn merge_list<T>(
    out: &mut Vec<T>,
    new: Vec<T>,
    same: impl Fn(&T, &T) -> bool,
    mut combine: impl FnMut(&mut T, T),
) {
    let mut pending = Vec::new();
    for item in new {
        match out.iter().position(|o| same(o, &item)) {
            Some(j) => {
                let n = pending.len();
                out.splice(j..j, pending.drain(..));
                combine(&mut out[j + n], item);
            }
            None => pending.push(item),
        }
    }
    out.extend(pending);
}
