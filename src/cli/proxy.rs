//! `mimeo proxy`: forward to `--target`, check and log every exchange, record
//! if asked, and print the summary and the verdict (and report it) when stopped.

use mimeo::proxy::RecordOptions;
use mimeo::{ProxyOptions, ProxyServer};

use super::args::ProxyArgs;
use super::{fail, load_contract, print_now, runtime, stop_signal};

pub(crate) fn run(args: ProxyArgs) -> i32 {
    let contract = match load_contract(args.spec.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let opts = options(&args);
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
        stop.await;
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
    })
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
        record,
    }
}
