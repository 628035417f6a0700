//! `-v` / `-vv`: the `log` facade's records on stderr, one line each. The runtime logs
//! what it does, never a parameter's value; drivers log through `maaspd::log`.

use std::sync::OnceLock;

use log::{LevelFilter, Log, Metadata, Record};

struct Stderr {
    name: &'static str,
}

static LOGGER: OnceLock<Stderr> = OnceLock::new();

/// Installs the logger: warnings always, `-v` info, `-vv` debug, `-vvv` trace.
pub(super) fn init(name: &'static str, verbosity: u8) {
    let logger = LOGGER.get_or_init(|| Stderr { name });
    // Only the first call in a process installs it (tests call `run` many times).
    let _ = log::set_logger(logger);
    log::set_max_level(match verbosity {
        0 => LevelFilter::Warn,
        1 => LevelFilter::Info,
        2 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    });
}

impl Log for Stderr {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let level = record.level().as_str().to_lowercase();
            eprintln!("{}: {level}: {}", self.name, record.args());
        }
    }

    fn flush(&self) {}
}
