-- Paperboy initial schema. Hand-written in Prisma's migration layout; keep in step with prisma/schema.prisma.

CREATE TYPE "subscriber_status" AS ENUM ('pending', 'active', 'unsubscribed', 'bounced');
CREATE TYPE "frequency" AS ENUM ('daily', 'weekly');
CREATE TYPE "delivery_kind" AS ENUM ('confirmation', 'already_subscribed', 'digest');
CREATE TYPE "delivery_status" AS ENUM ('pending', 'sending', 'sent', 'failed', 'bounced', 'skipped');

CREATE TABLE "subscribers" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "status" "subscriber_status" NOT NULL DEFAULT 'pending',
    "topics" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "keywords" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "min_upvotes" INTEGER NOT NULL DEFAULT 0,
    "papers_per_email" INTEGER NOT NULL DEFAULT 10,
    "frequency" "frequency" NOT NULL DEFAULT 'daily',
    "weekly_day" INTEGER NOT NULL DEFAULT 1,
    "send_hour" INTEGER NOT NULL DEFAULT 8,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "skip_empty" BOOLEAN NOT NULL DEFAULT true,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "confirmed_at" TIMESTAMPTZ(3),
    "unsubscribed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "subscribers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "subscribers_min_upvotes_check" CHECK ("min_upvotes" >= 0),
    CONSTRAINT "subscribers_papers_per_email_check" CHECK ("papers_per_email" BETWEEN 1 AND 50),
    CONSTRAINT "subscribers_weekly_day_check" CHECK ("weekly_day" BETWEEN 0 AND 6),
    CONSTRAINT "subscribers_send_hour_check" CHECK ("send_hour" BETWEEN 0 AND 23)
);
CREATE UNIQUE INDEX "subscribers_email_key" ON "subscribers"("email");
CREATE INDEX "subscribers_status_idx" ON "subscribers"("status");

-- array_to_string is only STABLE, and a generated column needs an IMMUTABLE expression; for text[] it is immutable in fact.
CREATE FUNCTION "paperboy_keywords_text"(TEXT[]) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce(array_to_string($1, ' '), '') $$;

CREATE TABLE "papers" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "authors" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "ai_summary" TEXT,
    "ai_keywords" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "upvotes" INTEGER NOT NULL DEFAULT 0,
    "num_comments" INTEGER NOT NULL DEFAULT 0,
    "github_repo" TEXT,
    "github_stars" INTEGER,
    "project_page" TEXT,
    "organization" TEXT,
    "thumbnail" TEXT,
    "day" DATE NOT NULL,
    "published_at" TIMESTAMPTZ(3),
    "ingested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "search" tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce("title", '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, "paperboy_keywords_text"("ai_keywords")), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce("summary", '')), 'C')
    ) STORED,
    CONSTRAINT "papers_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "papers_day_upvotes_idx" ON "papers"("day", "upvotes" DESC);
CREATE INDEX "papers_search_idx" ON "papers" USING GIN ("search");

CREATE TABLE "editions" (
    "id" UUID NOT NULL,
    "date" DATE NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "editions_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "editions_date_key" ON "editions"("date");

CREATE TABLE "deliveries" (
    "id" UUID NOT NULL,
    "kind" "delivery_kind" NOT NULL,
    "status" "delivery_status" NOT NULL DEFAULT 'pending',
    "subscriber_id" UUID NOT NULL,
    "edition_id" UUID,
    "message_id" TEXT NOT NULL,
    "paper_ids" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "deliveries_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "deliveries_edition_id_fkey" FOREIGN KEY ("edition_id") REFERENCES "editions"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "deliveries_message_id_key" ON "deliveries"("message_id");
-- The idempotency guarantee of planning: one digest per (subscriber, edition). NULL editions (confirmations) never collide.
CREATE UNIQUE INDEX "deliveries_subscriber_id_edition_id_key" ON "deliveries"("subscriber_id", "edition_id");
CREATE INDEX "deliveries_status_created_at_idx" ON "deliveries"("status", "created_at");
CREATE INDEX "deliveries_subscriber_id_kind_created_at_idx" ON "deliveries"("subscriber_id", "kind", "created_at");

CREATE TABLE "sent_papers" (
    "subscriber_id" UUID NOT NULL,
    "paper_id" TEXT NOT NULL,
    "sent_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "sent_papers_pkey" PRIMARY KEY ("subscriber_id", "paper_id"),
    CONSTRAINT "sent_papers_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "sent_papers_paper_id_fkey" FOREIGN KEY ("paper_id") REFERENCES "papers"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "suppressions" (
    "email_hash" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "suppressions_pkey" PRIMARY KEY ("email_hash")
);
