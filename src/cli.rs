//! The command line: every flag defined once, with its help text.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::contract::Contract;
use crate::proxy::{ProxyOptions, ProxyServer, RecordOptions};
use crate::replay::session::Settings;
use crate::respond::rules::{self, Latency};
use crate::serve::{MockServer, ServeOptions};

/// Contract testing for HTTP APIs described by OpenAPI.
#[derive(Debug, Parser)]
#[command(name = "mimeo", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the mock server (the Memory v1 contract unless --spec says otherwise).
    Serve(ServeArgs),
    /// Replay scenarios against a target (an in-process mock by default), check every
    /// response against the contract, and compare the results with snapshots.
    Replay(ReplayArgs),
    /// Forward requests to a target, check each request and answer against the
    /// contract, and optionally record the traffic as scenarios for `mimeo replay`.
    Proxy(ProxyArgs),
}

/// Flags of `mimeo replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Scenario files or directories of them.
    #[arg(value_name = "PATH", default_value = "conformance")]
    paths: Vec<PathBuf>,
    /// OpenAPI 3.0 document the responses are checked against; the embedded Memory v1
    /// contract by default.
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// Base URL to replay against, e.g. `https://memory.twilio.com`. Without it, mimeo
    /// starts its own mock on a free port.
    #[arg(long, value_name = "URL")]
    target: Option<String>,
    /// The --target is a mimeo mock, so scenarios marked `needs: mock` run against it.
    #[arg(long, requires = "target")]
    target_is_mock: bool,
    /// Basic-auth credentials; TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are used when
    /// this is not given.
    #[arg(long, value_name = "SID:TOKEN")]
    auth: Option<String>,
    /// Override a scenario variable, repeatable: --var storeId=mem_store_...
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Time to wait for each response (a step may set its own), e.g. 10s or 500ms.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    timeout: String,
    /// Scenarios run at once (steps within a scenario always run in order).
    #[arg(long, default_value_t = 4, value_name = "N")]
    concurrency: usize,
    /// Run only slice I of N (1-based), e.g. 2/4, so a CI matrix can split the suite.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Directory of the snapshot files.
    #[arg(long, default_value = "snapshots", value_name = "DIR")]
    snapshots: PathBuf,
    /// Accept every new or changed result as the snapshot (and earlier pending .snap.new
    /// files of the scenarios run).
    #[arg(long, conflicts_with = "review")]
    accept: bool,
    /// After the run, go through pending results one by one: accept, reject or skip.
    #[arg(long)]
    review: bool,
    /// Write JUnit XML here (one test case per step).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the full results as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Colour: auto (when stdout is a terminal and NO_COLOR is unset), always or never.
    #[arg(long, default_value = "auto", value_name = "WHEN", value_parser = ["auto", "always", "never"])]
    color: String,
}

/// Where a server listens: `mimeo serve` and `mimeo proxy`.
#[derive(Debug, Args)]
pub struct BindArgs {
    /// Address to listen on. Use 0.0.0.0 to accept connections from other machines.
    #[arg(long, default_value = "127.0.0.1", value_name = "IP")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free port (printed at start-up).
    #[arg(long, default_value_t = 4010, value_name = "PORT")]
    port: u16,
}

/// Limits on what clients send: `mimeo serve` and `mimeo proxy`.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Largest accepted request body; larger ones get 413.
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES")]
    max_body_size: usize,
    /// Seconds a client may take to send its request headers before it is disconnected.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    header_timeout: f64,
}

/// Flags of `mimeo serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// OpenAPI 3.0 document (JSON or YAML) to serve; the embedded Memory v1 contract by default.
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    #[command(flatten)]
    bind: BindArgs,
    /// Enforce HTTP Basic auth with these credentials on operations that document 401.
    #[arg(long, value_name = "SID:TOKEN")]
    auth: Option<String>,
    /// Server-side rule, repeatable: 'METHOD /path/*=STATUS' or '=429,429,202' for a sequence.
    /// `*` matches one path segment, `**` any number. Checked against the contract at start-up.
    #[arg(long = "status", value_name = "RULE")]
    status: Vec<String>,
    /// YAML config file with rules (status, sequence, example, latency) and a global latency.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Added latency for every response, e.g. 50ms, or a range 20ms..200ms.
    #[arg(long, value_name = "DURATION")]
    latency: Option<String>,
    /// Seed for generated data; the same seed gives the same bodies.
    #[arg(long, default_value_t = 0, value_name = "N")]
    seed: u64,
    /// Generate fresh data for every response instead of the documented examples.
    #[arg(long)]
    dynamic: bool,
    /// Do not log one line per request on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Worker threads; by default one per CPU the process may run on (1: a single thread).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: Option<u16>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Flags of `mimeo proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Base URL to forward to: the real service, a staging server or a `mimeo serve`.
    #[arg(long, value_name = "URL")]
    target: String,
    /// OpenAPI 3.0 document the traffic is checked against; the embedded Memory v1
    /// contract by default.
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    #[command(flatten)]
    bind: BindArgs,
    /// Time the target may take to answer a request, e.g. 10s or 500ms; then the
    /// client gets a 504.
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    timeout: String,
    /// Answer a request that breaks the contract with the contract's 400 instead of
    /// forwarding it.
    #[arg(long)]
    strict: bool,
    /// Record the exchanges as scenario files in this directory.
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    /// A client's recorded session (one scenario) ends after this long without a request.
    #[arg(
        long,
        default_value = "30s",
        value_name = "DURATION",
        requires = "record"
    )]
    session_gap: String,
    /// Record one scenario for the whole run instead of one per client session.
    #[arg(long, requires = "record", conflicts_with = "session_gap")]
    one_scenario: bool,
    /// Do not log one line per request on stderr (the summary at shutdown is still printed).
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => run_serve(args),
        Command::Replay(args) => run_replay(args),
        Command::Proxy(args) => run_proxy(args),
    }
}

fn fail(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    2
}

fn run_serve(args: ServeArgs) -> i32 {
    let contract = match load_contract(args.spec.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let opts = match serve_options(&args) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let runtime = match runtime(args.workers.map(usize::from)) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    runtime.block_on(async move {
        let stop = stop_signal();
        let server = match MockServer::start(contract.clone(), opts).await {
            Ok(s) => s,
            Err(e) => return fail(e),
        };
        for w in server.warnings() {
            eprintln!("warning: {w}");
        }
        print_banner(&contract, &server);
        stop.await;
        eprintln!("mimeo: stopping; finishing requests in flight");
        server.shutdown().await;
        0
    })
}

/// The contract of `--spec` (the embedded one without it); its warnings are printed.
fn load_contract(spec: Option<&std::path::Path>) -> Result<Arc<Contract>, String> {
    let contract = match spec {
        Some(path) => Contract::from_file(path),
        None => Contract::embedded(),
    }
    .map_err(|e| e.to_string())?;
    for w in &contract.warnings {
        eprintln!("warning: {w}");
    }
    Ok(Arc::new(contract))
}

/// The tokio runtime: `workers` threads, by default one per CPU the process may use.
fn runtime(workers: Option<usize>) -> Result<tokio::runtime::Runtime, String> {
    crate::serve::runtime(workers).map_err(|e| format!("cannot start the runtime: {e}"))
}

fn run_replay(args: ReplayArgs) -> i32 {
    let settings = match replay_settings(&args) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let contract = match load_contract(args.spec.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    match runtime(None) {
        Ok(rt) => crate::replay::session::run(settings, contract, &rt),
        Err(e) => fail(e),
    }
}

/// A duration flag: a number with its unit (`10s`, `250ms`). A bare number is
/// refused rather than guessed.
fn duration_flag(flag: &str, text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if !(t.ends_with("ms") || t.ends_with('s')) {
        return Err(format!("{flag} '{text}': give a unit, e.g. 10s or 250ms"));
    }
    match rules::parse_duration(t) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err(format!("{flag} '{text}': must be more than zero")),
        Err(e) => Err(format!("{flag}: {e}")),
    }
}

/// More scenarios at once than this only adds contention (and tokio's semaphore
/// has a ceiling).
const MAX_CONCURRENCY: usize = 1024;

/// `--target`: an http:// or https:// URL (the HTTP client checks the rest).
fn target_flag(t: &str) -> Result<(), String> {
    if t.starts_with("http://") || t.starts_with("https://") {
        Ok(())
    } else {
        Err(format!(
            "--target '{t}': expected an http:// or https:// URL"
        ))
    }
}

fn replay_settings(args: &ReplayArgs) -> Result<Settings, String> {
    let auth = match &args.auth {
        Some(a) => Some(parse_auth("--auth", a)?),
        None => {
            let sid = std::env::var("TWILIO_ACCOUNT_SID")
                .ok()
                .filter(|v| !v.is_empty());
            let token = std::env::var("TWILIO_AUTH_TOKEN")
                .ok()
                .filter(|v| !v.is_empty());
            match (sid, token) {
                (Some(s), Some(t)) => Some((s, t)),
                (None, None) => None,
                (Some(_), None) => return Err("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not; set both, or pass --auth SID:TOKEN".into()),
                (None, Some(_)) => return Err("TWILIO_AUTH_TOKEN is set but TWILIO_ACCOUNT_SID is not; set both, or pass --auth SID:TOKEN".into()),
            }
        }
    };
    let mut vars = indexmap::IndexMap::new();
    for v in &args.vars {
        match v.split_once('=') {
            Some((name, value)) if crate::scenario::template::is_name(name) => {
                vars.insert(name.to_string(), value.to_string());
            }
            _ => return Err(format!("--var '{v}': expected NAME=VALUE")),
        }
    }
    let timeout = duration_flag("--timeout", &args.timeout)?;
    if !(1..=MAX_CONCURRENCY).contains(&args.concurrency) {
        return Err(format!(
            "--concurrency {}: expected 1 to {MAX_CONCURRENCY}",
            args.concurrency
        ));
    }
    let shard = match &args.shard {
        None => None,
        Some(text) => {
            let parsed = text.split_once('/').and_then(|(i, n)| {
                Some((
                    i.trim().parse::<usize>().ok()?,
                    n.trim().parse::<usize>().ok()?,
                ))
            });
            match parsed {
                Some((i, n)) if n >= 1 && (1..=n).contains(&i) => Some((i, n)),
                _ => {
                    return Err(format!(
                        "--shard '{text}': expected I/N with 1 <= I <= N, e.g. 1/4"
                    ))
                }
            }
        }
    };
    if let Some(t) = &args.target {
        target_flag(t)?;
    }
    use std::io::IsTerminal;
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    Ok(Settings {
        scenarios: args.paths.clone(),
        snapshots: args.snapshots.clone(),
        target: args.target.clone(),
        target_is_mock: args.target_is_mock,
        auth,
        vars,
        timeout,
        concurrency: args.concurrency,
        shard,
        junit: args.junit.clone(),
        json: args.json.clone(),
        accept: args.accept,
        review: args.review,
        ci: crate::replay::session::ci_from_env(),
        color,
        progress: std::io::stderr().is_terminal(),
    })
}

fn parse_auth(flag: &str, a: &str) -> Result<(String, String), String> {
    match a.split_once(':') {
        Some((user, pass)) if !user.is_empty() => Ok((user.to_string(), pass.to_string())),
        _ => Err(format!("{flag}: expected SID:TOKEN")),
    }
}

fn serve_options(args: &ServeArgs) -> Result<ServeOptions, String> {
    let auth = match &args.auth {
        None => None,
        Some(a) => Some(parse_auth(&format!("--auth '{a}'"), a)?),
    };
    let mut rule_list = Vec::new();
    for flag in &args.status {
        rule_list.push(rules::parse_status_flag(flag)?);
    }
    let mut latency = None;
    if let Some(path) = &args.config {
        let (config, file_rules) = rules::load_config(path)?;
        rule_list.extend(file_rules);
        latency = config.latency.as_ref().map(|l| l.get()).transpose()?;
    }
    if let Some(text) = &args.latency {
        latency = Some(parse_latency_flag(text)?);
    }
    let header_timeout = header_timeout(args.limits.header_timeout)?;
    Ok(ServeOptions {
        host: args.bind.host,
        port: args.bind.port,
        auth,
        rules: rule_list,
        latency,
        seed: args.seed,
        dynamic: args.dynamic,
        quiet: args.quiet,
        max_body: args.limits.max_body_size,
        header_timeout,
    })
}

fn header_timeout(seconds: f64) -> Result<Duration, String> {
    if !(seconds > 0.0 && seconds <= 3600.0) {
        return Err(format!(
            "--header-timeout {seconds}: expected seconds between 0 and 3600"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn proxy_options(args: &ProxyArgs) -> Result<ProxyOptions, String> {
    target_flag(&args.target)?;
    let record = match &args.record {
        None => None,
        Some(dir) => Some(RecordOptions {
            dir: dir.clone(),
            session_gap: if args.one_scenario {
                None
            } else {
                Some(duration_flag("--session-gap", &args.session_gap)?)
            },
        }),
    };
    Ok(ProxyOptions {
        target: args.target.clone(),
        host: args.bind.host,
        port: args.bind.port,
        timeout: duration_flag("--timeout", &args.timeout)?,
        strict: args.strict,
        quiet: args.quiet,
        max_body: args.limits.max_body_size,
        header_timeout: header_timeout(args.limits.header_timeout)?,
        record,
    })
}

fn run_proxy(args: ProxyArgs) -> i32 {
    let contract = match load_contract(args.spec.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let opts = match proxy_options(&args) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let runtime = match runtime(None) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    runtime.block_on(async move {
        let stop = stop_signal();
        let record = opts.record.clone();
        let proxy = match ProxyServer::start(contract.clone(), opts).await {
            Ok(p) => p,
            Err(e) => return fail(e),
        };
        {
            use std::io::Write;
            let mut out = format!(
                "mimeo: proxying to {}, checking against {} {} from {} ({} operations)\n",
                proxy.target(),
                contract.title,
                contract.version,
                contract.source,
                contract.operations.len()
            );
            if let Some(r) = &record {
                out.push_str(&format!("mimeo: recording to {}\n", r.describe()));
            }
            out.push_str(&format!("mimeo: listening on {}\n", proxy.url()));
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(out.as_bytes());
            let _ = stdout.flush();
        }
        stop.await;
        eprintln!("mimeo: stopping; finishing requests in flight");
        let summary = proxy.shutdown().await;
        eprint!("{summary}");
        if summary.recording_errors.is_empty() {
            0
        } else {
            1
        }
    })
}

fn parse_latency_flag(text: &str) -> Result<Latency, String> {
    let parse = |s: &str| rules::parse_duration(s).map_err(|e| format!("--latency: {e}"));
    match text.split_once("..") {
        Some((a, b)) => {
            let (min, max) = (parse(a)?, parse(b)?);
            if max < min {
                return Err(format!("--latency {text}: the range is reversed"));
            }
            Ok(Latency { min, max })
        }
        None => parse(text).map(|d| Latency { min: d, max: d }),
    }
}

fn print_banner(contract: &Contract, server: &MockServer) {
    use std::io::Write;
    let mut out = String::new();
    out.push_str(&format!(
        "mimeo: serving {} {} from {} ({} operations)\n",
        contract.title,
        contract.version,
        contract.source,
        contract.operations.len()
    ));
    let width = contract
        .operations
        .iter()
        .map(|o| o.path.len())
        .max()
        .unwrap_or(0);
    for op in &contract.operations {
        out.push_str(&format!(
            "  {:<7} {:<width$}  {:<26} {}\n",
            op.method.as_str(),
            op.path,
            op.operation_id.as_deref().unwrap_or("-"),
            op.documented_list().replace(", ", " "),
        ));
    }
    out.push_str(&format!("mimeo: listening on {}\n", server.url()));
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
}

/// Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled, so a signal sent as soon as the banner is out is caught.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        // SIGHUP too: a closed terminal or a dropped ssh session must stop the proxy
        // the graceful way, so a recording in memory is written.
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        let hangup = signal(SignalKind::hangup()).ok();
        async move {
            match (interrupt, terminate, hangup) {
                (Some(mut interrupt), Some(mut terminate), Some(mut hangup)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                        _ = hangup.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
