/**
 * stdout for the CLI.
 *
 * A reader that closes the pipe early (`gate review | head`) is not an error worth a stack trace:
 * the EPIPE guard is installed when the stream is first used, not at start-up, because touching
 * `process.stdout` creates the stream (and loads the net/tty/stream modules behind it, ~3 ms),
 * which the hot commands (hooks, `gate lock`, `--version`) do not need: `writeOut` writes their few
 * lines with `fs.writeSync(1)` as long as nothing else has created the stream. Once it exists
 * (the commander program), everything goes through it, so output is never reordered.
 */
let created = false;

export function stdout(): NodeJS.WriteStream {
  const out = process.stdout;
  if (!created) {
    created = true;
    out.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  return out;
}

/** Write text to stdout: synchronously on the descriptor until the stream exists, then through it. */
export function writeOut(text: string): void {
  if (created) {
    stdout().write(text);
    return;
  }
  const { writeSync } = process.getBuiltinModule('node:fs');
  let buf = Buffer.from(text);
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(1, buf));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
      // a non-blocking pipe that is full: hand the rest to the stream, which waits for the reader
      if (code === 'EAGAIN') {
        stdout().write(buf);
        return;
      }
      throw e;
    }
  }
}
