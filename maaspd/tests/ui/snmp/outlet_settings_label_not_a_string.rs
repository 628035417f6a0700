// `outlet_settings!` with a label that is not a string literal.
maaspd::snmp::outlet_settings! {
    struct Settings {
        power_address: IP_LABEL,
        node_outlet: "Acme PDU node outlet number",
    }
}

const IP_LABEL: &str = "IP for Acme PDU";

fn main() {}
