//! What every one of MAAS's PDU drivers (APC, Raritan, Eaton) must do, checked the same
//! way against each: the driver run as MAAS runs it (`DRIVER ACTION`, JSON on stdin) and
//! as a service (`DRIVER serve`), against snmpsim as its PDU (`snmpsim.rs`).
//!
//! A driver's tests describe it as a [`PduDriver`] and call each check from a test of
//! their own. The PDU they share has outlets 1 to 6 free (each check its own), outlet 7
//! refusing every SET, outlet 8 a read-only state holding 3, and whatever else the
//! driver's own tests add.

#![allow(dead_code)] // each driver's tests use their own part of this module

use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::outcome::Outcome;
use crate::peers::{self, Peer};
use crate::server::{Server, assert_reply, request};
use crate::snmpsim::{Record, Snmpsim};
use crate::support;
use crate::unix_http::{get, post};

/// The community MAAS's PDU drivers send, which no driver may ever print.
pub const COMMUNITY: &str = "private";

static PDU: Mutex<Weak<Snmpsim>> = Mutex::new(Weak::new());

/// A PDU driver under test, and how snmpsim plays its PDU.
pub struct PduDriver {
    /// MAAS's name of the driver, and its binary's.
    pub name: &'static str,
    /// MAAS's description of the driver.
    pub description: &'static str,
    /// What the driver's messages call the PDU: "the Raritan PDU".
    pub peer: &'static str,
    /// MAAS's labels of `power_address` and `node_outlet`.
    pub labels: [&'static str; 2],
    /// The SNMP version, as messages name it: "v1", "v2c".
    pub version: &'static str,
    /// The outlet's state values for on and off.
    pub on: i64,
    pub off: i64,
    /// The driver's own parameters besides MAAS's three, as MAAS sends them.
    pub extra_parameters: &'static [(&'static str, &'static str)],
    /// Outlet `n`'s objects, their state kept under `key`: the state, then whatever
    /// switches it.
    pub outlet: fn(n: u32, key: &str) -> Vec<Record>,
    /// Outlet `n`'s state object.
    pub state_oid: fn(n: u32) -> String,
    /// The SNMP error the PDU refuses outlet 7's SETs with (`genError`), and the driver's
    /// name for it (`genErr (5)`).
    pub refusal: (&'static str, &'static str),
    /// The driver's own records and their states, added to the shared PDU.
    pub more: fn() -> MoreRecords,
}

/// Records a driver's own tests add to the shared PDU, and their outlets' states.
pub type MoreRecords = (Vec<Record>, Vec<(&'static str, i64)>);

impl PduDriver {
    /// The PDU this test binary's checks share; it stops when the last of them ends.
    pub fn pdu(&self) -> Arc<Snmpsim> {
        Snmpsim::shared(&PDU, || {
            let mut records: Vec<Record> = (1..=6)
                .flat_map(|n| (self.outlet)(n, &format!("outlet-{n}")))
                .collect();
            let (refusal, _) = self.refusal;
            records.extend(
                (self.outlet)(7, "outlet-7")
                    .into_iter()
                    .map(|record| record.refusing(refusal)),
            );
            records.push(Record::fixed(&(self.state_oid)(8), 3));
            let (more, more_states) = (self.more)();
            records.extend(more);
            let keys: Vec<String> = (1..=7).map(|n| format!("outlet-{n}")).collect();
            let mut states: Vec<(&str, i64)> =
                keys.iter().map(|key| (key.as_str(), self.off)).collect();
            states.extend(more_states);
            Snmpsim::start(COMMUNITY, &records, &states)
        })
    }

    pub fn binary(&self) -> PathBuf {
        support::example(self.name)
    }

    pub fn run_args(&self, action: &str, parameters: Value, args: &[&str]) -> Outcome {
        Outcome::of(&self.binary(), action, parameters, args, COMMUNITY)
    }

    /// Each action with `-vv`, so that whatever the driver logs is checked too.
    pub fn run(&self, action: &str, parameters: Value) -> Outcome {
        self.run_args(action, parameters, &["-vv"])
    }

    /// Outlet `outlet` of the PDU at `address`, as MAAS sends it, with no delay.
    pub fn params(&self, address: &str, outlet: &str) -> Value {
        let mut parameters = json!({"power_address": address, "node_outlet": outlet,
                                    "power_on_delay": "0", "system_id": "abc123"});
        for (name, value) in self.extra_parameters {
            parameters[*name] = json!(value);
        }
        parameters
    }

    /// The driver's metadata is MAAS's: its name, description and capabilities, and its
    /// settings, MAAS's three then `more`.
    pub fn check_metadata(&self, more: &[Value]) {
        let run = support::run(&self.binary(), &["metadata"], b"");
        assert_eq!(run.status, 0, "{}", run.stderr);
        let metadata: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(metadata["name"], self.name);
        assert_eq!(metadata["description"], self.description);
        assert_eq!(metadata["capabilities"]["chassis"], true);
        assert_eq!(metadata["capabilities"]["can_probe"], false);
        assert_eq!(metadata["ip_extractor"]["field_name"], "power_address");
        let settings: Vec<Value> = metadata["settings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                json!([
                    s["name"],
                    s["label"],
                    s["field_type"],
                    s["required"],
                    s["scope"],
                    s["default"],
                    s["choices"],
                    s["secret"]
                ])
            })
            .collect();
        let [address, outlet] = self.labels;
        let mut expected = vec![
            json!([
                "power_address",
                address,
                "string",
                true,
                "bmc",
                "",
                [],
                false
            ]),
            json!(["node_outlet", outlet, "string", true, "node", "", [], false]),
            json!([
                "power_on_delay",
                "Power ON outlet delay (seconds)",
                "string",
                false,
                "bmc",
                "5",
                [],
                false
            ]),
        ];
        expected.extend_from_slice(more);
        assert_eq!(settings, expected);
    }

    /// MAAS's sequence: off is a SET of off; on is a query, off when on, the delay, a
    /// SET of on; the runtime confirms each by querying.
    pub fn check_switching(&self) {
        if !peers::available(&[Peer::Snmpsim]) {
            return;
        }
        let (pdu, on, off) = (self.pdu(), self.on, self.off);
        let p = self.params(&pdu.address(), "1");
        assert_eq!(self.run("power_query", p.clone()).state(), "off");
        self.run("power_on", p.clone()).ok();
        assert_eq!(
            (pdu.state("outlet-1"), pdu.sets("outlet-1")),
            (on, vec![on])
        );
        assert_eq!(self.run("power_query", p.clone()).state(), "on");
        // On when on: off first, then on.
        self.run("power_on", p.clone()).ok();
        assert_eq!(
            (pdu.state("outlet-1"), pdu.sets("outlet-1")),
            (on, vec![on, off, on])
        );
        self.run("power_off", p.clone()).ok();
        assert_eq!(
            (pdu.state("outlet-1"), pdu.sets("outlet-1")),
            (off, vec![on, off, on, off])
        );
        assert_eq!(self.run("power_query", p.clone()).state(), "off");
        // A cycle from on: off, then on.
        pdu.set_state("outlet-1", on);
        self.run("power_cycle", p).ok();
        assert_eq!(pdu.state("outlet-1"), on);
        assert_eq!(pdu.sets("outlet-1")[4..], [off, on]);
    }

    /// `power_on` waits `power_on_delay`, and a delay longer than the call may take ends
    /// at its deadline with nothing switched on.
    pub fn check_power_on_delay(&self) {
        if !peers::available(&[Peer::Snmpsim]) {
            return;
        }
        let pdu = self.pdu();
        let mut p = self.params(&pdu.address(), "2");
        p["power_on_delay"] = json!("1.5");
        let started = Instant::now();
        self.run("power_on", p.clone()).ok();
        assert!(started.elapsed() >= Duration::from_millis(1500));
        assert_eq!(pdu.state("outlet-2"), self.on);
        pdu.set_state("outlet-2", self.off);
        p["power_on_delay"] = json!("30");
        let started = Instant::now();
        self.run_args("power_on", p, &["--timeout", "1"])
            .error("connError", &["timed out after 1 s"]);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            (pdu.state("outlet-2"), pdu.sets("outlet-2")),
            (self.off, vec![self.on])
        );
    }

    /// An outlet the PDU does not have is a `settingsError` naming `node_outlet`, the
    /// address, and `parts` (the object and the PDU's own words for it).
    pub fn check_missing_outlet(&self, parts: &[&str]) {
        if !peers::available(&[Peer::Snmpsim]) {
            return;
        }
        let pdu = self.pdu();
        let p = self.params(&pdu.address(), "42");
        let address = pdu.address();
        let mut expected = vec!["driverParameters.node_outlet: ", address.as_str(), "noSuch"];
        expected.extend_from_slice(parts);
        for action in ["power_query", "power_off", "power_on"] {
            self.run(action, p.clone())
                .error("settingsError", &expected);
        }
    }

    /// A SET the PDU refuses is an `actionError` naming its error, and switches nothing.
    pub fn check_refused_set(&self) {
        if !peers::available(&[Peer::Snmpsim]) {
            return;
        }
        let pdu = self.pdu();
        let p = self.params(&pdu.address(), "7");
        let (_, refusal) = self.refusal;
        assert_eq!(self.run("power_query", p.clone()).state(), "off");
        self.run("power_off", p.clone())
            .error("actionError", &["refused the SET", refusal]);
        self.run("power_on", p).error("actionError", &[refusal]);
        assert_eq!(pdu.state("outlet-7"), self.off);
    }

    /// A state that is neither on nor off is an `actionError` saying which are which.
    pub fn check_neither_on_nor_off(&self) {
        if !peers::available(&[Peer::Snmpsim]) {
            return;
        }
        let pdu = self.pdu();
        let which = format!("neither on ({}) nor off ({})", self.on, self.off);
        self.run("power_query", self.params(&pdu.address(), "8"))
            .error("actionError", &["reports 3", &which]);
    }

    /// snmpsim, as PDUs do, drops a request with a community it does not serve: no
    /// answer, MAAS's 6 tries of 1 s, then a `connError` naming the address; within the
    /// call's deadline, it ends there.
    pub fn check_wrong_community(&self) {
        if !peers::available(&[Peer::Snmpsim]) {
            return;
        }
        let public = Snmpsim::start(
            "public",
            &(self.outlet)(1, "outlet-1"),
            &[("outlet-1", self.on)],
        );
        let p = self.params(&public.address(), "1");
        let started = Instant::now();
        let message = self.run("power_query", p.clone()).error(
            "connError",
            &[
                &format!("no answer from {} at {}", self.peer, public.address()),
                &format!("SNMP {}, 6 tries", self.version),
            ],
        );
        let took = started.elapsed();
        assert!(
            (Duration::from_secs(5)..Duration::from_secs(10)).contains(&took),
            "{took:?}"
        );
        assert!(message.contains("power_address"), "{message}");
        self.run_args("power_query", p, &["--timeout", "2"])
            .error("connError", &["timed out after 2 s"]);
        assert!(
            public.log().contains("public"),
            "the peer served another community"
        );
    }

    /// A UDP port where nothing listens is a `connError` at once.
    pub fn check_dead_port(&self) {
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("127.0.0.1:{port}");
        self.run("power_query", self.params(&address, "1")).error(
            "connError",
            &[
                &format!("{} at {address} refused", self.peer),
                "nothing listens on UDP port",
            ],
        );
    }

    /// Malformed settings, MAAS's three and then `more`, are `settingsError`s naming the
    /// setting; empty ones are their defaults, as MAAS's own form never sends them.
    pub fn check_bad_settings(&self, more: &[(Value, &str)]) {
        if !peers::available(&[Peer::Snmpsim]) {
            return;
        }
        let mut cases = vec![
            (
                json!({"power_address": "127.0.0.1", "node_outlet": "one"}),
                "driverParameters.node_outlet",
            ),
            (
                json!({"power_address": "127.0.0.1", "node_outlet": ""}),
                "driverParameters.node_outlet",
            ),
            (json!({"node_outlet": "1"}), "power_address"),
            (
                json!({"power_address": "127.0.0.1:snmp", "node_outlet": "1"}),
                "driverParameters.power_address",
            ),
            (
                json!({"power_address": "127.0.0.1", "node_outlet": "1", "power_on_delay": "soon"}),
                "driverParameters.power_on_delay",
            ),
            (
                json!({"power_address": "127.0.0.1", "node_outlet": "1", "power_on_delay": "-1"}),
                "driverParameters.power_on_delay",
            ),
        ];
        cases.extend(more.iter().cloned());
        for (parameters, part) in cases {
            self.run("power_query", parameters)
                .error("settingsError", &[part]);
        }
        let pdu = self.pdu();
        let mut p = self.params(&pdu.address(), "3");
        p["power_on_delay"] = json!("");
        for (name, _) in self.extra_parameters {
            p[*name] = json!("");
        }
        assert_eq!(self.run("power_query", p).state(), "off");
    }

    /// `DRIVER serve`, as MAAS's agent calls it: every action against outlet 4, then
    /// each failure the PDU can give, with its code, and the community nowhere.
    pub fn check_service(&self) {
        if !peers::available(&[Peer::Snmpsim]) {
            return;
        }
        let (pdu, on, off) = (self.pdu(), self.on, self.off);
        let public = Snmpsim::start(
            "public",
            &(self.outlet)(1, "outlet-1"),
            &[("outlet-1", off)],
        );
        let server = Server::start(&self.binary(), &[]);
        let socket = server.socket();
        let act = |path: &str, context: Value| post(socket, path, &request("node-1", context));

        let metadata = get(socket, "/metadata");
        assert_eq!(metadata.status, 200, "{metadata:?}");
        assert_eq!(metadata.json()["name"], self.name);

        let outlet = self.params(&pdu.address(), "4");
        let ok = json!({"status": "ok"});
        assert_reply(
            &act("/query", outlet.clone()),
            200,
            &json!({"status": "ok", "state": "off"}),
        );
        assert_reply(&act("/on", outlet.clone()), 200, &ok);
        assert_eq!(pdu.state("outlet-4"), on);
        assert_reply(
            &act("/query", outlet.clone()),
            200,
            &json!({"status": "ok", "state": "on"}),
        );
        assert_reply(&act("/off", outlet.clone()), 200, &ok);
        assert_eq!(pdu.state("outlet-4"), off);
        assert_reply(&act("/cycle", outlet.clone()), 200, &ok);
        assert_eq!(pdu.state("outlet-4"), on);
        assert_reply(&act("/reset", outlet), 200, &ok);
        assert_eq!(pdu.state("outlet-4"), on);
        assert_eq!(pdu.sets("outlet-4"), [on, off, on, off, on]);

        let (_, refusal) = self.refusal;
        let no_answer = format!("no answer from {}", self.peer);
        let failures = [
            (
                self.params(&pdu.address(), "7"),
                "/off",
                "actionError",
                refusal,
            ),
            (
                self.params(&pdu.address(), "42"),
                "/query",
                "settingsError",
                "driverParameters.node_outlet",
            ),
            (
                self.params(&public.address(), "1"),
                "/query",
                "connError",
                no_answer.as_str(),
            ),
        ];
        for (context, path, code, part) in failures {
            let response = act(path, context);
            assert_eq!(response.json()["error_code"], code, "{response:?}");
            let message = response.json()["error_message"]
                .as_str()
                .unwrap()
                .to_owned();
            assert!(message.contains(part), "{message}");
            assert!(!response.text().contains(COMMUNITY), "{response:?}");
        }
        let dead = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let response = act("/query", self.params(&format!("127.0.0.1:{dead}"), "1"));
        assert_eq!(response.status, 503, "{response:?}");
        assert_eq!(response.json()["error_code"], "connError");
        assert!(!server.stderr().contains(COMMUNITY), "{}", server.stderr());
    }
}
