//! A tiny HTTP/1.1 client over a UNIX socket, for the service tests: one request per
//! connection (`Connection: close`), the response read to its end and its body parsed as
//! JSON; a raw mode sends any bytes at all, or half a request before hanging up; and
//! requests as MAAS's agent sends them, on connections left open after the answer.
//!
//! Every read and write has a deadline, so a server that never answers fails the test
//! instead of holding it.

#![allow(dead_code)] // each test uses its own part of this module

use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

/// How long a read or a write may wait before the client gives up.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// A response as received.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names as sent, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The value of the header `name` (any case), if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics, with the body, when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "the {} response's body is not JSON ({error}): {:?}",
                self.status,
                self.text()
            )
        })
    }
}

/// Connects to `socket` with the client's deadlines on every read and write.
pub fn connect(socket: &Path) -> io::Result<UnixStream> {
    let stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    Ok(stream)
}

/// The bytes of a request for `method path`, with `Content-Length` when there is a body,
/// and `Connection: close`.
pub fn request_bytes(method: &str, path: &str, body: Option<&[u8]>) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(body) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.unwrap_or_default());
    bytes
}

/// The bytes of a request as MAAS's agent (Go's HTTP client) sends it: no `Connection`
/// header, so HTTP/1.1 keeps the connection open after the answer.
pub fn keep_alive_request_bytes(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Sends `bytes` on `stream` and reads one response, framed by its `Content-Length`,
/// leaving the connection open.
pub fn exchange(stream: &mut UnixStream, bytes: &[u8]) -> io::Result<Response> {
    stream.write_all(bytes)?;
    let mut received = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(length) = framed_length(&received)
            && received.len() >= length
        {
            return parse(&received[..length]);
        }
        match stream.read(&mut chunk) {
            // Closed early: the parser says what is missing.
            Ok(0) => return parse(&received),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

/// The length of a response whose head has arrived, from its `Content-Length`.
fn framed_length(received: &[u8]) -> Option<usize> {
    let head_end = received
        .windows(4)
        .position(|window| window == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&received[..head_end]).ok()?;
    let length = head.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    })?;
    Some(head_end + 4 + length)
}

/// Sends `method path` with `body` and reads the response.
pub fn request(
    socket: &Path,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
) -> io::Result<Response> {
    raw(socket, &request_bytes(method, path, body))
}

/// `GET path`; panics when no response comes.
pub fn get(socket: &Path, path: &str) -> Response {
    request(socket, "GET", path, None)
        .unwrap_or_else(|error| panic!("GET {path} on {}: {error}", socket.display()))
}

/// `POST path` with `body` as JSON; panics when no response comes.
pub fn post(socket: &Path, path: &str, body: &Value) -> Response {
    post_bytes(socket, path, body.to_string().as_bytes())
}

/// `POST path` with these bytes as the body; panics when no response comes.
pub fn post_bytes(socket: &Path, path: &str, body: &[u8]) -> Response {
    request(socket, "POST", path, Some(body))
        .unwrap_or_else(|error| panic!("POST {path} on {}: {error}", socket.display()))
}

/// Sends `bytes` as they are, then reads the response until the server closes. A write
/// the server cut short (it may answer before reading everything) is not an error: the
/// answer is what counts.
pub fn raw(socket: &Path, bytes: &[u8]) -> io::Result<Response> {
    let mut stream = connect(socket)?;
    match stream.write_all(bytes) {
        Ok(()) => {}
        Err(error)
            if matches!(
                error.kind(),
                ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
            ) => {}
        Err(error) => return Err(error),
    }
    let received = read_to_end(&mut stream)?;
    parse(&received)
}

/// Sends `bytes`, then hangs up without reading anything.
pub fn hang_up(socket: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut stream = connect(socket)?;
    stream.write_all(bytes)?;
    stream.flush()
}

/// Everything the server sends until it closes; what came before a reset counts.
fn read_to_end(stream: &mut UnixStream) -> io::Result<Vec<u8>> {
    let mut received = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(received),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) if error.kind() == ErrorKind::ConnectionReset && !received.is_empty() => {
                return Ok(received);
            }
            Err(error) => return Err(error),
        }
    }
}

/// Parses a whole response: status line, headers, and a body framed by
/// `Content-Length`, by chunks, or by the end of the connection.
pub fn parse(received: &[u8]) -> io::Result<Response> {
    let invalid = |what: String| io::Error::new(ErrorKind::InvalidData, what);
    if received.is_empty() {
        return Err(io::Error::new(
            ErrorKind::UnexpectedEof,
            "the server closed the connection without a response",
        ));
    }
    let head_end = received
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| {
            invalid(format!(
                "no end of the head in {:?}",
                String::from_utf8_lossy(received)
            ))
        })?;
    let head = std::str::from_utf8(&received[..head_end])
        .map_err(|_| invalid("the head is not UTF-8".into()))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (Some(version), Some(status)) = (parts.next(), parts.next()) else {
        return Err(invalid(format!("bad status line {status_line:?}")));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(invalid(format!("bad status line {status_line:?}")));
    }
    let status: u16 = status
        .parse()
        .map_err(|_| invalid(format!("bad status in {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            line.split_once(':')
                .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
                .ok_or_else(|| invalid(format!("bad header line {line:?}")))
        })
        .collect::<io::Result<_>>()?;
    let find = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    };
    let rest = &received[head_end + 4..];
    let body =
        if find("transfer-encoding").is_some_and(|value| value.eq_ignore_ascii_case("chunked")) {
            dechunk(rest).ok_or_else(|| invalid("a malformed chunked body".into()))?
        } else if let Some(length) = find("content-length") {
            let length: usize = length
                .parse()
                .map_err(|_| invalid(format!("bad Content-Length {length:?}")))?;
            if rest.len() < length {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!("the body ended after {} of {length} bytes", rest.len()),
                ));
            }
            rest[..length].to_vec()
        } else {
            rest.to_vec()
        };
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|window| window == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}
