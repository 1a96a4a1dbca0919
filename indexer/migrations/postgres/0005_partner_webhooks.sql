-- Warnings back to partner institutions. The indexer writes who consented and what waits to be
-- sent, in the same transaction as the events that cause it; the gateway writes where each
-- partner receives, and how each delivery went.

-- A member's consent that a partner hears of their membership (current state, by member id).
CREATE TABLE partner_consent (
    member_id    BIGINT  NOT NULL,
    partner      BYTEA    NOT NULL,
    granted      BOOLEAN NOT NULL,
    block_number BIGINT  NOT NULL,
    tx_hash      BYTEA    NOT NULL,
    log_index    BIGINT  NOT NULL,
    PRIMARY KEY (member_id, partner)
);

-- One message per consenting partner per event (append-only; rolled back with a reorg).
CREATE TABLE webhook_outbox (
    partner      BYTEA   NOT NULL,
    kind         TEXT   NOT NULL, -- member.risk_changed, member.status_changed, case.decided
    data         TEXT   NOT NULL, -- JSON of the event's public fields
    block_number BIGINT NOT NULL,
    block_time   BIGINT NOT NULL,
    tx_hash      BYTEA   NOT NULL,
    log_index    BIGINT NOT NULL,
    PRIMARY KEY (tx_hash, log_index, partner)
);
CREATE INDEX webhook_outbox_block ON webhook_outbox (block_number);

-- Where a partner receives webhooks, and its signing secrets (the previous one still signs
-- until `previous_until`, so a partner can rotate without missing a message).
CREATE TABLE partner_endpoint (
    partner         BYTEA   PRIMARY KEY,
    url             TEXT   NOT NULL,
    secret          TEXT   NOT NULL,
    previous_secret TEXT,
    previous_until  BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- How each message's delivery went (the gateway's).
CREATE TABLE webhook_delivery (
    partner         BYTEA    NOT NULL,
    tx_hash         BYTEA    NOT NULL,
    log_index       BIGINT  NOT NULL,
    attempts        BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    claimed_until   BIGINT  NOT NULL,
    delivered_at    BIGINT,
    dead            BOOLEAN NOT NULL,
    last_error      TEXT,
    PRIMARY KEY (tx_hash, log_index, partner)
);
CREATE INDEX webhook_delivery_due ON webhook_delivery (delivered_at, next_attempt_at);
