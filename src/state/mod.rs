//! Stateful simulation: the mock behaves like the service. Every read reflects
//! the writes before it, in the contract's shapes and statuses, as a declared
//! state model (data beside the contract, not code) says.
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use mimeo::state::{StateModel, StateOptions};
//! use mimeo::{Contract, MockServer, ServeOptions};
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let contract = Arc::new(Contract::embedded()?);
//! let model = StateModel::for_contract(&contract).map_err(|e| e.to_string())?;
//! let server = MockServer::start(contract, ServeOptions {
//!     stateful: Some((Arc::new(model), StateOptions::default())),
//!     ..ServeOptions::default()
//! }).await?;
//! // Writes through the API and the admin endpoints land in the same state.
//! let (store, profile) = ("mem_store_00000000000000000000000000", "mem_profile_00000000000000000000000000");
//! let state = serde_json::json!({"stores": {store: {"profiles": {profile: {"identifiers": {"email": ["ada@x.io"]}}}}}});
//! server.set_state(None, &state)?;
//! assert_eq!(server.state(None), state);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - `model`: the model file, checked against the contract; `infer` guesses one.
//! - `world`: one session's data; `docs` and `sets` act on it, `merge`
//!   resolves identities; `normalize` and `settings` shape set values.
//! - `seed`: starting state, `dump`: the same shape written out;
//!   `session`: sessions and settling.
//! - `sim`: `Simulation`, what the server calls.

mod cx;
mod docs;
mod dump;
mod error;
mod limits;
mod merge;
mod model;
mod normalize;
mod seed;
mod session;
mod sets;
mod settings;
mod sim;
mod tree;
mod world;

pub use error::StateErrors;
pub use limits::Limits;
pub use model::StateModel;
pub use seed::Seed;
pub use sim::SimOptions as StateOptions;
pub(crate) use sim::{SimOutcome, Simulation};

#[cfg(test)]
mod tests;
