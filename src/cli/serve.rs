//! `mimeo serve`: the mock on the embedded contract or `--spec`, with its banner,
//! one log line per request, and a graceful stop on a signal or
//! `POST /__admin/shutdown`, after which the verdict is printed and reported.

use mimeo::{Contract, MockServer, Rule, Secrets, ServeOptions};

use super::args::ServeArgs;
use super::{
    fail, load_contract_off_thread, print_now, ready, runtime, stop_signal_or_eof, stopped_early,
    until_stopped,
};

pub(crate) fn run(args: ServeArgs) -> i32 {
    let inputs = [
        ("--spec", args.spec.as_deref()),
        ("--config", args.config.as_deref()),
        ("--state-model", args.state.state_model.as_deref()),
        ("--seed-state", args.state.seed_state.as_deref()),
    ];
    if let Err(e) = super::verdict::check_paths(
        &args.verdict,
        ("--ready-file", args.ready_file.as_deref()),
        &inputs,
    ) {
        return fail(e);
    }
    let runtime = match runtime(args.workers.map(usize::from)) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let prefix = args.state.admin_prefix.trim_end_matches('/').to_string();
    let control = format!(
        "mimeo: journal at {prefix}/requests ({}), health at {prefix}/health, stop with {prefix}/shutdown; CORS {}",
        if args.journal.no_journal {
            "off".to_string()
        } else {
            format!("the last {}", args.journal.journal_size)
        },
        args.cors
    );
    let secrets = match &args.auth {
        Some((user, pass)) => Secrets::new(Secrets::basic(user, pass)),
        None => Secrets::default(),
    };
    if let Some(path) = &args.ready_file {
        if let Err(e) = ready::clear(path) {
            return fail(e);
        }
    }
    let code = runtime.block_on(async move {
        // A signal stops the process at any stage: while the contract loads and
        // the responses are built too, not only once it listens.
        let stop = stop_signal_or_eof(args.stop_on_stdin_close);
        tokio::pin!(stop);
        let contract =
            match until_stopped(&mut stop, load_contract_off_thread(args.spec.clone())).await {
                Some(Ok(c)) => c,
                Some(Err(e)) => return fail(e),
                None => return stopped_early(),
            };
        let opts = match options(&args, &contract) {
            Ok(o) => o,
            Err(e) => return fail(e),
        };
        let stateful = opts.stateful.as_ref().map(|(_, o)| {
            let settle = if o.settle.is_zero() {
                String::new()
            } else {
                format!(", writes visible after {:?}", o.settle)
            };
            format!(
                "mimeo: stateful{}{settle}; sessions by X-Mimeo-Session, else the Basic-auth user; state at {prefix}/state, reset at {prefix}/reset",
                if o.strict { " (strict: only seeded items exist)" } else { "" },
            )
        });
        let server = match until_stopped(&mut stop, MockServer::start(contract.clone(), opts)).await
        {
            Some(Ok(s)) => s,
            Some(Err(e)) => return fail(e),
            None => return stopped_early(),
        };
        for w in server.warnings() {
            super::out::tell!("warning: {w}");
        }
        if server.bodies_built_later() {
            super::out::tell!(
                "{} operations: response bodies are built on first use and by a warm-up after start; problems found then are printed as warnings when found",
                contract.operations().len()
            );
        }
        // The banner's last line, `mimeo: listening on URL`, is the readiness line
        // wrappers wait for; the ready file says the same for those that cannot
        // read stdout. The rest of the banner comes first (a large contract's
        // list of operations takes a while to print), then the file, then that
        // line: a run that cannot write the file never says ready, and one that
        // has written it has printed what it serves.
        print_now(&banner(&contract, stateful.as_deref(), &control));
        if let Some(path) = &args.ready_file {
            if let Err(e) = ready::write(path, &server.url()) {
                let _ = server.shutdown().await;
                return fail(e);
            }
        }
        print_now(&format!("mimeo: listening on {}\n", server.url()));
        // A large contract's bodies are built after start, and any contract's
        // schemas are compiled on first use: what goes wrong then is printed
        // as it is found.
        tokio::select! {
            _ = &mut stop => {}
            _ = server.shutdown_requested() => {}
            () = super::out::tell_late(|| server.late_warnings()) => {}
        }
        super::out::tell_warnings(server.late_warnings());
        if let Some(path) = &args.ready_file {
            let _ = ready::clear(path);
        }
        super::out::tell!("mimeo: stopping; finishing requests in flight");
        let verdict = server.shutdown().await;
        super::verdict::finish(&verdict, &args.verdict, &secrets)
    });
    // Work still running after an early stop (a slow load) is not waited for.
    runtime.shutdown_background();
    code
}

fn options(args: &ServeArgs, contract: &Contract) -> Result<ServeOptions, String> {
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
        enforce_auth: !args.no_auth,
        auth: args.auth.clone(),
        rules,
        latency,
        seed: args.seed,
        dynamic: args.dynamic,
        log: !args.quiet,
        max_body: args.limits.max_body_size,
        header_timeout: args.limits.header_timeout,
        stateful: super::state::options(&args.state, contract)?,
        admin_prefix: args.state.admin_prefix.clone(),
        max_sessions: args.state.max_sessions as usize,
        journal_size: if args.journal.no_journal {
            0
        } else {
            args.journal.journal_size as usize
        },
        cors: args.cors == "on",
        body_timeout: args.limits.body_timeout,
        max_connections: args.limits.max_connections as usize,
    })
}

/// What is served, one operation a line, and how to control it (the
/// readiness line follows once the ready file is written).
fn banner(contract: &Contract, stateful: Option<&str>, control: &str) -> String {
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
    if !contract.base_paths().is_empty() {
        out.push_str(&format!(
            "mimeo: paths served at the root and under the servers' base path{} {}\n",
            if contract.base_paths().len() > 1 {
                "s"
            } else {
                ""
            },
            contract.base_paths().join(", ")
        ));
    }
    if let Some(line) = stateful {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(control);
    out.push('\n');
    out
}
