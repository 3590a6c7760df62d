//! `capstan`: the one multi-call binary.

mod agent;
mod bench;
mod cli;
mod server;

use clap::Parser;

// glibc malloc showed up as a sixth of the API server's CPU under write load
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    init_logging(cli.log_json);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("capstan: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        match cli.command {
            cli::Command::Server(args) => server::run(args).await,
            cli::Command::Agent(args) => agent::run(args).await,
            cli::Command::NodeKubeconfig(args) => agent::node_kubeconfig(&args),
            cli::Command::Image(args) => agent::image(&args),
            cli::Command::Bench(b) => match b.target {
                cli::BenchTarget::Apiserver(a) => bench::apiserver(a).await,
                cli::BenchTarget::Pods(a) => bench::pods::run(a).await,
                #[cfg(feature = "etcd-bench")]
                cli::BenchTarget::Etcd(a) => bench::etcd::run(a).await,
            },
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // one line naming the problem
            eprintln!("capstan: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    if json {
        b.json().init();
    } else {
        b.init();
    }
}
