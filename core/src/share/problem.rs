//! What is wrong with a scanned code, as a type: each reading of outside QR content fails with
//! one of these, naming the part that is wrong and never echoing the content (a patient's QR
//! carries their name, number and address).

use std::fmt;

/// Why a scanned code was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QrProblem {
    /// Nothing was scanned (empty or only whitespace).
    Empty,
    /// Longer than any code of this kind can be.
    TooLong,
    /// Neither a facility's share-profile link nor its older JSON form.
    NotFacilityQr,
    /// A link to a host that is not ABDM's PHR app (nor the one configured).
    UnknownHost,
    /// A link to ABDM's PHR app, but not to `share-profile`.
    NotShareProfile,
    /// No facility (HIP) id.
    MissingHipId,
    /// A facility (HIP) id with characters an id never has, or too long.
    BadHipId,
    /// No counter id.
    MissingCounterId,
    /// A counter id with characters a counter id never has, or too long.
    BadCounterId,
    /// Not the JSON of an ABHA card or the PHR app's profile QR.
    NotAbhaQr,
    /// An ABHA QR with neither an ABHA number nor an ABHA address.
    MissingAbha,
    /// An ABHA number that is not 14 digits.
    BadAbhaNumber,
    /// An ABHA address that breaks the (lenient) rule for existing addresses.
    BadAbhaAddress,
    /// A picture was read, but holds no QR code that could be decoded.
    NoCodeInImage,
    /// A picture that is not a PNG or JPEG, is damaged, or whose sizes do not match its bytes.
    ImageUnreadable,
    /// A picture with more pixels than any camera gives.
    ImageTooLarge,
}

impl QrProblem {
    /// Every problem, in declaration order.
    pub const ALL: [QrProblem; 16] = [
        QrProblem::Empty,
        QrProblem::TooLong,
        QrProblem::NotFacilityQr,
        QrProblem::UnknownHost,
        QrProblem::NotShareProfile,
        QrProblem::MissingHipId,
        QrProblem::BadHipId,
        QrProblem::MissingCounterId,
        QrProblem::BadCounterId,
        QrProblem::NotAbhaQr,
        QrProblem::MissingAbha,
        QrProblem::BadAbhaNumber,
        QrProblem::BadAbhaAddress,
        QrProblem::NoCodeInImage,
        QrProblem::ImageUnreadable,
        QrProblem::ImageTooLarge,
    ];

    /// A stable code, for scripts and the bindings.
    pub fn code(self) -> &'static str {
        match self {
            QrProblem::Empty => "empty",
            QrProblem::TooLong => "too-long",
            QrProblem::NotFacilityQr => "not-facility-qr",
            QrProblem::UnknownHost => "unknown-host",
            QrProblem::NotShareProfile => "not-share-profile",
            QrProblem::MissingHipId => "missing-hip-id",
            QrProblem::BadHipId => "bad-hip-id",
            QrProblem::MissingCounterId => "missing-counter-id",
            QrProblem::BadCounterId => "bad-counter-id",
            QrProblem::NotAbhaQr => "not-abha-qr",
            QrProblem::MissingAbha => "missing-abha",
            QrProblem::BadAbhaNumber => "bad-abha-number",
            QrProblem::BadAbhaAddress => "bad-abha-address",
            QrProblem::NoCodeInImage => "no-code",
            QrProblem::ImageUnreadable => "image-unreadable",
            QrProblem::ImageTooLarge => "image-too-large",
        }
    }
}

impl fmt::Display for QrProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QrProblem::Empty => "nothing was scanned",
            QrProblem::TooLong => "the code is longer than any code of this kind",
            QrProblem::NotFacilityQr => "this is not a facility's Scan & Share code (a share-profile link or its JSON)",
            QrProblem::UnknownHost => "the link is not to ABDM's PHR app",
            QrProblem::NotShareProfile => "the link is to ABDM's PHR app, but not to share-profile",
            QrProblem::MissingHipId => "the code names no facility (hip-id)",
            QrProblem::BadHipId => "the facility id (hip-id) is not one ABDM makes",
            QrProblem::MissingCounterId => "the code names no counter (counter-id)",
            QrProblem::BadCounterId => "the counter id (counter-id) is not one ABDM makes",
            QrProblem::NotAbhaQr => "this is not an ABHA card's code or the PHR app's profile code",
            QrProblem::MissingAbha => "the ABHA code holds neither an ABHA number nor an ABHA address",
            QrProblem::BadAbhaNumber => "the ABHA number in the code is not 14 digits",
            QrProblem::BadAbhaAddress => "the ABHA address in the code is not a valid address",
            QrProblem::NoCodeInImage => "no QR code could be read in the picture",
            QrProblem::ImageUnreadable => "the picture could not be read (a PNG or JPEG photo, or a camera frame)",
            QrProblem::ImageTooLarge => "the picture is larger than any camera gives",
        })
    }
}

impl std::error::Error for QrProblem {}

impl From<super::decode::DecodeError> for QrProblem {
    fn from(e: super::decode::DecodeError) -> Self {
        use super::decode::DecodeError as D;
        match e {
            D::NoCode => QrProblem::NoCodeInImage,
            D::Unreadable => QrProblem::ImageUnreadable,
            D::TooLarge => QrProblem::ImageTooLarge,
        }
    }
}
