//! A delay in seconds, as MAAS's PDU drivers take `power_on_delay` (`float(...)`).

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A number of seconds from 0 up, whole or not (`"5"`, `"0.5"`), as MAAS's drivers read
/// a delay with `float(...)`: a number in the schema, text in MAAS's form (MAAS has no
/// number field), a `Duration` to the driver. A negative, infinite or non-numeric value
/// is a `settingsError` naming the setting. It serialises as MAAS writes its defaults:
/// `5` for five seconds, `0.5` for half of one.
///
/// ```
/// use std::time::Duration;
/// use maaspd::types::Seconds;
/// use maaspd::serde_json::{from_value, json, to_value};
///
/// /// A PDU.
/// #[maaspd::parameters]
/// struct Settings {
///     /// Power ON outlet delay (seconds)
///     #[serde(default = "five_seconds")]
///     power_on_delay: Seconds,
/// }
///
/// fn five_seconds() -> Seconds {
///     Seconds::from_secs(5)
/// }
///
/// let settings: Settings = from_value(json!({"power_on_delay": 1.5})).unwrap();
/// assert_eq!(settings.power_on_delay.duration(), Duration::from_millis(1500));
/// assert_eq!(to_value(five_seconds()).unwrap(), json!(5));
/// assert!(from_value::<Seconds>(json!(-1)).is_err());
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seconds(Duration);

impl Seconds {
    /// Whole seconds.
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(maaspd::types::Seconds::from_secs(5).duration(), Duration::from_secs(5));
    /// ```
    pub const fn from_secs(seconds: u64) -> Seconds {
        Seconds(Duration::from_secs(seconds))
    }

    /// The delay.
    ///
    /// ```
    /// # use std::time::Duration;
    /// assert_eq!(maaspd::types::Seconds::default().duration(), Duration::ZERO);
    /// ```
    pub fn duration(self) -> Duration {
        self.0
    }
}

impl From<Seconds> for Duration {
    fn from(seconds: Seconds) -> Duration {
        seconds.0
    }
}

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.subsec_nanos() == 0 {
            serializer.serialize_u64(self.0.as_secs())
        } else {
            serializer.serialize_f64(self.0.as_secs_f64())
        }
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Seconds, D::Error> {
        deserializer.deserialize_any(SecondsVisitor)
    }
}

struct SecondsVisitor;

impl SecondsVisitor {
    fn seconds<E: de::Error>(value: f64) -> Result<Seconds, E> {
        Duration::try_from_secs_f64(value)
            .map(Seconds)
            .map_err(|_| E::custom(format!("{value} is not a delay (0 or more seconds)")))
    }
}

impl Visitor<'_> for SecondsVisitor {
    type Value = Seconds;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number of seconds from 0 up")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Seconds, E> {
        Ok(Seconds(Duration::from_secs(value)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Seconds, E> {
        match u64::try_from(value) {
            Ok(value) => self.visit_u64(value),
            Err(_) => Err(E::custom(format!(
                "{value} is not a delay (0 or more seconds)"
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Seconds, E> {
        Self::seconds(value)
    }

    /// The text MAAS stores, when it reaches the type as text.
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Seconds, E> {
        match text.trim().parse::<f64>() {
            Ok(value) => Self::seconds(value),
            Err(_) => Err(E::custom(format!("{text:?} is not a number of seconds"))),
        }
    }
}

impl JsonSchema for Seconds {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Seconds".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "number", "minimum": 0})
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Seconds;
    use crate::metadata::FieldType;
    use crate::{Action, ErrorCode, PowerState, Result};

    /// A PDU's delay, as MAAS's APC driver declares it: text, "5" by default.
    #[crate::parameters(crate = "crate")]
    struct Pdu {
        /// Power ON outlet delay (seconds)
        #[serde(default = "five")]
        power_on_delay: Seconds,
    }

    fn five() -> Seconds {
        Seconds::from_secs(5)
    }

    #[crate::power_driver(crate = "crate", description = "A PDU with a delay", main = false)]
    impl Pdu {
        fn power_on(&self) -> Result<()> {
            Ok(())
        }

        fn power_off(&self) -> Result<()> {
            Ok(())
        }

        fn power_query(&self) -> Result<PowerState> {
            Ok(PowerState::Off)
        }
    }

    #[test]
    fn maas_sees_text_with_its_default() {
        let schema = schemars::schema_for!(Pdu).to_value();
        let settings = crate::metadata::setting::from_schema(&schema);
        let delay = &settings[0];
        assert_eq!(delay.field_type, FieldType::String);
        assert_eq!(delay.default, json!("5"));
        assert!(!delay.required);
    }

    #[test]
    fn stored_text_is_read_and_bad_text_named() {
        let run = |delay: &str| {
            crate::testing::run::<Pdu>(
                Action::PowerQuery,
                json!({"driverParameters": {"power_on_delay": delay}}),
            )
        };
        for good in ["0", "5", "0.25", ""] {
            assert!(
                run(good).error().is_none(),
                "{good:?}: {:?}",
                run(good).error()
            );
        }
        for bad in ["soon", "-1", "-0.5", "inf", "NaN"] {
            let response = run(bad);
            let error = response.error().expect("an error");
            assert_eq!(error.code(), ErrorCode::Settings, "{bad:?}");
            assert!(
                error
                    .message()
                    .starts_with("driverParameters.power_on_delay: "),
                "{bad:?}: {error:?}"
            );
        }
    }

    #[test]
    fn numbers_and_text_alike() {
        let read = |value| serde_json::from_value::<Seconds>(value).map(Seconds::duration);
        assert_eq!(read(json!(3)).unwrap().as_secs(), 3);
        assert_eq!(read(json!(0.5)).unwrap().as_millis(), 500);
        assert_eq!(read(json!("1.5")).unwrap().as_millis(), 1500);
        assert!(read(json!(-2)).is_err());
        assert!(read(json!(true)).is_err());
        assert_eq!(
            serde_json::to_value(Seconds::from_secs(5)).unwrap(),
            json!(5)
        );
        let half = serde_json::from_value::<Seconds>(json!(0.5)).unwrap();
        assert_eq!(serde_json::to_value(half).unwrap(), json!(0.5));
    }
}
