-- Number 0007 is the team-messaging change's (developed beside this one); this file only keeps the
-- numbering whole on this branch and goes when that migration takes its place.
SELECT 1;
