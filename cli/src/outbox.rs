//! `locker outbox …`: the one queue of calls the backbone must hear, as a person sees it.

use crate::CliResult;
use crate::args::{OutboxArgs, OutboxCmd};
use crate::enrol::{Net, block_on};
use crate::store::Context;
use serde_json::json;

pub fn run(ctx: &Context, args: OutboxArgs) -> CliResult {
    let locker = ctx.open()?;
    match args.command {
        OutboxCmd::Status { json } => {
            let s = locker.outbox().status()?;
            if json {
                let v = json!({
                    "waiting": s.waiting,
                    "wedged": s.wedged,
                    "by_kind": s.by_kind.iter().map(|k| json!({"kind": k.kind.code(), "waiting": k.waiting, "wedged": k.wedged})).collect::<Vec<_>>(),
                    "oldest_waiting_age_ms": s.oldest_waiting_age_ms,
                    "wedged_items": s.wedged_items.iter().map(|w| json!({"id": w.id, "kind": w.kind.code(), "subject": w.subject, "reason": w.reason, "last_error": w.last_error})).collect::<Vec<_>>(),
                });
                println!("{v}");
                return Ok(());
            }
            println!("{} waiting, {} wedged", s.waiting, s.wedged);
            for k in &s.by_kind {
                println!("  {:<18} {} waiting, {} wedged", k.kind.code(), k.waiting, k.wedged);
            }
            if let Some(age) = s.oldest_waiting_age_ms {
                println!("the oldest has waited {}", age_text(age));
            }
            for w in &s.wedged_items {
                println!("wedged {}  {} {}: {}", w.id, w.kind.code(), w.subject, w.reason);
            }
            if s.wedged > 0 {
                println!("mend what a reason says, then `locker outbox retry ID`; or `locker outbox discard ID`");
            }
            Ok(())
        }
        OutboxCmd::Drain { json } => {
            let net = Net::new(&args.backbone)?;
            let r = block_on(locker.outbox().drain(&net.backbone)).map_err(|e| net.failure(e))?;
            if json {
                let v = json!({"delivered": r.delivered, "retrying": r.retrying, "wedged": r.wedged,
                               "expired": r.expired, "halted": r.halted, "waiting": r.waiting});
                println!("{v}");
            } else {
                println!(
                    "{} delivered, {} to be tried again, {} wedged, {} still waiting",
                    r.delivered, r.retrying, r.wedged, r.waiting
                );
            }
            // Stopped early: the report stands, and the exit code says why (9 or 10).
            match &r.halted {
                Some(code) => Err(net.halted("the drain", code)),
                None => Ok(()),
            }
        }
        OutboxCmd::Retry { id } => {
            let item = locker.outbox().retry(id)?;
            println!("item {} queued again as a new request ({})", item.id, item.kind.code());
            Ok(())
        }
        OutboxCmd::Discard { id } => {
            locker.outbox().discard(id)?;
            println!("item {id} discarded");
            Ok(())
        }
    }
}

/// `3 days`, `5 hours`, `12 minutes`, `40 seconds`.
fn age_text(ms: i64) -> String {
    let s = ms / 1000;
    let (n, unit) = match s {
        s if s >= 86_400 => (s / 86_400, "day"),
        s if s >= 3_600 => (s / 3_600, "hour"),
        s if s >= 60 => (s / 60, "minute"),
        s => (s, "second"),
    };
    if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ages_read_in_the_largest_whole_unit() {
        assert_eq!(super::age_text(3 * 86_400_000 + 5), "3 days");
        assert_eq!(super::age_text(3_600_000), "1 hour");
        assert_eq!(super::age_text(59_000), "59 seconds");
    }
}
