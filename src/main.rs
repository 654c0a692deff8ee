//! The `kubemock` binary: parses the command line and runs it. Logs go to
//! stderr (`RUST_LOG` filters them); stdout carries only the serving line.

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = kubemock::cli::Cli::parse();
    match kubemock::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kubemock: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
