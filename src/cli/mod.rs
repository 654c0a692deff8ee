//! The command line: `kubemock serve` (and later subcommands). Parses flags
//! with clap and hands them to [`crate::server::MockServerBuilder`].

use crate::server::{MockServer, TlsMode};
use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// kubemock: a kube-apiserver stand-in for client-library CI.
#[derive(Debug, Parser)]
#[command(name = "kubemock", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the mock API server.
    Serve(Box<ServeArgs>),
    /// Measure kubemock (or --against a server) and print a table plus JSON.
    Bench(BenchArgs),
    /// Check what clients sent against expectation files: a running
    /// kubemock's recording (--kubeconfig) or a --record log (--log).
    /// Exit code 0 only when every expectation is satisfied.
    Verify(VerifyArgs),
    /// Run the conformance suite against a kubeconfig's server (or --self).
    Conformance(ConformanceArgs),
    /// Fuzz kubemock: seeded valid and invalid HTTP requests against an
    /// in-process server (or --against), checking its invariants; or, with
    /// --parsers, the request parsers over the corpus and its mutations.
    /// Exit code 0 only without violations.
    Fuzz(FuzzArgs),
}

/// Flags of `kubemock fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// Fuzz the parsers in-process instead of a server over HTTP.
    #[arg(long)]
    pub parsers: bool,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 14)]
    pub seed: u64,
    /// HTTP: requests to send.
    #[arg(long, default_value_t = 10_000)]
    pub requests: usize,
    /// HTTP: requests in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// HTTP: drive this kubeconfig's server instead of an in-process kubemock.
    #[arg(long)]
    pub against: Option<PathBuf>,
    /// Write the JSON report here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Parsers: only these targets (default: all); repeatable.
    #[arg(long)]
    pub target: Vec<String>,
    /// Parsers: the corpus directory (default: fuzz/corpus of the source tree).
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Parsers: seeded mutations per target.
    #[arg(long, default_value_t = 1000)]
    pub mutations: usize,
    /// Parsers: write each input here before running it, so that a crash
    /// that kills the process leaves its input behind.
    #[arg(long)]
    pub current: Option<PathBuf>,
}

/// Flags of `kubemock conformance`.
#[derive(Debug, Args)]
pub struct ConformanceArgs {
    /// Kubeconfig of the server under test (default: $KUBECONFIG, then
    /// ~/.kube/config).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: its current context).
    #[arg(long)]
    pub context: Option<String>,
    /// Only cases whose id (or group/id) matches this regex.
    #[arg(long)]
    pub run: Option<String>,
    /// Write JUnit XML here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Write the JSON report here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// The server's version (default: read from /version); with --self, the
    /// version kubemock emulates.
    #[arg(long)]
    pub emulate_version: Option<String>,
    /// The server's feature gates when not the version's defaults, e.g.
    /// WatchList=false (with --self, passed to kubemock too).
    #[arg(long)]
    pub feature_gates: Option<String>,
    /// Start kubemock in-process and run against it.
    #[arg(long = "self")]
    pub self_test: bool,
    /// Cases run in parallel.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    /// Read the cases from this directory instead of the built-in ones.
    #[arg(long)]
    pub cases: Option<PathBuf>,
    /// With --self: whether kubemock lets requests without credentials in
    /// as system:anonymous (--anonymous-auth=false: 401).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub anonymous_auth: bool,
}

/// Flags of `kubemock verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A running kubemock (its recording is fetched through the control API).
    #[arg(long, conflicts_with = "log", required_unless_present = "log")]
    pub kubeconfig: Option<PathBuf>,
    /// A recording written by `serve --record FILE` (offline).
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// Expectation file(s) or directories (YAML/JSON); repeatable.
    #[arg(long, required_unless_present = "faults")]
    pub expect: Vec<PathBuf>,
    /// Fault plan(s) whose `must_fire`/`expect` rules are checked too.
    #[arg(long)]
    pub faults: Vec<PathBuf>,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `kubemock bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Run against this kubeconfig's server instead of a spawned kubemock.
    #[arg(long)]
    pub against: Option<PathBuf>,
    /// A run of seconds (as CI runs it).
    #[arg(long)]
    pub quick: bool,
    /// Collection sizes (comma-separated), overriding the run's default.
    #[arg(long, value_delimiter = ',')]
    pub sizes: Vec<usize>,
    /// Watcher counts (comma-separated), overriding the run's default.
    #[arg(long, value_delimiter = ',')]
    pub watchers: Vec<usize>,
    /// Writes per second during fan-out, overriding the run's default.
    #[arg(long)]
    pub fanout_rate: Option<f64>,
    /// Events written in each fan-out run, overriding the run's default.
    #[arg(long)]
    pub fanout_events: Option<usize>,
    /// Write the JSON report here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Run only one group of rows (`cluster`: the controllers' rows).
    #[arg(long, value_parser = ["cluster"])]
    pub only: Option<String>,
}

/// Flags of `kubemock serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Where to write the kubeconfig (default: kubemock-PORT.kubeconfig in
    /// the temporary directory).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Bearer token clients must send (default: random per start).
    #[arg(long, env = "KUBEMOCK_TOKEN")]
    pub token: Option<String>,
    /// Fixture file or directory (YAML/JSON) to preload; repeatable.
    #[arg(long)]
    pub fixtures: Vec<PathBuf>,
    /// TLS certificate chain (PEM) instead of a generated one.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain http without authentication.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key", "token"])]
    pub insecure_http: bool,
    /// Kubernetes version to emulate (1.31 to 1.37).
    #[arg(long, default_value = "1.37")]
    pub emulate_version: String,
    /// Feature gates, e.g. WatchList=false.
    #[arg(long)]
    pub feature_gates: Option<String>,
    /// Events kept per resource for watches from an old resourceVersion.
    #[arg(long, default_value_t = 10000)]
    pub watch_history: usize,
    /// Also append every request to this file as JSON lines.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Requests kept in memory for the control API.
    #[arg(long, default_value_t = crate::record::DEFAULT_LIMIT)]
    pub record_limit: usize,
    /// Expectation file(s) in force from the start; repeatable.
    #[arg(long)]
    pub expect: Vec<PathBuf>,
    /// Answer requests no expectation matches with 400 and the diff.
    #[arg(long)]
    pub enforce_expectations: bool,
    /// Fault plan(s) (YAML/JSON) in force from the start; repeatable (the
    /// rules of all, in order). See conformance/faults/.
    #[arg(long)]
    pub faults: Vec<PathBuf>,
    /// Seconds a connection may take to send a request's headers
    /// (kube-apiserver's ReadHeaderTimeout: 32).
    #[arg(long, default_value_t = 32)]
    pub read_header_timeout: u64,
    /// Seconds an idle keep-alive connection is kept (kube-apiserver's
    /// IdleTimeout: 90).
    #[arg(long, default_value_t = 90)]
    pub idle_timeout: u64,
    /// Controllers to run: all, none (a bare kube-apiserver) or a list
    /// (serviceaccount,namespace,node,scheduler,kubelet).
    #[arg(long, default_value = "all")]
    pub controllers: String,
    /// Nodes to register.
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// Seed of every controller delay jitter.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Multiplies every controller delay and grace period (0.01: a 30 s
    /// grace period takes 300 ms).
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Lifecycle file (stages and delays) over the embedded one.
    #[arg(long)]
    pub lifecycle: Option<PathBuf>,
    /// Pod addresses (a /24 per node).
    #[arg(long, default_value = "10.244.0.0/16")]
    pub pod_cidr: String,
    /// Node addresses.
    #[arg(long, default_value = "172.18.0.0/16")]
    pub node_cidr: String,
    /// Process script (YAML): what containers do for exec, attach, logs
    /// and port-forward (see `streams::script`).
    #[arg(long)]
    pub scripts: Option<PathBuf>,
    /// Static bearer tokens, kube-apiserver's CSV format: token,user,uid,"group1,group2".
    #[arg(long)]
    pub token_auth_file: Option<PathBuf>,
    /// Requests without credentials run as system:anonymous (false: 401).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub anonymous_auth: bool,
    /// RBAC (default) or AlwaysAllow.
    #[arg(long, default_value = "RBAC")]
    pub authorization_mode: crate::auth::AuthorizationMode,
    /// An extra user NAME:GROUP,... with a client-certificate kubeconfig
    /// written beside the admin one (<kubeconfig>-<name>); repeatable.
    #[arg(long = "user")]
    pub users: Vec<crate::auth::UserSpec>,
}

/// Runs the command line; returns when the server stops.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Bench(args) => {
            let mut opts = if args.quick {
                crate::bench::BenchOptions::quick()
            } else {
                crate::bench::BenchOptions::full()
            };
            if !args.sizes.is_empty() {
                opts.sizes = args.sizes;
            }
            if !args.watchers.is_empty() {
                opts.watchers = args.watchers;
            }
            if let Some(rate) = args.fanout_rate {
                opts.fanout_rate = rate;
            }
            if let Some(events) = args.fanout_events {
                opts.fanout_events = events;
            }
            opts.against = args.against;
            opts.json = args.json;
            opts.cluster_only = args.only.as_deref() == Some("cluster");
            crate::bench::run(opts).await.map(|_| ())
        }
        Command::Verify(args) => verify(args).await,
        Command::Conformance(args) => conformance(args).await,
        Command::Fuzz(args) => fuzz(args).await,
    }
}

async fn serve(args: ServeArgs) -> Result<()> {
    // Handlers first: a SIGTERM sent as soon as the kubeconfig appears must
    // shut down gracefully, not kill the process.
    let signals = Signals::install()?;
    let mut b = MockServer::builder()
        .listen(args.listen)
        .emulate_version(args.emulate_version)
        .watch_history(args.watch_history);
    if let Some(t) = args.token {
        b = b.token(t);
    }
    for f in args.fixtures {
        b = b.fixtures(f);
    }
    if let Some(g) = args.feature_gates {
        b = b.feature_gates(g);
    }
    if let Some(r) = args.record {
        b = b.record_file(r);
    }
    b = b
        .record_limit(args.record_limit)
        .enforce_expectations(args.enforce_expectations);
    b = b
        .controllers(args.controllers)
        .nodes(args.nodes)
        .seed(args.seed)
        .time_scale(args.time_scale)
        .pod_cidr(args.pod_cidr)
        .node_cidr(args.node_cidr);
    if let Some(l) = args.lifecycle {
        b = b.lifecycle_file(l);
    }
    for f in &args.expect {
        let file = crate::record::ExpectationFile::read(f).map_err(anyhow::Error::msg)?;
        b = b.expectations(file);
    }
    for f in &args.faults {
        b = b.faults(crate::faults::FaultPlan::read(f)?);
    }
    b = b.connection_timeouts(crate::http::limits::ConnectionTimeouts {
        read_header: std::time::Duration::from_secs(args.read_header_timeout),
        idle: std::time::Duration::from_secs(args.idle_timeout),
    });
    if let Some(f) = &args.scripts {
        b = b.scripts(crate::streams::Script::load(f).map_err(anyhow::Error::msg)?);
    }
    if let Some(f) = args.token_auth_file {
        b = b.token_auth_file(f);
    }
    b = b
        .anonymous_auth(args.anonymous_auth)
        .authorization_mode(args.authorization_mode);
    for u in args.users {
        b = b.user(u);
    }
    b = b.tls(match (args.insecure_http, args.tls_cert, args.tls_key) {
        (true, _, _) => TlsMode::InsecureHttp,
        (false, Some(cert), Some(key)) => TlsMode::Files { cert, key },
        _ => TlsMode::Generated,
    });
    // The kubeconfig path needs the port: bind first when it is not given.
    let path = match args.kubeconfig {
        Some(p) => p,
        None => {
            let port = pick_port(args.listen)?;
            b = b.listen(SocketAddr::new(args.listen.ip(), port));
            std::env::temp_dir().join(format!("kubemock-{port}.kubeconfig"))
        }
    };
    let server = b.kubeconfig_path(&path).start().await?;
    println!(
        "kubemock serving {} kubeconfig={}",
        server.url(),
        server.kubeconfig_path().display()
    );
    signals.wait().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}

async fn verify(args: VerifyArgs) -> Result<()> {
    use crate::record::command::{run, Source};
    let source = match (args.kubeconfig, args.log) {
        (Some(kc), _) => Source::Kubeconfig(kc),
        (None, Some(log)) => Source::Log(log),
        (None, None) => anyhow::bail!("give --kubeconfig or --log"),
    };
    let mut report = run(&source, &args.expect).await?;
    if !args.faults.is_empty() {
        let mut plans = Vec::new();
        for f in &args.faults {
            plans.push(crate::faults::FaultPlan::read(f)?);
        }
        let plan = crate::faults::FaultPlan::merge(plans)?;
        let rules: Vec<_> = plan
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((r.display_name(i), r.wanted()?)))
            .collect();
        crate::record::verify::add_fault_rules(&mut report, &rules);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    if report.satisfied {
        Ok(())
    } else {
        anyhow::bail!("expectations not satisfied")
    }
}

/// The port to use: the given one, or a free one for port 0.
/// UNVERIFIED race: another process could take the port between this probe
/// and the bind; only the default kubeconfig name depends on it.
fn pick_port(listen: SocketAddr) -> Result<u16> {
    if listen.port() != 0 {
        return Ok(listen.port());
    }
    let probe = std::net::TcpListener::bind(listen)?;
    Ok(probe.local_addr()?.port())
}

/// SIGINT and SIGTERM, listened for from the moment they are installed.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => {}
                _ = self.int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn conformance(args: ConformanceArgs) -> Result<()> {
    let opts = crate::conformance::Options {
        kubeconfig: args.kubeconfig,
        context: args.context,
        run: args.run,
        junit: args.junit,
        json: args.json,
        emulate_version: args.emulate_version,
        feature_gates: args.feature_gates,
        self_test: args.self_test,
        jobs: args.jobs,
        cases_dir: args.cases,
        progress: true,
        no_anonymous: !args.anonymous_auth,
    };
    let report = crate::conformance::run(&opts).await?;
    if report.failed > 0 {
        // The summary is the last line; exit non-zero without more output.
        std::process::exit(1);
    }
    Ok(())
}

async fn fuzz(args: FuzzArgs) -> Result<()> {
    if args.parsers {
        let opts = crate::fuzzing::ParserRun {
            targets: args.target,
            corpus: args
                .corpus
                .unwrap_or_else(crate::fuzzing::default_corpus_dir),
            mutations: args.mutations,
            seed: args.seed,
            current: args.current,
        };
        let violations = crate::fuzzing::run_parsers(&opts)?;
        if violations > 0 {
            anyhow::bail!("{violations} violation(s)");
        }
        return Ok(());
    }
    let opts = crate::fuzzing::http::Options {
        requests: args.requests,
        concurrency: args.concurrency,
        seed: args.seed,
        against: args.against,
        json: args.json,
        progress: true,
    };
    let report = crate::fuzzing::http::run(&opts).await?;
    print!("{report}");
    if !report.violations.is_empty() {
        anyhow::bail!("{} violation(s)", report.violations.len());
    }
    Ok(())
}
