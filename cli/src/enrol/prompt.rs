//! Questions on standard error, answers from standard input, one line each: a person types
//! them, a script pipes them. An answer that never comes is an error naming the flag to pass.

use crate::{CliResult, Failure};
use locker_core::Error;
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

    /// `given`, or the answer to `question`, put through `check` as soon as it is typed: a
    /// refused answer is explained and asked for again, so nothing typed before it is lost. A
    /// refused flag ends the command at once, naming the flag.
    pub fn checked<T>(
        &mut self,
        given: &Option<String>,
        question: &str,
        flag: &str,
        check: impl Fn(&str) -> Result<T, Error>,
    ) -> CliResult<T> {
        if let Some(v) = given {
            return check(v).map_err(|e| Failure::usage(format!("{flag}: {}", reason(e))));
        }
        loop {
            let answer = self.ask(question, &format!("pass {flag}"))?;
            match check(&answer) {
                Ok(t) => return Ok(t),
                Err(e) => eprintln!("  {}; please answer again", reason(e)),
            }
        }
    }

    /// [`Prompt::checked`] with the typing not shown.
    pub fn checked_secret<T>(
        &mut self,
        given: &Option<String>,
        question: &str,
        flag: &str,
        check: impl Fn(&str) -> Result<T, Error>,
    ) -> CliResult<T> {
        let _quiet = (given.is_none() && !self.piped).then(EchoOff::new).flatten();
        let answer = self.checked(given, question, flag, check);
        if _quiet.is_some() {
            eprintln!("(not shown)");
        }
        answer
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

    /// `given`, or the answer to `question`, `default` when the answer is empty.
    pub fn value_or(&mut self, given: &Option<String>, question: &str, flag: &str, default: &str) -> CliResult<String> {
        if let Some(v) = given {
            return Ok(v.clone());
        }
        let v = self.ask(&format!("{question} [{default}]"), &format!("pass {flag}"))?;
        Ok(if v.is_empty() { default.to_string() } else { v })
    }
}

/// What is wrong with an answer, without repeating it.
fn reason(e: Error) -> String {
    match e {
        Error::InvalidInput(m) => m,
        other => other.to_string(),
    }
}

/// The terminal's echo, off until dropped. The only unsafe code in the CLI: std has no API for
/// terminal modes, and a crate for two libc calls is not worth its weight.
struct EchoOff {
    saved: libc::termios,
}

#[allow(unsafe_code)]
impl EchoOff {
    fn new() -> Option<EchoOff> {
        // SAFETY: tcgetattr and tcsetattr read and write a termios struct we own, on standard
        // input, which stays open for the whole process; failure is reported and handled.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut t) != 0 {
                return None;
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            t.c_lflag |= libc::ECHONL;
            (libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &t) == 0).then_some(EchoOff { saved })
        }
    }
}

#[allow(unsafe_code)]
impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `new`, on the same open descriptor.
        unsafe {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.saved);
        }
    }
}
