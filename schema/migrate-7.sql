-- Version 6 to 7: open flows are listed per range of flow ids in open_ranges
-- rather than by the partial index flows_open, and blocks count their events
-- of each type (see schema.sql). From version 5, lib/store_migrate.c then
-- packs the events into blocks.
CREATE TABLE open_ranges (
  rng         INTEGER PRIMARY KEY,     -- (id - 1) >> 10
  first_us    INTEGER NOT NULL,        -- at most the first_us of any flow listed
  ids         TEXT NOT NULL            -- e.g. [0,1,5]
);
INSERT INTO open_ranges (rng, first_us, ids)
  SELECT (id - 1) >> 10, min(first_us), json_group_array((id - 1) & 1023)
  FROM (SELECT id, first_us FROM flows WHERE end_dur IS NULL ORDER BY id)
  GROUP BY (id - 1) >> 10;
CREATE VIEW open_flow_ids AS
  SELECT (o.rng << 10) + 1 + j.value AS id, o.first_us AS range_first_us
  FROM open_ranges o, json_each(o.ids) j;
DROP INDEX flows_open;
ALTER TABLE event_blocks ADD COLUMN types INTEGER;
