//! Gender as ABDM records it: one letter on the wire and in the store.

/// Gender as ABDM records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
    Other,
    Unknown,
}

impl Gender {
    /// ABDM's one-letter code.
    pub fn code(self) -> &'static str {
        match self {
            Gender::Male => "M",
            Gender::Female => "F",
            Gender::Other => "O",
            Gender::Unknown => "U",
        }
    }

    /// The stored letter back; `None` for a letter this build does not know.
    pub(crate) fn from_code(code: &str) -> Option<Gender> {
        [Gender::Male, Gender::Female, Gender::Other, Gender::Unknown].into_iter().find(|g| g.code() == code)
    }

    /// `M`/`F`/`O` or the words, any case; anything else is `Unknown`, as ABDM reads it.
    pub fn parse(s: &str) -> Gender {
        match s.trim().to_ascii_lowercase().as_str() {
            "m" | "male" => Gender::Male,
            "f" | "female" => Gender::Female,
            "o" | "other" | "t" | "transgender" => Gender::Other,
            _ => Gender::Unknown,
        }
    }
}

// Stored (inside sealed enrolment details) as ABDM's letter, so the JSON reads as it always did.
impl serde::Serialize for Gender {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Gender {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Gender::parse(&String::deserialize(d)?))
    }
}

crate::store::sql_enum::stored_as_text!(Gender);

#[cfg(test)]
mod tests {
    use super::Gender;

    #[test]
    fn gender_is_stored_as_abdms_letter_and_details_stored_before_the_enum_still_read() {
        assert_eq!(serde_json::to_string(&Gender::Female).unwrap(), "\"F\"");
        for (stored, g) in
            [("\"M\"", Gender::Male), ("\"f\"", Gender::Female), ("\"O\"", Gender::Other), ("\"x\"", Gender::Unknown)]
        {
            assert_eq!(serde_json::from_str::<Gender>(stored).unwrap(), g);
        }
    }
}
