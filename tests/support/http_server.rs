//! A small HTTP/1.1 server on 127.0.0.1, plain or TLS (a fresh self-signed certificate
//! from rcgen, served by rustls), for the webhook driver's tests: it answers each request
//! with what a handler returns, records every request, and stops when dropped.
//!
//! One connection at a time, one request per connection (`Connection: close`); every
//! socket read and write has a deadline, so a stuck client cannot hold a test.

#![allow(dead_code)] // each test uses its own part of this module

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the server waits on a socket before giving up on a client.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(5);
/// The most a request head may hold.
const MAX_HEAD: usize = 64 * 1024;

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target: path and query, as sent.
    pub target: String,
    /// Header names as sent, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The value of the header `name` (any case), if it was sent once or more.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The target without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The whole head, as text, for a server that echoes what it got.
    pub fn head_text(&self) -> String {
        let mut text = format!("{} {}\n", self.method, self.target);
        for (name, value) in &self.headers {
            text.push_str(&format!("{name}: {value}\n"));
        }
        text
    }
}

/// What the handler answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// An answer with `status` and no body.
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A 200 with `body`.
    pub fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply::status(200).body(body)
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A running server; dropping it stops it.
pub struct HttpServer {
    addr: SocketAddr,
    tls: bool,
    cert_pem: Option<String>,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Request>>>,
    /// How many connections it accepted.
    connections: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    /// A plain HTTP server.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> HttpServer {
        HttpServer::spawn(None, false, Arc::new(handler))
    }

    /// An HTTPS server whose certificate is self-signed, for `names` (IP addresses or DNS
    /// names, as rcgen reads them).
    pub fn start_tls(
        names: &[&str],
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> HttpServer {
        HttpServer::start_tls_with(names, false, Arc::new(handler))
    }

    /// [`HttpServer::start_tls`], keeping each connection open for further requests
    /// (HTTP/1.1 persistent connections), one connection at a time.
    pub fn start_tls_keep_alive(
        names: &[&str],
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> HttpServer {
        HttpServer::start_tls_with(names, true, Arc::new(handler))
    }

    fn start_tls_with(names: &[&str], keep_alive: bool, handler: Arc<Handler>) -> HttpServer {
        let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        let certified =
            rcgen::generate_simple_self_signed(names).expect("rcgen makes a certificate");
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .expect("rustls takes rcgen's certificate and key");
        let mut server = HttpServer::spawn(Some(Arc::new(config)), keep_alive, handler);
        server.cert_pem = Some(certified.cert.pem());
        server
    }

    fn spawn(
        tls: Option<Arc<rustls::ServerConfig>>,
        keep_alive: bool,
        handler: Arc<Handler>,
    ) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("the listener's address");
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (stop, requests, tls) = (stop.clone(), requests.clone(), tls.clone());
            let connections = connections.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    // A client that fails (a refused certificate, a bad request) is
                    // only that client's problem: the test sees it in the driver's output.
                    let _ = serve(stream, tls.clone(), keep_alive, &*handler, &requests);
                }
            })
        };
        HttpServer {
            addr,
            tls: tls.is_some(),
            cert_pem: None,
            stop,
            requests,
            connections,
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT` + `path` (or `https://`).
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    /// The PEM of the TLS server's certificate.
    pub fn cert_pem(&self) -> &str {
        self.cert_pem.as_deref().expect("a TLS server")
    }

    /// How many connections it accepted so far (for TLS, as many handshakes).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop, which then sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, SOCKET_TIMEOUT);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A port on 127.0.0.1 where nothing listens (it was free a moment ago).
pub fn dead_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener
        .local_addr()
        .expect("the listener's address")
        .port()
}

fn serve(
    stream: TcpStream,
    tls: Option<Arc<rustls::ServerConfig>>,
    keep_alive: bool,
    handler: &Handler,
    requests: &Mutex<Vec<Request>>,
) -> io::Result<()> {
    stream.set_read_timeout(Some(SOCKET_TIMEOUT))?;
    stream.set_write_timeout(Some(SOCKET_TIMEOUT))?;
    match tls {
        None => exchanges(stream, keep_alive, handler, requests),
        Some(config) => {
            let connection = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
            exchanges(
                rustls::StreamOwned::new(connection, stream),
                keep_alive,
                handler,
                requests,
            )
        }
    }
}

/// One exchange, or with `keep_alive` as many as the client sends on the connection.
fn exchanges(
    mut stream: impl Read + Write,
    keep_alive: bool,
    handler: &Handler,
    requests: &Mutex<Vec<Request>>,
) -> io::Result<()> {
    exchange(&mut stream, keep_alive, handler, requests)?;
    if keep_alive {
        // Until the client closes its idle connection.
        while exchange(&mut stream, keep_alive, handler, requests).is_ok() {}
    }
    Ok(())
}

/// Reads one request, records it, writes the handler's reply.
fn exchange(
    mut stream: impl Read + Write,
    keep_alive: bool,
    handler: &Handler,
    requests: &Mutex<Vec<Request>>,
) -> io::Result<()> {
    let request = read_request(&mut stream)?;
    requests.lock().unwrap().push(request.clone());
    let reply = handler(&request);
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let connection = if keep_alive { "keep-alive" } else { "close" };
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: {connection}\r\n\r\n",
        reply.body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(&reply.body)?;
    stream.flush()
}

fn read_request(stream: &mut impl Read) -> io::Result<Request> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > MAX_HEAD {
            return Err(invalid("request head too large"));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(invalid("connection closed before the request's end"));
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buffer[..head_end].to_vec())
        .map_err(|_| invalid("request head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(invalid("bad request line"));
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(invalid("connection closed inside the body"));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}
