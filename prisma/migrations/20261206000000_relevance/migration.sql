-- Relevance: arXiv metadata on papers, arXiv-category filters on subscribers, and the topic catalogue's split of
-- interpretability out of safety & alignment.

-- What the arXiv API said of a paper (looked up by id, after ingest; a digest never waits for it).
-- pending: not asked yet (or asked and the API failed); found; missing: the API does not know the id (asked again a
-- few times, later); invalid: the API refused the id's format (never asked again).
CREATE TYPE "arxiv_status" AS ENUM ('pending', 'found', 'missing', 'invalid');
ALTER TABLE "papers"
    ADD COLUMN "arxiv_status" "arxiv_status" NOT NULL DEFAULT 'pending',
    ADD COLUMN "arxiv_attempts" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "arxiv_checked_at" TIMESTAMPTZ(3),
    ADD COLUMN "arxiv_categories" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    ADD COLUMN "arxiv_primary_category" TEXT,
    ADD COLUMN "arxiv_comment" TEXT,
    ADD COLUMN "arxiv_journal_ref" TEXT;
-- What the lookup job reads: papers still to ask about, newest first. Found and refused papers leave it; those arXiv
-- did not know stay, a handful a month.
CREATE INDEX "papers_arxiv_open_idx" ON "papers" ("day" DESC, "id") WHERE "arxiv_status" IN ('pending', 'missing');

ALTER TABLE "subscribers" ADD COLUMN "categories" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];

-- "Safety & alignment" used to cover interpretability; it is a topic of its own now. Its readers keep getting it.
UPDATE "subscribers"
SET "topics" = array_append("topics", 'interpretability')
WHERE 'safety-alignment' = ANY ("topics") AND NOT 'interpretability' = ANY ("topics");
