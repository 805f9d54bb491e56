//! Every flag, defined once with its help text. Values are checked by clap as
//! they are read (durations need a unit, counts have bounds), so a bad flag is
//! refused with exit status 2 before anything starts.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Contract testing for HTTP APIs described by OpenAPI.
#[derive(Debug, Parser)]
#[command(name = "mimeo", version = super::VERSION, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the mock server (the Memory v1 contract unless --spec says otherwise).
    Serve(ServeArgs),
    /// Replay scenarios against a target (an in-process mock by default), check every
    /// response against the contract, and compare the results with snapshots.
    Replay(ReplayArgs),
    /// Forward requests to a target, check each request and answer against the
    /// contract, and optionally record the traffic as scenarios for `mimeo replay`.
    Proxy(ProxyArgs),
    /// Work with state models (what `mimeo serve --stateful` simulates).
    #[command(subcommand)]
    State(StateCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum StateCommand {
    /// Print the state model mimeo infers from a contract's paths (collections and
    /// their items), to commit and edit; `--stateful` uses it when there is no model.
    Infer {
        /// OpenAPI 3.0 or 3.1 (or Swagger 2.0) document; the embedded Memory v1 contract by default.
        #[arg(long, value_name = "FILE")]
        spec: Option<PathBuf>,
    },
}

/// Stateful mode of `mimeo serve`.
#[derive(Debug, Args)]
pub(crate) struct StateArgs {
    /// Simulate the service: every read reflects the writes before it, as the state
    /// model says (Memory v1's for the embedded contract, else one inferred from the
    /// contract's paths).
    #[arg(long)]
    pub(crate) stateful: bool,
    /// A state model to simulate with (YAML; see `mimeo state infer`). Implies --stateful.
    #[arg(long, value_name = "FILE")]
    pub(crate) state_model: Option<PathBuf>,
    /// Start every session from this state (YAML or JSON, the shape of
    /// GET /__admin/state). Implies --stateful.
    #[arg(long, value_name = "FILE")]
    pub(crate) seed_state: Option<PathBuf>,
    /// Only the seeded stores and profiles exist; nothing springs into existence on
    /// a write.
    #[arg(long, requires = "seed_state")]
    pub(crate) state_strict: bool,
    /// How long a write takes to become visible to reads, e.g. 500ms (the service
    /// applies writes after answering 202).
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = mimeo_duration)]
    pub(crate) settle: Duration,
    /// Sessions kept (state and rule sequences); past it the least recently used
    /// is dropped.
    #[arg(long, default_value_t = 10_000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub(crate) max_sessions: u32,
    /// Where the control endpoints live (GET/PUT PREFIX/state, POST PREFIX/reset).
    #[arg(long, default_value = "/__admin", value_name = "PATH")]
    pub(crate) admin_prefix: String,
}

/// An IP address to listen on: as written (IPv6 with or without brackets), or
/// `localhost` (what other mocks take), which is 127.0.0.1.
fn host_address(text: &str) -> Result<IpAddr, String> {
    if text.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::from([127, 0, 0, 1]));
    }
    let bare = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    bare.parse().map_err(|_| {
        format!("`{text}` is not an IP address; give one (127.0.0.1, ::1, 0.0.0.0) or localhost")
    })
}

/// A duration flag that may be zero.
fn mimeo_duration(text: &str) -> Result<Duration, String> {
    mimeo::parse_duration(text).map_err(|e| e.to_string())
}

/// A duration flag: a number with its unit (`10s`, `250ms`), more than zero.
fn positive_duration(text: &str) -> Result<Duration, String> {
    match mimeo::parse_duration(text) {
        Ok(d) if d.is_zero() => Err("it must be more than zero".into()),
        Ok(d) => Ok(d),
        Err(e) => Err(e.to_string()),
    }
}

/// A size in bytes: `1048576`, or with a unit: `64KiB`, `16MiB`, `1GiB` (also
/// `KB`, `MB`, `GB`, powers of 1000), more than zero.
pub(crate) fn byte_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        other => {
            return Err(format!(
                "`{other}` is not a size unit; give bytes, or KiB, MiB, GiB (e.g. 16MiB)"
            ))
        }
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size; e.g. 1048576 or 16MiB"))?;
    match n.checked_mul(factor).and_then(|b| usize::try_from(b).ok()) {
        Some(0) => Err("it must be more than zero".into()),
        Some(b) => Ok(b),
        None => Err(format!("`{text}` is too large")),
    }
}

/// `--latency`: a duration, or a range `20ms..200ms`.
fn latency(text: &str) -> Result<mimeo::Latency, String> {
    mimeo::Latency::parse(text).map_err(|e| e.to_string())
}

/// `--target`: an http:// or https:// URL (the HTTP client checks the rest).
fn target(t: &str) -> Result<String, String> {
    if t.starts_with("http://") || t.starts_with("https://") {
        Ok(t.to_string())
    } else {
        Err("expected an http:// or https:// URL".into())
    }
}

/// `--reference`: `mock` (mimeo's in-process stateful mock) or a URL.
fn reference(t: &str) -> Result<Reference, String> {
    match t {
        "mock" => Ok(Reference::Mock),
        url if url.starts_with("http://") || url.starts_with("https://") => {
            Ok(Reference::Url(url.to_string()))
        }
        _ => Err("expected `mock` (mimeo's stateful mock) or an http:// or https:// URL".into()),
    }
}

/// What a differential run compares the target with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reference {
    /// mimeo's stateful mock, in-process.
    Mock,
    /// Another server.
    Url(String),
}

/// `--min-coverage`: a percentage.
fn percent(t: &str) -> Result<f64, String> {
    match t.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err("expected a percentage from 0 to 100, e.g. 80".into()),
    }
}

/// `--run-id`: the shape of a TypeID suffix, so `mem_profile_{{run_id}}` stays valid.
fn run_id(t: &str) -> Result<String, String> {
    let mut chars = t.chars();
    let ok = t.len() == 26
        && chars.next().is_some_and(|c| ('0'..='7').contains(&c))
        && chars.all(|c| c.is_ascii_digit() || c.is_ascii_lowercase());
    if ok {
        Ok(t.to_string())
    } else {
        Err(
            "expected 26 characters, 0-7 then lower-case letters and digits (a TypeID suffix)"
                .into(),
        )
    }
}

/// `SID:TOKEN`.
fn credentials(a: &str) -> Result<(String, String), String> {
    match a.split_once(':') {
        Some((user, pass)) if !user.is_empty() => Ok((user.to_string(), pass.to_string())),
        _ => Err("expected SID:TOKEN".into()),
    }
}

/// `NAME=VALUE` for a scenario variable (whether a scenario declares NAME is
/// checked once the scenarios are loaded).
fn var(v: &str) -> Result<(String, String), String> {
    match v.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err("expected NAME=VALUE".into()),
    }
}

/// `I/N` with 1 <= I <= N.
fn shard(text: &str) -> Result<(usize, usize), String> {
    let parsed = text.split_once('/').and_then(|(i, n)| {
        Some((
            i.trim().parse::<usize>().ok()?,
            n.trim().parse::<usize>().ok()?,
        ))
    });
    match parsed {
        Some((i, n)) if n >= 1 && (1..=n).contains(&i) => Ok((i, n)),
        _ => Err("expected I/N with 1 <= I <= N, e.g. 1/4".into()),
    }
}

/// Flags of `mimeo replay`.
#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// Scenario files or directories of them.
    #[arg(value_name = "PATH", default_value = "conformance")]
    pub(crate) paths: Vec<PathBuf>,
    /// OpenAPI 3.0 or 3.1 (or Swagger 2.0) document the responses are checked against; the embedded Memory v1
    /// contract by default.
    #[arg(long, value_name = "FILE")]
    pub(crate) spec: Option<PathBuf>,
    /// Base URL to replay against, e.g. `https://memory.twilio.com`. Without it, mimeo
    /// starts its own mock on a free port.
    #[arg(long, value_name = "URL", value_parser = target)]
    pub(crate) target: Option<String>,
    /// The --target is a mimeo mock, so scenarios marked `needs: mock` run against it.
    #[arg(long, requires = "target")]
    pub(crate) target_is_mock: bool,
    /// Differential replay: run every step against --target and against this
    /// reference too, and classify every difference (`mock`, the default:
    /// mimeo's stateful mock, in-process; or a URL). Snapshots are not compared.
    #[arg(long, value_name = "mock|URL", requires = "target", value_parser = reference, num_args = 0..=1, default_missing_value = "mock")]
    pub(crate) reference: Option<Reference>,
    /// With --reference: run the target twice first and ignore the JSON pointers
    /// and headers that differ between its own two runs (reported).
    #[arg(long, requires = "reference")]
    pub(crate) learn_noise: bool,
    /// Fail the run when less than this share of the documented statuses was
    /// exercised, e.g. 80.
    #[arg(long, value_name = "PCT", value_parser = percent)]
    pub(crate) min_coverage: Option<f64>,
    /// Run the in-process mock without state (answers from examples only; every
    /// behavioural scenario then fails).
    #[arg(long, conflicts_with = "target")]
    pub(crate) stateless: bool,
    /// The state every session of the in-process mock (or the `--reference mock`)
    /// starts from, as `mimeo serve --seed-state`: identifier settings per store
    /// (limit, limitPolicy, ...) so the model matches your store, data that exists.
    #[arg(long, value_name = "FILE", conflicts_with = "stateless")]
    pub(crate) seed_state: Option<PathBuf>,
    /// The in-process mock is stateful by default; kept so older scripts work.
    #[arg(long, hide = true, conflicts_with_all = ["target", "stateless"])]
    pub(crate) stateful: bool,
    /// The run's {{run_id}} (a fresh one by default; printed at the start), to
    /// repeat a run with the same values or find its data.
    #[arg(long, value_name = "ID", value_parser = run_id)]
    pub(crate) run_id: Option<String>,
    /// Basic-auth credentials; TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are used when
    /// this is not given, else mimeo's own (which any mimeo mock started without
    /// --auth accepts).
    #[arg(long, value_name = "SID:TOKEN", value_parser = credentials)]
    pub(crate) auth: Option<(String, String)>,
    /// Override a scenario variable, repeatable: --var storeId=mem_store_...
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = var)]
    pub(crate) vars: Vec<(String, String)>,
    /// Time to wait for each response (a step may set its own), e.g. 10s or 500ms.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = positive_duration)]
    pub(crate) timeout: Duration,
    /// Scenarios run at once (steps within a scenario always run in order).
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) concurrency: u16,
    /// Run only slice I of N (1-based), e.g. 2/4, so a CI matrix can split the suite.
    #[arg(long, value_name = "I/N", value_parser = shard)]
    pub(crate) shard: Option<(usize, usize)>,
    /// Directory of the snapshot files.
    #[arg(long, default_value = "snapshots", value_name = "DIR")]
    pub(crate) snapshots: PathBuf,
    /// Accept every new or changed result as the snapshot (and earlier pending .snap.new
    /// files of the scenarios run). A result with a step that got no answer is never
    /// accepted.
    #[arg(long, conflicts_with_all = ["review", "reference"])]
    pub(crate) accept: bool,
    /// Do not run anything: go through the pending .snap.new files in --snapshots one
    /// by one (accept, reject or skip).
    #[arg(long, conflicts_with_all = ["target", "reference", "junit", "json", "shard", "min_coverage", "vars", "auth"])]
    pub(crate) review: bool,
    /// Write JUnit XML here (one test case per step).
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Write the full results as JSON here.
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
    /// Colour: auto (when stdout is a terminal and NO_COLOR is unset), always or never.
    #[arg(long, default_value = "auto", value_name = "WHEN", value_parser = ["auto", "always", "never"])]
    pub(crate) color: String,
    /// The most of one answer that is read (its body); a longer answer fails its
    /// step with `transport`. E.g. 32MiB.
    #[arg(long, default_value = "32MiB", value_name = "BYTES", value_parser = byte_size)]
    pub(crate) max_response_size: usize,
}

/// Where a server listens: `mimeo serve` and `mimeo proxy`.
#[derive(Debug, Args)]
pub(crate) struct BindArgs {
    /// Address to listen on (an IP, or localhost: 127.0.0.1). Use 0.0.0.0 to accept
    /// connections from other machines.
    #[arg(long, default_value = "127.0.0.1", value_name = "IP", value_parser = host_address)]
    pub(crate) host: IpAddr,
    /// Port to listen on; 0 picks a free port (printed at start-up).
    #[arg(long, default_value_t = 4010, value_name = "PORT")]
    pub(crate) port: u16,
}

/// Limits on what clients send: `mimeo serve` and `mimeo proxy`.
#[derive(Debug, Args)]
pub(crate) struct LimitArgs {
    /// Largest accepted request body; larger ones get 413. Bytes, or e.g. 4MiB.
    #[arg(long, default_value = "1048576", value_name = "BYTES", value_parser = byte_size)]
    pub(crate) max_body_size: usize,
    /// How long a client may take to send its request headers before it is
    /// disconnected, e.g. 10s.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = positive_duration)]
    pub(crate) header_timeout: Duration,
    /// How long a client may take to send its request body; a slower one gets 408
    /// and is disconnected.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = positive_duration)]
    pub(crate) body_timeout: Duration,
    /// Client connections served at once; past this a new connection is answered
    /// 503 (Retry-After: 1) and closed.
    #[arg(long, default_value_t = 512, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub(crate) max_connections: u32,
}

/// Contract verdicts for CI: `mimeo serve` and `mimeo proxy`.
#[derive(Debug, Args)]
pub(crate) struct VerdictArgs {
    /// When the server stops (SIGTERM or Ctrl-C; `mimeo serve` also on POST
    /// /__admin/shutdown, which `mimeo proxy` forwards like any request), write a
    /// JUnit file: one test case per operation the client called, failures naming
    /// each contract violation with its request.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// The same verdict as JSON.
    #[arg(long, value_name = "FILE")]
    pub(crate) report_json: Option<PathBuf>,
    /// Exit with status 1 when any request broke the contract (a summary by
    /// operation and rule is printed either way).
    #[arg(long)]
    pub(crate) fail_on_violation: bool,
}

/// The request journal of `mimeo serve`.
#[derive(Debug, Args)]
pub(crate) struct JournalArgs {
    /// Requests the journal keeps (GET /__admin/requests); the oldest are dropped.
    #[arg(long, default_value_t = 10_000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub(crate) journal_size: u32,
    /// Keep no journal (verdicts and reports still count every request).
    #[arg(long, conflicts_with = "journal_size")]
    pub(crate) no_journal: bool,
}

/// Flags of `mimeo serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// OpenAPI 3.0 or 3.1 (or Swagger 2.0) document (JSON or YAML) to serve; the embedded Memory v1 contract by default.
    #[arg(long, value_name = "FILE")]
    pub(crate) spec: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) bind: BindArgs,
    /// Demand exactly these HTTP Basic credentials where an operation's security
    /// requirement names HTTP Basic (without it, any user and password will do).
    #[arg(long, value_name = "SID:TOKEN", value_parser = credentials, conflicts_with = "no_auth")]
    pub(crate) auth: Option<(String, String)>,
    /// Do not enforce the contract's security requirements (by default a request
    /// without the credentials its operation asks for gets 401, as Prism does).
    #[arg(long)]
    pub(crate) no_auth: bool,
    /// Server-side rule, repeatable: 'METHOD /path/*=STATUS' or '=429,429,202' for a sequence.
    /// `*` matches one path segment, `**` any number. Checked against the contract at start-up.
    #[arg(long = "status", value_name = "RULE")]
    pub(crate) status: Vec<String>,
    /// YAML config file with rules (status, sequence, example, delay, dribble, fault,
    /// probability) and a delay for every answer.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Added latency for every response, e.g. 50ms, or a range 20ms..200ms.
    #[arg(long, value_name = "DURATION", value_parser = latency)]
    pub(crate) latency: Option<mimeo::Latency>,
    /// Seed for generated data and chaos draws (probabilities, delay
    /// distributions); the same seed gives the same bodies, faults and delays.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(crate) seed: u64,
    /// Generate fresh data for every response instead of the documented examples.
    #[arg(long)]
    pub(crate) dynamic: bool,
    /// Do not log one line per request on stderr.
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// Once listening, write the URL to this file (atomically; removed at start and
    /// at shutdown), for tools that cannot read stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) ready_file: Option<PathBuf>,
    /// Worker threads; by default one per CPU the process may run on (1: a single thread).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) workers: Option<u16>,
    /// Stop, as on SIGTERM (reports written), when standard input closes: for a
    /// program that starts the mock with a pipe as its input, whose end closes
    /// the pipe however it ends (killed, or a test runner's worker torn down).
    #[arg(long)]
    pub(crate) stop_on_stdin_close: bool,
    /// CORS for browsers: answer preflights and add Access-Control-Allow-* headers
    /// (`--cors off` to leave them out).
    #[arg(long, default_value = "on", value_name = "on|off", value_parser = ["on", "off"], num_args = 0..=1, default_missing_value = "on")]
    pub(crate) cors: String,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
    #[command(flatten)]
    pub(crate) state: StateArgs,
    #[command(flatten)]
    pub(crate) journal: JournalArgs,
    #[command(flatten)]
    pub(crate) verdict: VerdictArgs,
}

/// Flags of `mimeo proxy`.
#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// Base URL to forward to: the real service, a staging server or a `mimeo serve`.
    #[arg(long, value_name = "URL", value_parser = target)]
    pub(crate) target: String,
    /// OpenAPI 3.0 or 3.1 (or Swagger 2.0) document the traffic is checked against; the embedded Memory v1
    /// contract by default.
    #[arg(long, value_name = "FILE")]
    pub(crate) spec: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) bind: BindArgs,
    /// Time the target may take to answer a request, e.g. 10s or 500ms; then the
    /// client gets a 504.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = positive_duration)]
    pub(crate) timeout: Duration,
    /// Answer a request that breaks the contract with the contract's 400 instead of
    /// forwarding it.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Record the exchanges as scenario files in this directory.
    #[arg(long, value_name = "DIR")]
    pub(crate) record: Option<PathBuf>,
    /// A client's recorded session (one scenario) ends after this long without a request.
    #[arg(long, default_value = "30s", value_name = "DURATION", requires = "record", value_parser = positive_duration)]
    pub(crate) session_gap: Duration,
    /// Record one scenario for the whole run instead of one per client session.
    #[arg(long, requires = "record", conflicts_with = "session_gap")]
    pub(crate) one_scenario: bool,
    /// Do not log one line per request on stderr (the summary at shutdown is still printed).
    #[arg(long, short)]
    pub(crate) quiet: bool,
    /// The most of one answer held to check it; a longer answer is passed on
    /// unchecked (and said so).
    #[arg(long, default_value = "16MiB", value_name = "BYTES", value_parser = byte_size)]
    pub(crate) max_checked_size: usize,
    /// The memory held for checking answers, across all exchanges in flight
    /// (their bodies and what parsing them takes); past it, answers are passed on
    /// unchecked (and said so).
    #[arg(long, default_value = "256MiB", value_name = "BYTES", value_parser = byte_size)]
    pub(crate) check_memory: usize,
    #[command(flatten)]
    pub(crate) limits: LimitArgs,
    #[command(flatten)]
    pub(crate) verdict: VerdictArgs,
}
