/**
 * A reader that closes the pipe early (`gate review | head`) is not an error worth a stack trace.
 * Installed on first use of stdout rather than at start-up: touching `process.stdout` creates the
 * stream (and loads the tty/net modules behind it), which a commit hook that prints nothing to
 * stdout never needs.
 */
let guarded = false;

export function stdout(): NodeJS.WriteStream {
  const out = process.stdout;
  if (!guarded) {
    guarded = true;
    out.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  return out;
}
