-- Version 2 to 3: flows by end time (retention, flows alive at an instant), and what retention removed.
CREATE INDEX flows_end ON flows(end_us);
CREATE TABLE prunes (
  id          INTEGER PRIMARY KEY,
  t_us        INTEGER NOT NULL,
  before_us   INTEGER NOT NULL,
  flows       INTEGER NOT NULL,
  events      INTEGER NOT NULL
);
