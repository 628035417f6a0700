//! The `log` facade's records on stderr, one line each, for the CLI (`-v`, `-vv`) and
//! the service alike. The runtime logs what it does, never a parameter's value; drivers
//! log through `maaspd::log`, and their lines name the action and the machine they run
//! for (`NAME: info: power_on system_id=abc: ...`).

use std::sync::OnceLock;

use log::{LevelFilter, Log, Metadata, Record};

use crate::context::current;

struct Stderr {
    name: &'static str,
}

static LOGGER: OnceLock<Stderr> = OnceLock::new();

/// Installs the logger: warnings always, `-v` info, `-vv` debug, `-vvv` trace.
pub(crate) fn init(name: &'static str, verbosity: u8) {
    install(name);
    log::set_max_level(match verbosity {
        0 => LevelFilter::Warn,
        1 => LevelFilter::Info,
        2 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    });
}

/// Installs the logger unless one is, keeping the level set before (warnings when none
/// was).
pub(crate) fn install(name: &'static str) {
    let logger = LOGGER.get_or_init(|| Stderr { name });
    // Only the first call in a process installs it (tests call `run` many times).
    if log::set_logger(logger).is_ok() && log::max_level() == LevelFilter::Off {
        log::set_max_level(LevelFilter::Warn);
    }
}

impl Log for Stderr {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let level = record.level().as_str().to_lowercase();
            match current::tag() {
                Some(tag) => eprintln!("{}: {level}: {tag}: {}", self.name, record.args()),
                None => eprintln!("{}: {level}: {}", self.name, record.args()),
            }
        }
    }

    fn flush(&self) {}
}
