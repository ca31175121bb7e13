//! Dropout (Srivastava et al. 2014): while training, each hidden unit is zeroed with
//! probability p and the survivors scaled by 1/(1-p) (inverted dropout), so evaluation uses the
//! whole network unchanged.

use super::super::model::Recipe;

pub fn apply(recipe: &mut Recipe, p: f32) {
    // Combined with the lab-wide dropout setting as independent drops: keep = (1-p₀)(1-p).
    recipe.dropout = 1.0 - (1.0 - recipe.dropout) * (1.0 - p);
}
