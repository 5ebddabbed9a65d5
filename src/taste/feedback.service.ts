import type { Logger } from 'pino'
import { AppError, subscriberGone } from '../errors.ts'
import { subscriberFromLink } from '../links/resolve.ts'
import { keptOrMade } from '../runtime/bounded-cache.ts'
import { TOPICS } from '../topics/catalogue.ts'
import { paperTextOf } from '../topics/text.ts'
import { shippedTopicModel, type TopicModel } from '../topics/topic-model.ts'
import { categoryTerm, paperTerms, topicTerm, type PaperTerms } from './paper-terms.ts'
import { learnTaste, type Taste } from './taste-model.ts'
import type { VotedPaperRow, VoteRepository } from './vote.repository.ts'

export type VoteChoice = 'more' | 'less'

interface Deps {
  votes: VoteRepository
  subscribers: { findById(id: string): Promise<{ id: string } | null> }
  secret: string
  model?: TopicModel
  logger: Logger
  now?: () => Date
}

const TOPIC_NAMES = new Map(TOPICS.map((t) => [topicTerm(t.slug), t.name]))

/** How a term reads to a person: a topic's name, a category's code (text terms read as the papers write them). */
export function termLabel(term: string): string | undefined {
  return TOPIC_NAMES.get(term) ?? (term.startsWith(categoryTerm('')) ? term.slice(categoryTerm('').length) : undefined)
}

/** Voted papers read as term vectors, kept per process: a reader's next vote relearns from mostly the same papers. */
const TERMS_KEPT = 5_000

/**
 * "More like this" / "less like this": the vote links of every digest lead here. A link is signed for its reader and
 * paper and expires; following it (a GET, which link scanners do too) only shows the paper and asks; the vote is a
 * POST (the route bounds how often one link may vote). Each vote relearns the reader's taste from their votes, which
 * their next digest's ranking reads.
 */
export function createFeedbackService(deps: Deps) {
  const now = deps.now ?? (() => new Date())
  const model = deps.model ?? shippedTopicModel()

  const readerOf = (paperId: string, token: string) =>
    subscriberFromLink({ secret: deps.secret, token, purpose: 'vote', now: now(), subject: paperId }, (id) => deps.subscribers.findById(id))

  /**
   * The taste a reader's votes teach: each voted paper read as the planning run reads it (topics from the same model),
   * by id and text version from the process's cache (a paper read afresh costs a millisecond or two; a taste from 200
   * read ones, a millisecond).
   */
  const terms = new Map<string, PaperTerms>()
  const learn = (voted: VotedPaperRow[]): Taste =>
    learnTaste(
      voted.map((v) => ({
        vote: v.vote,
        terms: keptOrMade(terms, `${v.paper_id}@${v.version}`, TERMS_KEPT, () => {
          const text = paperTextOf(v)
          return paperTerms({ ...text, topics: model.classify(text) })
        }),
      })),
      termLabel,
    )

  const notSent = () =>
    new AppError('NOT_FOUND', 404, 'This paper was not in any digest sent to you, so there is nothing to vote on here.')

  return {
    /** What a vote link's page shows: the paper, and the reader's vote on it so far. Records nothing. */
    async ballot(paperId: string, token: string): Promise<{ title: string; vote: VoteChoice | null }> {
      const reader = await readerOf(paperId, token)
      const ballot = await deps.votes.ballot(reader.id, paperId)
      if (!ballot?.sent) throw notSent()
      return { title: ballot.title, vote: ballot.vote === 1 ? 'more' : ballot.vote === -1 ? 'less' : null }
    },

    /** Records the vote (replacing an earlier one on the same paper) and what it teaches. */
    async vote(paperId: string, token: string, choice: VoteChoice): Promise<{ title: string; learned: { more: string[]; less: string[] } | null }> {
      const reader = await readerOf(paperId, token)
      const outcome = await deps.votes.vote(reader.id, paperId, choice === 'more' ? 1 : -1, now(), learn)
      if (outcome === 'gone') throw subscriberGone()
      if (outcome === 'not-sent') throw notSent()
      if (outcome === 'recorded') deps.logger.info({ event: 'feedback.vote', subscriberId: reader.id, paperId, vote: choice }, 'vote recorded')
      const [ballot, learned] = await Promise.all([deps.votes.ballot(reader.id, paperId), deps.votes.summary(reader.id)])
      return { title: ballot?.title ?? paperId, learned: learned && { more: learned.more, less: learned.less } }
    },

    /** What the reader taught, in words (the preferences page), or null before any vote. */
    summary: (subscriberId: string) => deps.votes.summary(subscriberId),

    /** "Forget what I taught". */
    async forget(subscriberId: string): Promise<number> {
      const forgotten = await deps.votes.forget(subscriberId)
      deps.logger.info({ event: 'feedback.forgotten', subscriberId, votes: forgotten }, 'votes forgotten')
      return forgotten
    },
  }
}
export type FeedbackService = ReturnType<typeof createFeedbackService>
