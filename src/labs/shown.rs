//! What every lab's views start from: the session's groups of that lab, each with its method's
//! palette colour, and the few views every lab draws alike (a metric over steps, a table of
//! final values with the runs' status).

use super::{LabDecl, RunGroup};
use crate::views::{mean_sd, ChartView, TableView};
use std::any::Any;

/// A lab's own groups among a session's, in the page's order, each with its method's colour
/// (the method's place in the lab's list), and the session's seed.
pub struct Shown<'a, G> {
    pub groups: Vec<&'a G>,
    pub colours: Vec<usize>,
    pub seed: u32,
}

impl<'a, G: RunGroup> Shown<'a, G> {
    /// The groups among `groups` that are `G`s, coloured by `decl`'s method list.
    pub fn of(decl: &LabDecl, groups: &[&'a dyn RunGroup], seed: u32) -> Shown<'a, G> {
        let (groups, colours) = groups
            .iter()
            .filter_map(|&g| {
                let own = (g as &dyn Any).downcast_ref::<G>()?;
                let colour = decl.methods.iter().position(|m| m.id == g.method());
                Some((own, colour.unwrap_or(0)))
            })
            .unzip();
        Shown {
            groups,
            colours,
            seed,
        }
    }

    /// Each group with its colour.
    pub fn iter(&self) -> impl Iterator<Item = (&'a G, usize)> + '_ {
        self.groups
            .iter()
            .copied()
            .zip(self.colours.iter().copied())
    }

    /// `metric` over training steps: each group's mean over its runs, with the min–max band.
    pub fn chart(&self, metric: &str, title: &str) -> ChartView {
        ChartView::over_steps(
            metric,
            title,
            self.iter().map(|(g, c)| (g.method(), c, g.history())),
        )
    }

    /// Each of `g`'s runs' final value of `metric` (NaN where a run has none).
    pub fn finals(&self, g: &G, metric: &str) -> Vec<f32> {
        let history = g.history();
        (0..history.runs.len())
            .map(|r| history.final_value(r, metric).unwrap_or(f32::NAN))
            .collect()
    }

    /// One row a group: "mean ± sd" over its runs of each column's final metric, then the
    /// runs' status. Columns are (CSS class, heading, metric).
    pub fn table(&self, columns: &[(&str, &str, &str)]) -> TableView {
        TableView {
            columns: columns
                .iter()
                .map(|&(class, heading, _)| (class, heading))
                .chain([("run-status", "runs")])
                .map(|(c, h)| (c.to_string(), h.to_string()))
                .collect(),
            rows: self
                .groups
                .iter()
                .map(|&g| {
                    let mut cells: Vec<String> = columns
                        .iter()
                        .map(|&(_, _, metric)| mean_sd(&self.finals(g, metric)))
                        .collect();
                    cells.push(g.history().status(self.seed));
                    (g.method().to_string(), cells)
                })
                .collect(),
        }
    }
}
