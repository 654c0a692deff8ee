//! The fault-plan rows of `kubemock bench` alone: an empty plan and a
//! never-matching rule against a server without the fault layer.
//!
//! Run with `cargo run --release --example fault_bench [-- --quick]`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let report = kubemock::bench::faults::rows(quick).await?;
    println!("{}", report.table());
    Ok(())
}
