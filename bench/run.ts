// Runs the benchmarks one after another (each starts and stops its own peers) and collects
// their figures.
//   npm run bench                   full counts; judges every goal; appends a dated block to bench/RESULTS.md
//   npm run bench -- --smoke        tiny counts, seconds each: proves every benchmark still runs and
//                                   prints its figures (CI); judges nothing, writes nothing
//   npm run bench -- rollback ...   only the named ones
//   npm run bench -- scale --postgres --workers=2
//                                   other options go to each benchmark run (bench/scale.ts lists its own)
// Exits non-zero when a benchmark fails or prints no figures — never for a goal not met.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { FIGURES_PREFIX, round, smoke, type Figure } from './figures.js';

interface Bench {
  name: string;
  /** Minutes before it counts as hung. */
  timeoutMinutes: { full: number; smoke: number };
}

const BENCHES: Bench[] = [
  { name: 'rollback', timeoutMinutes: { full: 15, smoke: 6 } },
  { name: 'overhead', timeoutMinutes: { full: 20, smoke: 6 } },
  { name: 'route53-rate', timeoutMinutes: { full: 20, smoke: 6 } },
  { name: 'history', timeoutMinutes: { full: 60, smoke: 6 } }, // 37 days of server time in 30-s steps
  { name: 'scale', timeoutMinutes: { full: 90, smoke: 6 } },
];

const repo = fileURLToPath(new URL('..', import.meta.url));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const unknown = wanted.filter((w) => !BENCHES.some((b) => b.name === w));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const chosen = BENCHES.filter((b) => wanted.length === 0 || wanted.includes(b.name));
const options = process.argv.slice(2).filter((a) => a.startsWith('--') && a !== '--smoke');

interface Outcome {
  bench: Bench;
  figures: Figure[];
  seconds: number;
  /** Why it failed; absent when it ran and printed its figures. */
  failure?: string;
}

function runOne(bench: Bench): Promise<Outcome> {
  const t0 = performance.now();
  const args = ['--import', 'tsx', `bench/${bench.name}.ts`, ...(smoke ? ['--smoke'] : []), ...options];
  console.log(`\n== bench/${bench.name}.ts${smoke ? ' (smoke)' : ''}${options.length ? ` ${options.join(' ')}` : ''}`);
  // Its own process group, so a hung benchmark and the peers it started can be stopped together.
  const child = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  let figures: Figure[] | undefined;
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith(FIGURES_PREFIX)) figures = JSON.parse(line.slice(FIGURES_PREFIX.length));
      else console.log(line);
    }
  });
  const limitMs = (smoke ? bench.timeoutMinutes.smoke : bench.timeoutMinutes.full) * 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    process.kill(-child.pid!, 'SIGTERM');
    setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5_000).unref();
  }, limitMs);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - t0) / 1000;
      const failure = timedOut
        ? `no result within ${limitMs / 60_000} min`
        : code !== 0
          ? `exited with ${code ?? signal}`
          : !figures?.length
            ? 'printed no figures'
            : undefined;
      resolve({ bench, figures: figures ?? [], seconds, failure });
    });
  });
}

const git = (...args: string[]) => {
  try {
    return execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};
const loads = () => os.loadavg().map((l) => l.toFixed(2)).join(' / ');
const machine = `${os.cpus().length} cores (nproc ${os.availableParallelism()}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${os.cpus()[0]?.model ?? 'unknown CPU'}`;
const loadBefore = loads();
const started = new Date();

const outcomes: Outcome[] = [];
for (const bench of chosen) outcomes.push(await runOne(bench));

const failed = outcomes.filter((o) => o.failure);
console.log(`\n== benchmarks${smoke ? ' (smoke: goals not judged)' : ''}`);
for (const o of outcomes) {
  console.log(`${o.failure ? 'FAILED' : 'ran   '} ${o.bench.name.padEnd(13)} ${o.seconds.toFixed(0).padStart(5)} s  ${o.failure ?? `${o.figures.length} figures`}`);
}

if (!smoke) {
  const commit = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--untracked-files=no') ? ' (with uncommitted changes)' : '';
  const judged = (f: Figure) => (f.goal === undefined ? '—' : f.met ? 'met' : '**not met**');
  const lines = [
    '',
    `## ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC — commit ${commit}${dirty}`,
    '',
    `Machine: ${machine}; load average (1/5/15 min) ${loadBefore} before, ${loads()} after.${options.length ? ` Options: \`${options.join(' ')}\`.` : ''}`,
    '',
    '| benchmark | figure | value | goal | met |',
    '|---|---|---|---|---|',
    ...outcomes.flatMap((o) =>
      o.failure
        ? [`| ${o.bench.name} | **failed: ${o.failure}** | | | |`]
        : o.figures.map((f) => `| ${o.bench.name} | ${f.name} | ${round(f.value)} ${f.unit} | ${f.goal ?? ''} | ${judged(f)} |`),
    ),
    '',
  ];
  const results = fileURLToPath(new URL('RESULTS.md', import.meta.url));
  if (!existsSync(results)) {
    writeFileSync(
      results,
      '# Benchmark results\n\nOne block per `npm run bench`, appended by `bench/run.ts`; every figure beside its goal.\n' +
        'Figures from a loaded machine (see the load average) are upper bounds on what the code costs.\n',
    );
  }
  appendFileSync(results, lines.join('\n'));
  console.log(`appended to bench/RESULTS.md (commit ${commit}${dirty})`);
}
process.exit(failed.length ? 1 : 0);
