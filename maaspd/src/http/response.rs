//! A BMC's successful answer: its status and headers, and its body read within the
//! client's limit, as bytes, text or JSON.

use serde::de::DeserializeOwned;
use ureq::http::StatusCode;

use super::{Client, failure};
use crate::{Error, Result};

/// A successful answer (a status below 300) to a [`Request`](super::Request).
///
/// ```no_run
/// # use maaspd::http::Client;
/// # use maaspd::{Action, Context};
/// # fn main() -> maaspd::Result<()> {
/// # let ctx = Context::new(Action::PowerQuery);
/// # let bmc = Client::builder().build()?;
/// let answer = bmc.get("http://10.0.0.5/status").send(&ctx)?;
/// let etag = answer.header("etag").map(str::to_owned);
/// let text = answer.text()?;
/// # let _ = (etag, text);
/// # Ok(())
/// # }
/// ```
pub struct Response {
    pub(super) client: Client,
    pub(super) place: String,
    pub(super) inner: ureq::http::Response<ureq::Body>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("request", &self.place)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Response {
    /// The status.
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerQuery);
    /// # let bmc = maaspd::http::Client::builder().build()?;
    /// let answer = bmc.get("http://10.0.0.5/status").send(&ctx)?;
    /// assert!(answer.status().is_success());
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn status(&self) -> StatusCode {
        self.inner.status()
    }

    /// A header's value, when it is text.
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerQuery);
    /// # let bmc = maaspd::http::Client::builder().build()?;
    /// let answer = bmc.get("https://bmc/redfish/v1/Systems/1").send(&ctx)?;
    /// let etag = answer.header("etag").map(str::to_owned);
    /// # let _ = etag;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers().get(name)?.to_str().ok()
    }

    /// The body, at most the client's limit (an `actionError` beyond it).
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerQuery);
    /// # let bmc = maaspd::http::Client::builder().build()?;
    /// let body = bmc.get("http://10.0.0.5/status").send(&ctx)?.bytes()?;
    /// # let _ = body;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn bytes(mut self) -> Result<Vec<u8>> {
        let limit = self.client.config.body_limit;
        self.inner
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|error| failure::transport(&self.client.config, &self.place, error))
    }

    /// The body as text (invalid UTF-8 replaced).
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerQuery);
    /// # let bmc = maaspd::http::Client::builder().build()?;
    /// let text = bmc.get("http://10.0.0.5/status").send(&ctx)?.text()?;
    /// let on = text.contains("running");
    /// # let _ = on;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn text(self) -> Result<String> {
        Ok(String::from_utf8_lossy(&self.bytes()?).into_owned())
    }

    /// The body as JSON; an empty body reads as `null`. An answer that is not the JSON
    /// expected is an `actionError`.
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context};
    /// # let ctx = Context::new(Action::PowerQuery);
    /// # let bmc = maaspd::http::Client::builder().build()?;
    /// let system: maaspd::serde_json::Value = bmc.get("https://bmc/redfish/v1/Systems/1").send(&ctx)?.json()?;
    /// let on = system["PowerState"] == "On";
    /// # let _ = on;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn json<T: DeserializeOwned>(self) -> Result<T> {
        let place = self.place.clone();
        let bytes = self.bytes()?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &bytes
        };
        serde_json::from_slice(bytes).map_err(|error| {
            Error::action(format!(
                "{place}: the answer is not the JSON expected (a JSON parse error: {error})"
            ))
        })
    }
}
