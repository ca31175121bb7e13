//! The Claims panel.

use crate::runner::{ClaimRow, ClaimState};
use leptos::prelude::*;

/// The Claims panel: each claim that reads an enabled method, with its verdict, effect, one dot
/// per seed (filled: agrees) and its reason; a click opens the claim's own link.
#[component]
pub fn ClaimsPanel(claims: ReadSignal<Vec<ClaimRow>>) -> impl IntoView {
    view! {
        <section class="claims" id="claims" style:display=move || if claims.get().is_empty() { "none" } else { "block" }>
            <h3>"Claims"</h3>
            {move || claims.get().into_iter().map(|row| {
                let verdict = match (&row.state, &row.verdict) {
                    (ClaimState::Checked, Some(v)) => v.verdict.label().to_string(),
                    (ClaimState::DifferentSetting, _) => "other setting".into(),
                    (ClaimState::NotApplicable, _) => "not applicable".into(),
                    _ => "not enough evidence yet".into(),
                };
                let class = verdict.replace(' ', "-");
                let label = verdict.clone();
                let detail = row.verdict.clone();
                view! {
                    <div class=format!("claim {class}") data-claim=row.id data-verdict=verdict.clone()>
                        <div class="claim-head">
                            <span class="verdict">{label}</span>
                            <a class="claim-link" href=row.link.clone() title="Open the experiment this claim is checked on">"open its link"</a>
                        </div>
                        <p class="claim-text">{row.text}</p>
                        <a class="paper" href=row.paper.url target="_blank" rel="noopener">{row.paper.title}</a>
                        {detail.map(|v| {
                            let dots = v.per_seed.iter().enumerate().map(|(i, s)| {
                                let fill = match (s.value.is_some(), s.agrees) {
                                    (false, _) => "#bbb",
                                    (true, true) => "#2a9d8f",
                                    (true, false) => "#d1495b",
                                };
                                let title = format!("seed {}: {}{}", s.seed, s.value.map_or(s.status.clone(), |x| format!("{x:.4}")), if s.agrees { " (agrees)" } else { "" });
                                view! { <circle cx=8.0 + 16.0 * i as f64 cy=8.0 r=6.0 fill=fill><title>{title}</title></circle> }
                            }).collect_view();
                            let width = 16.0 * v.per_seed.len().max(1) as f64;
                            let p = v.p_value.map(|p| format!(", sign test p = {p:.3}")).unwrap_or_default();
                            view! {
                                <p class="effect">{v.effect.clone()}</p>
                                <div class="seeds">
                                    <svg class="seed-dots" width=width height="16">{dots}</svg>
                                    <span class="agree">{format!("{} of {} seeds agree{p}", v.agree, v.of)}</span>
                                </div>
                                <p class="sentence">{v.sentence.clone()}</p>
                            }
                        })}
                        {(!row.note.is_empty()).then(|| view! { <p class="note">{row.note.clone()}</p> })}
                    </div>
                }
            }).collect_view()}
        </section>
    }
}
