-- Version 4 to 5: flows by the order of magnitude of their duration, so "alive at T" reads only flows that can be.
CREATE INDEX flows_span ON flows(length(end_us - first_us), first_us);
-- It serves every query flows_first served (first_us ranges, per class).
DROP INDEX IF EXISTS flows_first;
