//! The seed wrapper (`../shared/seed/`, the Python `maaspd` proposed for MAAS) as the
//! oracle: for every valid input, our binaries print the very document it prints for an
//! equivalent driver. Its package is taken out of the seed's diff at run time and run
//! with python3; nothing of it is kept in this repository.

#[path = "support/peers.rs"]
mod peers;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use peers::Peer;
use support::{example, run};

const SEED: &str = "../shared/seed/000_8cfe61c9d71f58ae.txt";

/// The seed's `powerdrivers/common/maaspd/` package, written out under `dir`.
fn extract_seed_package(dir: &Path) -> PathBuf {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED);
    let text = std::fs::read_to_string(&seed)
        .unwrap_or_else(|e| panic!("the seed must sit beside the project at {SEED}: {e}"));
    let package = dir.join("maaspd");
    std::fs::create_dir_all(&package).unwrap();
    let mut current: Option<(String, String)> = None;
    let mut files = Vec::new();
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("+++ b/") {
            files.extend(current.take());
            current = path
                .strip_prefix("powerdrivers/common/maaspd/")
                .map(|name| (name.to_owned(), String::new()));
        } else if line.starts_with("diff --git") {
            files.extend(current.take());
        } else if let Some((_, body)) = &mut current
            && let Some(added) = line.strip_prefix('+')
        {
            body.push_str(added);
            body.push('\n');
        }
    }
    files.extend(current);
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["__init__.py", "classes.py", "exc.py", "main.py"],
        "the seed's package"
    );
    for (name, body) in &files {
        std::fs::write(package.join(name), body).unwrap();
    }
    dir.to_owned()
}

/// Python drivers equivalent to `examples/abstract.rs` and `tests/fixtures/chassis.rs`,
/// written against the seed's API.
const EQUIVALENT_DRIVERS: &str = r#"
import sys
from maaspd import pd_main
from maaspd.classes import PowerDriver
from maaspd.exc import PowerDriverActionError


class Abstract(PowerDriver):
    get_description = staticmethod(lambda: "Concrete Abstract power driver")
    get_schema = staticmethod(lambda: "{}")
    supports_probe = staticmethod(lambda: False)
    supports_boot_ordering = staticmethod(lambda: False)

    def power_on(self): pass
    def power_off(self): pass
    def power_query(self): return False


class Chassis(PowerDriver):
    get_description = staticmethod(lambda: "Fixture chassis for the CLI tests")
    get_schema = staticmethod(lambda: "{}")
    supports_probe = staticmethod(lambda: True)
    supports_boot_ordering = staticmethod(lambda: True)

    def __init__(self, machines, fail=None, panic=False):
        self.fail = fail

    def act(self):
        if self.fail is not None:
            raise PowerDriverActionError(self.fail)

    def power_on(self): self.act()
    def power_off(self): self.act()
    def power_query(self): self.act(); return True
    def set_boot_order(self, devices): self.act()


driver = {"abstract": Abstract, "fixture-chassis": Chassis}[sys.argv.pop(1)]
sys.exit(pd_main(driver))
"#;

struct Seed {
    dir: PathBuf,
}

impl Seed {
    fn new() -> Seed {
        let dir = std::env::temp_dir().join(format!("maaspd-seed-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        extract_seed_package(&dir);
        std::fs::write(dir.join("drivers.py"), EQUIVALENT_DRIVERS).unwrap();
        Seed { dir }
    }

    /// The seed's stdout for `driver action` with `input` in a file.
    fn run(&self, driver: &str, action: &str, input: &str) -> String {
        let path = self.dir.join("input.json");
        std::fs::write(&path, input).unwrap();
        let output = Command::new(Peer::Python3.path())
            .arg(self.dir.join("drivers.py"))
            .args([driver, action])
            .arg(&path)
            .current_dir(&self.dir)
            .output()
            .expect("python3 runs (the seed is Python)");
        assert!(
            output.status.success(),
            "the seed failed on {driver} {action} {input}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }
}

#[test]
fn same_documents_as_the_seed_for_valid_input() {
    if !peers::available(&[Peer::Python3]) {
        return;
    }
    let seed = Seed::new();
    let cases = [
        ("abstract", "power_on", r#"{"driverParameters": {}}"#),
        ("abstract", "power_off", r#"{"driverParameters": {}}"#),
        ("abstract", "power_query", r#"{"driverParameters": {}}"#),
        (
            "abstract",
            "power_query",
            r#"{"driverParameters": {}, "devices": []}"#,
        ),
        ("abstract", "probe", r#"{"driverParameters": {}}"#),
        (
            "abstract",
            "set_boot_order",
            r#"{"driverParameters": {}, "devices": []}"#,
        ),
        (
            "fixture-chassis",
            "power_on",
            r#"{"driverParameters": {"machines": 2}}"#,
        ),
        (
            "fixture-chassis",
            "power_off",
            r#"{"driverParameters": {"machines": 2, "fail": "BMC said \"no\" – ünïcode"}}"#,
        ),
        (
            "fixture-chassis",
            "set_boot_order",
            r#"{"driverParameters": {"machines": 1}, "devices": [
                {"deviceType": "NetworkInterface", "properties": {"mac": "52:54:00:12:34:56"}},
                {"deviceType": "StorageDevice", "properties": {"serial": "S3Z9NB0K"}}]}"#,
        ),
        (
            "fixture-chassis",
            "set_boot_order",
            r#"{"driverParameters": {"machines": 1, "fail": "no"}, "devices": []}"#,
        ),
    ];
    for (driver, action, input) in cases {
        let expected = seed.run(driver, action, input);
        let ours = run(&example(driver), &[action], input.as_bytes()).stdout;
        let expected_value: serde_json::Value = serde_json::from_str(&expected).unwrap();
        let ours_value: serde_json::Value = serde_json::from_str(&ours).unwrap();
        assert_eq!(ours_value, expected_value, "{driver} {action} {input}");
        // Byte for byte too, but where Python escapes non-ASCII (ensure_ascii).
        if expected.is_ascii() && ours.is_ascii() {
            assert_eq!(ours, expected, "{driver} {action} {input}");
        }
    }
}
