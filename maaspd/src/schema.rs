//! The JSON Schema of a driver's parameters.

use serde_json::Value;

use crate::PowerDriver;

/// The JSON Schema (draft 2020-12) of `D`'s `driverParameters`.
pub(crate) fn parameters_schema<D: PowerDriver>() -> Value {
    schemars::schema_for!(D::Parameters).to_value()
}
