//! The OCI runtime binary (`crun` or `runc` from PATH) driven through its command line:
//! `create` (the container's stdout and stderr are the file descriptors passed to it, so
//! they go straight to the container's log file), `start`, `state`, `kill`, `delete`.
//!
//! A created container's init process outlives the runtime binary and is re-parented to
//! the nearest child subreaper: the agent makes itself one ([`become_subreaper`]) and
//! reaps the init itself ([`wait_exit`]), so an exit code is never lost to PID 1 (which
//! reaps orphans on these machines within seconds, see HOST-NOTES).
//!
//! `crun` is preferred; on a host whose cgroups are in hybrid mode (v1 controllers and a
//! cgroup2 hierarchy holding controllers), which crun 1.8 refuses, `runc` is used.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runner errors.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The binary could not be run.
    #[error("cannot run {0}: {1}")]
    Spawn(String, #[source] std::io::Error),
    /// It ran and failed, with what it said.
    #[error("{0} failed: {1}")]
    Failed(String, String),
    /// No usable runtime binary.
    #[error("no OCI runtime found: install crun or runc")]
    Missing,
}

/// One OCI runtime binary with its state directory.
#[derive(Debug, Clone)]
pub struct OciBinary {
    /// The executable.
    pub path: PathBuf,
    /// Its `--root` (container state).
    pub root: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// True if cgroups are in hybrid mode with controllers in the v2 hierarchy (crun 1.8
/// refuses to run there).
fn hybrid_with_v2_controllers() -> bool {
    let v2 = Path::new("/sys/fs/cgroup/unified");
    v2.join("cgroup.controllers").is_file()
        && std::fs::read_to_string(v2.join("cgroup.controllers"))
            .is_ok_and(|c| !c.trim().is_empty())
}

impl OciBinary {
    /// `crun` if it can run here, else `runc`; state under `root`.
    pub fn find(root: &Path) -> Result<Self, RunnerError> {
        let crun = on_path("crun").filter(|_| !hybrid_with_v2_controllers());
        let path = crun
            .or_else(|| on_path("runc"))
            .ok_or(RunnerError::Missing)?;
        Ok(OciBinary {
            path,
            root: root.to_path_buf(),
        })
    }

    /// `name://version` of the binary (`runc://1.1.5`).
    pub fn version(&self) -> Result<String, RunnerError> {
        let out = self.run(&["--version"])?;
        let first = out.lines().next().unwrap_or_default();
        let version = first.split_whitespace().nth(2).unwrap_or("unknown");
        Ok(format!("{}://{version}", self.name()))
    }

    fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.path);
        c.arg("--root").arg(&self.root);
        c
    }

    fn run(&self, args: &[&str]) -> Result<String, RunnerError> {
        let what = format!("{} {}", self.name(), args.join(" "));
        let out = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| RunnerError::Spawn(what.clone(), e))?;
        if !out.status.success() {
            return Err(RunnerError::Failed(
                what,
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Create container `id` from `bundle`; its stdout and stderr go to `log` (appended).
    /// The init process' pid.
    pub fn create(&self, id: &str, bundle: &Path, log: &Path) -> Result<u32, RunnerError> {
        let what = format!("{} create {id}", self.name());
        let pid_file = bundle.join("init.pid");
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| RunnerError::Spawn(what.clone(), e))?;
        let err = out
            .try_clone()
            .map_err(|e| RunnerError::Spawn(what.clone(), e))?;
        let runtime_log = bundle.join("runtime.log");
        let status = self
            .command()
            .arg("--log")
            .arg(&runtime_log)
            .arg("create")
            .arg("--bundle")
            .arg(bundle)
            .arg("--pid-file")
            .arg(&pid_file)
            .arg(id)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .status()
            .map_err(|e| RunnerError::Spawn(what.clone(), e))?;
        if !status.success() {
            let said = std::fs::read_to_string(&runtime_log).unwrap_or_default();
            return Err(RunnerError::Failed(what, said.trim().to_string()));
        }
        std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|p| p.trim().parse().ok())
            .ok_or_else(|| RunnerError::Failed(what, "no pid file".into()))
    }

    /// Start created container `id`.
    pub fn start(&self, id: &str) -> Result<(), RunnerError> {
        self.run(&["start", id]).map(|_| ())
    }

    /// The runtime's state of `id` (`status`: created, running, stopped; `pid`).
    pub fn state(&self, id: &str) -> Result<Value, RunnerError> {
        let out = self.run(&["state", id])?;
        serde_json::from_str(&out)
            .map_err(|e| RunnerError::Failed(format!("state {id}"), e.to_string()))
    }

    /// Send `signal` (`TERM`, `KILL`) to the container's init.
    pub fn kill(&self, id: &str, signal: &str) -> Result<(), RunnerError> {
        self.run(&["kill", id, signal]).map(|_| ())
    }

    /// Delete container `id` (forced: a running one is killed first).
    pub fn delete(&self, id: &str) -> Result<(), RunnerError> {
        self.run(&["delete", "--force", id]).map(|_| ())
    }
}

/// Make this process the subreaper of its descendants.
pub fn become_subreaper() -> std::io::Result<()> {
    rustix::process::set_child_subreaper(Some(rustix::process::getpid())).map_err(Into::into)
}

/// Wait for process `pid` (a container's init re-parented to this subreaper) to end; its
/// exit code, or 128 + the signal that killed it, as a shell reports it.
pub fn wait_exit(pid: u32) -> std::io::Result<i32> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| std::io::Error::other("bad pid"))?;
    loop {
        match rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()) {
            Ok(Some((_, status))) => {
                if let Some(code) = status.exit_status() {
                    return Ok(code);
                }
                if let Some(sig) = status.terminating_signal() {
                    return Ok(128 + sig);
                }
            }
            Ok(None) => {}
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::oci::spec::ContainerSpec;

    /// Deletes the container when the test ends, passed or not.
    struct Cleanup<'a>(&'a OciBinary, &'a str);

    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            let _ = self.0.delete(self.1);
        }
    }

    #[test]
    fn a_container_runs_and_its_exit_code_and_output_are_kept() {
        assert!(
            rustix::process::geteuid().is_root(),
            "this test runs a real container: run it as root (CI does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let rootfs = crate::runtime::oci::busybox_rootfs(dir.path());
        let id = format!("capstan-test-{:08x}", rand::random::<u32>());
        let rt = crate::runtime::oci::test_bundle(
            dir.path(),
            &ContainerSpec {
                args: vec![
                    "sh".into(),
                    "-c".into(),
                    "echo hello from $HOSTNAME; exit 3".into(),
                ],
                env: vec!["PATH=/bin".into(), "HOSTNAME=web".into()],
                rootfs: rootfs.clone(),
                hostname: "web".into(),
                cgroups_path: format!("/{id}"),
                cpu: (2, None),
                memory_limit: Some(64 << 20),
                ..Default::default()
            },
        );
        assert!(rt.version().unwrap().contains("://"));
        let log = dir.path().join("c.log");
        let pid = rt.create(&id, dir.path(), &log).unwrap();
        let _cleanup = Cleanup(&rt, &id);
        assert_eq!(rt.state(&id).unwrap()["status"], "created");
        rt.start(&id).unwrap();
        assert_eq!(wait_exit(pid).unwrap(), 3);
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "hello from web\n");
        assert_eq!(rt.state(&id).unwrap()["status"], "stopped");
        rt.delete(&id).unwrap();
        assert!(rt.state(&id).is_err());
        // the runtime removed the container's cgroup
        assert!(!Path::new("/sys/fs/cgroup/memory").join(&id).exists());
    }
}
