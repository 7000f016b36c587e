//! What time ends: requests unanswered for 60 minutes expire, artefacts expire at their erase
//! date, and records received under an artefact in `STORE` mode are erased once it has expired
//! or been revoked, each erasure in the audit log. Time here is the ledger's: the latest of the
//! clock and every time seen before, so a clock set back revives nothing.

use super::Consents;
use super::ledger::{self, Source};
use super::model::ConsentStatus;
use crate::error::Result;

/// What one sweep ended and erased.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub requests_expired: u32,
    pub artefacts_expired: u32,
    /// Records erased because the artefact they were received under ended.
    pub records_erased: u32,
}

/// Whether a sweep at `now` has anything to do.
fn anything_ended(conn: &rusqlite::Connection, now: i64) -> Result<bool> {
    Ok(!ledger::stale_requests(conn, now)?.is_empty()
        || !ledger::past_erase_date(conn, now)?.is_empty()
        || !ledger::ended_unerased(conn, now)?.is_empty())
}

impl Consents<'_> {
    /// Expires what time has ended and erases what was received under ended grants.
    pub fn sweep(&self) -> Result<SweepReport> {
        let mut report = SweepReport::default();
        // Most sweeps find nothing: asked on the reader first, they cost no write.
        let now = self.0.read(|r| ledger::decision_time(r.conn(), self.0.now_ms()))?;
        if !self.0.read(|r| anything_ended(r.conn(), now))? {
            return Ok(report);
        }
        let ended = self.0.write(|tx| {
            let now = ledger::observe(tx, tx.now())?;
            let stale = ledger::stale_requests(tx, now)?;
            for id in &stale {
                ledger::set_request(tx, id, ConsentStatus::Expired, None, None)?;
                ledger::history(tx, id, ConsentStatus::Expired, Source::Device, Some("unanswered for 60 minutes"))?;
            }
            let past = ledger::past_erase_date(tx, now)?;
            for id in &past {
                ledger::set_artefact_status(tx, id, ConsentStatus::Expired, false)?;
                ledger::history(tx, id, ConsentStatus::Expired, Source::Device, Some("erase date passed"))?;
            }
            if !stale.is_empty() || !past.is_empty() {
                let detail = format!("requests={} artefacts={}", stale.len(), past.len());
                tx.audit("consent.expired", None, Some(&detail))?;
            }
            report.requests_expired = stale.len() as u32;
            report.artefacts_expired = past.len() as u32;
            ledger::ended_unerased(tx, now)
        })?;
        for artefact in ended {
            let records = self.0.read(|r| ledger::records_under(r.conn(), &artefact))?;
            for id in &records {
                // Each deletion is audited as `record.delete`; gone meanwhile is as good.
                match self.0.records().delete(id) {
                    Ok(()) | Err(crate::Error::NotFound(_)) => report.records_erased += 1,
                    Err(e) => return Err(e),
                }
            }
            self.0.write(|tx| {
                ledger::mark_erased(tx, &artefact)?;
                tx.audit("consent.erased", Some(&artefact), Some(&format!("records={}", records.len())))
            })?;
        }
        Ok(report)
    }
}
