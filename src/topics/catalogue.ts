/**
 * The built-in topic catalogue. Each topic is a PostgreSQL `websearch_to_tsquery('english', query)` over a paper's
 * weighted search vector (title > AI keywords > abstract), so stemming applies: "agents" matches "agent", "agentic".
 * Slugs are stored on subscribers: rename one only with a migration.
 */
export interface Topic {
  slug: string
  name: string
  description: string
  query: string
  /** Which parts of the search vector count (A title, B AI keywords, C abstract); all when absent. */
  weights?: string
}

export const TOPICS: readonly Topic[] = [
  {
    slug: 'llm-reasoning',
    name: 'LLM reasoning',
    description: 'Chain-of-thought, test-time compute, math and logic reasoning in language models.',
    query: 'reasoning OR "chain of thought" OR "chain-of-thought" OR "test-time scaling" OR "test-time compute" OR "mathematical reasoning"',
  },
  {
    slug: 'reinforcement-learning',
    name: 'Reinforcement learning',
    description: 'RL algorithms, RLHF, reward models, policy optimisation.',
    query: '"reinforcement learning" OR RL OR RLHF OR RLVR OR GRPO OR PPO OR "reward model" OR "policy optimization"',
  },
  {
    slug: 'agents',
    name: 'Agents',
    description: 'LLM agents, tool use, planning, web and computer-use agents.',
    query: 'agent OR agentic OR "tool use" OR "tool calling" OR "computer use" OR "web navigation" OR "multi-agent"',
  },
  {
    slug: 'vision-language',
    name: 'Vision-language',
    description: 'Multimodal models that read images and video with text: VLMs, MLLMs, visual question answering.',
    query: '"vision-language" OR "vision language" OR VLM OR MLLM OR multimodal OR "visual question answering" OR "video understanding"',
  },
  {
    slug: 'diffusion-generation',
    name: 'Diffusion & generation',
    description: 'Image, video and 3D generation: diffusion, flow matching, text-to-image, editing.',
    query: 'diffusion OR "flow matching" OR "text-to-image" OR "text-to-video" OR "image generation" OR "video generation" OR "image editing"',
  },
  {
    slug: 'robotics',
    name: 'Robotics & embodied AI',
    description: 'Robot learning, manipulation, navigation, vision-language-action models.',
    query: 'robot OR robotics OR embodied OR "dexterous manipulation" OR "vision-language-action" OR VLA OR locomotion OR humanoid',
  },
  {
    slug: 'speech-audio',
    name: 'Speech & audio',
    description: 'Speech recognition and synthesis, audio language models, music.',
    query: 'speech OR audio OR ASR OR "text-to-speech" OR voice OR music',
  },
  {
    slug: 'efficiency',
    name: 'Efficiency',
    description: 'Quantization, pruning, distillation, sparse attention, faster inference and training.',
    query: 'quantization OR pruning OR distillation OR "efficient inference" OR "speculative decoding" OR "KV cache" OR "sparse attention" OR sparsity OR "mixture of experts" OR MoE OR efficiency',
  },
  {
    slug: 'safety-alignment',
    name: 'Safety & alignment',
    description: 'Alignment, jailbreaks, red teaming, interpretability, hallucination.',
    query: 'safety OR jailbreak OR "red teaming" OR "red-teaming" OR interpretability OR hallucination OR harmful OR misalignment OR "value alignment" OR "preference alignment" OR "align with human"',
  },
  {
    slug: 'code',
    name: 'Code generation',
    description: 'Code LLMs, software-engineering agents, program synthesis.',
    query: '"code generation" OR "code LLM" OR "code model" OR "code completion" OR "code repair" OR "generate code" OR "coding agent" OR "coding task" OR "software engineering" OR "program synthesis" OR "program repair" OR SWE-bench OR "programming language" OR "competitive programming"',
  },
  {
    slug: 'retrieval-rag',
    name: 'Retrieval & RAG',
    description: 'Retrieval-augmented generation, embeddings, search, memory.',
    query: 'retrieval OR RAG OR "retrieval-augmented" OR "embedding model" OR "text embedding" OR reranking OR "long-term memory"',
  },
  {
    slug: 'benchmarks-evaluation',
    name: 'Benchmarks & evaluation',
    description: 'New benchmarks, datasets and evaluation methods.',
    query: 'benchmark OR evaluation OR leaderboard OR dataset',
    // Almost every method paper says "on standard benchmarks" in its abstract: only titles and keywords count.
    weights: 'AB',
  },
  {
    slug: '3d-world-models',
    name: '3D & world models',
    description: '3D reconstruction, Gaussian splatting, NeRF, world models and simulation.',
    query: '"3D" OR "gaussian splatting" OR NeRF OR "world model" OR "scene reconstruction" OR "surface reconstruction" OR "novel view synthesis"',
  },
]

const BY_SLUG = new Map(TOPICS.map((t) => [t.slug, t]))

export const topicBySlug = (slug: string): Topic | undefined => BY_SLUG.get(slug)
export const unknownTopics = (slugs: readonly string[]): string[] => slugs.filter((s) => !BY_SLUG.has(s))
