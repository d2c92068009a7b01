-- Version 9 to 10: event blocks written from now on are stored in segments,
-- each compressed on its own with a Bloom filter of its own (lib/evblock.h);
-- blocks written before stay as they are and are read as they were. The
-- version tells older programs, which cannot read the new blocks, to stop.
-- The two views go: every reader parsed them with the schema, and only our
-- code used them (lib/store_sql.h has them now).
DROP VIEW IF EXISTS open_flow_ids;
DROP VIEW IF EXISTS flow_keys_of;
