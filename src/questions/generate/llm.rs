//! llm_gen: asks an OpenAI-compatible chat-completions endpoint to write questions and SQL for a
//! database, given its schema and sample rows. The model's output is only a draft: it is proven
//! like every other generated question, and whatever does not run or returns nothing is dropped.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use super::Draft;
use crate::catalog::schema::Database;
use crate::questions::error::QuestionsError;

pub const URL_VAR: &str = "SQLENV_LLM_URL";
pub const MODEL_VAR: &str = "SQLENV_LLM_MODEL";
pub const KEY_VAR: &str = "SQLENV_LLM_API_KEY";

/// A generous limit: a model may take a while to write many questions.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// The chat-completions URL.
    pub url: String,
    pub model: String,
    pub api_key: Option<String>,
}

impl LlmConfig {
    /// Reads the endpoint from the environment; without one, says what to set.
    pub fn from_env() -> Result<Self, QuestionsError> {
        let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let (Some(base), Some(model)) = (get(URL_VAR), get(MODEL_VAR)) else {
            return Err(QuestionsError::NoEndpoint);
        };
        Ok(LlmConfig {
            url: completions_url(&base),
            model,
            api_key: get(KEY_VAR),
        })
    }

    /// Drafts for one database: one request, asking for `count` questions.
    pub fn drafts(&self, db: &Database, count: usize) -> Result<Vec<Draft>, QuestionsError> {
        let body = json!({
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": user_prompt(db, count)},
            ],
        });
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(REQUEST_TIMEOUT))
            .build()
            .into();
        let mut request = agent.post(&self.url);
        if let Some(key) = &self.api_key {
            request = request.header("Authorization", &format!("Bearer {key}"));
        }
        let fail = |message: String| QuestionsError::Llm {
            url: self.url.clone(),
            message,
        };
        let mut response = request.send_json(&body).map_err(|e| fail(e.to_string()))?;
        let reply: Value = response
            .body_mut()
            .read_json()
            .map_err(|e| fail(format!("the reply is not JSON: {e}")))?;
        let content = reply
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .ok_or_else(|| fail("the reply has no choices[0].message.content".into()))?;
        parse_drafts(content).map_err(fail)
    }
}

const SYSTEM_PROMPT: &str = "You write questions and SQLite queries for a text-to-SQL dataset. \
Each question must be answerable from the database alone, have exactly one correct answer, and \
its query must return that answer (non-empty). Reply with JSON only, no prose: \
{\"questions\": [{\"question\": \"...\", \"sql\": \"...\"}]}";

/// The schema as agents see it (DESCRIBE and SAMPLE of every table) and the request.
fn user_prompt(db: &Database, count: usize) -> String {
    let mut text = format!("Database `{}` (SQLite). Schema:\n\n", db.db_id);
    for table in &db.tables {
        text.push_str(&table.describe);
        text.push_str("\n\n");
        text.push_str(&table.sample);
        text.push_str("\n\n");
    }
    text.push_str(&format!(
        "Write {count} diverse questions about this database, from simple lookups and counts to \
         joins, grouping and nested queries, each with one SQLite query that answers it. Use only \
         the tables and columns above."
    ));
    text
}

/// `https://host/v1` -> `https://host/v1/chat/completions`; a full URL is kept as given.
pub fn completions_url(base: &str) -> String {
    let base = base.trim().trim_end_matches('/');
    if base.ends_with("/chat/completions") {
        base.to_owned()
    } else {
        format!("{base}/chat/completions")
    }
}

#[derive(Debug, Deserialize)]
struct LlmQuestion {
    question: String,
    #[serde(alias = "query", alias = "gold_sql")]
    sql: String,
}

/// Reads the model's JSON: `{"questions": [...]}` or a bare array, possibly in a code fence.
pub fn parse_drafts(content: &str) -> Result<Vec<Draft>, String> {
    let text = content.trim();
    let text = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```"))
        .map(|t| t.trim_end().trim_end_matches("```"))
        .unwrap_or(text)
        .trim();
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("the model's answer is not JSON: {e}"))?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut map) => match map.remove("questions") {
            Some(Value::Array(items)) => items,
            _ => return Err("the model's JSON has no \"questions\" array".into()),
        },
        _ => return Err("the model's JSON is neither an array nor an object".into()),
    };
    Ok(items
        .into_iter()
        .filter_map(|item| serde_json::from_value::<LlmQuestion>(item).ok())
        .filter(|q| !q.question.trim().is_empty() && !q.sql.trim().is_empty())
        .map(|q| {
            Draft::new(
                q.question.trim().to_owned(),
                q.sql.trim().trim_end_matches(';').trim().to_owned(),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            completions_url("http://h:1/v1/"),
            "http://h:1/v1/chat/completions"
        );
        assert_eq!(
            completions_url("http://h/v1/chat/completions"),
            "http://h/v1/chat/completions"
        );
    }

    #[test]
    fn parses_fenced_and_bare_json() {
        let fenced =
            "```json\n{\"questions\": [{\"question\": \"Q?\", \"sql\": \"SELECT 1;\"}]}\n```";
        let drafts = parse_drafts(fenced).unwrap();
        assert_eq!(drafts.len(), 1);
        assert_eq!(drafts[0].sql, "SELECT 1");
        let bare = r#"[{"question": "Q?", "query": "SELECT 2"}, {"nope": 1}]"#;
        assert_eq!(parse_drafts(bare).unwrap().len(), 1);
        assert!(parse_drafts("sorry").is_err());
    }
}
