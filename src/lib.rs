//! mimeo: contract testing for HTTP APIs described by OpenAPI 3.0.
//!
//! One loaded [`Contract`] serves three tools:
//!
//! - [`MockServer`]: a mock on a real socket that answers every documented
//!   operation with responses that keep the contract, validates every request
//!   strictly, lets a test choose statuses, delays and [`Fault`]s with `Prefer`
//!   or server-side [`Rule`]s, journals what it received ([`journal`]) and
//!   judges the client's traffic against the contract ([`Verdict`]);
//! - [`run_scenarios`]: a conformance runner that replays [`Scenario`] files
//!   against the mock or any implementation, judges every answer with the named
//!   [`Check`]s and the scenario's own assertions, and compares the results with
//!   reviewable [`Snapshots`] (details in [`replay`], [`scenario`], [`snapshot`]
//!   and [`report`]); [`diff::run_differential`] replays the same scenarios
//!   against an implementation and a reference (mimeo's stateful mock) and
//!   classifies every difference;
//! - [`ProxyServer`]: a validating proxy in front of a real service that checks
//!   live traffic against the same contract, and can record it as scenarios
//!   ([`proxy`]).
//!
//! Errors in files a user wrote are [`Diagnostic`]s; every other error type is
//! in [`errors`].
//!
//! # The mock
//!
//! ```
//! use std::sync::Arc;
//! use mimeo::{Contract, MockServer, ServeOptions};
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let contract = Arc::new(Contract::embedded()?); // Twilio Memory v1
//! let server = MockServer::start(contract, ServeOptions::default()).await?;
//! // Point the client under test at server.url(); dropping `server` stops it.
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What the client sent, and whether it kept the contract:
//!
//! ```
//! use std::sync::Arc;
//! use mimeo::{Contract, MockServer};
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let server = MockServer::builder(Arc::new(Contract::embedded()?)).start().await?;
//! // ... the client under test runs against server.url() ...
//! assert!(server.received_requests().is_empty());
//! server.assert_no_violations(); // panics listing every violation
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Replaying scenarios
//!
//! ```
//! use std::sync::Arc;
//! use mimeo::{Contract, MockServer, ReplayOptions, Secrets, ServeOptions, Target};
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let contract = Arc::new(Contract::embedded()?);
//! let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance");
//! let scenarios = Arc::new(mimeo::load_scenarios(&[dir], &contract).map_err(|e| e[0].clone())?);
//! let mock = MockServer::start(contract.clone(), ServeOptions::default()).await?;
//! let target = Target { base: mock.url(), is_mock: true };
//! let runs = mimeo::run_scenarios(contract.clone(), scenarios.clone(), target, ReplayOptions::default(), |_| {}).await?;
//! for (scenario, run) in scenarios.iter().zip(&runs) {
//!     let text = mimeo::snapshot::render(&contract, scenario, run, &mock.url(), &Secrets::default());
//!     // Compare `text` with a stored snapshot: insta::assert_snapshot!(scenario.snapshot_name(), text)
//!     assert!(!text.is_empty());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Checking live traffic
//!
//! ```
//! use std::sync::Arc;
//! use mimeo::{Check, Contract, MockServer, ProxyOptions, ProxyServer, ServeOptions};
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let contract = Arc::new(Contract::embedded()?);
//! let real = MockServer::start(contract.clone(), ServeOptions::default()).await?; // stands in for the real API
//! let proxy = ProxyServer::start(contract, ProxyOptions::new(real.url())).await?;
//! // Send the client's traffic to proxy.url() ...
//! let summary = proxy.shutdown().await;
//! assert_eq!(summary.count(Check::BodySchema), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The modules follow the data: contract loading → routing → request validation
//! → response choice → serving; scenarios → replay → checks → differences
//! ([`diff`]) → snapshots → reports. Without default features the crate is the contract and the mock only
//! (`default-features = false`); `replay`, `proxy` and `cli` add the rest.

mod checks;
mod contract;
mod diagnostic;
mod generate;
mod http;
pub mod journal;
#[cfg(feature = "replay")]
mod redact;
mod respond;
mod routing;
mod secrets;
mod serve;
pub mod state;
mod support;
mod validate;
pub mod verdict;

#[cfg(feature = "replay")]
pub mod diff;
#[cfg(feature = "proxy")]
pub mod proxy;
#[cfg(feature = "replay")]
pub mod replay;
#[cfg(feature = "replay")]
pub mod report;
#[cfg(feature = "replay")]
pub mod scenario;
#[cfg(feature = "replay")]
pub mod snapshot;

pub use checks::{check_response, Check, CheckFailure, Checked};
pub use contract::{Contract, Operation, StatusKey};
pub use diagnostic::Diagnostic;
pub use http::server::runtime;
pub use hyper::Method;
pub use respond::config::{load_config, Config};
pub use respond::delay::Latency;
pub use respond::fault::{Dribble, Fault};
pub use respond::rules::Rule;
pub use serve::{MockServer, MockServerBuilder, ServeOptions};
pub use support::duration::parse_duration;
pub use validate::security::REJECTED_CREDENTIALS;
pub use verdict::Verdict;

#[cfg(feature = "proxy")]
pub use proxy::{ProxyOptions, ProxyServer, ProxySummary};
#[cfg(feature = "replay")]
pub use replay::{run_scenarios, ReplayOptions, ScenarioRun, Target};
#[cfg(feature = "replay")]
pub use scenario::{load_scenarios, Scenario};
pub use secrets::Secrets;
#[cfg(feature = "replay")]
pub use snapshot::Snapshots;

/// Every error mimeo returns, in one place. Problems in files a user wrote are
/// [`Diagnostic`]s (file, line or JSON pointer, message); these are the rest.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use mimeo::errors::ServeError;
/// use mimeo::{Contract, MockServer, Rule, ServeOptions};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let contract = Arc::new(Contract::embedded()?);
/// // A rule for a status the operation does not document is refused at start-up.
/// let opts = ServeOptions {
///     rules: vec![Rule::from_flag("DELETE /v1/ControlPlane/Stores/*=418")?],
///     ..ServeOptions::default()
/// };
/// let err = MockServer::start(contract, opts).await.unwrap_err();
/// assert!(matches!(err, ServeError::Rules(_)));
/// assert!(err.to_string().contains("418 is not documented"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod errors {
    pub use crate::diagnostic::{Diagnostic, Location};
    pub use crate::http::server::BindError;
    pub use crate::journal::pattern::PatternError;
    pub use crate::respond::rules::RuleError;
    pub use crate::serve::ServeError;
    pub use crate::support::duration::DurationError;

    #[cfg(feature = "replay")]
    pub use crate::http::client::TargetError;
    #[cfg(feature = "proxy")]
    pub use crate::proxy::ProxyError;
    #[cfg(feature = "replay")]
    pub use crate::report::ReportError;
}
