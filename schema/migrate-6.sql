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
  zone        INTEGER,                 -- CTA_ZONE, NULL when not sent
  o_l3        INTEGER NOT NULL,        -- tuple address family (2 or 10)
  o_src       BLOB NOT NULL,
  o_dst       BLOB NOT NULL,
  o_sport     INTEGER,
  o_dport     INTEGER,
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
  r_zone      INTEGER,
  origin      INTEGER NOT NULL,        -- 0 seen from NEW, 1 in the start-up dump,
                                       -- 2 first seen after its NEW (a gap)
  first_us    INTEGER NOT NULL,        -- first event or dump
  end_us      INTEGER,                 -- DESTROY receive time; NULL while open
  end_kind    INTEGER,                 -- NULL open, 1 destroyed, 2 end unknown
  state       INTEGER,                 -- final protoinfo state (from the DESTROY)
  o_packets   INTEGER, o_bytes INTEGER, r_packets INTEGER, r_bytes INTEGER,
  -- version 6: what its events said last, kept here as they are stored
  last_us     INTEGER,                 -- the last event's receive time
  nevents     INTEGER NOT NULL DEFAULT 0,
  status      INTEGER,                 -- the last CTA_STATUS an event carried
  mark        INTEGER                  -- the last CTA_MARK an event carried
);
INSERT INTO flows6 (id, session, ct_id, family, proto, zone,
  o_l3, o_src, o_dst, o_sport, o_dport, o_itype, o_icode, o_iid, o_zone,
  r_l3, r_src, r_dst, r_sport, r_dport, r_itype, r_icode, r_iid, r_zone,
  origin, first_us, end_us, end_kind, state, o_packets, o_bytes, r_packets, r_bytes,
  last_us, nevents, status, mark)
SELECT id, session, ct_id, family, proto, zone,
  o_l3, o_src, o_dst, o_sport, o_dport, o_itype, o_icode, o_iid, o_zone,
  r_l3, r_src, r_dst, r_sport, r_dport, r_itype, r_icode, r_iid, r_zone,
  origin, first_us, end_us, end_kind, state, o_packets, o_bytes, r_packets, r_bytes,
  (SELECT max(t_us) FROM events WHERE flow = f.id),
  (SELECT count(*) FROM events WHERE flow = f.id),
  (SELECT status FROM events WHERE flow = f.id AND status IS NOT NULL ORDER BY id DESC LIMIT 1),
  (SELECT mark FROM events WHERE flow = f.id AND mark IS NOT NULL ORDER BY id DESC LIMIT 1)
FROM flows f ORDER BY id;
UPDATE flows6 SET r_l3 = NULL, r_src = NULL, r_dst = NULL, r_sport = NULL, r_dport = NULL,
  r_itype = NULL, r_icode = NULL, r_iid = NULL, r_zone = NULL
  WHERE r_l3 = o_l3 AND r_src = o_dst AND r_dst = o_src AND r_sport IS o_dport
    AND r_dport IS o_sport AND r_itype IS o_itype AND r_icode IS o_icode AND r_iid IS o_iid
    AND r_zone IS o_zone;
DROP TABLE flows;
ALTER TABLE flows6 RENAME TO flows;
CREATE INDEX flows_o_src ON flows(o_src);
CREATE INDEX flows_o_dst ON flows(o_dst);
CREATE INDEX flows_o_dport ON flows(o_dport);
CREATE INDEX flows_end ON flows(end_us);
CREATE INDEX flows_span ON flows(length(end_us - first_us), first_us);
CREATE TABLE event_blocks (
  id          INTEGER PRIMARY KEY,
  session     INTEGER NOT NULL,        -- the session that stored these events
  first_event INTEGER NOT NULL,        -- id of the first record's event
  n           INTEGER NOT NULL,        -- records
  first_us    INTEGER NOT NULL,        -- earliest receive time in the block
  last_us     INTEGER NOT NULL,        -- latest
  min_flow    INTEGER NOT NULL,        -- smallest and largest flow id in it
  max_flow    INTEGER NOT NULL,
  bloom       BLOB NOT NULL,           -- Bloom filter of its flow ids (lib/evblock.c)
  data        BLOB NOT NULL            -- the records
);
CREATE INDEX event_blocks_time ON event_blocks(last_us);
