/**
 * The review as one self-contained HTML file: inline CSS and inline SVG charts, no scripts, no
 * external assets, readable offline. Pure string building; every text is escaped.
 */
import type { ReviewReport } from './report.js';
import { buildSections, displayRecommendations, untrustedBanner, type Block } from './sections.js';
import { formatDuration } from './stats.js';

export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const COLORS = { commits: '#9aa5b1', gated: '#3b6fd8', blocks: '#d64545', bypasses: '#e39b2d', approvals: '#2f9e6e', rejections: '#e39b2d' };
const TIER_COLORS: Record<string, string> = { AUTO: '#9aa5b1', CONFIRM: '#3b6fd8', DOUBLE_CONFIRM: '#7a4fd0', unrecorded: '#c5ccd3' };

function niceMax(v: number): number {
  if (v <= 5) return Math.max(1, v);
  const p = 10 ** Math.floor(Math.log10(v));
  const m = v / p;
  return (m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/**
 * Gate activity over time: per bucket, bars for commits on HEAD (git history), gated commits and
 * blocks (ledger) and commits failing the range check; approvals as a line.
 */
export function timelineChart(r: ReviewReport): string {
  const buckets = r.ledger.timeline.buckets;
  const W = 760;
  const H = 220;
  const left = 36;
  const bottom = 28;
  const top = 12;
  const plotW = W - left - 10;
  const plotH = H - top - bottom;
  const max = niceMax(Math.max(1, ...buckets.map((b) => Math.max(b.headCommits, b.commits, b.blocks, b.approvals, b.bypasses))));
  const bw = plotW / Math.max(1, buckets.length);
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  const steps = max <= 4 ? max : 4;
  for (let i = 0; i <= steps; i++) {
    const v = (max / steps) * i;
    parts.push(`<line x1="${left}" x2="${W - 10}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" class="axis" text-anchor="end">${Math.round(v * 10) / 10}</text>`);
  }
  const sub = Math.max(1, bw / 4.6);
  buckets.forEach((b, i) => {
    const x0 = left + i * bw + bw * 0.08;
    const bar = (v: number, k: number, color: string, label: string) =>
      v > 0 ? `<rect x="${(x0 + k * sub).toFixed(1)}" y="${y(v).toFixed(1)}" width="${Math.max(1, sub - 1).toFixed(1)}" height="${(top + plotH - y(v)).toFixed(1)}" fill="${color}"><title>${esc(`${b.start}: ${v} ${label}`)}</title></rect>` : '';
    parts.push(
      bar(b.headCommits, 0, COLORS.commits, 'commits on HEAD'),
      bar(b.gated, 1, COLORS.gated, 'gated commits recorded'),
      bar(b.blocks, 2, COLORS.blocks, 'blocks'),
      bar(b.bypasses, 3, COLORS.bypasses, 'commits failing the range check'),
    );
  });
  const pts = buckets.map((b, i) => `${(left + i * bw + bw / 2).toFixed(1)},${y(b.approvals).toFixed(1)}`).join(' ');
  if (buckets.some((b) => b.approvals > 0)) parts.push(`<polyline points="${pts}" fill="none" stroke="${COLORS.approvals}" stroke-width="2"/>`);
  const every = Math.max(1, Math.ceil(buckets.length / 8));
  buckets.forEach((b, i) => {
    if (i % every === 0) parts.push(`<text x="${(left + i * bw + bw / 2).toFixed(1)}" y="${H - 8}" class="axis" text-anchor="middle">${esc(b.start.slice(5))}</text>`);
  });
  return svg(W, H, `Gate activity per ${r.ledger.timeline.bucketDays === 1 ? 'day' : `${r.ledger.timeline.bucketDays} days`}`, parts.join(''), [
    ['commits on HEAD', COLORS.commits],
    ['gated commits', COLORS.gated],
    ['blocks', COLORS.blocks],
    ['bypasses', COLORS.bypasses],
    ['approvals', COLORS.approvals],
  ]);
}

/** Horizontal bars for a labelled list of counts. */
export function barChart(title: string, rows: Array<{ label: string; value: number; color?: string; note?: string }>): string {
  const W = 760;
  const rowH = 24;
  const labelW = 190;
  const H = Math.max(1, rows.length) * rowH + 10;
  const max = niceMax(Math.max(1, ...rows.map((r) => r.value)));
  const plotW = W - labelW - 70;
  const parts = rows.map((r, i) => {
    const yy = 5 + i * rowH;
    const w = (r.value / max) * plotW;
    return `<text x="${labelW - 8}" y="${yy + 16}" class="label" text-anchor="end">${esc(r.label)}</text><rect x="${labelW}" y="${yy + 4}" width="${Math.max(r.value > 0 ? 2 : 0, w).toFixed(1)}" height="${rowH - 8}" rx="3" fill="${r.color ?? COLORS.gated}"><title>${esc(`${r.label}: ${r.value}${r.note ? ` (${r.note})` : ''}`)}</title></rect><text x="${(labelW + w + 6).toFixed(1)}" y="${yy + 16}" class="value">${r.value}${r.note ? ` · ${esc(r.note)}` : ''}</text>`;
  });
  if (rows.length === 0) parts.push(`<text x="10" y="20" class="label">no data in this window</text>`);
  return svg(W, H, title, parts.join(''), []);
}

function svg(w: number, h: number, title: string, body: string, legend: Array<[string, string]>): string {
  const leg = legend.map(([l, c]) => `<span class="key"><i style="background:${c}"></i>${esc(l)}</span>`).join('');
  return `<figure><figcaption>${esc(title)}${leg ? `<span class="legend">${leg}</span>` : ''}</figcaption><svg viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg">${body}</svg></figure>`;
}

function htmlBlock(b: Block): string {
  switch (b.kind) {
    case 'kv':
      return `<table class="kv">${b.rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
    case 'table':
      return `<table class="grid"><thead><tr>${b.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${b.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
    case 'list':
      return `<ul>${b.items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
    case 'para':
      return `<p>${esc(b.text)}</p>`;
  }
}

function card(label: string, value: string, tone = ''): string {
  return `<div class="card ${tone}"><div class="v">${esc(value)}</div><div class="l">${esc(label)}</div></div>`;
}

const CSS = `
:root{--bg:#f7f8fa;--fg:#1d2430;--muted:#5d6b7a;--card:#fff;--line:#e3e7ec;--bad:#d64545;--ok:#2f9e6e;--warn:#e39b2d}
@media (prefers-color-scheme:dark){:root{--bg:#14181f;--fg:#e6e9ee;--muted:#9aa5b1;--card:#1c222b;--line:#2c3440}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:980px;margin:0 auto;padding:28px 20px 60px}h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}
.sub{color:var(--muted);margin:0 0 18px}.banner{background:var(--bad);color:#fff;padding:14px 18px;border-radius:10px;font-weight:600;margin:0 0 18px}
.ok-banner{background:var(--ok);color:#fff;padding:8px 14px;border-radius:10px;margin:0 0 18px;display:inline-block}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px;margin:8px 0 8px}.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card .v{font-size:24px;font-weight:650}.card .l{color:var(--muted);font-size:13px}.card.bad .v{color:var(--bad)}.card.good .v{color:var(--ok)}
figure{background:var(--card);border:1px solid var(--line);border-radius:10px;margin:14px 0;padding:12px 14px}figcaption{font-weight:600;margin-bottom:6px;display:flex;flex-wrap:wrap;gap:12px;align-items:center}
.legend{font-weight:400;color:var(--muted);font-size:13px;display:flex;gap:12px}.key i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
svg .grid{stroke:var(--line)}svg text{fill:var(--muted);font-size:11px}svg .label{fill:var(--fg);font-size:12px}svg .value{fill:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden;margin:10px 0}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}table.kv th{width:38%;color:var(--muted);font-weight:500}
table.grid thead th{background:var(--bg);font-weight:600}.rec{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--warn);border-radius:8px;padding:10px 14px;margin:10px 0}
.rec h3{margin:0 0 4px;font-size:16px}.rec p{margin:4px 0}.rec .ev{color:var(--muted);font-size:14px}.untrusted h2::after{content:" (untrusted)";color:var(--bad);font-size:14px}
footer{color:var(--muted);font-size:12px;margin-top:40px}`;

export function renderHtml(r: ReviewReport): string {
  const B = r.ledger.gateB;
  const banner = untrustedBanner(r);
  const tierRows = Object.entries(B.commitsByTier).map(([k, v]) => ({ label: k, value: v, color: TIER_COLORS[k] ?? COLORS.commits }));
  const histTierRows = Object.entries(r.history.byTier).map(([k, v]) => ({ label: k, value: v, color: TIER_COLORS[k] ?? COLORS.commits }));
  const tta = B.timeToApproval;
  const sections = buildSections(r);
  const recs = displayRecommendations(r.recommendations);
  const body: string[] = [];
  body.push(`<h1>agent-gates review</h1><p class="sub">${esc(r.repository)} · ${esc(r.window.since.slice(0, 16).replace('T', ' '))} → ${esc(r.window.until.slice(0, 16).replace('T', ' '))} UTC (${esc(r.window.label)})</p>`);
  body.push(banner ? `<div class="banner" role="alert">${esc(banner)}</div>` : `<div class="ok-banner">ledger verifies: ${r.integrity.entries} entries</div>`);
  body.push(
    `<div class="cards">${[
      card('gated commits', String(B.gatedCommits)),
      card('blocks', String(B.blocks), B.blocks ? 'bad' : ''),
      card('approvals', String(B.approvals), 'good'),
      card('rejections', String(B.rejections)),
      card('median explain → approval', formatDuration(tta.medianMs)),
      card('bypasses in history', String(r.history.bypasses.length), r.history.bypasses.length ? 'bad' : 'good'),
      card('lease denials', String(r.ledger.leases.denials)),
      card('recommendations', String(recs.length), recs.length ? 'bad' : 'good'),
    ].join('')}</div>`,
  );
  body.push(`<div class="${r.trusted ? '' : 'untrusted'}">`);
  body.push('<h2>Charts</h2>');
  body.push(timelineChart(r));
  body.push(barChart('Recorded commits by tier', tierRows));
  if (histTierRows.length) body.push(barChart('Commits on HEAD by tier (git history)', histTierRows));
  body.push(barChart(`Time from explain to approval (n=${tta.count}, median ${formatDuration(tta.medianMs)}, p90 ${formatDuration(tta.p90Ms)})`, tta.histogram.map((h) => ({ label: h.label, value: h.count, color: COLORS.approvals }))));
  body.push(barChart('Fires per surface', B.surfaces.map((s) => ({ label: s.name, value: s.fires, color: TIER_COLORS[s.tier], note: s.tier }))));
  body.push('<h2>Recommendations</h2>');
  body.push(
    recs.length
      ? recs.map((x) => `<div class="rec"><h3>${esc(x.title)}</h3><p>${esc(x.action)}</p><p class="ev">Evidence: ${esc(x.evidence.join('; '))}</p><p class="ev">Threshold: ${esc(x.threshold)}</p></div>`).join('')
      : '<p>None: no threshold was crossed in this window.</p>',
  );
  for (const s of sections) {
    if (s.id === 'recommendations') continue;
    body.push(`<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>${s.blocks.map(htmlBlock).join('')}</section>`);
  }
  body.push('</div>');
  body.push(`<footer>Generated ${esc(r.generatedAt)} by agent-gates (gate review --format html). Self-contained: no scripts, no external assets.</footer>`);
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>agent-gates review</title><style>${CSS}</style></head><body><main>${body.join('\n')}</main></body></html>\n`;
}
