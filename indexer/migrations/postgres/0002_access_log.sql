-- Written by the gateway, never by the indexer (and never rolled back by a reorg): who read which
-- member's private profile, when, through which branch's gateway, and why.
CREATE TABLE access_log (
    id              BIGSERIAL PRIMARY KEY,
    at              BIGINT  NOT NULL, -- unix seconds
    reader          BYTEA   NOT NULL,
    reader_roles    TEXT    NOT NULL, -- comma-separated, as the gateway saw them
    account         BYTEA   NOT NULL,
    member_id       BIGINT  NOT NULL,
    profile_version BIGINT  NOT NULL,
    reason          TEXT    NOT NULL,
    gateway_branch  BIGINT  NOT NULL
);
CREATE INDEX access_log_account ON access_log (account, id);
