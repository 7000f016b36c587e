//! `locker fixtures generate`: realistic bundles to try the locker with.

use crate::args::FixturesCmd;
use crate::{CliResult, Failure};
use locker_fixtures::Generator;
use std::fs;

pub fn run(cmd: FixturesCmd) -> CliResult {
    let FixturesCmd::Generate { count, out, seed } = cmd;
    fs::create_dir_all(&out).map_err(|e| Failure::file("create the directory", &out, &e))?;
    let mut g = Generator::new(seed);
    for i in 0..count {
        if i % 50 == 0 {
            g.new_patient();
        }
        let b = g.next_bundle();
        let file = out.join(format!("{i:06}-{}.json", b.kind.hi_type()));
        fs::write(&file, &b.json).map_err(|e| Failure::file("write", &file, &e))?;
    }
    println!("wrote {count} bundles to {}", out.display());
    Ok(())
}
