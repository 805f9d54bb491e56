//! `mimeo proxy`: forward to `--target`, check and log every exchange, record
//! if asked, and print the summary and the verdict (and report it) when stopped.

use mimeo::proxy::RecordOptions;
use mimeo::{ProxyOptions, ProxyServer};

use super::args::ProxyArgs;
use super::{
    fail, load_contract_off_thread, print_now, runtime, stop_signal, stopped_early, until_stopped,
};

pub(crate) fn run(args: ProxyArgs) -> i32 {
    if let Err(e) = super::verdict::check_paths(
        &args.verdict,
        ("--record", args.record.as_deref()),
        &[("--spec", args.spec.as_deref())],
    ) {
        return fail(e);
    }
    let opts = options(&args);
    let runtime = match runtime(None) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let code = runtime.block_on(async move {
        // As `mimeo serve`: a signal stops the process at any stage.
        let stop = stop_signal();
        tokio::pin!(stop);
        let contract = match until_stopped(&mut stop, load_contract_off_thread(args.spec)).await {
            Some(Ok(c)) => c,
            Some(Err(e)) => return fail(e),
            None => return stopped_early(),
        };
        // A large contract's examples are checked after load (the mock's warm-up
        // does it for `mimeo serve`): here, in the background, all reported
        // once the check is done.
        if contract.examples_checked_later() {
            let contract = contract.clone();
            let _ = std::thread::Builder::new()
                .name("mimeo-examples".into())
                .spawn(move || {
                    for w in contract.check_remaining_examples() {
                        super::out::tell!("warning: {w}");
                    }
                });
        }
        let record = opts.record.clone();
        let proxy = match until_stopped(&mut stop, ProxyServer::start(contract.clone(), opts)).await
        {
            Some(Ok(p)) => p,
            Some(Err(e)) => return fail(e),
            None => return stopped_early(),
        };
        let mut out = format!(
            "mimeo: proxying to {}, checking against {} {} from {} ({} operations)\n",
            proxy.target(),
            contract.title(),
            contract.version(),
            contract.source(),
            contract.operations().len()
        );
        if let Some(r) = &record {
            out.push_str(&format!("mimeo: recording to {}\n", r.describe()));
        }
        out.push_str(&format!("mimeo: listening on {}\n", proxy.url()));
        print_now(&out);
        // Schemas are compiled on first use: one that cannot be is told as it is met.
        tokio::select! {
            _ = &mut stop => {}
            () = super::out::tell_late(|| proxy.late_warnings()) => {}
        }
        super::out::tell_warnings(proxy.late_warnings());
        super::out::tell!("mimeo: stopping; finishing requests in flight");
        let summary = proxy.shutdown().await;
        super::out::stderr(&summary.to_string());
        let secrets = mimeo::Secrets::default();
        let code = super::verdict::finish(&summary.verdict, &args.verdict, &secrets);
        if summary.recording_errors.is_empty() {
            code
        } else {
            1
        }
    });
    runtime.shutdown_background();
    code
}

fn options(args: &ProxyArgs) -> ProxyOptions {
    let record = args.record.as_ref().map(|dir| RecordOptions {
        dir: dir.clone(),
        session_gap: (!args.one_scenario).then_some(args.session_gap),
    });
    ProxyOptions {
        target: args.target.clone(),
        host: args.bind.host,
        port: args.bind.port,
        timeout: args.timeout,
        strict: args.strict,
        log: !args.quiet,
        max_body: args.limits.max_body_size,
        header_timeout: args.limits.header_timeout,
        body_timeout: args.limits.body_timeout,
        max_connections: args.limits.max_connections as usize,
        max_checked: args.max_checked_size,
        check_memory: args.check_memory,
        record,
    }
}
