//! `locker fixtures generate`: realistic bundles to try the locker with.

use crate::CliResult;
use crate::args::FixturesCmd;
use locker_fixtures::Generator;
use std::fs;

pub fn run(cmd: FixturesCmd) -> CliResult {
    let FixturesCmd::Generate { count, out, seed } = cmd;
    fs::create_dir_all(&out)?;
    let mut g = Generator::new(seed);
    for i in 0..count {
        if i % 50 == 0 {
            g.new_patient();
        }
        let b = g.next_bundle();
        fs::write(out.join(format!("{i:06}-{}.json", b.kind.hi_type())), &b.json)?;
    }
    println!("wrote {count} bundles to {}", out.display());
    Ok(())
}
