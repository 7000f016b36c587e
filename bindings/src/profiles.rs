//! The owner and family members.

use crate::error::{LockerError, run};
use crate::locker::Locker;
use locker_core::{NewProfile, Profile, ProfileUpdate};

#[uniffi::export]
impl Locker {
    pub fn add_profile(&self, profile: NewProfile) -> Result<Profile, LockerError> {
        run(|| self.core.store()?.add_profile(&profile))
    }

    pub fn profile(&self, id: String) -> Result<Profile, LockerError> {
        run(|| self.core.store()?.profile(&id))
    }

    /// The owner first, then family members in the order they were added.
    pub fn profiles(&self) -> Result<Vec<Profile>, LockerError> {
        run(|| self.core.store()?.profiles())
    }

    /// Saves an edited profile: every editable field takes the given value.
    pub fn update_profile(&self, profile: Profile) -> Result<Profile, LockerError> {
        run(|| self.core.store()?.update_profile(&profile.id, &ProfileUpdate::from(&profile)))
    }

    /// Removes a profile with all its records and attachments, securely.
    pub fn remove_profile(&self, id: String) -> Result<(), LockerError> {
        run(|| self.core.store()?.remove_profile(&id))
    }
}
