//! OpenEnv's Task API: the splits, and the served questions of each as tasks, in the stable order
//! whose indices `reset(split=..., index=...)` plays. Routes and shapes are the reference
//! server's: `GET /list_environments`, `GET /{env}/splits`, `POST /{env}/tasks|num_tasks|task|
//! task_range`; another environment name is 404, a bad index 400, a malformed body 422. A task
//! shows what the agent is asked, never the gold answer.

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use crate::catalog::question::{Question, Split};
use crate::protocol::messages::{ErrorBody, ErrorCode};
use crate::session::Services;

/// The name the Task API routes answer to.
pub const ENV_NAME: &str = "sqlenv";
/// `tasks` lists at most this many (a preview, as the reference allows for large splits;
/// `num_tasks` is the true count), and `task_range` serves at most this many at once.
pub const MAX_LISTED_TASKS: usize = 1000;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/list_environments", web::get().to(list_environments))
        .route("/{env_name}/splits", web::get().to(splits))
        .route("/{env_name}/tasks", web::post().to(tasks))
        .route("/{env_name}/num_tasks", web::post().to(num_tasks))
        .route("/{env_name}/task", web::post().to(task))
        .route("/{env_name}/task_range", web::post().to(task_range));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitRequest {
    split: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskRequest {
    split: String,
    index: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeRequest {
    split: String,
    #[serde(default)]
    start: Option<i64>,
    #[serde(default)]
    stop: Option<i64>,
}

/// Why a Task API request is refused; each is answered as the reference answers it.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("unknown environment '{0}'")]
    UnknownEnvironment(String),
    #[error("unknown split '{0}'; splits are train, eval")]
    UnknownSplit(String),
    #[error("Invalid task index")]
    InvalidIndex,
    #[error("a range serves at most {MAX_LISTED_TASKS} tasks; ask in pieces")]
    RangeTooLarge,
    #[error("{0}")]
    Body(String),
}

/// Another environment is 404, a malformed body 422 (FastAPI's list of problems), anything
/// else 400; all carry the protocol's `VALIDATION_ERROR` code.
impl From<TaskError> for ApiError {
    fn from(error: TaskError) -> Self {
        let code = ErrorCode::ValidationError;
        match error {
            TaskError::Body(msg) => {
                ApiError::Invalid(ErrorBody::validation(msg.clone(), vec![msg]))
            }
            e @ TaskError::UnknownEnvironment(_) => ApiError::NotFound {
                code,
                message: e.to_string(),
            },
            e => ApiError::BadRequest {
                code,
                message: e.to_string(),
            },
        }
    }
}

fn check_env(env_name: &str) -> Result<(), TaskError> {
    if env_name.eq_ignore_ascii_case(ENV_NAME) {
        Ok(())
    } else {
        Err(TaskError::UnknownEnvironment(env_name.to_owned()))
    }
}

/// Checks the environment name and parses the body.
fn request<T: for<'de> Deserialize<'de>>(env_name: &str, body: &[u8]) -> Result<T, TaskError> {
    check_env(env_name)?;
    serde_json::from_slice(body).map_err(|e| TaskError::Body(e.to_string()))
}

fn split_named(name: &str) -> Result<Split, TaskError> {
    match name {
        "train" => Ok(Split::Train),
        "eval" => Ok(Split::Eval),
        other => Err(TaskError::UnknownSplit(other.to_owned())),
    }
}

fn task_spec(split: Split, index: usize, q: &Question) -> Value {
    json!({
        "id": q.id,
        "index": index,
        "split": split.as_str(),
        "db_id": q.db_id,
        "difficulty": q.difficulty.as_str(),
        "question": q.question,
    })
}

fn specs(split: Split, tasks: &[Arc<Question>], start: usize) -> Vec<Value> {
    tasks
        .iter()
        .enumerate()
        .map(|(i, q)| task_spec(split, start + i, q))
        .collect()
}

/// Python's slice bounds: negative counts from the end, out-of-range clamps.
fn slice_bound(bound: Option<i64>, len: usize, default: usize) -> usize {
    match bound {
        None => default,
        Some(b) if b < 0 => len.saturating_sub(usize::try_from(b.unsigned_abs()).unwrap_or(len)),
        Some(b) => usize::try_from(b).map_or(len, |b| b.min(len)),
    }
}

async fn list_environments() -> HttpResponse {
    HttpResponse::Ok().json([ENV_NAME])
}

async fn splits(env_name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    check_env(&env_name)?;
    Ok(HttpResponse::Ok().json(json!([
        { "name": Split::Train.as_str(), "type": "train" },
        { "name": Split::Eval.as_str(), "type": "validation" },
    ])))
}

async fn tasks(
    env_name: web::Path<String>,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let req: SplitRequest = request(&env_name, &body)?;
    let split = split_named(&req.split)?;
    let all = services.catalog.questions().served_in(split, None);
    let shown = &all[..all.len().min(MAX_LISTED_TASKS)];
    Ok(HttpResponse::Ok().json(json!({ "tasks": specs(split, shown, 0), "env_name": ENV_NAME })))
}

async fn num_tasks(
    env_name: web::Path<String>,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let req: SplitRequest = request(&env_name, &body)?;
    let split = split_named(&req.split)?;
    let count = services.catalog.questions().served_in(split, None).len();
    Ok(HttpResponse::Ok().json(json!({ "num_tasks": count })))
}

async fn task(
    env_name: web::Path<String>,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let req: TaskRequest = request(&env_name, &body)?;
    let split = split_named(&req.split)?;
    let all = services.catalog.questions().served_in(split, None);
    let (i, q) = usize::try_from(req.index)
        .ok()
        .and_then(|i| all.get(i).map(|q| (i, q)))
        .ok_or(TaskError::InvalidIndex)?;
    Ok(HttpResponse::Ok().json(json!({ "task": task_spec(split, i, q) })))
}

async fn task_range(
    env_name: web::Path<String>,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let req: RangeRequest = request(&env_name, &body)?;
    let split = split_named(&req.split)?;
    let all = services.catalog.questions().served_in(split, None);
    let start = slice_bound(req.start, all.len(), 0);
    let stop = slice_bound(req.stop, all.len(), all.len()).max(start);
    if stop - start > MAX_LISTED_TASKS {
        return Err(TaskError::RangeTooLarge.into());
    }
    Ok(HttpResponse::Ok().json(json!({ "tasks": specs(split, &all[start..stop], start) })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_bounds_follow_python() {
        assert_eq!(slice_bound(None, 10, 0), 0);
        assert_eq!(slice_bound(Some(-3), 10, 0), 7);
        assert_eq!(slice_bound(Some(-30), 10, 0), 0);
        assert_eq!(slice_bound(Some(30), 10, 0), 10);
        assert_eq!(slice_bound(Some(4), 10, 0), 4);
    }
}
