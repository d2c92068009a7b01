-- Version 7 to 8: changes to flows not folded into their rows yet (see schema.sql).
CREATE TABLE flow_pending (
  seq         INTEGER PRIMARY KEY,
  data        BLOB NOT NULL
);
