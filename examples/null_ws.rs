//! A WebSocket server that does nothing: every text frame gets the same fixed observation back.
//! `scripts/bench-load.sh` runs it under the same load generator as SQLEnv, as the measure of
//! the wire: what the socket, actix's WebSocket stack and the client cost with no environment
//! behind them. Two worker threads, like the server's default on two cores.
//!
//! Usage: `cargo run --release --example null_ws -- PORT`

use actix::{Actor, ActorContext, StreamHandler};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use actix_web_actors::ws;

/// What the load generator's echo episodes read: an observation frame with a reward and `done`.
const REPLY: &str = r#"{"type":"observation","data":{"observation":{},"reward":0.0,"done":false}}"#;

struct Null;

impl Actor for Null {
    type Context = ws::WebsocketContext<Self>;
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for Null {
    fn handle(&mut self, frame: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        match frame {
            Ok(ws::Message::Text(_)) => ctx.text(REPLY),
            Ok(ws::Message::Ping(payload)) => ctx.pong(&payload),
            Ok(ws::Message::Close(reason)) => {
                ctx.close(reason);
                ctx.stop();
            }
            Ok(_) => {}
            Err(_) => ctx.stop(),
        }
    }
}

async fn socket(req: HttpRequest, stream: web::Payload) -> Result<HttpResponse, actix_web::Error> {
    ws::start(Null, &req, stream)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|e| std::io::Error::other(format!("port '{arg}': {e}")))?,
        None => 18502,
    };
    // One socket per session: 1,000 sessions need more than the usual 1,024 descriptors' margin.
    rlimit::increase_nofile_limit(u64::MAX)?;
    HttpServer::new(|| App::new().route("/ws", web::get().to(socket)))
        .workers(2)
        .bind(("127.0.0.1", port))?
        .run()
        .await
}
