//! mimeo: contract testing for HTTP APIs described by OpenAPI 3.0.
//!
//! One loaded [`contract::Contract`] serves two halves: the mock
//! ([`serve::MockServer`], `mimeo serve`) and the conformance checks
//! ([`checks`]). Start the mock in-process on a free port and talk to it:
//!
//! ```
//! use std::sync::Arc;
//! use mimeo::contract::Contract;
//! use mimeo::serve::{MockServer, ServeOptions};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let contract = Arc::new(Contract::embedded().unwrap()); // Memory v1
//! let server = MockServer::start(contract, ServeOptions::default()).await.unwrap();
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! // Point the client under test at server.url(); dropping `server` stops it.
//! # });
//! ```
//!
//! The modules follow the data: [`contract`] loading → [`routing`] →
//! [`validate`] (requests) → [`respond`] (status choice, bodies via [`generate`])
//! → [`serve`]; [`checks`] judges responses.

pub mod checks;
pub mod cli;
pub mod contract;
pub mod generate;
pub mod proxy;
pub mod replay;
pub mod report;
pub mod respond;
pub mod routing;
pub mod scenario;
pub mod secrets;
pub mod serve;
pub mod snapshot;
// Wired by the serve integration; until then only the tests call it.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod state;
pub mod validate;
