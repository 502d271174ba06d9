//! What the server sends back: the observation of a step, the step result that wraps it, and
//! the episode state. Field names follow the Python SQLEnv so prompts written for it carry over.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::reward::components::RewardComponents;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "SQLObservation")]
pub struct SqlObservation {
    /// The natural-language question to answer.
    pub question: String,
    /// Table names, then one line per table described so far.
    pub schema_info: String,
    /// The step's result as text (a table, a description, a message).
    pub result: String,
    /// What went wrong with the action, if anything; the episode goes on.
    pub error: Option<String>,
    pub step_count: u32,
    pub budget_remaining: u32,
    /// The last few actions, oldest first, as `TYPE argument`.
    pub action_history: Vec<String>,
    pub db_id: String,
    pub tables: Vec<String>,
    pub question_id: String,
    pub difficulty: String,
    /// This step's reward by layer; `reward` beside the observation is their sum. In the
    /// default timing (`episode_end`) every layer is 0 until the episode's last step.
    pub reward_components: RewardComponents,
    /// Facts about what happened besides the step itself; left out when there are none.
    #[serde(default, skip_serializing_if = "ObservationMetadata::is_empty")]
    pub metadata: ObservationMetadata,
}

/// The `metadata` of an observation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ObservationMetadata {
    /// On a reset: the episode it cut short, which ended unanswered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abandoned_episode: Option<AbandonedEpisode>,
}

impl ObservationMetadata {
    pub fn is_empty(&self) -> bool {
        self.abandoned_episode.is_none()
    }
}

/// An episode a reset ended before it was done. It counts as ended without an answer: it earned
/// the return of an unanswered episode, and a reset never wipes that out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AbandonedEpisode {
    pub episode_id: String,
    /// Steps it had taken.
    pub steps: u32,
    /// Its return as an unanswered episode.
    pub reward: f64,
}

/// The `data` of an observation frame (and the body of HTTP `/reset` and `/step`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StepResult {
    pub observation: SqlObservation,
    pub reward: Option<f64>,
    pub done: bool,
}

/// The `data` of a state frame (and the body of HTTP `/state`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "SQLState")]
pub struct EpisodeState {
    pub episode_id: Option<String>,
    pub step_count: u32,
    pub question_id: Option<String>,
    pub db_id: Option<String>,
    pub difficulty: Option<String>,
    pub done: bool,
    pub budget_remaining: u32,
    /// Sum of every step's reward paid so far in this episode: in the default timing 0 until
    /// the episode ends.
    pub cumulative_reward: f64,
    /// The same sum split by layer.
    pub reward_totals: RewardComponents,
}
