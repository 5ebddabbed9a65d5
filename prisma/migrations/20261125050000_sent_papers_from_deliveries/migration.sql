-- "Already sent to this subscriber" is read from the digests themselves (deliveries.paper_ids of sent digests) instead
-- of a row per (subscriber, paper): sent_papers grew by papers-per-email rows for every digest (hundreds of millions a
-- year at 100,000 subscribers) and its inserts, with their foreign-key checks, were a sixth of PostgreSQL's work per
-- digest. Every row in it was written from a sent digest's paper_ids, which stay, so nothing is lost.
DROP TABLE "sent_papers";

-- The lookup that replaces it (a batch's subscribers' digests of recent editions) uses the existing unique index on
-- (subscriber_id, edition_id).
