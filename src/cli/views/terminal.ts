/**
 * The process's terminal as the interactive use-cases want it (`Terminal` in app/approvals/approve.ts):
 * interactive only when stdin and stdout are both TTYs; `ask` reads one line through readline
 * (end of input or Ctrl-C answer undefined, which aborts).
 */
import type { Terminal } from '../../app/approvals/approve.js';
import { styleErr, styleOut } from '../fast/style.js';
import { pageText } from '../../adapters/pager.js';

/** `pager`: a long preview may go through $PAGER (`gate approve --pager`), only at a terminal. */
export function processTerminal(json: boolean, opts: { pager?: boolean } = {}): Terminal & { close(): void } {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const out = json ? process.stderr : process.stdout;
  let rl: import('node:readline').Interface | undefined;
  let closed = false;
  return {
    interactive,
    page: (text: string): boolean => Boolean(opts.pager && interactive) && pageText(text, rl),
    color: (json ? styleErr() : styleOut()).on,
    write: (t: string) => void out.write(t),
    ask: async (prompt: string): Promise<string | undefined> => {
      if (!rl) {
        const { createInterface } = await import('node:readline');
        rl = createInterface({ input: process.stdin, output: out, terminal: interactive });
        rl.on('close', () => (closed = true));
        rl.on('SIGINT', () => rl!.close());
      }
      if (closed) return undefined;
      return new Promise((resolve) => {
        const onClose = () => resolve(undefined);
        rl!.once('close', onClose);
        rl!.question(prompt, (a) => {
          rl!.off('close', onClose);
          resolve(a);
        });
      });
    },
    close: () => rl?.close(),
  };
}
