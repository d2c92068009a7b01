-- Version 5 to 6, the SQL half: flows rebuilt (a mirrored reply tuple is not
-- stored twice; what the events said last is kept on the flow). Then
-- lib/store_migrate.c packs the events into event_blocks and drops table events.
CREATE TABLE flows6 (
  id          INTEGER PRIMARY KEY AUTOINCREMENT, -- our flow id (never reused: events
                                       -- of pruned flows may stay in blocks)
  session     INTEGER NOT NULL REFERENCES sessions(id),
  ct_id       INTEGER,                 -- CTA_ID; NULL when the kernel sent none
  family      INTEGER NOT NULL,        -- nfgen_family: 2 ipv4, 10 ipv6
  proto       INTEGER NOT NULL,        -- layer 4 protocol number
  o_l3        INTEGER NOT NULL,        -- tuple address family (2 or 10)
  o_src       BLOB NOT NULL,
  o_dst       BLOB NOT NULL,
  o_sport     INTEGER,
  o_dport     INTEGER,
  origin      INTEGER NOT NULL,        -- 0 seen from NEW, 1 in the start-up dump,
                                       -- 2 first seen after its NEW (a gap)
  first_us    INTEGER NOT NULL,        -- first event or dump, µs since the epoch
  end_dur     INTEGER,                 -- end_us - first_us; NULL while open
  end_kind    INTEGER,                 -- NULL open, 1 destroyed, 2 end unknown
  state       INTEGER,                 -- final protoinfo state (from the DESTROY)
  o_packets   INTEGER, o_bytes INTEGER, r_packets INTEGER, r_bytes INTEGER,
  last_dur    INTEGER,                 -- last_us - first_us
  nevents     INTEGER NOT NULL DEFAULT 0,
  status      INTEGER,                 -- the last CTA_STATUS an event carried
  mark        INTEGER,                 -- the last CTA_MARK an event carried
  -- DESTROY receive time, or when its end was found unknown; NULL while open
  end_us      INTEGER GENERATED ALWAYS AS (first_us + end_dur) VIRTUAL,
  -- the last event's receive time
  last_us     INTEGER GENERATED ALWAYS AS (first_us + last_dur) VIRTUAL
);
INSERT INTO flows6 (id, session, ct_id, family, proto, o_l3, o_src, o_dst, o_sport, o_dport,
  origin, first_us, end_dur, end_kind, state, o_packets, o_bytes, r_packets, r_bytes,
  last_dur, nevents, status, mark)
SELECT id, session, ct_id, family, proto, o_l3, o_src, o_dst, o_sport, o_dport,
  origin, first_us, end_us - first_us, end_kind, state, o_packets, o_bytes, r_packets, r_bytes,
  (SELECT max(t_us) FROM events WHERE flow = f.id) - first_us,
  (SELECT count(*) FROM events WHERE flow = f.id),
  (SELECT status FROM events WHERE flow = f.id AND status IS NOT NULL ORDER BY id DESC LIMIT 1),
  (SELECT mark FROM events WHERE flow = f.id AND mark IS NOT NULL ORDER BY id DESC LIMIT 1)
FROM flows f ORDER BY id;
CREATE TABLE flows_more (
  id          INTEGER PRIMARY KEY,     -- the flow's id
  zone        INTEGER,                 -- CTA_ZONE, NULL when not sent
  o_itype     INTEGER,                 -- ICMP type, code, id (orig)
  o_icode     INTEGER,
  o_iid       INTEGER,
  o_zone      INTEGER,                 -- CTA_TUPLE_ZONE of the original tuple
  r_l3        INTEGER,                 -- NULL: the reply tuple mirrors the original
  r_src       BLOB,
  r_dst       BLOB,
  r_sport     INTEGER,
  r_dport     INTEGER,
  r_itype     INTEGER,
  r_icode     INTEGER,
  r_iid       INTEGER,
  r_zone      INTEGER
);
INSERT INTO flows_more SELECT id, zone, o_itype, o_icode, o_iid, o_zone,
  r_l3, r_src, r_dst, r_sport, r_dport, r_itype, r_icode, r_iid, r_zone FROM flows;
-- A reply tuple that mirrors the original is not stored twice.
UPDATE flows_more SET r_l3 = NULL, r_src = NULL, r_dst = NULL, r_sport = NULL,
  r_dport = NULL, r_itype = NULL, r_icode = NULL, r_iid = NULL, r_zone = NULL
  WHERE (SELECT r_l3 = o_l3 AND r_src = o_dst AND r_dst = o_src AND r_sport IS o_dport
    AND r_dport IS o_sport AND r_itype IS o_itype AND r_icode IS o_icode AND r_iid IS o_iid
    AND r_zone IS o_zone FROM flows f WHERE f.id = flows_more.id);
DELETE FROM flows_more WHERE zone IS NULL AND o_itype IS NULL AND o_icode IS NULL
  AND o_iid IS NULL AND o_zone IS NULL AND r_l3 IS NULL;
DROP TABLE flows;
ALTER TABLE flows6 RENAME TO flows;
CREATE INDEX flows_open ON flows(first_us) WHERE end_dur IS NULL;

-- Where to look for flows (version 6): which ranges of 1024 flow ids (rng =
-- (id - 1) >> 10) hold a flow with that key. One row per distinct key and
-- range, not per flow: addresses and ports repeat, so this is a fraction of
-- the indexes it replaces, and a query reads only the ranges listed.
--   kind 1: original source address (val: 4 or 16 bytes)
--   kind 2: original destination address
--   kind 3: original destination port (val: the port)
--   kind 4: an ended flow's duration class and start (val: d * 2^44 + first_us >> 20,
--           d the digits of its duration in µs: alive at T means started in
--           [T - 10^d, T])
CREATE TABLE flow_keys (
  kind        INTEGER NOT NULL,
  val         NOT NULL,
  rng         INTEGER NOT NULL,
  PRIMARY KEY (kind, val, rng)
) WITHOUT ROWID;

-- The keys of each flow, as flow_keys holds them: the one definition that the
-- writer, the migration and retention use.
CREATE VIEW flow_keys_of AS
  SELECT id, 1 AS kind, o_src AS val, (id - 1) >> 10 AS rng FROM flows
  UNION ALL SELECT id, 2, o_dst, (id - 1) >> 10 FROM flows
  UNION ALL SELECT id, 3, o_dport, (id - 1) >> 10 FROM flows WHERE o_dport IS NOT NULL
  UNION ALL SELECT id, 4, length(end_dur) * 17592186044416 + (first_us >> 20),
    (id - 1) >> 10 FROM flows WHERE end_dur IS NOT NULL;
INSERT INTO flow_keys SELECT DISTINCT kind, val, rng FROM flow_keys_of;

CREATE TABLE event_blocks (
  id          INTEGER PRIMARY KEY,
  session     INTEGER NOT NULL,        -- the session that stored these events
  first_event INTEGER NOT NULL,        -- id of the first record's event
  n           INTEGER NOT NULL,        -- records
  first_us    INTEGER NOT NULL,        -- earliest receive time in the block
  last_us     INTEGER NOT NULL,        -- latest
  min_flow    INTEGER NOT NULL,        -- smallest and largest flow id in it
  max_flow    INTEGER NOT NULL
);
-- Each block's Bloom filter and records, apart from the headers so that
-- finding the blocks of a time or a flow reads small rows only.
CREATE TABLE event_data (
  id          INTEGER PRIMARY KEY,     -- the block's id
  bloom       BLOB NOT NULL,           -- Bloom filter of its flow ids (lib/evblock.c)
  data        BLOB NOT NULL            -- the records
);
CREATE INDEX event_blocks_time ON event_blocks(last_us);
