//! The HTTPS listener: rustls with ALPN `h2` and `http/1.1`, optional client
//! certificates verified against the cluster CA, and one hyper connection
//! task per client (upgrades allowed for exec/attach later), its writes coalesced
//! (`coalesce.rs`).

use std::sync::Arc;

use anyhow::{Context, Result};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::auth::ConnectionAuth;
use crate::coalesce::Coalesce;
use crate::conn_timeouts::{Activity, GuardedBody, Timeouts, Tracked, Verdict};
use crate::pki::Pki;
use crate::server::ApiServer;

fn certs(pem: &str) -> Result<Vec<CertificateDer<'static>>> {
    rustls_pemfile::certs(&mut pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .context("bad certificate PEM")
}

/// The rustls server configuration.
pub fn server_config(pki: &Pki) -> Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in certs(&pki.ca_cert_pem)? {
        roots.add(c).context("bad CA certificate")?;
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()
    .context("client verifier")?;
    let key: PrivateKeyDer<'static> =
        rustls_pemfile::private_key(&mut pki.serving_key_pem.as_bytes())
            .context("bad serving key")?
            .context("no serving key")?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS versions")?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs(&pki.serving_cert_pem)?, key)
        .context("serving certificate")?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

fn subject_of(der: &CertificateDer<'_>) -> Option<(String, Vec<String>)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    let subject = cert.subject();
    let cn = subject
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_string();
    let orgs = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok().map(str::to_string))
        .collect();
    Some((cn, orgs))
}

/// Accept connections until `shutdown` turns true.
pub async fn accept_loop(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    server: Arc<ApiServer>,
    timeouts: Timeouts,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let server = server.clone();
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(timeouts.header, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            let tls_conn = stream.get_ref().1;
            let conn_auth = Arc::new(ConnectionAuth {
                client_cert: tls_conn
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .and_then(subject_of),
            });
            let activity = Activity::new(tls_conn.alpn_protocol() == Some(b"h2"));
            let stream = Tracked::new(Coalesce::new(stream), activity.clone());
            let requests = activity.clone();
            let svc = service_fn(move |req| {
                let server = server.clone();
                let conn_auth = conn_auth.clone();
                let in_flight = requests.begin();
                async move {
                    let resp = crate::handler::handle(server, &conn_auth, req).await;
                    Ok::<_, std::convert::Infallible>(resp.map(|b| GuardedBody::new(b, in_flight)))
                }
            });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder
                .http2()
                .max_concurrent_streams(Some(10_000))
                .initial_stream_window_size(Some(1 << 20))
                .initial_connection_window_size(Some(16 << 20))
                // what one stream may have queued and unsent: bounds what a client that
                // does not read (with a large window) holds in the server
                .max_send_buf_size(16 << 10);
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            // the watchdog: deadlines between requests (conn_timeouts.rs)
            let mut check = Instant::now();
            let mut closing: Option<Instant> = None;
            loop {
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                        return;
                    }
                    _ = tokio::time::sleep_until(check) => {
                        let now = Instant::now();
                        if closing.is_some_and(|c| now >= c) {
                            tracing::debug!(%peer, "connection did not close in time");
                            return;
                        }
                        match activity.verdict(now, timeouts) {
                            Verdict::KeepUntil(t) => check = closing.map_or(t, |c| c.min(t)),
                            Verdict::Shutdown if closing.is_none() => {
                                tracing::debug!(%peer, "idle connection closed");
                                conn.as_mut().graceful_shutdown();
                                let c = now + std::time::Duration::from_secs(5);
                                closing = Some(c);
                                check = c;
                            }
                            Verdict::Shutdown => check = closing.unwrap_or(now),
                            Verdict::Close => {
                                tracing::debug!(%peer, "request headers timed out");
                                return;
                            }
                        }
                    }
                }
            }
        });
    }
}
