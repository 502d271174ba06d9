//! Scripted agents for SQLEnv: a WebSocket episode client, fixed policies (an oracle, a random
//! baseline, reward-gaming and reward-probing strategies), an episode runner and the `sqlenv eval` command that
//! plays them and tabulates what they earn. They judge the reward from the outside, over the same
//! protocol a trainer uses.

pub mod client;
pub mod eval;
pub mod policy;
pub mod probe;
pub mod runner;
pub mod second_session;
