//! What stops the service: SIGTERM (systemd's stop) or SIGINT (Ctrl-C), whichever comes
//! first, each listened for on its own, so that one whose handler cannot be installed
//! leaves the other working.

/// SIGTERM or SIGINT. Should SIGTERM's handler fail to install, SIGINT still stops the
/// service (and the reason is logged), and the other way round.
pub(super) async fn signal(driver: &str) {
    use tokio::signal::unix::{SignalKind, signal};
    let terminate = signal(SignalKind::terminate()).map(|mut terminate| async move {
        terminate.recv().await;
    });
    let interrupt = signal(SignalKind::interrupt()).map(|mut interrupt| async move {
        interrupt.recv().await;
    });
    either_stops(driver, terminate, interrupt).await
}

/// The first of two stop signals to arrive; one that could not be listened for is
/// logged and never arrives.
async fn either_stops(
    driver: &str,
    terminate: std::io::Result<impl Future<Output = ()>>,
    interrupt: std::io::Result<impl Future<Output = ()>>,
) {
    tokio::select! {
        () = listened(driver, "SIGTERM", terminate) => {}
        () = listened(driver, "SIGINT", interrupt) => {}
    }
}

async fn listened(driver: &str, name: &str, stop: std::io::Result<impl Future<Output = ()>>) {
    match stop {
        Ok(stop) => stop.await,
        Err(error) => {
            crate::logger::line(
                driver,
                format_args!(
                    "warning: cannot listen for {name}: {error}; only the other signal \
                     stops the service"
                ),
            );
            std::future::pending().await
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::{pending, ready};
    use std::time::Duration;

    use super::*;

    /// Whether `stop` ends within `limit`.
    fn stops_within(stop: impl Future<Output = ()>, limit: Duration) -> bool {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        runtime.expect("a runtime").block_on(async {
            tokio::select! {
                () = stop => true,
                () = tokio::time::sleep(limit) => false,
            }
        })
    }

    fn refused() -> std::io::Result<std::future::Ready<()>> {
        Err(std::io::Error::other("refused"))
    }

    #[test]
    fn either_signal_stops_the_service_when_the_other_cannot_be_heard() {
        let second = Duration::from_secs(1);
        assert!(stops_within(
            either_stops("test", refused(), Ok(ready(()))),
            second
        ));
        assert!(stops_within(
            either_stops("test", Ok(ready(())), refused()),
            second
        ));
    }

    #[test]
    fn a_signal_that_cannot_be_heard_does_not_stop_the_service() {
        let short = Duration::from_millis(100);
        assert!(!stops_within(
            either_stops("test", refused(), Ok(pending())),
            short
        ));
        assert!(!stops_within(
            either_stops("test", refused(), refused()),
            short
        ));
    }

    #[test]
    fn the_first_signal_stops_the_service() {
        let later = async { tokio::time::sleep(Duration::from_millis(10)).await };
        let stop = either_stops("test", Ok(pending::<()>()), Ok(later));
        assert!(stops_within(stop, Duration::from_secs(5)));
    }
}
