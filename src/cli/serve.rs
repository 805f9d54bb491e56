//! `mimeo serve`: the mock on the embedded contract or `--spec`, with its banner,
//! one log line per request, and a graceful stop on a signal.

use mimeo::{Contract, MockServer, Rule, ServeOptions};

use super::args::ServeArgs;
use super::{
    fail, load_contract_off_thread, print_now, runtime, stop_signal, stopped_early, until_stopped,
};

pub(crate) fn run(args: ServeArgs) -> i32 {
    let opts = match options(&args) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let runtime = match runtime(args.workers.map(usize::from)) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let code = runtime.block_on(async move {
        // A signal stops the process at any stage: while the contract loads and
        // the responses are built too, not only once it listens.
        let stop = stop_signal();
        tokio::pin!(stop);
        let contract = match until_stopped(&mut stop, load_contract_off_thread(args.spec)).await {
            Some(Ok(c)) => c,
            Some(Err(e)) => return fail(e),
            None => return stopped_early(),
        };
        let server = match until_stopped(&mut stop, MockServer::start(contract.clone(), opts)).await
        {
            Some(Ok(s)) => s,
            Some(Err(e)) => return fail(e),
            None => return stopped_early(),
        };
        for w in server.warnings() {
            eprintln!("warning: {w}");
        }
        print_now(&banner(&contract, &server));
        stop.await;
        eprintln!("mimeo: stopping; finishing requests in flight");
        server.shutdown().await;
        0
    });
    // Work still running after an early stop (a slow load) is not waited for.
    runtime.shutdown_background();
    code
}

fn options(args: &ServeArgs) -> Result<ServeOptions, String> {
    let mut rules = Vec::new();
    for flag in &args.status {
        rules.push(Rule::from_flag(flag).map_err(|e| e.to_string())?);
    }
    let mut latency = None;
    if let Some(path) = &args.config {
        let config = mimeo::load_config(path).map_err(|e| e.to_string())?;
        rules.extend(config.rules);
        latency = config.latency;
    }
    if args.latency.is_some() {
        latency = args.latency;
    }
    Ok(ServeOptions {
        host: args.bind.host,
        port: args.bind.port,
        auth: args.auth.clone(),
        rules,
        latency,
        seed: args.seed,
        dynamic: args.dynamic,
        log: !args.quiet,
        max_body: args.limits.max_body_size,
        header_timeout: args.limits.header_timeout,
        body_timeout: args.limits.body_timeout,
        max_connections: args.limits.max_connections as usize,
    })
}

/// What is served, one operation a line, then `mimeo: listening on URL`.
fn banner(contract: &Contract, server: &MockServer) -> String {
    let mut out = format!(
        "mimeo: serving {} {} from {} ({} operations)\n",
        contract.title(),
        contract.version(),
        contract.source(),
        contract.operations().len()
    );
    let width = contract
        .operations()
        .iter()
        .map(|o| o.path().len())
        .max()
        .unwrap_or(0);
    for op in contract.operations() {
        out.push_str(&format!(
            "  {:<7} {:<width$}  {:<26} {}\n",
            op.method().as_str(),
            op.path(),
            op.operation_id().unwrap_or("-"),
            op.documented_list().replace(", ", " "),
        ));
    }
    out.push_str(&format!("mimeo: listening on {}\n", server.url()));
    out
}
