import { randomBytes, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPool, createPrisma } from '../../../src/db/client.ts'
import { createMatchRepository, type MatchedPaper } from '../../../src/digests/match.repository.ts'
import { createPaperRepository } from '../../../src/papers/paper.repository.ts'
import type { PaperInput } from '../../../src/papers/paper.schemas.ts'
import type { DeliveryStatus } from '../../../src/generated/prisma/enums.ts'
import { TOPICS, topicBySlug } from '../../../src/topics/catalogue.ts'
import { shippedTopicModel, type TopicModel } from '../../../src/topics/topic-model.ts'
import { TEST_DATABASE_URL } from '../../helpers/env.ts'

/**
 * Matching against the real database: papers of the kind that reach the Hugging Face daily list, selected by topic
 * (the topic model's decisions, and clear cases read by hand), by arXiv category and by keyword (which a reader would
 * expect and which not), with the selection rules. How well the topic model agrees with hand-labelled real papers is
 * measured by `npm run eval`, not here.
 *
 * Ids carry a random prefix and days a random offset, so this file neither sees nor disturbs other tests' papers.
 */

const pool = createPool(TEST_DATABASE_URL, { max: 4 })
const db = createPrisma(pool)
const matches = createMatchRepository(pool)

const RUN = randomBytes(4).toString('hex')
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)
// A Monday from 2026-08-03 on, a random number of weeks later: no other test file uses the same days.
const BASE = addDays('2026-08-03', 7 * (1 + Math.floor(Math.random() * 4000)))
const NO_EMBEDDED_DAY = addDays(BASE, 1) // a day this file never uses for papers

interface Fixture {
  title: string
  summary: string
  keywords: string[]
  upvotes: number
  day?: string
  /** Overrides the id's suffix (for tests of id order). */
  slug?: string
  /** What the arXiv lookup found (primary first); absent: the lookup has not answered. */
  categories?: string[]
}

const PAPERS = {
  reasonStep: {
    title: 'ReasonFlux: Teaching Small Language Models to Reason Step by Step',
    summary:
      'Small language models struggle to reason over long horizons. We distil long chain-of-thought traces from a ' +
      'teacher into a 3B student and train it with a curriculum over math competition problems. The student ' +
      'reasons more reliably than models ten times larger on AIME and MATH-500.',
    keywords: ['chain-of-thought', 'knowledge distillation', 'small language models', 'curriculum learning'],
    upvotes: 131,
  },
  grpo: {
    title: 'Critic-Free Policy Optimization for LLM Post-Training with Verifiable Rewards',
    summary:
      'Reinforcement learning with verifiable rewards (RLVR) has become the standard recipe for post-training large ' +
      'language models. We revisit GRPO and show that its group baseline is biased for short responses. Our fix ' +
      'removes the learned reward model entirely and improves accuracy on math word problems by 4 points.',
    keywords: ['reinforcement learning', 'RLVR', 'GRPO', 'policy gradient', 'LLM post-training'],
    upvotes: 118,
  },
  webAgentic: {
    title: 'WebPilot: Agentic Browsing with Hierarchical Planning',
    summary:
      'We present an agentic framework for long-horizon browsing. A planner decomposes a user goal into subgoals and ' +
      'an executor acts on the page through clicks and form filling. WebPilot completes 61% of WebArena tasks.',
    keywords: ['agentic framework', 'hierarchical planning', 'WebArena', 'browser automation'],
    upvotes: 97,
  },
  vlmDocs: {
    title: 'DocVista: A Vision-Language Model for Documents, Charts and Screens',
    summary:
      'Multimodal large language models (MLLMs) still misread dense documents. DocVista pairs a high-resolution ' +
      'image encoder with a 7B LLM and a cross-modal alignment stage on 20M document-text pairs. It sets a new ' +
      'state of the art on DocVQA and ChartQA among open VLMs.',
    keywords: ['vision-language model', 'MLLM', 'document understanding', 'cross-modal alignment', 'DocVQA'],
    upvotes: 88,
  },
  rectifiedFlow: {
    title: 'Rectified Flow Transformers for High-Resolution Text-to-Image Synthesis',
    summary:
      'Diffusion models create images from noise by inverting a forward process. We improve noise sampling for ' +
      'rectified flow models and present a transformer architecture with separate weights for the two modalities. ' +
      'Our largest model outperforms state-of-the-art text-to-image systems on standard benchmarks and in human ' +
      'preference studies. Code and model weights are publicly available.',
    keywords: ['rectified flow', 'text-to-image', 'diffusion transformer', 'flow matching'],
    upvotes: 154,
  },
  tokenizer: {
    title: 'Semantic Regularization for Visual Tokenizers',
    summary:
      'Latent generative models depend on the autoencoder that compresses images. We add a semantic regularizer to ' +
      'the tokenizer training objective, which improves reconstruction fidelity (rFID 0.38) and downstream image ' +
      'generation quality of both autoregressive and latent generators.',
    keywords: ['visual tokenizer', 'autoencoder', 'image generation', 'latent space'],
    upvotes: 45,
  },
  vla: {
    title: 'Pi-Plus: A Vision-Language-Action Flow Model for General Robot Control',
    summary:
      'We train a vision-language-action model on 10k hours of teleoperation data from eight robot embodiments. ' +
      'The policy folds laundry, clears tables and assembles boxes, and adapts to new dexterous tasks from 50 demonstrations.',
    keywords: ['vision-language-action', 'robot learning', 'dexterous manipulation', 'teleoperation'],
    upvotes: 140,
    categories: ['cs.RO', 'cs.AI', 'cs.LG'],
  },
  forensics: {
    title: 'Detecting Diffusion-Edited Images: Frequency Forensics for Image Manipulation Detection',
    summary:
      'Photorealistic edits made with generative editors are hard to spot. We show that local image manipulation ' +
      'leaves traces in the high-frequency spectrum and train a detector that localises manipulated regions in ' +
      'forged photographs.',
    keywords: ['image forensics', 'manipulation detection', 'deepfake detection'],
    upvotes: 23,
  },
  voiceClone: {
    title: 'VoxStream: Low-Latency Streaming Text-to-Speech with Zero-Shot Voice Cloning',
    summary:
      'We present a streaming speech synthesis system that starts speaking after 90 ms. A causal acoustic codec and ' +
      'a chunked decoder let it clone an unseen speaker from three seconds of reference audio.',
    keywords: ['text-to-speech', 'voice cloning', 'streaming synthesis', 'neural codec'],
    upvotes: 61,
    categories: ['eess.AS', 'cs.SD'],
  },
  overthinking: {
    title: 'When More Thinking Hurts: Revisiting Test-Time Scaling for LLM Reasoning',
    summary:
      'Test-time scaling (TTS) lets language models spend more tokens before answering. We find that beyond a ' +
      'budget, longer thinking lowers accuracy on math problems, and propose an early-exit rule that halves tokens ' +
      'without loss.',
    keywords: ['test-time scaling', 'overthinking', 'large reasoning models', 'early exit'],
    upvotes: 76,
  },
  kvQuant: {
    title: 'KV Cache Quantization to 2 Bits for Long-Context Inference',
    summary:
      'The key-value cache dominates memory when serving long contexts. We observe that outlier channels in keys ' +
      'come from rotary position embeddings and quantise keys before rotation, reaching 2-bit caches with under ' +
      '1% perplexity increase and 3.1x throughput.',
    keywords: ['KV cache', 'quantization', 'long-context inference', 'rotary position embeddings'],
    upvotes: 69,
    categories: ['cs.LG', 'cs.CL'],
  },
  sparseSplat: {
    title: 'SparseSplat: Feed-Forward Gaussian Splatting from Sparse-View Images',
    summary:
      'Reconstructing a scene from two or three photos is ill-posed. SparseSplat predicts pixel-aligned 3D ' +
      'Gaussians in a single forward pass from sparse views and renders novel views in real time.',
    keywords: ['gaussian splatting', 'sparse-view', 'feed-forward 3D reconstruction', 'novel view synthesis'],
    upvotes: 58,
  },
  jailbreak: {
    title: 'Persona Modulation Jailbreaks Aligned LLMs',
    summary:
      'We show that asking a model to adopt a persona bypasses refusal training in every frontier model we test. ' +
      'Automated persona search raises the harmful completion rate from 0.2% to 43%, and we release a defence ' +
      'based on persona-aware refusal.',
    keywords: ['jailbreak', 'red teaming', 'refusal', 'LLM safety'],
    upvotes: 52,
  },
  sweData: {
    title: 'SWE-Smith: Scaling Training Data for Software Engineering Agents',
    summary:
      'Open software engineering agents lag behind proprietary ones for lack of training data. We synthesise 50k ' +
      'task instances from 128 GitHub repositories and fine-tune a 32B model that resolves 40% of SWE-bench Verified.',
    keywords: ['software engineering agents', 'SWE-bench', 'data synthesis', 'GitHub repositories'],
    upvotes: 112,
  },
  codeGen: {
    title: 'CodeForge: Repository-Level Code Generation with Execution Feedback',
    summary:
      'Writing code that fits an existing repository needs context beyond the current file. CodeForge retrieves ' +
      'relevant definitions, runs the tests and repairs its output over several rounds.',
    keywords: ['code generation', 'code LLM', 'execution feedback', 'repository-level'],
    upvotes: 83,
  },
  rag: {
    title: 'Self-Reflective Retrieval-Augmented Generation with Adaptive Reranking',
    summary:
      'Retrieval-augmented generation fails when retrieved passages are off-topic. We let the generator judge each ' +
      'passage and rerank before answering, improving exact match on multi-hop question answering.',
    keywords: ['retrieval-augmented generation', 'RAG', 'reranking', 'multi-hop QA'],
    upvotes: 64,
    categories: ['cs.CL', 'cs.IR'],
  },
  longBench: {
    title: 'LongBench-Pro: A Benchmark for Evaluating Long-Context Understanding',
    summary:
      'We introduce a bilingual benchmark of 1,500 tasks with contexts up to 2M tokens, written by annotators ' +
      'and verified twice. Evaluating 30 models reveals that accuracy drops sharply beyond 128k tokens.',
    keywords: ['benchmark', 'long-context evaluation', 'LLM evaluation'],
    upvotes: 71,
  },
  genieWorld: {
    title: 'Genie-Lite: An Interactive World Model for Game Environments',
    summary:
      'We learn an action-conditioned world model from unlabelled gameplay videos. It predicts future frames from ' +
      'keyboard actions at 20 fps and supports training game-playing policies entirely in imagination.',
    keywords: ['world model', 'video prediction', 'interactive environments'],
    upvotes: 105,
  },
  robotWorld: {
    title: 'Learning a World Model for Robot Manipulation from Human Videos',
    summary:
      'We pretrain a latent world model on human videos and fine-tune it on robot data, so a robot arm can plan ' +
      'pick-and-place motions by imagining outcomes.',
    keywords: ['world model', 'robot manipulation', 'model-based planning'],
    upvotes: 49,
  },
  openWorld: {
    title: 'Open-World Object Detection Beyond Closed Vocabularies',
    summary:
      'Detectors trained on fixed label sets miss novel objects. We use a frozen language model as a prior over ' +
      'object names and detect unseen categories at test time.',
    keywords: ['open-vocabulary detection', 'object detection', 'zero-shot'],
    upvotes: 37,
  },
  offlineRl: {
    title: 'Diffusion Policies for Offline RL',
    summary:
      'We represent the policy as a conditional diffusion model and train it from a fixed dataset of trajectories ' +
      'with a behaviour-regularised objective, beating prior offline methods on D4RL locomotion.',
    keywords: ['offline RL', 'diffusion policy', 'D4RL'],
    upvotes: 42,
  },
  specDecTitle: {
    title: 'Speculative Decoding with Self-Drafting Heads',
    summary: 'A lightweight drafting head proposes several tokens at once that the full model verifies in parallel.',
    keywords: ['speculative decoding', 'drafting'],
    upvotes: 30,
    slug: 'zz-specdec-title',
  },
  specDecAbstract: {
    title: 'Serving Mixture-of-Experts Models on a Single GPU',
    summary:
      'We offload experts to CPU memory and prefetch them using router predictions. Combined with speculative ' +
      'decoding, this yields 2.4x faster generation.',
    keywords: ['expert offloading', 'MoE inference'],
    upvotes: 30,
    slug: 'aa-specdec-abstract',
  },
  lowVotes: {
    title: 'A Note on Reasoning Traces in Small Models',
    summary: 'We study how reasoning traces change during fine-tuning of small language models.',
    keywords: ['reasoning traces'],
    upvotes: 2,
  },
  // The 7-day window: the day before BASE and a week after it are out; the sixth day after it is in.
  dayBefore: { title: 'Yesterday: Agents That Plan', summary: 'An agent paper.', keywords: [], upvotes: 500, day: addDays(BASE, -1) },
  sixthDay: { title: 'Saturday: Agents That Plan', summary: 'An agent paper.', keywords: [], upvotes: 400, day: addDays(BASE, 6) },
  weekAfter: { title: 'Next Monday: Agents That Plan', summary: 'An agent paper.', keywords: [], upvotes: 300, day: addDays(BASE, 7) },
} satisfies Record<string, Fixture>

type Key = keyof typeof PAPERS
const KEYS = Object.keys(PAPERS) as Key[]
const idOf = (key: Key): string => `${RUN}-${(PAPERS[key] as Fixture).slug ?? key}`
const keyOf = new Map(KEYS.map((k) => [idOf(k), k]))
const BASE_DAY_KEYS = KEYS.filter((k) => !(PAPERS[k] as Fixture).day)

const DAILY = { fromDay: BASE, toDay: BASE }
const WEEKLY = { fromDay: BASE, toDay: addDays(BASE, 6) }

let subscriberSeq = 0
async function newSubscriber(
  prefs: { topics?: string[]; keywords?: string[]; categories?: string[]; minUpvotes?: number; papersPerEmail?: number } = {},
): Promise<string> {
  const id = randomUUID()
  await db.subscriber.create({
    data: { id, email: `match-${RUN}-${++subscriberSeq}@example.com`, status: 'active', ...prefs },
  })
  return id
}

/** History for "already sent": a digest of `date`'s edition to the subscriber, carrying `paperIds`, in `status`. */
async function digestOf(subscriberId: string, date: string, paperIds: string[], status: DeliveryStatus): Promise<void> {
  const day = new Date(`${date}T00:00:00Z`)
  const edition = await db.edition.upsert({ where: { date: day }, create: { date: day }, update: {} })
  const id = randomUUID()
  await db.delivery.create({ data: { id, kind: 'digest', status, subscriberId, editionId: edition.id, messageId: `<${id}@match.test>`, paperIds } })
}

let reader: string // a subscriber with nothing sent, for the labelled cases

const select = (
  opts: { topics?: string[]; keywords?: string[]; categories?: string[]; minUpvotes?: number; limit?: number; subscriberId?: string },
  window = DAILY,
  repo = matches,
) =>
  repo.selectForSubscriber({
    subscriberId: opts.subscriberId ?? reader,
    topics: opts.topics ?? [],
    keywords: opts.keywords ?? [],
    categories: opts.categories ?? [],
    minUpvotes: opts.minUpvotes ?? 0,
    limit: opts.limit ?? 50,
    ...window,
  })

const keys = (papers: MatchedPaper[]): Key[] =>
  papers.map((p) => {
    const key = keyOf.get(p.paperId)
    if (!key) throw new Error(`a paper from outside this file leaked in: ${p.paperId}`)
    return key
  })

beforeAll(async () => {
  await db.paper.createMany({
    data: KEYS.map((key) => {
      const p: Fixture = PAPERS[key]
      return {
        id: idOf(key),
        title: p.title,
        summary: p.summary,
        aiKeywords: p.keywords,
        upvotes: p.upvotes,
        day: new Date(`${p.day ?? BASE}T00:00:00Z`),
        ...(p.categories ? { arxivStatus: 'found' as const, arxivCategories: p.categories, arxivPrimaryCategory: p.categories[0] } : {}),
      }
    }),
  })
  reader = await newSubscriber()
})

afterAll(async () => {
  await db.subscriber.deleteMany({ where: { email: { startsWith: `match-${RUN}-` } } })
  await db.paper.deleteMany({ where: { id: { startsWith: `${RUN}-` } } })
  await db.$disconnect()
  await pool.end()
})

const model = shippedTopicModel()
/** A fixture as the topic model reads it. */
const textOf = (key: Key) => {
  const p: Fixture = PAPERS[key]
  return { title: p.title, abstract: p.summary, keywords: p.keywords, categories: p.categories ?? [], primaryCategory: p.categories?.[0] ?? null }
}

/**
 * Clear cases, read by hand: papers a reader of the topic must get and papers they must not. Some negatives guard
 * against words that once matched too widely: "manipulation" (image forensics), "TTS" (test-time scaling), "sparse"
 * (sparse-view 3D), "alignment" (cross-modal), "code" ("code is available"), "embedding" (position embeddings),
 * "benchmark" in any abstract, "diffusion" (a diffusion policy is not image generation), "world model" (a game's).
 */
const CLEAR: Record<string, { must: Key[]; mustNot: Key[] }> = {
  'llm-reasoning': { must: ['reasonStep', 'overthinking', 'lowVotes'], mustNot: ['voiceClone', 'sparseSplat', 'tokenizer'] },
  'reinforcement-learning': { must: ['grpo', 'offlineRl'], mustNot: ['vlmDocs', 'rag', 'kvQuant'] },
  agents: { must: ['webAgentic', 'sweData'], mustNot: ['kvQuant', 'voiceClone', 'rectifiedFlow', 'offlineRl'] },
  'vision-language': { must: ['vlmDocs'], mustNot: ['voiceClone', 'kvQuant', 'grpo', 'vla'] },
  'computer-vision': { must: ['openWorld'], mustNot: ['voiceClone', 'grpo', 'jailbreak'] },
  'diffusion-generation': { must: ['rectifiedFlow', 'tokenizer'], mustNot: ['reasonStep', 'voiceClone', 'jailbreak', 'offlineRl'] },
  robotics: { must: ['vla', 'robotWorld'], mustNot: ['voiceClone', 'genieWorld', 'forensics', 'offlineRl'] },
  'speech-audio': { must: ['voiceClone'], mustNot: ['vlmDocs', 'kvQuant', 'overthinking'] },
  efficiency: { must: ['kvQuant', 'specDecAbstract'], mustNot: ['webAgentic', 'genieWorld', 'sparseSplat'] },
  'safety-alignment': { must: ['jailbreak'], mustNot: ['tokenizer', 'codeGen', 'vlmDocs'] },
  code: { must: ['sweData', 'codeGen'], mustNot: ['voiceClone', 'genieWorld', 'rectifiedFlow'] },
  'retrieval-rag': { must: ['rag'], mustNot: ['voiceClone', 'jailbreak', 'kvQuant'] },
  'benchmarks-evaluation': { must: ['longBench'], mustNot: ['voiceClone', 'rectifiedFlow'] },
  '3d-world-models': { must: ['sparseSplat', 'genieWorld', 'robotWorld'], mustNot: ['voiceClone', 'jailbreak', 'tokenizer'] },
}

describe('catalogue topics', () => {
  for (const topic of TOPICS) {
    it(`${topic.slug}: selects exactly the papers the topic model gives it, each with the topic's name as the reason`, async () => {
      const expected = BASE_DAY_KEYS.filter((k) => model.classify(textOf(k)).some((c) => c.slug === topic.slug))
      const got = await select({ topics: [topic.slug] }, DAILY)
      expect(new Set(keys(got))).toEqual(new Set(expected))
      for (const p of got) expect(p.matched).toEqual([topic.name])
    })
  }

  for (const [slug, { must, mustNot }] of Object.entries(CLEAR)) {
    it(`${slug}, clear cases: gets ${must.join(', ')}; not ${mustNot.join(', ')}`, async () => {
      const gotKeys = keys(await select({ topics: [slug] }, DAILY))
      for (const k of must) expect(gotKeys, `${slug} must match ${k}`).toContain(k)
      for (const k of mustNot) expect(gotKeys, `${slug} must not match ${k}`).not.toContain(k)
    })
  }

  it('an unknown topic slug matches nothing (it does not widen to the whole list)', async () => {
    expect(await select({ topics: ['no-such-topic'] })).toEqual([])
  })

  it('several topics: a paper matching any of them, with every topic it matched', async () => {
    const got = await select({ topics: ['robotics', '3d-world-models'] })
    const byKey = new Map(keys(got).map((k, i) => [k, got[i]!]))
    expect(byKey.get('robotWorld')?.matched).toEqual(['3D & world models', 'Robotics & embodied AI'])
    expect(byKey.get('vla')?.matched).toEqual(['Robotics & embodied AI'])
    expect(byKey.get('genieWorld')?.matched).toEqual(['3D & world models'])
    expect(byKey.has('voiceClone')).toBe(false)
  })
})

describe('custom keyword queries (labelled)', () => {
  const KEYWORD_LABELS: { keyword: string; must: Key[]; mustNot: Key[]; why: string }[] = [
    { keyword: 'agents', must: ['webAgentic', 'sweData'], mustNot: ['kvQuant', 'vla'], why: 'stemming: "agents" finds "agentic" only papers' },
    { keyword: 'agent', must: ['webAgentic'], mustNot: ['grpo'], why: 'stemming the other way' },
    { keyword: 'reasoning', must: ['reasonStep', 'overthinking'], mustNot: ['codeGen'], why: '"reasoning" finds "reason"/"reasons"' },
    { keyword: '"world model"', must: ['genieWorld', 'robotWorld'], mustNot: ['openWorld', 'kvQuant'], why: 'phrase = adjacency' },
    { keyword: 'world model', must: ['genieWorld', 'openWorld'], mustNot: ['kvQuant'], why: 'unquoted = both words anywhere' },
    { keyword: '"world model" -robot', must: ['genieWorld'], mustNot: ['robotWorld', 'openWorld'], why: 'negation' },
    { keyword: 'RL OR "reinforcement learning"', must: ['grpo', 'offlineRl'], mustNot: ['vlmDocs', 'rag'], why: 'OR' },
    { keyword: '"speculative decoding"', must: ['specDecTitle', 'specDecAbstract'], mustNot: ['kvQuant'], why: 'phrase' },
    { keyword: 'Gaussian Splatting', must: ['sparseSplat'], mustNot: ['genieWorld'], why: 'case-insensitive' },
  ]

  for (const { keyword, must, mustNot, why } of KEYWORD_LABELS) {
    it(`${keyword} — ${why}`, async () => {
      const got = await select({ keywords: [keyword] })
      const gotKeys = keys(got)
      for (const k of must) expect(gotKeys, `${keyword} must match ${k}`).toContain(k)
      for (const k of mustNot) expect(gotKeys, `${keyword} must not match ${k}`).not.toContain(k)
      for (const p of got) {
        expect(p.matched).toHaveLength(1)
        expect(p.matched[0]!.startsWith(keyword)).toBe(true)
      }
    })
  }

  it('says which words of the paper answered a keyword, when they say more than the keyword', async () => {
    const reason = async (keyword: string, key: Key) => (await select({ keywords: [keyword] })).find((p) => p.paperId === idOf(key))?.matched
    expect(await reason('agents', 'webAgentic')).toEqual(['agents (Agentic)'])
    expect(await reason('RL OR "reinforcement learning"', 'grpo')).toEqual(['RL OR "reinforcement learning" (reinforcement learning)'])
    expect(await reason('"world model" -robot', 'genieWorld')).toEqual(['"world model" -robot (world model)'])
    // the same word as the keyword adds nothing
    expect(await reason('GRPO', 'grpo')).toEqual(['GRPO'])
  })

  it('topics and keywords together: any of them, and "matched" says which', async () => {
    const got = await select({ topics: ['speech-audio'], keywords: ['"world model" -robot', 'GRPO'] })
    const byKey = new Map(keys(got).map((k, i) => [k, got[i]!]))
    for (const k of ['genieWorld', 'grpo', 'voiceClone'] as const) expect(byKey.has(k), k).toBe(true)
    for (const k of ['robotWorld', 'vlmDocs', 'kvQuant'] as const) expect(byKey.has(k), k).toBe(false)
    expect(byKey.get('grpo')?.matched).toEqual(['GRPO'])
    expect(byKey.get('voiceClone')?.matched).toEqual(['Speech & audio'])
    expect(byKey.get('genieWorld')?.matched).toEqual(['"world model" -robot (world model)'])
  })

  it('a hostile keyword is only a search string', async () => {
    const hostile = `'); DROP TABLE papers; --`
    await expect(select({ keywords: [hostile, `"; DELETE FROM sent_papers; --`, `\\' OR 1=1 --`] })).resolves.toEqual([])
    expect(await db.paper.count({ where: { id: { startsWith: `${RUN}-` } } })).toBe(KEYS.length)
  })

  it('a stop-word-only keyword matches nothing and does not fail', async () => {
    expect(await select({ keywords: ['the of and'] })).toEqual([])
  })
})

describe('selection rules', () => {
  it('no topics and no keywords = the whole day, by upvotes', async () => {
    const got = await select({})
    // without filters there is no relevance, so equal upvotes fall back to id order
    const expected = [...BASE_DAY_KEYS].sort(
      (a, b) => PAPERS[b].upvotes - PAPERS[a].upvotes || (idOf(a) < idOf(b) ? -1 : 1),
    )
    expect(keys(got)).toEqual(expected)
    expect(got.every((p) => p.matched.length === 0 && p.relevance === 0)).toBe(true)
  })

  it('orders by upvotes, then relevance (title beats abstract), then id', async () => {
    const got = await select({ keywords: ['"speculative decoding"', '"KV cache"'] })
    expect(keys(got)).toEqual(['kvQuant', 'specDecTitle', 'specDecAbstract'])
    // equal upvotes: the title match ranks first although its id sorts last
    expect(got[1]!.upvotes).toBe(got[2]!.upvotes)
    expect(got[1]!.relevance).toBeGreaterThan(got[2]!.relevance)
    expect(idOf('specDecTitle') > idOf('specDecAbstract')).toBe(true)
  })

  it('minimum upvotes', async () => {
    expect(keys(await select({ topics: ['llm-reasoning'] }))).toContain('lowVotes')
    const got = await select({ topics: ['llm-reasoning'], minUpvotes: 5 })
    expect(keys(got)).not.toContain('lowVotes')
    expect(keys(got)).toContain('reasonStep')
    expect(got.every((p) => p.upvotes >= 5)).toBe(true)
    expect(await select({ minUpvotes: 1000 })).toEqual([])
  })

  it('limit keeps the best', async () => {
    expect(keys(await select({ limit: 3 }))).toEqual(['rectifiedFlow', 'vla', 'reasonStep'])
    expect(keys(await select({ topics: ['agents'], limit: 1 }))).toEqual(['sweData'])
  })

  it('a paper already sent (or maybe sent: left `sending`) is never selected again, for that subscriber only', async () => {
    const id = await newSubscriber()
    expect(keys(await select({ subscriberId: id, limit: 2 }))).toEqual(['rectifiedFlow', 'vla'])
    await digestOf(id, BASE, [idOf('rectifiedFlow')], 'sent')
    await digestOf(id, addDays(BASE, 6), [idOf('vla')], 'sending')
    expect(keys(await select({ subscriberId: id, limit: 2 }))).toEqual(['reasonStep', 'grpo'])
    expect(keys(await select({ subscriberId: id, limit: 2 }, WEEKLY))).not.toContain('vla')
    // only for that subscriber
    expect(keys(await select({ limit: 2 }))).toEqual(['rectifiedFlow', 'vla'])
  })

  it('a digest that was not sent (failed, skipped, bounced) does not count as sent', async () => {
    const id = await newSubscriber()
    await digestOf(id, BASE, [idOf('rectifiedFlow')], 'failed')
    await digestOf(id, addDays(BASE, 1), [idOf('vla')], 'skipped')
    await digestOf(id, addDays(BASE, 2), [idOf('reasonStep')], 'bounced')
    expect(keys(await select({ subscriberId: id, limit: 3 }))).toEqual(['rectifiedFlow', 'vla', 'reasonStep'])
  })

  it('the 7-day window includes its last day and nothing outside it', async () => {
    const weekly = keys(await select({ keywords: ['agents'] }, WEEKLY))
    expect(weekly).toContain('sixthDay')
    expect(weekly).not.toContain('dayBefore')
    expect(weekly).not.toContain('weekAfter')
    expect(weekly[0]).toBe('sixthDay') // most upvoted of the week
    expect(keys(await select({ keywords: ['agents'] }))).not.toContain('sixthDay')
    expect(await select({}, { fromDay: NO_EMBEDDED_DAY, toDay: NO_EMBEDDED_DAY })).toEqual([])
  })

  it('rejects a malformed day', async () => {
    await expect(select({}, { fromDay: '2026-8-3', toDay: BASE })).rejects.toThrow(RangeError)
  })
})

describe('batch selection', () => {
  it('agrees with the single-subscriber selection, reading preferences from the subscribers table', async () => {
    const prefs = [
      {},
      { topics: ['agents', 'code'] },
      { topics: ['robotics'], keywords: ['"world model" -robot'], papersPerEmail: 2 },
      { keywords: ['RL OR "reinforcement learning"', 'agents'], minUpvotes: 50 },
      { topics: ['llm-reasoning'], minUpvotes: 0, papersPerEmail: 1 },
      { topics: ['no-such-topic'] },
      { keywords: [`'); DROP TABLE papers; --`] },
      { topics: ['efficiency', 'efficiency'], keywords: ['Efficiency'] },
      { categories: ['cs.RO', 'eess.AS'], keywords: ['quantization'] },
    ] as { topics?: string[]; keywords?: string[]; categories?: string[]; minUpvotes?: number; papersPerEmail?: number }[]
    const ids = await Promise.all(prefs.map((p) => newSubscriber(p)))
    await digestOf(ids[1]!, addDays(BASE, 6), [idOf('sweData')], 'sent')
    const missing = randomUUID()

    for (const window of [DAILY, WEEKLY]) {
      const batch = await matches.selectForSubscribers([...ids, missing], window)
      expect([...batch.keys()].sort()).toEqual([...ids, missing].sort())
      expect(batch.get(missing)).toEqual([])
      for (const [i, id] of ids.entries()) {
        const p = prefs[i]!
        const single = await select(
          { subscriberId: id, topics: p.topics, keywords: p.keywords, categories: p.categories, minUpvotes: p.minUpvotes, limit: p.papersPerEmail ?? 10 },
          window,
        )
        expect(batch.get(id), JSON.stringify(p)).toEqual(single)
      }
    }

    const daily = await matches.selectForSubscribers(ids, DAILY)
    expect(keys(daily.get(ids[0]!)!)).toHaveLength(10) // papers_per_email default
    expect(keys(daily.get(ids[1]!)!)).not.toContain('sweData') // already sent to that one
    expect(keys(daily.get(ids[2]!)!)).toEqual(['vla', 'genieWorld'])
    expect(daily.get(ids[2]!)![1]!.matched).toEqual(['"world model" -robot (world model)'])
    expect(keys(daily.get(ids[4]!)!)).toEqual(['reasonStep'])
    expect(daily.get(ids[5]!)).toEqual([])
    expect(daily.get(ids[6]!)).toEqual([])
    // a topic listed twice is one reason, not two
    expect(daily.get(ids[7]!)!.find((m) => m.paperId === idOf('kvQuant'))?.matched).toEqual(['Efficiency'])
    expect(await matches.selectForSubscribers([], DAILY)).toEqual(new Map())
  })
})

describe('a batch\'s history', () => {
  it('is read through the batch\'s subscribers\' rows only, even when the statistics on status are stale', async () => {
    // Statistics gathered while an edition's digests were pending say few rows are sent. Were the history's status
    // filter indexable, the planner would then also read the (edition_id, status) entry of every sent row, each batch.
    const one = createPool(TEST_DATABASE_URL, { max: 1 })
    const repo = createMatchRepository(one)
    const ids = await Promise.all([newSubscriber(), newSubscriber()])
    await repo.selectForSubscribers(ids, WEEKLY) // prepares the statement on the pool's one connection
    const client = await one.connect()
    try {
      await client.query('BEGIN')
      // These two and 98 others with a digest of each of 300 editions, analysed while pending, then all sent (all
      // rolled back): a batch's subscribers have many digests, and the statistics say none is sent.
      await client.query(
        `WITH s AS (INSERT INTO subscribers (id, email, updated_at)
                    SELECT gen_random_uuid(), 'history-' || g || '-${RUN}@example.com', now() FROM generate_series(1, 98) g RETURNING id),
              e AS (INSERT INTO editions (id, date) SELECT gen_random_uuid(), '3100-01-01'::date + g FROM generate_series(1, 300) g RETURNING id)
         INSERT INTO deliveries (id, kind, subscriber_id, edition_id, message_id, updated_at)
         SELECT x.id, 'digest', x.sid, x.eid, '<' || x.id || '@history.test>', now()
         FROM (SELECT gen_random_uuid() AS id, s.sid, e.id AS eid FROM (SELECT id AS sid FROM s UNION ALL SELECT unnest($1::uuid[])) s CROSS JOIN e) x`,
        [ids],
      )
      await client.query('ANALYZE deliveries')
      await client.query(`UPDATE deliveries SET status = 'sent' WHERE message_id LIKE '%@history.test>'`)
      const literal = (v: string) => client.escapeLiteral(v) // EXPLAIN EXECUTE takes literals, not bound parameters
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN EXECUTE "match-context"(${literal(WEEKLY.fromDay)}, ${literal(WEEKLY.toDay)}, ${literal(`{${ids.join(',')}}`)}, true)`,
      )
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n')
      expect(plan).toContain('deliveries_subscriber_id_edition_id_key')
      expect(plan).not.toMatch(/deliveries_edition_id_status_idx|deliveries_open_status|Seq Scan on deliveries/)
    } finally {
      await client.query('ROLLBACK')
      client.release()
      await one.end()
    }
  })
})

describe('the window\'s hits, kept per process', () => {
  const day = addDays(BASE, 14) // a day no other test of this file reads
  const window = { fromDay: day, toDay: day }
  const papers = createPaperRepository(db, pool)
  const paper = (id: string, title: string, upvotes: number): PaperInput => ({
    id: `${RUN}-${id}`, title, summary: 'A paper.', authors: [], aiSummary: null, aiKeywords: [], upvotes, numComments: 0,
    githubRepo: null, githubStars: null, projectPage: null, organization: null, thumbnail: null, day, publishedAt: null,
  })
  /** A topic model that calls every paper whose title says "agent" an Agents paper: these tests are about caching. */
  const titleSaysAgent: TopicModel = {
    fingerprint: 'test',
    score: () => [],
    classify: (paper) => (/agent/i.test(paper.title) ? [{ slug: 'agents', probability: 0.9 }] : []),
  }
  /** The repository over a pool that counts the statements it runs, by name. */
  function counted() {
    const runs = new Map<string, number>()
    const repo = createMatchRepository({
      query: ((config: { name?: string }, ...rest: unknown[]) => {
        if (config.name) runs.set(config.name, (runs.get(config.name) ?? 0) + 1)
        return (pool.query as (...args: unknown[]) => unknown)(config, ...rest)
      }) as typeof pool.query,
    }, { model: titleSaysAgent })
    return { repo, runs }
  }
  const ids = (got: MatchedPaper[]) => got.map((p) => p.paperId.slice(RUN.length + 1))

  it('are computed once while the window\'s papers do not change, and again after an ingest changes them', async () => {
    const { repo, runs } = counted()
    const agents = { topics: ['agents'] }
    await papers.upsertMany([paper('hits-a', 'An Agent That Plans Its Errands', 10)])
    expect(ids(await select(agents, window, repo))).toEqual(['hits-a'])
    expect(ids(await select(agents, window, repo))).toEqual(['hits-a'])
    expect(runs.get('match-window-papers')).toBe(1)

    // a new paper in the window
    await papers.upsertMany([paper('hits-b', 'Agentic Browsing at Scale', 20)])
    expect(ids(await select(agents, window, repo))).toEqual(['hits-b', 'hits-a'])
    // a changed title: the paper no longer matches
    await papers.upsertMany([paper('hits-a', 'A Tokenizer for Speech', 10)])
    expect(ids(await select(agents, window, repo))).toEqual(['hits-b'])
    // changed upvotes reorder
    await papers.upsertMany([paper('hits-a', 'Agents That Plan Again', 30)])
    expect(ids(await select(agents, window, repo))).toEqual(['hits-a', 'hits-b'])
    expect(runs.get('match-window-papers')).toBe(4)
  })

  it('classify a paper again when what the model reads of it changes (text, categories), not when its upvotes do', async () => {
    const classified: string[] = []
    const counting: TopicModel = { ...titleSaysAgent, classify: (p) => (classified.push(p.title), titleSaysAgent.classify(p)) }
    const repo = createMatchRepository(pool, { model: counting })
    const only = (title: string) => classified.filter((t) => t === title).length
    await papers.upsertMany([paper('hits-e', 'Agents Read Their Mail', 3)])
    await select({ topics: ['agents'] }, window, repo)
    expect(only('Agents Read Their Mail')).toBe(1)
    await papers.upsertMany([paper('hits-e', 'Agents Read Their Mail', 40)])
    expect(ids(await select({ topics: ['agents'] }, window, repo))[0]).toBe('hits-e')
    expect(only('Agents Read Their Mail')).toBe(1)
    await papers.recordArxiv({ found: new Map([[`${RUN}-hits-e`, { categories: ['cs.AI'], primaryCategory: 'cs.AI', comment: null, journalRef: null }]]), missing: [], invalid: [] }, new Date())
    await select({ topics: ['agents'] }, window, repo)
    expect(only('Agents Read Their Mail')).toBe(2)
    await papers.upsertMany([paper('hits-e', 'Agents Read Their Mail Twice', 40)])
    await select({ topics: ['agents'] }, window, repo)
    expect(only('Agents Read Their Mail Twice')).toBe(1)
  })

  it('compute a keyword the first time it is asked for, and only then', async () => {
    const { repo, runs } = counted()
    await papers.upsertMany([paper('hits-c', 'Speculative Decoding for Browsing Agents', 5)])
    await select({ topics: ['agents'] }, window, repo)
    expect(runs.get('match-window-papers')).toBe(1)
    expect(runs.get('match-keyword-hits')).toBeUndefined()
    const got = await select({ keywords: ['"speculative decoding"'] }, window, repo)
    expect(ids(got)).toEqual(['hits-c'])
    expect(got[0]!.matched).toEqual(['"speculative decoding" (speculative decoding)'])
    await select({ keywords: ['"speculative decoding"'], topics: ['agents'] }, window, repo)
    expect(runs.get('match-keyword-hits')).toBe(1)
    expect(runs.get('match-window-papers')).toBe(1)
  })

  it('take a paper\'s arXiv categories once the lookup answers (until then it is matched on its text alone)', async () => {
    const { repo } = counted()
    await papers.upsertMany([paper('hits-d', 'Legged Robots That Climb Stairs', 7)])
    expect(ids(await select({ categories: ['cs.RO'] }, window, repo))).toEqual([])
    await papers.recordArxiv({ found: new Map([[`${RUN}-hits-d`, { categories: ['cs.RO', 'cs.LG'], primaryCategory: 'cs.RO', comment: null, journalRef: null }]]), missing: [], invalid: [] }, new Date())
    const got = await select({ categories: ['cs.LG', 'cs.RO'] }, window, repo)
    expect(ids(got)).toEqual(['hits-d'])
    expect(got[0]!.matched).toEqual(['cs.LG', 'cs.RO'])
  })

  it('for a batch, compute every keyword an active subscriber holds in one statement, once per window', async () => {
    const { repo, runs } = counted()
    const a = await newSubscriber({ keywords: ['"speculative decoding"'] })
    const b = await newSubscriber({ keywords: ['tokenizer OR browsing'] })
    const first = await repo.selectForSubscribers([a], window)
    const second = await repo.selectForSubscribers([b], window)
    expect(runs.get('match-every-keyword')).toBe(1)
    expect(runs.get('match-keyword-hits')).toBe(1)
    expect(ids(first.get(a)!)).toEqual(['hits-c'])
    expect(second.get(b)).toEqual(await select({ subscriberId: b, keywords: ['tokenizer OR browsing'] }, window, repo))
  })

  it('survive a failed keyword statement: the batch fails, no kept promise goes unhandled, the next batch computes again', async () => {
    let failures = 1
    const repo = createMatchRepository({
      query: ((config: { name?: string }, ...rest: unknown[]) => {
        if (config.name === 'match-keyword-hits' && failures-- > 0) return Promise.reject(new Error('canceling statement due to statement timeout'))
        return (pool.query as (...args: unknown[]) => unknown)(config, ...rest)
      }) as typeof pool.query,
    }, { model: titleSaysAgent })
    const a = await newSubscriber({ keywords: ['"speculative decoding"'] })
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      await expect(repo.selectForSubscribers([a], window)).rejects.toThrow(/statement timeout/)
      // every other active keyword's hits were kept from that same statement: their rejections must be handled
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(unhandled).toEqual([])
      expect(ids((await repo.selectForSubscribers([a], window)).get(a)!)).toEqual(['hits-c'])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('answer a batch exactly like single selections, from the subscribers table', async () => {
    const { repo } = counted()
    const a = await newSubscriber({ topics: ['agents'], keywords: ['tokenizer'] })
    const b = await newSubscriber({ keywords: ['"speculative decoding"'], papersPerEmail: 1 })
    const batch = await repo.selectForSubscribers([a, b], window)
    expect(batch.get(a)).toEqual(await select({ subscriberId: a, topics: ['agents'], keywords: ['tokenizer'] }, window, repo))
    expect(batch.get(b)).toEqual(await select({ subscriberId: b, keywords: ['"speculative decoding"'], limit: 1 }, window, repo))
    expect(batch.get(a)!.length).toBeGreaterThan(0)
  })
})
