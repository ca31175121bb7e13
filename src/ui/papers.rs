//! The papers catalogue (`#/papers`): every paper the labs show, by lab, with its methods, its
//! claims and their recorded verdicts, each opening its lab at the claim's link; then every
//! paper of the seed list not shown yet, with whether it is planned, open, or why no small lab
//! can show it. A search over titles (and labs) narrows it as you type; `#/papers?q=…` links a
//! search.

use crate::catalogue::{papers, PaperEntry};
use crate::claims::Outcome;
use leptos::prelude::*;

fn entry(p: PaperEntry) -> impl IntoView {
    let title = p.title;
    let heading = if p.url.is_empty() {
        view! { <span class="title">{title}</span> }.into_any()
    } else {
        view! { <a class="title" href=p.url target="_blank" rel="noopener">{title}</a> }.into_any()
    };
    let shown = !p.shown.is_empty();
    view! {
        <div class="paper-entry" data-title=title data-shown=if shown { "1" } else { "0" }>
            {heading}
            {(!p.seed).then(|| view! { <span class="off-seed" title="shown here, though not on the seed list the project works from">"not on the seed list"</span> })}
            {if shown {
                view! {
                    <ul>
                        {p.shown.into_iter().map(|s| {
                            let methods = s.methods.iter().map(|(id, t)| format!("{t} ({id})")).collect::<Vec<_>>().join(", ");
                            view! {
                                <li>
                                    <a href=s.link.clone()>{s.lab_title}</a>
                                    {(!methods.is_empty()).then(|| format!(": {methods}"))}
                                    {(!s.claims.is_empty()).then(|| view! {
                                        <ul>
                                            {s.claims.into_iter().map(|c| {
                                                let class = match c.recorded {
                                                    Outcome::Supported => "recorded supported",
                                                    _ => "recorded not-supported",
                                                };
                                                view! {
                                                    <li data-claim=c.id>
                                                        <span class=class>{c.recorded.label()}</span>" "
                                                        <a href=c.link>{c.text}</a>
                                                        {c.slow.then_some(" (slow)")}
                                                    </li>
                                                }
                                            }).collect_view()}
                                        </ul>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            } else {
                view! {
                    <p><span class="status">{p.status}</span><span class="note">{p.note}</span></p>
                }.into_any()
            }}
        </div>
    }
}

#[component]
pub fn Papers(query: String) -> impl IntoView {
    let all = papers();
    let seed = all.iter().filter(|p| p.seed).count();
    let shown = all.iter().filter(|p| !p.shown.is_empty()).count();
    let shown_seed = all.iter().filter(|p| p.seed && !p.shown.is_empty()).count();
    let count = |kind: &str| all.iter().filter(|p| p.status == kind).count();
    let counts = format!(
        "{shown} papers shown in the labs, {shown_seed} of them from the {seed} papers of the seed list; \
         of the others {} planned, {} open, {} that no small lab can show.",
        count("planned"),
        count("open"),
        count("cannot")
    );
    let (q, set_q) = signal(query);
    let found = move || {
        let q = q.get();
        papers()
            .into_iter()
            .filter(|p| p.matches(&q))
            .collect::<Vec<_>>()
    };
    view! {
        <section class="papers" id="papers">
            <h1>"Papers"</h1>
            <p class="counts">{counts}</p>
            <input class="search" id="paper-search" type="search" placeholder="search titles and labs…" aria-label="search papers"
                prop:value=move || q.get()
                on:input=move |ev| set_q.set(event_target_value(&ev)) />
            {move || {
                let found = found();
                let n = found.len();
                let mut lab = "";
                let mut out = Vec::new();
                let (shown, unshown): (Vec<_>, Vec<_>) = found.into_iter().partition(|p| !p.shown.is_empty());
                for p in shown {
                    if p.shown[0].lab_title != lab {
                        lab = p.shown[0].lab_title;
                        out.push(view! { <h2>{lab}</h2> }.into_any());
                    }
                    out.push(entry(p).into_any());
                }
                if !unshown.is_empty() {
                    out.push(view! { <h2>{format!("Not shown yet ({})", unshown.len())}</h2> }.into_any());
                    out.extend(unshown.into_iter().map(|p| entry(p).into_any()));
                }
                view! {
                    <p class="found" id="papers-found">{format!("{n} papers")}</p>
                    {out}
                }
            }}
        </section>
    }
}
