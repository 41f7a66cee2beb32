/** The person's pager for long previews (an adapter: it spawns a process). */
import { spawnSync } from 'node:child_process';

/**
 * Run the person's pager on `text` (stdin a pipe, the terminal for everything else); the pager reads
 * keys from /dev/tty itself. readline is paused meanwhile. False when no pager could run.
 */
export function pageText(text: string, rl: import('node:readline').Interface | undefined): boolean {
  const pager = (process.env.PAGER ?? '').trim() || 'less -R';
  rl?.pause();
  try {
    const r = spawnSync('sh', ['-c', pager], {
      input: text,
      stdio: ['pipe', 'inherit', 'inherit'],
      env: { LESS: 'FRX', ...process.env },
    });
    return !r.error && r.status === 0;
  } finally {
    rl?.resume();
  }
}
