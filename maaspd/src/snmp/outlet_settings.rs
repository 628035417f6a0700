//! `outlet_settings!`: the settings MAAS's PDU drivers share, with each PDU's labels.
//!
//! MAAS's APC, Raritan and Eaton drivers have the same three settings (`power_address`,
//! `node_outlet`, `power_on_delay`) under labels that name the PDU ("IP for APC PDU").
//! The struct is written out by a `macro_rules!` rather than flattened in with
//! `#[serde(flatten)]`, which would buffer the input and so lose the warnings about keys
//! the driver ignores and the setting's path in errors.

/// Declares a PDU driver's `#[maaspd::parameters]` struct with the settings MAAS's PDU
/// drivers share, under the PDU's own labels, followed by any settings of its own:
///
/// - `power_address: String`: the PDU's host name or IP address, with an optional
///   `:port` (for [`Agent::maas_pdu`](crate::snmp::Agent::maas_pdu));
/// - `node_outlet: u64`: the machine's outlet, a node setting;
/// - `power_on_delay: Seconds`: the pause before switching the outlet on ("Power ON
///   outlet delay (seconds)"), 5 s by default ([`default_power_on_delay`]).
///
/// [`default_power_on_delay`]: crate::snmp::default_power_on_delay
///
/// ```
/// use maaspd::Result;
/// use maaspd::snmp::{Agent, Object, Outlet, Version};
///
/// /// Which outlet table the PDU has.
/// #[maaspd::parameters]
/// #[derive(Default)]
/// enum Table {
///     /// The new table
///     #[default]
///     New,
///     /// The old table
///     Old,
/// }
///
/// maaspd::snmp::outlet_settings! {
///     /// What MAAS stores for an Acme PDU.
///     struct Settings {
///         power_address: "IP for Acme PDU",
///         node_outlet: "Acme PDU node outlet number (1-8)",
///         /// Outlet table
///         ///
///         /// The table the PDU's firmware has.
///         #[serde(default)]
///         table: Table,
///     }
/// }
///
/// /// The machine's outlet.
/// struct Acme(Outlet);
///
/// #[maaspd::power_driver(description = "Acme PDU", switch = 0, main = false)]
/// impl Acme {
///     fn new(settings: Settings) -> Result<Self> {
///         let column = match settings.table {
///             Table::New => "1.3.6.1.4.1.99999.1.1",
///             Table::Old => "1.3.6.1.4.1.99999.2.1",
///         };
///         let state = Object::new(column)?.index(settings.node_outlet).setting("node_outlet");
///         let pdu = Agent::maas_pdu(&settings.power_address, Version::V2c)?;
///         let outlet = Outlet::new(pdu, settings.node_outlet, state, 1, 0);
///         Ok(Acme(outlet.power_on_delay(settings.power_on_delay.duration())))
///     }
/// }
///
/// let schema = maaspd::testing::schema::<Acme>();
/// let title = |setting: &str| schema["properties"][setting]["title"].clone();
/// assert_eq!(title("power_address"), "IP for Acme PDU");
/// assert_eq!(title("node_outlet"), "Acme PDU node outlet number (1-8)");
/// assert_eq!(title("power_on_delay"), "Power ON outlet delay (seconds)");
/// assert_eq!(title("table"), "Outlet table");
/// assert_eq!(schema["properties"]["node_outlet"]["x-maas-scope"], "node");
/// ```
///
/// The two labels come first, in that order; anything else is a compile error saying
/// how to write it:
///
/// ```compile_fail
/// maaspd::snmp::outlet_settings! {
///     struct Settings {
///         node_outlet: "Acme PDU node outlet number (1-8)",
///         power_address: "IP for Acme PDU",
///     }
/// }
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! __outlet_settings {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            power_address: $address_label:literal,
            node_outlet: $outlet_label:literal
            $(, $(#[$field_attr:meta])* $field:ident : $type:ty)* $(,)?
        }
    ) => {
        $(#[$attr])*
        #[$crate::parameters]
        $vis struct $name {
            #[doc = $address_label]
            ///
            /// The PDU's host name or IP address, with an optional `:port` (SNMP's 161
            /// unless given).
            power_address: ::std::string::String,
            #[doc = $outlet_label]
            ///
            /// The outlet the machine is plugged into (a node setting in MAAS: one per
            /// machine).
            #[maaspd(scope = "node")]
            node_outlet: u64,
            /// Power ON outlet delay (seconds)
            ///
            /// How long to wait before switching the outlet on, after switching it off
            /// when it was on.
            #[serde(default = "maaspd::snmp::default_power_on_delay")]
            power_on_delay: $crate::types::Seconds,
            $($(#[$field_attr])* $field: $type,)*
        }
    };
    ($($anything:tt)*) => {
        ::core::compile_error!(
            "write `maaspd::snmp::outlet_settings! { struct Settings { power_address: \"IP for Acme PDU\", node_outlet: \"Acme PDU node outlet number\", /* the PDU's own settings */ } }`: the two labels first, in that order, each a string literal, then the PDU's own fields"
        );
    };
}
