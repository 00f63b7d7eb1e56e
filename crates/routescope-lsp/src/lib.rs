//! The Routescope language server (LSP 3.17 over stdio): the engine's diagnostics, fixes,
//! hover and navigation for Istio and Gateway API YAML in any editor. `routescope lsp` runs
//! [`run_stdio`]; tests drive [`serve`] over an in-memory connection.
//!
//! The workspace is one mesh ([`workspace`]): open documents plus the Kubernetes YAML of the
//! workspace folders. Only files holding Istio or Gateway API resources get diagnostics.

mod actions;
mod diagnostics;
mod navigation;
mod position;
mod server;
pub mod settings;
mod workspace;

pub use lsp_server::Connection;
pub use server::serve;

/// Serves the client on standard input and output until it shuts down.
pub fn run_stdio() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (connection, io_threads) = Connection::stdio();
    serve(&connection)?;
    drop(connection);
    io_threads.join()?;
    Ok(())
}
