//! The owner and family members: `locker.profiles()`.

use crate::error::{LockerError, run};
use locker_core::{NewProfile, Profile, ProfileUpdate};
use std::sync::Arc;

#[derive(uniffi::Object)]
pub struct Profiles {
    pub(crate) core: Arc<locker_core::Locker>,
}

#[uniffi::export]
impl Profiles {
    /// Adds a person. An ABHA number or address another profile holds is `Duplicate`.
    pub fn add(&self, profile: NewProfile) -> Result<Profile, LockerError> {
        run(|| self.core.profiles().add(&profile))
    }

    pub fn get(&self, id: String) -> Result<Profile, LockerError> {
        run(|| self.core.profiles().get(&id))
    }

    /// The owner first, then family members in the order they were added.
    pub fn list(&self) -> Result<Vec<Profile>, LockerError> {
        run(|| self.core.profiles().list())
    }

    /// Saves an edited profile: every editable field takes the given value.
    pub fn update(&self, profile: Profile) -> Result<Profile, LockerError> {
        run(|| self.core.profiles().update(&profile.id, &ProfileUpdate::from(&profile)))
    }

    /// Removes a profile with all its records and attachments, securely.
    pub fn remove(&self, id: String) -> Result<(), LockerError> {
        run(|| self.core.profiles().remove(&id))
    }
}
