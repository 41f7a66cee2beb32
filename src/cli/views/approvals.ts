/** Terminal rendering shared by the Gate B commands (status, explain, approve, reject). */
export function fileLine(f: { path: string; old_path?: string; status: string; tier: string; surfaces: string[] }): string {
  return `  ${f.status} ${f.old_path ? `${f.old_path} → ` : ''}${f.path}  [${f.surfaces.join(', ')}] ${f.tier}`;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
