// Starts `t3nd dev` for a compat test: resolves once it is ready (its
// --ready-fd answers the URL), keeps its output for log scans.
import { spawn } from 'node:child_process';

export function startDevNode(t3nd, args, globalArgs = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(t3nd, [...globalArgs, '--ready-fd', '3', 'dev', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const node = { child, url: '', logs: '' };
    let out = '';
    child.stdout.on('data', (d) => { node.logs += d; });
    child.stderr.on('data', (d) => { node.logs += d; });
    child.stdio[3].on('data', (d) => { out += d; });
    child.stdio[3].on('end', () => {
      if (!out.trim()) { reject(new Error('t3nd did not start: ' + node.logs)); return; }
      node.url = out.trim();
      resolve(node);
    });
    child.on('error', reject);
  });
}
