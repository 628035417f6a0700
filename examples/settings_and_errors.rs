//! Tour, step 1: settings and errors. A driver for a lab's relay board, simulated by a
//! directory with one file per relay ("on" or "off"), so that it runs anywhere.
//!
//! ```text
//! cargo run --example settings_and_errors -- schema
//! mkdir -p /tmp/relays
//! echo '{"driverParameters": {"board": "/tmp/relays", "relay": "3",
//!        "power_pass": "pw", "off_mode": "soft"}}' \
//!   | cargo run --example settings_and_errors -- power_on
//! ```
//!
//! It shows:
//! - settings as one struct: a doc comment gives each its label and help in MAAS's form;
//!   `#[serde(default)]` makes a setting optional, a choice is an enum, a password a
//!   `Secret` (never printed), MAAS's "y"/"n" a `YesNo`; MAAS stores every value as text,
//!   and maaspd reads "3" as `3` and "" as unset;
//! - `new` checking the settings, so a wrong one is a `settingsError` whatever the action;
//! - errors as MAAS's codes: `bail!`/`err!` with a kind, `ErrorContext` (`.or_conn(...)`)
//!   on another library's error, each message saying what was being done.

use std::path::PathBuf;

use maaspd::types::YesNo;
use maaspd::{ErrorContext, PowerState, Result, Secret, bail};

/// How a relay is switched off.
#[maaspd::parameters]
#[derive(Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum OffMode {
    /// Cut the power at once
    #[default]
    Hard,
    /// Let the machine shut down first
    Soft,
}

/// Lab relay board
///
/// A relay per machine on a board that is a directory of files.
#[maaspd::parameters]
struct Settings {
    /// Board directory
    ///
    /// Where the board keeps one file per relay.
    board: PathBuf,

    /// Relay number
    ///
    /// The machine's relay, 1 to 16.
    #[maaspd(scope = "node")]
    relay: u8,

    /// Board password
    #[serde(default)]
    power_pass: Secret,

    /// How to power off
    #[serde(default)]
    off_mode: OffMode,

    /// Keep the board locked after each change
    #[serde(default)]
    lock: YesNo,
}

struct RelayBoard {
    relay: PathBuf,
    off_mode: OffMode,
}

#[maaspd::power_driver(description = "Lab relay board (tour: settings and errors)")]
impl RelayBoard {
    fn new(settings: Settings) -> Result<Self> {
        if !(1..=16).contains(&settings.relay) {
            bail!(
                settings,
                "driverParameters.relay: {} is not a relay of the board (1 to 16)",
                settings.relay
            );
        }
        if settings.lock.is_yes() && settings.power_pass.is_empty() {
            bail!(
                settings,
                "driverParameters.lock: a locked board needs power_pass"
            );
        }
        Ok(RelayBoard {
            relay: settings.board.join(format!("relay-{}", settings.relay)),
            off_mode: settings.off_mode,
        })
    }

    fn power_on(&self) -> Result<()> {
        self.set("on")
    }

    fn power_off(&self) -> Result<()> {
        if self.off_mode == OffMode::Soft {
            maaspd::log::info!("soft off: the machine is asked to shut down first");
        }
        self.set("off")
    }

    fn power_query(&self) -> Result<PowerState> {
        let state = match std::fs::read_to_string(&self.relay) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(PowerState::Off);
            }
            read => read.or_conn(format_args!("reading {}", self.relay.display()))?,
        };
        match state.trim() {
            "on" => Ok(PowerState::On),
            "off" => Ok(PowerState::Off),
            other => bail!(
                action,
                "{} reports {other:?}, neither on nor off",
                self.relay.display()
            ),
        }
    }
}

impl RelayBoard {
    /// An unreachable board is a `connError`, which MAAS retries.
    fn set(&self, state: &str) -> Result<()> {
        std::fs::write(&self.relay, state)
            .or_conn(format_args!("switching {}", self.relay.display()))
    }
}
