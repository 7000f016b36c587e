//! Keys, the store itself, and the commands that act on it whole: init, check, rekey, audit.

use crate::{CliResult, Failure, exit};
use locker_core::{DatabaseKey, Locker};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the store is and how to key it.
pub struct Context {
    pub dir: PathBuf,
    pub key_file: Option<PathBuf>,
}

pub fn read_key(file: &Path) -> CliResult<DatabaseKey> {
    let text = fs::read_to_string(file).map_err(|e| {
        let mut f = Failure::file("read the key file", file, &e);
        if e.kind() == std::io::ErrorKind::NotFound {
            f.message.push_str(&format!(" (make one with `locker keygen {}`)", file.display()));
        }
        f
    })?;
    warn_if_others_can_read(file);
    DatabaseKey::from_hex(&text).map_err(|_| {
        Failure::usage(format!("the key file {} does not hold a key: 64 hexadecimal digits", file.display()))
    })
}

/// Like ssh with a private key: a key file that other users of the machine can read is used,
/// with a warning that says how to mend it.
fn warn_if_others_can_read(file: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(file)
            && meta.permissions().mode() & 0o077 != 0
        {
            eprintln!(
                "warning: the key file {} can be read by other users of this machine (mode {:03o}); make it yours alone: chmod 600 {}",
                file.display(),
                meta.permissions().mode() & 0o777,
                file.display()
            );
        }
    }
}

impl Context {
    pub fn key(&self) -> CliResult<DatabaseKey> {
        let file = self.key_file.as_ref().ok_or_else(|| {
            Failure::usage("no key: pass --key-file FILE or set LOCKER_KEY_FILE (make one with `locker keygen FILE`)")
        })?;
        read_key(file)
    }

    pub fn open(&self) -> CliResult<Locker> {
        let locker = Locker::open(&self.dir, self.key()?).map_err(|e| match e {
            locker_core::Error::NotFound(_) => Failure::with_code(
                exit::NOT_FOUND,
                format!("no store in {} (create one with `locker init`)", self.dir.display()),
            ),
            other => other.into(),
        })?;
        print_notices(&locker)?;
        Ok(locker)
    }
}

/// Tells the user what opening the store did on its own (on standard error: not the output).
pub fn print_notices(locker: &Locker) -> CliResult {
    for n in locker.notices()? {
        eprintln!("note: {n}");
    }
    Ok(())
}

/// Writes a key file readable by its owner alone; never overwrites one.
pub fn write_key_file(file: &Path, key: &DatabaseKey) -> CliResult {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            Failure::usage(format!("{} exists; a key file is never overwritten", file.display()))
        }
        _ => Failure::file("create", file, &e),
    })?;
    f.write_all(key.to_hex().as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    Ok(())
}

pub fn keygen(file: &Path) -> CliResult {
    write_key_file(file, &DatabaseKey::generate()?)?;
    println!("wrote a new key to {}; keep it safe: without it the store cannot be opened", file.display());
    Ok(())
}

pub fn init(ctx: &Context) -> CliResult {
    Locker::create(&ctx.dir, ctx.key()?)?;
    println!("created an encrypted store in {}", ctx.dir.display());
    Ok(())
}

pub fn check(ctx: &Context) -> CliResult {
    let locker = ctx.open()?;
    let report = locker.check()?;
    let audit = match &report.audit {
        locker_core::AuditVerification::Intact { entries } => format!("intact, {entries} entries"),
        locker_core::AuditVerification::Broken { at_seq, .. } => format!("broken at entry {at_seq}"),
    };
    println!("database structure  {}", if report.sqlite_problems.is_empty() { "ok" } else { "DAMAGED" });
    println!("page encryption     {}", if report.cipher_page_failures == 0 { "ok" } else { "DAMAGED" });
    println!("search index        {}", if report.search_index_ok { "ok" } else { "DAMAGED" });
    println!("audit chain         {audit}");
    println!(
        "attachments         {} checked, {} damaged",
        report.attachments_checked,
        report.damaged_attachments.len()
    );
    for n in &report.notes {
        println!("note: {n}");
    }
    if report.is_ok() {
        println!("all checks passed");
        return Ok(());
    }
    for p in &report.problems {
        eprintln!("problem: {p}");
    }
    Err(Failure::with_code(exit::DAMAGED, "the store failed its check"))
}

pub fn rekey(ctx: &Context, new_key_file: &Path) -> CliResult {
    let new_key = read_key(new_key_file)?;
    let locker = ctx.open()?;
    locker.rekey(new_key)?;
    println!("the store is now encrypted under the key in {}", new_key_file.display());
    Ok(())
}

pub fn audit(ctx: &Context, limit: u32) -> CliResult {
    let locker = ctx.open()?;
    for e in locker.audit_entries(limit)? {
        println!(
            "{:>6}  {}  {:<20} {} {}",
            e.seq,
            crate::records::format_ms(e.at_ms),
            e.action,
            e.subject.unwrap_or_default(),
            e.detail.unwrap_or_default()
        );
    }
    match locker.verify_audit()? {
        locker_core::AuditVerification::Intact { entries } => {
            println!("chain intact: {entries} entries");
            Ok(())
        }
        locker_core::AuditVerification::Broken { at_seq, reason } => {
            Err(Failure::with_code(exit::DAMAGED, format!("the audit chain is broken at entry {at_seq}: {reason}")))
        }
    }
}
