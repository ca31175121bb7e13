//! A sweep run in the page: its cells cut into pieces (a method's slice of a cell's runs), the
//! same pieces a claim's check trains, handed to a few engines of their own as each finishes.
//! A cell is done when all its pieces are in; its reports are then what `methodlab sweep`
//! writes for it, bit for bit. Plain Rust, tested natively with engines that only record what
//! they are sent; `ui/sweep.rs` makes the engines and draws the cells.

use super::checks::{slices, Spawn};
use super::{Engine, FromEngine, ToEngine};
use crate::history::RunReport;
use crate::sweep::{report_of, Header, Record, Results, Shard, Sweep};

/// One engine's piece of a sweep: runs `first..first + runs` of `method` in cell `cell`.
#[derive(Clone, Debug, PartialEq)]
pub struct Piece {
    pub cell: usize,
    pub method: String,
    pub first: u32,
    pub runs: u32,
}

/// Every piece of the cells not done yet, in cell order: each method's runs cut into up to
/// `engines` slices, so a sweep of one cell still keeps every engine busy.
pub fn pieces(sweep: &Sweep, done: &[bool], engines: usize) -> Vec<Piece> {
    let mut out = Vec::new();
    for cell in (0..sweep.cells.len()).filter(|&c| !done[c]) {
        for method in &sweep.methods {
            for (first, runs) in slices(sweep.runs, engines) {
                out.push(Piece {
                    cell,
                    method: method.clone(),
                    first,
                    runs,
                });
            }
        }
    }
    out
}

/// What an engine is sent to train piece `p` of `sweep`.
fn message(sweep: &Sweep, p: &Piece) -> ToEngine {
    ToEngine::Check {
        link: sweep.cells[p.cell].clone(),
        method: p.method.clone(),
        first: p.first,
        runs: p.runs,
    }
}

/// Where a sweep stands, for its progress bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub done: usize,
    pub cells: usize,
    pub running: bool,
    /// Seconds left at the pace so far (once a cell is done).
    pub left: Option<f64>,
}

struct Running<E> {
    serial: u64,
    pieces: Vec<Piece>,
    got: Vec<Option<Vec<RunReport>>>,
    engines: Vec<(E, Option<usize>)>,
    next: usize,
    started_ms: f64,
    /// Cells done since this run started (the pace counts only them).
    done_here: usize,
}

/// A sweep's results in the page: each cell's runs once in (trained here or read from a file).
pub struct SweepRun<E> {
    pub sweep: Sweep,
    /// Each cell's runs, in the order `methodlab sweep` writes them.
    pub cells: Vec<Option<Vec<RunReport>>>,
    /// Why the last run stopped, when it failed.
    pub failed: Option<String>,
    /// The results came from a file: runs carry final values only.
    pub from_file: bool,
    running: Option<Running<E>>,
    serial: u64,
    retired: Vec<E>,
}

impl<E: Engine> SweepRun<E> {
    pub fn new(sweep: Sweep) -> SweepRun<E> {
        let cells = vec![None; sweep.cells.len()];
        SweepRun {
            sweep,
            cells,
            failed: None,
            from_file: false,
            running: None,
            serial: 0,
            retired: Vec::new(),
        }
    }

    /// The sweep a results file holds, with every complete cell of it. A file of another
    /// build's links (a setting renamed) is refused.
    pub fn from_results(results: &Results, labs: &[crate::decl::LabDecl]) -> Result<Self, String> {
        let sweep = Sweep::parse(&results.header.sweep, labs).map_err(|ps| {
            format!(
                "this file's sweep does not read here: {}",
                ps.first().map_or(String::new(), |p| p.to_string())
            )
        })?;
        if sweep.cells.len() != results.header.cells
            || sweep.runs_per_cell() != results.header.runs_per_cell
        {
            return Err("this file's sweep has other cells here than where it ran".into());
        }
        let mut run = SweepRun::new(sweep);
        let complete = results.complete_cells();
        let mut cells: Vec<Vec<(usize, RunReport)>> = vec![Vec::new(); run.cells.len()];
        for (r, _) in &results.records {
            if complete.contains(&r.cell) {
                cells[r.cell].push((r.run, report_of(r)));
            }
        }
        for (c, mut runs) in cells.into_iter().enumerate() {
            if complete.contains(&c) {
                runs.sort_by_key(|(i, _)| *i);
                run.cells[c] = Some(runs.into_iter().map(|(_, r)| r).collect());
            }
        }
        run.from_file = true;
        Ok(run)
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Trains every cell not done yet on `engines` engines.
    pub fn start(&mut self, engines: usize, spawn: Spawn<E>, now_ms: f64) {
        self.stop();
        self.failed = None;
        let done: Vec<bool> = self.cells.iter().map(Option::is_some).collect();
        let pieces = pieces(&self.sweep, &done, engines);
        if pieces.is_empty() {
            return;
        }
        self.serial += 1;
        let mut running = Running {
            serial: self.serial,
            got: vec![None; pieces.len()],
            pieces,
            engines: Vec::new(),
            next: 0,
            started_ms: now_ms,
            done_here: 0,
        };
        for slot in 0..engines.max(1).min(running.pieces.len()) {
            let msg = message(&self.sweep, &running.pieces[slot]);
            running
                .engines
                .push((spawn(running.serial, slot, msg), Some(slot)));
            running.next += 1;
        }
        self.running = Some(running);
    }

    /// Stops training; the cells done stay.
    pub fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            self.retired.extend(r.engines.into_iter().map(|(e, _)| e));
        }
    }

    /// Engines to drop, outside the handler of their own message.
    pub fn take_retired(&mut self) -> Vec<E> {
        std::mem::take(&mut self.retired)
    }

    /// An engine's message (`serial` and `slot` as given to `spawn`): a finished piece starts the
    /// next on that engine, and completes its cell when it was the cell's last.
    pub fn on_message(&mut self, serial: u64, slot: usize, msg: FromEngine) {
        let Some(r) = self.running.as_mut().filter(|r| r.serial == serial) else {
            return;
        };
        let reports = match msg {
            FromEngine::Checked(Ok(reports)) => reports,
            FromEngine::Checked(Err(why)) | FromEngine::Failed(why) => {
                self.failed = Some(format!("the sweep stopped: {why}"));
                self.stop();
                return;
            }
            _ => return,
        };
        let Some(piece) = r.engines.get(slot).and_then(|e| e.1) else {
            return;
        };
        r.got[piece] = Some(reports);
        r.engines[slot].1 = None;
        if r.next < r.pieces.len() {
            r.engines[slot]
                .0
                .send(message(&self.sweep, &r.pieces[r.next]));
            r.engines[slot].1 = Some(r.next);
            r.next += 1;
        }
        // The cell is done when each of its pieces is in; pieces are in (method, first) order.
        let cell = r.pieces[piece].cell;
        let of_cell: Vec<usize> = (0..r.pieces.len())
            .filter(|&i| r.pieces[i].cell == cell)
            .collect();
        if of_cell.iter().all(|&i| r.got[i].is_some()) {
            let runs: Vec<RunReport> = of_cell
                .iter()
                .flat_map(|&i| r.got[i].take().unwrap_or_default())
                .collect();
            self.cells[cell] = Some(runs);
            r.done_here += 1;
        }
        if r.got
            .iter()
            .zip(&r.pieces)
            .all(|(g, p)| g.is_some() || self.cells[p.cell].is_some())
        {
            self.stop();
        }
    }

    pub fn progress(&self, now_ms: f64) -> Progress {
        let done = self.cells.iter().filter(|c| c.is_some()).count();
        let cells = self.cells.len();
        let left = self.running.as_ref().and_then(|r| {
            (r.done_here > 0).then(|| {
                let per_cell = (now_ms - r.started_ms) / 1000.0 / r.done_here as f64;
                per_cell * (cells - done) as f64
            })
        });
        Progress {
            done,
            cells,
            running: self.running.is_some(),
            left,
        }
    }

    /// The results as `methodlab sweep --out` writes them: the header, then each done cell's
    /// runs in cell order.
    pub fn export(&self) -> String {
        let mut text = Header::new(&self.sweep, None, Shard::WHOLE).line();
        text.push('\n');
        for (c, runs) in self.cells.iter().enumerate() {
            if let Some(runs) = runs {
                for r in Record::of_cell(&self.sweep, c, runs) {
                    text.push_str(&r.line());
                    text.push('\n');
                }
            }
        }
        text
    }
}
