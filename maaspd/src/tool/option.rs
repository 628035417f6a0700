//! Options a tool gets only when a setting has a value, as MAAS's drivers build their
//! command lines (`if power_user: command.extend(("-u", power_user))`).

use std::ffi::OsStr;

use super::Tool;

impl Tool {
    /// Adds `flag` and `value` as two arguments when there is a value; nothing when
    /// `value` is `None`. Never a secret (see [`secret_env`](Tool::secret_env) and
    /// [`secret_stdin`](Tool::secret_stdin)).
    ///
    /// ```
    /// use maaspd::tool::Tool;
    ///
    /// let user = "";
    /// let timeout: Option<u32> = Some(3000);
    /// let tool = Tool::new("ipmipower", "freeipmi-tools")
    ///     .option("-u", (!user.is_empty()).then_some(user))
    ///     .option("--session-timeout", timeout.map(|ms| ms.to_string()))
    ///     .arg("--stat");
    /// # let _ = tool;
    /// ```
    pub fn option(self, flag: impl AsRef<OsStr>, value: Option<impl AsRef<OsStr>>) -> Tool {
        match value {
            Some(value) => self.arg(flag).arg(value),
            None => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Tool;

    #[test]
    fn an_option_comes_with_its_value_or_not_at_all() {
        let tool = Tool::new("ipmipower", "freeipmi-tools")
            .option("-W", None::<&str>)
            .option("-h", Some("10.0.0.5"))
            .arg("-P")
            .option("-I", Some(String::from("3")));
        assert_eq!(tool.args, ["-h", "10.0.0.5", "-P", "-I", "3"]);
    }
}
