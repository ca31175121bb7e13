//! The labs as the front page shows them (what each is, how many methods and papers it has, its
//! claims' recorded tally, the presets to start from) and the papers catalogue: every paper the
//! project shows, by lab, with its methods and claims, and every paper of the seed list the
//! project works from (`src/data/papers/seed.txt`, titles only) with whether it is shown, planned,
//! or why it cannot be (`src/data/papers/not-shown.tsv`). Plain data from the declarations.

use crate::claims::Outcome;
use crate::labs::{registry, LABS};
use serde::Serialize;
use std::collections::BTreeSet;

/// One lab's card.
#[derive(Clone, Debug, PartialEq)]
pub struct LabCard {
    pub id: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub methods: usize,
    /// Distinct papers its methods and claims cite.
    pub papers: usize,
    /// Claims recorded as supported here, and as not supported (honestly not reproduced).
    pub supported: usize,
    pub not_supported: usize,
    /// (title, share link) of the presets to start from: the lab's first ones.
    pub start: Vec<(&'static str, String)>,
}

/// Presets a card offers.
const START_HERE: usize = 2;

/// Every lab's card, in the registry's order.
pub fn cards() -> Vec<LabCard> {
    registry()
        .into_iter()
        .zip(LABS)
        .map(|(decl, lab)| {
            let claims = lab.claims();
            let mut papers: BTreeSet<&str> = decl
                .methods
                .iter()
                .filter_map(|m| m.paper.as_ref().map(|p| p.title))
                .collect();
            papers.extend(claims.iter().map(|c| c.paper.title));
            let count = |o: Outcome| claims.iter().filter(|c| c.expect == o).count();
            LabCard {
                id: decl.id,
                title: decl.title,
                summary: decl.summary,
                methods: decl.methods.len(),
                papers: papers.len(),
                supported: count(Outcome::Supported),
                not_supported: count(Outcome::NotSupported),
                start: decl
                    .presets
                    .iter()
                    .take(START_HERE)
                    .map(|p| {
                        let link = match p.query {
                            "" => format!("#/{}?v=1", decl.id),
                            q => format!("#/{}?v=1&{q}", decl.id),
                        };
                        (p.title, link)
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The seed: the papers the project works from, one title a line.
pub const SEED: &str = include_str!("data/papers/seed.txt");
/// Seed papers not shown yet: `title \t kind \t note`, kind `planned` (an open issue names it),
/// `cannot` (no small lab can honestly show it: the note says why) or `open`.
pub const NOT_SHOWN: &str = include_str!("data/papers/not-shown.tsv");

/// A paper in the catalogue.
#[derive(Clone, Debug, Serialize)]
pub struct PaperEntry {
    pub title: &'static str,
    /// Where to read it (from a declaration; none for a seed paper not shown yet).
    #[serde(skip_serializing_if = "str::is_empty")]
    pub url: &'static str,
    /// On the seed list the project works from.
    pub seed: bool,
    /// Where it is shown: a lab each (empty when not shown yet).
    pub shown: Vec<PaperInLab>,
    /// For a paper not shown: `planned`, `cannot`, `open`, or `not yet` (no note recorded).
    #[serde(skip_serializing_if = "str::is_empty")]
    pub status: &'static str,
    /// Why, or where it would go.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub note: &'static str,
}

/// A paper's part in one lab.
#[derive(Clone, Debug, Serialize)]
pub struct PaperInLab {
    pub lab: &'static str,
    pub lab_title: &'static str,
    /// (id, title) of its methods there.
    pub methods: Vec<(&'static str, &'static str)>,
    pub claims: Vec<PaperClaim>,
    /// What opens it: its first claim's link, else the lab with its methods on.
    pub link: String,
}

/// A claim of a paper with its recorded verdict.
#[derive(Clone, Debug, Serialize)]
pub struct PaperClaim {
    pub id: &'static str,
    pub text: &'static str,
    pub recorded: Outcome,
    pub slow: bool,
    pub link: String,
}

impl PaperEntry {
    /// Whether a search finds it: every word of `query` begins a word of its title or of its
    /// lab's name, any case ("ties merg" finds TIES-Merging, not "abilities").
    pub fn matches(&self, query: &str) -> bool {
        let text = format!(
            "{} {}",
            self.title,
            self.shown
                .iter()
                .map(|s| s.lab_title)
                .collect::<Vec<_>>()
                .join(" ")
        )
        .to_lowercase();
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        query
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|q| !q.is_empty())
            .all(|q| words.iter().any(|w| w.starts_with(q)))
    }
}

/// Every paper: those the labs show, in the labs' order (a paper in two labs once, with both),
/// then the seed's papers not shown yet in the seed's order.
pub fn papers() -> Vec<PaperEntry> {
    let seed: Vec<&'static str> = SEED
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let notes: Vec<(&'static str, &'static str, &'static str)> = NOT_SHOWN
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((
                f.next()?.trim(),
                f.next()?.trim(),
                f.next().unwrap_or("").trim(),
            ))
        })
        .collect();
    let mut out: Vec<PaperEntry> = Vec::new();
    for (decl, lab) in registry().into_iter().zip(LABS) {
        let claims = lab.claims();
        let mut titles: Vec<(&'static str, &'static str)> = Vec::new();
        let mut add = |p: &crate::decl::Paper| {
            if !titles.iter().any(|t| t.0 == p.title) {
                titles.push((p.title, p.url));
            }
        };
        decl.methods
            .iter()
            .filter_map(|m| m.paper.as_ref())
            .for_each(&mut add);
        claims.iter().map(|c| &c.paper).for_each(&mut add);
        for (title, url) in titles {
            let methods: Vec<(&'static str, &'static str)> = decl
                .methods
                .iter()
                .filter(|m| m.paper.as_ref().is_some_and(|p| p.title == title))
                .map(|m| (m.id, m.title))
                .collect();
            let claims: Vec<PaperClaim> = claims
                .iter()
                .filter(|c| c.paper.title == title)
                .map(|c| PaperClaim {
                    id: c.id,
                    text: c.text,
                    recorded: c.expect,
                    slow: c.slow,
                    link: c.link(decl.id, 0),
                })
                .collect();
            let link = match claims.first() {
                Some(c) => c.link.clone(),
                None => format!(
                    "#/{}?v=1&methods={}",
                    decl.id,
                    methods.iter().map(|m| m.0).collect::<Vec<_>>().join(",")
                ),
            };
            let here = PaperInLab {
                lab: decl.id,
                lab_title: decl.title,
                methods,
                claims,
                link,
            };
            match out.iter_mut().find(|e| e.title == title) {
                Some(e) => e.shown.push(here),
                None => out.push(PaperEntry {
                    title,
                    url,
                    seed: seed.contains(&title),
                    shown: vec![here],
                    status: "",
                    note: "",
                }),
            }
        }
    }
    for title in seed {
        if out.iter().any(|e| e.title == title) {
            continue;
        }
        let (status, note) = notes
            .iter()
            .find(|n| n.0 == title)
            .map_or(("not yet", ""), |n| (n.1, n.2));
        out.push(PaperEntry {
            title,
            url: "",
            seed: true,
            shown: Vec::new(),
            status,
            note,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Experiment;

    #[test]
    fn the_catalogue_lists_every_seed_paper_once_with_its_status() {
        let papers = papers();
        let seed: Vec<&str> = SEED.lines().filter(|l| !l.trim().is_empty()).collect();
        for title in &seed {
            let n = papers.iter().filter(|p| p.title == *title).count();
            assert_eq!(n, 1, "{title}");
        }
        let labs = registry();
        for p in &papers {
            if p.shown.is_empty() {
                assert!(
                    ["planned", "cannot", "open"].contains(&p.status),
                    "{}: status {:?} (not-shown.tsv has no line for it)",
                    p.title,
                    p.status
                );
                assert!(!p.note.is_empty(), "{}: no note", p.title);
            }
            for s in &p.shown {
                let (_, problems) = Experiment::from_link(&s.link, &labs);
                assert!(problems.is_empty(), "{}: {problems:?}", s.link);
            }
        }
        // The notes are about papers of the seed not shown: a stale line (a paper shown since,
        // a title mistyped) fails here.
        for line in NOT_SHOWN.lines().filter(|l| !l.trim().is_empty()) {
            let title = line.split('\t').next().unwrap_or("");
            let entry = papers.iter().find(|p| p.title == title);
            assert!(
                entry.is_some_and(|p| p.shown.is_empty()),
                "not-shown.tsv: {title:?} is shown, or not in the seed"
            );
        }
        // The search reads titles and labs, every word.
        let found: Vec<&str> = papers
            .iter()
            .filter(|p| p.matches("merging TIES"))
            .map(|p| p.title)
            .collect();
        assert!(found.contains(&"TIES-Merging: Resolving Interference When Merging Models"));
        assert!(papers
            .iter()
            .any(|p| p.matches("MINE mutual") && !p.shown.is_empty()));
    }

    #[test]
    fn every_lab_has_a_card_whose_tally_and_links_hold() {
        let cards = cards();
        let labs = registry();
        assert_eq!(cards.len(), labs.len());
        for (card, lab) in cards.iter().zip(LABS) {
            assert_eq!(card.id, lab.id());
            assert_eq!(
                card.supported + card.not_supported,
                lab.claims().len(),
                "{}",
                card.id
            );
            assert!(card.papers > 0 && card.methods > 0, "{}", card.id);
            assert!(
                !card.start.is_empty(),
                "{} has no preset to start from",
                card.id
            );
            for (_, link) in &card.start {
                let (_, problems) = Experiment::from_link(link, &labs);
                assert!(problems.is_empty(), "{link}: {problems:?}");
            }
        }
    }
}
