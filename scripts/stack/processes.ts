// Child processes of the sandbox and the test run: started with their output in a log
// file, waited for until healthy, and all stopped together so none is left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Managed {
  name: string;
  child: ChildProcess;
  logFile: string;
}

export class ProcessGroup {
  private readonly members: Managed[] = [];
  private stopping = false;

  constructor(private readonly logDir: string) {
    mkdirSync(logDir, { recursive: true });
  }

  start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Managed {
    const logFile = path.join(this.logDir, `${name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    // A process group of its own, so stopping it also stops anything it spawned.
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const managed = { name, child, logFile };
    this.members.push(managed);
    child.on('exit', (code, signal) => {
      if (!this.stopping) process.stderr.write(`[stack] ${name} exited (${signal ?? code}); see ${logFile}\n`);
    });
    return managed;
  }

  /** Stops members in reverse start order: SIGTERM, then SIGKILL after a grace period. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    for (const m of [...this.members].reverse()) {
      if (m.child.exitCode !== null || m.child.signalCode !== null) continue;
      const exited = new Promise<void>((resolve) => m.child.once('exit', () => resolve()));
      signal(m, 'SIGTERM');
      const timer = setTimeout(() => signal(m, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
  }

  /** Synchronous last resort for process exit handlers. */
  killAll(): void {
    this.stopping = true;
    for (const m of this.members) signal(m, 'SIGKILL');
  }
}

function signal(m: Managed, sig: NodeJS.Signals): void {
  try {
    process.kill(-m.child.pid!, sig);
  } catch {
    try {
      m.child.kill(sig);
    } catch {
      /* already gone */
    }
  }
}

export async function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

/** A port the OS says is free right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it succeeds; fails naming `what` and its log if the process dies or time runs out. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, opts: { timeoutMs?: number; process?: Managed } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (opts.process && opts.process.child.exitCode !== null) {
      throw new Error(`${what} exited with code ${opts.process.child.exitCode}; see ${opts.process.logFile}`);
    }
    try {
      if (await probe()) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${what} not ready in time${opts.process ? `; see ${opts.process.logFile}` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
