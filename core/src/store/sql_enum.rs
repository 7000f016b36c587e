//! Enums kept in the database as short text codes: written by `code()`, read back by
//! `from_code()`. A row carries the typed value, so no code compares stored strings, and a code
//! this build does not know reads as damage (`Error::Corrupt`), never as some default.

/// Implements `ToSql`/`FromSql` for `$t`, which has `fn code(self) -> &'static str` and
/// `fn from_code(&str) -> Option<Self>`.
macro_rules! stored_as_text {
    ($t:ty) => {
        impl rusqlite::types::ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(self.code()))
            }
        }

        impl rusqlite::types::FromSql for $t {
            fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                let code = v.as_str()?;
                <$t>::from_code(code).ok_or_else(|| {
                    rusqlite::types::FromSqlError::Other(Box::new($crate::store::sql_enum::UnknownCode(stringify!($t))))
                })
            }
        }
    };
}

pub(crate) use stored_as_text;

/// A stored code this build does not know, for a value of the named type.
#[derive(Debug)]
pub(crate) struct UnknownCode(pub &'static str);

impl std::fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a stored {} has a code this build does not know", self.0)
    }
}

impl std::error::Error for UnknownCode {}
