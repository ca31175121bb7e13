//! The Claims panel.

use crate::claims::{CheckRecord, Verdict};
use crate::runner::{ClaimRow, ClaimState};
use crate::session::checks::CardState;
use crate::ui::checks;
use leptos::prelude::*;

/// A verdict's numbers: the effect, one dot per seed (filled: agrees), the sign test, the
/// bootstrap interval and P(A > B), and what they say.
fn verdict_detail(v: &Verdict) -> impl IntoView {
    let dots = v
        .per_seed
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let fill = match (s.value.is_some(), s.agrees) {
                (false, _) => "#bbb",
                (true, true) => "#2a9d8f",
                (true, false) => "#d1495b",
            };
            let title = format!(
                "seed {}: {}{}",
                s.seed,
                s.value.map_or(s.status.clone(), |x| format!("{x:.4}")),
                if s.agrees { " (agrees)" } else { "" }
            );
            view! { <circle cx=8.0 + 16.0 * i as f64 cy=8.0 r=6.0 fill=fill><title>{title}</title></circle> }
        })
        .collect_view();
    let width = 16.0 * v.per_seed.len().max(1) as f64;
    let p = v
        .p_value
        .map(|p| format!(", sign test p = {p:.3}"))
        .unwrap_or_default();
    let stats = v.statistics();
    view! {
        <p class="effect">{v.effect.clone()}</p>
        <div class="seeds">
            <svg class="seed-dots" width=width height="16">{dots}</svg>
            <span class="agree">{format!("{} of {} seeds agree{p}", v.agree, v.of)}</span>
        </div>
        {(!stats.is_empty()).then(|| view! { <p class="stats" title="the 95 % bootstrap interval of the seeds' mean effect, and the probability that a run of the first method beats one of the second as the claim reads it">{stats}</p> })}
        <p class="sentence">{v.sentence.clone()}</p>
    }
}

/// A check's result on the card: where and on which seeds it ran, then its numbers.
fn checked_detail(r: &CheckRecord) -> impl IntoView {
    let seeds = if r.seeds == CheckRecord::OWN_SEEDS {
        "its own seeds".to_string()
    } else {
        format!("new seeds {}", r.seeds)
    };
    view! {
        <div class="checked" data-checked=r.verdict.verdict.label() data-seeds=r.seeds.clone()>
            <p class="checked-head">
                <span class="verdict">{r.verdict.verdict.label()}</span>
                {format!(" on your machine, {seeds} ({}, {:.1} s)", r.backend, r.seconds)}
            </p>
            {verdict_detail(&r.verdict)}
        </div>
    }
}

/// The Claims panel: every claim of the lab, with its verdict on the session
/// when the session is its experiment, and a Check that runs its own links beside the session
/// (`ui::checks`); a link opens the claim's own experiment.
#[component]
pub fn ClaimsPanel(claims: ReadSignal<Vec<ClaimRow>>, lab: &'static str) -> impl IntoView {
    let revision = checks::revision();
    let tally = move || {
        revision.track();
        checks::of(lab).and_then(|c| c.borrow().tally())
    };
    let exportable = move || {
        revision.track();
        checks::of(lab).is_some_and(|c| !c.borrow().records.is_empty())
    };
    let export = move |_| {
        if let Some(c) = checks::of(lab) {
            let text = c.borrow().export();
            let _ = crate::ui::browser::download(
                &format!("methodlab-{lab}-checks.json"),
                "application/json",
                &text,
            );
        }
    };
    view! {
        <section class="claims" id="claims" style:display=move || if claims.get().is_empty() { "none" } else { "block" }>
            <div class="claims-head">
                <h3>"Claims"</h3>
                <button id="check-lab" title="run every claim of this lab that is not slow on its own links, beside your session" on:click=move |_| checks::ask_lab(lab)>"Check the whole lab"</button>
                <span id="claims-tally">{tally}</span>
                <button id="export-checks" style:display=move || if exportable() { "inline-block" } else { "none" } title="every check so far, as JSON: what methodlab check prints" on:click=export>"Export checks (JSON)"</button>
            </div>
            {move || claims.get().into_iter().map(|row| {
                let id = row.id;
                let verdict = match (&row.state, &row.verdict) {
                    (ClaimState::Checked, Some(v)) => v.verdict.label().to_string(),
                    (ClaimState::DifferentSetting, _) => "other setting".into(),
                    (ClaimState::NotApplicable, _) => "not applicable".into(),
                    _ => "not enough evidence yet".into(),
                };
                let own = row.state == ClaimState::Checked;
                let detail = row.verdict.clone().filter(|_| own);
                let declared = crate::labs::lab(lab).ok().and_then(|l| l.claims().into_iter().find(|c| c.id == id));
                let slow = declared.as_ref().is_some_and(|c| c.slow);
                // A claim of one link can be swept: its link as a sweep, read with this claim.
                let sweep = declared
                    .filter(|c| c.queries.len() == 1)
                    .map(|_| format!("{}&claim={id}", row.link.replacen("#/", "#/sweep/", 1)));
                let result = move || {
                    revision.track();
                    checks::of(lab).and_then(|c| c.borrow().results.get(id).cloned())
                };
                let state = move || {
                    revision.track();
                    checks::card(lab, id)
                };
                let controls = move || match state() {
                    CardState::Idle => {
                        let again = matches!(result(), Some(Ok(_)));
                        let estimate = checks::estimate(lab, id);
                        let label = match (slow, &estimate) {
                            (false, _) => "Check".to_string(),
                            (true, Some(Ok(s))) => format!("Check (slow: about {} here)", duration(*s)),
                            (true, _) => "Check (slow: minutes of CPU)".to_string(),
                        };
                        let why = match estimate {
                            Some(Err(why)) => format!("could not time it here: {why}"),
                            _ => "run this claim's own links (its seeds) beside your session".into(),
                        };
                        view! {
                            <button class="check-claim" title=why on:click=move |_| checks::ask(lab, id)>{label}</button>
                            {again.then(|| view! { <button class="check-fresh" title="run it again on seeds never drawn for it" on:click=move |_| checks::ask_fresh(lab, id)>"Check on new seeds"</button> })}
                        }.into_any()
                    }
                    CardState::Queued { ahead } => view! {
                        <span class="check-state">{format!("queued ({ahead} ahead)")}</span>
                        <button class="cancel-check" on:click=move |_| checks::cancel(lab, id)>"Cancel"</button>
                    }.into_any(),
                    CardState::Running { done, total, left_s } => {
                        let left = left_s.map(|s| format!(" · about {} left", duration(s))).unwrap_or_default();
                        view! {
                            <span class="check-state">{format!("checking: {done} of {total} runs{left}")}</span>
                            <progress max=total value=done></progress>
                            <button class="cancel-check" on:click=move |_| checks::cancel(lab, id)>"Cancel"</button>
                        }.into_any()
                    }
                };
                // The verdict in the card's head: the session's when the session is the claim's
                // experiment, else the check's once there is one.
                let session_label = verdict.clone();
                let head = move || match result() {
                    Some(Ok(r)) if !own => r.verdict.verdict.label().to_string(),
                    _ => session_label.clone(),
                };
                let head2 = head.clone();
                let note = row.note.clone();
                view! {
                    <div class=move || format!("claim {}", head2().replace(' ', "-")) data-claim=id data-verdict=verdict.clone()>
                        <div class="claim-head">
                            <span class="verdict">{head}</span>
                            <a class="claim-link" href=row.link.clone() title="Open the experiment this claim is checked on">"open its link"</a>
                            {sweep.map(|href| view! { <a class="sweep-claim" href=href title="Does it hold at other settings? This claim over a grid of them">"sweep it"</a> })}
                            <span class="check-controls">{controls}</span>
                        </div>
                        <p class="claim-text">{row.text}</p>
                        <a class="paper" href=row.paper.url target="_blank" rel="noopener">{row.paper.title}</a>
                        {detail.map(|v| verdict_detail(&v))}
                        {move || (!note.is_empty() && result().is_none()).then(|| view! { <p class="note">{note.clone()}</p> })}
                        {move || match result() {
                            Some(Ok(r)) => checked_detail(&r).into_any(),
                            Some(Err(why)) => view! { <p class="check-error">{why}</p> }.into_any(),
                            None => ().into_any(),
                        }}
                    </div>
                }
            }).collect_view()}
        </section>
    }
}

/// "12 s", "3 min".
fn duration(s: f64) -> String {
    if s < 90.0 {
        format!("{:.0} s", s.max(1.0))
    } else {
        format!("{:.0} min", s / 60.0)
    }
}
