//! The page's hold on its claims' checks (`session::checks`): one queue a lab, kept for the
//! page's life (a result stays when the visitor goes to another lab and back), whose engines are
//! workers of their own beside the session's. The Claims panel reads it through [`revision`],
//! bumped whenever a check moves.

use super::browser::now_ms;
use super::engine::EngineHandle;
use crate::claims::Seeds;
use crate::experiment::Experiment;
use crate::labs::{lab, registry};
use crate::session::checks::{CardState, Checks, Job};
use crate::session::{Engine, FromEngine, ToEngine};
use leptos::prelude::*;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Where a check's runs train, as its record says.
pub const BACKEND: &str = "cpu (wasm)";

impl Engine for EngineHandle {
    fn send(&self, msg: ToEngine) {
        EngineHandle::send(self, msg)
    }
    fn forward(&self, msg: ToEngine) {
        EngineHandle::forward(self, msg)
    }
    fn sent(&self) -> u32 {
        self.sent.get()
    }
    fn in_worker(&self) -> bool {
        EngineHandle::in_worker(self)
    }
}

type Shared = Rc<RefCell<Checks<EngineHandle>>>;

thread_local! {
    static CHECKS: RefCell<BTreeMap<&'static str, Shared>> = const { RefCell::new(BTreeMap::new()) };
    /// Counts every move of any check: the panel redraws on it.
    static REVISION: RefCell<Option<RwSignal<u64>>> = const { RefCell::new(None) };
}

/// The signal the Claims panel redraws on (made once, in the page's root owner).
pub fn revision() -> RwSignal<u64> {
    REVISION.with(|r| *r.borrow_mut().get_or_insert_with(|| RwSignal::new(0)))
}

fn bump() {
    let r = revision();
    let _ = r.try_update(|n| *n += 1);
}

/// Engines a check (or a sweep) trains on: one a core, up to four (the session's own keep
/// theirs).
pub(super) fn engines() -> usize {
    web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .unwrap_or(1.0)
        .clamp(1.0, 4.0) as usize
}

/// Lab `id`'s checks, made on first use.
pub fn of(id: &'static str) -> Option<Shared> {
    let lab = lab(id).ok()?;
    Some(CHECKS.with(|c| {
        c.borrow_mut()
            .entry(lab.id())
            .or_insert_with(|| Rc::new(RefCell::new(Checks::new(lab, engines(), BACKEND))))
            .clone()
    }))
}

/// What a check's engines are: workers whose messages come back to `on_message`.
fn spawner(id: &'static str) -> impl FnMut(u64, usize, ToEngine) -> EngineHandle {
    move |serial, slot, first| {
        EngineHandle::spawn(
            first,
            Rc::new(move |msg: FromEngine| on_message(id, serial, slot, msg)),
        )
    }
}

fn on_message(id: &'static str, serial: u64, slot: usize, msg: FromEngine) {
    with(id, |c, spawn| {
        c.on_message(serial, slot, msg, spawn, now_ms())
    });
}

/// Runs `f` on lab `id`'s checks, then drops the engines it stopped (after this task: one of
/// them may be the worker whose message is being handled) and redraws.
fn with(
    id: &'static str,
    f: impl FnOnce(&mut Checks<EngineHandle>, &mut dyn FnMut(u64, usize, ToEngine) -> EngineHandle),
) {
    let Some(shared) = of(id) else { return };
    let retired = {
        let mut c = shared.borrow_mut();
        let mut spawn = spawner(id);
        f(&mut c, &mut spawn);
        c.take_retired()
    };
    if !retired.is_empty() {
        leptos::task::spawn_local(async move { drop(retired) });
    }
    bump();
}

/// Checks `claim` on its own seeds.
pub fn ask(id: &'static str, claim: &'static str) {
    with(id, |c, spawn| c.ask(Job::check(claim), spawn, now_ms()));
}

/// Checks `claim` on seeds never drawn for it: as many as its own link runs, from a random
/// first seed.
pub fn ask_fresh(id: &'static str, claim: &'static str) {
    let Some(c) = lab(id)
        .ok()
        .and_then(|l| l.claims().into_iter().find(|c| c.id == claim))
    else {
        return;
    };
    let (own, _) = Experiment::from_link(&c.link(id, 0), &registry());
    let first = 1_000 + (js_sys::Math::random() * 1_000_000.0) as u32;
    let seeds = Seeds {
        first,
        count: own.runs,
    };
    with(id, |c, spawn| {
        c.ask(
            Job {
                seeds: Some(seeds),
                ..Job::check(claim)
            },
            spawn,
            now_ms(),
        )
    });
}

/// Checks every claim of the lab that is not slow.
pub fn ask_lab(id: &'static str) {
    with(id, |c, spawn| c.ask_lab(spawn, now_ms()));
}

pub fn cancel(id: &'static str, claim: &str) {
    with(id, |c, spawn| c.cancel(claim, spawn, now_ms()));
}

/// Stops the lab's checks (the page leaves it); their results stay.
pub fn stop(id: &'static str) {
    with(id, |c, _| c.cancel_all());
}

/// Seconds `claim`'s check would take here once timed, or why it could not be (slow claims,
/// after "check the lab").
pub fn estimate(id: &'static str, claim: &str) -> Option<Result<f64, String>> {
    of(id).and_then(|c| c.borrow().estimates.get(claim).cloned())
}

/// Where `claim`'s card stands now.
pub fn card(id: &'static str, claim: &str) -> CardState {
    of(id).map_or(CardState::Idle, |c| c.borrow().card(claim, now_ms()))
}
