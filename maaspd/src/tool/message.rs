//! A tool's output, and how it ended, as a driver quotes them in an error or a warning.

use super::ToolOutput;

/// The most characters of a tool's output [`quote`] keeps.
const MAX_QUOTED: usize = 400;

/// The first of `texts` (a tool's streams, in the order to prefer) that is not blank, to
/// quote in a message: its lines trimmed and joined with `; ` (blank ones left out), cut
/// at 400 characters (then `...`), between backticks; `no output` when every one is
/// blank. A [`ToolOutput`]'s streams already have the tool's secrets blotted out.
///
/// ```
/// use maaspd::tool::message::quote;
///
/// let (stdout, stderr) = ("\n", "ipmi-config: connection timeout\nretrying\n");
/// assert_eq!(quote(&[stdout, stderr]), "`ipmi-config: connection timeout; retrying`");
/// assert_eq!(quote(&["", " "]), "no output");
/// assert_eq!(quote(&[&"x".repeat(500)]), format!("`{}...`", "x".repeat(400)));
/// ```
pub fn quote(texts: &[&str]) -> String {
    let Some(text) = texts
        .iter()
        .map(|text| text.trim())
        .find(|text| !text.is_empty())
    else {
        return "no output".to_owned();
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let one_line = lines.join("; ");
    let mut quoted: String = one_line.chars().take(MAX_QUOTED).collect();
    if quoted.len() < one_line.len() {
        quoted.push_str("...");
    }
    format!("`{quoted}`")
}

impl ToolOutput {
    /// How the tool ended, for a message: `exit status N`, or `killed by a signal`.
    ///
    /// ```
    /// let output = maaspd::tool::ToolOutput { status: Some(1), stdout: String::new(), stderr: String::new() };
    /// assert_eq!(output.ending(), "exit status 1");
    /// ```
    pub fn ending(&self) -> String {
        match self.status {
            Some(code) => format!("exit status {code}"),
            None => "killed by a signal".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ToolOutput, quote};

    #[test]
    fn the_first_stream_with_something_in_it_is_quoted_on_one_line() {
        assert_eq!(quote(&["  out  \n", "err"]), "`out`");
        assert_eq!(quote(&["\n \n", " a \n\n b "]), "`a; b`");
        assert_eq!(quote(&[]), "no output");
    }

    #[test]
    fn a_long_output_is_cut_on_a_character_boundary() {
        let long = "é".repeat(401);
        assert_eq!(quote(&[&long]), format!("`{}...`", "é".repeat(400)));
        let exact = "é".repeat(400);
        assert_eq!(quote(&[&exact]), format!("`{exact}`"));
    }

    #[test]
    fn the_ending_is_the_exit_status_or_a_signal() {
        let output = |status| ToolOutput {
            status,
            stdout: String::new(),
            stderr: String::new(),
        };
        assert_eq!(output(Some(0)).ending(), "exit status 0");
        assert_eq!(output(None).ending(), "killed by a signal");
    }
}
