//! `capstan image import` and `capstan image ls` on the real binary.

use std::process::Command;

fn capstan(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_capstan"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn add(t: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    t.append_data(&mut h, path, data).unwrap();
}

#[test]
fn an_imported_archive_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut layer = tar::Builder::new(Vec::new());
    add(&mut layer, "etc/motd", b"hello\n");
    let layer = layer.into_inner().unwrap();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let mut t = tar::Builder::new(Vec::new());
    add(&mut t, "config.json", config);
    add(&mut t, "l1/layer.tar", &layer);
    add(
        &mut t,
        "manifest.json",
        br#"[{"Config":"config.json","RepoTags":["motd:1"],"Layers":["l1/layer.tar"]}]"#,
    );
    let archive = dir.path().join("motd.tar");
    std::fs::write(&archive, t.into_inner().unwrap()).unwrap();
    let data = dir.path().join("agent");
    let data = data.to_str().unwrap();
    let (ok, out, err) = capstan(&[
        "image",
        "import",
        archive.to_str().unwrap(),
        "--data-dir",
        data,
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("imported docker.io/library/motd:1"), "{out}");
    let (ok, out, err) = capstan(&["image", "ls", "--data-dir", data]);
    assert!(ok, "{err}");
    assert!(
        out.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("docker.io/library/motd:1")),
        "{out}"
    );
    // an archive that is not one names the problem
    let (ok, _, err) = capstan(&["image", "import", "/dev/null", "--data-dir", data]);
    assert!(!ok && err.contains("neither an OCI image layout"), "{err}");
}
