//! The README shows this driver as the example of a real driver on the toolkit: every
//! paragraph of that code (blocks between blank lines) must be in the driver as it is,
//! so the README cannot drift from the code it quotes.

use std::path::Path;

#[test]
fn the_readme_quotes_the_driver_as_it_is() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../../README.md")).unwrap();
    let driver = std::fs::read_to_string(root.join("src/main.rs")).unwrap();
    let section = readme
        .split("### A real driver on the toolkit")
        .nth(1)
        .expect("the README's section on a real driver");
    let code = section
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("the section's rust block");
    let paragraphs: Vec<&str> = code.split("\n\n").collect();
    assert!(paragraphs.len() > 5, "{code}");
    for paragraph in paragraphs {
        assert!(
            driver.contains(paragraph.trim_end()),
            "the README quotes what drivers/webhook/src/main.rs does not hold:\n{paragraph}"
        );
    }
}
