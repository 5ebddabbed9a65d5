-- Why each paper of a digest matched (topic names, keyword filters), parallel to paper_ids, so "view in browser"
-- shows exactly what the email showed.
ALTER TABLE "deliveries" ADD COLUMN "paper_reasons" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
