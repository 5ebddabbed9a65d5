-- Every row version of a delivery (its insert, then its claim and its `sent` mark, none of which can be a HOT update
-- while an index reads `status`) writes an entry into every index without a predicate. Two of them held entries no
-- query needs:
--
-- The Message-ID is '<' || id || '@' || the sender's domain || '>', fixed when the row is made, so it is unique because
-- the id is. A check keeps it derived from the id (and so unique, and the same on every retry) without an index.
DROP INDEX "deliveries_message_id_key";
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_message_id_from_id" CHECK ("message_id" LIKE '<' || "id"::text || '@%>');
--
-- (subscriber, kind, time) is read only for the notices (confirmations, "already subscribed"): the subscribe
-- statement's monthly cap counts a subscriber's recent ones. Digests, nearly every row, stay out of it. (A subscriber's
-- deliveries otherwise come through the (subscriber_id, edition_id) key.)
DROP INDEX "deliveries_subscriber_id_kind_created_at_idx";
CREATE INDEX "deliveries_notices_subscriber_id_created_at_idx" ON "deliveries" ("subscriber_id", "created_at") WHERE "kind" IN ('confirmation', 'already_subscribed');
