-- Readers teach it: "more like this" / "less like this" on the papers of their digests, and what those votes teach.

-- One vote per reader and paper: a second vote on the same paper replaces the first. Both go with the reader
-- (erasure) or the paper.
CREATE TABLE "votes" (
    "subscriber_id" UUID NOT NULL,
    "paper_id" TEXT NOT NULL,
    "vote" SMALLINT NOT NULL,
    "voted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "votes_pkey" PRIMARY KEY ("subscriber_id", "paper_id"),
    CONSTRAINT "votes_vote_check" CHECK ("vote" IN (-1, 1)),
    CONSTRAINT "votes_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "votes_paper_id_fkey" FOREIGN KEY ("paper_id") REFERENCES "papers"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- The taste a reader's votes teach (src/taste/taste-model.ts), relearned at each vote and read by every planning run
-- with the reader's preferences: the strongest terms and their weights, and what it learned in words.
CREATE TABLE "reader_tastes" (
    "subscriber_id" UUID NOT NULL,
    "votes" INTEGER NOT NULL,
    "weights" JSONB NOT NULL,
    "more" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "less" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reader_tastes_pkey" PRIMARY KEY ("subscriber_id"),
    CONSTRAINT "reader_tastes_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
