-- Version 1 to 2: logs loaded by ctrecord --import.
CREATE TABLE imports (
  id          INTEGER PRIMARY KEY,
  session     INTEGER NOT NULL REFERENCES sessions(id),
  digest      TEXT NOT NULL,
  bytes       INTEGER NOT NULL,
  format      TEXT NOT NULL,
  events      INTEGER NOT NULL,
  untimed     INTEGER NOT NULL
);
CREATE INDEX imports_digest ON imports(digest);
