export {
  ATTRIBUTION_MODELS,
  DEFAULT_ATTRIBUTION_MODEL,
  isAttributionModel,
  type AttributionModel,
  type ChannelPath,
  type MarkovCredit,
  type ModelOptions,
  type Touch,
} from './types.js';
export { creditTouches } from './creditTouches.js';
export { markovRemovalEffects } from './markov.js';
export { pathWindow, DEFAULT_LOOKBACK_DAYS, MAX_LOOKBACK_DAYS } from './pathWindow.js';
export { DEFAULT_HALF_LIFE_DAYS } from './ruleModels.js';
