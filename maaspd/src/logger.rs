//! The `log` facade's records on stderr, one line each, for the CLI (`-v` to `-vvvv`)
//! and the service alike. The runtime logs what it does, never a parameter's value;
//! drivers log through `maaspd::log`, and their lines name the action and the machine
//! they run for (`NAME: info: power_on system_id=abc: ...`). Up to `-vv` only maaspd's
//! and the driver's own records show (and any library's warnings): the HTTP and TLS
//! crates' debug output would drown them; `-vvv` adds the libraries', `-vvvv` traces.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use log::{LevelFilter, Log, Metadata, Record};

use crate::context::current;

struct Stderr {
    name: &'static str,
    /// The driver crate's name, whose records show as maaspd's do.
    own: &'static str,
}

static LOGGER: OnceLock<Stderr> = OnceLock::new();

/// Whether the libraries' records below warnings show (`-vvv` and up).
static LIBRARIES: AtomicBool = AtomicBool::new(false);

/// Installs the logger: warnings always, `-v` info, `-vv` debug, `-vvv` the libraries'
/// debug records too, `-vvvv` trace.
pub(crate) fn init(name: &'static str, own: &'static str, verbosity: u8) {
    install(name, own);
    LIBRARIES.store(verbosity >= 3, Ordering::Relaxed);
    log::set_max_level(match verbosity {
        0 => LevelFilter::Warn,
        1 => LevelFilter::Info,
        2 | 3 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    });
}

/// Installs the logger unless one is, keeping the level set before (warnings when none
/// was).
pub(crate) fn install(name: &'static str, own: &'static str) {
    let logger = LOGGER.get_or_init(|| Stderr { name, own });
    // Only the first call in a process installs it (tests call `run` many times).
    if log::set_logger(logger).is_ok() && log::max_level() == LevelFilter::Off {
        log::set_max_level(LevelFilter::Warn);
    }
}

impl Log for Stderr {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
            && (metadata.level() <= log::Level::Warn
                || LIBRARIES.load(Ordering::Relaxed)
                || self.is_ours(metadata.target()))
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let level = record.level().as_str().to_lowercase();
            match current::tag() {
                Some(tag) => line(self.name, format_args!("{level}: {tag}: {}", record.args())),
                None => line(self.name, format_args!("{level}: {}", record.args())),
            }
        }
    }

    fn flush(&self) {}
}

/// Writes one line to stderr, `NAME: TEXT`: the logger's records and the service's own
/// lines (its start, its request log, its stop) alike, so that every line the process
/// prints goes one way, whole.
pub(crate) fn line(name: &str, text: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{name}: {text}");
}

impl Stderr {
    /// Whether a record's target (its module path) is maaspd's or the driver's.
    fn is_ours(&self, target: &str) -> bool {
        let crate_name = target.split("::").next().unwrap_or(target);
        self.own.is_empty() || crate_name == self.own || crate_name.starts_with("maaspd")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_maaspd_and_the_drivers_own_records_are_ours() {
        let logger = Stderr {
            name: "webhook",
            own: "maaspd_webhook",
        };
        assert!(logger.is_ours("maaspd::service::connection"));
        assert!(logger.is_ours("maaspd_webhook"));
        assert!(logger.is_ours("maaspd_webhook::http"));
        assert!(!logger.is_ours("ureq::unversioned::transport"));
        assert!(!logger.is_ours("rustls::client::hs"));
        let unnamed = Stderr { name: "x", own: "" };
        assert!(unnamed.is_ours("ureq"));
    }
}
