//! SNMP v1 and v2c for PDUs and other devices switched by an integer object (APC,
//! Raritan, Eaton, ...), on the snmp2 crate's client: a GET or SET of one object with a
//! community, within the call's deadline, and one mapping of every failure to MAAS's
//! error codes:
//!
//! - no answer (the agent is down, or drops a request with a community it does not
//!   accept, as agents do): `connError` naming the address, after net-snmp's 6 tries of
//!   1 s, or at the deadline;
//! - a UDP port where nothing listens, or a host out of reach (ICMP says so):
//!   `connError` at once;
//! - an error-status in the answer (`notWritable`, `genErr`, ...): `actionError` naming
//!   it and the object;
//! - an object the agent does not have (v2c's `noSuchObject`/`noSuchInstance`, or
//!   `noCreation` to a SET, v1's `noSuchName`): `settingsError` naming the setting that chose it ([`Object::setting`]),
//!   else `actionError`;
//! - an answer that is not an INTEGER: `actionError`.
//!
//! The community is a [`Secret`]: it is sent in each message and nowhere else, never in
//! an error, a log line or `Debug`.
//!
//! Requests block: call them from a blocking action (`fn`, not `async fn`), which
//! `serve` runs on a worker of its own.
//!
//! ```no_run
//! use maaspd::snmp::{Agent, Object, Version};
//! use maaspd::{Action, Context, Secret};
//!
//! # fn main() -> maaspd::Result<()> {
//! let ctx = Context::new(Action::PowerQuery);
//! let pdu = Agent::new("10.0.0.5", "power_address", Version::V1, Secret::new("private"))?
//!     .peer("the APC PDU");
//! let outlet = Object::new("1.3.6.1.4.1.318.1.1.12.3.3.1.1.4")?
//!     .index(3)
//!     .setting("node_outlet");
//! let state = pdu.get_integer(&ctx, &outlet)?;
//! if state != 1 {
//!     pdu.set_integer(&ctx, &outlet, 1)?;
//! }
//! # Ok(())
//! # }
//! ```

mod outlet;
mod outlet_settings;
mod wire;

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use snmp2::SyncSession;

use crate::{Context, Error, Result, Secret};

#[doc(inline)]
pub use crate::__outlet_settings as outlet_settings;
pub use outlet::{Outlet, default_power_on_delay};
use wire::{Answer, Request};

/// The community MAAS's PDU drivers send, for [`Agent::maas_pdu`].
const MAAS_PDU_COMMUNITY: &str = "private";

/// SNMP's standard port.
///
/// ```
/// use maaspd::{Secret, snmp::{Agent, PORT, Version}};
/// let agent = Agent::new("10.0.0.5", "power_address", Version::V1, Secret::new("private"))?;
/// assert_eq!(agent.address(), format!("10.0.0.5:{PORT}"));
/// # Ok::<(), maaspd::Error>(())
/// ```
pub const PORT: u16 = 161;

/// The version of SNMP an agent speaks, with a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
///
/// ```
/// use maaspd::snmp::Version;
/// assert_eq!(Version::V2c.to_string(), "SNMP v2c");
/// ```
pub enum Version {
    /// SNMPv1 (RFC 1157): `snmpget -v1`.
    V1,
    /// SNMPv2c (RFC 1901): `snmpget -v2c`.
    V2c,
}

impl Version {
    /// The version's number in a message: 0 for v1, 1 for v2c.
    ///
    /// ```
    /// use maaspd::snmp::Version;
    /// assert_eq!((Version::V1.number(), Version::V2c.number()), (0, 1));
    /// ```
    pub fn number(self) -> i64 {
        match self {
            Version::V1 => 0,
            Version::V2c => 1,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V1 => "SNMP v1",
            Version::V2c => "SNMP v2c",
        })
    }
}

/// An object of the agent: its OID, and the setting that chose it, for errors.
#[derive(Debug, Clone, PartialEq, Eq)]
///
/// ```
/// use maaspd::snmp::Object;
/// let outlet = Object::new("1.3.6.1.4.1.13742.6.4.1.2.1.2.1")?.index(3).setting("node_outlet");
/// assert_eq!(outlet.setting_name(), Some("node_outlet"));
/// # Ok::<(), maaspd::Error>(())
/// ```
pub struct Object {
    arcs: Vec<u64>,
    setting: Option<String>,
}

impl Object {
    /// The object of a dotted OID (`1.3.6.1.4.1.318.1.1.12.3.3.1.1.4`, a leading dot
    /// allowed, as net-snmp writes it); a malformed one is a `fatalError`, a mistake in
    /// the driver.
    ///
    /// ```
    /// use maaspd::snmp::Object;
    ///
    /// let object = Object::new(".1.3.6.1.4.1.13742.6.4.1.2.1.2.1")?;
    /// assert_eq!(object.to_string(), "1.3.6.1.4.1.13742.6.4.1.2.1.2.1");
    /// assert!(Object::new("1.3.x").is_err());
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn new(oid: &str) -> Result<Object> {
        let arcs: Option<Vec<u64>> = oid
            .strip_prefix('.')
            .unwrap_or(oid)
            .split('.')
            .map(|arc| arc.parse().ok())
            .collect();
        match arcs {
            Some(arcs) if arcs.len() >= 2 && arcs[0] <= 2 && arcs[1] < 40 => Ok(Object {
                arcs,
                setting: None,
            }),
            _ => Err(Error::fatal(format!("{oid:?} is not an OID"))),
        }
    }

    /// The object with `arc` added: a table's row (`...1.1.4` + outlet `3`).
    ///
    /// ```
    /// use maaspd::snmp::Object;
    /// let outlet = Object::new("1.3.6.1.4.1.534.6.6.7.6.6.1.2.0")?.index(5);
    /// assert_eq!(outlet.to_string(), "1.3.6.1.4.1.534.6.6.7.6.6.1.2.0.5");
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn index(mut self, arc: u64) -> Object {
        self.arcs.push(arc);
        self
    }

    /// The setting that chose this object (`node_outlet`): an agent that does not have
    /// it is a `settingsError` naming that setting.
    ///
    /// ```
    /// use maaspd::snmp::Object;
    /// let outlet = Object::new("1.3.6.1.4.1.13742.6.4.1.2.1.2.1")?.index(9).setting("node_outlet");
    /// assert_eq!(outlet.setting_name(), Some("node_outlet"));
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn setting(mut self, setting: impl Into<String>) -> Object {
        self.setting = Some(setting.into());
        self
    }

    /// The setting given with [`Object::setting`], if any.
    ///
    /// ```
    /// use maaspd::snmp::Object;
    /// assert_eq!(Object::new("1.3.6.1.2.1.1.1.0")?.setting_name(), None);
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn setting_name(&self) -> Option<&str> {
        self.setting.as_deref()
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arc) in self.arcs.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{arc}")?;
        }
        Ok(())
    }
}

/// An SNMP agent as one driver call sees it: where it is, its version and community,
/// how long to wait for it. Cheap to make on every call.
#[derive(Clone)]
///
/// ```
/// use maaspd::{Secret, snmp::{Agent, Version}};
/// let pdu = Agent::new("pdu-3.lab:1161", "power_address", Version::V2c, Secret::new("private"))?
///     .peer("the Raritan PDU");
/// assert_eq!(pdu.address(), "pdu-3.lab:1161");
/// # Ok::<(), maaspd::Error>(())
/// ```
pub struct Agent {
    host: String,
    port: u16,
    setting: String,
    version: Version,
    community: Secret,
    peer: String,
    timeout: Duration,
    retries: u32,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the community.
        f.debug_struct("Agent")
            .field("address", &self.address())
            .field("version", &self.version)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// The agent at `address`, as operators type it and net-snmp reads it: a host name
    /// or IP address, with an optional `:port` (161 unless given), an IPv6 address bare
    /// or in brackets (`[fe80::1]:1161`), an optional `udp:` or `udp6:` transport in
    /// front. `setting` is the setting it comes from, which a malformed address's
    /// `settingsError` names. The name is looked up at each request, not here.
    ///
    /// Each request waits 1 s for an answer and is sent 5 times more (net-snmp's
    /// defaults, which MAAS's `snmpget` and `snmpset` use), within the call's deadline.
    ///
    /// ```
    /// use maaspd::Secret;
    /// use maaspd::snmp::{Agent, Version};
    ///
    /// let private = Secret::new("private");
    /// let agent = Agent::new("udp:pdu.lab:1161", "power_address", Version::V1, private.clone())?;
    /// assert_eq!(agent.address(), "pdu.lab:1161");
    /// let agent = Agent::new("fe80::1", "power_address", Version::V2c, private.clone())?;
    /// assert_eq!(agent.address(), "[fe80::1]:161");
    /// assert!(Agent::new("pdu:http", "power_address", Version::V1, private).is_err());
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn new(address: &str, setting: &str, version: Version, community: Secret) -> Result<Agent> {
        let (host, port) = parse_address(address).ok_or_else(|| {
            Error::settings(format!(
                "driverParameters.{setting}: {address:?} is not an SNMP agent's address \
                 (a host name or IP address, with an optional :port)"
            ))
        })?;
        Ok(Agent {
            host,
            port,
            setting: setting.to_owned(),
            version,
            community,
            peer: "the SNMP agent".to_owned(),
            timeout: Duration::from_secs(1),
            retries: 5,
        })
    }

    /// The agent of one of MAAS's PDU drivers (APC, Raritan, Eaton): its address from
    /// the `power_address` setting, read as [`new`](Agent::new) reads it, and the
    /// community MAAS's `snmpget`/`snmpset` send, `private`, which MAAS offers no setting
    /// to change. The community is a [`Secret`] all the same: it goes in each message and
    /// nowhere else.
    ///
    /// ```
    /// use maaspd::snmp::{Agent, Version};
    ///
    /// let pdu = Agent::maas_pdu("10.0.0.5", Version::V1)?.peer("the APC PDU");
    /// assert_eq!(pdu.address(), "10.0.0.5:161");
    /// let error = Agent::maas_pdu("pdu:http", Version::V1).unwrap_err();
    /// assert!(error.message().starts_with("driverParameters.power_address: "));
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn maas_pdu(power_address: &str, version: Version) -> Result<Agent> {
        Agent::new(
            power_address,
            "power_address",
            version,
            Secret::new(MAAS_PDU_COMMUNITY),
        )
    }

    /// What the agent is called in messages: "the SNMP agent" unless set ("the PDU").
    ///
    /// ```
    /// # use maaspd::{Secret, snmp::{Agent, Version}};
    /// let pdu = Agent::new("10.0.0.5", "power_address", Version::V1, Secret::new("c"))?
    ///     .peer("the Eaton PDU");
    /// assert!(format!("{pdu:?}").contains("the Eaton PDU"));
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn peer(mut self, name: impl Into<String>) -> Agent {
        self.peer = name.into();
        self
    }

    /// How long each try waits for an answer (1 s unless set), and how many times a
    /// request is sent again after the first (5 unless set); the call's deadline ends
    /// the waiting first.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use maaspd::{Secret, snmp::{Agent, Version}};
    /// let agent = Agent::new("10.0.0.5", "power_address", Version::V1, Secret::new("c"))?
    ///     .tries(Duration::from_millis(500), 2);
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn tries(mut self, timeout: Duration, retries: u32) -> Agent {
        self.timeout = timeout.max(Duration::from_millis(1));
        self.retries = retries;
        self
    }

    /// `host:port` (`[v6]:port`), as messages name the agent.
    ///
    /// ```
    /// # use maaspd::{Secret, snmp::{Agent, Version}};
    /// let agent = Agent::new("10.0.0.5", "power_address", Version::V1, Secret::new("c"))?;
    /// assert_eq!(agent.address(), "10.0.0.5:161");
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The INTEGER value of `object` (a GET, as `snmpget` does it).
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context, Secret, snmp::{Agent, Object, Version}};
    /// # let ctx = Context::new(Action::PowerQuery);
    /// let pdu = Agent::new("10.0.0.5", "power_address", Version::V2c, Secret::new("private"))?;
    /// let outlet = Object::new("1.3.6.1.4.1.13742.6.4.1.2.1.2.1")?.index(3).setting("node_outlet");
    /// let on = pdu.get_integer(&ctx, &outlet)? == 1;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn get_integer(&self, ctx: &Context, object: &Object) -> Result<i64> {
        match self.request(ctx, object, Request::Get)? {
            Answer::Integer(value) => Ok(value),
            answer => Err(self.unexpected(object, Request::Get, &answer)),
        }
    }

    /// Sets `object` to the INTEGER `value` (a SET, as `snmpset ... i VALUE` does it).
    ///
    /// ```no_run
    /// # use maaspd::{Action, Context, Secret, snmp::{Agent, Object, Version}};
    /// # let ctx = Context::new(Action::PowerOff);
    /// let pdu = Agent::new("10.0.0.5", "power_address", Version::V1, Secret::new("private"))?;
    /// let outlet = Object::new("1.3.6.1.4.1.318.1.1.12.3.3.1.1.4")?.index(3).setting("node_outlet");
    /// pdu.set_integer(&ctx, &outlet, 2)?;
    /// # Ok::<(), maaspd::Error>(())
    /// ```
    pub fn set_integer(&self, ctx: &Context, object: &Object, value: i64) -> Result<()> {
        let request = Request::SetInteger(value);
        match self.request(ctx, object, request)? {
            // The answer echoes the value set; some agents answer the value they now hold.
            Answer::Integer(_) => Ok(()),
            answer => Err(self.unexpected(object, request, &answer)),
        }
    }

    /// Sends `request` until it is answered, the tries run out, or the deadline comes;
    /// an error-status is returned as an answer. Each try is a session of the snmp2
    /// crate with the same request-id, so that a try is the same message sent again, as
    /// net-snmp sends it.
    fn request(&self, ctx: &Context, object: &Object, request: Request) -> Result<Answer> {
        ctx.check()?;
        let destination = self.resolve()?;
        let oid = snmp2::Oid::from(&object.arcs)
            .map_err(|_| Error::fatal(format!("{object} is not an OID snmp2 encodes")))?;
        let community = self.community.expose().as_bytes();
        let request_id = next_request_id();
        let started = Instant::now();
        for _ in 0..=self.retries {
            let wait = ctx
                .time_left()
                .map_or(self.timeout, |left| left.min(self.timeout));
            if wait.is_zero() {
                ctx.check()?;
            }
            log::debug!(
                "{} {object} to {} ({})",
                request.verb(),
                self.address(),
                self.version
            );
            let try_started = Instant::now();
            let mut session = match self.version {
                Version::V1 => SyncSession::new_v1(destination, community, Some(wait), request_id),
                Version::V2c => {
                    SyncSession::new_v2c(destination, community, Some(wait), request_id)
                }
            }
            .map_err(|error| self.send_failed(&error.to_string()))?;
            let answered = match request {
                Request::Get => session.get(&oid).map(wire::answer),
                Request::SetInteger(value) => session
                    .set(&[(&oid, snmp2::Value::Integer(value))])
                    .map(wire::answer),
            };
            match answered {
                Ok(answer) => return Ok(answer),
                // snmp2 reports every failure to receive alike: one long before the try's
                // time is up is the host's ICMP answer (port or host unreachable, which
                // Linux reports on a connected UDP socket), not a silence.
                Err(snmp2::Error::Receive) if try_started.elapsed() < wait / 2 => {
                    return Err(Error::conn(format!(
                        "{} at {} refused the {} {object}: nothing listens on UDP port {} \
                         there, or the host is unreachable",
                        self.peer,
                        self.address(),
                        request.verb(),
                        self.port
                    )));
                }
                Err(snmp2::Error::Send) => {
                    return Err(self.send_failed("the datagram was not sent"));
                }
                // Silence, or an answer that is not this request's (another request-id
                // or community, not SNMP): try again.
                Err(error) => log::debug!("no answer to this try: {error}"),
            }
            ctx.check()?;
        }
        Err(Error::conn(format!(
            "no answer from {} at {} to the {} {object} ({}, {} tries in {:.1} s): check \
             {}, and that the agent answers this community",
            self.peer,
            self.address(),
            request.verb(),
            self.version,
            self.retries + 1,
            started.elapsed().as_secs_f64(),
            self.setting,
        )))
    }

    /// The first address the host name has (an IP address is itself).
    fn resolve(&self) -> Result<SocketAddr> {
        let host = self.host.as_str();
        let found = (host, self.port)
            .to_socket_addrs()
            .map(|mut addresses| addresses.next());
        match found {
            Ok(Some(address)) => Ok(address),
            Ok(None) => Err(Error::conn(format!("{host} has no address"))),
            Err(error) => Err(Error::conn(format!("cannot resolve {host}: {error}"))),
        }
    }

    fn send_failed(&self, error: &str) -> Error {
        Error::conn(format!(
            "cannot reach {} at {}: {error}",
            self.peer,
            self.address()
        ))
    }

    /// The error for an answer that is not the INTEGER expected.
    fn unexpected(&self, object: &Object, request: Request, answer: &Answer) -> Error {
        let verb = request.verb();
        let (peer, address) = (&self.peer, self.address());
        let missing = |what: &str| match &object.setting {
            Some(setting) => Error::settings(format!(
                "driverParameters.{setting}: {peer} at {address} has no object {object} \
                 ({what}): check {setting}"
            )),
            None => Error::action(format!(
                "{peer} at {address} has no object {object} ({what})"
            )),
        };
        match answer {
            Answer::NoSuchObject => missing("noSuchObject"),
            Answer::NoSuchInstance => missing("noSuchInstance"),
            Answer::EndOfMibView => missing("endOfMibView"),
            // SNMPv1's word for an object the agent does not have, and v2c's for a SET of
            // one it does not have and cannot make.
            Answer::ErrorStatus(2) => missing("noSuchName"),
            Answer::ErrorStatus(11) => missing("noCreation"),
            Answer::ErrorStatus(status) => Error::action(format!(
                "{peer} at {address} refused the {verb} of {object}: {}",
                wire::error_status_name(*status)
            )),
            Answer::Integer(value) => Error::action(format!(
                "{peer} at {address} answered {value} to the {verb} of {object}"
            )),
            Answer::Other(kind) => Error::action(format!(
                "{peer} at {address} answered the {verb} of {object} with {kind}, not an \
                 INTEGER"
            )),
            Answer::Empty => Error::action(format!(
                "{peer} at {address} answered the {verb} of {object} without a value"
            )),
        }
    }
}

/// `host` and `port` from an address as net-snmp reads it; `None` when malformed.
fn parse_address(address: &str) -> Option<(String, u16)> {
    let address = address.trim();
    let address = ["udp:", "udp6:", "UDP:", "UDP6:"]
        .iter()
        .find_map(|transport| address.strip_prefix(transport))
        .unwrap_or(address);
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else if address.matches(':').count() > 1 {
        (address, None) // a bare IPv6 address
    } else {
        match address.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (address, None),
        }
    };
    let port = match port {
        None => PORT,
        Some(port) => port.parse().ok().filter(|&port| port != 0)?,
    };
    let valid = !host.is_empty()
        && if address.contains('[') || host.contains(':') {
            host.parse::<std::net::Ipv6Addr>().is_ok()
        } else {
            host.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        };
    valid.then(|| (host.to_owned(), port))
}

/// A request-id this process has not used lately: a counter from a start that differs
/// from one process to the next, so that a late answer to another process's request is
/// not taken for this one's.
fn next_request_id() -> i32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos())
        ^ std::process::id().rotate_left(16);
    let _ = NEXT.compare_exchange(0, seed | 1, Ordering::Relaxed, Ordering::Relaxed);
    // Positive, as net-snmp's are.
    (NEXT.fetch_add(1, Ordering::Relaxed) & 0x7fff_ffff) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, ErrorCode};
    use std::net::UdpSocket;

    const SENTINEL: &str = "Sentinel-Community-4c1e";

    fn agent(address: &str, version: Version) -> Agent {
        Agent::new(address, "power_address", version, Secret::new(SENTINEL))
            .unwrap()
            .peer("the PDU")
            .tries(Duration::from_millis(100), 2)
    }

    fn outlet() -> Object {
        Object::new("1.3.6.1.4.1.318.1.1.12.3.3.1.1.4")
            .unwrap()
            .index(3)
            .setting("node_outlet")
    }

    /// A loopback agent that answers each request with `answer(request)` (`None`: no
    /// answer), for as many requests as given; returns its port and what it received.
    fn canned(answers: Vec<Option<Vec<u8>>>) -> (u16, std::thread::JoinHandle<Vec<Vec<u8>>>) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        let thread = std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut buffer = [0u8; 2048];
            for answer in answers {
                let (read, from) = socket.recv_from(&mut buffer).unwrap();
                seen.push(buffer[..read].to_vec());
                if let Some(answer) = answer {
                    let answer = if answer.is_empty() {
                        as_response(&buffer[..read], None)
                    } else {
                        answer
                    };
                    socket.send_to(&answer, from).unwrap();
                }
            }
            seen
        });
        (port, thread)
    }

    /// The request turned into its response: the same message with the PDU tag of a
    /// GetResponse, and `error_status` if given.
    fn as_response(request: &[u8], error_status: Option<u8>) -> Vec<u8> {
        let mut message = request.to_vec();
        let community_length = usize::from(message[6]);
        let pdu = 7 + community_length;
        message[pdu] = 0xa2;
        if let Some(status) = error_status {
            // PDU tag, length, request-id (02 len ...), error-status (02 01 xx).
            let id_length = usize::from(message[pdu + 3]);
            message[pdu + 4 + id_length + 2] = status;
        }
        message
    }

    fn check_secret_absent(error: &Error) {
        assert!(!error.message().contains(SENTINEL), "{error:?}");
    }

    #[test]
    fn addresses_are_read_as_net_snmp_reads_them() {
        let cases = [
            ("10.0.0.5", Some(("10.0.0.5", 161))),
            ("10.0.0.5:1161", Some(("10.0.0.5", 1161))),
            (" pdu-1.lab ", Some(("pdu-1.lab", 161))),
            ("udp:pdu:16161", Some(("pdu", 16161))),
            ("fe80::1", Some(("fe80::1", 161))),
            ("[fe80::1]", Some(("fe80::1", 161))),
            ("udp6:[::1]:1161", Some(("::1", 1161))),
            ("", None),
            ("pdu:", None),
            ("pdu:0", None),
            ("pdu:99999", None),
            ("http://pdu", None),
            ("[pdu]:161", None),
            ("pdu lab", None),
        ];
        for (address, expected) in cases {
            let parsed = parse_address(address);
            let parsed = parsed.as_ref().map(|(host, port)| (host.as_str(), *port));
            assert_eq!(parsed, expected, "{address:?}");
        }
        let error =
            Agent::new("pdu:x", "power_address", Version::V1, Secret::new("c")).unwrap_err();
        assert_eq!(error.code(), ErrorCode::Settings);
        assert!(
            error
                .message()
                .starts_with("driverParameters.power_address: ")
        );
    }

    #[test]
    fn a_get_is_sent_once_and_its_answer_read() {
        let (port, peer) = canned(vec![Some(Vec::new())]);
        let ctx = Context::new(Action::PowerQuery);
        let pdu = agent(&format!("127.0.0.1:{port}"), Version::V1);
        let request = Request::Get;
        let answered = pdu.request(&ctx, &outlet(), request).unwrap();
        assert_eq!(
            answered,
            Answer::Other("NULL"),
            "the canned peer echoes NULL"
        );
        let seen = peer.join().unwrap();
        assert_eq!(seen.len(), 1);
        assert!(!format!("{pdu:?}").contains(SENTINEL));
    }

    #[test]
    fn a_set_is_answered_with_its_value() {
        let (port, peer) = canned(vec![Some(Vec::new())]);
        let ctx = Context::new(Action::PowerOn);
        let pdu = agent(&format!("127.0.0.1:{port}"), Version::V2c);
        pdu.set_integer(&ctx, &outlet(), 1).unwrap();
        let seen = peer.join().unwrap();
        assert_eq!(seen[0][4], 1, "version v2c");
        assert!(
            seen[0]
                .windows(SENTINEL.len())
                .any(|w| w == SENTINEL.as_bytes())
        );
    }

    #[test]
    fn an_unanswered_request_is_sent_again_then_is_a_conn_error() {
        let (port, peer) = canned(vec![None, None, None]);
        let ctx = Context::new(Action::PowerQuery);
        let pdu = agent(&format!("127.0.0.1:{port}"), Version::V1);
        let started = Instant::now();
        let error = pdu.get_integer(&ctx, &outlet()).unwrap_err();
        assert_eq!(error.code(), ErrorCode::Conn, "{error:?}");
        assert!(
            error.message().starts_with(&format!(
                "no answer from the PDU at 127.0.0.1:{port} to the GET \
                 1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.3 (SNMP v1, 3 tries in 0."
            )),
            "{error:?}"
        );
        assert!(started.elapsed() >= Duration::from_millis(300));
        check_secret_absent(&error);
        let seen = peer.join().unwrap();
        assert!(
            seen.iter().all(|message| message == &seen[0]),
            "the same request"
        );
    }

    #[test]
    fn the_deadline_ends_the_tries() {
        let (port, _peer) = canned(vec![None, None]);
        let ctx = Context::new(Action::PowerQuery).with_timeout(Duration::from_millis(150));
        let pdu = agent(&format!("127.0.0.1:{port}"), Version::V1).tries(Duration::from_secs(5), 5);
        let started = Instant::now();
        let error = pdu.get_integer(&ctx, &outlet()).unwrap_err();
        assert_eq!(
            (error.code(), error.message()),
            (ErrorCode::Conn, "timed out after 0.15 s")
        );
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_dead_port_is_a_conn_error_at_once() {
        let port = {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket.local_addr().unwrap().port()
        };
        let ctx = Context::new(Action::PowerQuery);
        let started = Instant::now();
        let error = agent(&format!("127.0.0.1:{port}"), Version::V1)
            .tries(Duration::from_secs(2), 5)
            .get_integer(&ctx, &outlet())
            .unwrap_err();
        assert_eq!(error.code(), ErrorCode::Conn);
        assert_eq!(
            error.message(),
            format!(
                "the PDU at 127.0.0.1:{port} refused the GET \
                 1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.3: nothing listens on UDP port {port} \
                 there, or the host is unreachable"
            )
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn answers_become_maas_errors() {
        let port = 1161;
        let pdu = agent(&format!("127.0.0.1:{port}"), Version::V2c);
        let object = outlet();
        let cases = [
            (
                Answer::NoSuchInstance,
                ErrorCode::Settings,
                "driverParameters.node_outlet: the PDU at 127.0.0.1:PORT has no object 1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.3 (noSuchInstance): check node_outlet",
            ),
            (
                Answer::ErrorStatus(2),
                ErrorCode::Settings,
                "driverParameters.node_outlet: the PDU at 127.0.0.1:PORT has no object 1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.3 (noSuchName): check node_outlet",
            ),
            (
                Answer::ErrorStatus(17),
                ErrorCode::Action,
                "the PDU at 127.0.0.1:PORT refused the SET of 1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.3: notWritable (17)",
            ),
            (
                Answer::Other("OCTET STRING"),
                ErrorCode::Action,
                "the PDU at 127.0.0.1:PORT answered the SET of 1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.3 with OCTET STRING, not an INTEGER",
            ),
        ];
        for (answer, code, message) in cases {
            let error = pdu.unexpected(&object, Request::SetInteger(1), &answer);
            assert_eq!(error.code(), code);
            assert_eq!(error.message(), message.replace("PORT", &port.to_string()));
            check_secret_absent(&error);
        }
        let unnamed = Object::new("1.3.6.1.2.1.1.1.0").unwrap();
        let error = pdu.unexpected(&unnamed, Request::Get, &Answer::NoSuchObject);
        assert_eq!(error.code(), ErrorCode::Action);
    }

    #[test]
    fn an_error_status_from_the_peer_is_an_action_error() {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        let peer = std::thread::spawn(move || {
            let mut buffer = [0u8; 2048];
            // A stray answer first (another request-id): the request is sent again.
            let (read, from) = socket.recv_from(&mut buffer).unwrap();
            let mut stray = as_response(&buffer[..read], None);
            let id_at = 7 + usize::from(stray[6]) + 4;
            stray[id_at] ^= 0x01;
            socket.send_to(&stray, from).unwrap();
            // Then the genErr.
            let (read, from) = socket.recv_from(&mut buffer).unwrap();
            let answer = as_response(&buffer[..read], Some(5));
            socket.send_to(&answer, from).unwrap();
        });
        let ctx = Context::new(Action::PowerOff);
        let error = agent(&format!("127.0.0.1:{port}"), Version::V1)
            .set_integer(&ctx, &outlet(), 2)
            .unwrap_err();
        peer.join().unwrap();
        assert_eq!(error.code(), ErrorCode::Action);
        assert!(error.message().ends_with(": genErr (5)"), "{error:?}");
        check_secret_absent(&error);
    }

    #[test]
    fn request_ids_differ() {
        let (a, b) = (next_request_id(), next_request_id());
        assert_ne!(a, b);
        assert!(a >= 0 && b >= 0);
    }
}
