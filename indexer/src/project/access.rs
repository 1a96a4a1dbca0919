//! `TimebankAccess`: branches, their keys, operators and roles.

use super::Ctx;
use crate::Result;
use timebank_bindings::TimebankAccess::TimebankAccessEvents as E;

pub(super) fn project(event: &E, cx: &mut Ctx<'_>) -> Result<()> {
    match event {
        E::BranchAdded(e) => cx.op(
            "INSERT INTO branch (branch_id, name, region, public_key, active, block_number, \
             tx_hash, log_index) VALUES ($1, $2, $3, $4, TRUE, $5, $6, $7) \
             ON CONFLICT (branch_id) DO UPDATE SET name = excluded.name, \
             region = excluded.region, public_key = excluded.public_key, active = TRUE, \
             block_number = excluded.block_number, tx_hash = excluded.tx_hash, \
             log_index = excluded.log_index",
            vec![
                e.branchId.into(),
                e.name.as_str().into(),
                e.region.as_str().into(),
                e.publicKey.into(),
            ],
        ),
        E::BranchUpdated(e) => cx.op(
            "UPDATE branch SET name = $2, region = $3, block_number = $4, tx_hash = $5, \
             log_index = $6 WHERE branch_id = $1",
            vec![
                e.branchId.into(),
                e.name.as_str().into(),
                e.region.as_str().into(),
            ],
        ),
        E::BranchActiveChanged(e) => cx.op(
            "UPDATE branch SET active = $2, block_number = $3, tx_hash = $4, log_index = $5 \
             WHERE branch_id = $1",
            vec![e.branchId.into(), e.active.into()],
        ),
        E::BranchKeyProposed(e) => cx.op(
            "INSERT INTO branch_key_proposal (branch_id, public_key, proposer, effective_at, \
             block_number, tx_hash, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (branch_id) DO UPDATE SET public_key = excluded.public_key, \
             proposer = excluded.proposer, effective_at = excluded.effective_at, \
             block_number = excluded.block_number, tx_hash = excluded.tx_hash, \
             log_index = excluded.log_index",
            vec![
                e.branchId.into(),
                e.proposedKey.into(),
                e.proposer.into(),
                e.effectiveAt.to::<u64>().into(),
            ],
        ),
        E::BranchKeyChanged(e) => {
            cx.op(
                "UPDATE branch SET public_key = $2, block_number = $3, tx_hash = $4, \
                 log_index = $5 WHERE branch_id = $1",
                vec![e.branchId.into(), e.newKey.into()],
            );
            cx.plain(
                "DELETE FROM branch_key_proposal WHERE branch_id = $1",
                vec![e.branchId.into()],
            );
        }
        E::BranchKeyProposalCancelled(e) => cx.plain(
            "DELETE FROM branch_key_proposal WHERE branch_id = $1",
            vec![e.branchId.into()],
        ),
        E::OperatorChanged(e) if e.isOperator => cx.op(
            "INSERT INTO operator (account, branch_id, block_number, tx_hash, log_index) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account) DO UPDATE SET \
             branch_id = excluded.branch_id, block_number = excluded.block_number, \
             tx_hash = excluded.tx_hash, log_index = excluded.log_index",
            vec![e.account.into(), e.branchId.into()],
        ),
        E::OperatorChanged(e) => cx.plain(
            "DELETE FROM operator WHERE account = $1",
            vec![e.account.into()],
        ),
        E::RoleGranted(e) => cx.op(
            "INSERT INTO role_member (role, account, block_number, tx_hash, log_index) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (role, account) DO NOTHING",
            vec![e.role.into(), e.account.into()],
        ),
        E::RoleRevoked(e) => {
            cx.plain(
                "DELETE FROM role_member WHERE role = $1 AND account = $2",
                vec![e.role.into(), e.account.into()],
            );
            // A former partner hears nothing more, queued messages included.
            if e.role == timebank_bindings::roles::PARTNER {
                super::cancel_partner_messages(cx, e.account, None);
            }
        }
        // In the event log only: who may grant what, the admin's own transfer, and the
        // access-log anchors (read from the contract by whoever verifies a log).
        E::AccessLogAnchored(_)
        | E::RoleAdminChanged(_)
        | E::DefaultAdminTransferScheduled(_)
        | E::DefaultAdminTransferCanceled(_)
        | E::DefaultAdminDelayChangeScheduled(_)
        | E::DefaultAdminDelayChangeCanceled(_) => {}
    }
    Ok(())
}
