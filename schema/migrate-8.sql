-- Version 7 to 8: changes to flows not folded into their rows yet (see schema.sql).
CREATE TABLE flow_pending (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: a writer can tell
                                       -- that another changed the table
  data        BLOB NOT NULL
);
