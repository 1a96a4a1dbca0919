//! Reading a row by its columns' names: the read side's one way from SQL values to types.

use crate::{Error, Result};
use alloy::primitives::{Address, B256};
use sqlx::{Row, any::AnyRow};
use timebank_bindings::vocabulary::UnknownName;

/// Typed reads of an `Any` row's columns, by name.
pub(crate) trait Columns {
    /// A non-negative integer.
    fn u64(&self, column: &str) -> Result<u64>;
    /// Text.
    fn text(&self, column: &str) -> Result<String>;
    /// Nullable text.
    fn opt_text(&self, column: &str) -> Result<Option<String>>;
    /// A nullable non-negative integer.
    fn opt_u64(&self, column: &str) -> Result<Option<u64>>;
    /// Raw bytes.
    fn bytes(&self, column: &str) -> Result<Vec<u8>>;
    /// A 20-byte address.
    fn address(&self, column: &str) -> Result<Address>;
    /// A nullable address.
    fn opt_address(&self, column: &str) -> Result<Option<Address>>;
    /// A 32-byte hash.
    fn hash(&self, column: &str) -> Result<B256>;
    /// A nullable hash.
    fn opt_hash(&self, column: &str) -> Result<Option<B256>>;
    /// A boolean selected as an integer (sqlx's `Any` can't decode SQLite's BOOLEAN).
    fn flag(&self, column: &str) -> Result<bool>;
    /// One of the contracts' enums.
    fn kind<E: TryFrom<u8, Error = UnknownName>>(&self, column: &str) -> Result<E>;
    /// A nullable enum.
    fn opt_kind<E: TryFrom<u8, Error = UnknownName>>(&self, column: &str) -> Result<Option<E>>;
}

fn small(column: &str, v: i64) -> Result<u8> {
    u8::try_from(v).map_err(|_| Error::Inconsistent(format!("{column} is {v}")))
}

fn enumerated<E: TryFrom<u8, Error = UnknownName>>(column: &str, v: i64) -> Result<E> {
    E::try_from(small(column, v)?).map_err(|err| Error::Inconsistent(format!("{column}: {err}")))
}

impl Columns for AnyRow {
    fn u64(&self, column: &str) -> Result<u64> {
        let v: i64 = self.try_get(column)?;
        u64::try_from(v).map_err(|_| Error::Inconsistent(format!("{column} is {v}")))
    }

    fn text(&self, column: &str) -> Result<String> {
        Ok(self.try_get(column)?)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>> {
        Ok(self.try_get(column)?)
    }

    fn opt_u64(&self, column: &str) -> Result<Option<u64>> {
        let v: Option<i64> = self.try_get(column)?;
        v.map(|v| u64::try_from(v).map_err(|_| Error::Inconsistent(format!("{column} is {v}"))))
            .transpose()
    }

    fn bytes(&self, column: &str) -> Result<Vec<u8>> {
        Ok(self.try_get(column)?)
    }

    fn address(&self, column: &str) -> Result<Address> {
        crate::store::to_address(&self.bytes(column)?)
    }

    fn opt_address(&self, column: &str) -> Result<Option<Address>> {
        let v: Option<Vec<u8>> = self.try_get(column)?;
        v.map(|b| crate::store::to_address(&b)).transpose()
    }

    fn hash(&self, column: &str) -> Result<B256> {
        crate::store::to_b256(&self.bytes(column)?)
    }

    fn opt_hash(&self, column: &str) -> Result<Option<B256>> {
        let v: Option<Vec<u8>> = self.try_get(column)?;
        v.map(|b| crate::store::to_b256(&b)).transpose()
    }

    fn flag(&self, column: &str) -> Result<bool> {
        Ok(self.try_get::<i64, _>(column)? != 0)
    }

    fn kind<E: TryFrom<u8, Error = UnknownName>>(&self, column: &str) -> Result<E> {
        enumerated(column, self.try_get(column)?)
    }

    fn opt_kind<E: TryFrom<u8, Error = UnknownName>>(&self, column: &str) -> Result<Option<E>> {
        let v: Option<i64> = self.try_get(column)?;
        v.map(|v| enumerated(column, v)).transpose()
    }
}
