import { parseArgs } from 'node:util';
import { startComfySim } from './sim.ts';

// comfy-sim --port 8188 --host 127.0.0.1 --output-dir DIR --step-ms N [--node-ms N] [--no-previews]
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8188' },
    host: { type: 'string', default: '127.0.0.1' },
    'output-dir': { type: 'string' },
    'step-ms': { type: 'string', default: '0' },
    'node-ms': { type: 'string', default: '0' },
    'no-previews': { type: 'boolean', default: false },
  },
});

const sim = await startComfySim({
  port: Number(values.port),
  host: values.host,
  ...(values['output-dir'] !== undefined ? { rootDir: values['output-dir'] } : {}),
  stepMs: Number(values['step-ms']),
  nodeMs: Number(values['node-ms']),
  previews: !values['no-previews'],
});
console.log(`comfy-sim listening on ${sim.url}`);

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
