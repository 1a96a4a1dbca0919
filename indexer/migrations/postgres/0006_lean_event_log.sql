-- A leaner event log: each log's fields are read from its raw topics and data when shown (they
-- were also stored as JSON, a third of a movement's row), and its key is its place on the chain
-- (block, index) without the block hash: a reorg deletes the rows above its fork point, so no
-- two stored logs share a place. The table is rebuilt the same way on both databases.

DROP VIEW payment;
DROP INDEX payment_sender;
DROP INDEX payment_recipient;
ALTER TABLE event_log RENAME TO event_log_old;
CREATE TABLE event_log (
    block_number BIGINT NOT NULL,
    block_hash   BYTEA  NOT NULL,
    block_time   BIGINT NOT NULL,
    tx_hash      BYTEA  NOT NULL,
    log_index    BIGINT NOT NULL,
    contract     TEXT   NOT NULL,
    address      BYTEA  NOT NULL,
    event        TEXT   NOT NULL,
    topics       BYTEA  NOT NULL, -- raw topics, 32 bytes each: with data, the decoded fields
    data         BYTEA  NOT NULL,
    -- The payment, on TimeCoin Transfer rows only (NULL elsewhere), with its purpose and both
    -- sides' balances after it.
    sender            BYTEA,        -- zero address for a mint
    recipient         BYTEA,        -- zero address for a burn; the coin itself for escrow
    amount            TEXT,
    amount_micro      BIGINT,
    purpose           SMALLINT,
    ref               BYTEA,
    sender_balance    TEXT,
    recipient_balance TEXT,
    -- One index serves chain order and idempotency.
    CONSTRAINT event_log_place UNIQUE (block_number, log_index)
);
INSERT INTO event_log
    SELECT block_number, block_hash, block_time, tx_hash, log_index, contract, address, event,
           topics, data, sender, recipient, amount, amount_micro, purpose, ref, sender_balance,
           recipient_balance
    FROM event_log_old;
DROP TABLE event_log_old;
CREATE INDEX payment_sender ON event_log (sender, block_number, log_index)
    WHERE sender IS NOT NULL;
CREATE INDEX payment_recipient ON event_log (recipient, block_number, log_index)
    WHERE recipient IS NOT NULL;
CREATE VIEW payment AS
    SELECT block_number, block_hash, block_time, tx_hash, log_index, sender, recipient, amount,
           amount_micro, purpose, ref, sender_balance, recipient_balance
    FROM event_log WHERE sender IS NOT NULL;
