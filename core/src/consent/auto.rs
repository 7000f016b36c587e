//! Auto-approval of the citizen's own requests (`PATRQT`, "Self Requested"): a setting the
//! citizen controls, kept here at once and set at the consent manager through the outbox (its
//! policy is created the first time, then enabled or disabled). The call is built from the
//! setting as it stands when sent, so flipping it twice offline sends only where it ended.

use super::Consents;
use crate::Locker;
use crate::error::{Error, Result};
use crate::fhir::HiType;
use crate::outbox::{ItemKind, OutboxItem, queue};
use crate::sync::Backbone;
use crate::sync::wire::text;
use rusqlite::{OptionalExtension, params};
use serde_json::json;

/// The citizen's auto-approval setting for one ABHA address (`Debug` leaves the address out).
#[derive(Clone, PartialEq, Eq)]
pub struct AutoApproval {
    pub patient: String,
    /// The HIU whose self-requests are approved: the citizen's own app.
    pub hiu: String,
    pub enabled: bool,
    /// The consent manager's id of the policy, once it has one.
    pub policy_id: Option<String>,
    /// Whether the consent manager has heard the setting as it stands.
    pub synced: bool,
}

impl std::fmt::Debug for AutoApproval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoApproval")
            .field("hiu", &self.hiu)
            .field("enabled", &self.enabled)
            .field("policy_id", &self.policy_id)
            .field("synced", &self.synced)
            .finish_non_exhaustive()
    }
}

fn read(conn: &rusqlite::Connection, patient: &str) -> Result<Option<AutoApproval>> {
    let row = conn
        .query_row(
            "SELECT patient, hiu, auto_approve, auto_approval_id FROM consent_settings WHERE patient = ?1",
            [patient],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((patient, hiu, enabled, policy_id)) = row else { return Ok(None) };
    let synced = queue::waiting_for_subject(conn, ItemKind::ConsentAutoApproval, &patient)?.is_none();
    Ok(Some(AutoApproval { patient, hiu, enabled, policy_id, synced }))
}

impl Consents<'_> {
    /// Turns auto-approval of `patient`'s own requests from `hiu` (their app's HIU id) on or
    /// off. Applies here at once; the consent manager hears it at the next drain.
    pub fn set_auto_approval(&self, patient: &str, hiu: &str, enabled: bool) -> Result<AutoApproval> {
        let patient = super::normal_patient(patient)?;
        if !super::wire::is_id(hiu) {
            return Err(Error::InvalidInput("a HIU id is letters, digits, '-' and '_'".into()));
        }
        self.0.write(|tx| {
            tx.execute(
                "INSERT INTO consent_settings (patient, hiu, auto_approve, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (patient) DO UPDATE SET hiu = excluded.hiu, auto_approve = excluded.auto_approve,
                     auto_approval_id = CASE WHEN hiu = excluded.hiu THEN auto_approval_id END,
                     updated_at = excluded.updated_at",
                params![patient, hiu, enabled, tx.now()],
            )?;
            if queue::waiting_for_subject(tx, ItemKind::ConsentAutoApproval, &patient)?.is_none() {
                queue::enqueue(
                    tx,
                    ItemKind::ConsentAutoApproval,
                    &patient,
                    Some(&format!("consent-auto:{patient}")),
                    None,
                )?;
            }
            tx.audit("consent.auto-approval", None, Some(if enabled { "on" } else { "off" }))?;
            read(tx, &patient)?.ok_or(Error::NotFound("auto-approval setting"))
        })
    }

    /// The citizen's auto-approval setting for `patient`, if they ever made one.
    pub fn auto_approval(&self, patient: &str) -> Result<Option<AutoApproval>> {
        let patient = super::normal_patient(patient)?;
        self.0.read(|r| read(r.conn(), &patient))
    }
}

/// Sets the consent manager's auto-approval policy to the setting as it stands now.
pub(crate) async fn deliver(locker: &Locker, backbone: &Backbone, item: &OutboxItem) -> Result<()> {
    let Some(setting) = locker.read(|r| read(r.conn(), &item.subject))? else {
        return locker.write(|tx| queue::complete(tx, item.id));
    };
    let token = super::token_of(locker, &setting.patient)?;
    let policy_id = match (&setting.policy_id, setting.enabled) {
        (None, false) => None,
        (None, true) => {
            let body = json!({
                "isApplicableForAllHIPs": true,
                "hiu": {"id": setting.hiu},
                "includedSources": [{
                    "hiTypes": HiType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                    "purpose": {"text": "Self Requested", "code": "PATRQT", "refUri": "https://nrces.in/ndhm/fhir/r4/ValueSet/ndhm-purpose-of-use"},
                    "period": {"from": "1900-01-01T00:00:00.000Z", "to": "2999-12-31T23:59:59.999Z"},
                }],
            });
            let v = backbone.auto_approval_create(&item.request_id, &token, body).await?;
            Some(
                text(&v, &["autoApprovalId", "id"])
                    .ok_or_else(|| Error::UnreadableAnswer { what: "auto-approval".into() })?
                    .to_string(),
            )
        }
        (Some(id), enabled) => {
            backbone.auto_approval_switch(&item.request_id, &token, id, enabled).await?;
            Some(id.clone())
        }
    };
    locker.write(|tx| {
        if !queue::still_current(tx, item)? {
            return Ok(());
        }
        queue::complete(tx, item.id)?;
        tx.execute(
            "UPDATE consent_settings SET auto_approval_id = ?2 WHERE patient = ?1",
            params![setting.patient, policy_id],
        )?;
        // Flipped again while this was in flight: send the setting as it now stands.
        let now: Option<bool> = tx
            .query_row("SELECT auto_approve FROM consent_settings WHERE patient = ?1", [&setting.patient], |r| r.get(0))
            .optional()?;
        if now.is_some_and(|e| e != setting.enabled) {
            queue::enqueue(
                tx,
                ItemKind::ConsentAutoApproval,
                &setting.patient,
                Some(&format!("consent-auto:{}", setting.patient)),
                None,
            )?;
        }
        Ok(())
    })
}
