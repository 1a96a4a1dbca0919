-- Counts the changes to who anyone is: the tables `Store::standing` reads (roles, operators,
-- branches, credential types, members). The indexer adds one in the transaction of every batch
-- that writes them and of every rollback, and never resets it, so a value never comes back: the
-- gateway keeps a caller's standing for as long as the count stays where it was read.
CREATE TABLE standing_version (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO standing_version (id, version) VALUES (1, 0);
