//! The rows of the append-only tables, each a struct that names its table and columns: the one
//! place a row's values, its columns and their types are written down.

use super::{LogRef, Value};
use alloy::primitives::{Address, B256};
use timebank_bindings::types::{MonitorAction, Purpose};

/// A column's type, as both databases store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// BIGINT.
    Int8,
    /// SMALLINT (the contracts' enums).
    Int2,
    /// BYTEA / BLOB.
    Bytes,
    /// TEXT.
    Text,
    /// BOOLEAN.
    Bool,
}

/// A Rust value that is stored in one column.
pub trait ColumnValue {
    /// The column's type.
    const TYPE: ColumnType;
    /// The value to bind.
    fn value(&self) -> Value;
}

macro_rules! column_value {
    ($($ty:ty => $column:ident, |$v:ident| $value:expr;)*) => {$(
        impl ColumnValue for $ty {
            const TYPE: ColumnType = ColumnType::$column;
            fn value(&self) -> Value {
                let $v = self;
                $value
            }
        }
    )*};
}

column_value! {
    u64 => Int8, |v| Value::from(*v);
    i64 => Int8, |v| Value::Int(*v);
    u16 => Int8, |v| Value::Int(i64::from(*v));
    u32 => Int8, |v| Value::Int(i64::from(*v));
    bool => Bool, |v| Value::Bool(*v);
    Address => Bytes, |v| Value::from(*v);
    B256 => Bytes, |v| Value::from(*v);
    Vec<u8> => Bytes, |v| Value::Bytes(v.clone());
    String => Text, |v| Value::Text(v.clone());
    &'static str => Text, |v| Value::Text((*v).to_owned());
    Purpose => Int2, |v| Value::Int(i64::from(*v as u8));
    MonitorAction => Int2, |v| Value::Int(i64::from(*v as u8));
}

impl<T: ColumnValue> ColumnValue for Option<T> {
    const TYPE: ColumnType = T::TYPE;
    fn value(&self) -> Value {
        match self {
            Some(v) => v.value(),
            None => Value::Null(T::TYPE),
        }
    }
}

/// A column: its name and type.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Its name in the table.
    pub name: &'static str,
    /// Its type.
    pub ty: ColumnType,
}

/// A row of an append-only table.
pub trait Row {
    /// The table.
    const TABLE: &'static str;
    /// Its columns, in the order [`Row::values`] gives them.
    const COLUMNS: &'static [Column];
    /// The row's values, column by column.
    fn values(&self, out: &mut Vec<Value>);
}

/// A row struct whose fields are its table's columns, in order (`field: Type as "column"` where
/// the names differ).
macro_rules! row {
    (@column $field:ident) => { stringify!($field) };
    (@column $field:ident $column:literal) => { $column };
    ($(#[$meta:meta])* $name:ident in $table:literal {
        $($(#[$fmeta:meta])* $field:ident: $ty:ty $(as $column:literal)?),* $(,)?
    }) => {
        $(#[$meta])*
        ///
        /// Each field is the column of the same name (`migrations/` documents them).
        #[derive(Debug, Clone, PartialEq)]
        #[allow(missing_docs)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl Row for $name {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [Column] = &[
                $(Column { name: row!(@column $field $($column)?), ty: <$ty as ColumnValue>::TYPE },)*
            ];
            fn values(&self, out: &mut Vec<Value>) {
                $(out.push(self.$field.value());)*
            }
        }
    };
}

row! {
    /// `event_log`: every log of the timebank contracts; a coin movement's Transfer carries
    /// its payment (the columns from `sender` on, NULL elsewhere).
    EventRow in "event_log" {
        block_number: u64,
        block_hash: B256,
        block_time: u64,
        tx_hash: B256,
        log_index: u64,
        contract: &'static str,
        address: Address,
        event: &'static str,
        /// The raw topics, 32 bytes each (the fields are read from them and `data`).
        topics: Vec<u8>,
        data: Vec<u8>,
        sender: Option<Address>,
        recipient: Option<Address>,
        amount: Option<String>,
        amount_micro: Option<i64>,
        purpose: Option<Purpose>,
        reference: Option<B256> as "ref",
        sender_balance: Option<String>,
        recipient_balance: Option<String>,
    }
}

row! {
    /// `event_account`: an account a (non-payment) event names.
    EventAccountRow in "event_account" {
        account: Address,
        block_number: u64,
        block_hash: B256,
        log_index: u64,
    }
}

row! {
    /// `rule_hit`: a movement that fired monitoring rules.
    RuleHitRow in "rule_hit" {
        block_number: u64,
        block_hash: B256,
        tx_hash: B256,
        log_index: u64,
        sender: Address,
        recipient: Address,
        amount: String,
        purpose: Purpose,
        reference: B256 as "ref",
        rules: u16,
        action: MonitorAction,
        hold_id: u64,
    }
}

row! {
    /// `profile_version`: a member's profile version with its encrypted package.
    ProfileVersionRow in "profile_version" {
        member_id: u64,
        version: u32,
        account: Address,
        branch_id: u32,
        commitment: B256,
        encrypted_data: Vec<u8>,
        operator: Address,
        block_number: u64,
        block_hash: B256,
        tx_hash: B256,
        log_index: u64,
    }
}

row! {
    /// `activity_settlement`: a reward minted for a volunteer's confirmed hours.
    SettlementRow in "activity_settlement" {
        activity_id: u64,
        volunteer: Address,
        branch_id: u32,
        amount: String,
        amount_micro: i64,
        operator: Address,
        block_number: u64,
        block_hash: B256,
        tx_hash: B256,
        log_index: u64,
    }
}

row! {
    /// `indexed_block`: a block the index has seen.
    BlockRow in "indexed_block" {
        block_number: u64,
        block_hash: B256,
        block_time: u64,
    }
}

row! {
    /// `balance`: an account's balance after its last movement.
    BalanceRow in "balance" {
        account: Address,
        amount: String,
        amount_micro: i64,
        block_number: u64,
        log_index: u64,
    }
}

impl EventRow {
    /// The row of a log, with no payment.
    pub fn new(at: &LogRef, contract: &'static str, address: Address, event: &'static str) -> Self {
        Self {
            block_number: at.block_number,
            block_hash: at.block_hash,
            block_time: at.block_time,
            tx_hash: at.tx_hash,
            log_index: at.log_index,
            contract,
            address,
            event,
            topics: Vec::new(),
            data: Vec::new(),
            sender: None,
            recipient: None,
            amount: None,
            amount_micro: None,
            purpose: None,
            reference: None,
            sender_balance: None,
            recipient_balance: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_names_each_of_its_values() {
        let at = LogRef {
            block_number: 7,
            block_hash: B256::repeat_byte(1),
            block_time: 9,
            tx_hash: B256::repeat_byte(2),
            log_index: 3,
        };
        let row = EventRow::new(&at, "TimeCoin", Address::ZERO, "Transfer");
        let mut values = Vec::new();
        row.values(&mut values);
        assert_eq!(values.len(), EventRow::COLUMNS.len());
        assert_eq!(EventRow::COLUMNS[14].name, "purpose");
        assert_eq!(values[14], Value::Null(ColumnType::Int2));
        assert_eq!(EventRow::COLUMNS[15].name, "ref");
    }
}
