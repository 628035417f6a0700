//! Every process's command line, as `/proc/*/cmdline` shows it to any local user: a
//! scanner that looks for secrets there while a test's actions run.

#![allow(dead_code)] // each test file uses its own part of this module

/// Every process's command line now, each as its arguments.
pub fn command_lines() -> Vec<Vec<String>> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|entry| std::fs::read(entry.path().join("cmdline")).ok())
        .map(|cmdline| {
            cmdline
                .split(|&byte| byte == 0)
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect()
        })
        .collect()
}

/// Scans every process's command line, over and over, until `work` is done; returns
/// the command lines seen with one of `secrets` in an argument, and how many scans were
/// made. Give secrets no command line would hold by chance.
pub fn scan_while(secrets: &[&str], work: impl FnOnce()) -> (Vec<Vec<String>>, usize) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let secrets: Vec<String> = secrets.iter().map(|secret| (*secret).to_owned()).collect();
    let scanner = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut found, mut passes) = (Vec::new(), 0);
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                for line in command_lines() {
                    if line
                        .iter()
                        .any(|arg| secrets.iter().any(|secret| arg.contains(secret.as_str())))
                    {
                        found.push(line);
                    }
                }
                passes += 1;
            }
            (found, passes)
        })
    };
    work();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    scanner.join().expect("the scanner")
}
