//! Questions on standard error, answers from standard input, one line each: a person types
//! them, a script pipes them. An answer that never comes is an error naming the flag to pass.

use crate::{CliResult, Failure};
use std::io::{BufRead, IsTerminal, Write};
use zeroize::Zeroizing;

pub struct Prompt {
    input: Box<dyn BufRead>,
    /// Piped answers are not echoed, so the line under each question is ended here.
    piped: bool,
}

impl Prompt {
    pub fn stdin() -> Prompt {
        Prompt { input: Box::new(std::io::stdin().lock()), piped: !std::io::stdin().is_terminal() }
    }

    /// Asks `question`; `missing` says what to do when no answer can come (input closed).
    pub fn ask(&mut self, question: &str, missing: &str) -> CliResult<String> {
        eprint!("{question}: ");
        let _ = std::io::stderr().flush();
        // The answer may be an Aadhaar number or an OTP: the buffer is wiped when dropped.
        let mut line = Zeroizing::new(String::new());
        if self.input.read_line(&mut line)? == 0 {
            eprintln!();
            return Err(Failure::usage(format!("no answer on standard input: {missing}")));
        }
        if self.piped {
            eprintln!();
        }
        Ok(line.trim().to_string())
    }

    /// `given`, or the answer to `question` (asked again while empty).
    pub fn value(&mut self, given: &Option<String>, question: &str, flag: &str) -> CliResult<String> {
        if let Some(v) = given {
            return Ok(v.clone());
        }
        loop {
            let v = self.ask(question, &format!("pass {flag}"))?;
            if !v.is_empty() {
                return Ok(v);
            }
        }
    }

    /// `given`, or the answer to `question`, which may be empty.
    pub fn optional(&mut self, given: &Option<String>, question: &str, flag: &str) -> CliResult<String> {
        match given {
            Some(v) => Ok(v.clone()),
            None => self.ask(&format!("{question} (empty if none)"), &format!("pass {flag}")),
        }
    }

    /// `given`, or the answer to `question`, `default` when the answer is empty.
    pub fn value_or(&mut self, given: &Option<String>, question: &str, flag: &str, default: &str) -> CliResult<String> {
        if let Some(v) = given {
            return Ok(v.clone());
        }
        let v = self.ask(&format!("{question} [{default}]"), &format!("pass {flag}"))?;
        Ok(if v.is_empty() { default.to_string() } else { v })
    }
}
