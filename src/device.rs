//! Which GPU path a native run takes: the edge where `METHODLAB_FUSION` and `METHODLAB_STEP` are
//! read (the CLI and the tests), so the engine itself never looks at the environment.
//!
//! `METHODLAB_STEP=on` runs programs on the step kernel (many steps of an entry in one dispatch)
//! where they fit, `off` on the per-op path; unset, the context's default.
//!
//! `METHODLAB_FUSION=on` fuses kernels on any adapter (the path a hardware GPU takes, exercised
//! on lavapipe), `off` never fuses; unset, each command keeps its own default (the adapter's
//! for `run` and `check`, fused for `bench`).

use crate::engine::gpu::GpuContext;

/// The variables' names.
pub const FUSION_VAR: &str = "METHODLAB_FUSION";
pub const STEP_VAR: &str = "METHODLAB_STEP";

/// `METHODLAB_FUSION` read: `Some(on)`, `None` when unset or empty, or a message naming the
/// value and the choices.
pub fn fusion_from_env() -> Result<Option<bool>, String> {
    parse_switch(FUSION_VAR, std::env::var(FUSION_VAR).ok().as_deref())
}

/// `METHODLAB_STEP` read, as `fusion_from_env`.
pub fn step_from_env() -> Result<Option<bool>, String> {
    parse_switch(STEP_VAR, std::env::var(STEP_VAR).ok().as_deref())
}

/// An on/off variable's value parsed (see `fusion_from_env`).
pub fn parse_switch(name: &str, value: Option<&str>) -> Result<Option<bool>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some("on" | "1" | "true") => Ok(Some(true)),
        Some("off" | "0" | "false") => Ok(Some(false)),
        Some(v) => Err(format!("{name}={v}: expected on or off")),
    }
}

/// `ctx` with fusion as the environment asks, else `default` (`None`: the adapter's own
/// choice), and the step kernel as `METHODLAB_STEP` asks.
pub fn with_fusion_from_env(ctx: GpuContext, default: Option<bool>) -> Result<GpuContext, String> {
    let ctx = match fusion_from_env()?.or(default) {
        Some(on) => ctx.with_fusion(on),
        None => ctx,
    };
    Ok(match step_from_env()? {
        Some(on) => ctx.with_step(on),
        None => ctx,
    })
}

#[cfg(test)]
mod tests {
    use super::{parse_switch, FUSION_VAR};

    fn parse_fusion(value: Option<&str>) -> Result<Option<bool>, String> {
        parse_switch(FUSION_VAR, value)
    }

    #[test]
    fn fusion_values_parse_and_a_bad_one_names_the_choices() {
        assert_eq!(parse_fusion(None), Ok(None));
        assert_eq!(parse_fusion(Some("")), Ok(None));
        assert_eq!(parse_fusion(Some("on")), Ok(Some(true)));
        assert_eq!(parse_fusion(Some(" off ")), Ok(Some(false)));
        let e = parse_fusion(Some("maybe")).unwrap_err();
        assert!(e.contains("maybe") && e.contains("on or off"), "{e}");
    }
}
