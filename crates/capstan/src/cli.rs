//! Command-line definitions (clap), apart from the command code.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Capstan: a lean Kubernetes-compatible orchestrator in one binary.
#[derive(Debug, Parser)]
#[command(name = "capstan", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Log as JSON lines instead of text.
    #[arg(long, global = true)]
    pub log_json: bool,
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the control plane (API server and store; later also the scheduler,
    /// controllers and an embedded node agent).
    Server(ServerArgs),
    /// Run a node agent that joins a cluster: it registers its Node and runs the pods
    /// bound to it.
    Agent(AgentArgs),
    /// Write a kubeconfig for a node agent: a client certificate for
    /// `system:node:NAME` (group `system:nodes`) signed by the cluster CA of a server's
    /// data dir.
    NodeKubeconfig(NodeKubeconfigArgs),
    /// The node's images: import an archive, list what is stored.
    Image(ImageArgs),
    /// Run load benchmarks against a Capstan server and print the figures.
    Bench(BenchArgs),
}

/// `capstan image` flags.
#[derive(Debug, Args)]
pub struct ImageArgs {
    /// The agent's data dir (images live in its `images/`).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "/var/lib/capstan/agent",
        global = true
    )]
    pub data_dir: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: ImageCommand,
}

/// `capstan image` subcommands.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Import the images of an archive: an OCI image layout tar (as `skopeo copy …
    /// oci-archive:` writes) or a `docker save` tarball, either optionally gzipped.
    Import {
        /// The archive.
        file: PathBuf,
    },
    /// List the stored images.
    Ls,
}

/// The container runtimes a node agent can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RuntimeKind {
    /// Real containers in OCI runtimes (crun or runc).
    Oci,
    /// No processes: pods become Running and Ready at once (scale simulation).
    Hollow,
}

/// `capstan agent` flags (names follow k3s).
#[derive(Debug, Args, Clone)]
pub struct AgentArgs {
    /// The API server, e.g. `https://10.0.0.1:6443` (default: the kubeconfig's).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Directory for the agent's state and pod data.
    #[arg(long, value_name = "DIR", default_value = "/var/lib/capstan/agent")]
    pub data_dir: PathBuf,
    /// The Node's name (default: the host name). With --nodes, the first node's.
    #[arg(long, value_name = "NAME")]
    pub node_name: Option<String>,
    /// The container runtime.
    #[arg(long, value_enum, default_value = "oci")]
    pub runtime: RuntimeKind,
    /// Credentials: a kubeconfig whose user is `system:node:NAME` (see `capstan node-kubeconfig`).
    #[arg(long, value_name = "FILE", conflicts_with = "token")]
    pub kubeconfig: Option<PathBuf>,
    /// Credentials: a bootstrap token (comes with the security work; refused for now).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// The address other nodes reach this one at (default: the default route's).
    #[arg(long, value_name = "ADDR")]
    pub node_ip: Option<IpAddr>,
    /// Simulate this many nodes in one process (hollow runtime only).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub nodes: usize,
    /// With --nodes: the nodes are named PREFIX-0 .. PREFIX-(N-1).
    #[arg(long, value_name = "PREFIX")]
    pub node_name_prefix: Option<String>,
}

/// `capstan node-kubeconfig` flags.
#[derive(Debug, Args, Clone)]
pub struct NodeKubeconfigArgs {
    /// The server's data dir (its `tls/` holds the cluster CA).
    #[arg(long, value_name = "DIR", default_value = "/var/lib/capstan")]
    pub data_dir: PathBuf,
    /// The node the certificate is for.
    #[arg(long, value_name = "NAME")]
    pub node_name: String,
    /// The API server URL written into the kubeconfig.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// Where to write it (mode 0600).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `capstan server` flags (names follow k3s).
#[derive(Debug, Args, Clone)]
pub struct ServerArgs {
    /// Directory for the database, certificates and the kubeconfig.
    #[arg(long, value_name = "DIR", default_value = "/var/lib/capstan")]
    pub data_dir: PathBuf,
    /// Address the API server listens on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0")]
    pub bind_address: IpAddr,
    /// HTTPS port of the API server.
    #[arg(long, value_name = "PORT", default_value_t = 6443)]
    pub https_listen_port: u16,
    /// The address this server advertises in the `default/kubernetes` Endpoints (default:
    /// the bind address, or the address of the default route's interface, or 127.0.0.1).
    #[arg(long, value_name = "ADDR")]
    pub advertise_address: Option<IpAddr>,
    /// Where to write the admin kubeconfig (default: DATA_DIR/kubeconfig.yaml).
    #[arg(long, value_name = "FILE")]
    pub write_kubeconfig: Option<PathBuf>,
    /// Datastore: empty for the embedded store (default). etcd endpoints come with the etcd backend.
    #[arg(long, value_name = "ENDPOINT", default_value = "")]
    pub datastore_endpoint: String,
    /// Do not run the scheduler.
    #[arg(long)]
    pub disable_scheduler: bool,
    /// Do not run the controller manager.
    #[arg(long)]
    pub disable_controller_manager: bool,
    /// Do not run the embedded node agent.
    #[arg(long)]
    pub disable_agent: bool,
    /// Extra subject alternative names for the serving certificate.
    #[arg(long = "tls-san", value_name = "NAME")]
    pub tls_san: Vec<String>,
    /// IPv4 range of Service ClusterIPs.
    #[arg(long, value_name = "CIDR", default_value = "10.43.0.0/16")]
    pub service_cidr: String,
    /// Port range of Service node ports.
    #[arg(long, value_name = "LOW-HIGH", default_value = "30000-32767")]
    pub service_node_port_range: String,
    /// How often the embedded store checkpoints its B-tree (a durable commit) and
    /// rewinds its write-ahead log.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub store_checkpoint_interval: std::time::Duration,
    /// Page cache of the embedded store, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 32)]
    pub store_cache_mb: usize,
    /// How often the store compacts old revisions.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub compact_interval: std::time::Duration,
    /// How many recent revisions survive a compaction.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub compact_retain_revisions: i64,
    /// How long a client connection may take to finish its TLS handshake, and then to send
    /// each request's headers (upstream's ReadHeaderTimeout).
    #[arg(long, value_name = "DURATION", default_value = "32s", value_parser = parse_duration)]
    pub request_header_timeout: std::time::Duration,
    /// How long a client connection with no request in flight stays open (upstream's
    /// IdleTimeout). Watches and other requests in flight are never cut.
    #[arg(long, value_name = "DURATION", default_value = "90s", value_parser = parse_duration)]
    pub idle_connection_timeout: std::time::Duration,
}

/// `capstan bench` targets.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What to benchmark.
    #[command(subcommand)]
    pub target: BenchTarget,
}

/// Benchmark targets.
#[derive(Debug, Subcommand)]
pub enum BenchTarget {
    /// The API server: create throughput, GET/PUT latency under load, LIST,
    /// watch fan-out, memory and start-up time. Starts its own server unless --kubeconfig is given.
    Apiserver(crate::bench::ApiserverBenchArgs),
    /// The node agent: hollow nodes in one process (time to Ready, RSS, the heartbeat
    /// write rate on the API server) and pod startup latency. Starts its own server.
    Pods(crate::bench::pods::PodsBenchArgs),
    #[cfg(feature = "etcd-bench")]
    /// A real etcd's raw put rate with the same load shape (1 KiB values, N concurrent
    /// clients), the reference the API server's create rate is compared with.
    Etcd(crate::bench::etcd::EtcdBenchArgs),
}

/// Parse `300ms`, `5s`, `5m`, `1h` or plain seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration {s:?}: unit must be ms, s, m or h"
            ));
        }
    };
    Ok(std::time::Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5m").unwrap().as_secs(), 300);
        assert_eq!(parse_duration("1").unwrap().as_secs(), 1);
        assert_eq!(parse_duration("250ms").unwrap().as_millis(), 250);
        assert!(parse_duration("5x").is_err());
    }

    #[test]
    fn agent_flags() {
        let c = Cli::try_parse_from([
            "capstan",
            "agent",
            "--server",
            "https://127.0.0.1:6443",
            "--data-dir",
            "/tmp/a",
            "--node-name",
            "n1",
            "--runtime",
            "hollow",
            "--kubeconfig",
            "/tmp/k",
        ])
        .unwrap();
        let Command::Agent(a) = c.command else {
            panic!()
        };
        assert_eq!(
            (a.runtime, a.node_name.as_deref()),
            (RuntimeKind::Hollow, Some("n1"))
        );
        let c = Cli::try_parse_from([
            "capstan",
            "agent",
            "--runtime",
            "hollow",
            "--nodes",
            "1000",
            "--node-name-prefix",
            "h",
        ])
        .unwrap();
        let Command::Agent(a) = c.command else {
            panic!()
        };
        assert_eq!((a.nodes, a.node_name_prefix.as_deref()), (1000, Some("h")));
        assert!(
            Cli::try_parse_from(["capstan", "agent", "--kubeconfig", "k", "--token", "t"]).is_err()
        );
    }

    #[test]
    fn image_flags() {
        let c = Cli::try_parse_from([
            "capstan",
            "image",
            "import",
            "/tmp/x.tar",
            "--data-dir",
            "/tmp/a",
        ])
        .unwrap();
        let Command::Image(a) = c.command else {
            panic!()
        };
        assert!(matches!(a.command, ImageCommand::Import { .. }));
        assert_eq!(a.data_dir, PathBuf::from("/tmp/a"));
        assert!(Cli::try_parse_from(["capstan", "image", "ls"]).is_ok());
    }

    #[test]
    fn server_flags() {
        let c = Cli::try_parse_from([
            "capstan",
            "server",
            "--data-dir",
            "/tmp/x",
            "--https-listen-port",
            "7443",
            "--write-kubeconfig",
            "/tmp/k",
            "--disable-agent",
            "--disable-scheduler",
            "--disable-controller-manager",
        ])
        .unwrap();
        let Command::Server(a) = c.command else {
            panic!()
        };
        assert_eq!(a.https_listen_port, 7443);
        assert!(Cli::try_parse_from(["capstan", "server", "--https-listen-port", "x"]).is_err());
    }
}
