//! A BMC known only by its MAC address, found in the kernel's ARP table: what MAAS's
//! drivers do (`find_ip_via_arp`, from `arp -n`) when the power address is empty.

use std::io;

use crate::types::MacAddress;

/// The kernel's ARP table, which `arp -n` prints.
const ARP_TABLE: &str = "/proc/net/arp";

/// The IP address the kernel's ARP table (`/proc/net/arp`) gives for `mac`; `None` when
/// the MAC is not in it (the BMC has not been seen on the network), or only as an
/// incomplete entry. Of several, the first in text order, as MAAS takes the first match
/// in the sorted lines of `arp -n`.
///
/// ```
/// use maaspd::tool::arp;
///
/// let mac = "02:00:5e:00:53:fe".parse().unwrap();
/// let found: Option<String> = arp::ip_of(mac)?;
/// # let _ = found;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn ip_of(mac: MacAddress) -> io::Result<Option<String>> {
    Ok(ip_in(&std::fs::read_to_string(ARP_TABLE)?, mac))
}

/// The same, in the text of an ARP table: a header line, then `IP address, HW type,
/// Flags, HW address, Mask, Device` columns; flags `0x0` mark an incomplete entry.
fn ip_in(table: &str, mac: MacAddress) -> Option<String> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            match columns[..] {
                [ip, _, flags, hw, ..] if flags != "0x0" && hw.parse() == Ok(mac) => Some(ip),
                _ => None,
            }
        })
        .min()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::ip_in;

    const TABLE: &str = "\
IP address       HW type     Flags       HW address            Mask     Device
10.0.0.9         0x1         0x2         52:54:00:12:34:56     *        eth0
10.0.0.10        0x1         0x2         52:54:00:12:34:56     *        eth0
10.0.0.7         0x1         0x0         52:54:00:ab:cd:ef     *        eth0
10.0.0.8         0x1         0x2         52:54:00:00:00:01     *        eth0
";

    #[test]
    fn the_first_complete_entry_for_the_mac_in_text_order() {
        let ip = |mac: &str| ip_in(TABLE, mac.parse().unwrap());
        // "10.0.0.10" sorts before "10.0.0.9", as in MAAS's sorted `arp -n` lines.
        assert_eq!(ip("52:54:00:12:34:56").as_deref(), Some("10.0.0.10"));
        assert_eq!(ip("52-54-00-00-00-01").as_deref(), Some("10.0.0.8"));
        // Incomplete (flags 0x0), or not there at all.
        assert_eq!(ip("52:54:00:AB:CD:EF"), None);
        assert_eq!(ip("02:00:5e:00:53:fe"), None);
        assert_eq!(ip_in("", "52:54:00:12:34:56".parse().unwrap()), None);
    }
}
