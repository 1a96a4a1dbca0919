-- What the gateway hardening added to the gateway's tables (never the indexer's; never rolled
-- back by a reorg). Every replica of a branch's gateway shares them through the branch database.

-- Sessions: the keccak256 of the bearer token (the token itself is never stored).
CREATE TABLE gateway_session (
    token_hash BYTEA   PRIMARY KEY,
    address    BYTEA   NOT NULL,
    created_at BIGINT NOT NULL, -- unix seconds
    expires_at BIGINT NOT NULL
);
CREATE INDEX gateway_session_expiry ON gateway_session (expires_at);

-- Sign-in nonces, each usable once until it expires; a client holds a few at most.
CREATE TABLE sign_in_nonce (
    nonce      TEXT   PRIMARY KEY,
    client     TEXT   NOT NULL, -- the client's IP address
    expires_at BIGINT NOT NULL
);
CREATE INDEX sign_in_nonce_client ON sign_in_nonce (client, expires_at);
CREATE INDEX sign_in_nonce_expiry ON sign_in_nonce (expires_at);

-- Texts prepared for a write, kept as notes once a relayed transaction carrying their hash
-- succeeds; the rest expire.
CREATE TABLE pending_note (
    hash       BYTEA   PRIMARY KEY,
    text       TEXT   NOT NULL,
    author     BYTEA   NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX pending_note_expiry ON pending_note (expires_at);

-- Gas the relayer spent for each signer, per UTC day (the daily budget).
CREATE TABLE relay_gas (
    signer  BYTEA   NOT NULL,
    day     BIGINT NOT NULL, -- days since 1970-01-01 UTC
    gas     BIGINT NOT NULL,
    relayed BIGINT NOT NULL,
    PRIMARY KEY (signer, day)
);

-- The access log as a hash chain: entry n's hash is keccak256(entry n-1's hash || its own
-- encoding); the head is anchored on chain (TimebankAccess.anchorAccessLog).
ALTER TABLE access_log ADD COLUMN seq BIGINT;
ALTER TABLE access_log ADD COLUMN entry_hash BYTEA;
CREATE UNIQUE INDEX access_log_seq ON access_log (seq);
CREATE TABLE access_log_head (
    id       SMALLINT PRIMARY KEY, -- always 1: one chain per branch database
    entries  BIGINT   NOT NULL,
    head     BYTEA,                 -- NULL before the first entry (the zero hash)
    anchored BIGINT   NOT NULL     -- entries covered by the last anchor sent
);
INSERT INTO access_log_head (id, entries, anchored) VALUES (1, 0, 0);
