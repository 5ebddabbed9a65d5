/**
 * The built-in topic catalogue. Slugs are stored on subscribers: rename or remove one only with a migration of the
 * stored subscribers. Which topics exist was decided from the labelled evaluation set (tests/eval/labels.json): each
 * covers papers no other topic does, and together they cover all but one of its 326 papers.
 *
 * A paper's topics are decided by the topic model (topic-model.ts), trained on the labelled papers. `evidence` is what
 * a person who knows the field writes down about each topic from its definition (tests/eval/LABELLING.md): phrases
 * that speak for it (`strong`: one is close to decisive; `title`: decisive in a title only; `some`: suggestive) or
 * against it, and the arXiv categories that go with it. It was then revised where the dev papers' errors showed a
 * word missing or misleading (never on the held-out papers). Training starts every weight from this prior and moves it
 * only as far as the labelled papers justify, so a topic with few labelled papers still behaves as its definition says.
 */
export interface Topic {
  slug: string
  name: string
  description: string
  group: TopicGroup
  evidence: Evidence
}

export interface Evidence {
  /** Phrases that speak strongly for the topic wherever they are. */
  strong: readonly string[]
  /** Strong in a title (or keywords), only suggestive in an abstract, where such words pass by in most papers. */
  title?: readonly string[]
  /** Suggestive wherever they are. */
  some?: readonly string[]
  against?: readonly string[]
  /** arXiv categories (or whole archives such as `physics`) that speak for the topic. */
  categories?: readonly string[]
}

export const TOPIC_GROUPS = ['Language models', 'Vision, audio and media', 'Learning and methods', 'Applications', 'Across fields'] as const
export type TopicGroup = (typeof TOPIC_GROUPS)[number]

export const TOPICS: readonly Topic[] = [
  {
    slug: 'llm-reasoning',
    name: 'LLM reasoning',
    description: 'How language models reason: chain-of-thought, math and logic, test-time scaling, reasoning RL.',
    group: 'Language models',
    evidence: {
      strong: ['chain of thought', 'CoT', 'test-time scaling', 'reasoning model', 'reasoning models', 'large reasoning model', 'LRM', 'overthinking', 'underthinking', 'latent reasoning', 'theorem proving', 'formal proof', 'reasoning trace', 'reasoning traces', 'long CoT', 'mathematical reasoning', 'math reasoning', 'multi-step reasoning', 'process reward model', 'PRM', 'tree of thoughts', 'test-time compute', 'self-consistency', 'reasoning benchmark', 'deductive', 'inductive reasoning', 'abductive'],
      title: ['reasoning', 'RLVR', 'thinking', 'reasoning ability', 'reasoning capabilities', 'theory of mind', 'commonsense reasoning', 'spatial reasoning', 'visual reasoning', 'multimodal reasoning', 'thinker'],
      some: ['math', 'mathematical', 'logic', 'logical', 'problem solving', 'step by step', 'proof', 'inference-time', 'solve', 'complex problems', 'multi-hop', 'puzzle', 'AIME', 'GSM8K', 'MATH500', 'olympiad', 'R1', 'o1', 'best-of-N', 'majority voting', 'self-refine', 'reflection', 'self-correction', 'think', 'deliberate', 'reason', 'verifiable rewards'],
      against: ['reasoning about', 'human-like reasoning'],
    },
  },
  {
    slug: 'agents',
    name: 'Agents',
    description: 'LLM agents that act: tool use, web, GUI and computer use, deep research, coding agents, multi-agent LLM systems.',
    group: 'Language models',
    evidence: {
      strong: ['LLM agent', 'LLM agents', 'language agent', 'agentic', 'AI agent', 'AI agents', 'web agent', 'GUI agent', 'computer-use', 'computer use', 'tool use', 'tool learning', 'tool calling', 'function calling', 'tool-augmented', 'tool-integrated', 'deep research', 'search agent', 'coding agent', 'software agent', 'agent framework', 'autonomous agent', 'model context protocol', 'MCP', 'agent memory', 'multi-agent system', 'multi-agent framework', 'LLM-based agent', 'web navigation', 'browsing', 'mobile agent', 'ReAct', 'agent benchmark', 'agentic task', 'long-horizon task', 'self-evolving', 'harness', 'scaffold', 'proactive agent'],
      some: ['agent', 'agents', 'tool', 'tools', 'workflow', 'action', 'actions', 'environment', 'long-horizon', 'web', 'GUI', 'terminal', 'browser', 'orchestration', 'planning', 'API', 'memory', 'collaboration', 'roles', 'debate', 'skill', 'skills', 'trajectories', 'executor', 'planner', 'autonomous'],
      against: ['multi-agent reinforcement', 'multi-agent RL', 'MARL', 'Atari', 'MuJoCo', 'locomotion', 'cooperative multi-agent', 'agent-based model', 'reinforcement learning agent'],
      categories: ['cs.MA'],
    },
  },
  {
    slug: 'code',
    name: 'Code & software engineering',
    description: 'Code generation, program synthesis, code LLMs, software-engineering agents, text-to-SQL.',
    group: 'Language models',
    evidence: {
      strong: ['code generation', 'program synthesis', 'software engineering', 'SWE-bench', 'code LLM', 'code model', 'program repair', 'text-to-SQL', 'SQL', 'Verilog', 'RTL', 'HDL', 'hardware description', 'compiler', 'unit test', 'unit tests', 'pull request', 'codebase', 'competitive programming', 'repository-level', 'code review', 'code completion', 'vulnerability detection', 'HumanEval', 'LiveCodeBench', 'chart-to-code', 'pass@k'],
      title: ['code', 'coding', 'programming', 'software'],
      some: ['program', 'programs', 'developer', 'developers', 'test case', 'test cases', 'execution', 'Python', 'debugging', 'bug', 'bugs', 'issue', 'GitHub', 'patch', 'API'],
      categories: ['cs.SE', 'cs.PL'],
    },
  },
  {
    slug: 'llm-training',
    name: 'LLM training & data',
    description: 'Pretraining, data curation, scaling laws, fine-tuning and post-training recipes, new model reports.',
    group: 'Language models',
    evidence: {
      strong: ['continual pretraining', 'mid-training', 'supervised fine-tuning', 'SFT', 'instruction tuning', 'LoRA', 'PEFT', 'parameter-efficient', 'adapter', 'scaling law', 'scaling laws', 'data curation', 'data selection', 'data quality', 'data mixture', 'training recipe', 'technical report', 'open-weight', 'open-source model', 'model merging', 'on-policy distillation', 'self-distillation', 'knowledge distillation', 'teacher model', 'student model', 'knowledge injection', 'catastrophic forgetting', 'context extension', 'language model training', 'training stability', 'post-train'],
      title: ['pretraining', 'pre-training', 'fine-tuning', 'synthetic data', 'memorization', 'tokenization'],
      some: ['training', 'trained', 'corpus', 'tokens', 'teacher', 'student', 'trillion', 'billion parameters', 'recipe', 'curriculum', 'checkpoint', 'base model', 'instruct', 'data', 'scale', 'scaling', 'foundation model', 'self-play', 'distillation', 'self-improvement', 'self-evolution', 'tokenizer', 'long context', 'training data', 'post-training'],
    },
  },
  {
    slug: 'safety-alignment',
    name: 'Safety & alignment',
    description: 'Alignment with human intent, jailbreaks, prompt injection, red teaming, hallucination, security of AI systems.',
    group: 'Language models',
    evidence: {
      strong: ['AI safety', 'jailbreak', 'jailbreaks', 'prompt injection', 'red teaming', 'red-teaming', 'adversarial attack', 'adversarial attacks', 'adversarial robustness', 'harmlessness', 'misalignment', 'deception', 'deceptive', 'backdoor', 'watermark', 'watermarking', 'membership inference', 'data poisoning', 'unlearning', 'guardrail', 'guardrails', 'refusal', 'deepfake', 'human values', 'value alignment', 'preference alignment', 'sycophancy', 'honesty', 'truthfulness', 'reward hacking', 'scalable oversight', 'AI risk', 'content moderation', 'attack surface', 'least privilege', 'generated image detection', 'forensics', 'image forensics', 'manipulation detection', 'forgery', 'deepfake detection'],
      title: ['safety', 'hallucination', 'hallucinations', 'harmful', 'privacy', 'unsafe', 'human preferences', 'security', 'misleading'],
      some: ['alignment', 'aligned', 'attack', 'attacks', 'risk', 'risks', 'robustness', 'trustworthy', 'faithfulness', 'faithful', 'misuse', 'threat', 'vulnerability', 'vulnerabilities', 'defense', 'toxic', 'reliable', 'reliability', 'verification', 'provenance', 'oversight', 'manipulation'],
      against: ['feature alignment', 'representation alignment', 'cross-modal alignment', 'modality alignment', 'image-text alignment', 'collision', 'whole-body safety', 'safe navigation'],
      categories: ['cs.CR'],
    },
  },
  {
    slug: 'interpretability',
    name: 'Interpretability',
    description: 'Understanding what models compute: mechanistic interpretability, probing, attribution, explainable AI.',
    group: 'Language models',
    evidence: {
      strong: ['interpretability', 'mechanistically', 'explainability', 'explainable', 'XAI', 'linear probe', 'saliency', 'sparse autoencoder', 'sparse autoencoders', 'SAE', 'internal representations', 'model internals', 'attention rollout', 'logit lens', 'activation patching', 'causal tracing', 'activation steering', 'representation engineering', 'superposition', 'monosemantic', 'LIME', 'SHAP', 'feature importance', 'concept-based'],
      title: ['interpretable', 'mechanistic', 'probing', 'attribution', 'explanation', 'explanations'],
      some: ['understand', 'understanding why', 'mechanism', 'mechanisms', 'hidden state', 'hidden states', 'representation', 'representations', 'internal', 'activation', 'activations', 'neuron', 'neurons', 'attention heads', 'layer', 'layers', 'analysis', 'encode', 'emergent', 'steering', 'circuit', 'circuits'],
    },
  },
  {
    slug: 'efficiency',
    name: 'Efficiency',
    description: 'Quantization, pruning, distillation, sparse and linear attention, faster inference, serving and kernels.',
    group: 'Language models',
    evidence: {
      strong: ['quantization', 'quantized', 'quantize', 'pruning', 'speculative decoding', 'KV cache', 'sparse attention', 'linear attention', 'efficient inference', 'inference acceleration', 'memory-efficient', 'memory footprint', 'token compression', 'token merging', 'token pruning', 'token reduction', 'low-bit', 'mixed-precision', 'binarization', 'hardware acceleration', 'FPGA', 'FlashAttention', 'Triton', 'CUDA', 'early exit', 'inference cost', 'efficient reasoning', 'cost-quality', 'energy consumption'],
      title: ['compression', 'compress', 'kernel', 'kernels', 'serving', 'speedup', 'FLOPs', 'mixture of experts', 'accelerator', 'co-design', 'on-device', 'edge devices'],
      some: ['efficient', 'efficiency', 'fast', 'faster', 'cost', 'costs', 'lightweight', 'memory', 'compute', 'accelerate', 'acceleration', 'parallelism', 'parallel', 'sparse', 'sparsity', 'edge', 'GPU', 'GPUs', 'budget', 'overhead', 'scalable', 'small models', 'compact', 'routing', 'MoE', 'latency', 'throughput'],
      against: ['data-efficient', 'sample-efficient', 'data efficiency', 'sample efficiency', 'parameter-efficient'],
      categories: ['cs.AR', 'cs.DC', 'cs.PF'],
    },
  },
  {
    slug: 'retrieval-rag',
    name: 'Retrieval & RAG',
    description: 'Retrieval-augmented generation, retrievers and embeddings, reranking, search engines and relevance.',
    group: 'Language models',
    evidence: {
      strong: ['retrieval-augmented generation', 'retrieval-augmented', 'RAG', 'retriever', 'retrievers', 'dense retrieval', 'sparse retrieval', 'reranking', 'reranker', 'learning to rank', 'embedding model', 'embedding models', 'text embedding', 'search engine', 'information retrieval', 'BM25', 'vector search', 'vector database', 'semantic search', 'nearest neighbor search', 'approximate nearest neighbor', 'document retrieval', 'open-domain QA', 'search relevance', 'relevance search', 'query-product', 'duplicate detection'],
      title: ['retrieval', 'knowledge base', 'deduplication', 'semantic matching', 'literature search'],
      some: ['search', 'retrieve', 'retrieved', 'index', 'indexing', 'relevance', 'corpus', 'passage', 'passages', 'memory', 'query', 'queries', 'ranking', 'documents', 'evidence', 'knowledge', 'matching', 'recall@k', 'NDCG', 'embeddings'],
      categories: ['cs.IR'],
    },
  },
  {
    slug: 'dialogue',
    name: 'Dialogue & conversational AI',
    description: 'Dialogue systems and chat assistants, multi-turn conversation, role-play, user simulation.',
    group: 'Language models',
    evidence: {
      strong: ['dialogue', 'dialog', 'dialogues', 'chatbot', 'chatbots', 'role-playing', 'role-play', 'user simulation', 'user simulator', 'dialogue system', 'task-oriented dialogue', 'open-domain dialogue', 'conversational agent', 'conversational recommender', 'empathetic'],
      title: ['conversation', 'conversations', 'conversational', 'multi-turn', 'social robot', 'tutoring', 'companion'],
      some: ['turn', 'turns', 'utterance', 'utterances', 'response generation', 'assistant', 'interactive', 'chat', 'interlocutor', 'talk', 'speaker', 'user', 'persona', 'personas'],
    },
  },
  {
    slug: 'nlp',
    name: 'Language & multilingual NLP',
    description: 'Machine translation, multilingual and low-resource languages, linguistics, classic text tasks.',
    group: 'Language models',
    evidence: {
      strong: ['machine translation', 'low-resource languages', 'cross-lingual', 'linguistics', 'sociolinguistic', 'stance detection', 'sentiment analysis', 'named entity', 'information extraction', 'relation extraction', 'summarization', 'text classification', 'morphology', 'dialect', 'dialects', 'natural language processing', 'NLP', 'parsing', 'syntax', 'hate speech', 'topic modeling', 'word association', 'African languages', 'language varieties', 'table extraction', 'document understanding', 'low-resource language'],
      title: ['translation', 'multilingual', 'linguistic', 'stance', 'sentiment', 'grammar', 'lexical', 'German', 'Chinese', 'Hindi'],
      some: ['language', 'English', 'word', 'words', 'semantic', 'annotation', 'text', 'texts', 'extraction', 'corpus', 'textual', 'native', 'languages', 'low-resource'],
      categories: ['cs.CL'],
    },
  },
  {
    slug: 'vision-language',
    name: 'Vision-language',
    description: 'Models that read images and video with text: VLMs, multimodal LLMs, visual question answering, captioning.',
    group: 'Vision, audio and media',
    evidence: {
      strong: ['vision-language', 'vision-language model', 'VLM', 'VLMs', 'MLLM', 'MLLMs', 'multimodal LLM', 'multimodal large language', 'large vision-language', 'LVLM', 'LVLMs', 'visual question answering', 'VQA', 'captioning', 'image captioning', 'video captioning', 'visual grounding', 'video understanding', 'video LLM', 'video-language', 'CLIP', 'omnimodal', 'omni-modal', 'unified multimodal', 'visual instruction', 'multimodal understanding', 'multimodal reasoning', 'multimodal agent', 'chart understanding', 'GUI grounding'],
      title: ['vision language', 'multimodal model', 'multimodal models', 'image-text', 'text-image', 'audio-visual', 'visual tokens', 'vision encoder'],
      some: ['multimodal', 'visual', 'image', 'images', 'video', 'videos', 'grounding', 'cross-modal', 'chart', 'charts', 'OCR', 'vision', 'perception', 'pixels', 'modality', 'modalities'],
      against: ['vision-language-action', 'VLA', 'text-to-image'],
    },
  },
  {
    slug: 'computer-vision',
    name: 'Computer vision',
    description: 'Visual perception without a language model: detection, segmentation, tracking, recognition, restoration.',
    group: 'Vision, audio and media',
    evidence: {
      strong: ['segmentation', 'object detection', 're-identification', 'image classification', 'visual recognition', 'image recognition', 'pose estimation', 'super-resolution', 'image restoration', 'deblurring', 'remote sensing', 'hyperspectral', 'event camera', 'event-based', 'frame interpolation', 'video reconstruction', 'optical flow', 'depth estimation', 'surface normal', 'dense prediction', 'action recognition', 'image fusion', 'vision transformer', 'ViT', 'self-supervised visual', 'visual representation', 'image retrieval', 'scene understanding', 'document image', 'defect detection', 'computer vision', 'video analysis', 'object tracking', 'visual tracking', 'multi-object tracking', 'point tracking', 'image detection', 'face detection', 'lane detection'],
      title: ['segment', 'keypoint', 'satellite', 'aerial', 'imagery', 'infrared', 'face', 'facial', 'gait', 'ResNet', 'convolutional', 'CNN', 'handwritten'],
      some: ['image', 'images', 'visual', 'pixel', 'pixels', 'video', 'videos', 'camera', 'cameras', 'backbone', 'recognition', 'classification', 'vision', 'frames', 'mask', 'masks', 'spatial', 'appearance', 'detection', 'detector', 'tracking', 'pedestrian'],
      against: ['large language model', 'VLM', 'MLLM', 'text-to-image'],
      categories: ['cs.CV', 'eess.IV'],
    },
  },
  {
    slug: 'diffusion-generation',
    name: 'Image & video generation',
    description: 'Generating and editing images, video and 3D content: diffusion, flow matching, text-to-image, editing.',
    group: 'Vision, audio and media',
    evidence: {
      strong: ['diffusion model', 'diffusion models', 'image generation', 'video generation', 'text-to-image', 'text-to-video', 'T2I', 'image editing', 'video editing', 'flow matching', 'rectified flow', 'diffusion transformer', 'DiT', 'latent diffusion', 'stable diffusion', 'video diffusion', 'diffusion prior', 'image synthesis', 'video synthesis', 'visual generation', 'visual tokenizer', 'image tokenizer', 'motion generation', 'motion synthesis', 'human motion', 'style transfer', 'controllable generation', 'autoregressive image', 'consistency model', 'classifier-free guidance', 'talking head', '3D generation', '4D generation', 'panoramic generation'],
      title: ['inpainting', 'few-step', 'one-step', 'avatar', 'generative model', 'generative models'],
      some: ['diffusion', 'generation', 'generative', 'generate', 'generated', 'denoising', 'sampling', 'sampler', 'FID', 'VAE', 'GAN', 'editing', 'synthesis', 'fidelity', 'guidance', 'latent', 'tokenizer', 'distilled', 'realistic'],
      against: ['molecule', 'molecules', 'protein', 'diffusion policy', 'language model', 'text generation', 'policy'],
    },
  },
  {
    slug: '3d-world-models',
    name: '3D & world models',
    description: '3D reconstruction, Gaussian splatting, NeRF, novel views, scene understanding, world models.',
    group: 'Vision, audio and media',
    evidence: {
      strong: ['3D reconstruction', 'Gaussian splatting', '3D Gaussian', 'splatting', 'NeRF', 'radiance field', 'radiance fields', 'novel view synthesis', 'novel view', 'world model', 'world models', 'world-action', 'action-conditioned video', 'point cloud', 'point clouds', '4D reconstruction', '3D scene', 'SLAM', '3D understanding', 'spatial intelligence'],
      title: ['4D', '3D', 'mesh', 'meshes', 'multi-view', 'panorama', 'panoramic', '360', 'LiDAR', 'occupancy', 'CAD', 'video prediction'],
      some: ['camera pose', 'rendering', 'render', 'scene', 'scenes', 'spatial', 'depth', 'view', 'views', 'simulator', 'simulation', 'physical', 'environment', 'future', 'reconstruction', 'geometric', 'geometry', 'digital twin', 'dynamics model'],
      categories: ['cs.GR'],
    },
  },
  {
    slug: 'speech-audio',
    name: 'Speech & audio',
    description: 'Speech recognition and synthesis, spoken language models, audio understanding and generation, music.',
    group: 'Vision, audio and media',
    evidence: {
      strong: ['speech', 'audio', 'ASR', 'speech recognition', 'text-to-speech', 'TTS', 'spoken', 'music', 'phoneme', 'phone recognition', 'phonological', 'phonetic', 'audio language model', 'speech translation', 'speech emotion', 'voice conversion', 'singing', 'sound event', 'audio generation', 'music generation', 'audio codec', 'Whisper', 'bioacoustics'],
      title: ['voice', 'musical', 'sound', 'sounds', 'acoustic', 'speaker', 'song', 'vocal', 'audio-visual'],
      some: ['listen', 'listening', 'waveform', 'prosody', 'transcript', 'transcripts', 'transcription', 'piano', 'melody', 'harmonic', 'emotion recognition', 'pitch', 'rhythm', 'hearing'],
      categories: ['cs.SD', 'eess.AS'],
    },
  },
  {
    slug: 'reinforcement-learning',
    name: 'Reinforcement learning',
    description: 'RL algorithms and theory, offline and multi-agent RL, reward models, RL post-training of LLMs (RLHF, RLVR).',
    group: 'Learning and methods',
    evidence: {
      strong: ['reinforcement learning', 'RL', 'policy optimization', 'GRPO', 'PPO', 'RLHF', 'RLAIF', 'RLVR', 'reward model', 'reward models', 'reward modeling', 'offline RL', 'online RL', 'model-based RL', 'meta-RL', 'zero-shot RL', 'deep RL', 'Q-learning', 'actor-critic', 'policy gradient', 'Markov decision process', 'MDP', 'POMDP', 'MARL', 'multi-agent reinforcement', 'deep reinforcement learning', 'temporal difference', 'Bellman', 'R1-Zero', 'unsupervised environment design'],
      title: ['DPO', 'reward', 'rewards', 'reward shaping', 'value function', 'agentic RL', 'reinforced', 'reinforcing', 'preference optimization', 'trust region', 'verifiable rewards', 'bandit', 'bandits', 'goal-conditioned', 'environment design'],
      some: ['policy', 'policies', 'exploration', 'on-policy', 'off-policy', 'self-play', 'agent', 'environment', 'return', 'returns', 'rollout', 'rollouts', 'critic', 'advantage', 'KL', 'trajectory', 'trajectories', 'curriculum', 'sparse rewards'],
      against: ['behavior cloning', 'imitation learning', 'policy makers', 'privacy policy'],
    },
  },
  {
    slug: 'ml-foundations',
    name: 'ML foundations',
    description: 'Optimisation, learning theory, architectures, representation learning, causal and probabilistic methods, GNNs.',
    group: 'Learning and methods',
    evidence: {
      strong: ['theoretical analysis', 'we prove', 'provably', 'provable', 'generalization bound', 'convergence rate', 'optimizer', 'optimizers', 'gradient descent', 'SGD', 'Adam', 'loss landscape', 'sample complexity', 'PAC', 'learning theory', 'statistical learning', 'Gaussian process', 'causal inference', 'conformal', 'conformal prediction', 'uncertainty quantification', 'graph neural network', 'graph neural networks', 'GNN', 'GNNs', 'message passing', 'Gaussian mixture', 'dimensionality reduction', 'identifiability', 'equivariant', 'equivariance', 'geometric deep learning', 'state-space model', 'state space models', 'expressive power', 'information bottleneck', 'density estimation', 'neural ODE', 'kernel methods', 'linear algebra', 'quantum machine learning'],
      title: ['theory', 'theoretical', 'theorem', 'learning rate', 'Bayesian', 'variational', 'probabilistic', 'clustering', 'spectral', 'representation learning', 'invariance', 'symmetry', 'topology', 'topological', 'RNN', 'RNNs', 'expressivity', 'approximation', 'domain adaptation', 'meta-learning', 'federated learning', 'dynamical systems', 'dynamical system', 'numerical', 'active learning', 'semi-supervised', 'out-of-distribution', 'distribution shift', 'tabular', 'neural architecture', 'residual', 'training dynamics', 'scale-invariant', 'linear regression', 'estimator'],
      some: ['gradient', 'gradients', 'loss', 'bound', 'bounds', 'linear', 'stochastic', 'neural network', 'neural networks', 'kernel', 'graph', 'graphs', 'learning', 'inference', 'parameters', 'functions', 'complexity', 'analysis', 'optimization', 'architecture', 'architectures', 'uncertainty', 'calibration', 'counterfactual', 'matrix', 'regression', 'statistical', 'anomaly detection', 'transfer learning', 'continual learning', 'convergence', 'normalization', 'few-shot learning', 'regularization'],
      against: ['large language model', 'LLM', 'LLMs', 'agent', 'agents', 'benchmark', 'language models', 'theory of mind', 'policy optimization'],
      categories: ['stat.ML', 'math.OC', 'math.ST', 'stat.ME', 'math.NA', 'stat.CO'],
    },
  },
  {
    slug: 'time-series',
    name: 'Time series & forecasting',
    description: 'Forecasting, spatio-temporal prediction, financial series, event processes, anomalies in signals.',
    group: 'Learning and methods',
    evidence: {
      strong: ['time series', 'time-series', 'forecasting', 'point process', 'temporal point process', 'spatio-temporal', 'spatiotemporal', 'traffic forecasting', 'volatility', 'non-stationary', 'seasonality', 'fault detection', 'fault diagnosis', 'predictive maintenance', 'event sequences', 'temporal interaction'],
      title: ['forecast', 'forecasts', 'stock', 'stocks', 'price', 'prices', 'finance', 'market', 'markets', 'trading', 'portfolio', 'investment', 'sensors', 'multivariate'],
      some: ['temporal', 'dynamics', 'prediction', 'predict', 'trend', 'event', 'events', 'signal', 'sequence', 'sequences', 'horizon', 'historical', 'time', 'monitoring', 'EEG', 'sensor', 'industrial', 'signals', 'financial', 'anomaly detection'],
      categories: ['q-fin', 'eess.SP'],
    },
  },
  {
    slug: 'knowledge-symbolic',
    name: 'Knowledge & symbolic AI',
    description: 'Knowledge graphs, logic and neuro-symbolic AI, automated planning, combinatorial optimisation, game theory.',
    group: 'Learning and methods',
    evidence: {
      strong: ['knowledge graph', 'knowledge graphs', 'link prediction', 'ontology', 'ontologies', 'description logic', 'neuro-symbolic', 'neurosymbolic', 'first-order', 'logic programming', 'answer set programming', 'SMT', 'quantifier', 'automated reasoning', 'PDDL', 'classical planning', 'generalized planning', 'automated planning', 'constraint satisfaction', 'combinatorial optimization', 'NP-hard', 'metaheuristic', 'genetic algorithm', 'evolutionary algorithm', 'ant colony', 'integer programming', 'linear programming', 'branch and bound', 'game theory', 'game-theoretic', 'mechanism design', 'social choice', 'Nash equilibrium', 'knowledge representation', 'rule learning'],
      title: ['symbolic', 'SAT', 'solver', 'solvers', 'constraints', 'combinatorial', 'heuristic', 'heuristics', 'voting', 'elections', 'MCTS', 'search algorithm', 'EDA'],
      some: ['logic', 'logical', 'rule', 'rules', 'optimization', 'planning', 'graph', 'search', 'entity', 'entities', 'games', 'game', 'structured', 'formal', 'problem', 'scheduling', 'relational', 'placement'],
      categories: ['cs.LO', 'cs.GT', 'cs.DS', 'cs.DM', 'cs.DB'],
    },
  },
  {
    slug: 'robotics',
    name: 'Robotics & embodied AI',
    description: 'Robot learning, manipulation, locomotion, vision-language-action models, navigation, driving, drones.',
    group: 'Applications',
    evidence: {
      strong: ['robot', 'robots', 'robotic', 'robotics', 'humanoid', 'humanoids', 'quadruped', 'legged', 'grasp', 'grasping', 'dexterous', 'vision-language-action', 'VLA', 'embodied', 'sim-to-real', 'real robot', 'real-world robot', 'teleoperation', 'diffusion policy', 'end-effector', 'gripper', 'tactile', 'contact-rich', 'motion planning', 'trajectory optimization', 'control barrier', 'CBF', 'model predictive control', 'MPC', 'autonomous driving', 'autonomous vehicles', 'autonomous vehicle', 'self-driving', 'UAV', 'quadrotor', 'mobile robot', 'human-robot interaction', 'HRI', 'exoskeleton', 'impedance control', 'robot manipulation', 'robotic manipulation', 'dexterous manipulation', 'object manipulation', 'mobile manipulation', 'manipulation policy', 'embodied navigation', 'visual navigation', 'robot navigation', 'vision-language navigation'],
      title: ['driving', 'drone', 'drones', 'musculoskeletal', 'biomechanics', 'whole-body', 'locomotion', 'compliance', 'kinematics'],
      some: ['control', 'controller', 'physical', 'real-world', 'arm', 'vehicle', 'vehicles', 'contact', 'demonstrations', 'imitation learning', 'behavior cloning', 'hardware', 'deployment', 'sensing', 'motion', 'objects', 'tasks', 'manipulation', 'navigation'],
      against: ['D4RL', 'Atari', 'MuJoCo', 'Minecraft', 'game', 'games', 'Crafter', 'image manipulation', 'manipulation detection', 'forgery', 'forensics', 'web navigation', 'GUI navigation'],
      categories: ['cs.RO', 'eess.SY'],
    },
  },
  {
    slug: 'science',
    name: 'AI for science',
    description: 'AI for physics, chemistry, materials, molecules and proteins, biology, climate and astronomy.',
    group: 'Applications',
    evidence: {
      strong: ['physical systems', 'chemistry', 'materials discovery', 'materials science', 'genomics', 'single-cell', 'omics', 'DNA', 'RNA', 'quantum chemistry', 'quantum circuits', 'astronomy', 'astrophysics', 'planetary', 'fluid dynamics', 'scientific computing', 'force field', 'force fields', 'molecular dynamics', 'crystal', 'catalysis', 'particle physics', 'scientific discovery', 'AI scientist', 'ecology', 'evolutionary biology', 'mathematics research'],
      title: ['physics', 'chemical', 'materials', 'molecule', 'molecules', 'molecular', 'protein', 'proteins', 'biology', 'biological', 'genes', 'gene', 'cell', 'cells', 'quantum', 'climate', 'weather', 'fluid', 'PDE', 'partial differential', 'automated research', 'scientific literature', 'research papers', 'hypothesis', 'hypotheses', 'laboratory', 'species', 'scientific'],
      some: ['science', 'sciences', 'scientists', 'experiment', 'experiments', 'experimental', 'discovery', 'simulation', 'simulations', 'physical', 'energy', 'structure', 'structures'],
      categories: ['physics', 'cond-mat', 'q-bio', 'quant-ph', 'astro-ph', 'hep-th', 'hep-ph', 'hep-lat', 'math-ph', 'nlin', 'gr-qc', 'nucl-th'],
    },
  },
  {
    slug: 'medicine-health',
    name: 'Medicine & health',
    description: 'Clinical prediction, medical imaging, health records, biomedical language, drug discovery, mental health.',
    group: 'Applications',
    evidence: {
      strong: ['medical', 'medicine', 'clinical', 'clinician', 'clinicians', 'patient', 'patients', 'hospital', 'healthcare', 'prognosis', 'EHR', 'electronic health records', 'radiology', 'radiograph', 'X-ray', 'MRI', 'ultrasound', 'pathology', 'histopathology', 'dermatology', 'cancer', 'tumor', 'oncology', 'cardiology', 'fMRI', 'neurological', 'seizure', 'epilepsy', 'dementia', 'Alzheimer', 'autism', 'mental health', 'drug discovery', 'clinical trial', 'surgery', 'surgical', 'medical imaging', 'medical image', 'biomedical', 'PubMed'],
      title: ['health', 'disease', 'diseases', 'diagnosis', 'chest', 'CT', 'cardiac', 'ECG', 'EEG', 'depression', 'therapy', 'treatment', 'drug', 'drugs', 'biomarker', 'biomarkers', 'symptoms', 'lesion', 'brain-computer interface', 'BCI', 'wearable'],
      some: ['brain', 'biological', 'risk', 'screening', 'physicians', 'doctors', 'nurses', 'anatomy', 'anatomical', 'body', 'genotype', 'diagnostic', 'care'],
      against: ['fault diagnosis'],
      categories: ['q-bio.QM', 'physics.med-ph', 'q-bio.NC', 'q-bio.TO', 'eess.SP'],
    },
  },
  {
    slug: 'recommendation',
    name: 'Recommendation',
    description: 'Recommender systems, personalisation, user modelling, click-through prediction, feeds.',
    group: 'Applications',
    evidence: {
      strong: ['recommendation', 'recommendations', 'recommender', 'recommender system', 'recommender systems', 'collaborative filtering', 'click-through rate', 'CTR', 'user modeling', 'personalized recommendation', 'sequential recommendation', 'conversational recommender', 'job recommendation'],
      title: ['recommend', 'user behavior', 'content exploration'],
      some: ['user', 'users', 'item', 'items', 'personalized', 'feed', 'feeds', 'ranking', 'engagement', 'consumer', 'consumers', 'products', 'product', 'personalization', 'debiasing', 'exposure', 'user preferences', 'cold-start', 'e-commerce'],
      categories: ['cs.IR'],
    },
  },
  {
    slug: 'society',
    name: 'AI & society',
    description: 'Ethics, fairness and bias, policy and governance, education, culture, misinformation, human-AI studies.',
    group: 'Applications',
    evidence: {
      strong: ['ethics', 'ethical', 'social bias', 'gender bias', 'demographic bias', 'racial bias'],
      title: ['fairness', 'demographic', 'gender', 'race', 'racial', 'stereotype', 'stereotypes', 'social', 'societal', 'society', 'policymakers', 'governance', 'regulation', 'regulatory', 'legal', 'accountability', 'education', 'educational', 'students', 'economics', 'economic', 'labor', 'workforce', 'culture', 'cultural', 'misinformation', 'disinformation', 'pseudo-science', 'human-AI collaboration', 'user study', 'interviews', 'qualitative', 'psychology', 'psychological', 'psychometric', 'personality', 'human behavior', 'sociolinguistics', 'creativity', 'artists', 'creative practice', 'trust in AI', 'AI adoption', 'bibliometric', 'social media'],
      some: ['human', 'humans', 'people', 'community', 'communities', 'trust', 'impact', 'impacts', 'world', 'users', 'collaboration', 'global', 'language ideologies', 'cognitive', 'values', 'law', 'public', 'commercial', 'oversight', 'survey', 'bias', 'biases', 'biased', 'productivity', 'transparency', 'participants', 'news', 'teachers'],
      against: ['inductive bias', 'bias term', 'bias correction', 'scaling law', 'survey of'],
      categories: ['cs.CY', 'cs.HC'],
    },
  },
  {
    slug: 'benchmarks-evaluation',
    name: 'Benchmarks & evaluation',
    description: 'New benchmarks, datasets, metrics and evaluation studies.',
    group: 'Across fields',
    evidence: {
      strong: ['evaluation framework', 'evaluation suite', 'leaderboard', 'test suite', 'testbed', 'audit', 'empirical study', 'systematic study', 'systematic evaluation', 'comprehensive evaluation', 'evaluation protocol', 'evaluation methodology', 'as-a-judge'],
      title: ['benchmark', 'bench', 'dataset', 'datasets', 'auditing', 'metrics', 'metric', 'human-annotated', 'annotated', 'evaluating', 'evaluation', 'measuring', 'validity'],
      some: ['evaluate', 'assess', 'measure', 'measures', 'comparison', 'compare', 'human evaluation', 'corpus', 'curate', 'curated', 'construct', 'release', 'we introduce', 'analysis', 'study', 'tasks', '?', 'diagnostic', 'judge', 'assessment'],
    },
  },
]

/** The catalogue as pages show it: by group, in catalogue order. */
export const TOPICS_BY_GROUP = TOPIC_GROUPS.map((group) => ({ group, topics: TOPICS.filter((t) => t.group === group) }))

const BY_SLUG = new Map(TOPICS.map((t) => [t.slug, t]))

export const topicBySlug = (slug: string): Topic | undefined => BY_SLUG.get(slug)
export const unknownTopics = (slugs: readonly string[]): string[] => slugs.filter((s) => !BY_SLUG.has(s))
