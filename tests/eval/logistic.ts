/**
 * Pure and deterministic. L2-regularised logistic regression pulled toward prior weights:
 *
 *   minimise  Σᵢ log(1 + e^{sᵢ}) − yᵢ sᵢ  +  ½ Σⱼ λⱼ (wⱼ − μⱼ)²,   sᵢ = b + Σⱼ wⱼ xᵢⱼ
 *
 * so a weight the data says nothing about stays at its prior μⱼ, and one the data contradicts moves only as far as the
 * data justify (λⱼ). Solved with L-BFGS and a backtracking line search; the bias is not regularised.
 */

export interface SparseRow {
  /** Feature indexes and values, same length. */
  index: Int32Array
  value: Float64Array
}

export interface LogisticProblem {
  rows: readonly SparseRow[]
  labels: readonly (0 | 1)[]
  /** Per feature. */
  prior: Float64Array
  lambda: Float64Array
}

export interface LogisticFit {
  weights: Float64Array
  bias: number
  iterations: number
  converged: boolean
}

const softplus = (s: number) => (s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s)))
const sigmoid = (s: number) => 1 / (1 + Math.exp(-s))

/** Objective and gradient at θ = [w…, b]. */
function evaluate(p: LogisticProblem, theta: Float64Array, grad: Float64Array): number {
  const d = p.prior.length
  grad.fill(0)
  let loss = 0
  for (let i = 0; i < p.rows.length; i++) {
    const row = p.rows[i]!
    let s = theta[d]!
    for (let k = 0; k < row.index.length; k++) s += theta[row.index[k]!]! * row.value[k]!
    const y = p.labels[i]!
    loss += softplus(s) - y * s
    const r = sigmoid(s) - y
    for (let k = 0; k < row.index.length; k++) grad[row.index[k]!]! += r * row.value[k]!
    grad[d]! += r
  }
  for (let j = 0; j < d; j++) {
    const diff = theta[j]! - p.prior[j]!
    loss += 0.5 * p.lambda[j]! * diff * diff
    grad[j]! += p.lambda[j]! * diff
  }
  return loss
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

export function fitLogistic(p: LogisticProblem, { maxIterations = 500, tolerance = 1e-7, memory = 10 } = {}): LogisticFit {
  const n = p.prior.length + 1
  const theta = new Float64Array(n)
  theta.set(p.prior)
  // Start the bias at the log-odds of the labels: the optimum is near it when the features say little.
  const positives = p.labels.reduce<number>((a, y) => a + y, 0)
  theta[n - 1] = Math.log((positives + 0.5) / (p.labels.length - positives + 0.5))
  const grad = new Float64Array(n)
  let loss = evaluate(p, theta, grad)
  const history: { s: Float64Array; y: Float64Array; rho: number }[] = []
  const direction = new Float64Array(n)
  const nextTheta = new Float64Array(n)
  const nextGrad = new Float64Array(n)

  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    // Two-loop recursion: direction = −H·grad.
    direction.set(grad)
    const alphas: number[] = []
    for (let h = history.length - 1; h >= 0; h--) {
      const { s, y, rho } = history[h]!
      const alpha = rho * dot(s, direction)
      alphas[h] = alpha
      for (let i = 0; i < n; i++) direction[i]! -= alpha * y[i]!
    }
    if (history.length > 0) {
      const last = history[history.length - 1]!
      const gamma = dot(last.s, last.y) / dot(last.y, last.y)
      for (let i = 0; i < n; i++) direction[i]! *= gamma
    }
    for (let h = 0; h < history.length; h++) {
      const { s, y, rho } = history[h]!
      const beta = rho * dot(y, direction)
      for (let i = 0; i < n; i++) direction[i]! += s[i]! * (alphas[h]! - beta)
    }
    for (let i = 0; i < n; i++) direction[i] = -direction[i]!

    let slope = dot(grad, direction)
    if (slope >= 0) {
      // Not a descent direction (curvature information went stale): fall back to steepest descent.
      for (let i = 0; i < n; i++) direction[i] = -grad[i]!
      history.length = 0
      slope = dot(grad, direction)
    }
    let step = history.length === 0 ? 1 / Math.max(1, Math.sqrt(dot(grad, grad))) : 1
    let nextLoss = Infinity
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) nextTheta[i] = theta[i]! + step * direction[i]!
      nextLoss = evaluate(p, nextTheta, nextGrad)
      if (nextLoss <= loss + 1e-4 * step * slope) break
      step /= 2
    }
    if (!(nextLoss <= loss)) return { weights: theta.slice(0, n - 1), bias: theta[n - 1]!, iterations: iteration, converged: false }

    const s = new Float64Array(n)
    const y = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      s[i] = nextTheta[i]! - theta[i]!
      y[i] = nextGrad[i]! - grad[i]!
    }
    const sy = dot(s, y)
    if (sy > 1e-12) {
      history.push({ s, y, rho: 1 / sy })
      if (history.length > memory) history.shift()
    }
    theta.set(nextTheta)
    grad.set(nextGrad)
    const improvement = loss - nextLoss
    loss = nextLoss
    if (Math.sqrt(dot(grad, grad)) < tolerance * Math.max(1, p.rows.length) || improvement < 1e-12) {
      return { weights: theta.slice(0, n - 1), bias: theta[n - 1]!, iterations: iteration, converged: true }
    }
  }
  return { weights: theta.slice(0, n - 1), bias: theta[n - 1]!, iterations: maxIterations, converged: false }
}
