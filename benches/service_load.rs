//! The load client of `scripts/bench`: sends `POST` requests to a driver's service over
//! its UNIX socket from many threads at once and prints one JSON line of results (wall
//! time, requests per second, latency percentiles, errors). Standard library only.
//!
//! ```text
//! service_load --socket PATH [--path /query] [--body JSON] [--expect TEXT]
//!              [--concurrency C] (--requests N | --duration SECONDS)
//!              [--keep-alive | --never-close] [--hold N] [--linger SECONDS]
//!              [--server-pid PID]
//! ```
//!
//! Each of the C threads opens its own connection: with `--keep-alive` one for all its
//! requests (HTTP/1.1 persistent connections), otherwise one per request
//! (`Connection: close`), as a client without a pool would. With `--never-close`, one
//! per request that the client never closes, as MAAS's agent does (a new Go transport
//! per request): a connection is dropped only once the server has closed it. With
//! `--hold N`, N connections are opened first, each left open after one request, and
//! held until the end. The clock starts when every thread is ready and stops when the
//! last response has arrived. A response counts as ok when its status is 200 and its
//! body contains `--expect`. With `--linger`, the never-closed connections are kept that
//! long after the clock stops (those the server closes are dropped), and how many the
//! server left open is reported; `--server-pid` adds the server's open descriptors
//! (`/proc/PID/fd`) when the clock stops and after the linger.
//!
//! `cargo bench --bench service_load -- --socket ...` runs it too (the `--bench` cargo
//! adds is ignored).

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// How long one read or write may wait before the request counts as failed.
const IO_TIMEOUT: Duration = Duration::from_secs(120);

struct Options {
    socket: PathBuf,
    path: String,
    body: String,
    expect: String,
    concurrency: usize,
    requests: Option<usize>,
    duration: Option<Duration>,
    keep_alive: bool,
    never_close: bool,
    hold: usize,
    linger: Duration,
    server_pid: Option<u32>,
}

const USAGE: &str = "usage: service_load --socket PATH [--path /query] [--body JSON] \
[--expect TEXT] [--concurrency C] (--requests N | --duration SECONDS) \
[--keep-alive | --never-close] [--hold N] [--linger SECONDS] [--server-pid PID]";

fn options() -> Result<Options, String> {
    let mut options = Options {
        socket: PathBuf::new(),
        path: "/query".into(),
        body: r#"{"system_id": "bench", "context": {}}"#.into(),
        expect: r#""status":"ok""#.into(),
        concurrency: 8,
        requests: None,
        duration: None,
        keep_alive: false,
        never_close: false,
        hold: 0,
        linger: Duration::ZERO,
        server_pid: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--socket" => options.socket = value()?.into(),
            "--path" => options.path = value()?,
            "--body" => options.body = value()?,
            "--expect" => options.expect = value()?,
            "--concurrency" => options.concurrency = number(&value()?)?,
            "--requests" => options.requests = Some(number(&value()?)?),
            "--duration" => options.duration = Some(seconds(&arg, &value()?)?),
            "--linger" => options.linger = seconds(&arg, &value()?)?,
            "--server-pid" => {
                options.server_pid = Some(
                    value()?
                        .parse()
                        .map_err(|_| "--server-pid takes a process id".to_owned())?,
                );
            }
            "--keep-alive" => options.keep_alive = true,
            "--never-close" => options.never_close = true,
            "--hold" => options.hold = number(&value()?)?,
            // Added by `cargo bench`.
            "--bench" => {}
            _ => return Err(format!("unknown argument {arg}\n{USAGE}")),
        }
    }
    if options.socket.as_os_str().is_empty() {
        return Err(format!("--socket is required\n{USAGE}"));
    }
    if options.requests.is_some() == options.duration.is_some() {
        return Err(format!("give one of --requests and --duration\n{USAGE}"));
    }
    if options.keep_alive && options.never_close {
        return Err(format!(
            "--keep-alive and --never-close exclude each other\n{USAGE}"
        ));
    }
    if options.concurrency == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    Ok(options)
}

fn seconds(arg: &str, text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or(format!("{arg} takes seconds"))
}

fn number(text: &str) -> Result<usize, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a whole number"))
}

/// What one thread saw.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
    /// With `--never-close`: the most connections the thread held open at once.
    held_max: usize,
    /// With `--never-close`: the connections still open when the clock stopped.
    abandoned: Vec<UnixStream>,
}

impl Tally {
    fn error(&mut self, message: String) {
        self.errors += 1;
        self.first_error.get_or_insert(message);
    }
}

/// A connection and what was read past the last response.
struct Connection {
    reader: BufReader<UnixStream>,
}

impl Connection {
    fn open(options: &Options) -> io::Result<Connection> {
        let stream = UnixStream::connect(&options.socket)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Connection {
            reader: BufReader::new(stream),
        })
    }

    /// Sends the request and reads one response framed by `Content-Length`; returns its
    /// status and body.
    fn exchange(&mut self, request: &[u8]) -> io::Result<(u16, Vec<u8>)> {
        self.reader.get_mut().write_all(request)?;
        let invalid = |what: String| io::Error::new(ErrorKind::InvalidData, what);
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                ErrorKind::UnexpectedEof,
                "the server closed the connection without a response",
            ));
        }
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|status| status.parse().ok())
            .ok_or_else(|| invalid(format!("bad status line {line:?}")))?;
        let mut length = None;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(invalid("the head ended early".into()));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    return Err(invalid(format!("unexpected {header:?}")));
                }
            }
        }
        let length = length.ok_or_else(|| invalid("no Content-Length".into()))?;
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok((status, body))
    }
}

/// The request: with `Connection: close` unless the connection is to stay open; Go's
/// client, like MAAS's agent, sends no `Connection` header at all.
fn request_bytes(options: &Options, close: bool) -> Vec<u8> {
    let connection = match (close, options.keep_alive) {
        (true, _) => "Connection: close\r\n",
        (false, true) => "Connection: keep-alive\r\n",
        (false, false) => "",
    };
    format!(
        "POST {} HTTP/1.1\r\nHost: localhost\r\n{connection}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        options.path,
        options.body.len(),
        options.body
    )
    .into_bytes()
}

/// Connections left open by their client, dropped once the server closes them, as Go's
/// transport does when an idle connection reads an end of file.
#[derive(Default)]
struct Abandoned(Vec<UnixStream>);

impl Abandoned {
    fn keep(&mut self, connection: Connection) {
        let stream = connection.reader.into_inner();
        if stream.set_nonblocking(true).is_ok() {
            self.0.push(stream);
        }
        self.drop_closed();
    }

    fn drop_closed(&mut self) {
        self.0.retain(still_open);
    }
}

/// Whether the server keeps `stream` (non-blocking) open: nothing to read, no end of
/// file.
fn still_open(stream: &UnixStream) -> bool {
    matches!(
        (&*stream).read(&mut [0u8; 1]),
        Err(error) if error.kind() == ErrorKind::WouldBlock
    )
}

/// How many descriptors process `pid` has open.
fn open_descriptors(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// Opens `count` connections, each left open after one answered request.
fn hold(options: &Options, count: usize) -> Result<Vec<Connection>, String> {
    let request = request_bytes(options, false);
    (0..count)
        .map(|index| {
            let mut connection = Connection::open(options)
                .map_err(|error| format!("held connection {index}: connect: {error}"))?;
            match connection.exchange(&request) {
                Ok((200, _)) => Ok(connection),
                Ok((status, _)) => Err(format!("held connection {index}: status {status}")),
                Err(error) => Err(format!("held connection {index}: {error}")),
            }
        })
        .collect()
}

/// One thread's share: `count` requests, or requests for `--duration`.
fn worker(options: &Options, count: Option<usize>, start: &Barrier) -> Tally {
    let request = request_bytes(options, !options.keep_alive && !options.never_close);
    let mut tally = Tally::default();
    let mut abandoned = Abandoned::default();
    // A persistent connection is opened before the clock starts.
    let mut persistent = if options.keep_alive {
        match Connection::open(options) {
            Ok(connection) => Some(connection),
            Err(error) => {
                tally.error(format!("connect: {error}"));
                start.wait();
                return tally;
            }
        }
    } else {
        None
    };
    start.wait();
    let deadline = options.duration.map(|duration| Instant::now() + duration);
    let mut sent = 0;
    loop {
        match (count, deadline) {
            (Some(count), _) if sent >= count => break,
            (_, Some(deadline)) if Instant::now() >= deadline => break,
            _ => {}
        }
        sent += 1;
        let began = Instant::now();
        let result = match &mut persistent {
            Some(connection) => connection.exchange(&request),
            None if options.never_close => Connection::open(options).and_then(|mut once| {
                let result = once.exchange(&request);
                abandoned.keep(once);
                tally.held_max = tally.held_max.max(abandoned.0.len());
                result
            }),
            None => Connection::open(options).and_then(|mut once| once.exchange(&request)),
        };
        match result {
            Ok((200, body)) if contains(&body, options.expect.as_bytes()) => {
                tally.latencies.push(began.elapsed());
            }
            Ok((status, body)) => tally.error(format!(
                "{status}: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            )),
            Err(error) => {
                tally.error(error.to_string());
                // A broken persistent connection is replaced.
                if persistent.is_some() {
                    match Connection::open(options) {
                        Ok(connection) => persistent = Some(connection),
                        Err(_) => break,
                    }
                }
            }
        }
    }
    tally.abandoned = abandoned.0;
    tally
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

fn percentile(sorted: &[Duration], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() -> ExitCode {
    // A bare `cargo bench` has no server to load: say what runs it, and pass.
    if std::env::args().skip(1).all(|arg| arg == "--bench") {
        eprintln!("service_load: scripts/bench runs this load client\n{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match options() {
        Ok(options) => Arc::new(options),
        Err(message) => {
            eprintln!("service_load: {message}");
            return ExitCode::from(2);
        }
    };
    let held = match hold(&options, options.hold) {
        Ok(held) => held,
        Err(message) => {
            eprintln!("service_load: {message}");
            return ExitCode::FAILURE;
        }
    };
    let threads = options.concurrency;
    let start = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|index| {
            let options = options.clone();
            let start = start.clone();
            // Requests shared out evenly, the remainder to the first threads.
            let count = options
                .requests
                .map(|total| total / threads + usize::from(index < total % threads));
            thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || worker(&options, count, &start))
                .expect("spawn a client thread")
        })
        .collect();
    start.wait();
    let began = Instant::now();
    let mut total = Tally::default();
    let mut abandoned = Abandoned::default();
    for handle in handles {
        let tally = handle.join().expect("a client thread panicked");
        total.latencies.extend(tally.latencies);
        total.errors += tally.errors;
        total.held_max += tally.held_max;
        abandoned.0.extend(tally.abandoned);
        if let Some(message) = tally.first_error {
            total.first_error.get_or_insert(message);
        }
    }
    let wall = began.elapsed().as_secs_f64();
    let server_fds_at_end = options.server_pid.and_then(open_descriptors);
    // Still open: the server kept every held connection.
    let held_still_open = held
        .iter()
        .filter(|connection| {
            let stream = connection.reader.get_ref();
            stream.set_nonblocking(true).is_ok() && still_open(stream)
        })
        .count();
    let lingered = Instant::now();
    while lingered.elapsed() < options.linger {
        thread::sleep(Duration::from_millis(100));
        abandoned.drop_closed();
    }
    abandoned.drop_closed();
    let server_fds_after_linger = options.server_pid.and_then(open_descriptors);
    let json_count = |count: Option<usize>| count.map_or("null".to_owned(), |n| n.to_string());
    total.latencies.sort();
    let ok = total.latencies.len();
    let first_error = total
        .first_error
        .as_deref()
        .map_or("null".to_owned(), json_string);
    println!(
        "{{\"requests\": {}, \"ok\": {ok}, \"errors\": {}, \"first_error\": {first_error}, \
         \"concurrency\": {threads}, \"keep_alive\": {}, \"never_close\": {}, \
         \"never_closed_held_max\": {}, \"held\": {}, \"held_still_open\": {held_still_open}, \
         \"linger_s\": {}, \"never_closed_open_after_linger\": {}, \
         \"server_fds_at_end\": {}, \"server_fds_after_linger\": {}, \
         \"wall_s\": {wall:.4}, \
         \"rps\": {:.1}, \"latency_ms\": {{\"min\": {:.3}, \"p50\": {:.3}, \"p90\": {:.3}, \
         \"p99\": {:.3}, \"max\": {:.3}}}}}",
        ok + total.errors,
        total.errors,
        options.keep_alive,
        options.never_close,
        total.held_max,
        options.hold,
        options.linger.as_secs_f64(),
        abandoned.0.len(),
        json_count(server_fds_at_end),
        json_count(server_fds_after_linger),
        ok as f64 / wall,
        percentile(&total.latencies, 0.0),
        percentile(&total.latencies, 0.5),
        percentile(&total.latencies, 0.9),
        percentile(&total.latencies, 0.99),
        percentile(&total.latencies, 1.0),
    );
    if total.errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
