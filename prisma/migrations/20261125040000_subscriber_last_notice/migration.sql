-- The last confirmation or "already subscribed" email of each subscriber, on the subscriber's own row: the subscribe
-- statement decides "at most one a day" from it under the row lock that INSERT … ON CONFLICT DO UPDATE takes, so
-- concurrent subscribes of one address send one email without an interactive transaction.
ALTER TABLE "subscribers" ADD COLUMN "last_notice_at" TIMESTAMPTZ(3);
ALTER TABLE "subscribers" ADD COLUMN "last_notice_id" UUID;

UPDATE "subscribers" s
SET "last_notice_at" = n."created_at", "last_notice_id" = n."id"
FROM (
  SELECT DISTINCT ON ("subscriber_id") "subscriber_id", "id", "created_at"
  FROM "deliveries"
  WHERE "kind" IN ('confirmation', 'already_subscribed')
  ORDER BY "subscriber_id", "created_at" DESC, "id" DESC
) n
WHERE n."subscriber_id" = s."id";
