-- An edition's progress (the CLI's progress bar, the admin page, `npm run bench`) and its failed digests are read by
-- edition; without this index each read scanned every delivery ever made.
CREATE INDEX "deliveries_edition_id_status_idx" ON "deliveries" ("edition_id", "status");
