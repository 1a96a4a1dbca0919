-- The risk agent's (`timebank-riskscan`): what its detectors found about accounts, with the
-- evidence a supervisor reads beside the case it opened, and what its scans found about the
-- platform itself. Only the agent writes these; the gateway reads them. A reorg does not roll
-- them back (a finding names the blocks of its evidence; a case it opened on a dropped block
-- is opened again from the finding).

-- A pattern about accounts, reported once: `fingerprint` is the detector and the payments that
-- began the pattern, so the same pattern found again (a rescan, a restart) is not a new finding.
CREATE TABLE risk_finding (
    finding_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint  BLOB    NOT NULL UNIQUE,
    detector     TEXT    NOT NULL,
    account      BLOB    NOT NULL,  -- the account the case is about
    counterparty BLOB    NOT NULL,  -- the other side that matters most (zero if none)
    severity     SMALLINT NOT NULL, -- 1 low, 2 medium, 3 high, 4 critical
    score        BIGINT  NOT NULL,  -- orders the inbox: higher first
    summary      TEXT    NOT NULL,  -- one line, Simplified Chinese then English
    evidence     TEXT    NOT NULL,  -- JSON: the payments, the path, the figures
    reason_hash  BLOB    NOT NULL,  -- keccak256 of the evidence: the case's reasonHash on chain
    first_block  BIGINT  NOT NULL,
    last_block   BIGINT  NOT NULL,
    found_at     BIGINT  NOT NULL,  -- unix seconds (the agent's clock)
    case_tx      BLOB               -- the openCase transaction, once sent
);
CREATE INDEX risk_finding_reason ON risk_finding (reason_hash);
CREATE INDEX risk_finding_account ON risk_finding (account);

-- A weak spot of the platform, one row per check and subject while it lasts: opened when a scan
-- first sees it, its last sighting kept current, resolved when a scan no longer sees it.
CREATE TABLE platform_finding (
    finding_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    check_name   TEXT    NOT NULL,
    subject      TEXT    NOT NULL,  -- a branch, a node, a contract, an account
    severity     SMALLINT NOT NULL,
    summary      TEXT    NOT NULL,
    remediation  TEXT    NOT NULL,  -- what to do and who does it
    details      TEXT    NOT NULL,  -- JSON
    first_seen   BIGINT  NOT NULL,
    last_seen    BIGINT  NOT NULL,
    resolved_at  BIGINT
);
CREATE UNIQUE INDEX platform_finding_open ON platform_finding (check_name, subject)
    WHERE resolved_at IS NULL;
