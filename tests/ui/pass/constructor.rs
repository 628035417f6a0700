// `new` builds the driver from a separate parameters struct using doc comments,
// `#[serde(default)]`, an enum field and `#[serde(deny_unknown_fields)]`.
use maaspd::{Error, PowerState, Result};

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

#[maaspd::power_driver(description = "BMC power driver")]
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
