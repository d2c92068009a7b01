-- The ctrecord database, schema version 10: sessions, flows, blocks of their events, gaps.
-- Owned by lib/store.c; PRAGMA user_version holds the version.

-- One recorder run or one import.
CREATE TABLE sessions (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,           -- 'record' or 'import'
  started_us  INTEGER NOT NULL,        -- µs since the epoch
  stopped_us  INTEGER,                 -- NULL: still running, or it crashed
  host        TEXT,
  pid         INTEGER,
  source      TEXT,                    -- import: the file
  version     TEXT NOT NULL            -- ctrecord's version
);

-- One conntrack entry's lifetime. Tuples are stored once, here.
-- Addresses are 4 or 16 raw bytes; ports are NULL for protocols without them.
-- What most flows lack (a zone, ICMP fields, tuple zones, a reply tuple other
-- than the original's mirror) is in flows_more (version 6): a row costs one
-- byte per column even when NULL. Times past first_us are stored as offsets
-- from it (fewer bytes) and read as the generated columns end_us, last_us.
CREATE TABLE flows (
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
  state       INTEGER,                 -- the last protoinfo state an event carried
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
-- Open flows, for "alive at T" (version 7): per range of 1024 flow ids, a
-- JSON array of the offsets (id - 1) & 1023 of its flows that had no end when
-- the row was written. A superset: a flow enters in the transaction that
-- stores it, but a flow that ends leaves only when its range is next written
-- (within seconds, lib/store_open.c), so readers check end_dur IS NULL. One
-- row per range rather than an index entry per flow: ending a flow costs no
-- index write.
CREATE TABLE open_ranges (
  rng         INTEGER PRIMARY KEY,     -- (id - 1) >> 10
  first_us    INTEGER NOT NULL,        -- at most the first_us of any flow listed
  ids         TEXT NOT NULL            -- e.g. [0,1,5]
);
-- The flow ids it lists: STORE_OPEN_FLOW_IDS in lib/store_sql.h (a view
-- until version 10: each reader parsed it with the schema).

-- The rest of a flow's tuples, for the flows that have any of it (version 6).
-- No row: no zone, no ICMP fields, no tuple zones, and a mirrored reply.
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

-- The keys of each flow, as flow_keys holds them: STORE_FLOW_KEYS_OF in
-- lib/store_sql.h (a view until version 10).

-- Events (version 6), in blocks of up to 2048 (4096 before) in the order received: the
-- records of lib/evblock.c, one per event, with only what that event carried
-- (absent attributes stay absent), attributes with no field kept verbatim.
-- Event ids are first_event + the record's position: increasing in the order
-- stored. A block may grow at later commits while it is the last one.
CREATE TABLE event_blocks (
  id          INTEGER PRIMARY KEY,
  session     INTEGER NOT NULL,        -- the session that stored these events
  first_event INTEGER NOT NULL,        -- id of the first record's event
  n           INTEGER NOT NULL,        -- records
  first_us    INTEGER NOT NULL,        -- earliest receive time in the block
  last_us     INTEGER NOT NULL,        -- latest
  min_flow    INTEGER NOT NULL,        -- smallest and largest flow id in it
  max_flow    INTEGER NOT NULL,
  -- its records of each type (version 7), packed: NEW | UPDATE << 13 |
  -- DESTROY << 26 | DUMP << 39; NULL in a block from before: read it to count
  types       INTEGER
);
-- Each block's Bloom filter and records, apart from the headers so that
-- finding the blocks of a time or a flow reads small rows only.
CREATE TABLE event_data (
  id          INTEGER PRIMARY KEY,     -- the block's id
  bloom       BLOB NOT NULL,           -- Bloom filters of its segments' flow ids (lib/evblock.h)
  data        BLOB NOT NULL            -- the records, in segments (version 10; one before)
);
CREATE INDEX event_blocks_time ON event_blocks(last_us);

-- Changes to flows already stored (version 8): the events that came after a
-- flow's row was written, and its end, as one row per flush of the writer
-- (lib/store_pending.c codes them). The writer folds them into flows in id
-- order every ten seconds or so, then deletes them: a DESTROY storm ends flows all
-- over the table, and folding them at once rewrites each page of flows once
-- rather than at every commit. Readers apply them as the writer will
-- (lib/store_overlay.c).
CREATE TABLE flow_pending (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: a writer can tell
                                       -- that another changed the table
  data        BLOB NOT NULL            -- per flow: id delta, what changed, values (varints)
);

-- Where history may be incomplete.
CREATE TABLE gaps (
  id          INTEGER PRIMARY KEY,
  session     INTEGER NOT NULL REFERENCES sessions(id),
  t_us        INTEGER NOT NULL,
  kind        TEXT NOT NULL,           -- 'enobufs', 'outage', ...
  lost        INTEGER                  -- events lost, when known
);

-- Messages that could not be decoded, kept whole.
CREATE TABLE unparsed (
  id          INTEGER PRIMARY KEY,
  session     INTEGER NOT NULL REFERENCES sessions(id),
  t_us        INTEGER NOT NULL,
  msg         BLOB NOT NULL
);

-- Logs loaded by ctrecord --import (version 2): the same content is refused twice.
CREATE TABLE imports (
  id          INTEGER PRIMARY KEY,
  session     INTEGER NOT NULL REFERENCES sessions(id),
  digest      TEXT NOT NULL,           -- hash of the log's bytes (not cryptographic) and its size
  bytes       INTEGER NOT NULL,
  format      TEXT NOT NULL,           -- 'text', 'xml' or 'save' (conntrack -E -o save)
  events      INTEGER NOT NULL,
  untimed     INTEGER NOT NULL,        -- events without a time in the log: stored at the import's time
  continues   INTEGER                  -- (version 9) the import session whose open flows this
                                       -- one continued (a log that grew since, --continue); NULL: none
);
CREATE INDEX imports_digest ON imports(digest);

-- What retention removed (version 3): history before before_us is gone.
CREATE TABLE prunes (
  id          INTEGER PRIMARY KEY,
  t_us        INTEGER NOT NULL,        -- when the pruning step ran
  before_us   INTEGER NOT NULL,        -- flows ended before this were removed
  flows       INTEGER NOT NULL,
  events      INTEGER NOT NULL
);
