//! Routescope's playground: a client-side Leptos app over `routescope-core`.
//!
//! The components (`app`) show and edit; the decisions live in the core and in the plain-Rust
//! modules `session`, `traffic`, `gateway_status`, `start`, `examples` and `markdown`, which are tested natively.

mod access_log_view;
mod app;
mod browser;
mod editor;
pub mod examples;
pub mod gateway_status;
mod gateway_status_view;
pub mod markdown;
pub mod session;
pub mod start;
pub mod traffic;
mod traffic_view;

pub use app::App;
