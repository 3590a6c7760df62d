//! Prometheus metrics of the API server (`/metrics`): requests by verb,
//! resource and code, request latency, open watches, store latency.

use std::sync::atomic::AtomicI64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    verb: String,
    resource: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    verb: String,
    resource: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResourceLabel {
    resource: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabel {
    operation: String,
}

fn latency_buckets() -> impl Iterator<Item = f64> {
    [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        60.0,
    ]
    .into_iter()
}

/// The API server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<LatencyLabels, Histogram, fn() -> Histogram>,
    watchers: Family<ResourceLabel, Gauge<i64, AtomicI64>>,
    store_latency: Family<OperationLabel, Histogram, fn() -> Histogram>,
}

fn new_hist() -> Histogram {
    Histogram::new(latency_buckets())
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Register every metric.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency =
            Family::<LatencyLabels, Histogram, fn() -> Histogram>::new_with_constructor(new_hist);
        let watchers = Family::<ResourceLabel, Gauge<i64, AtomicI64>>::default();
        let store_latency =
            Family::<OperationLabel, Histogram, fn() -> Histogram>::new_with_constructor(new_hist);
        registry.register(
            "apiserver_request",
            "Requests by verb, resource and HTTP code",
            requests.clone(),
        );
        registry.register(
            "apiserver_request_duration_seconds",
            "Request latency by verb and resource",
            latency.clone(),
        );
        registry.register(
            "apiserver_registered_watchers",
            "Open watches by resource",
            watchers.clone(),
        );
        registry.register(
            "etcd_request_duration_seconds",
            "Store operation latency by operation",
            store_latency.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            watchers,
            store_latency,
        }
    }

    /// Count a finished request.
    pub fn request(&self, verb: &str, resource: &str, code: u16, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                verb: verb.into(),
                resource: resource.into(),
                code: code.to_string(),
            })
            .inc();
        if verb != "watch" {
            self.latency
                .get_or_create(&LatencyLabels {
                    verb: verb.into(),
                    resource: resource.into(),
                })
                .observe(took.as_secs_f64());
        }
    }

    /// A watch opened.
    pub fn watch_started(&self, resource: &str) {
        self.watchers
            .get_or_create(&ResourceLabel {
                resource: resource.into(),
            })
            .inc();
    }

    /// A watch closed.
    pub fn watch_ended(&self, resource: &str) {
        self.watchers
            .get_or_create(&ResourceLabel {
                resource: resource.into(),
            })
            .dec();
    }

    /// Record a store operation's latency.
    pub fn store_op(&self, operation: &str, took: Duration) {
        self.store_latency
            .get_or_create(&OperationLabel {
                operation: operation.into(),
            })
            .observe(took.as_secs_f64());
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut s, &self.registry);
        s
    }
}
