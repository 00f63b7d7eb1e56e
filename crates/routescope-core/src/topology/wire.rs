//! What the bytes on the wire are at each hop: plaintext, the client's own TLS, the mesh's
//! mTLS, TLS a proxy originates, or TLS inside TLS.

use crate::model::gateway_api::{Listener, ListenerProtocol, ListenerTlsMode};
use crate::model::{ClientTlsMode, Protocol, Server};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Wire {
    Plaintext,
    /// TLS the client started; the proxy passes it along.
    ClientTls,
    /// Istio mTLS between sidecars (ISTIO_MUTUAL or auto mTLS).
    MeshMtls,
    /// TLS a sidecar or gateway starts to the destination (DestinationRule SIMPLE/MUTUAL).
    Originated,
    /// TLS originated around traffic that is already TLS: the upstream sees TLS inside TLS.
    Double,
}

impl Wire {
    pub const ALL: [Wire; 5] = [
        Wire::Plaintext,
        Wire::ClientTls,
        Wire::MeshMtls,
        Wire::Originated,
        Wire::Double,
    ];

    /// For legends and traces.
    pub fn describe(self) -> &'static str {
        match self {
            Wire::Plaintext => "plaintext",
            Wire::ClientTls => "the client's TLS",
            Wire::MeshMtls => "mesh mTLS",
            Wire::Originated => "TLS originated by the proxy",
            Wire::Double => "TLS inside TLS",
        }
    }

    /// A lower-case name for CSS classes and JSON.
    pub fn key(self) -> &'static str {
        match self {
            Wire::Plaintext => "plaintext",
            Wire::ClientTls => "client-tls",
            Wire::MeshMtls => "mesh-mtls",
            Wire::Originated => "originated",
            Wire::Double => "double",
        }
    }

    pub fn is_encrypted(self) -> bool {
        self != Wire::Plaintext
    }

    /// What an application sends to a port of `protocol`: TLS when the port says the bytes
    /// arrive encrypted (HTTPS, TLS).
    pub fn from_protocol(protocol: Option<Protocol>) -> Wire {
        match protocol {
            Some(protocol) if protocol.is_encrypted() => Wire::ClientTls,
            _ => Wire::Plaintext,
        }
    }

    /// What an outside client sends to a Gateway server: TLS when the server has a TLS mode
    /// (or its port says HTTPS/TLS), except a plain HTTP server that only redirects to HTTPS.
    pub fn from_client(server: &Server) -> Wire {
        let http = server.protocol().is_some_and(Protocol::is_http);
        if http {
            return Wire::Plaintext;
        }
        match server.tls_mode() {
            Some(_) => Wire::ClientTls,
            None => Wire::from_protocol(server.protocol()),
        }
    }

    /// What a Gateway server hands its routes: decrypted traffic when it terminates TLS, the
    /// client's TLS when it passes it through.
    pub fn after_server(server: &Server) -> Wire {
        match server.tls_mode() {
            Some(mode) if !mode.terminates() => Wire::from_client(server),
            _ => Wire::Plaintext,
        }
    }

    /// What an outside client sends to a Gateway API listener: TLS to HTTPS and TLS listeners.
    pub fn from_listener_client(listener: &Listener) -> Wire {
        match listener.protocol_value() {
            Some(ListenerProtocol::Https | ListenerProtocol::Tls) => Wire::ClientTls,
            _ => Wire::Plaintext,
        }
    }

    /// What a Gateway API listener hands its routes: the client's TLS through a Passthrough
    /// listener; else plaintext (terminated, or never encrypted).
    pub fn after_listener(listener: &Listener) -> Wire {
        if listener.tls_mode() == Some(ListenerTlsMode::Passthrough) {
            Wire::from_listener_client(listener)
        } else {
            Wire::Plaintext
        }
    }

    /// What leaves the proxy for the destination, given what arrived and the DestinationRule
    /// TLS mode that applies (`None`: no setting; then auto mTLS applies to hosts in the mesh).
    pub fn to_upstream(self, mode: Option<ClientTlsMode>, auto_mtls: bool) -> Wire {
        match mode {
            Some(ClientTlsMode::Simple | ClientTlsMode::Mutual) => {
                if self == Wire::ClientTls {
                    Wire::Double
                } else {
                    Wire::Originated
                }
            }
            Some(ClientTlsMode::IstioMutual) => Wire::MeshMtls,
            Some(ClientTlsMode::Disable) => self,
            None if auto_mtls => Wire::MeshMtls,
            None => self,
        }
    }
}
