//! The output document of an action.

use serde_json::{Map, Value, json};

use crate::{Action, Error, PowerState, ProbedSystem};

/// What an action produced: the document MAAS reads, plus the warnings printed on stderr.
///
/// The CLI prints [`Response::to_document`]; [`testing::run`](crate::testing::run) hands
/// the response to a test.
///
/// ```
/// use maaspd::{Action, PowerState, testing};
/// use maaspd::serde_json::json;
/// # #[maaspd::parameters] struct Lamp {}
/// # #[maaspd::power_driver(description = "A lamp", main = false)]
/// # impl Lamp {
/// #     fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
/// #     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
/// #     fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::On) }
/// # }
///
/// let response = testing::run::<Lamp>(Action::PowerQuery, json!({"driverParameters": {}}));
/// assert_eq!(response.power_state(), Some(PowerState::On));
/// assert_eq!(
///     response.to_json(),
///     json!({"action_type": "power_query", "data": {"status": "on"}, "error": null})
/// );
/// assert_eq!(response.exit_code(), 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    action: Action,
    outcome: Result<Option<Data>, Error>,
    warnings: Vec<String>,
}

/// The `data` of an action that returns some.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Data {
    PowerState(PowerState),
    Systems(Vec<ProbedSystem>),
}

impl Response {
    pub(crate) fn new(
        action: Action,
        outcome: Result<Option<Data>, Error>,
        warnings: Vec<String>,
    ) -> Self {
        Response {
            action,
            outcome,
            warnings,
        }
    }

    /// The action that ran.
    ///
    /// ```
    /// # use maaspd::{Action, testing};
    /// # use maaspd::serde_json::json;
    /// # #[maaspd::parameters] struct Lamp {}
    /// # #[maaspd::power_driver(description = "A lamp", main = false)]
    /// # impl Lamp {
    /// #     fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_query(&self) -> maaspd::Result<maaspd::PowerState> { Ok(maaspd::PowerState::On) }
    /// # }
    /// let response = testing::run::<Lamp>(Action::PowerOn, json!({"driverParameters": {}}));
    /// assert_eq!(response.action(), Action::PowerOn);
    /// ```
    pub fn action(&self) -> Action {
        self.action
    }

    /// The error the action ended with, if it failed.
    ///
    /// ```
    /// # use maaspd::{Action, ErrorCode, testing};
    /// # use maaspd::serde_json::json;
    /// # #[maaspd::parameters] struct Lamp {}
    /// # #[maaspd::power_driver(description = "A lamp", main = false)]
    /// # impl Lamp {
    /// #     fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_query(&self) -> maaspd::Result<maaspd::PowerState> { Ok(maaspd::PowerState::On) }
    /// # }
    /// let response = testing::run::<Lamp>(Action::Probe, json!({"driverParameters": {}}));
    /// assert_eq!(response.error().unwrap().code(), ErrorCode::UnsupportedAction);
    /// ```
    pub fn error(&self) -> Option<&Error> {
        self.outcome.as_ref().err()
    }

    /// The state `power_query` reported.
    ///
    /// ```
    /// # use maaspd::{Action, PowerState, testing};
    /// # use maaspd::serde_json::json;
    /// # #[maaspd::parameters] struct Lamp {}
    /// # #[maaspd::power_driver(description = "A lamp", main = false)]
    /// # impl Lamp {
    /// #     fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_query(&self) -> maaspd::Result<PowerState> { Ok(PowerState::Off) }
    /// # }
    /// let response = testing::run::<Lamp>(Action::PowerQuery, json!({"driverParameters": {}}));
    /// assert_eq!(response.power_state(), Some(PowerState::Off));
    /// ```
    pub fn power_state(&self) -> Option<PowerState> {
        match self.outcome {
            Ok(Some(Data::PowerState(state))) => Some(state),
            _ => None,
        }
    }

    /// The systems `probe` found.
    ///
    /// ```
    /// # use maaspd::{Action, testing};
    /// # use maaspd::serde_json::json;
    /// # #[maaspd::parameters] struct Lamp {}
    /// # #[maaspd::power_driver(description = "A lamp", main = false)]
    /// # impl Lamp {
    /// #     fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_query(&self) -> maaspd::Result<maaspd::PowerState> { Ok(maaspd::PowerState::On) }
    /// # }
    /// let response = testing::run::<Lamp>(Action::Probe, json!({"driverParameters": {}}));
    /// assert_eq!(response.probed_systems(), None); // Lamp does not probe
    /// ```
    pub fn probed_systems(&self) -> Option<&[ProbedSystem]> {
        match &self.outcome {
            Ok(Some(Data::Systems(systems))) => Some(systems),
            _ => None,
        }
    }

    /// The warnings printed on stderr, one line each (the ignored parameters).
    ///
    /// ```
    /// # use maaspd::{Action, testing};
    /// # use maaspd::serde_json::json;
    /// # #[maaspd::parameters] struct Lamp {}
    /// # #[maaspd::power_driver(description = "A lamp", main = false)]
    /// # impl Lamp {
    /// #     fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_query(&self) -> maaspd::Result<maaspd::PowerState> { Ok(maaspd::PowerState::On) }
    /// # }
    /// let response = testing::run::<Lamp>(
    ///     Action::PowerOn,
    ///     json!({"driverParameters": {"system_id": "abc123", "colour": "red"}}),
    /// );
    /// assert_eq!(
    ///     response.warnings(),
    ///     ["ignoring unknown driver parameter `driverParameters.colour`"]
    /// );
    /// ```
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The process exit status for this document: 0 when `error` is null, else 1.
    ///
    /// ```
    /// # use maaspd::{Action, testing};
    /// # use maaspd::serde_json::json;
    /// # #[maaspd::parameters] struct Lamp {}
    /// # #[maaspd::power_driver(description = "A lamp", main = false)]
    /// # impl Lamp {
    /// #     fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_query(&self) -> maaspd::Result<maaspd::PowerState> { Ok(maaspd::PowerState::On) }
    /// # }
    /// let response = testing::run::<Lamp>(Action::PowerOn, json!({"driverParameters": 1}));
    /// assert_eq!(response.exit_code(), 1);
    /// ```
    pub fn exit_code(&self) -> u8 {
        if self.outcome.is_ok() { 0 } else { 1 }
    }

    /// The document as a JSON value: `action_type`, `error`, and `data` when the action
    /// returned some.
    ///
    /// ```
    /// # use maaspd::{Action, testing};
    /// # use maaspd::serde_json::json;
    /// # #[maaspd::parameters] struct Lamp {}
    /// # #[maaspd::power_driver(description = "A lamp", main = false)]
    /// # impl Lamp {
    /// #     fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_query(&self) -> maaspd::Result<maaspd::PowerState> { Ok(maaspd::PowerState::On) }
    /// # }
    /// let response = testing::run::<Lamp>(Action::PowerOn, json!({"driverParameters": {}}));
    /// assert_eq!(response.to_json(), json!({"action_type": "power_on", "error": null}));
    /// ```
    pub fn to_json(&self) -> Value {
        let mut document = Map::new();
        document.insert("action_type".into(), self.action.name().into());
        match &self.outcome {
            Ok(data) => {
                document.insert("error".into(), Value::Null);
                match data {
                    Some(Data::PowerState(state)) => {
                        document.insert("data".into(), json!({"status": state}));
                    }
                    Some(Data::Systems(systems)) => {
                        document.insert("data".into(), json!({"hosts": systems}));
                    }
                    None => {}
                }
            }
            Err(error) => {
                document.insert("error".into(), json!(error));
            }
        }
        Value::Object(document)
    }

    /// The document as the CLI prints it: keys sorted, four-space indent.
    ///
    /// ```
    /// # use maaspd::{Action, testing};
    /// # use maaspd::serde_json::json;
    /// # #[maaspd::parameters] struct Lamp {}
    /// # #[maaspd::power_driver(description = "A lamp", main = false)]
    /// # impl Lamp {
    /// #     fn power_on(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_off(&self) -> maaspd::Result<()> { Ok(()) }
    /// #     fn power_query(&self) -> maaspd::Result<maaspd::PowerState> { Ok(maaspd::PowerState::On) }
    /// # }
    /// let response = testing::run::<Lamp>(Action::PowerOn, json!({"driverParameters": {}}));
    /// assert_eq!(
    ///     response.to_document(),
    ///     "{\n    \"action_type\": \"power_on\",\n    \"error\": null\n}"
    /// );
    /// ```
    pub fn to_document(&self) -> String {
        crate::document::to_string(&self.to_json())
    }
}
