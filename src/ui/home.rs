//! The front page: one sentence of what this is, and the labs as cards (a thumbnail of each
//! lab's signature picture, its papers and claim tally, presets to start from). Plain links:
//! it needs no WebGPU and trains nothing.

use crate::catalogue::cards;
use leptos::prelude::*;

#[component]
pub fn Home() -> impl IntoView {
    let cards = cards();
    let claims: usize = cards.iter().map(|c| c.supported + c.not_supported).sum();
    let methods: usize = cards.iter().map(|c| c.methods).sum();
    view! {
        <section class="home" id="home">
            <p class="lead">
                "Run the key experiments of recent machine-learning papers on your own machine: pick a lab, \
                 toggle methods side by side across seeds, press Play, and see whether the papers' claims \
                 hold in your own runs. Every experiment is a link you can share."
            </p>
            <p class="counts">{format!("{} labs, {methods} methods, {claims} claims checked in the page. ", cards.len())}<a href="#/papers">"Every paper, by lab"</a></p>
            <div class="lab-cards">
                {cards.into_iter().map(|c| {
                    let tally = if c.not_supported == 0 {
                        format!("{} claims supported", c.supported)
                    } else {
                        format!("{} claims supported, {} not", c.supported, c.not_supported)
                    };
                    let papers = if c.papers == 1 { "1 paper".to_string() } else { format!("{} papers", c.papers) };
                    view! {
                        <article class="lab-card" data-lab=c.id>
                            <a class="lab-card-open" href=format!("#/{}", c.id)>
                                <img src=format!("thumbs/{}.jpg", c.id) alt=format!("{}: its signature picture", c.title) loading="lazy" width="360" height="200" />
                                <h2>{c.title}</h2>
                            </a>
                            <p class="summary">{c.summary}</p>
                            <p class="tally">{format!("{} methods · {papers} · {tally}", c.methods)}</p>
                            <p class="start">"Start here: "
                                {c.start.into_iter().map(|(title, link)| view! { <a href=link>{title}</a> }).collect_view()}
                            </p>
                        </article>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}
