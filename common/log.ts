// Leveled logger shared by the engine, the endpoints and the CLI. Writes to stderr so stdout stays for results.
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

let threshold: LogLevel = (process.env.TRUSTLINE_LOG as LogLevel | undefined) ?? 'warn';
let sink: (line: string) => void = (line) => process.stderr.write(line + '\n');

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

export function getLogLevel(): LogLevel {
  return threshold;
}

/** Redirects log lines (tests capture them; reports collect them). */
export function setLogSink(fn: (line: string) => void): void {
  sink = fn;
}

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  trace(msg: string): void;
  enabled(level: LogLevel): boolean;
}

export function logger(component: string): Logger {
  const emit = (level: LogLevel, msg: string) => {
    if (ORDER[level] <= ORDER[threshold]) sink(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${component}] ${msg}`);
  };
  return {
    error: (m) => emit('error', m),
    warn: (m) => emit('warn', m),
    info: (m) => emit('info', m),
    debug: (m) => emit('debug', m),
    trace: (m) => emit('trace', m),
    enabled: (level) => ORDER[level] <= ORDER[threshold],
  };
}
