//! Every example driver served as MAAS deploys it, `DRIVER serve --socket DIR/NAME.sock`
//! in the rack's power-driver directory, against its real peer, then found and driven as
//! MAAS's Go agent finds and drives it (`support/agent.rs`). So far, the client's own
//! tests.

#[path = "support/agent.rs"]
mod agent;
#[path = "support/go_json.rs"]
mod go_json;
#[path = "support/unix_http.rs"]
mod unix_http;
