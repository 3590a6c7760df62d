//! Durability: a child process (this test binary re-executed) writes concurrently and prints
//! every acknowledged write; the parent SIGKILLs it at a random moment, reopens the file and
//! checks that every acknowledged write is there with its exact value. A second test kills
//! the child over and over on the same file while it checkpoints every few milliseconds, so
//! kills land before, during and after checkpoints and WAL rewinds, and each reopen redoes
//! the WAL written since.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use storage::{EmbeddedOptions, EmbeddedStore, RangeRequest, Store, TxnOp, TxnRequest};

const CHILD_ENV: &str = "CAPSTAN_STORAGE_DURABILITY_CHILD";
/// Checkpoint interval of the child, in milliseconds (default: the store's).
const CHECKPOINT_ENV: &str = "CAPSTAN_STORAGE_DURABILITY_CHECKPOINT_MS";
const WRITERS: usize = 16;

fn value_for(task: usize, i: usize) -> Vec<u8> {
    let len = 100 + (i * 37 + task * 101) % 1900;
    (0..len).map(|j| (j * 7 + i + task) as u8).collect()
}

/// The child side. Does nothing unless re-executed by `acknowledged_writes_survive_sigkill`.
#[test]
fn durability_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut opts = EmbeddedOptions::default();
    if let Ok(ms) = std::env::var(CHECKPOINT_ENV) {
        opts.checkpoint_interval = Duration::from_millis(ms.parse().unwrap());
        // Size-triggered checkpoints and WAL file cuts too.
        opts.checkpoint_wal_bytes = 256 << 10;
    }
    rt.block_on(async move {
        let store = Arc::new(EmbeddedStore::open(Path::new(&path), opts).unwrap());
        let deadline = Instant::now() + Duration::from_secs(30);
        let tasks: Vec<_> = (0..WRITERS)
            .map(|task| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut i = 0;
                    while Instant::now() < deadline {
                        let key = format!("/d/{task}/{i}");
                        // Each txn also moves the task's "last" marker, to check ordering.
                        let mut req = TxnRequest::put(key.clone(), value_for(task, i));
                        req.success.push(TxnOp::Put {
                            key: format!("/last/{task}").into_bytes(),
                            value: i.to_string().into(),
                        });
                        store.txn(req).await.unwrap();
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "ACK {task} {i}").unwrap();
                        out.flush().unwrap();
                        i += 1;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
}

fn pseudo_random(max: u64) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    nanos
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        % max
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    for round in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        kill_and_check(round, &dir.path().join("store.redb"), None);
    }
}

#[test]
fn acknowledged_writes_survive_sigkill_across_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    for round in 0..8 {
        kill_and_check(round, &path, Some(3));
    }
}

/// Runs the child on `path`, SIGKILLs it at a random moment and checks its acknowledged
/// writes after reopening.
fn kill_and_check(round: usize, path: &Path, checkpoint_ms: Option<u64>) {
    let exe = std::env::current_exe().unwrap();
    {
        let mut command = Command::new(&exe);
        command
            .args([
                "durability::durability_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, path);
        if let Some(ms) = checkpoint_ms {
            command.env(CHECKPOINT_ENV, ms.to_string());
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (first_tx, first_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut acked = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut parts = line.split_whitespace();
                if parts.next() != Some("ACK") {
                    continue;
                }
                let task: usize = parts.next().unwrap().parse().unwrap();
                let i: usize = parts.next().unwrap().parse().unwrap();
                if acked.is_empty() {
                    let _ = first_tx.send(());
                }
                acked.push((task, i));
            }
            acked
        });
        first_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("child acknowledged a write");
        std::thread::sleep(Duration::from_millis(50 + pseudo_random(700)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let acked = reader.join().unwrap();

        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let store = EmbeddedStore::open(path, EmbeddedOptions::default())
                .expect("reopen after SIGKILL");
            let mut last = [None::<usize>; WRITERS];
            for &(task, i) in &acked {
                let kv = store
                    .get(format!("/d/{task}/{i}").as_bytes())
                    .await
                    .unwrap();
                let kv =
                    kv.unwrap_or_else(|| panic!("round {round}: acknowledged /d/{task}/{i} lost"));
                assert_eq!(kv.value.as_ref(), value_for(task, i).as_slice());
                last[task] = last[task].max(Some(i));
            }
            for (task, last) in last.iter().enumerate() {
                if let Some(last) = last {
                    let kv = store
                        .get(format!("/last/{task}").as_bytes())
                        .await
                        .unwrap()
                        .unwrap();
                    let stored: usize = std::str::from_utf8(&kv.value).unwrap().parse().unwrap();
                    assert!(
                        stored >= *last,
                        "marker {stored} behind acknowledged {last}"
                    );
                }
            }
            // Revisions are consistent with the data: every stored write has its own revision.
            let all = store.range(RangeRequest::prefix("/d/")).await.unwrap();
            assert!(all.count as usize >= acked.len());
            assert!(store.current_revision().await.unwrap() > all.count);
            eprintln!(
                "round {round}: {} acknowledged, {} stored, all present",
                acked.len(),
                all.count
            );
        });
    }
}
