// One more worker process for bench/scale.ts (`--workers=N`): the same worker on the same task
// queue, as Cutover scales out; what its activities see goes back to the benchmark over IPC.
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { scaleActivities } from './scale-activities.js';
import { createBenchWorker, epochMs } from './stack.js';

export type ScaleWorkerEvent = { kind: 'ready' } | { kind: 'parked'; name: string } | { kind: 'moved'; name: string; at: number };

const [temporalAddress, taskQueue] = process.argv.slice(2);
const send = (m: ScaleWorkerEvent) => process.send!(m);
Runtime.install({ logger: new DefaultLogger('WARN') });
const connection = await NativeConnection.connect({ address: temporalAddress });
const worker = await createBenchWorker(
  connection,
  taskQueue,
  scaleActivities({ parked: (name) => send({ kind: 'parked', name }), moved: (name, at) => send({ kind: 'moved', name, at }) }, epochMs),
);
process.once('disconnect', () => worker.shutdown());
send({ kind: 'ready' });
await worker.run();
await connection.close();
process.exit(0);
