//! Tests of the simulation: the Memory model ([`memory`]), ordinary REST on a
//! pet store ([`petstore`]), model and seed files ([`files`]), inference
//! ([`inferred`]) and random operation sequences ([`random`]).
//!
//! Every call goes through [`Client::call`], which also checks what the
//! contract promises: the status is documented, a built body validates.

mod files;
mod inferred;
mod memory;
mod petstore;
mod random;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::model::{fields, StateModel};
use super::sim::{SimOptions, SimOutcome, Simulation};
use crate::contract::Contract;

pub(super) const MEMORY_MODEL: &str = include_str!("../../../spec/memory-v1.state.yaml");
pub(super) const PETSTORE: &str = include_str!("../../../tests/fixtures/petstore.yaml");

pub(super) fn memory() -> (Arc<Contract>, Arc<StateModel>) {
    let contract = Contract::embedded().unwrap();
    let model = StateModel::from_text("spec/memory-v1.state.yaml", MEMORY_MODEL, &contract)
        .unwrap_or_else(|e| panic!("{e}"));
    (Arc::new(contract), Arc::new(model))
}

pub(super) fn petstore_contract() -> Contract {
    Contract::from_text("tests/fixtures/petstore.yaml", PETSTORE).unwrap()
}

/// One client of a simulation, with a clock it moves by hand.
pub(super) struct Client {
    pub(super) sim: Simulation,
    pub(super) contract: Arc<Contract>,
    pub(super) now: Instant,
    pub(super) session: String,
}

impl Client {
    pub(super) fn new(contract: Arc<Contract>, model: Arc<StateModel>, opts: SimOptions) -> Client {
        Client {
            sim: Simulation::new(Arc::clone(&contract), model, opts),
            contract,
            now: Instant::now(),
            session: "test".into(),
        }
    }

    pub(super) fn memory(opts: SimOptions) -> Client {
        let (c, m) = memory();
        Client::new(c, m, opts)
    }

    pub(super) fn wait(&mut self, d: Duration) {
        self.now += d;
    }

    /// Calls `op_id`, checking the answer against the contract.
    pub(super) fn call(
        &self,
        op_id: &str,
        path: &[(&str, &str)],
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> SimOutcome {
        let op = self.contract.operation_by_id(op_id).unwrap();
        let query: Vec<(Cow<str>, Cow<str>)> = query
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
            .collect();
        let out = self
            .sim
            .handle(
                &self.session,
                op,
                path,
                &query,
                body.as_ref(),
                None,
                self.now,
            )
            .unwrap_or_else(|| panic!("{op_id} is not in the model"));
        check(&self.contract, op_id, &out);
        if let Some((running, recounted)) = self.sim.counts(&self.session) {
            assert_eq!(running, recounted, "{op_id}: the running counts drifted");
        }
        out
    }
}

/// The contract's promises: a documented status, a valid built body.
pub(super) fn check(contract: &Contract, op_id: &str, out: &SimOutcome) {
    let op = contract.operation_by_id(op_id).unwrap();
    match out {
        SimOutcome::Respond { status, body, .. } => {
            assert!(op.documents(*status), "{op_id} answered {status}");
            if let (Some(b), Some(s)) = (body, fields::response_schema(op, *status)) {
                let v = contract.schemas.violations(s, b);
                assert!(
                    v.is_empty(),
                    "{op_id} {status} body {b} breaks its schema: {v:?}"
                );
            }
        }
        SimOutcome::Error { status, .. } | SimOutcome::Redirect { status, .. } => {
            assert!(op.documents(*status), "{op_id} answered {status}: {out:?}")
        }
        SimOutcome::Refused { .. } | SimOutcome::Unanswerable { .. } => {}
    }
}

/// The status of an outcome.
pub(super) fn status(out: &SimOutcome) -> u16 {
    match out {
        SimOutcome::Respond { status, .. }
        | SimOutcome::Error { status, .. }
        | SimOutcome::Redirect { status, .. } => *status,
        SimOutcome::Refused { .. } | SimOutcome::Unanswerable { .. } => 0,
    }
}

/// The body of a `Respond`.
pub(super) fn body(out: &SimOutcome) -> Value {
    match out {
        SimOutcome::Respond { body: Some(b), .. } => b.clone(),
        other => panic!("no body: {other:?}"),
    }
}

/// The message of an `Error`.
pub(super) fn message(out: &SimOutcome) -> String {
    match out {
        SimOutcome::Error { message, .. } => message.clone(),
        other => panic!("not an error: {other:?}"),
    }
}
