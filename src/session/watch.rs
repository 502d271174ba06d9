//! Noticing a client that goes away while a step holds its session. A step runs under
//! `ctx.wait`, which keeps the session from reading frames until the step is done (so the steps
//! of a session never interleave); meanwhile the socket is read here, ahead of the session and
//! into a small buffer, so that the end of the stream sets the session's cancel flag and its
//! query is interrupted instead of running to its deadline.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use actix::fut::{ActorFuture, LocalBoxActorFuture};
use actix::Actor;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::Stream;

/// Bytes read ahead while a step runs. Past this the watcher stops reading, and a disconnect is
/// noticed when the step ends (which the query deadline bounds) rather than at once.
pub const READ_AHEAD_BYTES: usize = 64 * 1024;

type Chunk = Result<Bytes, PayloadError>;

struct Shared {
    stream: Pin<Box<dyn Stream<Item = Chunk>>>,
    ahead: VecDeque<Chunk>,
    ahead_bytes: usize,
    /// The stream returned its end or an error: it is not polled again.
    ended: bool,
}

/// The request payload as the session reads it: what the watcher read ahead first.
pub struct WatchedPayload(Rc<RefCell<Shared>>);

/// Reads the same payload while a step runs.
#[derive(Clone)]
pub struct Watcher(Rc<RefCell<Shared>>);

/// Splits `stream` into the payload the session reads and its watcher.
pub fn watch(stream: impl Stream<Item = Chunk> + 'static) -> (WatchedPayload, Watcher) {
    let shared = Rc::new(RefCell::new(Shared {
        stream: Box::pin(stream),
        ahead: VecDeque::new(),
        ahead_bytes: 0,
        ended: false,
    }));
    (WatchedPayload(shared.clone()), Watcher(shared))
}

impl Stream for WatchedPayload {
    type Item = Chunk;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Chunk>> {
        let mut s = self.0.borrow_mut();
        if let Some(chunk) = s.ahead.pop_front() {
            if let Ok(bytes) = &chunk {
                s.ahead_bytes -= bytes.len();
            }
            return Poll::Ready(Some(chunk));
        }
        if s.ended {
            return Poll::Ready(None);
        }
        let next = s.stream.as_mut().poll_next(cx);
        if matches!(next, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            s.ended = true;
        }
        next
    }
}

impl Watcher {
    /// Reads ahead what has arrived; true once the client's stream has ended or failed.
    pub fn poll_gone(&self, cx: &mut Context<'_>) -> bool {
        let mut s = self.0.borrow_mut();
        while !s.ended && s.ahead_bytes < READ_AHEAD_BYTES {
            match s.stream.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(bytes))) => {
                    s.ahead_bytes += bytes.len();
                    s.ahead.push_back(Ok(bytes));
                }
                Poll::Ready(Some(Err(e))) => {
                    s.ahead.push_back(Err(e));
                    s.ended = true;
                }
                Poll::Ready(None) => s.ended = true,
                Poll::Pending => break,
            }
        }
        s.ended
    }

    /// Runs `step` while watching: if the client goes away meanwhile, `cancel` is set.
    pub fn guard<A: Actor>(
        &self,
        step: LocalBoxActorFuture<A, ()>,
        cancel: Arc<AtomicBool>,
    ) -> WhileWatching<A> {
        WhileWatching {
            step,
            watcher: self.clone(),
            cancel,
        }
    }
}

/// A step that sets its session's cancel flag when the client disconnects.
pub struct WhileWatching<A: Actor> {
    step: LocalBoxActorFuture<A, ()>,
    watcher: Watcher,
    cancel: Arc<AtomicBool>,
}

impl<A: Actor> ActorFuture<A> for WhileWatching<A> {
    type Output = ();

    fn poll(
        mut self: Pin<&mut Self>,
        act: &mut A,
        ctx: &mut A::Context,
        task: &mut Context<'_>,
    ) -> Poll<()> {
        if self.watcher.poll_gone(task) {
            self.cancel.store(true, Ordering::Relaxed);
        }
        self.step.as_mut().poll(act, ctx, task)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::stream::{self, StreamExt};

    use super::*;

    #[actix::test]
    async fn read_ahead_bytes_still_reach_the_reader_then_the_end() {
        let chunks = vec![Ok(Bytes::from_static(b"ab")), Ok(Bytes::from_static(b"c"))];
        let (mut payload, watcher) = watch(stream::iter(chunks));
        let gone = futures_util::future::poll_fn(|cx| Poll::Ready(watcher.poll_gone(cx))).await;
        assert!(gone);
        assert_eq!(payload.next().await.unwrap().unwrap(), "ab");
        assert_eq!(payload.next().await.unwrap().unwrap(), "c");
        assert!(payload.next().await.is_none());
        assert!(payload.next().await.is_none());
    }

    #[actix::test]
    async fn a_live_stream_is_not_gone() {
        let (_payload, watcher) = watch(stream::pending());
        let gone = futures_util::future::poll_fn(|cx| Poll::Ready(watcher.poll_gone(cx))).await;
        assert!(!gone);
    }
}
