//! The keyword arguments of a reset. Like the reference server, keys it does not know are
//! ignored (clients pass their own extras); the known ones are checked strictly.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::catalog::question::{Difficulty, Split};
use crate::catalog::sets::QuestionSet;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResetParams {
    /// Makes the choice of question reproducible. Any integer; negative values are accepted.
    #[serde(default, deserialize_with = "any_integer")]
    #[schemars(with = "Option<i64>")]
    pub seed: Option<u64>,
    /// Names the episode; a fresh UUID when absent.
    #[serde(default)]
    pub episode_id: Option<String>,
    /// Plays this question; the filters below are then ignored.
    #[serde(default)]
    pub question_id: Option<String>,
    #[serde(default)]
    pub db_id: Option<String>,
    #[serde(default)]
    #[schemars(schema_with = "difficulty_schema")]
    pub difficulty: Option<Difficulty>,
    /// `train`: questions on Spider's training databases; `eval`: on its dev databases only.
    #[serde(default)]
    #[schemars(schema_with = "split_schema")]
    pub split: Option<Split>,
    /// With `split`: plays the task of this index in the split (the Task API's order); the
    /// other filters and the seed then play no part in the choice.
    #[serde(default)]
    pub index: Option<u64>,
    /// The question set: `spider` (Spider's own questions), a robustness variant of its dev
    /// questions (`spider-syn`, `spider-realistic`, `spider-dk`, eval only) or generated
    /// questions (`template`, `procedural`, `llm-gen`). Absent: Spider's questions, plus the
    /// generated ones unless `split` is `eval`.
    #[serde(default)]
    #[schemars(schema_with = "set_schema")]
    pub set: Option<QuestionSet>,
}

/// The keys a reset knows; a tool call naming any other key is refused (a model's typo should
/// be told, not ignored).
const KNOWN_KEYS: [&str; 8] = [
    "seed",
    "episode_id",
    "question_id",
    "db_id",
    "difficulty",
    "split",
    "index",
    "set",
];

/// Longest `episode_id`, `question_id` or `db_id` accepted. Real ones are far shorter; the cap
/// keeps a client from storing megabytes in a session or having them echoed in an error.
pub const MAX_ID_CHARS: usize = 256;

impl ResetParams {
    /// Parses the `data` of a reset message; `null` or a missing object means no arguments.
    pub fn from_value(data: Option<serde_json::Value>) -> Result<Self, String> {
        let params: Self = match data {
            None | Some(serde_json::Value::Null) => return Ok(Self::default()),
            Some(v @ serde_json::Value::Object(_)) => {
                serde_json::from_value(v).map_err(|e| e.to_string())?
            }
            Some(_) => return Err("reset data must be an object".into()),
        };
        for (name, value) in [
            ("episode_id", &params.episode_id),
            ("question_id", &params.question_id),
            ("db_id", &params.db_id),
        ] {
            let chars = value.as_deref().map_or(0, |v| v.chars().count());
            if chars > MAX_ID_CHARS {
                return Err(format!(
                    "{name} is {chars} characters long; at most {MAX_ID_CHARS} are accepted"
                ));
            }
        }
        Ok(params)
    }

    /// Parses the arguments of the MCP `new_episode` tool: like a reset's data, but strict.
    pub fn from_tool_arguments(arguments: serde_json::Value) -> Result<Self, String> {
        if let Some(object) = arguments.as_object() {
            if let Some(unknown) = object.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
                return Err(format!(
                    "unknown argument '{unknown}'; arguments are {}",
                    KNOWN_KEYS.join(", ")
                ));
            }
        }
        Self::from_value(Some(arguments))
    }
}

fn difficulty_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names: Vec<&str> = Difficulty::ALL.iter().map(|d| d.as_str()).collect();
    schemars::json_schema!({ "type": ["string", "null"], "enum": names })
}

fn set_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let names: Vec<&str> = QuestionSet::ALL.iter().map(|s| s.as_str()).collect();
    schemars::json_schema!({ "type": ["string", "null"], "enum": names })
}

fn split_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": ["string", "null"], "enum": [Split::Train.as_str(), Split::Eval.as_str()] })
}

/// Seeds arrive from Python as any int; a negative one maps onto u64 bit for bit, so every
/// distinct seed stays distinct and reproducible.
fn any_integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v: Option<serde_json::Number> = Option::deserialize(d)?;
    match v {
        None => Ok(None),
        Some(n) => n
            .as_u64()
            .or_else(|| n.as_i64().map(|i| i as u64))
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("seed must be an integer, got {n}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_keys_are_ignored_and_known_ones_checked() {
        let p =
            ResetParams::from_value(Some(json!({"seed": -3, "extra": 1, "difficulty": "easy"})))
                .unwrap();
        assert_eq!(p.seed, Some((-3i64) as u64));
        assert_eq!(p.difficulty, Some(Difficulty::Easy));
        let p =
            ResetParams::from_value(Some(json!({"set": "spider-syn", "split": "eval"}))).unwrap();
        assert_eq!(p.set, Some(QuestionSet::SpiderSyn));
        assert!(ResetParams::from_value(Some(json!({"set": "spider_syn"}))).is_err());
        assert!(ResetParams::from_value(Some(json!({"seed": 1.5}))).is_err());
        assert!(ResetParams::from_value(Some(json!({"difficulty": "impossible"}))).is_err());
        assert!(ResetParams::from_value(Some(json!([1]))).is_err());
        let long = "x".repeat(MAX_ID_CHARS + 1);
        let e = ResetParams::from_value(Some(json!({ "db_id": long }))).unwrap_err();
        assert!(e.starts_with("db_id is 257 characters"), "{e}");
        assert_eq!(
            ResetParams::from_value(None).unwrap(),
            ResetParams::default()
        );
    }
}
