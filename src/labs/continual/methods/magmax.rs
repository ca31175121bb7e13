//! MagMax (Marczak et al. 2024, "MagMax: Leveraging Model Merging for Seamless Continual
//! Learning"): fine-tune sequentially, each task starting from the previous task's weights; after
//! task t the model used is θ₀ + λ·MagMax(τ₁ … τₜ), where τₖ = θₖ − θ₀ are the task vectors
//! from the start θ₀ and MagMax keeps, per parameter, the τₖ entry of largest magnitude (the
//! authors' code uses λ = 0.5).
//!
//! NOTE: the paper starts from a pre-trained model; here θ₀ is the network's initialisation.

/// Folds task vector `tau` into the running max-magnitude merge.
pub fn fold(merged: &mut [f32], tau: &[f32]) {
    for (m, &t) in merged.iter_mut().zip(tau) {
        if t.abs() > m.abs() {
            *m = t;
        }
    }
}
