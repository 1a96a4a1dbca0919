//! `TimeCoin`: movements with their payments and balances, rule hits and holds.

use super::{Ctx, RuleHitRow, id, micro, n};
use crate::{Error, Result};
use alloy::primitives::{Address, U256};
use std::collections::HashMap;
use timebank_bindings::{
    TimeCoin::TimeCoinEvents as E,
    types::{CaseKind, HoldStatus, MonitorAction, Purpose},
};

pub(super) fn project(
    balances: &mut HashMap<Address, U256>,
    event: &E,
    cx: &mut Ctx<'_>,
) -> Result<()> {
    let at = cx.raw.at;
    match event {
        E::Transfer(e) => {
            let mut after = |account: Address, credit: bool| -> U256 {
                if account.is_zero() {
                    return U256::ZERO;
                }
                let balance = balances.entry(account).or_default();
                *balance = if credit {
                    balance.saturating_add(e.value)
                } else {
                    balance.saturating_sub(e.value)
                };
                cx.batch.balances.insert(account, (*balance, at));
                *balance
            };
            let sender_balance = after(e.from, false);
            let recipient_balance = after(e.to, true);
            // The Transfer's own event_log row carries the payment; a Transfer with no
            // CoinsMoved after it is a Gift with no reference.
            if cx.ingest() {
                let row = cx.batch.events.last_mut().ok_or_else(|| {
                    Error::Inconsistent("a Transfer was projected before its event row".into())
                })?;
                row.sender = Some(e.from);
                row.recipient = Some(e.to);
                row.amount = Some(e.value.to_string());
                row.amount_micro = Some(micro(e.value));
                row.purpose = Some(Purpose::Gift);
                row.reference = Some(Default::default());
                row.sender_balance = Some(sender_balance.to_string());
                row.recipient_balance = Some(recipient_balance.to_string());
            }
        }
        E::CoinsMoved(e) => {
            if cx.ingest() {
                // CoinsMoved follows its Transfer directly, in the same transaction.
                let events = &mut cx.batch.events;
                let transfer = events.len().checked_sub(2).map(|i| &mut events[i]);
                match transfer {
                    Some(t)
                        if t.tx_hash == at.tx_hash
                            && t.log_index + 1 == at.log_index
                            && t.sender.is_some() =>
                    {
                        t.purpose = Some(Purpose::try_from(e.purpose).map_err(unknown)?);
                        t.reference = Some(e.r#ref);
                    }
                    _ => {
                        return Err(Error::Inconsistent(format!(
                            "CoinsMoved at block {} log {} has no Transfer right before it",
                            at.block_number, at.log_index
                        )));
                    }
                }
            }
        }
        E::RuleHit(e) => {
            if cx.ingest() {
                cx.batch.rule_hits.push(RuleHitRow {
                    block_number: at.block_number,
                    block_hash: at.block_hash,
                    tx_hash: at.tx_hash,
                    log_index: at.log_index,
                    sender: e.from,
                    recipient: e.to,
                    amount: e.amount.to_string(),
                    purpose: Purpose::try_from(e.purpose).map_err(unknown)?,
                    reference: e.r#ref,
                    rules: e.rules,
                    action: MonitorAction::try_from(e.action).map_err(unknown)?,
                    hold_id: id(e.holdId, "holdId")?,
                });
            }
        }
        E::MovementHeld(e) => cx.op(
            "INSERT INTO coin_hold (hold_id, sender, recipient, amount, purpose, ref, status, \
             block_number, tx_hash, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (hold_id) DO NOTHING",
            vec![
                id(e.holdId, "holdId")?.into(),
                e.from.into(),
                e.to.into(),
                e.amount.to_string().into(),
                e.purpose.into(),
                e.r#ref.into(),
                n(HoldStatus::Held),
            ],
        ),
        E::HoldSettled(e) => cx.op(
            "UPDATE coin_hold SET status = $2, block_number = $3, tx_hash = $4, log_index = $5 \
             WHERE hold_id = $1",
            vec![
                id(e.holdId, "holdId")?.into(),
                n(if e.released {
                    HoldStatus::Released
                } else {
                    HoldStatus::Returned
                }),
            ],
        ),
        // The desk in force took over a hold no desk had a case for: that case is its own.
        E::HoldAdopted(e) => cx.plain(
            "UPDATE supervision_case SET kind = $2 WHERE hold_id = $1",
            vec![id(e.holdId, "holdId")?.into(), n(CaseKind::AdoptedHold)],
        ),
        // In the event log only: allowances, the rules' and the monitor's configuration, and
        // the coin's copy of a standing the member table already has.
        E::Approval(_)
        | E::StandingSynced(_)
        | E::MonitorRulesChanged(_)
        | E::MonitorChanged(_)
        | E::EIP712DomainChanged(_) => {}
    }
    Ok(())
}

fn unknown(err: timebank_bindings::vocabulary::UnknownName) -> Error {
    Error::Decode {
        what: "a TimeCoin event".into(),
        reason: err.to_string(),
    }
}
