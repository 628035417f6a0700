//! "did you mean ...?" for near misses.

/// The candidate closest to `name`, when it is close enough to be a typo.
pub(crate) fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    // 0.8 catches one or two slips in a name of eight or more letters, and leaves
    // ordinary helper methods (`client`, `request`) alone.
    const THRESHOLD: f64 = 0.8;
    candidates
        .iter()
        .map(|candidate| {
            let similarity = strsim::normalized_damerau_levenshtein(name, candidate);
            (similarity, *candidate)
        })
        .filter(|(similarity, _)| *similarity >= THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::closest;

    const ACTIONS: &[&str] = &[
        "power_on",
        "power_off",
        "power_query",
        "probe",
        "set_boot_order",
        "power_reset",
    ];

    #[test]
    fn suggests_near_misses() {
        assert_eq!(closest("power_onn", ACTIONS), Some("power_on"));
        assert_eq!(closest("power_of", ACTIONS), Some("power_off"));
        assert_eq!(closest("power_qeury", ACTIONS), Some("power_query"));
        assert_eq!(closest("setbootorder", ACTIONS), Some("set_boot_order"));
        assert_eq!(closest("probes", ACTIONS), Some("probe"));
        assert_eq!(closest("power_rest", ACTIONS), Some("power_reset"));
    }

    #[test]
    fn leaves_other_names_alone() {
        for name in [
            "client",
            "request",
            "query_state",
            "power_cycle",
            "run",
            "new",
        ] {
            assert_eq!(closest(name, ACTIONS), None, "{name}");
        }
    }
}
