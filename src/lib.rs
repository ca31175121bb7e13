//! methodlab: run the key experiments of machine-learning papers on your own GPU, in the browser
//! or headless. `engine` is the tensor/autodiff core with its CPU and WebGPU backends.

pub mod bench;
pub mod catalogue;
pub mod claims;
pub mod data;
pub mod decl;
#[cfg(not(target_arch = "wasm32"))]
pub mod device;
pub use methodlab_engine as engine;
pub mod experiment;
pub mod history;
pub mod labs;
pub mod runner;
pub mod session;
pub mod sweep;
#[cfg(feature = "web")]
pub mod ui;
pub mod views;
