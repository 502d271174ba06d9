//! The session-telemetry frames on a socket (`validation_open`, `validation_read`); what they
//! record and answer is [`telemetry`](crate::session::telemetry).

use serde_json::Value;

use super::{Ctx, WsSession};
use crate::protocol::messages::{ErrorBody, ErrorCode, ServerMessage};
use crate::session::telemetry::{self, Telemetry};

impl WsSession {
    pub(super) fn open_telemetry(&mut self, data: &Option<Value>, ctx: &mut Ctx) {
        let opened = match (&self.services.validation_token, &self.attached) {
            (Some(token), None) if self.telemetry.is_none() => {
                Telemetry::open(token, data, self.operations_seen)
            }
            (Some(_), _) => Err(ErrorBody::new(
                ErrorCode::ValidationError,
                "session telemetry is not available on this socket",
            )),
            (None, _) => Err(telemetry::disabled("validation_open")),
        };
        match opened {
            Ok(t) => {
                ctx.text(t.opened_frame());
                self.telemetry = Some(t);
            }
            Err(body) => self.send(ctx, &ServerMessage::Error(body)),
        }
    }

    pub(super) fn read_telemetry(&mut self, data: &Option<Value>, ctx: &mut Ctx) {
        let read = match (&self.services.validation_token, &self.telemetry) {
            (Some(_), Some(t)) => t.read(data),
            (Some(_), None) => Err(ErrorBody::new(
                ErrorCode::ValidationError,
                "session telemetry authorization refused",
            )),
            (None, _) => Err(telemetry::disabled("validation_read")),
        };
        match read {
            Ok(frame) => ctx.text(frame),
            Err(body) => self.send(ctx, &ServerMessage::Error(body)),
        }
    }
}
