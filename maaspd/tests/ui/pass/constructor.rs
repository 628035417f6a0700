// `new` builds the driver from a separate parameters struct using doc comments,
// `#[serde(default)]`, an enum field and `#[serde(deny_unknown_fields)]`.
use maaspd::serde_json::json;
use maaspd::{Action, Error, ErrorCode, PowerState, Result, testing};

/// How the BMC is reached.
#[maaspd::parameters]
enum Protocol {
    /// Plain HTTP.
    #[serde(rename = "http")]
    Http,
    /// HTTP over TLS.
    #[serde(rename = "https")]
    Https,
}

/// Where the BMC is and how to talk to it.
#[maaspd::parameters]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Address of the BMC.
    power_address: String,
    /// Protocol to use.
    protocol: Protocol,
    /// Seconds to wait for an answer.
    #[serde(default)]
    timeout: u32,
}

struct Bmc {
    url: String,
    timeout: u32,
}

#[maaspd::power_driver(description = "BMC power driver", main = false)]
impl Bmc {
    fn new(settings: Settings) -> Result<Self> {
        if settings.power_address.is_empty() {
            return Err(Error::settings("power_address is empty"));
        }
        let scheme = match settings.protocol {
            Protocol::Http => "http",
            Protocol::Https => "https",
        };
        Ok(Bmc {
            url: format!("{scheme}://{}", settings.power_address),
            timeout: settings.timeout,
        })
    }

    fn power_on(&self) -> Result<()> {
        Err(Error::conn(format!("{} did not answer in {}s", self.url, self.timeout)))
    }

    fn power_off(&self) -> Result<()> {
        Ok(())
    }

    fn power_query(&self) -> Result<PowerState> {
        Ok(PowerState::On)
    }
}

fn main() {
    let good = json!({"driverParameters": {"power_address": "10.0.0.1", "protocol": "https"}});
    let response = testing::run::<Bmc>(Action::PowerOn, good);
    assert_eq!(response.error().unwrap().message(), "https://10.0.0.1 did not answer in 0s");

    let unknown = json!({"driverParameters": {"power_address": "a", "protocol": "http", "port": 1}});
    let response = testing::run::<Bmc>(Action::PowerQuery, unknown);
    assert_eq!(response.error().unwrap().code(), ErrorCode::Settings);

    let empty = json!({"driverParameters": {"power_address": "", "protocol": "http"}});
    let response = testing::run::<Bmc>(Action::PowerQuery, empty);
    assert_eq!(response.error().unwrap().code(), ErrorCode::Settings);

    let schema = testing::schema::<Bmc>();
    assert_eq!(schema["properties"]["power_address"]["description"], "Address of the BMC.");
    assert_eq!(schema["properties"]["timeout"]["default"], 0);
    assert_eq!(schema["additionalProperties"], false);
}
