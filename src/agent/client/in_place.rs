//! Reads an observation frame into the last observation: serde's in-place deserialisation
//! refills the strings and lists the last step left, so a step allocates only what grew (the
//! load generator's client parses as many frames as the server sends). Any other frame (an
//! error, a state, or an observation whose `data` comes before its `type`) is read whole.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::{unexpected, ClientError, Reply};
use crate::protocol::observation::StepResult;

/// Reads the server frame `text` into `result`: an observation fills it, an error frame is
/// [`ClientError::Server`], any other frame [`ClientError::WrongReply`].
pub(super) fn read(text: &str, result: &mut StepResult) -> Result<(), ClientError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let filled = Frame(result).deserialize(&mut de)?;
    de.end()?;
    if filled {
        return Ok(());
    }
    match serde_json::from_str::<Reply>(text)? {
        Reply::Observation(step) => {
            *result = *step;
            Ok(())
        }
        Reply::Error(e) => Err(e.into()),
        other => Err(unexpected("observation", other)),
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Key {
    Type,
    Data,
    #[serde(other)]
    Other,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Observation,
    #[serde(other)]
    Other,
}

/// The frame's envelope; its value says whether `data` was read into the observation.
struct Frame<'a>(&'a mut StepResult);

impl<'de> DeserializeSeed<'de> for Frame<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Frame<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a server frame")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<bool, M::Error> {
        let mut kind = None;
        let mut filled = false;
        while let Some(key) = map.next_key()? {
            match key {
                Key::Type => kind = Some(map.next_value::<Kind>()?),
                Key::Data if kind == Some(Kind::Observation) && !filled => {
                    map.next_value_seed(InPlace(&mut *self.0))?;
                    filled = true;
                }
                Key::Data | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(filled && kind == Some(Kind::Observation))
    }
}

struct InPlace<'a>(&'a mut StepResult);

impl<'de> DeserializeSeed<'de> for InPlace<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        StepResult::deserialize_in_place(deserializer, self.0)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::protocol::observation::SqlObservation;
    use crate::reward::components::RewardComponents;

    fn observation(step: u32, result: &str) -> StepResult {
        StepResult {
            observation: SqlObservation {
                question: "How many singers?".into(),
                schema_info: "Tables: singer".into(),
                result: result.into(),
                error: None,
                step_count: step,
                budget_remaining: 15 - step,
                action_history: (0..step).map(|i| format!("QUERY SELECT {i}")).collect(),
                db_id: "concert_singer".into(),
                tables: vec!["singer".into()],
                question_id: "q1".into(),
                difficulty: "easy".into(),
                reward_components: RewardComponents::default(),
                metadata: Default::default(),
            },
            reward: Some(0.25),
            done: step == 3,
        }
    }

    fn frame(kind: &str, data: serde_json::Value) -> String {
        json!({"type": kind, "data": data}).to_string()
    }

    #[test]
    fn an_observation_is_read_into_the_last_one_as_it_would_be_read_anew() {
        let mut result = observation(1, "a long first result that the next one overwrites");
        for next in [observation(2, "short"), observation(3, "")] {
            let text = frame("observation", serde_json::to_value(&next).unwrap());
            read(&text, &mut result).unwrap();
            assert_eq!(result, next);
        }
    }

    #[test]
    fn data_before_type_and_unknown_keys_still_read() {
        let next = observation(2, "x");
        let data = serde_json::to_string(&next).unwrap();
        let text = format!(r#"{{"extra":[1,{{}}],"data":{data},"type":"observation"}}"#);
        let mut result = observation(1, "y");
        read(&text, &mut result).unwrap();
        assert_eq!(result, next);
    }

    #[test]
    fn an_error_frame_is_the_servers_error_and_other_frames_are_wrong_replies() {
        let mut result = observation(1, "kept");
        let error = frame(
            "error",
            json!({"message": "no episode", "code": "EXECUTION_ERROR"}),
        );
        match read(&error, &mut result) {
            Err(ClientError::Server { code, message }) => {
                assert_eq!(
                    (code.as_str(), message.as_str()),
                    ("EXECUTION_ERROR", "no episode")
                );
            }
            other => panic!("{other:?}"),
        }
        let state = frame(
            "state",
            serde_json::to_value(crate::protocol::observation::EpisodeState::default()).unwrap(),
        );
        assert!(matches!(
            read(&state, &mut result),
            Err(ClientError::WrongReply {
                expected: "observation",
                got: "state"
            })
        ));
        assert!(matches!(
            read("{\"type\":", &mut result),
            Err(ClientError::Malformed(_))
        ));
    }
}
