-- What the contract hardening added to the read model (current state, rebuilt by replay).

-- A case's kind: 0 rule hit, 1 monitoring agent, 2 recovery, 3 adopted hold (CaseKind).
ALTER TABLE supervision_case ADD COLUMN kind SMALLINT NOT NULL DEFAULT 0;
-- The first operator's approval of a settlement above the branch's second-approval amount.
ALTER TABLE participation ADD COLUMN approved_by BYTEA;
-- Settlements of the branch above this amount need two operators ('0': none do).
ALTER TABLE mint_quota ADD COLUMN second_approval_above TEXT NOT NULL DEFAULT '0';
-- A branch's proposed data-package key, until it is confirmed or withdrawn.
CREATE TABLE branch_key_proposal (
    branch_id    BIGINT PRIMARY KEY,
    public_key   BYTEA   NOT NULL,
    proposer     BYTEA   NOT NULL,
    effective_at BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash      BYTEA   NOT NULL,
    log_index    BIGINT NOT NULL
);
