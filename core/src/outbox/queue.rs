//! The outbox table: what is waiting, what is wedged, and the changes a drain makes to them.
//! Every function runs on a connection the caller chose: enqueueing always inside the
//! transaction of the local change it reports.

use super::{ItemKind, ItemState, OutboxItem};
use crate::crypto::random_uid;
use crate::error::{Error, Result};
use crate::store::Tx;
use rusqlite::{Connection, OptionalExtension, Row, params};

const COLUMNS: &str = "id, kind, subject, request_id, lane, state, attempts, next_attempt_at, last_error, reason,
    deadline, created_at, updated_at";

fn from_row(r: &Row) -> rusqlite::Result<OutboxItem> {
    Ok(OutboxItem {
        id: r.get(0)?,
        kind: r.get(1)?,
        subject: r.get(2)?,
        request_id: r.get(3)?,
        lane: r.get(4)?,
        state: r.get(5)?,
        attempts: r.get::<_, i64>(6)?.max(0) as u32,
        next_attempt_at_ms: r.get(7)?,
        last_error: r.get(8)?,
        reason: r.get(9)?,
        deadline_ms: r.get(10)?,
        created_at_ms: r.get(11)?,
        updated_at_ms: r.get(12)?,
    })
}

/// Queues a call of `kind` about `subject`, in `tx`: the transaction of the local change it
/// reports, so the change and its delivery stand or fall together. Its REQUEST-ID is fixed here
/// and travels with every try. Items of one `lane` are delivered strictly in order.
pub(crate) fn enqueue(
    tx: &Tx<'_>,
    kind: ItemKind,
    subject: &str,
    lane: Option<&str>,
    deadline_ms: Option<i64>,
) -> Result<String> {
    let request_id = random_uid()?;
    tx.prepare_cached(
        "INSERT INTO outbox (kind, subject, request_id, lane, state, attempts, next_attempt_at, deadline, created_at,
             updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?6, ?6)",
    )?
    .execute(params![kind, subject, request_id, lane, ItemState::Waiting, tx.now(), deadline_ms])?;
    Ok(request_id)
}

pub(crate) fn get(conn: &Connection, id: i64) -> Result<OutboxItem> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or(Error::NotFound("outbox item"))
}

/// The item of `kind` about `subject`, if one is queued.
pub(crate) fn for_subject(conn: &Connection, kind: ItemKind, subject: &str) -> Result<Option<OutboxItem>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE kind = ?1 AND subject = ?2 ORDER BY id LIMIT 1"))?
        .query_row(params![kind, subject], from_row)
        .optional()?)
}

/// The waiting item of `kind` about `subject`, if one is queued and not wedged.
pub(crate) fn waiting_for_subject(conn: &Connection, kind: ItemKind, subject: &str) -> Result<Option<OutboxItem>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE kind = ?1 AND subject = ?2 AND state = 'waiting' ORDER BY id LIMIT 1"
        ))?
        .query_row(params![kind, subject], from_row)
        .optional()?)
}

/// Every item, oldest first.
pub(crate) fn all(conn: &Connection) -> Result<Vec<OutboxItem>> {
    let mut st = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM outbox ORDER BY id"))?;
    let rows = st.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What may go out at `now`, oldest first, from the items after `after` (an item id: a drain
/// pages forward through the queue): waiting, due, and the head of its lane. An item last
/// changed later than `now` was scheduled by a clock since set back, and is due now rather than
/// whenever that clock's pause would have ended.
pub(crate) fn due(conn: &Connection, now: i64, after: i64, limit: u32) -> Result<Vec<OutboxItem>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbox o
         WHERE o.state = 'waiting' AND o.id > ?2
           AND (o.next_attempt_at <= ?1 OR o.updated_at > ?1)
           AND (o.lane IS NULL OR o.id = (SELECT min(id) FROM outbox WHERE lane = o.lane))
         ORDER BY o.id LIMIT ?3"
    ))?;
    let rows = st.query_map(params![now, after, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether `item` is still queued as it was read when sent: the same request, still waiting. A
/// correction or a cancellation while it was in flight replaced or removed it, and then its
/// answer settles nothing.
pub(crate) fn still_current(conn: &Connection, item: &OutboxItem) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM outbox WHERE id = ?1 AND request_id = ?2 AND state = 'waiting'")?
        .query_row(params![item.id, item.request_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Items whose deadline passed (a call that is no use any more), for their domains to settle.
pub(crate) fn past_deadline(conn: &Connection, now: i64) -> Result<Vec<OutboxItem>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE deadline IS NOT NULL AND deadline <= ?1 ORDER BY id"
    ))?;
    let rows = st.query_map([now], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The backbone answered the item: it is done, and leaves the queue (in the transaction that
/// records what the answer changed).
pub(crate) fn complete(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM outbox WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// A try that did not go through: the time it may be tried again, and the error's code. A
/// failure of this item's own (`counted`) counts towards its tries and its backoff; a failure
/// every item met (no network) does not.
pub(crate) fn reschedule(tx: &Tx<'_>, id: i64, next_at: i64, error_code: &str, counted: bool) -> Result<()> {
    tx.prepare_cached(
        "UPDATE outbox SET attempts = attempts + ?5, next_attempt_at = ?2, last_error = ?3, updated_at = ?4
         WHERE id = ?1",
    )?
    .execute(params![id, next_at, error_code, tx.now(), i64::from(counted)])?;
    Ok(())
}

/// The backbone refused the item: kept, with what the user can do about it, until they retry
/// or discard it.
pub(crate) fn wedge(tx: &Tx<'_>, id: i64, error_code: &str, reason: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE outbox SET state = ?2, attempts = attempts + 1, last_error = ?3, reason = ?4, updated_at = ?5
         WHERE id = ?1",
    )?
    .execute(params![id, ItemState::Wedged, error_code, reason, tx.now()])?;
    Ok(())
}

/// A wedged item sent again: a new request (the old one was answered), so a new REQUEST-ID.
pub(crate) fn rearm(tx: &Tx<'_>, id: i64) -> Result<String> {
    let request_id = random_uid()?;
    tx.prepare_cached(
        "UPDATE outbox SET state = ?2, request_id = ?3, attempts = 0, next_attempt_at = ?4, last_error = NULL,
             reason = NULL, updated_at = ?4
         WHERE id = ?1",
    )?
    .execute(params![id, ItemState::Waiting, request_id, tx.now()])?;
    Ok(request_id)
}

/// Removes every item of `kind` about `subject` (its local change was undone or erased).
pub(crate) fn remove_for_subject(conn: &Connection, kind: ItemKind, subject: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM outbox WHERE kind = ?1 AND subject = ?2")?.execute(params![kind, subject])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue_of(items: &[(Option<&str>, &str, i64)]) -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        crate::store::schema::create(&mut c).unwrap();
        for (i, (lane, state, next)) in items.iter().enumerate() {
            c.execute(
                "INSERT INTO outbox (kind, subject, request_id, lane, state, next_attempt_at, created_at, updated_at)
                 VALUES ('enrolment.submit', ?1, ?2, ?3, ?4, ?5, 0, 0)",
                params![format!("s{i}"), format!("r{i}"), lane, state, next],
            )
            .unwrap();
        }
        c
    }

    fn due_ids(c: &Connection, now: i64) -> Vec<i64> {
        due(c, now, 0, 100).unwrap().iter().map(|i| i.id).collect()
    }

    #[test]
    fn a_lane_goes_strictly_in_order_and_lanes_go_side_by_side() {
        let c = queue_of(&[
            (Some("a"), "waiting", 0),
            (Some("a"), "waiting", 0),
            (Some("b"), "waiting", 0),
            (None, "waiting", 0),
            (Some("b"), "waiting", 0),
        ]);
        assert_eq!(due_ids(&c, 10), vec![1, 3, 4], "the head of each lane, and the lane-less");
        complete(&c, 1).unwrap();
        assert_eq!(due_ids(&c, 10), vec![2, 3, 4]);
    }

    #[test]
    fn a_lane_waits_behind_a_head_that_is_wedged_or_not_yet_due() {
        let c = queue_of(&[
            (Some("a"), "wedged", 0),
            (Some("a"), "waiting", 0),
            (Some("b"), "waiting", 500),
            (Some("b"), "waiting", 0),
        ]);
        assert_eq!(due_ids(&c, 10), Vec::<i64>::new());
        assert_eq!(due_ids(&c, 600), vec![3]);
    }

    #[test]
    fn an_item_scheduled_by_a_clock_since_set_back_is_due_now() {
        let c = queue_of(&[(None, "waiting", 5_000), (None, "waiting", 5_000)]);
        c.execute("UPDATE outbox SET updated_at = 4000 WHERE id = 1", []).unwrap();
        c.execute("UPDATE outbox SET updated_at = 1000 WHERE id = 2", []).unwrap();
        assert_eq!(due_ids(&c, 2_000), vec![1], "changed at 4000, it is 2000 now: the clock went back");
    }

    #[test]
    fn a_drain_pages_forward_past_items_it_may_not_send() {
        let c = queue_of(&[(None, "waiting", 0), (None, "wedged", 0), (None, "waiting", 0), (None, "waiting", 0)]);
        let page = |after| due(&c, 10, after, 1).unwrap().iter().map(|i| i.id).collect::<Vec<_>>();
        assert_eq!((page(0), page(1), page(3), page(4)), (vec![1], vec![3], vec![4], vec![]));
    }

    #[test]
    fn an_item_replaced_while_in_flight_is_no_longer_current() {
        let c = queue_of(&[(None, "waiting", 0)]);
        let item = get(&c, 1).unwrap();
        assert!(still_current(&c, &item).unwrap());
        c.execute("UPDATE outbox SET request_id = 'another' WHERE id = 1", []).unwrap();
        assert!(!still_current(&c, &item).unwrap());
        complete(&c, 1).unwrap();
        assert!(!still_current(&c, &item).unwrap());
    }
}
