//! The interface the server calls: one [`Simulation`] per contract and model,
//! answering each request of the model's operations from its session's state.
//!
//! Wiring it into the server (not done here):
//! - session key: the `X-Mimeo-Session` header, else the Basic-auth username,
//!   else one default session;
//! - after the request is validated, call [`Simulation::handle`] with the
//!   decoded path parameters, the query pairs, the parsed JSON body, the
//!   request's `Accept` and the arrival time; `None` means the operation is not in the model (answer as the
//!   stateless mock). `Respond { body: None }` is the documented default body;
//!   `Error` goes into the contract's error shape; `Redirect` builds `Location`
//!   (same operation, `param` set to `canonical`) and `Canonical-Profile-Id`;
//!   `Refused` is a mimeo error (`mimeo-error: state-limit`), never a contract
//!   status; `Unanswerable` one with `mimeo-error: invalid-response`;
//! - admin: `GET /__admin/state` is [`Simulation::dump`], `PUT` is
//!   [`Simulation::load`] (400 with the error lines), `DELETE` is
//!   [`Simulation::reset`] (`?all=true` for every session);
//! - CLI: `--stateful` (the embedded Memory model, `spec/memory-v1.state.yaml`,
//!   or `--state-model FILE` via [`StateModel::from_file`]), `--seed-state FILE`
//!   ([`Seed::from_file`]), `--state-strict`, `--settle D`; `mimeo state infer
//!   --spec FILE` prints [`StateModel::infer`]'s `to_yaml`.
use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::cx::{key_text, Cx, Prepared};
use super::dump;
use super::error::StateErrors;
use super::limits::Limits;
use super::model::{Action, OpPlan, StateModel};
use super::seed::Seed;
use super::session::{SessionState, Sessions};
#[cfg(test)]
use super::world::Counts;
use super::world::World;
use super::{docs, sets};
use crate::contract::{Contract, Operation, SchemaId};

/// What the server answers.
#[derive(Debug, Clone, PartialEq)]
pub enum SimOutcome {
    /// This documented status. `body: None` is the documented default body for it
    /// (the 202 `{message}`); `Some` is built from state in the contract's shape.
    /// `location` is the new item's path when the response documents `Location`.
    Respond {
        status: u16,
        body: Option<Value>,
        location: Option<String>,
        /// The schema `body` was checked against and fits (the one of the media
        /// type the request's `Accept` picks): the server need not check it again.
        checked: Option<SchemaId>,
    },
    /// A documented error (404, 409, 400): the server builds the contract's error
    /// shape around the message.
    Error { status: u16, message: String },
    /// A documented 301/308 to the same operation with path parameter `param`
    /// set to `canonical`; the server builds `Location` and the documented headers.
    Redirect {
        status: u16,
        param: String,
        canonical: String,
    },
    /// A limit of the simulation (not of the contract) was reached: the server
    /// answers with a mimeo error (its `mimeo-error` header), never a contract status.
    Refused { message: String },
    /// The contract cannot be answered as written (no generated key fits both
    /// the path parameter's schema and the key field's): the server answers with
    /// a mimeo error (`mimeo-error: invalid-response`, a 500), the contract's
    /// problem, not a limit of the simulation.
    Unanswerable { message: String },
}

impl SimOutcome {
    pub(crate) fn error(status: u16, message: impl Into<String>) -> SimOutcome {
        SimOutcome::Error {
            status,
            message: message.into(),
        }
    }

    /// A state the engine never makes (an action reaching the wrong handler):
    /// a mimeo error rather than an undocumented status.
    pub(crate) fn internal(what: &str) -> SimOutcome {
        SimOutcome::Refused {
            message: format!("internal error in the simulation: {what}"),
        }
    }

    /// A success without a body of its own.
    pub(crate) fn accepted(plan: &OpPlan) -> SimOutcome {
        SimOutcome::Respond {
            status: plan.status,
            body: None,
            location: None,
            checked: None,
        }
    }

    /// Whether the request changed (or may have changed) the state.
    pub(crate) fn is_success(&self) -> bool {
        matches!(self, SimOutcome::Respond { .. })
    }
}

/// How the simulation runs.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// How long a write takes to become visible to reads (0: at once, at no cost).
    pub settle: Duration,
    /// Only seeded items exist; nothing springs into existence on a write.
    pub strict: bool,
    /// The state every session starts from.
    pub seed: Option<Seed>,
    /// Sessions kept; past it the least recently used is dropped.
    pub max_sessions: usize,
    /// Bounds on one session's state.
    pub limits: Limits,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            settle: Duration::ZERO,
            strict: false,
            seed: None,
            max_sessions: 10_000,
            limits: Limits::default(),
        }
    }
}

/// A stateful mock of one contract, following one model.
pub struct Simulation {
    contract: Arc<Contract>,
    model: Arc<StateModel>,
    opts: SimOptions,
    /// What a new (or reset) session starts from.
    start: World,
    sessions: Sessions,
    /// Parallel to the model's `ops`: what each success body needs from the contract.
    prepared: Vec<Prepared>,
}

impl Simulation {
    pub fn new(contract: Arc<Contract>, model: Arc<StateModel>, opts: SimOptions) -> Simulation {
        let start = opts
            .seed
            .as_ref()
            .map_or_else(|| World::new(&model), |s| s.world.clone());
        let prepared = model
            .ops
            .iter()
            .map(|plan| Prepared::new(&contract, &model, plan))
            .collect();
        Simulation {
            sessions: Sessions::new(opts.max_sessions),
            prepared,
            contract,
            model,
            opts,
            start,
        }
    }

    /// Answers one request (already validated against the contract); `None` when
    /// the model does not name the operation (the server answers it as a
    /// stateless mock). `path` holds the decoded path parameters; `now` is when
    /// the request arrived (settling is judged against it).
    #[allow(clippy::too_many_arguments)]
    pub fn handle(
        &self,
        session: &str,
        op: &Operation,
        path: &[(&str, &str)],
        query: &[(Cow<str>, Cow<str>)],
        body: Option<&Value>,
        accept: Option<&str>,
        now: Instant,
    ) -> Option<SimOutcome> {
        let (at, plan) = self.model.plan_at(op)?;
        let prepared = self.prepared.get(at)?;
        let mut keys = smallvec::SmallVec::new();
        for r in &plan.chain {
            let res = &self.model.resources[*r];
            let raw = path.iter().find(|(n, _)| *n == res.key).map(|(_, v)| *v);
            match raw.and_then(|raw| key_text(raw, res.key_integer)) {
                Some(k) => keys.push(k),
                None => {
                    return Some(SimOutcome::error(
                        404,
                        format!("no {} item named in the path", res.name),
                    ))
                }
            }
        }
        let cx = Cx {
            contract: &self.contract,
            model: &self.model,
            op,
            plan,
            prepared,
            keys,
            path,
            query,
            body,
            accept,
            limits: self.opts.limits,
            totals: self.sessions.totals.get(),
            strict: self.opts.strict,
        };
        let slot = self.sessions.get_or_make(session, || self.fresh());
        let mut state = slot.lock();
        let sets_action = matches!(
            plan.action,
            Action::Add { .. }
                | Action::Change { .. }
                | Action::Remove { .. }
                | Action::ReadEntry { .. }
                | Action::ListEntries { .. }
        );
        Some(if plan.read {
            let world = state.visible(now);
            if sets_action {
                sets::read(&cx, world)
            } else {
                docs::read(&cx, world)
            }
        } else {
            let outcome = if sets_action {
                sets::write(&cx, &mut state.latest)
            } else {
                docs::write(&cx, &mut state.latest)
            };
            if outcome.is_success() {
                state.written(now, self.opts.settle);
                state.account(&self.sessions.totals);
            }
            outcome
        })
    }

    /// A session's state (every write, settled or not) in the seed's shape.
    pub fn dump(&self, session: &str) -> Value {
        match self.sessions.get(session) {
            Some(slot) => dump::dump(&self.model, &slot.lock().latest),
            None => dump::dump(&self.model, &self.start),
        }
    }

    /// Replaces a session's state with a document in the seed's shape.
    pub fn load(&self, session: &str, state: &Value) -> Result<(), StateErrors> {
        let seed = Seed::from_json("state", state, &self.contract, &self.model)?;
        if let Some(message) = self.opts.limits.exceeded(seed.world.counts) {
            return Err(StateErrors(vec![crate::diagnostic::Diagnostic::new(
                "state", message,
            )]));
        }
        let slot = self.sessions.get_or_make(session, || self.fresh());
        let mut state = slot.lock();
        state.replace(seed.world);
        state.account(&self.sessions.totals);
        Ok(())
    }

    /// Starts one session (or every session) over from the seed.
    pub fn reset(&self, session: Option<&str>) {
        self.sessions.remove(session);
    }

    fn fresh(&self) -> SessionState {
        SessionState::new(self.start.clone(), self.opts.settle)
    }
}

#[cfg(test)]
impl Simulation {
    /// What all sessions hold together.
    pub(crate) fn total(&self) -> Counts {
        self.sessions.totals.get()
    }

    /// A session's running counts, and the same counted again from scratch.
    pub(crate) fn counts(&self, session: &str) -> Option<(Counts, Counts)> {
        let slot = self.sessions.get(session)?;
        let state = slot.lock();
        Some((state.latest.counts, state.latest.recount()))
    }
}

#[cfg(test)]
impl Simulation {
    /// Estimated bytes of a session's data.
    pub(crate) fn approx_bytes(&self, session: &str) -> Option<usize> {
        let slot = self.sessions.get(session)?;
        let state = slot.lock();
        Some(super::world::size::world(&state.latest))
    }
}
