//! Members: their public record, what an account may do, credentials, profile packages.

use super::row::Columns;
use crate::{
    Result,
    store::{Store, to_i64},
};
use alloy::primitives::{Address, B256};
use serde::Serialize;
use timebank_bindings::types::{CredentialKind, MemberStatus, RiskLevel};

/// A member as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberRow {
    /// Wallet.
    pub account: Address,
    /// Stable id.
    pub member_id: u64,
    /// Home branch.
    pub home_branch: u64,
    /// Where the member is in the review lifecycle.
    pub status: MemberStatus,
    /// Assessed risk.
    pub risk: RiskLevel,
    /// Profile version.
    pub profile_version: u64,
    /// Current profile commitment.
    pub commitment: B256,
    /// Branch asked to accept the member, or 0.
    pub pending_move_to: u64,
    /// The operator who submitted the member.
    pub submitted_by: Address,
    /// When submitted (block time, unix seconds).
    pub submitted_at: u64,
    /// When approved (0 while pending).
    pub activated_at: u64,
    /// Block of the last change.
    pub block_number: u64,
    /// Its time.
    pub updated_at: u64,
}

impl MemberRow {
    /// The columns [`MemberRow::read`] reads, from `member m` joined with `indexed_block b`.
    pub(crate) const SELECT: &str = "SELECT m.account, m.member_id, m.home_branch, m.status, \
        m.risk, m.profile_version, m.commitment, m.pending_move_to, m.submitted_by, \
        m.submitted_at, m.activated_at, m.block_number, COALESCE(b.block_time, 0) AS updated_at \
        FROM member m LEFT JOIN indexed_block b ON b.block_number = m.block_number";

    pub(crate) fn read(r: &sqlx::any::AnyRow) -> Result<Self> {
        Ok(Self {
            account: r.address("account")?,
            member_id: r.u64("member_id")?,
            home_branch: r.u64("home_branch")?,
            status: r.kind("status")?,
            risk: r.kind("risk")?,
            profile_version: r.u64("profile_version")?,
            commitment: r.hash("commitment")?,
            pending_move_to: r.u64("pending_move_to")?,
            submitted_by: r.address("submitted_by")?,
            submitted_at: r.u64("submitted_at")?,
            activated_at: r.u64("activated_at")?,
            block_number: r.u64("block_number")?,
            updated_at: r.u64("updated_at")?,
        })
    }
}

/// A credential as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialRow {
    /// Credential type id.
    pub type_id: u64,
    /// Type name.
    pub type_name: String,
    /// What the type attests.
    pub kind: CredentialKind,
    /// Whether the type is active (a closed type's credentials are not valid).
    pub type_active: bool,
    /// Who issued it.
    pub issuer: Address,
    /// Unix seconds.
    pub issued_at: u64,
    /// Unix seconds.
    pub expires_at: u64,
    /// Revoked by its issuer.
    pub revoked: bool,
}

/// What the chain says an account may do: its roles, the branch it operates for, its membership.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    /// Role ids held (AccessControl), including operator and issuer roles.
    pub roles: Vec<B256>,
    /// The active branch it is an operator of.
    pub operator_branch: Option<u64>,
    /// Credential types it may issue.
    pub issuer_types: Vec<u64>,
    /// Its membership, if any.
    pub member: Option<MemberRow>,
}

impl Store {
    /// What `account` may do, as of the last indexed block.
    pub async fn standing(&self, account: Address) -> Result<Standing> {
        let a = account.to_vec();
        let roles = sqlx::query("SELECT role FROM role_member WHERE account = $1")
            .bind(a.clone())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| r.hash("role"))
            .collect::<Result<Vec<_>>>()?;
        // An operator of a deactivated branch is no operator (as `TimebankAccess.isOperator`).
        let operator_branch = sqlx::query(
            "SELECT o.branch_id FROM operator o JOIN branch b ON b.branch_id = o.branch_id \
             WHERE o.account = $1 AND b.active",
        )
        .bind(a)
        .fetch_optional(self.pool())
        .await?
        .map(|r| r.u64("branch_id"))
        .transpose()?;
        let mut issuer_types = Vec::new();
        if !roles.is_empty() {
            for r in sqlx::query("SELECT type_id FROM credential_type")
                .fetch_all(self.pool())
                .await?
            {
                let type_id = r.u64("type_id")?;
                let role = timebank_bindings::roles::issuer(u32::try_from(type_id).unwrap_or(0));
                if roles.contains(&role) {
                    issuer_types.push(type_id);
                }
            }
        }
        Ok(Standing {
            roles,
            operator_branch,
            issuer_types,
            member: self.member(account).await?,
        })
    }

    /// `account`'s credentials with their types.
    pub async fn credentials(&self, account: Address) -> Result<Vec<CredentialRow>> {
        let rows = sqlx::query(
            "SELECT c.type_id, t.name, t.kind, CASE WHEN t.active THEN 1 ELSE 0 END AS active, \
             c.issuer, c.issued_at, c.expires_at, CASE WHEN c.revoked THEN 1 ELSE 0 END AS revoked \
             FROM credential c JOIN credential_type t ON t.type_id = c.type_id \
             JOIN member m ON m.member_id = c.member_id WHERE m.account = $1 ORDER BY c.type_id",
        )
        .bind(account.to_vec())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CredentialRow {
                    type_id: r.u64("type_id")?,
                    type_name: r.text("name")?,
                    kind: r.kind("kind")?,
                    type_active: r.flag("active")?,
                    issuer: r.address("issuer")?,
                    issued_at: r.u64("issued_at")?,
                    expires_at: r.u64("expires_at")?,
                    revoked: r.flag("revoked")?,
                })
            })
            .collect()
    }

    /// Member `member_id`'s newest profile version: (version, commitment, encrypted package).
    pub async fn profile_package(&self, member_id: u64) -> Result<Option<(u64, B256, Vec<u8>)>> {
        let row = sqlx::query(
            "SELECT version, commitment, encrypted_data FROM profile_version \
             WHERE member_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(to_i64(member_id))
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok((
                r.u64("version")?,
                r.hash("commitment")?,
                r.bytes("encrypted_data")?,
            ))
        })
        .transpose()
    }

    /// Members whose home branch is `branch_id`, by member id.
    pub async fn members_of(&self, branch_id: u64) -> Result<Vec<MemberRow>> {
        let sql = format!(
            "{} WHERE m.home_branch = $1 ORDER BY m.member_id",
            MemberRow::SELECT
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to_i64(branch_id))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(MemberRow::read).collect()
    }

    /// The member with id `member_id`, if any.
    pub async fn member_by_id(&self, member_id: u64) -> Result<Option<MemberRow>> {
        let sql = format!("{} WHERE m.member_id = $1", MemberRow::SELECT);
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to_i64(member_id))
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(MemberRow::read).transpose()
    }

    /// A member by its wallet.
    pub async fn member(&self, account: Address) -> Result<Option<MemberRow>> {
        let sql = format!("{} WHERE m.account = $1", MemberRow::SELECT);
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account.to_vec())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(MemberRow::read).transpose()
    }
}
