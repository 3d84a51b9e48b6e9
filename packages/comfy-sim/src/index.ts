export { startComfySim } from './sim.ts';
export type { ComfySim, ComfySimOptions, ComfySimStats, SimFaults } from './types.ts';
export { readPngSize, encodePng, crc32 } from './image/png.ts';
export { buildNodeDefs, objectInfoFor, type ObjectInfoOptions } from './nodes/registry.ts';
export { buildObjectInfo, toNodeInfo } from './nodes/object-info.ts';
export type { InputSpec, NodeDef, NodeEnv } from './nodes/types.ts';
export {
  DEFAULT_CHECKPOINTS,
  DEFAULT_LORAS,
  DEFAULT_VAES,
  SAMPLER_NAMES,
  SCHEDULER_NAMES,
} from './nodes/lists.ts';
export { parseBinaryFrame, type BinaryFrame } from './ws/parse-frame.ts';
