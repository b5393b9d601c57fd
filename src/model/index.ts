/**
 * The model core's public API: read a definition (JSON here, Keras Python in `python/`), analyse it, and describe
 * it the way Keras would. Pure TypeScript: no vscode, no tfjs.
 */
export * from './types';
export { parseModelJson, MAX_DEPTH } from './parse-json';
export { analyze, analyzeDefinition, analyzeUnplaced, sortDiagnostics, type Analysis } from './analyze';
export { inferLayers, layerNames, type LayerInfo } from './infer';
export { formatSummary, toModelSummary } from './summary-format';
export {
  effectiveOptimizer,
  optimizerLabel,
  optimizerDef,
  OPTIMIZERS,
  OPTIMIZER_TYPES,
  OPTIMIZER_ALIASES,
  DEFAULT_OPTIMIZER,
  type OptimizerDef,
} from './optimizers';
export { expandComparison, compareRepeats, DEFAULT_COMPARISON, type ComparisonPlan } from './compare';
export { hoverAt, inlayHints, pathAt, optimizerMarkdown, type Hover, type InlayHint } from './describe';
export { pathKey, parsePathKey, rangeFor, keyRangeFor, getPath, setPath } from './paths';
export { buildSchema, SCHEMA_ID } from './schema';
export { validateStructure } from './validate';
export { LAYERS, LAYER_TYPES, COMMON_ARGS, layerDef } from './layers/registry';
export type { LayerDef, ArgDef, ParamCount, ShapeResult, JsonSchema } from './layers/layer-def';
export { ACTIVATIONS, ACTIVATION_NAMES, tfjsActivation, type ActivationInfo } from './activations';
export { LOSSES, LOSS_NAMES, normalizeLoss, defaultLoss, lossMismatch } from './losses';
export {
  DATASET_NAMES,
  DEFAULT_VALIDATION_SPLIT,
  normalizeDataset,
  datasetExampleShape,
  datasetClassCount,
  datasetInputKind,
  datasetFromKerasLoadData,
  withPadSequences,
  KERAS_DATASET_MODULES,
} from './datasets';
export { formatShape, thousands } from './number-format';
export { unreadableText, MAX_MODEL_BYTES } from './read-limits';
export { LineIndex } from './text-lines';
