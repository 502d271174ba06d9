//! A WebSocket server that does nothing: every text frame gets the same fixed observation back.
//! `scripts/bench-load.sh` runs it under the same load generator as SQLEnv, as the measure of
//! the wire: what the socket, actix's WebSocket stack and the client cost with no environment
//! behind them. Two worker threads, like the server's default on two cores.
//!
//! Usage: `cargo run --release --example null_ws -- PORT [REPLY_FILE]`. With `REPLY_FILE`, the
//! fixed reply is that file's text instead (for example a real SQLEnv observation frame, to see
//! what the size of the reply costs the wire).

use actix::{Actor, ActorContext, StreamHandler};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use actix_web_actors::ws;

/// What the load generator's echo episodes read: an observation frame with a reward and `done`.
const REPLY: &str = r#"{"type":"observation","data":{"observation":{},"reward":0.0,"done":false}}"#;

struct Null(web::Data<String>);

impl Actor for Null {
    type Context = ws::WebsocketContext<Self>;
}

impl StreamHandler<Result<ws::Message, ws::ProtocolError>> for Null {
    fn handle(&mut self, frame: Result<ws::Message, ws::ProtocolError>, ctx: &mut Self::Context) {
        match frame {
            Ok(ws::Message::Text(_)) => ctx.text(self.0.as_str()),
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

async fn socket(
    req: HttpRequest,
    stream: web::Payload,
    reply: web::Data<String>,
) -> Result<HttpResponse, actix_web::Error> {
    ws::start(Null(reply), &req, stream)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|e| std::io::Error::other(format!("port '{arg}': {e}")))?,
        None => 18502,
    };
    let reply = match std::env::args().nth(2) {
        Some(path) => std::fs::read_to_string(&path)?.trim_end().to_owned(),
        None => REPLY.to_owned(),
    };
    let reply = web::Data::new(reply);
    // One socket per session: 1,000 sessions need more than the usual 1,024 descriptors' margin.
    rlimit::increase_nofile_limit(u64::MAX)?;
    HttpServer::new(move || {
        App::new()
            .app_data(reply.clone())
            .route("/ws", web::get().to(socket))
    })
    .workers(2)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
