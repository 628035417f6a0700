//! The activity's unit tests, and their helpers, which the connection table's tests share:
//! bytes through a [`Stream`] without tokio's `io-util`.

use super::*;

use std::future::poll_fn;

use axum::body::Body as AxumBody;
use tokio::net::UnixStream;

/// A stream observed by `activity`, and its client's end.
pub(in crate::service) fn pair(activity: &Arc<Activity>) -> (UnixStream, Stream<UnixStream>) {
    let (client, server) = UnixStream::pair().expect("a socket pair");
    (client, Stream::new(server, activity.clone()))
}

/// The client sends `bytes`, which the stream reads.
pub(in crate::service) async fn send(
    client: &UnixStream,
    stream: &mut Stream<UnixStream>,
    bytes: &[u8],
) {
    assert_eq!(
        client.try_write(bytes).expect("room in the socket"),
        bytes.len()
    );
    let mut buf = vec![0; bytes.len()];
    let mut read = ReadBuf::new(&mut buf);
    poll_fn(|cx| Pin::new(&mut *stream).poll_read(cx, &mut read))
        .await
        .expect("read");
    assert!(!read.filled().is_empty());
}

/// Flushes the stream, as hyper does once it has written what it buffered.
pub(in crate::service) async fn flush(stream: &mut Stream<UnixStream>) {
    poll_fn(|cx| Pin::new(&mut *stream).poll_flush(cx))
        .await
        .expect("flush");
}

/// Moves `activity` from idle to receiving, with a byte of a request.
pub(in crate::service) async fn begin_request(activity: &Arc<Activity>) {
    let (client, mut stream) = pair(activity);
    send(&client, &mut stream, b"G").await;
}

/// Reads from a new connection with nothing waiting: it is silent.
pub(in crate::service) fn find_nothing(activity: &Arc<Activity>) {
    let (_client, mut stream) = pair(activity);
    let mut buf = [0; 8];
    let mut read = ReadBuf::new(&mut buf);
    let waker = std::task::Waker::noop();
    let polled = Pin::new(&mut stream).poll_read(&mut Context::from_waker(waker), &mut read);
    assert!(polled.is_pending());
}

const TIMEOUTS: Timeouts = Timeouts {
    idle: Duration::from_secs(5),
    read: Duration::from_secs(2),
};

#[tokio::test]
async fn a_request_and_its_answer_go_round_the_phases() {
    let changed = Arc::new(Notify::new());
    let activity = Arc::new(Activity::new(changed.clone()));
    let Phase::Opened { since: opened } = activity.phase() else {
        panic!("a new connection is opened: {:?}", activity.phase());
    };
    assert_eq!(activity.deadline(TIMEOUTS), Some(opened + TIMEOUTS.idle));

    let (client, mut server) = pair(&activity);
    send(&client, &mut server, b"POST").await;
    let Phase::Receiving { since: began } = activity.phase() else {
        panic!("the first bytes begin a request: {:?}", activity.phase());
    };
    assert!(began >= opened);
    assert_eq!(activity.deadline(TIMEOUTS), Some(began + TIMEOUTS.read));
    // More bytes of the same request leave its deadline where it was.
    send(&client, &mut server, b" /on").await;
    assert_eq!(activity.phase(), Phase::Receiving { since: began });

    // The body's last bytes make the request whole.
    let body = WatchedBody::request(AxumBody::from("{}"), activity.clone());
    assert_eq!(activity.phase(), Phase::Receiving { since: began });
    let read = axum::body::to_bytes(AxumBody::new(body), 64).await.unwrap();
    assert_eq!(&read[..], b"{}");
    assert_eq!(activity.phase(), Phase::Handling);
    assert_eq!(activity.deadline(TIMEOUTS), None);

    drop(WatchedBody::answer(AxumBody::empty(), activity.clone()));
    let Phase::Answering { since: answered } = activity.phase() else {
        panic!(
            "a dropped answer is being handed over: {:?}",
            activity.phase()
        );
    };
    assert_eq!(activity.deadline(TIMEOUTS), Some(answered + TIMEOUTS.read));

    // The connection loop, if it waits for room, hears of it (its first read too).
    tokio::time::timeout(Duration::from_secs(5), changed.notified())
        .await
        .expect("the first read is told");
    flush(&mut server).await;
    assert!(matches!(activity.phase(), Phase::Idle { since } if since >= answered));
    tokio::time::timeout(Duration::from_secs(5), changed.notified())
        .await
        .expect("going idle is told");
}

#[tokio::test]
async fn a_new_connection_with_nothing_to_read_is_silent_since_it_opened() {
    let activity = Arc::new(Activity::new(Arc::new(Notify::new())));
    let Phase::Opened { since } = activity.phase() else {
        panic!("{:?}", activity.phase());
    };
    find_nothing(&activity);
    assert_eq!(activity.phase(), Phase::Silent { since });
    assert_eq!(activity.deadline(TIMEOUTS), Some(since + TIMEOUTS.idle));
}

#[tokio::test]
async fn a_request_without_a_body_is_whole_with_its_head() {
    let activity = Arc::new(Activity::new(Arc::new(Notify::new())));
    let _body = WatchedBody::request(AxumBody::empty(), activity.clone());
    assert_eq!(activity.phase(), Phase::Handling);
}

#[tokio::test]
async fn a_flush_between_requests_changes_nothing() {
    let activity = Arc::new(Activity::new(Arc::new(Notify::new())));
    let before = activity.phase();
    let (_client, mut server) = pair(&activity);
    flush(&mut server).await;
    assert_eq!(activity.phase(), before);
}
