/**
 * Adapter: sign bytes with `ssh-keygen -Y sign`, through a key file or through ssh-agent
 * (`-f` names the public key and ssh-keygen asks the agent at SSH_AUTH_SOCK for the private
 * half). Verification never shells out: see sshsig.ts. After signing we verify the result
 * in Node, so a signature we store is one we can check.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { GateError } from '../kernel/errors.js';
import { parsePublicKeyLine, verifySshsig, type SshPublicKey, type VerifyOutcome } from '../signing/sshsig.js';

export interface SignRequest {
  message: Buffer | string;
  namespace: string;
  /**
   * A private key file, a public key file (`.pub`, private half in ssh-agent), or a literal
   * public key as git allows in user.signingkey ("key::ssh-ed25519 AAAA…" or "ssh-ed25519 AAAA…").
   */
  key: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface SignResult {
  /** Armored SSHSIG, exactly as ssh-keygen printed it. */
  signature: string;
  publicKey: SshPublicKey;
  verified: Extract<VerifyOutcome, { ok: true }>;
  /** Whether the agent did the signing (the key given was public only). */
  viaAgent: boolean;
}

function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  if (p === '~' || p.startsWith('~/')) return join(env.HOME ?? homedir(), p.slice(1));
  return p;
}

/** The public key for a key spec, without signing (for messages and doctor). */
export function publicKeyOf(keySpec: string, opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): SshPublicKey {
  const env = opts.env ?? process.env;
  const literal = literalKey(keySpec);
  if (literal) return parsePublicKeyLine(literal);
  const path = resolve(opts.cwd ?? process.cwd(), expandHome(keySpec, env));
  const pub = path.endsWith('.pub') ? path : `${path}.pub`;
  if (existsSync(pub)) return parsePublicKeyLine(readFileSync(pub, 'utf8'));
  const r = spawnSync('ssh-keygen', ['-y', '-P', '', '-f', path], { env, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new GateError('CANNOT_EVALUATE', `cannot read the public half of ${path}: ${(r.stderr || '').trim() || 'ssh-keygen -y failed'}`, {
      fix: `put the public key next to it as ${path}.pub (ssh-keygen -y -f ${path} > ${path}.pub)`,
    });
  }
  return parsePublicKeyLine(r.stdout);
}

function literalKey(spec: string): string | undefined {
  const s = spec.startsWith('key::') ? spec.slice(5) : spec;
  return /^(ssh-|ecdsa-|sk-)[^\s]+ [A-Za-z0-9+/=]+/.test(s) ? s : undefined;
}

/** Sign `message` with ssh-keygen -Y sign. Throws GateError with a fix when it cannot. */
export function signMessage(req: SignRequest & { interactive?: boolean }): SignResult {
  const env = { ...(req.env ?? process.env) };
  const message = typeof req.message === 'string' ? Buffer.from(req.message, 'utf8') : req.message;
  let tmp: string | undefined;
  let work: string | undefined;
  let keyPath: string;
  const literal = literalKey(req.key);
  try {
    if (literal) {
      tmp = mkdtempSync(join(tmpdir(), 'gate-sign-'));
      keyPath = join(tmp, 'key.pub');
      writeFileSync(keyPath, `${literal.trim()}\n`, { mode: 0o600 });
    } else {
      const p = expandHome(req.key, env);
      keyPath = isAbsolute(p) ? p : resolve(req.cwd ?? process.cwd(), p);
      if (!existsSync(keyPath)) {
        throw new GateError('USAGE', `the signing key ${keyPath} does not exist.`, {
          fix: 'pass --key <private or .pub key file>, or set git config user.signingkey',
        });
      }
    }
    const viaAgent = keyPath.endsWith('.pub');
    if (viaAgent && !env.SSH_AUTH_SOCK) {
      throw new GateError('CANNOT_EVALUATE', `${keyPath} is a public key, so its private half must be in ssh-agent, but SSH_AUTH_SOCK is not set.`, {
        fix: 'start ssh-agent and `ssh-add` the key, or pass --key with the private key file',
      });
    }
    // Sign a file, not stdin: stdin stays free for a passphrase prompt (ssh-keygen reads it from
    // the terminal) and, when interactive, stderr shows "Confirm user presence" for FIDO keys.
    work = mkdtempSync(join(tmpdir(), 'gate-sign-'));
    const msgFile = join(work, 'payload');
    writeFileSync(msgFile, message, { mode: 0o600 });
    const r = spawnSync('ssh-keygen', ['-q', '-Y', 'sign', '-n', req.namespace, '-f', keyPath, msgFile], {
      env,
      maxBuffer: 1024 * 1024,
      stdio: req.interactive ? ['inherit', 'pipe', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    });
    if (r.error) {
      if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new GateError('TOOL_MISSING', 'ssh-keygen was not found on PATH, so the approval cannot be signed.', {
          fix: 'install OpenSSH (8.2 or newer) client tools',
        });
      }
      throw new GateError('CANNOT_EVALUATE', `could not run ssh-keygen: ${r.error.message}`);
    }
    const stderr = r.stderr ? r.stderr.toString('utf8').trim() : '';
    if (r.status !== 0) {
      throw new GateError('CANNOT_EVALUATE', `ssh-keygen -Y sign failed (exit ${r.status}): ${stderr || 'no message'}`, {
        fix: viaAgent ? 'check that the key is loaded: ssh-add -L' : 'check the key file and its passphrase',
      });
    }
    const sigFile = `${msgFile}.sig`;
    if (!existsSync(sigFile)) throw new GateError('CANNOT_EVALUATE', 'ssh-keygen -Y sign exited 0 but wrote no signature file.');
    const signature = readFileSync(sigFile, 'utf8');
    const verified = verifySshsig({ signature, message, namespace: req.namespace });
    if (!verified.ok) {
      throw new GateError('CANNOT_EVALUATE', `ssh-keygen produced a signature that does not verify here: ${verified.reason}`);
    }
    return { signature, publicKey: verified.publicKey, verified, viaAgent };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  }
}

/** Which key to sign with: an explicit --key, else git config user.signingkey. */
export function resolveSigningKey(explicit: string | undefined, gitSigningKey: string | undefined): string | undefined {
  return explicit?.trim() || gitSigningKey?.trim() || undefined;
}
