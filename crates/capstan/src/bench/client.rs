//! A small HTTP/2-over-TLS client for the benchmarks: it authenticates with
//! the admin client certificate from a kubeconfig and multiplexes many
//! requests over a few connections, as client-go does.

use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use base64::Engine;
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::Value;

/// Connection settings taken from a kubeconfig.
#[derive(Clone)]
pub struct Target {
    /// `https://host:port`.
    pub server: String,
    host: String,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
}

fn b64(v: &Value, path: &str) -> Result<Vec<u8>> {
    let s = v
        .pointer(path)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("kubeconfig lacks {path}"))?;
    Ok(base64::engine::general_purpose::STANDARD.decode(s)?)
}

impl Target {
    /// Read a kubeconfig written by `capstan server`.
    pub fn from_kubeconfig(path: &std::path::Path) -> Result<Self> {
        let text =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let kc = apimachinery::codec::yaml::from_yaml(&text)?;
        let server = kc
            .pointer("/clusters/0/cluster/server")
            .and_then(Value::as_str)
            .context("no server")?
            .to_string();
        let ca = b64(&kc, "/clusters/0/cluster/certificate-authority-data")?;
        let cert = b64(&kc, "/users/0/user/client-certificate-data")?;
        let key = b64(&kc, "/users/0/user/client-key-data")?;
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pemfile::certs(&mut ca.as_slice()) {
            roots.add(c?)?;
        }
        let certs: Vec<CertificateDer<'static>> =
            rustls_pemfile::certs(&mut cert.as_slice()).collect::<Result<_, _>>()?;
        let key: PrivateKeyDer<'static> =
            rustls_pemfile::private_key(&mut key.as_slice())?.context("no client key")?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_client_auth_cert(certs, key)?;
        tls.alpn_protocols = vec![b"h2".to_vec()];
        let hostport = server.trim_start_matches("https://");
        let (host, port) = hostport.rsplit_once(':').context("server without port")?;
        Ok(Self {
            server: server.clone(),
            host: host.trim_matches(['[', ']']).to_string(),
            port: port.parse()?,
            tls: Arc::new(tls),
        })
    }

    /// Open one HTTP/2 connection.
    pub async fn connect(&self) -> Result<Conn> {
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port)).await?;
        tcp.set_nodelay(true)?;
        let name = ServerName::try_from(self.host.clone())?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await?;
        let (send, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .initial_stream_window_size(1 << 20)
            .initial_connection_window_size(16 << 20)
            .handshake(TokioIo::new(tls))
            .await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn {
            send,
            base: self.server.clone(),
        })
    }
}

/// One multiplexed connection (cheap to clone).
#[derive(Clone)]
pub struct Conn {
    send: SendRequest<Full<Bytes>>,
    base: String,
}

/// A reply with its body read.
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Conn {
    /// Send a request and read the whole reply.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        content_type: &str,
    ) -> Result<Reply> {
        let resp = self.start(method, path, body, content_type).await?;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok(Reply { status, body })
    }

    /// Send a request and return the streaming reply (for watches).
    pub async fn start(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        content_type: &str,
    ) -> Result<http::Response<hyper::body::Incoming>> {
        let req = Request::builder()
            .method(method)
            .uri(format!("{}{}", self.base, path))
            .header("content-type", content_type)
            .header("accept", "application/json")
            .body(Full::new(body.unwrap_or_default()))?;
        let mut send = self.send.clone();
        send.ready().await?;
        Ok(send.send_request(req).await?)
    }
}
