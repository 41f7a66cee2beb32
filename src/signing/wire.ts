/**
 * Bounds-checked reader and writer for the SSH wire encoding (RFC 4251 §5): uint32, string,
 * mpint. Every read checks that the bytes exist; any violation throws `WireError`, which the
 * verifiers turn into a refusal with a reason. Never trust a length field.
 */
export class WireError extends Error {
  override readonly name = 'WireError';
}

/** Upper bound on any single string field we accept (signatures and keys are far smaller). */
export const MAX_FIELD = 64 * 1024;

export class WireReader {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what = 'blob',
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  private need(n: number, field: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.remaining) {
      throw new WireError(`${this.what}: truncated at ${field} (needs ${n} bytes, ${this.remaining} left)`);
    }
  }

  bytes(n: number, field = 'bytes'): Buffer {
    this.need(n, field);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return Buffer.from(out);
  }

  byte(field = 'byte'): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  uint32(field = 'uint32'): number {
    this.need(4, field);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A length-prefixed byte string. */
  string(field = 'string', max = MAX_FIELD): Buffer {
    const len = this.uint32(`${field} length`);
    if (len > max) throw new WireError(`${this.what}: ${field} is ${len} bytes, more than the ${max} allowed`);
    return this.bytes(len, field);
  }

  /** A length-prefixed string that must be printable ASCII (names, namespaces, algorithms). */
  ascii(field = 'name', max = 1024): string {
    const b = this.string(field, max);
    for (const c of b) {
      if (c < 0x20 || c > 0x7e) throw new WireError(`${this.what}: ${field} contains a non-printable byte`);
    }
    return b.toString('latin1');
  }

  /**
   * An mpint that must be non-negative; returns its magnitude without leading zero bytes.
   * Rejects negative numbers and non-minimal encodings, like OpenSSH's sshbuf_get_bignum2.
   */
  mpintPositive(field = 'mpint', max = 1024): Buffer {
    const b = this.string(field, max);
    if (b.length === 0) return b;
    if (b[0]! & 0x80) throw new WireError(`${this.what}: ${field} is negative`);
    if (b[0] === 0 && (b.length === 1 || !(b[1]! & 0x80))) throw new WireError(`${this.what}: ${field} is not minimally encoded`);
    return b[0] === 0 ? b.subarray(1) : b;
  }

  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.remaining !== 0) throw new WireError(`${this.what}: ${this.remaining} unexpected trailing bytes`);
  }
}

export function wireString(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

export function wireUint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** Encode a non-negative big-endian magnitude as an mpint. */
export function wireMpint(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length && magnitude[i] === 0) i++;
  let m = magnitude.subarray(i);
  if (m.length > 0 && m[0]! & 0x80) m = Buffer.concat([Buffer.from([0]), m]);
  return wireString(m);
}
