//! mimeo's integration tests, one binary: each module drives the real server,
//! the real binary or the library's public API the way a user would.

mod common;

mod cli;
mod conformance;
mod contract;
mod credentials;
mod documents;
mod files;
mod limits;
mod proxy;
mod proxy_record;
mod replay_broken;
mod replay_scenarios;
mod replay_snapshots;
mod requests;
mod server;
mod statuses;
