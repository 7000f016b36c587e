//! The policy: the one pure function that decides whether records may leave the device.
//!
//! Every release (an export for sharing, an answer to a HIU's data request, a QR that carries
//! records) asks [`decide`] first and sends only what it permits. It reads nothing and writes
//! nothing: the ledger hands it the grants, the uses so far and the time, and records the use.

use super::model::{AccessMode, ConsentStatus, Grant, Verification};
use crate::fhir::HiType;
use std::collections::{HashMap, HashSet};

/// Past this many care contexts, a grant's are looked up in a set built once per decision
/// rather than scanned for each record (a grant over a whole history names hundreds).
const SCAN_CARE_CONTEXTS: usize = 16;

/// A record as the policy sees it: what kind, about whom, of when, from which care context.
/// `Debug` leaves out whom.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordFacts {
    /// The record's id in this locker.
    pub id: String,
    /// The ABHA address of the record's profile (empty when the profile has none).
    pub patient: String,
    pub hi_type: HiType,
    /// The instant the record is about (UTC ms).
    pub date_ms: i64,
    /// The care context it belongs to: the HIP's reference for a record from a hospital, the
    /// record's own id for one the citizen added.
    pub care_context: String,
}

impl std::fmt::Debug for RecordFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordFacts")
            .field("id", &self.id)
            .field("hi_type", &self.hi_type)
            .field("date_ms", &self.date_ms)
            .field("care_context", &self.care_context)
            .finish_non_exhaustive()
    }
}

/// What is to be released: to which HIU, under which artefact (when the HIU named one, as a
/// data request does), for what use, over which range, and which records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub hiu: String,
    pub consent_id: Option<String>,
    pub mode: AccessMode,
    /// The range a data request asks for: it must lie inside the artefact's (ABDM-1063), and
    /// only records inside it go.
    pub date_range: Option<(i64, i64)>,
    pub records: Vec<RecordFacts>,
}

/// Why a record may not go. Ordered by how far a grant got before it failed: when several
/// grants could have covered a record, the reason given is that of the one that got furthest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DenyReason {
    /// No grant to this HIU (or no artefact with the id named).
    NoGrant,
    /// The citizen granted it on this device and the consent manager has not confirmed it yet.
    NotConfirmed,
    /// The grant is not in force: denied, revoked, expired, or still a request.
    NotGranted(ConsentStatus),
    /// `dataEraseAt` has passed.
    Expired,
    /// The grant allows another use (`VIEW` where `STORE` is asked, …).
    AccessMode,
    /// The range asked for is wider than the grant's.
    RangeWiderThanGranted,
    /// `1 + repeats` uses were made already.
    RepeatsUsed,
    /// `value` uses in the last `unit` already.
    TooFrequent,
    /// The record is another person's.
    OtherPatient,
    /// The record's type was not granted.
    HiType,
    /// The record's date lies outside the granted range.
    OutsideDateRange,
    /// The record's care context was not granted.
    CareContext,
}

impl DenyReason {
    /// A stable code, as the conformance suite and the audit log write it.
    pub fn code(self) -> String {
        match self {
            DenyReason::NoGrant => "no-grant".into(),
            DenyReason::NotConfirmed => "not-confirmed".into(),
            DenyReason::NotGranted(s) => format!("not-granted:{}", s.code()),
            DenyReason::Expired => "expired".into(),
            DenyReason::AccessMode => "access-mode".into(),
            DenyReason::RangeWiderThanGranted => "range-wider-than-granted".into(),
            DenyReason::RepeatsUsed => "repeats-used".into(),
            DenyReason::TooFrequent => "too-frequent".into(),
            DenyReason::OtherPatient => "other-patient".into(),
            DenyReason::HiType => "hi-type".into(),
            DenyReason::OutsideDateRange => "outside-date-range".into(),
            DenyReason::CareContext => "care-context".into(),
        }
    }

    /// What the citizen is told.
    pub fn explain(self) -> String {
        match self {
            DenyReason::NoGrant => "no grant covers this".into(),
            DenyReason::NotConfirmed => "granted on this device; the consent manager has not confirmed it yet".into(),
            DenyReason::NotGranted(s) => format!("the grant is {}", s.code().to_lowercase()),
            DenyReason::Expired => "the grant has expired".into(),
            DenyReason::AccessMode => "the grant does not allow this use".into(),
            DenyReason::RangeWiderThanGranted => "the dates asked for go beyond the grant's".into(),
            DenyReason::RepeatsUsed => "the grant has been used as many times as it allows".into(),
            DenyReason::TooFrequent => "the grant was used as often as it allows for now".into(),
            DenyReason::OtherPatient => "the record is another person's".into(),
            DenyReason::HiType => "this kind of record was not granted".into(),
            DenyReason::OutsideDateRange => "the record's date is outside the granted range".into(),
            DenyReason::CareContext => "the record's visit (care context) was not granted".into(),
        }
    }
}

/// A record that may go, and the artefact it goes under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permit {
    pub record: String,
    pub artefact: String,
}

/// A record that may not go, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    pub record: String,
    pub reason: DenyReason,
}

/// The policy's answer, record by record, in the order asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    pub permitted: Vec<Permit>,
    pub denied: Vec<Denial>,
}

impl Decision {
    /// The artefacts this release uses (each counts one use), in first-use order.
    pub fn artefacts_used(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for p in &self.permitted {
            if !seen.contains(&p.artefact.as_str()) {
                seen.push(&p.artefact);
            }
        }
        seen
    }
}

/// When each artefact was used before (UTC ms), as the ledger counted.
pub type UseHistory = HashMap<String, Vec<i64>>;

/// Whether `granted` allows `asked`: `STORE` covers viewing; every other mode only itself.
fn mode_covers(granted: AccessMode, asked: AccessMode) -> bool {
    granted == asked || (granted == AccessMode::Store && asked == AccessMode::View)
}

/// The checks of a grant that do not depend on the record: Ok, or why it covers nothing.
fn grant_in_force(g: &Grant, release: &Release, uses: &UseHistory, now_ms: i64) -> Result<(), DenyReason> {
    if g.verification == Verification::Pending {
        return Err(DenyReason::NotConfirmed);
    }
    if g.status != ConsentStatus::Granted {
        return Err(DenyReason::NotGranted(g.status));
    }
    let p = &g.permission;
    if now_ms >= p.erase_at_ms {
        return Err(DenyReason::Expired);
    }
    if !mode_covers(p.access_mode, release.mode) {
        return Err(DenyReason::AccessMode);
    }
    if let Some((from, to)) = release.date_range
        && (from < p.date_from_ms || to > p.date_to_ms || from > to)
    {
        return Err(DenyReason::RangeWiderThanGranted);
    }
    let past = uses.get(&g.id).map(Vec::as_slice).unwrap_or(&[]);
    if past.len() as u64 > u64::from(p.frequency.repeats) {
        return Err(DenyReason::RepeatsUsed);
    }
    let window_start = now_ms.saturating_sub(p.frequency.unit.millis());
    // A use dated after `now` (a clock since set back) counts as recent: never as none.
    let recent = past.iter().filter(|t| **t > window_start).count() as u64;
    if recent >= u64::from(p.frequency.value) {
        return Err(DenyReason::TooFrequent);
    }
    Ok(())
}

/// A grant as one decision reads it: whether it is in force, and its care contexts as a set
/// when there are many.
struct Candidate<'g> {
    grant: &'g Grant,
    in_force: Result<(), DenyReason>,
    care_contexts: Option<HashSet<&'g str>>,
}

impl<'g> Candidate<'g> {
    fn new(grant: &'g Grant, in_force: Result<(), DenyReason>) -> Candidate<'g> {
        let many = in_force.is_ok() && grant.care_contexts.len() > SCAN_CARE_CONTEXTS;
        let care_contexts =
            many.then(|| grant.care_contexts.iter().map(|c| c.care_context_reference.as_str()).collect());
        Candidate { grant, in_force, care_contexts }
    }

    fn has_care_context(&self, cc: &str) -> bool {
        match &self.care_contexts {
            Some(set) => set.contains(cc),
            None => self.grant.care_contexts.iter().any(|c| c.care_context_reference == cc),
        }
    }
}

/// The checks of one record against a grant in force.
fn covers(c: &Candidate<'_>, r: &RecordFacts, asked: Option<(i64, i64)>) -> Result<(), DenyReason> {
    let g = c.grant;
    if r.patient.is_empty() || !r.patient.eq_ignore_ascii_case(&g.patient) {
        return Err(DenyReason::OtherPatient);
    }
    if !g.hi_types.contains(&r.hi_type) {
        return Err(DenyReason::HiType);
    }
    let p = &g.permission;
    if r.date_ms < p.date_from_ms || r.date_ms > p.date_to_ms {
        return Err(DenyReason::OutsideDateRange);
    }
    // Inside the grant but outside what the HIU asked for: not sent either.
    if asked.is_some_and(|(from, to)| r.date_ms < from || r.date_ms > to) {
        return Err(DenyReason::OutsideDateRange);
    }
    if !c.has_care_context(&r.care_context) {
        return Err(DenyReason::CareContext);
    }
    Ok(())
}

/// Decides `release` at `now_ms` given every grant known (any HIU, any status) and the uses so
/// far. A record is permitted under the first grant, in the order given, that covers it; one
/// that none covers is denied with the reason of the grant that came closest.
pub fn decide(grants: &[Grant], uses: &UseHistory, release: &Release, now_ms: i64) -> Decision {
    let candidates: Vec<Candidate<'_>> = grants
        .iter()
        .filter(|g| g.hiu == release.hiu && release.consent_id.as_ref().is_none_or(|id| *id == g.id))
        .map(|g| Candidate::new(g, grant_in_force(g, release, uses, now_ms)))
        .collect();
    let mut decision = Decision::default();
    for r in &release.records {
        let mut best = DenyReason::NoGrant;
        let mut permit = None;
        for c in &candidates {
            let verdict = c.in_force.and_then(|()| covers(c, r, release.date_range));
            match verdict {
                Ok(()) => {
                    permit = Some(c.grant.id.clone());
                    break;
                }
                Err(reason) => best = best.max(reason),
            }
        }
        match permit {
            Some(artefact) => decision.permitted.push(Permit { record: r.id.clone(), artefact }),
            None => decision.denied.push(Denial { record: r.id.clone(), reason: best }),
        }
    }
    decision
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::model::{CareContextRef, Frequency, FrequencyUnit, Permission};

    const DAY: i64 = 86_400_000;

    fn grant(id: &str) -> Grant {
        Grant {
            id: id.into(),
            request_id: None,
            status: ConsentStatus::Granted,
            patient: "asha@sbx".into(),
            hiu: "hiu-1".into(),
            hip: "hip-1".into(),
            hi_types: vec![HiType::Prescription],
            care_contexts: vec![CareContextRef {
                patient_reference: "p".into(),
                care_context_reference: "cc-1".into(),
            }],
            permission: Permission {
                access_mode: AccessMode::View,
                date_from_ms: 0,
                date_to_ms: 100 * DAY,
                erase_at_ms: 200 * DAY,
                frequency: Frequency { unit: FrequencyUnit::Hour, value: 1, repeats: 2 },
            },
            verification: Verification::Verified,
        }
    }

    fn record(id: &str) -> RecordFacts {
        RecordFacts {
            id: id.into(),
            patient: "asha@sbx".into(),
            hi_type: HiType::Prescription,
            date_ms: 10 * DAY,
            care_context: "cc-1".into(),
        }
    }

    fn release(records: Vec<RecordFacts>) -> Release {
        Release { hiu: "hiu-1".into(), consent_id: None, mode: AccessMode::View, date_range: None, records }
    }

    #[test]
    fn a_record_inside_every_limit_is_permitted_and_one_outside_is_denied_with_why() {
        let mut wrong_type = record("r2");
        wrong_type.hi_type = HiType::DiagnosticReport;
        let d = decide(&[grant("a1")], &UseHistory::new(), &release(vec![record("r1"), wrong_type]), 50 * DAY);
        assert_eq!(d.permitted, vec![Permit { record: "r1".into(), artefact: "a1".into() }]);
        assert_eq!(d.denied, vec![Denial { record: "r2".into(), reason: DenyReason::HiType }]);
    }

    #[test]
    fn the_grant_that_came_closest_gives_the_reason() {
        let mut revoked = grant("a0");
        revoked.status = ConsentStatus::Revoked;
        let mut late = record("r1");
        late.date_ms = 150 * DAY;
        let d = decide(&[revoked, grant("a1")], &UseHistory::new(), &release(vec![late]), 50 * DAY);
        assert_eq!(d.denied[0].reason, DenyReason::OutsideDateRange);
    }

    #[test]
    fn uses_are_limited_per_unit_and_in_all() {
        let g = [grant("a1")];
        let mut uses = UseHistory::new();
        uses.insert("a1".into(), vec![50 * DAY - 1000]);
        let d = decide(&g, &uses, &release(vec![record("r1")]), 50 * DAY);
        assert_eq!(d.denied[0].reason, DenyReason::TooFrequent);
        uses.insert("a1".into(), vec![DAY, 2 * DAY, 3 * DAY]);
        let d = decide(&g, &uses, &release(vec![record("r1")]), 50 * DAY);
        assert_eq!(d.denied[0].reason, DenyReason::RepeatsUsed);
        uses.insert("a1".into(), vec![DAY, 2 * DAY]);
        assert_eq!(decide(&g, &uses, &release(vec![record("r1")]), 50 * DAY).permitted.len(), 1);
    }

    #[test]
    fn expiry_status_mode_range_and_pending_each_stop_a_grant() {
        let r = release(vec![record("r1")]);
        let reason = |g: Grant, rel: &Release, now| decide(&[g], &UseHistory::new(), rel, now).denied[0].reason;
        assert_eq!(reason(grant("a1"), &r, 200 * DAY), DenyReason::Expired);
        let mut pending = grant("a1");
        pending.verification = Verification::Pending;
        assert_eq!(reason(pending, &r, DAY), DenyReason::NotConfirmed);
        let mut store = r.clone();
        store.mode = AccessMode::Store;
        assert_eq!(reason(grant("a1"), &store, DAY), DenyReason::AccessMode);
        let mut narrow = r.clone();
        narrow.date_range = Some((0, 5 * DAY));
        assert_eq!(reason(grant("a1"), &narrow, DAY), DenyReason::OutsideDateRange, "inside the grant, not the ask");
        let mut wide = r.clone();
        wide.date_range = Some((0, 101 * DAY));
        assert_eq!(reason(grant("a1"), &wide, DAY), DenyReason::RangeWiderThanGranted);
        let mut other = r.clone();
        other.hiu = "hiu-2".into();
        assert_eq!(reason(grant("a1"), &other, DAY), DenyReason::NoGrant);
        let mut named = r.clone();
        named.consent_id = Some("a9".into());
        assert_eq!(reason(grant("a1"), &named, DAY), DenyReason::NoGrant);
    }
}
