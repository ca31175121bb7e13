//! Your own data, in a lab that takes it (`LabDecl::own_data`): pick a CSV file or drop one on
//! the page, choose its label column, and see whether the link carries it. The file is read and
//! checked here (`crate::data::table`); it never leaves the machine. A bad file leaves the
//! current data as it was and says which row and column are wrong.

use crate::data::table::{self, Table};
use crate::experiment::{Experiment, OwnTable};
use crate::labs::LabDecl;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::sync::Arc;

/// Goes to `link`; where it is the page's link already (a file a link asked for, given), the
/// page reads it again, so it finds the table now given.
fn go_to(link: &str) {
    let Some(w) = web_sys::window() else { return };
    if w.location().hash().unwrap_or_default() != link {
        return super::browser::set_fragment(link);
    }
    if let Ok(ev) = web_sys::Event::new("hashchange") {
        let _ = w.dispatch_event(&ev);
    }
}

/// Reads `file`, checks it for the lab and trains on it (the link changes); a problem goes to
/// `report` and nothing else changes.
pub fn take_file(
    file: web_sys::File,
    lab: Arc<LabDecl>,
    experiment: ReadSignal<Experiment>,
    report: impl Fn(String) + 'static,
) {
    let name = file.name();
    if file.size() > table::MAX_BYTES as f64 {
        report(table::too_large(&name, file.size() as usize));
        return;
    }
    spawn_local(async move {
        let bytes = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
            Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
            Err(_) => return report(format!("{name} could not be read")),
        };
        match Table::parse(&name, &bytes) {
            Ok(t) => use_table(&t, &lab, experiment, &report),
            Err(e) => report(e),
        }
    });
}

/// Trains on `t` from now on, or says why it cannot.
fn use_table(
    t: &Table,
    lab: &LabDecl,
    experiment: ReadSignal<Experiment>,
    report: &dyn Fn(String),
) {
    let mut e = experiment.get_untracked();
    match e.give_table(lab, t) {
        Ok(note) => {
            report(note.unwrap_or_default());
            go_to(&e.to_link(lab));
        }
        Err(why) => report(why),
    }
}

/// Switches the lab's own-data setting to `own`: the table given last on this page, if any.
/// Whether one was.
pub fn use_latest(lab: &LabDecl, experiment: ReadSignal<Experiment>) -> bool {
    match table::latest() {
        Some(t) => {
            use_table(&t, lab, experiment, &|_| {});
            true
        }
        None => false,
    }
}

/// The panel under the lab's controls.
#[component]
pub fn OwnDataPanel(
    lab: Arc<LabDecl>,
    experiment: ReadSignal<Experiment>,
    message: RwSignal<String>,
) -> impl IntoView {
    let report = move |m: String| message.set(m);
    let pick = {
        let lab = lab.clone();
        move |ev: leptos::ev::Event| {
            let input: web_sys::HtmlInputElement = event_target(&ev);
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                take_file(file, lab.clone(), experiment, report);
            }
            // The same file picked again is a change too.
            input.set_value("");
        }
    };
    let status = {
        let lab = lab.clone();
        move || {
            let exp = experiment.get();
            let own = exp.wants_table(&lab);
            match exp.table.clone() {
                Some(OwnTable::Given(t)) if own => {
                    let labels = lab.clone();
                    let features = t.features();
                    let used = match lab.own_data.and_then(|o| o.features) {
                        Some(n) => format!(
                            "Features: {}",
                            features
                                .iter()
                                .take(n)
                                .enumerate()
                                .map(|(i, &k)| format!("x{} = {}", ["₁", "₂", "₃"].get(i).unwrap_or(&""), t.columns[k]))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ) + if features.len() > n { " (the other columns are not used)" } else { "" },
                        None => format!("{} features, standardised", features.len()),
                    };
                    let carried = match t.inline() {
                        Some(text) => format!("In the link ({:.1} KB): the link alone reproduces these runs.", text.len() as f64 / 1024.0),
                        None => "Too large for a link: the link names the file, and whoever opens it is asked for it.".to_string(),
                    };
                    let current = t.columns[t.label].clone();
                    view! {
                        <p id="own-summary">
                            <b>{t.name.clone()}</b>{format!(": {} rows, {} classes. ", t.rows, t.classes().len())}
                            <label>"Label "
                                <select id="own-label" on:change=move |ev| {
                                    let column = event_target_value(&ev);
                                    let e = experiment.get_untracked();
                                    if let Some(t) = e.table.as_ref().and_then(|t| t.given()).and_then(|t| t.with_label(&column)) {
                                        use_table(&t, &labels, experiment, &report);
                                    }
                                }>
                                    {t.columns.iter().map(|c| view! { <option value=c.clone() selected=*c == current>{c.clone()}</option> }).collect_view()}
                                </select>
                            </label>
                            ". " {used}
                        </p>
                        <p class="help" id="own-link">{carried}</p>
                    }
                    .into_any()
                }
                Some(OwnTable::Wanted { name, id, .. }) if own => view! {
                    <p class="ask" id="own-ask">{format!("This link trains on {name} (id {id}): pick or drop that file to run it.")}</p>
                }
                .into_any(),
                _ => ().into_any(),
            }
        }
    };
    view! {
        <div class="own-data" id="own-data" title="Numeric columns, a header, one column the label. The file stays on this machine: a small table rides in the link.">
            <label class="file-pick">
                <input type="file" id="own-file" accept=".csv,.tsv,.txt,text/csv" on:change=pick />
                "Your own data: pick a CSV"
            </label>
            " or drop it on the page."
            {status}
            <p class="error" id="own-error" style:display=move || if message.get().is_empty() { "none" } else { "block" }>{move || message.get()}</p>
        </div>
    }
}
