//! Stateful simulation: the mock behaves like the service. Every read reflects
//! the writes before it, in the contract's shapes and statuses, as a declared
//! state model (data beside the contract, not code) says.
//!
//! - [`model`]: the model file, checked against the contract; `infer` guesses one.
//! - [`world`]: one session's data; [`docs`] and [`sets`] act on it, [`merge`]
//!   resolves identities; [`normalize`] and [`settings`] shape set values.
//! - [`seed`]: starting state, [`dump`]: the same shape written out;
//!   [`session`]: sessions and settling.
//! - [`sim`]: [`Simulation`], what the server calls.

mod cx;
mod docs;
pub(crate) mod dump;
pub(crate) mod error;
pub(crate) mod limits;
mod merge;
pub(crate) mod model;
pub(crate) mod normalize;
pub(crate) mod seed;
mod session;
mod sets;
pub(crate) mod settings;
pub(crate) mod sim;
pub(crate) mod tree;
mod world;

#[cfg(test)]
mod tests;
