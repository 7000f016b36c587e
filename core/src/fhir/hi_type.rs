//! ABDM health-information types, and how a Composition names one.

use serde::{Deserialize, Serialize};

/// The kind of a health record, as ABDM names it in consent artefacts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HiType {
    OPConsultation,
    Prescription,
    DischargeSummary,
    DiagnosticReport,
    ImmunizationRecord,
    HealthDocumentRecord,
    WellnessRecord,
    Invoice,
}

impl HiType {
    pub const ALL: [HiType; 8] = [
        HiType::OPConsultation,
        HiType::Prescription,
        HiType::DischargeSummary,
        HiType::DiagnosticReport,
        HiType::ImmunizationRecord,
        HiType::HealthDocumentRecord,
        HiType::WellnessRecord,
        HiType::Invoice,
    ];

    /// ABDM's name, as consent artefacts spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            HiType::OPConsultation => "OPConsultation",
            HiType::Prescription => "Prescription",
            HiType::DischargeSummary => "DischargeSummary",
            HiType::DiagnosticReport => "DiagnosticReport",
            HiType::ImmunizationRecord => "ImmunizationRecord",
            HiType::HealthDocumentRecord => "HealthDocumentRecord",
            HiType::WellnessRecord => "WellnessRecord",
            HiType::Invoice => "Invoice",
        }
    }

    /// ABDM's name, as the store keeps it.
    pub(crate) fn code(self) -> &'static str {
        self.as_str()
    }

    /// Exactly ABDM's name (how the store reads back what it wrote).
    pub(crate) fn from_code(s: &str) -> Option<HiType> {
        HiType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// ABDM's name, or the NRCES profile name (`OPConsultRecord`, `InvoiceRecord`, …), any case.
    pub fn parse(s: &str) -> Option<HiType> {
        let s = s.trim().to_ascii_lowercase();
        HiType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(&s) || t.profile_name().eq_ignore_ascii_case(&s))
    }

    /// The NRCES structure-definition name.
    fn profile_name(self) -> &'static str {
        match self {
            HiType::OPConsultation => "OPConsultRecord",
            HiType::Prescription => "PrescriptionRecord",
            HiType::DischargeSummary => "DischargeSummaryRecord",
            HiType::DiagnosticReport => "DiagnosticReportRecord",
            HiType::ImmunizationRecord => "ImmunizationRecord",
            HiType::HealthDocumentRecord => "HealthDocumentRecord",
            HiType::WellnessRecord => "WellnessRecord",
            HiType::Invoice => "InvoiceRecord",
        }
    }

    /// The SNOMED CT code of the Composition type (PROTOCOL.md, "FHIR documents").
    pub fn from_snomed(code: &str) -> Option<HiType> {
        Some(match code.trim() {
            "371530004" => HiType::OPConsultation,
            "440545006" => HiType::Prescription,
            "373942005" => HiType::DischargeSummary,
            "721981007" => HiType::DiagnosticReport,
            "41000179103" => HiType::ImmunizationRecord,
            "419891008" => HiType::HealthDocumentRecord,
            _ => return None,
        })
    }

    /// Wellness and invoice records are named by text; the others may be too, when a sender
    /// left out the code. Matches whole phrases, not fragments.
    pub fn from_text(text: &str) -> Option<HiType> {
        let t: String =
            text.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { ' ' }).collect();
        let t = format!(" {} ", t.split_whitespace().collect::<Vec<_>>().join(" "));
        const PHRASES: &[(&str, HiType)] = &[
            (" wellness ", HiType::WellnessRecord),
            (" invoice", HiType::Invoice),
            (" op consult", HiType::OPConsultation),
            (" opconsult", HiType::OPConsultation),
            (" clinical consultation ", HiType::OPConsultation),
            (" prescription ", HiType::Prescription),
            (" prescriptionrecord ", HiType::Prescription),
            (" discharge summary ", HiType::DischargeSummary),
            (" dischargesummary", HiType::DischargeSummary),
            (" diagnostic report", HiType::DiagnosticReport),
            (" diagnostic studies report ", HiType::DiagnosticReport),
            (" diagnosticreport", HiType::DiagnosticReport),
            (" immunization record", HiType::ImmunizationRecord),
            (" immunisation record", HiType::ImmunizationRecord),
            (" immunizationrecord ", HiType::ImmunizationRecord),
            (" health document", HiType::HealthDocumentRecord),
            (" healthdocumentrecord ", HiType::HealthDocumentRecord),
            (" record artifact ", HiType::HealthDocumentRecord),
        ];
        PHRASES.iter().find(|(p, _)| t.contains(p)).map(|(_, h)| *h)
    }

    /// From the last segment of a `meta.profile` URL.
    pub(crate) fn from_profile_url(url: &str) -> Option<HiType> {
        let name = url.rsplit('/').next()?;
        HiType::ALL.into_iter().find(|t| t.profile_name() == name)
    }
}

impl std::fmt::Display for HiType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_codes_and_texts_all_classify() {
        for t in HiType::ALL {
            assert_eq!(HiType::parse(t.as_str()), Some(t));
            assert_eq!(HiType::parse(t.profile_name()), Some(t));
        }
        assert_eq!(HiType::from_snomed("721981007"), Some(HiType::DiagnosticReport));
        assert_eq!(HiType::from_text("Wellness Record"), Some(HiType::WellnessRecord));
        assert_eq!(HiType::from_text("Invoice"), Some(HiType::Invoice));
        assert_eq!(HiType::from_text("Discharge summary"), Some(HiType::DischargeSummary));
        assert_eq!(HiType::from_text("Blood pressure chart"), None);
        assert_eq!(HiType::from_snomed("12345678"), None);
    }
}
