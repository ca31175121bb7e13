//! The merging lab's methods, one file each: its declaration and the merge (or multi-task
//! aggregator) its knobs make. The merges themselves are functions in `merge.rs`, tested there.
//! A new method is a file and a line in `METHODS`.

mod average;
mod breadcrumbs;
mod dare;
mod fisher;
mod magmax;
mod mt_mgda;
mod mt_pcgrad;
mod mt_sum;
mod mt_upgrad;
mod regmean;
mod task_arithmetic;
mod ties;

use super::Merge;
use crate::decl::{Knobs, MethodDecl};

pub struct Method {
    pub declaration: fn() -> MethodDecl,
    pub merge: fn(&Knobs) -> Merge,
}

/// Every method, in the page's order.
pub const METHODS: &[Method] = &[
    average::METHOD,
    task_arithmetic::METHOD,
    ties::METHOD,
    breadcrumbs::METHOD,
    fisher::METHOD,
    regmean::METHOD,
    magmax::METHOD,
    dare::METHOD,
    mt_sum::METHOD,
    mt_pcgrad::METHOD,
    mt_mgda::METHOD,
    mt_upgrad::METHOD,
];
