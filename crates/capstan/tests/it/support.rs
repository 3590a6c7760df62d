//! Start and stop `capstan server` processes on free ports in temp dirs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `capstan server` child process.
pub struct ServerProc {
    pub child: Option<Child>,
    pub data_dir: PathBuf,
    pub kubeconfig: PathBuf,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl ServerProc {
    /// Start a server on `data_dir` (reused across restarts) and wait until it is ready.
    pub async fn start(data_dir: &Path, port: u16) -> Self {
        Self::start_with(data_dir, port, &[]).await
    }

    /// [`ServerProc::start`] with extra `capstan server` flags.
    pub async fn start_with(data_dir: &Path, port: u16, extra: &[&str]) -> Self {
        let kubeconfig = data_dir.join("kubeconfig.yaml");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.join("server.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_capstan"))
            .args([
                "server",
                "--bind-address",
                "127.0.0.1",
                "--https-listen-port",
                &port.to_string(),
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--write-kubeconfig")
            .arg(&kubeconfig)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn capstan");
        let mut s = ServerProc {
            child: Some(child),
            data_dir: data_dir.to_path_buf(),
            kubeconfig,
        };
        s.wait_ready().await;
        s
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                let log =
                    std::fs::read_to_string(self.data_dir.join("server.log")).unwrap_or_default();
                panic!("capstan server exited with {status}: {log}");
            }
            if self.kubeconfig.exists()
                && let Ok(c) = self.client().await
                && c.apiserver_version().await.is_ok()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "capstan server did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A `kube` client from the written kubeconfig.
    pub async fn client(&self) -> Result<kube::Client, kube::Error> {
        let kc = kube::config::Kubeconfig::read_from(&self.kubeconfig)
            .map_err(kube::Error::InferKubeconfig)?;
        let cfg =
            kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
                .await
                .map_err(kube::Error::InferKubeconfig)?;
        kube::Client::try_from(cfg)
    }

    /// SIGKILL the server and wait for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Poll `f` until it returns true or the deadline passes.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}
