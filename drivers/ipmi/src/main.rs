//! MAAS's IPMI power driver (`ipmi`), written with maaspd. Like MAAS's own
//! (`src/provisioningserver/drivers/power/ipmi.py` in canonical/maas), it drives the BMC
//! through FreeIPMI (Debian package `freeipmi-tools`), with the same settings, the same
//! command lines (but for the secrets) and the same reading of FreeIPMI's answers:
//!
//! ```text
//! common:     [-W FLAGS] [--driver-type LAN|LAN_2_0] -h ADDRESS [-u USER] -P
//!             [-K] [-I CIPHER_SUITE_ID] -l PRIVILEGE_LEVEL
//! power_on:   ipmi-chassis-config COMMON --commit --filename FILE   (next boot: PXE)
//!             ipmipower COMMON --cycle --on-if-off
//! power_off:  ipmipower COMMON --off            (--soft with power_off_mode "soft")
//! power_query ipmipower COMMON --stat
//! ```
//!
//! The password and the K_g key answer the tools' prompts (`-P`, `-K`) on their standard
//! input, through `maaspd::tool`, where MAAS gives them on the command line (`-p`, `-k`)
//! for any local user to read in /proc; FreeIPMI's config file is no way round, as its
//! parser takes a `#` inside quotes for a comment. Every tool runs within the call's
//! deadline. A K_g key the BMC rejects is dropped and the action tried once more, as
//! MAAS does.
//! maaspd's additions: `session_timeout` (unset by default, as MAAS passes none); an
//! answer that is neither `on` nor `off` (`ok` for a power change) is an `actionError`
//! where MAAS would return the raw text; settings ipmipower refuses before sending
//! anything (a password too long, a USER privilege level for a power change) are a
//! `settingsError` where MAAS reports a generic failure.
//!
//! ```text
//! echo '{"driverParameters": {"power_address": "10.0.0.5", "power_user": "maas",
//!        "power_pass": "..."}}' | cargo run -p maaspd-ipmi -- power_query
//! ```

use std::io::Write;

use maaspd::serde_json::{Value, json};
use maaspd::tool::{Tool, arp, known::KnownFailure, message::quote};
use maaspd::types::MacAddress;
use maaspd::{Context, Error, ErrorCode, ErrorContext, PowerState, Result, Secret, bail, err};

/// IPMI
///
/// A machine's BMC, reached over the network with IPMI through FreeIPMI's ipmipower
/// (MAAS's `ipmi` power type).
#[maaspd::parameters]
struct Settings {
    /// Power driver
    ///
    /// The IPMI version to speak: ipmipower's `--driver-type`.
    #[serde(default)]
    power_driver: IpmiVersion,
    /// Power boot type
    ///
    /// The firmware boot type asked for with the next network boot, set with
    /// ipmi-chassis-config before each power-on.
    #[serde(default)]
    power_boot_type: BootType,
    /// IP address
    ///
    /// Host name or IP address of the BMC, with an optional `:port` (default 623),
    /// passed to FreeIPMI as is. When empty, the address is looked up by `mac_address`
    /// in the ARP table.
    power_address: String,
    /// Power user
    ///
    /// The BMC user; empty for FreeIPMI's default (the null user).
    #[serde(default)]
    power_user: String,
    /// Power password
    ///
    /// The BMC user's password.
    #[serde(default)]
    power_pass: Secret,
    /// K_g BMC key
    ///
    /// The BMC key of IPMI 2.0 sessions, when the BMC has one. If the BMC rejects it,
    /// the action is tried once more without it.
    #[serde(default)]
    k_g: Secret,
    /// Cipher Suite ID
    ///
    /// The IPMI 2.0 cipher suite (ipmipower's `-I`). Only 17 has strong authentication,
    /// integrity and confidentiality algorithms, but not every BMC offers it.
    #[serde(default)]
    cipher_suite_id: CipherSuiteId,
    /// Privilege Level
    ///
    /// The privilege level the session asks for; every power action works as
    /// OPERATOR.
    #[serde(default)]
    privilege_level: PrivilegeLevel,
    /// Workaround Flags
    ///
    /// FreeIPMI's workarounds for BMC bugs (`-W`); `opensesspriv` is needed by many
    /// BMCs and harmless on the others.
    #[serde(default = "default_workaround_flags")]
    workaround_flags: Vec<WorkaroundFlag>,
    /// Power MAC
    ///
    /// MAC address of the BMC, used to find its IP address in the ARP table when
    /// `power_address` is empty. A per-machine (node) setting in MAAS.
    #[serde(default)]
    #[maaspd(scope = "node")]
    mac_address: String,
    /// Power off mode
    ///
    /// `hard` cuts the power; `soft` asks the operating system to shut down (ACPI).
    #[serde(default)]
    power_off_mode: PowerOffMode,
    /// Session timeout (ms)
    ///
    /// maaspd's addition, not a MAAS setting: how long ipmipower and
    /// ipmi-chassis-config wait for the BMC (their `--session-timeout`), at least 2000
    /// ms (FreeIPMI wants more than its 1 s retransmission timeout). Unset, as MAAS
    /// runs them, FreeIPMI waits 20 s before it reports a BMC that does not answer.
    #[serde(default)]
    #[schemars(range(min = MIN_SESSION_TIMEOUT))]
    session_timeout: Option<u32>,
}

/// The shortest `session_timeout`: FreeIPMI's library refuses one that is not longer
/// than its retransmission timeout (1 s).
const MIN_SESSION_TIMEOUT: u32 = 2000;

fn default_workaround_flags() -> Vec<WorkaroundFlag> {
    vec![WorkaroundFlag::Opensesspriv]
}

/// The IPMI version ipmipower speaks.
#[maaspd::parameters]
#[derive(Clone, Copy, Default)]
enum IpmiVersion {
    /// LAN [IPMI 1.5]
    #[serde(rename = "LAN")]
    Lan,
    /// LAN_2_0 [IPMI 2.0]
    #[default]
    #[serde(rename = "LAN_2_0")]
    Lan20,
}

/// The firmware boot type of the next network boot.
#[maaspd::parameters]
#[derive(Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
enum BootType {
    /// Automatic
    #[default]
    Auto,
    /// Legacy boot
    Legacy,
    /// EFI boot
    Efi,
}

/// An IPMI 2.0 cipher suite, or FreeIPMI's default.
#[maaspd::parameters]
#[derive(Clone, Copy, Default)]
enum CipherSuiteId {
    /// 17 - HMAC-SHA256::HMAC_SHA256_128::AES-CBC-128
    #[serde(rename = "17")]
    Suite17,
    /// 3 - HMAC-SHA1::HMAC-SHA1-96::AES-CBC-128
    #[default]
    #[serde(rename = "3")]
    Suite3,
    /// freeipmi-tools default
    #[serde(rename = "")]
    FreeIpmiDefault,
    /// 8 - HMAC-MD5::HMAC-MD5-128::AES-CBC-128
    #[serde(rename = "8")]
    Suite8,
    /// 12 - HMAC-MD5::MD5-128::AES-CBC-128
    #[serde(rename = "12")]
    Suite12,
}

/// The privilege level of the IPMI session.
#[maaspd::parameters]
#[derive(Clone, Copy, Default)]
#[serde(rename_all = "UPPERCASE")]
enum PrivilegeLevel {
    /// User
    User,
    /// Operator
    #[default]
    Operator,
    /// Administrator
    Admin,
}

/// A FreeIPMI workaround flag.
#[maaspd::parameters]
#[serde(rename_all = "lowercase")]
enum WorkaroundFlag {
    /// Opensesspriv
    Opensesspriv,
    /// Authcap
    Authcap,
    /// Idzero
    Idzero,
    /// Unexpectedauth
    Unexpectedauth,
    /// Forcepermsg
    Forcepermsg,
    /// Endianseq
    Endianseq,
    /// Intel20
    Intel20,
    /// Supermicro20
    Supermicro20,
    /// Sun20
    Sun20,
    /// Nochecksumcheck
    Nochecksumcheck,
    /// Integritycheckvalue
    Integritycheckvalue,
    /// Ipmiping
    Ipmiping,
    /// None
    #[serde(rename = "")]
    None,
}

/// How `power_off` switches the machine off.
#[maaspd::parameters]
#[derive(Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
enum PowerOffMode {
    /// Soft power off
    Soft,
    /// Power off
    #[default]
    Hard,
}

/// A choice's FreeIPMI name, which is its value in MAAS (`json!(choice)`); `None` for
/// MAAS's empty choices (FreeIPMI's default cipher suite, no workaround flag).
fn freeipmi_name(choice: Value) -> Option<String> {
    Some(choice.as_str()?.to_owned()).filter(|name| !name.is_empty())
}

/// What FreeIPMI prints when it fails, and what that means: MAAS's table, in MAAS's
/// order (the first text found in ipmipower's stdout decides).
const FREEIPMI_ERRORS: &[KnownFailure] = &[
    KnownFailure::auth("username invalid", "the BMC does not accept the user name"),
    KnownFailure::auth("password invalid", "the BMC does not accept the password"),
    KnownFailure::auth(
        "password verification timeout",
        "the BMC did not confirm the password (over IPMI 1.5 this is how a wrong password shows)",
    ),
    KnownFailure::auth(K_G_INVALID, "the BMC does not accept the K_g key"),
    KnownFailure::auth(
        "privilege level insufficient",
        "the user's privilege level does not allow this action",
    ),
    KnownFailure::auth(
        "privilege level cannot be obtained for this user",
        "the BMC refused the privilege level for this user (or the password is wrong)",
    ),
    KnownFailure::settings(
        "authentication type unavailable for attempted privilege level",
        "the BMC offers no authentication type for this privilege level",
    ),
    KnownFailure::settings(
        "cipher suite id unavailable",
        "the BMC does not offer this cipher suite: check cipher_suite_id",
    ),
    KnownFailure::settings(
        "ipmi 2.0 unavailable",
        "the BMC does not speak IPMI 2.0: try power_driver LAN (IPMI 1.5)",
    ),
    KnownFailure::conn(
        "connection timeout",
        "the BMC did not answer: check the address and the network",
    ),
    KnownFailure::conn("session timeout", "the IPMI session timed out"),
    KnownFailure::fatal(
        "internal IPMI error",
        "FreeIPMI met an IPMI error it cannot handle: try the action by hand",
    ),
    KnownFailure::settings("device not found", "no IPMI device was found"),
    KnownFailure::conn("driver timeout", "the IPMI device did not answer in time"),
    KnownFailure::conn("message timeout", "the IPMI device did not answer in time"),
    KnownFailure::conn("BMC busy", "the BMC is busy: try again later"),
    KnownFailure::settings(
        "could not find inband device",
        "no in-band IPMI device was found",
    ),
];

const K_G_INVALID: &str = "k_g invalid";

/// maaspd's addition: what ipmipower prints on stderr when it refuses its arguments
/// before sending anything (MAAS reports these as a generic failure).
const REFUSED_SETTINGS: &[KnownFailure] = &[
    KnownFailure::settings("username too long", "power_user is too long for IPMI"),
    KnownFailure::settings(
        "password too long",
        "power_pass is too long for IPMI (16 bytes for IPMI 1.5, 20 for 2.0)",
    ),
    KnownFailure::settings(
        "k_g too long",
        "k_g is too long (20 bytes, or 0x and 40 hex digits)",
    ),
    KnownFailure::settings(
        "k_g input formatted incorrectly",
        "k_g is not a valid K_g key (20 bytes, or 0x and 40 hex digits)",
    ),
    KnownFailure::settings(
        "requires atleast operator privilege",
        "privilege_level USER cannot change the power state: use OPERATOR or ADMIN",
    ),
];

/// The chassis boot flags MAAS sets before each power-on: boot from the network once.
fn boot_flags(boot_type: BootType) -> String {
    let bios_boot_type = match boot_type {
        BootType::Auto => String::new(),
        BootType::Legacy => format!("        {:<46}PC-COMPATIBLE\n", "BIOS_Boot_Type"),
        BootType::Efi => format!("        {:<46}EFI\n", "BIOS_Boot_Type"),
    };
    format!(
        "Section Chassis_Boot_Flags\n        {:<46}No\n{bios_boot_type}        {:<46}PXE\nEndSection\n",
        "Boot_Flags_Persistent", "Boot_Device",
    )
}

/// Whether MAAS counts a setting as given: not empty, not only blanks.
fn is_set(value: &str) -> bool {
    !value.trim().is_empty()
}

/// An IPMI BMC, reached through FreeIPMI.
struct Ipmi {
    settings: Settings,
    /// `power_address`, or the IP address found for `mac_address`.
    host: String,
}

/// Why an attempt failed: a rejected K_g key is worth one more try without it.
enum Failure {
    KgRejected(Error),
    Other(Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Other(error)
    }
}

#[maaspd::power_driver(
    name = "ipmi",
    description = "IPMI",
    ip_extractor(field_name = "power_address", pattern = maaspd::ip_extractor::IDENTITY)
)]
impl Ipmi {
    fn new(settings: Settings) -> Result<Self> {
        if let Some(timeout) = settings.session_timeout
            && timeout < MIN_SESSION_TIMEOUT
        {
            bail!(
                settings,
                "driverParameters.session_timeout: {timeout} ms is too short; give at least \
                 {MIN_SESSION_TIMEOUT} ms, or leave it unset for FreeIPMI's default (20 s)"
            );
        }
        let host = if is_set(&settings.power_address) {
            settings.power_address.clone()
        } else if is_set(&settings.mac_address) {
            ip_from_arp_table(&settings.mac_address)?
        } else {
            bail!(
                settings,
                "driverParameters.power_address: empty, and no mac_address to find the BMC by"
            );
        };
        Ok(Ipmi { settings, host })
    }

    fn power_on(&self, ctx: &Context) -> Result<()> {
        self.with_k_g_fallback(|use_k_g| {
            self.set_next_boot_to_pxe(ctx, use_k_g)?;
            self.ipmipower(ctx, use_k_g, &["--cycle", "--on-if-off"], &["ok"])
                .map(drop)
        })
    }

    fn power_off(&self, ctx: &Context) -> Result<()> {
        let option = match self.settings.power_off_mode {
            PowerOffMode::Soft => "--soft",
            PowerOffMode::Hard => "--off",
        };
        self.with_k_g_fallback(|use_k_g| self.ipmipower(ctx, use_k_g, &[option], &["ok"]).map(drop))
    }

    fn power_query(&self, ctx: &Context) -> Result<PowerState> {
        self.with_k_g_fallback(|use_k_g| {
            let state = self.ipmipower(ctx, use_k_g, &["--stat"], &["on", "off"])?;
            Ok(PowerState::from(state == "on"))
        })
    }

    /// Runs `attempt` with the K_g key; if the BMC rejects the key, once more without
    /// it, as MAAS does.
    fn with_k_g_fallback<T>(&self, attempt: impl Fn(bool) -> Result<T, Failure>) -> Result<T> {
        let use_k_g = is_set(self.settings.k_g.expose());
        let result = match attempt(use_k_g) {
            Err(Failure::KgRejected(_)) if use_k_g => {
                eprintln!(
                    "warning: the BMC at {} rejected the K_g key; trying again without it",
                    self.host
                );
                attempt(false)
            }
            result => result,
        };
        result.map_err(|(Failure::KgRejected(error) | Failure::Other(error))| error)
    }

    /// Makes the machine boot from the network next, as MAAS does before each power-on.
    /// Only a refusal of the credentials stops the power-on: some BMCs time out on boot
    /// flags yet switch the power fine (MAAS bug 1516065), so any other failure is a
    /// warning.
    fn set_next_boot_to_pxe(&self, ctx: &Context, use_k_g: bool) -> Result<(), Failure> {
        // ipmi-chassis-config's input, in a file of its own (created exclusively, mode
        // 0600), removed on drop.
        let mut file = tempfile::NamedTempFile::with_prefix("maaspd-ipmi-boot-")
            .or_fatal("could not create ipmi-chassis-config's input file")?;
        file.write_all(boot_flags(self.settings.power_boot_type).as_bytes())
            .or_fatal("could not write ipmi-chassis-config's input file")?;
        let tool = self.freeipmi("ipmi-chassis-config", use_k_g);
        let options = ["--commit", "--filename"];
        let output = tool.args(options).arg(file.path()).run(ctx)?;
        let what = "ipmi-chassis-config --commit";
        let auth = FREEIPMI_ERRORS
            .iter()
            .filter(|known| known.code == ErrorCode::Auth);
        self.check(what, KnownFailure::find(auth, &output.stderr))?;
        if !output.success() {
            eprintln!(
                "warning: {what} on {} could not set the next boot to PXE ({}): {}; powering on anyway",
                self.host,
                output.ending(),
                quote(&[without_prompts(&output.stderr), &output.stdout]),
            );
        }
        Ok(())
    }

    /// Runs ipmipower with `options` and returns its answer, which must be one of
    /// `answers`.
    fn ipmipower(
        &self,
        ctx: &Context,
        use_k_g: bool,
        options: &[&str],
        answers: &[&'static str],
    ) -> Result<&'static str, Failure> {
        let output = self.freeipmi("ipmipower", use_k_g).args(options).run(ctx)?;
        let what = format!("ipmipower {}", options.join(" "));
        // ipmipower prints its errors on stdout, one "HOST: message" line per host.
        let known = KnownFailure::find(FREEIPMI_ERRORS, &output.stdout)
            .or_else(|| KnownFailure::find(REFUSED_SETTINGS, &output.stderr));
        self.check(&what, known)?;
        let host = &self.host;
        let quoted = quote(&[&output.stdout, without_prompts(&output.stderr)]);
        if !output.success() {
            let ending = output.ending();
            return Err(err!(action, "{what} on {host} failed ({ending}): {quoted}").into());
        }
        let answer = output
            .stdout
            .lines()
            .find_map(|line| Some(line.rsplit_once(": ")?.1.trim()));
        if let Some(&known) = answers.iter().find(|&&known| answer == Some(known)) {
            return Ok(known);
        }
        let answered = match answer {
            Some(answer) => format!("the BMC answered `{answer}`"),
            None => format!("no answer ({quoted})"),
        };
        let expected = answers.join("` or `");
        let message = format!("{what} on {host}: {answered}, expected `{expected}`");
        Err(Error::action(message).into())
    }

    /// Fails with the error for the failure FreeIPMI reported doing `what`, if any.
    fn check(&self, what: &str, known: Option<&KnownFailure>) -> Result<(), Failure> {
        let Some(known) = known else { return Ok(()) };
        let error = known.error(format_args!("{what} on {}", self.host), "FreeIPMI");
        Err(if known.text == K_G_INVALID {
            Failure::KgRejected(error)
        } else {
            Failure::Other(error)
        })
    }

    /// A FreeIPMI tool found in PATH, as MAAS runs it, with the arguments ipmipower and
    /// ipmi-chassis-config share, in MAAS's order; the password (and the K_g key, with
    /// `-K`) answer its prompts and are blotted out of its output.
    fn freeipmi(&self, tool: &str, use_k_g: bool) -> Tool {
        let settings = &self.settings;
        let flags: Vec<String> = settings
            .workaround_flags
            .iter()
            .filter_map(|flag| freeipmi_name(json!(flag)))
            .collect();
        let user = &settings.power_user;
        let timeout = settings.session_timeout.map(|timeout| timeout.to_string());
        let k_g = &settings.k_g;
        let tool = Tool::new(tool, "freeipmi-tools")
            .option("-W", (!flags.is_empty()).then(|| flags.join(",")))
            .option("--driver-type", freeipmi_name(json!(settings.power_driver)))
            .args(["-h", &self.host])
            .option("-u", is_set(user).then_some(user))
            // The password always, even empty, as MAAS gives it; and the K_g key: both at
            // the tool's prompts (`-P`, `-K`), on its standard input, where MAAS puts them
            // on the command line (`-p`, `-k`), which any local user reads in /proc.
            .arg("-P")
            .args(use_k_g.then_some("-K"))
            .option("-I", freeipmi_name(json!(settings.cipher_suite_id)))
            .option("-l", freeipmi_name(json!(settings.privilege_level)))
            .option("--session-timeout", timeout)
            .secret_stdin(&settings.power_pass)
            .redact(k_g);
        if use_k_g {
            tool.secret_stdin(k_g)
        } else {
            tool
        }
    }
}

/// FreeIPMI's standard error without its prompts for the password and the K_g key,
/// which it prints there before it reads them.
fn without_prompts(stderr: &str) -> &str {
    let after_password = stderr.trim_start_matches("Password: ");
    after_password.trim_start_matches("K_g: ")
}

/// The IP address the ARP table gives for `mac`, as MAAS finds a BMC by its MAC.
fn ip_from_arp_table(mac: &str) -> Result<String> {
    let mac: MacAddress = mac.parse().or_settings(format_args!(
        "driverParameters.mac_address `{}`",
        mac.trim()
    ))?;
    let ip = arp::ip_of(mac).or_conn(format_args!(
        "power_address is empty and the ARP table (/proc/net/arp) could not be read to find {mac}"
    ))?;
    ip.ok_or("the BMC has not been seen on the network")
        .or_conn(format_args!(
            "power_address is empty and the power MAC {mac} is not in the ARP table (/proc/net/arp)"
        ))
}
