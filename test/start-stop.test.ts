// scripts/start.sh and scripts/stop.sh against a stand-in server, so the daemon logic is checked
// without models or a built CLI.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(__dirname, '..');
const startSh = path.join(repoRoot, 'scripts', 'start.sh');
const stopSh = path.join(repoRoot, 'scripts', 'stop.sh');
const isLinux = process.platform === 'linux';

const STAND_IN = `
const net = require('net');
const args = process.argv.slice(2);
const port = Number(args[args.indexOf('--port') + 1]);
const host = args[args.indexOf('--host') + 1];
const srv = net.createServer((s) => s.end('ok\\n'));
srv.listen(port, host, () => console.log('listening on http://' + host + ':' + port));
`;

const FOREIGN = `
const net = require('net');
const port = Number(process.argv[2]);
net.createServer((s) => s.end()).listen(port, '127.0.0.1', () => console.log('ready'));
`;

let tmp: string;
let env: NodeJS.ProcessEnv;
const pidsToReap = new Set<number>();
let foreign: ChildProcess | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

// The servers are reparented away from this process; where the new parent does not reap, they
// linger as zombies, which kill(pid, 0) still reports as present.
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return !isLinux;
  }
}

function run(script: string, args: string[]) {
  const r = spawnSync('bash', [script, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function pidFile(port: number) {
  return path.join(tmp, 'run', `sam3clip-${port}.pid`);
}

function readPid(port: number): number {
  const pid = Number(/^pid=(\d+)$/m.exec(fs.readFileSync(pidFile(port), 'utf8'))?.[1]);
  pidsToReap.add(pid);
  return pid;
}

function answers(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (d) => (data += d));
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sam3clip-daemon-'));
  const server = path.join(tmp, 'stand-in-server.js');
  fs.writeFileSync(server, STAND_IN);
  fs.writeFileSync(path.join(tmp, 'foreign-listener.js'), FOREIGN);
  env = {
    ...process.env,
    SAM3CLIP_SERVER_CMD: `${JSON.stringify(process.execPath)} ${JSON.stringify(server)}`,
    SAM3CLIP_SERVER_MARKER: 'stand-in-server.js',
    SAM3CLIP_STATE_DIR: tmp,
  };
});

afterAll(() => {
  for (const pid of pidsToReap) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  foreign?.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('scripts/start.sh and scripts/stop.sh', () => {
  let port: number;
  let firstPid: number;

  it('starts the server in the background and records its pid', async () => {
    port = await freePort();
    const r = run(startSh, ['--port', String(port)]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`http://127.0.0.1:${port}`);
    expect(fs.existsSync(pidFile(port))).toBe(true);
    firstPid = readPid(port);
    expect(isAlive(firstPid)).toBe(true);
    expect(await answers(port)).toBe('ok\n');
    const log = fs.readFileSync(path.join(tmp, 'logs', `sam3clip-${port}.log`), 'utf8');
    expect(log).toContain(`listening on http://127.0.0.1:${port}`);
  });

  it('replaces its own earlier instance on a second start', async () => {
    const r = run(startSh, ['--port', String(port)]);
    expect(r.code, r.out).toBe(0);
    const secondPid = readPid(port);
    expect(secondPid).not.toBe(firstPid);
    expect(isAlive(firstPid)).toBe(false);
    expect(isAlive(secondPid)).toBe(true);
    expect(await answers(port)).toBe('ok\n');
  });

  it('refuses a port held by another program and leaves that program running', async () => {
    const otherPort = await freePort();
    foreign = spawn(process.execPath, [path.join(tmp, 'foreign-listener.js'), String(otherPort)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      foreign!.stdout!.once('data', () => resolve());
      foreign!.once('exit', () => reject(new Error('foreign listener exited')));
    });
    const foreignPid = foreign.pid!;

    // A pidfile that points at the foreign program is refused and dropped, never acted on.
    fs.writeFileSync(pidFile(otherPort), `${foreignPid}\n`);
    const r = run(startSh, ['--port', String(otherPort)]);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toContain(`not signalling pid ${foreignPid}`);
    expect(isAlive(foreignPid)).toBe(true);
    expect(fs.existsSync(pidFile(otherPort))).toBe(false);

    // With no pidfile: the port is in use, so it does not start.
    const again = run(startSh, ['--port', String(otherPort)]);
    expect(again.code, again.out).toBe(1);
    expect(again.out).toContain(`port ${otherPort}`);
    expect(again.out).toMatch(/in use/);
    expect(isAlive(foreignPid)).toBe(true);

    // stop.sh with a pidfile naming the foreign program refuses, says why, and leaves it alone.
    fs.writeFileSync(pidFile(otherPort), `${foreignPid}\n`);
    const stop = run(stopSh, ['--port', String(otherPort)]);
    expect(stop.code, stop.out).toBe(1);
    expect(stop.out).toMatch(/not signalling pid \d+: .*not the server start\.sh started on port/);
    expect(isAlive(foreignPid)).toBe(true);
    expect(fs.existsSync(pidFile(otherPort))).toBe(false);
  });

  it("a pidfile for port B holding port A's server never stops A", async () => {
    const portA = port;
    const portB = await freePort();
    const pidA = readPid(portA);
    const recordA = fs.readFileSync(pidFile(portA), 'utf8');
    expect(recordA).toMatch(/^pid=\d+\nport=\d+\nstart_time=\d+\ntoken=[0-9a-f]{32}\n$/);
    const forgeries = [
      `${pidA}\n`, // the bare pid, as older pidfiles held it
      recordA, // A's record copied whole (it says port A)
      recordA.replace(`port=${portA}`, `port=${portB}`), // relabelled: A's command line still says port A
      recordA.replace(/token=\w+/, 'token=0123456789abcdef0123456789abcdef'), // a guessed token
      recordA.replace(/start_time=\d+/, 'start_time=1'), // another process that got A's pid
    ];
    for (const forged of forgeries) {
      fs.writeFileSync(pidFile(portB), forged);
      const r = run(stopSh, ['--port', String(portB)]);
      expect(r.code, r.out).toBe(1);
      expect(r.out).toMatch(/not signalling pid/);
      expect(isAlive(pidA)).toBe(true);
      fs.writeFileSync(pidFile(portB), forged);
      const s2 = run(startSh, ['--port', String(portB)]);
      expect(s2.code, s2.out).toBe(1);
      expect(isAlive(pidA)).toBe(true);
    }
    // The same edits in A's own pidfile are refused too: only the exact record stops A.
    fs.writeFileSync(pidFile(portA), recordA.replace(/token=\w+/, 'token=0123456789abcdef0123456789abcdef'));
    expect(run(stopSh, ['--port', String(portA)]).code).toBe(1);
    expect(isAlive(pidA)).toBe(true);
    fs.writeFileSync(pidFile(portA), recordA);
    expect(await answers(portA)).toBe('ok\n');
  });

  it('an unrelated program whose command line looks like the server is left alone', async () => {
    const p = await freePort();
    const lookalike = spawn(process.execPath, [path.join(tmp, 'stand-in-server.js'), '--port', String(p), '--host', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => lookalike.stdout!.once('data', () => resolve()));
    try {
      fs.writeFileSync(pidFile(p), `pid=${lookalike.pid}\nport=${p}\nstart_time=1\ntoken=0123456789abcdef0123456789abcdef\n`);
      const r = run(stopSh, ['--port', String(p)]);
      expect(r.code, r.out).toBe(1);
      expect(isAlive(lookalike.pid!)).toBe(true);
    } finally {
      lookalike.kill('SIGKILL');
    }
  });

  it('stop.sh stops the server and removes the pidfile', async () => {
    const pid = readPid(port);
    const r = run(stopSh, ['--port', String(port)]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/Stopped/);
    expect(isAlive(pid)).toBe(false);
    expect(fs.existsSync(pidFile(port))).toBe(false);
    await expect(answers(port)).rejects.toThrow();
  });

  it('stop.sh with nothing running exits 0 and says so', () => {
    const r = run(stopSh, ['--port', String(port)]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/not running/);
  });

  it('start.sh reports a server that dies during start-up', async () => {
    const p = await freePort();
    const r = spawnSync('bash', [startSh, '--port', String(p)], {
      env: { ...env, SAM3CLIP_SERVER_CMD: `${JSON.stringify(process.execPath)} -e "console.error('boom'); process.exit(3)" stand-in-server.js` },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('boom');
    expect(fs.existsSync(pidFile(p))).toBe(false);
  });
});
