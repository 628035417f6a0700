//! Setting types that many drivers share, each read from MAAS's stored text and
//! described to MAAS with the field type its forms use.

mod http_address;
mod ip_address;
mod mac_address;
mod seconds;
mod yes_no;

pub use http_address::HttpAddress;
pub use ip_address::IpAddress;
pub use mac_address::MacAddress;
pub use seconds::Seconds;
pub use yes_no::YesNo;
