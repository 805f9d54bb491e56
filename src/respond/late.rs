//! Bodies built after start. A contract of more than [`EAGER_OPERATIONS`]
//! operations (a large public description) has its bodies built on first use
//! and by a warm-up thread, so it answers sooner: here are that building, the
//! problems it finds (kept until someone takes them), what is still pending,
//! and the bound on how much the warm-up builds.
//!
//! [`EAGER_OPERATIONS`]: crate::respond::EAGER_OPERATIONS

use std::sync::atomic::Ordering;

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::canned::Canned;
use super::Responder;
use crate::contract::{Contract, Operation};
use crate::generate::{Generator, Mode};

/// How many bytes of bodies (as sent) the warm-up of a large contract builds
/// at most. Each is held with its JSON value too, a few times its size: past
/// this, a document of thousands of operations with large bodies (Microsoft
/// Graph's: 2.5 GB once all were built) would grow a mock that answers nothing
/// far past what a CI container has. What is left is built on first use.
pub(super) const WARM_UP_BUDGET: usize = 48 * 1024 * 1024;

impl Responder {
    /// `op`'s canned responses, built now if they were not yet.
    pub(super) fn canned(&self, contract: &Contract, op: &Operation) -> &[Canned] {
        // The validators compiled to check what is built are dropped with it.
        self.canned[op.index]
            .get_or_init(|| crate::contract::schema::transiently(|| self.build_late(contract, op)))
    }

    /// Builds `op`'s canned responses after start (see [`Responder::canned`]).
    fn build_late(&self, contract: &Contract, op: &Operation) -> Vec<Canned> {
        // A large contract's examples of this operation are judged (and a
        // broken one reported) before a body is picked among them.
        // (A responder whose `late` nobody reads leaves them to its caller:
        // judged here, they would count as reported and be lost.)
        if self.reports_examples {
            // Kept before building: a panic building would lose them, and
            // they already count as reported.
            for w in contract.late_example_warnings(op) {
                self.note_late(w);
            }
        }
        let mut warnings = Vec::new();
        let built = build_operation(contract, op, self.seed, &mut warnings);
        for w in warnings {
            self.note_late(w);
        }
        let bytes: usize = built
            .iter()
            .flat_map(|c| &c.bodies)
            .map(|b| b.bytes.len() + b.encoded.as_ref().map_or(0, Bytes::len))
            .sum();
        self.held.fetch_add(bytes, Ordering::Relaxed);
        built
    }

    /// Whether the bodies built after start are past [`WARM_UP_BUDGET`]: the
    /// warm-up stops there, and the rest are built on first use.
    pub(crate) fn over_warm_up_budget(&self) -> bool {
        self.held.load(Ordering::Relaxed) > WARM_UP_BUDGET
    }

    /// This responder without reporting a large contract's examples (see
    /// `reports_examples`): for `mimeo proxy`, which reads none of its late
    /// warnings.
    #[cfg(feature = "proxy")]
    pub(crate) fn without_example_reports(mut self) -> Responder {
        self.reports_examples = false;
        self
    }

    /// Builds `op`'s bodies if they are not built yet (the warm-up of a large
    /// contract, on a thread of its own).
    pub(crate) fn prepare(&self, contract: &Contract, op: &Operation) {
        self.canned(contract, op);
    }

    /// Keeps a problem found after start.
    pub(crate) fn note_late(&self, warning: String) {
        self.late
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(warning);
        self.has_late.store(true, Ordering::Release);
    }

    /// Operations whose bodies are not built yet; at least 1 while a warm-up
    /// that was started has not finished (its last warnings may be coming),
    /// and 0 once it has (stopped at [`WARM_UP_BUDGET`], it leaves the rest to
    /// their first use).
    pub(crate) fn pending(&self, warming: bool) -> usize {
        if warming && self.warmed.load(Ordering::Acquire) {
            return 0;
        }
        let n = self
            .canned
            .0
            .iter()
            .zip(&self.given_up.0)
            .filter(|(c, given_up)| c.get().is_none() && !given_up.load(Ordering::Acquire))
            .count();
        if n == 0 && warming && !self.warmed.load(Ordering::Acquire) {
            1
        } else {
            n
        }
    }

    /// Says the warm-up could not build `op`'s bodies: waiting for them would
    /// never end (see [`Responder::pending`]).
    pub(crate) fn give_up(&self, op: &Operation) {
        self.given_up[op.index].store(true, Ordering::Release);
    }

    /// Says the warm-up is over (see [`Responder::pending`]).
    pub(crate) fn warmed_up(&self) {
        self.warmed.store(true, Ordering::Release);
    }

    /// Problems found building bodies since start that nobody took yet.
    pub(crate) fn take_late_warnings(&self) -> Vec<String> {
        // A load first: this runs after every request, and most find nothing.
        if !self.has_late.load(Ordering::Relaxed) || !self.has_late.swap(false, Ordering::Acquire) {
            return Vec::new();
        }
        std::mem::take(
            &mut *self
                .late
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// One operation's canned responses. Each response's generator is seeded from
/// the operation and the response alone, so bodies are the same whenever and in
/// whatever order they are built.
pub(super) fn build_operation(
    contract: &Contract,
    op: &Operation,
    seed: u64,
    warnings: &mut Vec<String>,
) -> Vec<Canned> {
    let generator = Generator::new(&contract.schemas, Mode::Static);
    op.responses
        .iter()
        .enumerate()
        .map(|(ri, r)| {
            let mut rng = StdRng::seed_from_u64(seed ^ ((op.index.0 as u64) << 16) ^ ri as u64);
            Canned::build(contract, op, r, &generator, &mut rng, warnings)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::respond::EAGER_OPERATIONS;

    /// A contract just large enough to have its bodies built after start,
    /// path `/r{i}` answering `response(i)` (YAML indented for a response).
    fn large(response: impl Fn(usize) -> String) -> Contract {
        let paths: String = (0..=EAGER_OPERATIONS)
            .map(|i| {
                format!(
                    "  /r{i}:\n    get:\n      responses:\n        '200':{}\n",
                    response(i)
                )
            })
            .collect();
        let text = format!("openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n{paths}");
        Contract::from_text("large.yaml", &text).unwrap()
    }

    #[test]
    fn an_operation_the_warm_up_gave_up_on_is_not_pending() {
        let contract = large(|_| " {description: ok}".into());
        let (responder, _) = Responder::new(&contract, 0, false);
        let ops = contract.operations();
        assert_eq!(responder.pending(false), ops.len());
        responder.prepare(&contract, &ops[0]);
        responder.give_up(&ops[1]);
        assert_eq!(responder.pending(false), ops.len() - 2);
        // Once every operation is built or given up, only the warm-up's end is awaited.
        for op in &ops[2..] {
            responder.give_up(op);
        }
        assert_eq!(responder.pending(true), 1);
        responder.warmed_up();
        assert_eq!(responder.pending(true), 0);
    }

    #[test]
    fn bodies_built_after_start_leave_no_validator_behind() {
        // A large contract's bodies are checked against their schemas when
        // built after start; the validators compiled for it were kept, a
        // megabyte apiece in a large document.
        let contract = large(|i| {
            format!("\n          description: ok\n          content:\n            application/json:\n              schema: {{type: object, required: [n], properties: {{n: {{type: integer, minimum: {i}}}}}}}")
        });
        let (responder, _) = Responder::new(&contract, 0, false);
        let op = &contract.operations()[7];
        let schema = op.responses[0].content[0].schema.unwrap();
        assert!(!contract.schemas.is_prepared(schema));
        let built = responder.canned(&contract, op);
        assert_eq!(built[0].bodies[0].value, serde_json::json!({"n": 7}));
        assert!(
            !contract.schemas.is_prepared(schema),
            "not kept by the contract"
        );
        // Used outside building (a request's check), it is compiled and kept.
        assert!(!contract
            .schemas
            .is_valid(schema, &serde_json::json!({"n": 6})));
        assert!(contract.schemas.is_prepared(schema));
    }
}
