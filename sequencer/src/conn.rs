//! The HTTP/1.1 server under the API, with bounds a slow or idle client cannot
//! exceed (axum's own `serve` never closes a connection by itself).
//!
//! - **Header timeout**: a connection must deliver a complete request head
//!   within [`ConnectionLimits::header_timeout`] of the server starting to wait
//!   for one. That covers a silent connect, an idle keep-alive between requests
//!   and a half-sent head alike: each is closed when the timeout passes.
//! - **Request timeout**: a request (its body included) is answered within
//!   [`ConnectionLimits::request_timeout`], or gets `408` and the connection
//!   closes.
//! - **Open connections**: at most [`ConnectionLimits::max_connections`]. A new
//!   connection beyond it evicts the connection idle for longest (no request in
//!   flight); if every one is busy the new one is closed at once. So idle
//!   sockets can never keep a normal client out, and file descriptors stay
//!   bounded.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower_service::Service;

use clearproof_api::wire::{ErrorBody, ErrorDetail};

/// Bounds on what connections may cost.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Open connections at most (beyond it, the longest-idle one is closed).
    pub max_connections: usize,
    /// Time to deliver a request head, counted from when the server waits for
    /// one (the connect, or the previous answer on a keep-alive connection).
    pub header_timeout: Duration,
    /// Time to read a request's body and answer it.
    pub request_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 1_024,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// One open connection, as the eviction sees it.
struct Open {
    in_flight: AtomicUsize,
    /// Milliseconds since the server started, at the last request's start or end.
    last_active: AtomicU64,
    evict: Notify,
}

#[derive(Default)]
struct Registry {
    open: Mutex<HashMap<u64, Arc<Open>>>,
}

impl Registry {
    /// Makes room for one more connection: `false` if every open one is busy.
    fn make_room(&self, max: usize) -> bool {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.len() < max {
            return true;
        }
        let idle = open
            .iter()
            .filter(|(_, c)| c.in_flight.load(Ordering::Acquire) == 0)
            .min_by_key(|(_, c)| c.last_active.load(Ordering::Relaxed))
            .map(|(id, _)| *id);
        match idle.and_then(|id| open.remove(&id)) {
            Some(c) => {
                // Removed now, so it is neither counted nor chosen again while closing.
                c.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Serves `app` on `listener` within `limits`, until an unrecoverable error.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
) -> std::io::Result<()> {
    let registry = Arc::new(Registry::default());
    let started = Instant::now();
    let clock = move || started.elapsed().as_millis() as u64;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
    let mut next_id = 0u64;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors or a transient error: back off, go on.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Evicted connections take a moment to close: count them as open until then.
        if !registry.make_room(limits.max_connections) {
            tracing::debug!(%peer, "every connection busy: new connection closed");
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        next_id += 1;
        let id = next_id;
        let open = Arc::new(Open {
            in_flight: AtomicUsize::new(0),
            last_active: AtomicU64::new(clock()),
            evict: Notify::new(),
        });
        registry.open.lock().unwrap_or_else(|e| e.into_inner()).insert(id, open.clone());
        let service = {
            let (app, open) = (app.clone(), open.clone());
            hyper::service::service_fn(move |request: Request<Incoming>| {
                let (mut app, open) = (app.clone(), open.clone());
                open.in_flight.fetch_add(1, Ordering::AcqRel);
                open.last_active.store(clock(), Ordering::Relaxed);
                async move {
                    let limit = limits.request_timeout;
                    let response = tokio::time::timeout(limit, app.call(request.map(Body::new)))
                        .await
                        .unwrap_or_else(|_| Ok(timed_out(limit)));
                    open.last_active.store(clock(), Ordering::Relaxed);
                    open.in_flight.fetch_sub(1, Ordering::AcqRel);
                    Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
                }
            })
        };
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let registry = registry.clone();
        tokio::spawn(async move {
            tokio::select! {
                result = connection => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection closed");
                    }
                }
                _ = open.evict.notified() => {
                    tracing::debug!(%peer, "idle connection evicted");
                }
            }
            registry.open.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        });
    }
}

/// The `408` answer to a request not completed within `limit` (a body trickled
/// in); the connection closes after it.
fn timed_out(limit: Duration) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = ErrorBody {
        error: ErrorDetail {
            code: "REQUEST_TIMEOUT".into(),
            message: format!("request not completed within {} ms", limit.as_millis()),
            id: None,
        },
    };
    let mut response = (StatusCode::REQUEST_TIMEOUT, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
