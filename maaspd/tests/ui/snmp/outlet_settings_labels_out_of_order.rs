// `outlet_settings!` with its two labels out of order: one error saying how to write it.
maaspd::snmp::outlet_settings! {
    struct Settings {
        node_outlet: "Acme PDU node outlet number",
        power_address: "IP for Acme PDU",
    }
}

fn main() {}
