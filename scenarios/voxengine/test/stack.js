'use strict';
// Starts the real local stack (`sva dev` on a free port, a temporary data directory)
// for the scenario tests, and stops it afterwards.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..', '..');

async function start() {
  // Where cargo built it: SVA_BIN, else CARGO_TARGET_DIR's (as `make test` does), else target/.
  const target = process.env.CARGO_TARGET_DIR ? path.resolve(ROOT, process.env.CARGO_TARGET_DIR) : path.join(ROOT, 'target');
  const bin = process.env.SVA_BIN || path.join(target, 'debug', 'sva');
  const scenario = path.join(ROOT, 'target', 'scenarios', 'sales_qualification.wasm');
  for (const [file, how] of [[bin, 'cargo build -p sva'], [scenario, 'make scenarios']]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`${how}\` first`);
  }
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'sva-voxengine-'));
  const child = spawn(bin, ['dev', '--listen', '127.0.0.1:0', '--data', data, '--scenario', scenario], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('sva dev did not start in 60 s: ' + out)), 60000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/(http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`sva dev exited with ${code}: ${out}`)));
  });
  const secret = fs.readFileSync(path.join(data, 'tenants', 'demo', 'secrets', 'signing.key'), 'utf8').trim();
  return {
    url,
    secret,
    data,
    // Waits for the stack to exit before removing its data: the knowledge index may
    // still be flushing its segments when the signal arrives.
    stop: () =>
      new Promise((resolve) => {
        const remove = () => {
          fs.rmSync(data, { recursive: true, force: true, maxRetries: 5 });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return remove();
        const killer = setTimeout(() => child.kill('SIGKILL'), 10000);
        child.once('exit', () => {
          clearTimeout(killer);
          remove();
        });
        child.kill('SIGTERM');
      }),
  };
}

module.exports = { start, ROOT };
