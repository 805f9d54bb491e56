//! mimeo's integration tests, one binary: each module drives the real server,
//! the real binary or the library's public API the way a user would.

mod common;

mod cli;
mod conformance;
mod contract;
mod credentials;
mod differential;
mod documents;
mod faults;
mod files;
mod formats;
mod forms;
mod journal;
mod limits;
mod manners;
mod negotiation;
mod proxy;
mod proxy_forwarding;
mod proxy_record;
mod readiness;
mod readonly;
mod replay_assertions;
mod replay_broken;
mod replay_phases;
mod replay_report;
mod replay_scenario_errors;
mod replay_scenarios;
mod replay_serve;
mod replay_snapshots;
mod requests;
mod resources;
mod responses;
mod routing;
mod rust_api;
mod security;
mod server;
mod state_keys;
mod stateful;
mod statuses;
mod styles;
mod verdicts;
