//! The driver's service in-process: the requests `DRIVER serve` answers, sent without a
//! socket.

use std::fmt;
use std::marker::PhantomData;

use axum::body::Body;
use axum::http::Request;
use tokio::runtime::Runtime;

use crate::PowerDriver;
use crate::service::Options;

/// Driver `D`'s service in-process: the endpoints `DRIVER serve` answers on its socket,
/// bounded as it bounds them (workers, deadline, turns per BMC) and run on the same kind
/// of runtime, reached without a socket or a connection.
///
/// Requests and answers are plain values, the method and the path as text, bodies as
/// bytes, the status as its number, rather than the HTTP stack's types: a test needs
/// neither axum nor the `http` crate, and the service's stack may change under it. Each
/// request is logged on stderr, as `serve` logs it.
///
/// ```
/// use maaspd::{PowerState, testing};
/// use maaspd::serde_json::{Value, json};
///
/// /// A lamp, lit or not as its settings say.
/// #[maaspd::parameters]
/// struct Lamp {
///     /// Whether it is lit.
///     on: bool,
/// }
///
/// #[maaspd::power_driver(description = "A lamp", main = false)]
/// impl Lamp {
///     fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
///     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
///     fn power_query(&self) -> maaspd::Result<PowerState> { Ok(self.on.into()) }
/// }
///
/// let service = testing::Service::<Lamp>::new();
/// let request = json!({"system_id": "abc123", "context": {"on": true}});
/// let reply = service.send("POST", "/query", request.to_string());
/// assert_eq!(reply.status, 200);
/// let answer: Value = maaspd::serde_json::from_slice(&reply.body).unwrap();
/// assert_eq!(answer, json!({"status": "ok", "state": "on"}));
/// ```
pub struct Service<D> {
    router: axum::Router,
    /// Taken only when the service is dropped, to shut the runtime down without waiting.
    runtime: Option<Runtime>,
    driver: PhantomData<fn() -> D>,
}

/// What the service answered: the HTTP status, and the body, a JSON document (empty for
/// `HEAD`).
///
/// ```
/// # use maaspd::{PowerState, testing};
/// # #[maaspd::parameters] struct Lamp {}
/// # #[maaspd::power_driver(description = "A lamp", main = false)]
/// # impl Lamp {
/// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
/// # }
/// let service = testing::Service::<Lamp>::new();
/// let reply = service.send("GET", "/nowhere", "");
/// assert_eq!(reply.status, 404);
/// let answer: maaspd::serde_json::Value = maaspd::serde_json::from_slice(&reply.body).unwrap();
/// assert_eq!(answer["error_type"], "not_found");
///
/// assert_eq!(service.send("HEAD", "/metadata", "").body, b"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceReply {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

impl<D: PowerDriver> Service<D> {
    /// The service as `DRIVER serve` runs it by default
    /// ([`Options::for_driver`](crate::service::Options::for_driver)).
    ///
    /// ```
    /// # use maaspd::{PowerState, testing};
    /// # #[maaspd::parameters] struct Lamp {}
    /// # #[maaspd::power_driver(description = "A lamp", name = "lamp", main = false)]
    /// # impl Lamp {
    /// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
    /// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    /// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
    /// # }
    /// let service = testing::Service::<Lamp>::new();
    /// let metadata = service.send("GET", "/metadata", "");
    /// let metadata: maaspd::serde_json::Value = maaspd::serde_json::from_slice(&metadata.body).unwrap();
    /// assert_eq!(metadata["name"], "lamp");
    /// ```
    ///
    /// # Panics
    ///
    /// When tokio's runtime cannot start (no threads left).
    pub fn new() -> Service<D> {
        Service::with_options(Options::for_driver::<D>())
    }

    /// The service as `DRIVER serve` runs it with `options`: its workers, abandoned
    /// actions, turns per BMC and deadline. The socket and connection settings have
    /// nothing to apply to: there is no socket.
    ///
    /// ```
    /// use std::time::Duration;
    /// use maaspd::{Context, PowerState, testing};
    /// use maaspd::serde_json::{Value, json};
    ///
    /// /// A BMC that never finishes switching on.
    /// #[maaspd::parameters]
    /// struct Bmc {}
    ///
    /// #[maaspd::power_driver(description = "A BMC", main = false)]
    /// impl Bmc {
    ///     fn power_on(&self, ctx: &Context) -> maaspd::Result<()> {
    ///         ctx.sleep(Duration::from_secs(60)) // cut at the deadline
    ///     }
    ///     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    ///     fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::Off) }
    /// }
    ///
    /// let mut options = maaspd::service::Options::for_driver::<Bmc>();
    /// options.timeout = Duration::from_millis(200);
    /// let service = testing::Service::<Bmc>::with_options(options);
    ///
    /// let request = json!({"system_id": "abc123", "context": {}});
    /// let reply = service.send("POST", "/on", request.to_string());
    /// assert_eq!(reply.status, 503);
    /// let answer: Value = maaspd::serde_json::from_slice(&reply.body).unwrap();
    /// assert_eq!(answer["error_message"], "timed out after 0.2 s");
    /// ```
    ///
    /// # Panics
    ///
    /// When tokio's runtime cannot start (no threads left).
    pub fn with_options(options: Options) -> Service<D> {
        let runtime = crate::service::runtime(&options).expect("tokio's runtime starts");
        Service {
            router: crate::service::router::<D>(&options),
            runtime: Some(runtime),
            driver: PhantomData,
        }
    }

    /// Sends `METHOD TARGET` with `body` and waits for the answer, as a client on the
    /// socket would. `target` is what the request line holds: the path, and a query if
    /// any.
    ///
    /// ```
    /// # use maaspd::{PowerState, testing};
    /// # use maaspd::serde_json::{Value, json};
    /// # #[maaspd::parameters] struct Lamp {}
    /// # #[maaspd::power_driver(description = "A lamp", main = false)]
    /// # impl Lamp {
    /// #   fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
    /// #   fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    /// #   fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
    /// # }
    /// let service = testing::Service::<Lamp>::new();
    /// let reply = service.send("POST", "/on", r#"{"system_id": "abc123"}"#);
    /// assert_eq!(reply.status, 400);
    /// let answer: Value = maaspd::serde_json::from_slice(&reply.body).unwrap();
    /// assert_eq!(answer["error_type"], "invalid_parameters");
    /// ```
    ///
    /// # Panics
    ///
    /// When `method` is not an HTTP method (a token) or `target` not a request target,
    /// which no client could send; and when called inside an async runtime (a
    /// `#[tokio::test]`), as the service blocks on a runtime of its own.
    pub fn send(&self, method: &str, target: &str, body: impl Into<Vec<u8>>) -> ServiceReply {
        let request = Request::builder()
            .method(method)
            .uri(target)
            .body(Body::from(body.into()))
            .unwrap_or_else(|error| panic!("no client sends `{method} {target}`: {error}"));
        let mut router = self.router.clone();
        let runtime = self.runtime.as_ref().expect("taken only on drop");
        runtime.block_on(async move {
            // A `Router` is always ready: no `poll_ready` is owed before `call`.
            let answer = match tower_service::Service::call(&mut router, request).await {
                Ok(answer) => answer,
                Err(infallible) => match infallible {},
            };
            let status = answer.status().as_u16();
            let body = axum::body::to_bytes(answer.into_body(), usize::MAX)
                .await
                .expect("the service's answers are made in memory");
            ServiceReply {
                status,
                body: body.to_vec(),
            }
        })
    }
}

impl<D: PowerDriver> Default for Service<D> {
    fn default() -> Service<D> {
        Service::new()
    }
}

impl<D: PowerDriver> fmt::Debug for Service<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service")
            .field("driver", &D::NAME)
            .finish_non_exhaustive()
    }
}

impl<D> Drop for Service<D> {
    /// Actions still running past their deadline are abandoned, as `serve` abandons them
    /// when it stops, rather than awaited.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
