//! The labs as the front page shows them: what each is, how many methods and papers it has, its
//! claims' recorded tally, and the presets to start from. Plain data from the declarations.

use crate::claims::Outcome;
use crate::labs::{registry, LABS};
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Experiment;

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
