//! What consent is made of, as ABDM's consent manager names it (PROTOCOL.md, Consent): purposes,
//! statuses, access modes, the permission a grant carries. Parsing the wire is `wire.rs`'s;
//! nothing here reads bytes from outside.

use crate::fhir::HiType;

codes!(
    /// Why a HIU asks.
    Purpose {
        CareManagement = "CAREMGT",
        BreakTheGlass = "BTG",
        PublicHealth = "PUBHLTH",
        Payment = "HPAYMT",
        DiseaseResearch = "DSRCH",
        /// The citizen's own request ("Self Requested").
        SelfRequested = "PATRQT",
    }
);

codes!(
    /// Where a request or an artefact is.
    ConsentStatus {
        Requested = "REQUESTED",
        Granted = "GRANTED",
        Denied = "DENIED",
        Expired = "EXPIRED",
        Revoked = "REVOKED",
    }
);

codes!(
    /// What the HIU may do with what it receives.
    AccessMode {
        View = "VIEW",
        Store = "STORE",
        Query = "QUERY",
        Stream = "STREAM",
    }
);

codes!(
    /// The unit of a grant's `frequency`.
    FrequencyUnit {
        Hour = "HOUR",
        Day = "DAY",
        Week = "WEEK",
        Month = "MONTH",
        Year = "YEAR",
    }
);

impl FrequencyUnit {
    /// The unit's length. A month is 30 days and a year 365: ABDM defines neither, and a
    /// calendar-exact month would make a grant's allowance depend on the day it is used.
    pub fn millis(self) -> i64 {
        const H: i64 = 3_600_000;
        match self {
            FrequencyUnit::Hour => H,
            FrequencyUnit::Day => 24 * H,
            FrequencyUnit::Week => 7 * 24 * H,
            FrequencyUnit::Month => 30 * 24 * H,
            FrequencyUnit::Year => 365 * 24 * H,
        }
    }
}

codes!(
    /// Whether an artefact's signature was checked.
    Verification {
        /// Checked against a key the consent manager publishes.
        Verified = "verified",
        /// The consent manager's signing scheme is not one this build can check: kept, and
        /// shown as unverified wherever it is shown.
        Unverified = "unverified",
        /// The citizen's grant, made on this device and not yet heard back from the consent
        /// manager: there is nothing signed yet.
        Pending = "pending",
    }
);

/// How often, and how many times, a grant may be used: at most `value` uses in any window of
/// one `unit`, and `1 + repeats` uses in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Frequency {
    pub unit: FrequencyUnit,
    pub value: u32,
    pub repeats: u32,
}

/// What a grant allows. Times are UTC milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Permission {
    pub access_mode: AccessMode,
    pub date_from_ms: i64,
    pub date_to_ms: i64,
    /// When the grant ends, and what was received under it must be erased.
    pub erase_at_ms: i64,
    pub frequency: Frequency,
}

/// A care context at a HIP: a visit, an admission, a lab order. The patient reference is the
/// HIP's id of the person: `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CareContextRef {
    pub patient_reference: String,
    pub care_context_reference: String,
}

impl std::fmt::Debug for CareContextRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CareContextRef")
            .field("care_context_reference", &self.care_context_reference)
            .finish_non_exhaustive()
    }
}

/// Someone named in a request (a HIU, a HIP) by id, with the name it gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    pub id: String,
    pub name: Option<String>,
}

/// A HIU's request to see a citizen's records, as the consent manager sent it. The requester is
/// a health worker whose name the citizen needs to see: `Debug` leaves names out.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsentRequest {
    pub id: String,
    pub purpose: Purpose,
    /// The citizen's ABHA address.
    pub patient: String,
    pub hiu: Party,
    /// The HIP asked of, when the HIU named one.
    pub hip: Option<Party>,
    pub care_contexts: Vec<CareContextRef>,
    pub requester_name: String,
    pub hi_types: Vec<HiType>,
    pub permission: Permission,
    pub status: ConsentStatus,
    pub created_at_ms: i64,
}

impl std::fmt::Debug for ConsentRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentRequest")
            .field("id", &self.id)
            .field("purpose", &self.purpose)
            .field("hiu", &self.hiu.id)
            .field("status", &self.status)
            .field("hi_types", &self.hi_types)
            .finish_non_exhaustive()
    }
}

/// A consent artefact: one HIP's part of a granted request, as the policy reads it. The ledger
/// keeps it in this shape (serde's) beside the artefact as received, so the policy never
/// re-reads the consent manager's JSON.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Grant {
    pub id: String,
    pub request_id: Option<String>,
    pub status: ConsentStatus,
    /// The citizen's ABHA address.
    pub patient: String,
    pub hiu: String,
    pub hip: String,
    pub hi_types: Vec<HiType>,
    pub care_contexts: Vec<CareContextRef>,
    pub permission: Permission,
    pub verification: Verification,
}

// The patient's ABHA address stays out of logs and panics.
impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("id", &self.id)
            .field("request_id", &self.request_id)
            .field("status", &self.status)
            .field("hiu", &self.hiu)
            .field("hip", &self.hip)
            .field("hi_types", &self.hi_types)
            .field("care_contexts", &self.care_contexts)
            .field("permission", &self.permission)
            .field("verification", &self.verification)
            .finish_non_exhaustive()
    }
}

/// What the citizen grants one HIP when approving a request: each field may narrow what was
/// asked (fewer types or care contexts, a shorter range, an earlier erase date), never widen it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantChoice {
    pub hip: Party,
    pub hi_types: Vec<HiType>,
    pub care_contexts: Vec<CareContextRef>,
    pub date_from_ms: i64,
    pub date_to_ms: i64,
    pub erase_at_ms: i64,
}
