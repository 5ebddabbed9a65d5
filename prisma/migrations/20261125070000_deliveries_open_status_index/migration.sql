-- Each claim and `sent` mark writes a new version of a delivery row, and every index without a predicate gets an entry
-- for every version. The sweeper (pending rows) and the error metrics (failed, bounced rows) only read rows that are
-- not in flight or sent, so their index now holds only those: the two writes of every email skip it.
-- (Prisma's schema cannot express a partial index; schema.prisma says where it is.)
DROP INDEX "deliveries_status_created_at_idx";
CREATE INDEX "deliveries_open_status_created_at_idx" ON "deliveries" ("status", "created_at") WHERE "status" IN ('pending', 'failed', 'bounced');
