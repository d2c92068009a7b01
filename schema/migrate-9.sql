-- Version 8 to 9: an import that continued an earlier one's open flows (a
-- log that grew since, or --continue) names it (see schema.sql).
ALTER TABLE imports ADD COLUMN continues INTEGER;
