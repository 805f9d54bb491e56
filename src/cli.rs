//! The command line: every flag defined once, with its help text.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::contract::Contract;
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
}

/// Flags of `mimeo serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// OpenAPI 3.0 document (JSON or YAML) to serve; the embedded Memory v1 contract by default.
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// Address to listen on. Use 0.0.0.0 to accept connections from other machines.
    #[arg(long, default_value = "127.0.0.1", value_name = "IP")]
    host: IpAddr,
    /// Port to listen on; 0 picks a free port (printed at start-up).
    #[arg(long, default_value_t = 4010, value_name = "PORT")]
    port: u16,
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
    /// Largest accepted request body; larger ones get 413.
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES")]
    max_body_size: usize,
    /// Seconds a client may take to send its request headers before it is disconnected.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    header_timeout: f64,
    /// Worker threads; by default one per CPU the process may run on (1: a single thread).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: Option<u16>,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => run_serve(args),
    }
}

fn fail(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    2
}

fn run_serve(args: ServeArgs) -> i32 {
    let contract = match &args.spec {
        Some(path) => Contract::from_file(path),
        None => Contract::embedded(),
    };
    let contract = match contract {
        Ok(c) => Arc::new(c),
        Err(e) => return fail(e),
    };
    for w in &contract.warnings {
        eprintln!("warning: {w}");
    }
    let opts = match serve_options(&args) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let runtime = match crate::serve::runtime(args.workers.map(usize::from)) {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(async move {
        let server = match MockServer::start(contract.clone(), opts).await {
            Ok(s) => s,
            Err(e) => return fail(e),
        };
        for w in server.warnings() {
            eprintln!("warning: {w}");
        }
        print_banner(&contract, &server);
        wait_for_signal().await;
        eprintln!("mimeo: stopping; finishing requests in flight");
        server.shutdown().await;
        0
    })
}

fn serve_options(args: &ServeArgs) -> Result<ServeOptions, String> {
    let auth = match &args.auth {
        None => None,
        Some(a) => match a.split_once(':') {
            Some((user, pass)) if !user.is_empty() => Some((user.to_string(), pass.to_string())),
            _ => return Err(format!("--auth '{a}': expected SID:TOKEN")),
        },
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
    if !(args.header_timeout > 0.0 && args.header_timeout <= 3600.0) {
        return Err(format!(
            "--header-timeout {}: expected seconds between 0 and 3600",
            args.header_timeout
        ));
    }
    Ok(ServeOptions {
        host: args.host,
        port: args.port,
        auth,
        rules: rule_list,
        latency,
        seed: args.seed,
        dynamic: args.dynamic,
        quiet: args.quiet,
        max_body: args.max_body_size,
        header_timeout: Duration::from_secs_f64(args.header_timeout),
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

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
