-- timebank indexer schema, version 1.
-- Conventions: addresses and hashes are raw bytes; token amounts are exact decimal strings (TIME
-- base units, 18 decimals) with an `_micro` companion in millionths of an hour for sums; enums are
-- the contracts' uint8 values. Every row names the block, transaction and log it came from
-- (for a mutable row: its last change). Tables marked "append-only" are rolled back by block on a
-- reorg; the others are rebuilt by replaying event_log.

-- Progress: the last block whose logs are all written, and the blocks seen (for reorgs).
CREATE TABLE indexer_checkpoint (
    id           BIGINT PRIMARY KEY CHECK (id = 1),
    block_number BIGINT NOT NULL,
    block_hash   BLOB   NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE TABLE indexed_block (
    block_number BIGINT PRIMARY KEY,
    block_hash   BLOB   NOT NULL,
    block_time   BIGINT NOT NULL
);

-- append-only: every log of the timebank contracts, decoded. A coin movement (the ERC-20
-- Transfer of a mint, transfer, burn or escrow) carries its payment in the same row: one row per
-- movement keeps the bulk of a backfill to one insert and three index entries.
CREATE TABLE event_log (
    block_number BIGINT NOT NULL,
    block_hash   BLOB   NOT NULL,
    block_time   BIGINT NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL,
    contract     TEXT   NOT NULL,
    address      BLOB   NOT NULL,
    event        TEXT   NOT NULL,
    fields       TEXT   NOT NULL, -- JSON object of the decoded fields
    topics       BLOB   NOT NULL, -- raw topics, 32 bytes each, for replay
    data         BLOB   NOT NULL,
    -- The payment, on TimeCoin Transfer rows only (NULL elsewhere), with its purpose and both
    -- sides' balances after it.
    sender            BLOB,        -- zero address for a mint
    recipient         BLOB,        -- zero address for a burn; the coin itself for escrow
    amount            TEXT,
    amount_micro      BIGINT,
    purpose           SMALLINT,
    ref               BLOB,
    sender_balance    TEXT,
    recipient_balance TEXT,
    -- One index serves chain order and idempotency (a block hash fixes its number).
    CONSTRAINT event_log_key UNIQUE (block_number, log_index, block_hash)
);
CREATE INDEX payment_sender ON event_log (sender, block_number, log_index)
    WHERE sender IS NOT NULL;
CREATE INDEX payment_recipient ON event_log (recipient, block_number, log_index)
    WHERE recipient IS NOT NULL;

-- Every coin movement, oldest first by (block_number, log_index).
CREATE VIEW payment AS
    SELECT block_number, block_hash, block_time, tx_hash, log_index, sender, recipient, amount,
           amount_micro, purpose, ref, sender_balance, recipient_balance
    FROM event_log WHERE sender IS NOT NULL;

-- append-only: the accounts each non-payment event is about (payments index their own).
CREATE TABLE event_account (
    account      BLOB   NOT NULL,
    block_number BIGINT NOT NULL,
    block_hash   BLOB   NOT NULL,
    log_index    BIGINT NOT NULL,
    CONSTRAINT event_account_key UNIQUE (account, block_hash, log_index)
);
CREATE INDEX event_account_history ON event_account (account, block_number, log_index);

-- append-only: monitoring rule hits (alerts).
CREATE TABLE rule_hit (
    block_number BIGINT NOT NULL,
    block_hash   BLOB   NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL,
    sender       BLOB   NOT NULL,
    recipient    BLOB   NOT NULL,
    amount       TEXT   NOT NULL,
    purpose      SMALLINT NOT NULL,
    ref          BLOB   NOT NULL,
    rules        BIGINT NOT NULL,
    action       SMALLINT NOT NULL,
    hold_id      BIGINT NOT NULL,
    CONSTRAINT rule_hit_key UNIQUE (block_hash, log_index)
);

-- append-only: each member's profile versions as published.
CREATE TABLE profile_version (
    member_id      BIGINT NOT NULL,
    version        BIGINT NOT NULL,
    account        BLOB   NOT NULL,
    branch_id      BIGINT NOT NULL,
    commitment     BLOB   NOT NULL,
    encrypted_data BLOB   NOT NULL,
    operator       BLOB   NOT NULL,
    block_number   BIGINT NOT NULL,
    block_hash     BLOB   NOT NULL,
    tx_hash        BLOB   NOT NULL,
    log_index      BIGINT NOT NULL,
    CONSTRAINT profile_version_key UNIQUE (block_hash, log_index)
);
CREATE INDEX profile_version_member ON profile_version (member_id, version);

-- append-only: rewards settled.
CREATE TABLE activity_settlement (
    activity_id  BIGINT NOT NULL,
    volunteer    BLOB   NOT NULL,
    branch_id    BIGINT NOT NULL,
    amount       TEXT   NOT NULL,
    amount_micro BIGINT NOT NULL,
    operator     BLOB   NOT NULL,
    block_number BIGINT NOT NULL,
    block_hash   BLOB   NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL,
    CONSTRAINT activity_settlement_key UNIQUE (block_hash, log_index)
);

-- current state (rebuilt by replay after a reorg) -----------------------------------------------
CREATE TABLE branch (
    branch_id    BIGINT PRIMARY KEY,
    name         TEXT   NOT NULL,
    region       TEXT   NOT NULL,
    public_key   BLOB   NOT NULL,
    active       BOOLEAN NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL
);
CREATE TABLE role_member (
    role         BLOB   NOT NULL,
    account      BLOB   NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL,
    PRIMARY KEY (role, account)
);
CREATE TABLE operator (
    account      BLOB   PRIMARY KEY,
    branch_id    BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL
);
CREATE TABLE member (
    account         BLOB   PRIMARY KEY,
    member_id       BIGINT NOT NULL,
    home_branch     BIGINT NOT NULL,
    status          SMALLINT NOT NULL,
    risk            SMALLINT NOT NULL,
    profile_version BIGINT NOT NULL,
    commitment      BLOB   NOT NULL,
    pending_move_to BIGINT NOT NULL,
    submitted_by    BLOB   NOT NULL,
    submitted_at    BIGINT NOT NULL,
    activated_at    BIGINT NOT NULL,
    block_number    BIGINT NOT NULL,
    tx_hash         BLOB   NOT NULL,
    log_index       BIGINT NOT NULL
);
CREATE UNIQUE INDEX member_id ON member (member_id);
CREATE INDEX member_branch ON member (home_branch);
CREATE TABLE risk_alert (
    alert_id     BIGINT PRIMARY KEY,
    account      BLOB   NOT NULL,
    partner      BLOB   NOT NULL,
    reason_hash  BLOB   NOT NULL,
    assessed     BOOLEAN NOT NULL,
    level        SMALLINT NOT NULL,
    supervisor   BLOB   NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL
);
CREATE TABLE credential_type (
    type_id      BIGINT PRIMARY KEY,
    kind         SMALLINT NOT NULL,
    name         TEXT   NOT NULL,
    active       BOOLEAN NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL
);
CREATE TABLE credential (
    member_id     BIGINT NOT NULL,
    type_id       BIGINT NOT NULL,
    account       BLOB   NOT NULL,
    issuer        BLOB   NOT NULL,
    document_hash BLOB   NOT NULL,
    issued_at     BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked       BOOLEAN NOT NULL,
    block_number  BIGINT NOT NULL,
    tx_hash       BLOB   NOT NULL,
    log_index     BIGINT NOT NULL,
    PRIMARY KEY (member_id, type_id)
);
CREATE TABLE balance (
    account      BLOB   PRIMARY KEY,
    amount       TEXT   NOT NULL,
    amount_micro BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    log_index    BIGINT NOT NULL
);
CREATE TABLE activity (
    activity_id              BIGINT PRIMARY KEY,
    branch_id                BIGINT NOT NULL,
    kind                     SMALLINT NOT NULL,
    organizer                BLOB   NOT NULL,
    hours_cap                TEXT   NOT NULL,
    required_credential_type BIGINT NOT NULL,
    details_hash             BLOB   NOT NULL,
    status                   SMALLINT NOT NULL,
    block_number             BIGINT NOT NULL,
    tx_hash                  BLOB   NOT NULL,
    log_index                BIGINT NOT NULL
);
CREATE TABLE participation (
    activity_id  BIGINT NOT NULL,
    volunteer    BLOB   NOT NULL,
    status       SMALLINT NOT NULL,
    amount       TEXT   NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL,
    PRIMARY KEY (activity_id, volunteer)
);
CREATE TABLE mint_quota (
    branch_id    BIGINT PRIMARY KEY,
    quota_limit  TEXT   NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL
);
CREATE TABLE service (
    service_id   BIGINT PRIMARY KEY,
    provider     BLOB   NOT NULL,
    requester    BLOB   NOT NULL,
    amount       TEXT   NOT NULL,
    details_hash BLOB   NOT NULL,
    status       SMALLINT NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL
);
CREATE TABLE coin_hold (
    hold_id      BIGINT PRIMARY KEY,
    sender       BLOB   NOT NULL,
    recipient    BLOB   NOT NULL,
    amount       TEXT   NOT NULL,
    purpose      SMALLINT NOT NULL,
    ref          BLOB   NOT NULL,
    status       SMALLINT NOT NULL, -- 1 held, 2 released, 3 returned
    block_number BIGINT NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL
);
CREATE TABLE supervision_case (
    case_id      BIGINT PRIMARY KEY,
    account      BLOB   NOT NULL,
    counterparty BLOB   NOT NULL,
    rules        BIGINT NOT NULL,
    action       SMALLINT NOT NULL,
    amount       TEXT   NOT NULL,
    purpose      SMALLINT NOT NULL,
    ref          BLOB   NOT NULL,
    hold_id      BIGINT NOT NULL,
    opened_by    BLOB   NOT NULL,
    reason_hash  BLOB   NOT NULL,
    status       SMALLINT NOT NULL, -- 1 open, 2 cleared, 3 confirmed
    note_hash    BLOB ,
    decided_by   BLOB ,
    risk_level   SMALLINT,
    opened_block BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL
);
CREATE INDEX supervision_case_account ON supervision_case (account, status);
