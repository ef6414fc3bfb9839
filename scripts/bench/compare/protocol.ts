/**
 * The JSON-lines protocol between `bench:compare` and its backend processes (node-backend-worker.mjs
 * for the library's backends, torch_reference.py for PyTorch): one JSON object a line on stdin, one
 * answer a line on stdout. Each backend lives in its own process so that its peak RSS is its own.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/** The pipeline's stages as every backend reports them, ms. */
export const STAGES = ['decodePreprocess', 'imageEncoder', 'textTower', 'promptPath', 'postprocess', 'total'] as const;
export type Stage = (typeof STAGES)[number];
export type StageTimes = Partial<Record<Stage, number>>;

export type Request =
  | { op: 'segment'; image: string; prompts: string[] }
  | { op: 'embed'; image: string; key: string }
  | { op: 'query'; key: string; prompts: string[] }
  | { op: 'release'; key: string }
  | { op: 'concurrent'; images: string[]; prompts: string[] }
  | { op: 'stats' }
  | { op: 'quit' };

/** What an answer may carry; which fields depends on the op. */
export interface Answer {
  id: number;
  ok: boolean;
  error?: string;
  stages?: StageTimes;
  /** Per prompt: tracker families the candidates' predicted IoU, sam3-concept [presence, best score]. */
  scores?: number[][];
  wallMs?: number;
  callsMs?: number[];
  rssMiB?: number;
  peakRssMiB?: number;
}

/** The first line a backend process writes. */
export interface Ready {
  ready: boolean;
  error?: string;
  loadMs?: number;
  rssMiB?: number;
  info?: { name: string; reason: string; [detail: string]: unknown };
}

/** One backend process: started, asked one request at a time, stopped. */
export class BackendProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private stderrTail = '';
  private exited?: string;
  readonly ready: Promise<Ready>;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: 'pipe' });
    // Kept for the error message when the process dies; a library's chatter is not shown otherwise.
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000)));
    this.ready = new Promise((resolve) => (this.settleReady = resolve));
    const lines = createInterface({ input: this.child.stdout });
    lines.on('line', (line) => {
      let message: Answer | Ready | undefined;
      try {
        message = JSON.parse(line) as Answer | Ready;
      } catch {
        return; // a native library printing to stdout; not a protocol line
      }
      if (typeof message !== 'object' || message === null) return;
      if ('ready' in message) return this.settleReady(message);
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      waiting.resolve(message);
    });
    this.child.on('error', (error) => this.fail(`could not start ${command}: ${error.message}`));
    // Writing to a process that is exiting fails with EPIPE; its exit is what gets reported.
    this.child.stdin.on('error', () => {});
    this.child.on('exit', (code, signal) => this.fail(`exited (${signal ?? `code ${code}`})`));
  }

  /** Resolves `ready`: with the process's first line, or with the reason it died before writing one. */
  private settleReady!: (r: Ready) => void;

  private fail(reason: string): void {
    if (this.exited) return;
    const tail = this.stderrTail.trim().split('\n').slice(-5).join('\n');
    this.exited = tail ? `${reason}: ${tail}` : reason;
    this.settleReady({ ready: false, error: this.exited });
    for (const { reject } of this.pending.values()) reject(new Error(`${this.name} ${this.exited}`));
    this.pending.clear();
  }

  /** Sends one request and waits for its answer; a failed request rejects with the backend's error. */
  async request(request: Request): Promise<Answer> {
    if (this.exited) throw new Error(`${this.name} ${this.exited}`);
    const id = this.nextId++;
    const answer = await new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ id, ...request })}\n`);
    });
    if (!answer.ok) throw new Error(`${this.name}: ${request.op} failed: ${answer.error}`);
    return answer;
  }

  /** Asks the process to quit and waits for it to exit (killing it if it does not within 10 s). */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    this.request({ op: 'quit' }).catch(() => {});
    this.child.stdin.end();
    await gone;
    clearTimeout(timer);
  }
}
