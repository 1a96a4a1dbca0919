-- Tables the gateway writes (never the indexer; never rolled back by a reorg).

-- Who read which member's private profile, when, through which branch's gateway, and why.
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

-- Written by the gateway: the text behind a hash that went on chain (a case decision's note, a
-- reason). The chain keeps the hash; the text stays here, at the branch that wrote it.
CREATE TABLE note (
    hash   BYTEA  PRIMARY KEY, -- keccak256 of the text
    text   TEXT   NOT NULL,
    author BYTEA  NOT NULL,
    at     BIGINT NOT NULL
);
