//! Reassembling a WebSocket message sent in several frames (RFC 6455 fragmentation): the parts
//! are joined up to the same size limit as a single frame, so fragmenting gains a client
//! nothing.
//!
//! Kept by hand because the WebSocket crate of this design does not do it: actix-web-actors
//! hands each fragment to the session as its own `Message::Continuation(Item)` (its stream maps
//! `Frame::Continuation` straight through), and the codec underneath (actix-http's `ws::Codec`)
//! frames only. The crate that does join fragments, actix-ws (`aggregate_continuations`),
//! replaces actor sessions with async streams, which this server's session actors are not.

/// What the first fragment said the message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Binary,
}

/// What a fragment completed.
#[derive(Debug, PartialEq, Eq)]
pub enum Assembled {
    /// More fragments are to come.
    Pending,
    Text(String),
    Binary(usize),
    /// The parts together exceed the limit; the connection should be closed.
    TooLarge,
    /// A text message whose bytes are not UTF-8; the connection should be closed (RFC 6455 §8.1).
    InvalidUtf8,
    /// A continuation with no message begun, or a new message before the last one ended.
    OutOfOrder,
}

#[derive(Debug)]
pub struct Reassembly {
    max_bytes: usize,
    current: Option<(Kind, Vec<u8>)>,
}

impl Reassembly {
    pub fn new(max_bytes: usize) -> Self {
        Reassembly {
            max_bytes,
            current: None,
        }
    }

    /// The first fragment of a message.
    pub fn first(&mut self, kind: Kind, bytes: &[u8]) -> Assembled {
        if self.current.is_some() {
            self.current = None;
            return Assembled::OutOfOrder;
        }
        self.current = Some((kind, Vec::new()));
        self.append(bytes, false)
    }

    /// A following fragment; `last` ends the message.
    pub fn append(&mut self, bytes: &[u8], last: bool) -> Assembled {
        let Some((kind, buf)) = self.current.as_mut() else {
            return Assembled::OutOfOrder;
        };
        if buf.len().saturating_add(bytes.len()) > self.max_bytes {
            self.current = None;
            return Assembled::TooLarge;
        }
        buf.extend_from_slice(bytes);
        if !last {
            return Assembled::Pending;
        }
        let kind = *kind;
        let Some((_, buf)) = self.current.take() else {
            return Assembled::OutOfOrder;
        };
        match kind {
            Kind::Binary => Assembled::Binary(buf.len()),
            Kind::Text => String::from_utf8(buf).map_or(Assembled::InvalidUtf8, Assembled::Text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_join_into_one_message() {
        let mut r = Reassembly::new(16);
        assert_eq!(r.first(Kind::Text, b"{\"type\""), Assembled::Pending);
        assert_eq!(r.append(b":", false), Assembled::Pending);
        assert_eq!(
            r.append(b"1}", true),
            Assembled::Text("{\"type\":1}".into())
        );
        assert_eq!(r.append(b"x", true), Assembled::OutOfOrder);
    }

    #[test]
    fn limits_and_bad_bytes_are_reported() {
        let mut r = Reassembly::new(4);
        r.first(Kind::Text, b"abc");
        assert_eq!(r.append(b"de", true), Assembled::TooLarge);
        r.first(Kind::Text, &[0xff]);
        assert_eq!(r.append(&[0xfe], true), Assembled::InvalidUtf8);
        r.first(Kind::Binary, b"a");
        assert_eq!(r.first(Kind::Text, b"b"), Assembled::OutOfOrder);
        r.first(Kind::Binary, b"ab");
        assert_eq!(r.append(b"", true), Assembled::Binary(2));
    }
}
