// The worker's logs and metrics go through Temporal's Runtime, installed once per process
// before any connection: every log line (the SDK's, the workflow's, the activities') as pino
// JSON on stdout, and the SDK's metrics plus Cutover's own (activities/metrics.ts,
// workflows/migration/story.ts) on a Prometheus endpoint.
import { pino, type Logger as Pino } from 'pino';
import { Runtime, type LogLevel as TemporalLogLevel } from '@temporalio/worker';
import type { Logger, LogMetadata } from '@temporalio/common';

const PINO_LEVEL: Record<TemporalLogLevel, pino.Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** Temporal's Logger over pino: a workflow's or activity's lines carry its workflowId, which is the migration ID. */
export function pinoLogger(base: Pino): Logger {
  const write = (level: TemporalLogLevel, message: string, meta: LogMetadata = {}) => {
    const migration = typeof meta.workflowId === 'string' ? { migrationId: meta.workflowId } : {};
    base[PINO_LEVEL[level]]({ ...meta, ...migration }, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

export interface TelemetrySettings {
  /** pino's level name (LOG_LEVEL); 'silent' writes nothing. */
  logLevel: pino.LevelWithSilent;
  /** Serve Prometheus metrics on this port, on every interface (unset: no metrics). */
  metricsPort?: number;
  /** Where the JSON lines go (default stdout). */
  destination?: pino.DestinationStream;
}

/** Installs the Runtime; returns the process's own logger (same output, no Temporal context). */
export function installTelemetry(settings: TelemetrySettings): Pino {
  const base = pino({ level: settings.logLevel, base: { component: 'worker' } }, settings.destination ?? pino.destination(1));
  Runtime.install({
    logger: pinoLogger(base),
    telemetryOptions: {
      // Core's own lines (connection retries, task errors) reach the same logger.
      logging: { forward: {}, filter: { core: coreLevel(settings.logLevel), other: 'WARN' } },
      ...(settings.metricsPort !== undefined ? { metrics: { prometheus: { bindAddress: `0.0.0.0:${settings.metricsPort}` } } } : {}),
    },
  });
  return base;
}

function coreLevel(level: pino.LevelWithSilent): TemporalLogLevel {
  if (level === 'trace') return 'TRACE';
  if (level === 'debug') return 'DEBUG';
  if (level === 'info') return 'INFO';
  if (level === 'warn') return 'WARN';
  return 'ERROR';
}
