import type pg from 'pg'
import { inTransaction } from '../db/transaction.ts'
import type { PaperTextColumns } from '../topics/text.ts'
import type { Taste } from './taste-model.ts'
import { textVersionSql } from '../papers/text-version.ts'

/** A voted paper as relearning reads it: the vote, the paper's text and its text's version (what a cache keys on). */
export interface VotedPaperRow extends PaperTextColumns {
  paper_id: string
  version: string
  vote: 1 | -1
}

export type VoteOutcome = 'recorded' | 'unchanged' | 'not-sent' | 'gone'

/** The votes a taste is relearned from: a reader's most recent ones (what they want drifts; the cost stays bounded). */
export const VOTES_LEARNED_FROM = 200

// A paper the reader was sent: in one of their digests that went out (or may have: `sending`).
const WAS_SENT = `EXISTS (SELECT 1 FROM deliveries d WHERE d.subscriber_id = $1 AND d.kind = 'digest'
                  AND d.status::text IN ('sent', 'sending') AND $2 = ANY (d.paper_ids))`

/**
 * Votes and the tastes they teach. A vote and the taste relearned from it are written in one transaction, with the
 * reader's row locked (FOR NO KEY UPDATE: planning's foreign-key checks on the row still pass), and so is "forget":
 * two votes at once never leave a taste learned without one of them, and a vote in flight never brings back a taste
 * the reader asked to forget.
 */
export function createVoteRepository(pool: pg.Pool) {
  const lockReader = async (client: pg.PoolClient, subscriberId: string): Promise<boolean> =>
    ((await client.query(`SELECT 1 FROM subscribers WHERE id = $1 FOR NO KEY UPDATE`, [subscriberId])).rowCount ?? 0) > 0

  return {
    /** The paper as a vote page shows it, whether it was sent to the reader, and their vote on it so far. */
    async ballot(subscriberId: string, paperId: string): Promise<{ title: string; sent: boolean; vote: 1 | -1 | null } | null> {
      const { rows } = await pool.query<{ title: string; sent: boolean; vote: 1 | -1 | null }>(
        `SELECT p.title, ${WAS_SENT} AS sent,
                (SELECT v.vote FROM votes v WHERE v.subscriber_id = $1 AND v.paper_id = $2) AS vote
         FROM papers p WHERE p.id = $2`,
        [subscriberId, paperId],
      )
      return rows[0] ?? null
    },

    /**
     * Records the reader's vote on a paper they were sent (replacing an earlier one) and stores the taste `learn` gives
     * from their votes. Nothing is written when the paper was never sent to them, when they are gone, or when the vote
     * is the one already recorded.
     */
    async vote(subscriberId: string, paperId: string, vote: 1 | -1, at: Date, learn: (voted: VotedPaperRow[]) => Taste): Promise<VoteOutcome> {
      return inTransaction(pool, async (client) => {
        if (!(await lockReader(client, subscriberId))) return 'gone'
        const { rows: [state] } = await client.query<{ sent: boolean; vote: number | null }>(
          `SELECT ${WAS_SENT} AS sent, (SELECT v.vote FROM votes v WHERE v.subscriber_id = $1 AND v.paper_id = $2) AS vote`,
          [subscriberId, paperId],
        )
        if (!state!.sent) return 'not-sent'
        if (state!.vote === vote) return 'unchanged'
        await client.query(
          `INSERT INTO votes (subscriber_id, paper_id, vote, voted_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (subscriber_id, paper_id) DO UPDATE SET vote = EXCLUDED.vote, voted_at = EXCLUDED.voted_at`,
          [subscriberId, paperId, vote, at],
        )
        const { rows: voted } = await client.query<VotedPaperRow>(
          `SELECT v.paper_id, ${textVersionSql('p')} AS version, v.vote::int AS vote, p.title, p.summary, p.ai_keywords, p.arxiv_categories, p.arxiv_primary_category
           FROM votes v JOIN papers p ON p.id = v.paper_id
           WHERE v.subscriber_id = $1 ORDER BY v.voted_at DESC, v.paper_id LIMIT ${VOTES_LEARNED_FROM}`,
          [subscriberId],
        )
        const taste = learn(voted)
        await client.query(
          `INSERT INTO reader_tastes (subscriber_id, votes, weights, more, less, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (subscriber_id) DO UPDATE
           SET votes = EXCLUDED.votes, weights = EXCLUDED.weights, more = EXCLUDED.more, less = EXCLUDED.less, updated_at = EXCLUDED.updated_at`,
          [subscriberId, taste.votes, JSON.stringify(taste.weights), taste.more, taste.less, at],
        )
        return 'recorded'
      })
    },

    /** What the reader taught, in words, or null when they never voted (or asked to forget). */
    async summary(subscriberId: string): Promise<{ votes: number; more: string[]; less: string[] } | null> {
      const { rows } = await pool.query<{ votes: number; more: string[]; less: string[] }>(
        `SELECT votes, more, less FROM reader_tastes WHERE subscriber_id = $1`,
        [subscriberId],
      )
      return rows[0] ?? null
    },

    /** "Forget what I taught": the reader's votes and taste go; their next digest is ranked as before any vote. */
    async forget(subscriberId: string): Promise<number> {
      return inTransaction(pool, async (client) => {
        await lockReader(client, subscriberId)
        const { rowCount } = await client.query(`DELETE FROM votes WHERE subscriber_id = $1`, [subscriberId])
        await client.query(`DELETE FROM reader_tastes WHERE subscriber_id = $1`, [subscriberId])
        return rowCount ?? 0
      })
    },
  }
}
export type VoteRepository = ReturnType<typeof createVoteRepository>
