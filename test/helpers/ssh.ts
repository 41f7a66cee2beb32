/**
 * Test helpers for signing: real keys from ssh-keygen in a temp HOME, a real ssh-agent on a
 * private socket (killed by pid afterwards), and byte-exact FIDO (sk-*) keys and signatures
 * built with node:crypto per PROTOCOL.u2f, since no security key is attached in CI.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { wireMpint, wireString, wireUint32 } from '../../src/signing/wire.js';
import { SSHSIG_MAGIC, armor, skSignedData, sshsigSignedData } from '../../src/signing/sshsig.js';

export function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; cwd?: string } = {}) {
  const input = typeof opts.input === 'string' ? Buffer.from(opts.input, 'utf8') : opts.input;
  const r = spawnSync(cmd, args, { env: opts.env ?? process.env, input, cwd: opts.cwd });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

export interface TestKey {
  path: string;
  pub: string;
  pubLine: string;
}

export function keygen(dir: string, name: string, type: 'ed25519' | 'ecdsa' | 'rsa', bits?: number, env?: NodeJS.ProcessEnv): TestKey {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  const args = ['-q', '-t', type, '-N', '', '-C', `${name}@test`, '-f', path];
  if (bits) args.push('-b', String(bits));
  const r = sh('ssh-keygen', args, { env });
  if (r.code !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return { path, pub: `${path}.pub`, pubLine: readFileSync(`${path}.pub`, 'utf8').trim() };
}

/** ssh-keygen -Y sign over stdin, through a key file (or a .pub with the agent). */
export function sshSign(keyFile: string, namespace: string, message: Buffer | string, env: NodeJS.ProcessEnv = process.env): string {
  const r = sh('ssh-keygen', ['-q', '-Y', 'sign', '-n', namespace, '-f', keyFile], { env, input: message });
  if (r.code !== 0) throw new Error(`ssh-keygen -Y sign failed: ${r.stderr}`);
  return r.stdout;
}

/** ssh-keygen -Y verify; true when OpenSSH accepts. */
export function sshVerify(dir: string, allowedSigners: string, principal: string, namespace: string, signature: string, message: Buffer | string, env: NodeJS.ProcessEnv = process.env): { ok: boolean; out: string } {
  const as = join(dir, `allowed-${Math.random().toString(16).slice(2)}`);
  const sig = join(dir, `sig-${Math.random().toString(16).slice(2)}`);
  writeFileSync(as, allowedSigners);
  writeFileSync(sig, signature);
  const r = sh('ssh-keygen', ['-Y', 'verify', '-f', as, '-I', principal, '-n', namespace, '-s', sig], { env, input: message });
  return { ok: r.code === 0, out: r.stdout + r.stderr };
}

export interface Agent {
  sock: string;
  pid: number;
  env: NodeJS.ProcessEnv;
  add(keyPath: string): void;
  stop(): void;
}

/** A real ssh-agent on a private socket, in the foreground (-D) so we own its pid. */
export async function startAgent(dir: string, env: NodeJS.ProcessEnv): Promise<Agent> {
  const sock = join(dir, 'agent.sock');
  const child = spawn('ssh-agent', ['-D', '-a', sock], { env, stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
  if (!existsSync(sock)) {
    child.kill();
    throw new Error('ssh-agent did not create its socket');
  }
  const aenv = { ...env, SSH_AUTH_SOCK: sock };
  return {
    sock,
    pid: child.pid!,
    env: aenv,
    add(keyPath) {
      const r = sh('ssh-add', ['-q', keyPath], { env: aenv });
      if (r.code !== 0) throw new Error(`ssh-add failed: ${r.stderr}`);
    },
    stop() {
      child.kill('SIGTERM');
    },
  };
}

// ---- FIDO (sk-*) keys and signatures, constructed byte-exactly -------------------------------

export interface FidoKey {
  type: 'sk-ecdsa-sha2-nistp256@openssh.com' | 'sk-ssh-ed25519@openssh.com';
  application: string;
  blob: Buffer;
  pubLine: string;
  privateKey: KeyObject;
}

export function fidoKey(kind: 'ecdsa' | 'ed25519', application = 'ssh:'): FidoKey {
  if (kind === 'ecdsa') {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const type = 'sk-ecdsa-sha2-nistp256@openssh.com' as const;
    const blob = Buffer.concat([wireString(type), wireString('nistp256'), wireString(point), wireString(application)]);
    return { type, application, blob, pubLine: `${type} ${blob.toString('base64')}`, privateKey };
  }
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const type = 'sk-ssh-ed25519@openssh.com' as const;
  const blob = Buffer.concat([wireString(type), wireString(x), wireString(application)]);
  return { type, application, blob, pubLine: `${type} ${blob.toString('base64')}`, privateKey };
}

/** An armored SSHSIG made by a (simulated) FIDO authenticator with the given flags and counter. */
export function fidoSign(key: FidoKey, namespace: string, message: Buffer | string, flags: number, counter = 7, hashAlg: 'sha256' | 'sha512' = 'sha512'): string {
  const msg = typeof message === 'string' ? Buffer.from(message) : message;
  const signedData = sshsigSignedData(namespace, hashAlg, msg);
  const toSign = skSignedData(key.application, flags, counter, signedData);
  let inner: Buffer;
  if (key.type === 'sk-ecdsa-sha2-nistp256@openssh.com') {
    const p1363 = cryptoSign('sha256', toSign, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    inner = Buffer.concat([wireMpint(p1363.subarray(0, 32)), wireMpint(p1363.subarray(32))]);
  } else {
    inner = cryptoSign(null, toSign, key.privateKey);
  }
  const sigBlob = Buffer.concat([wireString(key.type), wireString(inner), Buffer.from([flags]), wireUint32(counter)]);
  const blob = Buffer.concat([
    SSHSIG_MAGIC,
    wireUint32(1),
    wireString(key.blob),
    wireString(namespace),
    wireString(Buffer.alloc(0)),
    wireString(hashAlg),
    wireString(sigBlob),
  ]);
  return armor(blob);
}

export const sha256hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A plain ssh-ed25519 key and SSHSIG made with node:crypto (for pure unit tests). */
export function softKey(): { pubLine: string; sign: (namespace: string, message: Buffer | string) => string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const blob = Buffer.concat([wireString('ssh-ed25519'), wireString(x)]);
  return {
    pubLine: `ssh-ed25519 ${blob.toString('base64')}`,
    sign(namespace, message) {
      const msg = typeof message === 'string' ? Buffer.from(message) : message;
      const raw = cryptoSign(null, sshsigSignedData(namespace, 'sha512', msg), privateKey);
      const sig = Buffer.concat([wireString('ssh-ed25519'), wireString(raw)]);
      return armor(Buffer.concat([SSHSIG_MAGIC, wireUint32(1), wireString(blob), wireString(namespace), wireString(Buffer.alloc(0)), wireString('sha512'), wireString(sig)]));
    },
  };
}
