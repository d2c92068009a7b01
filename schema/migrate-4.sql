-- Version 3 to 4: each event names the session (recorder run or import) that stored it.
ALTER TABLE events ADD COLUMN session INTEGER;
