//! `CredentialRegistry`: credential types and members' credentials.

use super::Ctx;
use crate::Result;
use timebank_bindings::CredentialRegistry::CredentialRegistryEvents as E;

pub(super) fn project(event: &E, cx: &mut Ctx<'_>) -> Result<()> {
    match event {
        E::CredentialTypeDefined(e) => cx.op(
            "INSERT INTO credential_type (type_id, kind, name, active, block_number, tx_hash, \
             log_index) VALUES ($1, $2, $3, TRUE, $4, $5, $6) ON CONFLICT (type_id) DO NOTHING",
            vec![e.typeId.into(), e.kind.into(), e.name.as_str().into()],
        ),
        E::CredentialTypeActiveChanged(e) => cx.op(
            "UPDATE credential_type SET active = $2, block_number = $3, tx_hash = $4, \
             log_index = $5 WHERE type_id = $1",
            vec![e.typeId.into(), e.active.into()],
        ),
        E::CredentialIssued(e) => cx.op(
            "INSERT INTO credential (member_id, type_id, account, issuer, document_hash, \
             issued_at, expires_at, revoked, block_number, tx_hash, log_index) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, $8, $9, $10) \
             ON CONFLICT (member_id, type_id) DO UPDATE SET account = excluded.account, \
             issuer = excluded.issuer, document_hash = excluded.document_hash, \
             issued_at = excluded.issued_at, expires_at = excluded.expires_at, revoked = FALSE, \
             block_number = excluded.block_number, tx_hash = excluded.tx_hash, \
             log_index = excluded.log_index",
            vec![
                e.memberId.to::<u64>().into(),
                e.typeId.into(),
                e.account.into(),
                e.issuer.into(),
                e.documentHash.into(),
                e.issuedAt.to::<u64>().into(),
                e.expiresAt.to::<u64>().into(),
            ],
        ),
        E::CredentialRenewed(e) => cx.op(
            "UPDATE credential SET issuer = $3, document_hash = $4, expires_at = $5, \
             block_number = $6, tx_hash = $7, log_index = $8 \
             WHERE member_id = $1 AND type_id = $2",
            vec![
                e.memberId.to::<u64>().into(),
                e.typeId.into(),
                e.issuer.into(),
                e.documentHash.into(),
                e.expiresAt.to::<u64>().into(),
            ],
        ),
        E::CredentialRevoked(e) => cx.op(
            "UPDATE credential SET revoked = TRUE, block_number = $3, tx_hash = $4, \
             log_index = $5 WHERE member_id = $1 AND type_id = $2",
            vec![e.memberId.to::<u64>().into(), e.typeId.into()],
        ),
    }
    Ok(())
}
