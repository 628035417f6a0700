//! Tour, step 3: async actions and the call's context. A driver for a slow lab PDU,
//! simulated by a state file: each command takes `latency_ms`, and a machine switched on
//! shows "on" only `boot_s` seconds later.
//!
//! ```text
//! cargo run --example async_context -- schema
//! echo '{"driverParameters": {"state_file": "/tmp/pdu-outlet-4", "boot_s": "3"}}' \
//!   | cargo run --example async_context -- power_on --timeout 20 -v
//! ```
//!
//! It shows:
//! - `async fn` actions (and `async fn new`), mixed freely with blocking ones: the CLI
//!   runs them on a current-thread runtime, `serve` awaits them in-process, and at the
//!   call's deadline the future is dropped, so a command in flight is really cancelled;
//! - `ctx: &Context`, taken by any action that asks for it: the deadline and time left,
//!   the machine's `system_id`, and log lines tagged with the machine;
//! - the runtime's confirmation: after `power_on` it queries, then again after MAAS's
//!   1, 2, 2, 4, ... s pauses, until the PDU reports the machine on (or the deadline).

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use maaspd::{Context, ErrorContext, PowerState, Result, bail};

fn default_latency_ms() -> u64 {
    200
}

/// Slow lab PDU
///
/// An outlet of a PDU that answers slowly and whose machine takes a while to boot.
#[maaspd::parameters]
struct Settings {
    /// Outlet state file
    state_file: PathBuf,

    /// Milliseconds per PDU command
    #[serde(default = "default_latency_ms")]
    latency_ms: u64,

    /// Seconds from power on to "on"
    #[serde(default)]
    boot_s: u64,
}

struct SlowPdu {
    settings: Settings,
}

#[maaspd::power_driver(description = "Slow lab PDU (tour: async with a context)")]
impl SlowPdu {
    async fn new(settings: Settings) -> Result<Self> {
        Ok(SlowPdu { settings })
    }

    async fn power_on(&self, ctx: &Context) -> Result<()> {
        let on_at = now() + self.settings.boot_s;
        self.command(ctx, &format!("on {on_at}")).await
    }

    async fn power_off(&self, ctx: &Context) -> Result<()> {
        self.command(ctx, "off 0").await
    }

    async fn power_query(&self, ctx: &Context) -> Result<PowerState> {
        self.wait_latency(ctx).await?;
        let path = &self.settings.state_file;
        let state = std::fs::read_to_string(path).unwrap_or_else(|_| "off 0".into());
        let (state, since) = state.trim().split_once(' ').unwrap_or((state.trim(), "0"));
        let since: u64 = since
            .parse()
            .or_action(format_args!("{}: bad time", path.display()))?;
        Ok(match state {
            "on" if now() >= since => PowerState::On,
            // Still booting: the runtime asks again after its next pause.
            "on" | "off" => PowerState::Off,
            other => bail!(action, "the outlet reports {other:?}"),
        })
    }
}

impl SlowPdu {
    async fn command(&self, ctx: &Context, command: &str) -> Result<()> {
        self.wait_latency(ctx).await?;
        maaspd::log::info!("outlet {}: {command}", self.settings.state_file.display());
        std::fs::write(&self.settings.state_file, command).or_conn(format_args!(
            "writing {}",
            self.settings.state_file.display()
        ))
    }

    /// The PDU's answer time. Not worth starting when the deadline is nearer: MAAS
    /// retries a `connError`.
    async fn wait_latency(&self, ctx: &Context) -> Result<()> {
        let latency = Duration::from_millis(self.settings.latency_ms);
        if ctx.time_left().is_some_and(|left| left < latency) {
            bail!(
                conn,
                "the PDU needs {latency:?} per command, more than the time left"
            );
        }
        tokio::time::sleep(latency).await;
        Ok(())
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}
