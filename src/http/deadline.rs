//! Request bodies must arrive in time. actix times only the request head
//! (`client_request_timeout`), so a client trickling a body one byte at a time could hold a
//! connection for ever. This middleware wraps every request's body in a stream that fails once
//! its deadline passes, answers 408 and closes the connection. It is the one place this is
//! decided: JSON, CSV and multipart bodies all arrive through it.

use super::problem::ApiError;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::rt::time::{Instant, Sleep, sleep_until};
use actix_web::web::Bytes;
use actix_web::{ResponseError, web};
use futures_util::Stream;
use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

/// How long a body may take: `base`, plus one second per `min_rate` bytes received, so a large
/// upload at a reasonable rate finishes while a trickle is cut off at about `base`.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline {
    pub base: Duration,
    /// Bytes per second; 0 gives no extra time, whatever the size.
    pub min_rate: u64,
}

impl BodyDeadline {
    fn at(&self, start: Instant, received: u64) -> Instant {
        let extra = if self.min_rate == 0 { 0.0 } else { received as f64 / self.min_rate as f64 };
        start + self.base + Duration::from_secs_f64(extra)
    }

    fn describe(&self) -> String {
        let base = self.base.as_secs_f64();
        match self.min_rate {
            0 => format!("the request body did not arrive within {base} s"),
            r => format!(
                "the request body did not arrive in time: {base} s plus 1 s for every {} KiB \
                 (BELLMAP_BODY_TIMEOUT_SECS, BELLMAP_BODY_MIN_KIB_PER_SEC)",
                r / 1024
            ),
        }
    }
}

/// What the handler did with the body, seen after it answers.
#[derive(Default)]
struct Outcome {
    expired: Cell<bool>,
    finished: Cell<bool>,
}

/// The request body as actix delivers it, shared by the timed stream and the middleware.
type Shared = Rc<RefCell<Payload>>;

/// A body stream with a deadline.
struct Timed {
    inner: Shared,
    deadline: BodyDeadline,
    start: Instant,
    received: u64,
    timer: Pin<Box<Sleep>>,
    outcome: Rc<Outcome>,
}

impl Stream for Timed {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        // Polling the timer first also wakes this task when the deadline passes while the
        // client sends nothing. Once passed, every poll fails: a body is never cut short
        // silently.
        if this.outcome.expired.get() || this.timer.as_mut().poll(cx).is_ready() {
            this.outcome.expired.set(true);
            let e = std::io::Error::new(std::io::ErrorKind::TimedOut, this.deadline.describe());
            return Poll::Ready(Some(Err(PayloadError::Io(e))));
        }
        let item = Pin::new(&mut *this.inner.borrow_mut()).poll_next(cx);
        match &item {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received += chunk.len() as u64;
                let at = this.deadline.at(this.start, this.received);
                this.timer.as_mut().reset(at);
            }
            Poll::Ready(None) => this.outcome.finished.set(true),
            _ => {}
        }
        item
    }
}

/// Middleware: puts every body under `AppState::body_deadline`. When it passes, whatever the
/// handler answered becomes a 408 problem. A body not read to its end (cut off, or never read)
/// is held until the answer has been sent: actix then closes the connection, where dropping
/// the body would let it drain a chunked body with no deadline at all.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let deadline = req.app_data::<web::Data<super::AppState>>().map(|s| s.body_deadline);
    let (_, payload) = req.parts_mut();
    let (Some(deadline), false) = (deadline, matches!(payload, Payload::None)) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let body: Shared = Rc::new(RefCell::new(payload.take()));
    let outcome = Rc::new(Outcome::default());
    let start = Instant::now();
    let timed = Timed {
        inner: body.clone(),
        deadline,
        start,
        received: 0,
        timer: Box::pin(sleep_until(deadline.at(start, 0))),
        outcome: outcome.clone(),
    };
    let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(timed);
    req.set_payload(Payload::from(stream));
    let mut res = next.call(req).await?.map_into_boxed_body();
    if outcome.expired.get() {
        tracing::warn!(target: "bellmap::http", path = %res.request().path(), "request body too slow: 408");
        let (req, _) = res.into_parts();
        res = ServiceResponse::new(req, ApiError::RequestTimeout(deadline.describe()).error_response());
    }
    if outcome.finished.get() {
        return Ok(res);
    }
    res.response_mut().head_mut().set_connection_type(ConnectionType::Close);
    Ok(res.map_body(|_, answer| BoxBody::new(Holding { answer, _body: body })))
}

/// An answer that keeps the unread request body alive until it has been sent.
struct Holding {
    answer: BoxBody,
    _body: Shared,
}

impl MessageBody for Holding {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.answer.size()
    }

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().answer).poll_next(cx)
    }
}
