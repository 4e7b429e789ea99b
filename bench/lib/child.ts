/**
 * Request/response over the IPC channel of a forked child. The bench keeps the server under test
 * and the load generator in separate processes so neither shares the other's event loop and the
 * server's resident memory is its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Call {
  id: number;
  command: string;
  args: unknown;
}
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface ChildHandle {
  readonly pid: number;
  call<T>(command: string, args?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Forks a module that answers with `serveCommands`: TypeScript through tsx, or plain JavaScript with `tsx: false`. */
export function forkTs(moduleUrl: URL, options: { execArgv?: string[]; env?: NodeJS.ProcessEnv; stdout?: 'inherit' | 'ignore' | number; tsx?: boolean } = {}): ChildHandle {
  const child: ChildProcess = fork(fileURLToPath(moduleUrl), [], {
    execArgv: [...(options.tsx === false ? [] : ['--import', 'tsx']), ...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (msg: Reply) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(new Error(msg.error));
  });
  child.on('exit', (code, signal) => {
    for (const p of pending.values()) p.reject(new Error(`child exited (${code ?? signal}) before answering`));
    pending.clear();
  });
  return {
    pid: child.pid ?? -1,
    call<T>(command: string, args?: unknown) {
      return new Promise<T>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, command, args } satisfies Call);
      });
    },
    stop() {
      return new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}

/** Child side: answers calls with the handler of the same name. */
export function serveCommands(handlers: Record<string, (args: never) => Promise<unknown> | unknown>): void {
  process.on('message', (msg: Call) => {
    const handler = handlers[msg.command];
    const reply = (r: Reply) => process.send?.(r);
    if (!handler) return reply({ id: msg.id, ok: false, error: `unknown command ${msg.command}` });
    Promise.resolve()
      .then(() => handler(msg.args as never))
      .then(
        (value) => reply({ id: msg.id, ok: true, value }),
        (err: unknown) => reply({ id: msg.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
  process.on('SIGTERM', () => process.exit(0));
}
