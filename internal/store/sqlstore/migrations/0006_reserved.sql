-- Number 0006 belongs to a change made beside this one on main; this file only keeps the
-- numbering whole on this branch and goes when that migration takes its place.
SELECT 1;
