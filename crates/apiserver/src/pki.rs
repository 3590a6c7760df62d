//! Cluster PKI created on first start (as k3s does): a CA, a serving certificate
//! for the API server and an admin client certificate (CN `admin`, O `system:masters`),
//! plus the admin kubeconfig. Later starts reuse what is on disk.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

/// Paths of the PKI files under `<data-dir>/tls`.
#[derive(Debug, Clone)]
pub struct PkiPaths {
    /// CA certificate (PEM).
    pub ca_cert: PathBuf,
    /// CA key (PEM).
    pub ca_key: PathBuf,
    /// Serving certificate (PEM).
    pub serving_cert: PathBuf,
    /// Serving key (PEM).
    pub serving_key: PathBuf,
    /// Admin client certificate (PEM).
    pub admin_cert: PathBuf,
    /// Admin client key (PEM).
    pub admin_key: PathBuf,
}

impl PkiPaths {
    /// The files under `dir`.
    pub fn new(dir: &Path) -> Self {
        Self {
            ca_cert: dir.join("server-ca.crt"),
            ca_key: dir.join("server-ca.key"),
            serving_cert: dir.join("serving-kube-apiserver.crt"),
            serving_key: dir.join("serving-kube-apiserver.key"),
            admin_cert: dir.join("client-admin.crt"),
            admin_key: dir.join("client-admin.key"),
        }
    }
}

/// The PKI material, PEM-encoded.
#[derive(Debug, Clone)]
pub struct Pki {
    /// Where it lives.
    pub paths: PkiPaths,
    /// CA certificate.
    pub ca_cert_pem: String,
    /// Serving certificate.
    pub serving_cert_pem: String,
    /// Serving key.
    pub serving_key_pem: String,
    /// Admin client certificate.
    pub admin_cert_pem: String,
    /// Admin client key.
    pub admin_key_pem: String,
}

fn write_private(path: &Path, data: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(data.as_bytes())?;
    f.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn dn(cn: &str, org: Option<&str>) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::CommonName, cn);
    if let Some(o) = org {
        d.push(DnType::OrganizationName, o);
    }
    d
}

fn validity(p: &mut CertificateParams, years: i32) {
    let now = time_now();
    p.not_before = now - std::time::Duration::from_secs(3600);
    p.not_after = now + std::time::Duration::from_secs(365 * 24 * 3600 * years as u64);
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// Load the PKI from `dir`, creating whatever is missing. `sans` are extra
/// subject alternative names (host name, bind address) for the serving certificate.
pub fn ensure(dir: &Path, extra_sans: &[String]) -> Result<Pki> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let paths = PkiPaths::new(dir);
    let (ca_key, ca_cert_pem) = if paths.ca_cert.exists() && paths.ca_key.exists() {
        let key = KeyPair::from_pem(&fs::read_to_string(&paths.ca_key)?).context("bad CA key")?;
        (key, fs::read_to_string(&paths.ca_cert)?)
    } else {
        let key = KeyPair::generate()?;
        let mut p = CertificateParams::new(Vec::<String>::new())?;
        p.distinguished_name = dn(
            &format!("capstan-server-ca@{}", chrono::Utc::now().timestamp()),
            None,
        );
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        validity(&mut p, 10);
        let cert = p.self_signed(&key)?;
        write_private(&paths.ca_key, &key.serialize_pem())?;
        write_private(&paths.ca_cert, &cert.pem())?;
        // a new CA invalidates everything it signed before
        let _ = fs::remove_file(&paths.serving_cert);
        let _ = fs::remove_file(&paths.admin_cert);
        (key, cert.pem())
    };
    let ca_params = issuer_params(&ca_cert_pem)?;
    let issuer = Issuer::new(ca_params, &ca_key);

    let mut sans: Vec<String> = vec![
        "localhost".into(),
        "127.0.0.1".into(),
        "::1".into(),
        "kubernetes".into(),
        "kubernetes.default".into(),
    ];
    sans.push("kubernetes.default.svc".into());
    sans.push("kubernetes.default.svc.cluster.local".into());
    for s in extra_sans {
        if !s.is_empty() && s != "0.0.0.0" && s != "::" && !sans.contains(s) {
            sans.push(s.clone());
        }
    }
    let serving_ok = paths.serving_cert.exists()
        && paths.serving_key.exists()
        && covers(&paths.serving_cert, &sans);
    if !serving_ok {
        let key = KeyPair::generate()?;
        let mut p = CertificateParams::new(Vec::<String>::new())?;
        p.distinguished_name = dn("kube-apiserver", None);
        p.subject_alt_names = sans
            .iter()
            .map(|s| match s.parse::<IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => Ok(SanType::DnsName(s.clone().try_into()?)),
            })
            .collect::<Result<Vec<_>, rcgen::Error>>()?;
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        validity(&mut p, 1);
        let cert = p.signed_by(&key, &issuer)?;
        write_private(&paths.serving_key, &key.serialize_pem())?;
        write_private(&paths.serving_cert, &cert.pem())?;
    }
    if !(paths.admin_cert.exists() && paths.admin_key.exists()) {
        let (cert, key) = client_cert(&issuer, "admin", "system:masters")?;
        write_private(&paths.admin_key, &key)?;
        write_private(&paths.admin_cert, &cert)?;
    }
    Ok(Pki {
        ca_cert_pem,
        serving_cert_pem: fs::read_to_string(&paths.serving_cert)?,
        serving_key_pem: fs::read_to_string(&paths.serving_key)?,
        admin_cert_pem: fs::read_to_string(&paths.admin_cert)?,
        admin_key_pem: fs::read_to_string(&paths.admin_key)?,
        paths,
    })
}

/// The CA as an issuer's parameters: its subject, read from its certificate (the
/// issuer name of what it signs must match that subject exactly).
fn issuer_params(ca_cert_pem: &str) -> Result<CertificateParams> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    let parsed = x509_parser::pem::parse_x509_pem(ca_cert_pem.as_bytes())
        .map_err(|e| anyhow::anyhow!("bad CA certificate: {e}"))?
        .1;
    let x = parsed
        .parse_x509()
        .map_err(|e| anyhow::anyhow!("bad CA certificate: {e}"))?;
    let cn = x
        .subject()
        .iter_common_name()
        .next()
        .and_then(|c| c.as_str().ok())
        .unwrap_or("capstan-server-ca");
    p.distinguished_name = dn(cn, None);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    Ok(p)
}

/// A client certificate (PEM certificate, PEM key) for user `cn` in group `org`, valid a year.
fn client_cert(issuer: &Issuer<'_, &KeyPair>, cn: &str, org: &str) -> Result<(String, String)> {
    let key = KeyPair::generate()?;
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.distinguished_name = dn(cn, Some(org));
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    validity(&mut p, 1);
    let cert = p.signed_by(&key, issuer)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// A kubeconfig for a node agent: a client certificate signed by the cluster CA in `dir`
/// (made by [`ensure`]) for user `system:node:<node>` in group `system:nodes`, the
/// identity upstream's kubelets use, and `server` as the cluster.
pub fn node_kubeconfig(dir: &Path, node: &str, server: &str) -> Result<String> {
    let paths = PkiPaths::new(dir);
    let ca_cert_pem = fs::read_to_string(&paths.ca_cert)
        .with_context(|| format!("cannot read the cluster CA in {}", dir.display()))?;
    let ca_key = KeyPair::from_pem(&fs::read_to_string(&paths.ca_key)?).context("bad CA key")?;
    let issuer = Issuer::new(issuer_params(&ca_cert_pem)?, &ca_key);
    let (cert, key) = client_cert(&issuer, &format!("system:node:{node}"), "system:nodes")?;
    Ok(kubeconfig(&ca_cert_pem, server, &cert, &key))
}

fn kubeconfig(ca_pem: &str, server: &str, cert_pem: &str, key_pem: &str) -> String {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: {}\n    server: {}\n  name: default\ncontexts:\n- context:\n    cluster: default\n    user: default\n  name: default\ncurrent-context: default\npreferences: {{}}\nusers:\n- name: default\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n",
        b64(ca_pem),
        server,
        b64(cert_pem),
        b64(key_pem)
    )
}

/// True if the certificate at `path` lists every SAN in `sans`.
fn covers(path: &Path, sans: &[String]) -> bool {
    let Ok(pem) = fs::read(path) else {
        return false;
    };
    let Ok((_, pem)) = x509_parser::pem::parse_x509_pem(&pem) else {
        return false;
    };
    let Ok(cert) = pem.parse_x509() else {
        return false;
    };
    let Ok(Some(ext)) = cert.subject_alternative_name() else {
        return false;
    };
    let have: Vec<String> = ext
        .value
        .general_names
        .iter()
        .filter_map(|n| match n {
            x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_string()),
            x509_parser::extensions::GeneralName::IPAddress(b) => match b.len() {
                4 => Some(IpAddr::from(<[u8; 4]>::try_from(*b).ok()?).to_string()),
                16 => Some(IpAddr::from(<[u8; 16]>::try_from(*b).ok()?).to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    sans.iter().all(|s| have.contains(s))
}

/// Render the admin kubeconfig for `server` (e.g. `https://127.0.0.1:6443`).
pub fn admin_kubeconfig(pki: &Pki, server: &str) -> String {
    kubeconfig(
        &pki.ca_cert_pem,
        server,
        &pki.admin_cert_pem,
        &pki.admin_key_pem,
    )
}

/// Write the kubeconfig atomically with mode 0600.
pub fn write_kubeconfig(path: &Path, contents: &str) -> Result<()> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    write_private(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_then_reuses() {
        let d = tempfile::tempdir().unwrap();
        let a = ensure(d.path(), &["myhost".into()]).unwrap();
        let b = ensure(d.path(), &["myhost".into()]).unwrap();
        assert_eq!(a.serving_cert_pem, b.serving_cert_pem);
        assert_eq!(a.ca_cert_pem, b.ca_cert_pem);
        // a new SAN re-issues the serving cert under the same CA
        let c = ensure(d.path(), &["otherhost".into()]).unwrap();
        assert_ne!(a.serving_cert_pem, c.serving_cert_pem);
        assert_eq!(a.ca_cert_pem, c.ca_cert_pem);
        assert!(admin_kubeconfig(&a, "https://127.0.0.1:6443").contains("client-certificate-data"));
    }
}
