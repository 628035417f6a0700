//! Running one action of a driver on one input document: the core that the CLI and
//! `testing` share.

use serde_json::Value;

use crate::input::Input;
use crate::response::{Data, Response};
use crate::{Action, Error, PowerDriver, Result, panic_guard};

/// Runs `action` on the driver; `load` supplies the input document and is called only
/// once the driver is known to offer the action.
pub(crate) fn execute<D: PowerDriver>(
    action: Action,
    load: impl FnOnce() -> Result<Value>,
) -> Response {
    let mut warnings = Vec::new();
    let outcome = if D::supports(action) {
        load().and_then(|document| run::<D>(action, document, &mut warnings))
    } else {
        Err(unsupported(action))
    };
    Response::new(action, outcome, warnings)
}

/// The seed wrapper's message, word for word.
fn unsupported(action: Action) -> Error {
    Error::unsupported_action(format!(
        "\"{action}\" action is not supported for this power driver"
    ))
}

fn run<D: PowerDriver>(
    action: Action,
    document: Value,
    warnings: &mut Vec<String>,
) -> Result<Option<Data>> {
    // All input is checked before the driver is built, so a bad document never reaches
    // the BMC.
    let input = Input::from_document(document)?;
    let parameters = input.parameters::<D::Parameters>(|warning| warnings.push(warning))?;
    let devices = match action {
        Action::SetBootOrder => input.boot_devices()?,
        _ => Vec::new(),
    };
    panic_guard::run(|| {
        let driver = D::from_parameters(parameters)?;
        Ok(match action {
            Action::PowerOn => driver.power_on().map(|()| None)?,
            Action::PowerOff => driver.power_off().map(|()| None)?,
            Action::PowerQuery => Some(Data::PowerState(driver.power_query()?)),
            Action::Probe => {
                let probe = D::PROBE.ok_or_else(|| unsupported(action))?;
                Some(Data::Systems(probe(&driver)?))
            }
            Action::SetBootOrder => {
                let set_boot_order = D::SET_BOOT_ORDER.ok_or_else(|| unsupported(action))?;
                set_boot_order(&driver, &devices).map(|()| None)?
            }
        })
    })
}
