-- The risk agent's case policy (docs/risk.md, "Cases"): one open case per account and detector,
-- and a daily cap of cases per account. A finding that would otherwise open a second case is
-- stored as evidence added to the case already open (`joins_finding`: the finding that opened
-- it), so a ring passing coins round all day opens a handful of cases, not hundreds. A finding
-- that joins never opens a case of its own (it is not owed one after a restart).
ALTER TABLE risk_finding ADD COLUMN joins_finding BIGINT;
CREATE INDEX risk_finding_joins ON risk_finding (joins_finding);
CREATE INDEX risk_finding_account_detector ON risk_finding (account, detector, finding_id);
