//! ABHA identifiers and the personal values captured at enrolment.

pub mod aadhaar;
pub mod address;
pub mod enrolment;
pub mod number;
pub mod personal;

pub use aadhaar::{Aadhaar, seal_aadhaar, verhoeff_check_digit, verhoeff_valid};
pub use address::AbhaAddress;
pub use number::{AbhaNumber, luhn_check_digit, luhn_valid};
pub use personal::{Mobile, Otp, seal_otp};
