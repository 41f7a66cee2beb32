/** Plain-text and Markdown renderings of the review. Pure string building. */
import type { ReviewReport } from './report.js';
import { buildSections, untrustedBanner, type Block } from './sections.js';

function pad(s: string, w: number): string {
  return s.length >= w ? s : s + ' '.repeat(w - s.length);
}

function textBlock(b: Block): string[] {
  switch (b.kind) {
    case 'kv': {
      const w = Math.max(...b.rows.map(([k]) => k.length));
      return b.rows.map(([k, v]) => `  ${pad(k, w)}  ${v}`);
    }
    case 'table': {
      const widths = b.head.map((h, i) => Math.min(60, Math.max(h.length, ...b.rows.map((r) => (r[i] ?? '').length))));
      const line = (cells: string[]) => `  ${cells.map((c, i) => pad(c, widths[i]!)).join('  ').trimEnd()}`;
      return [line(b.head), line(widths.map((w) => '-'.repeat(w))), ...b.rows.map(line)];
    }
    case 'list':
      return b.items.map((i) => `  - ${i}`);
    case 'para':
      return [`  ${b.text}`];
  }
}

export function renderText(r: ReviewReport): string {
  const out: string[] = [];
  const banner = untrustedBanner(r);
  if (banner) out.push('!'.repeat(72), banner, '!'.repeat(72), '');
  out.push(`agent-gates review: ${r.repository}`);
  out.push(`window: ${r.window.since} → ${r.window.until} (${r.window.label})`);
  for (const s of buildSections(r)) {
    out.push('', `${s.title}${r.trusted || s.id === 'integrity' ? '' : '  [UNTRUSTED]'}`);
    for (const b of s.blocks) out.push(...textBlock(b));
  }
  return `${out.join('\n')}\n`;
}

const mdEsc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function mdBlock(b: Block): string[] {
  switch (b.kind) {
    case 'kv':
      return ['| figure | value |', '| --- | --- |', ...b.rows.map(([k, v]) => `| ${mdEsc(k)} | ${mdEsc(v)} |`), ''];
    case 'table':
      return [`| ${b.head.map(mdEsc).join(' | ')} |`, `| ${b.head.map(() => '---').join(' | ')} |`, ...b.rows.map((r) => `| ${r.map(mdEsc).join(' | ')} |`), ''];
    case 'list':
      return [...b.items.map((i) => `- ${i}`), ''];
    case 'para':
      return [b.text, ''];
  }
}

export function renderMarkdown(r: ReviewReport): string {
  const out: string[] = [`# agent-gates review`, ''];
  const banner = untrustedBanner(r);
  if (banner) out.push(`> **${banner}**`, '');
  out.push(`Repository \`${r.repository}\`, window ${r.window.since} → ${r.window.until} (${r.window.label}).`, '');
  for (const s of buildSections(r)) {
    out.push(`## ${s.title}${r.trusted || s.id === 'integrity' ? '' : ' (untrusted)'}`, '');
    for (const b of s.blocks) out.push(...mdBlock(b));
  }
  return `${out.join('\n').trimEnd()}\n`;
}
