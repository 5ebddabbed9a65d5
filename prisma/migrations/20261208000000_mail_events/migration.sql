-- What mail providers report after a message left: hard and soft bounces, spam complaints (provider webhooks).

CREATE TYPE "mail_event_kind" AS ENUM ('hard_bounce', 'soft_bounce', 'complaint');

-- One row per provider event, whatever how often the provider sends it; keyed by the address's hash like the
-- suppression list, so it survives an erase without keeping the address.
CREATE TABLE "mail_events" (
    "provider" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "kind" "mail_event_kind" NOT NULL,
    "email_hash" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "detail" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "mail_events_pkey" PRIMARY KEY ("provider", "event_id")
);
-- An address's soft bounces within the window; the rates per day.
CREATE INDEX "mail_events_email_hash_kind_occurred_at_idx" ON "mail_events" ("email_hash", "kind", "occurred_at");
CREATE INDEX "mail_events_occurred_at_idx" ON "mail_events" ("occurred_at");
