//! HTTP plumbing shared by the mock and the proxy: the listening server and its
//! handle, sockets that can break on purpose (faults), the mock's body (whole or
//! dribbled), request intake (route, bounded body, query, validation), the
//! batched request log, answers of one scheduler pass written together, and
//! the outgoing client that replay and the proxy use.

pub(crate) mod basic;
pub(crate) mod body;
#[cfg(feature = "replay")]
pub(crate) mod client;
pub(crate) mod coding;
pub(crate) mod faulty;
pub(crate) mod intake;
pub(crate) mod log;
pub(crate) mod server;
pub(crate) mod together;
