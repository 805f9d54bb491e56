//! HTTP plumbing shared by the mock and the proxy: the listening server and its
//! handle, request intake (route, bounded body, query, validation), the batched
//! request log, and the outgoing client that replay and the proxy use.

#[cfg(feature = "replay")]
pub(crate) mod client;
pub(crate) mod intake;
pub(crate) mod log;
pub(crate) mod server;
