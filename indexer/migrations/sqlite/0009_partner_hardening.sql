-- Partners stop hearing when they should: a partner whose role is revoked, or a member who
-- withdraws their consent, cancels the messages still queued (the indexer's, written with the
-- event that causes it, append-only and rolled back with a reorg like the outbox).

-- The member a message is about, so a withdrawn consent cancels that member's messages only.
-- Messages written before this column have none: a consent withdrawn to their partner cancels
-- them all (what is not sure to be wanted is not sent).
ALTER TABLE webhook_outbox ADD COLUMN member_id BIGINT;

-- A cancellation of a partner's messages written before it: all of them (member_id NULL, the
-- partner role revoked) or those about one member (their consent withdrawn).
CREATE TABLE webhook_cancellation (
    partner      BLOB   NOT NULL,
    member_id    BIGINT,
    block_number BIGINT NOT NULL,
    tx_hash      BLOB   NOT NULL,
    log_index    BIGINT NOT NULL,
    PRIMARY KEY (tx_hash, log_index, partner)
);
CREATE INDEX webhook_cancellation_partner ON webhook_cancellation (partner);
CREATE INDEX webhook_cancellation_block ON webhook_cancellation (block_number);
