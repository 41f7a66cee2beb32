// agent-gates web inbox (gate inbox --web). Plain browser JavaScript, no libraries, no external
// resources. Everything an agent wrote (intent, risk, paths, file content) is put on the page
// with textContent only, never parsed as HTML.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { cards: [], selected: null, detail: null, view: localStorage.getItem('gate-diff-view') || 'unified', busy: false };

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const k of kids.flat()) if (k !== undefined && k !== null && k !== false) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }

  const b64u = {
    toBuf(s) {
      const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
      const out = new Uint8Array(b.length);
      for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
      return out.buffer;
    },
    fromBuf(buf) {
      const bytes = new Uint8Array(buf);
      let s = '';
      for (const x of bytes) s += String.fromCharCode(x);
      return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    },
  };

  async function api(path, body) {
    const init = body === undefined ? { credentials: 'same-origin' } : { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const res = await fetch(path, init);
    let data;
    try { data = await res.json(); } catch { data = { ok: false, message: `HTTP ${res.status}` }; }
    if (!res.ok || !data.ok) {
      const err = new Error(data.message || `HTTP ${res.status}`);
      err.data = data;
      err.status = res.status;
      throw err;
    }
    return data;
  }

  function banner(text, ok) {
    const b = $('banner');
    b.textContent = text;
    b.className = ok ? 'banner ok' : 'banner';
    b.hidden = !text;
  }

  function errorText(e) {
    const d = e.data || {};
    return [d.message || e.message, ...(d.details || []), d.fix ? `fix: ${d.fix}` : ''].filter(Boolean).join('\n');
  }

  // ---- session: the URL fragment carries a one-time token, exchanged for an HttpOnly cookie ----
  async function start() {
    const token = location.hash.slice(1);
    if (token) {
      history.replaceState(null, '', location.pathname);
      try { await api('/api/session', { token }); } catch (e) { if (e.status !== 403) throw e; }
    }
    try {
      await refresh();
    } catch (e) {
      $('live').textContent = 'no session';
      $('live').className = 'live off';
      banner(e.status === 401 ? 'This page needs the one-time link that `gate inbox --web` prints. Run it again for a new link.' : errorText(e));
      return;
    }
    listen();
  }

  function listen() {
    const es = new EventSource('/api/events');
    es.addEventListener('open', () => { $('live').textContent = 'live'; $('live').className = 'live on'; });
    es.addEventListener('error', () => { $('live').textContent = 'disconnected'; $('live').className = 'live off'; });
    es.addEventListener('cards', () => { refresh().catch((e) => banner(errorText(e))); });
  }

  async function refresh() {
    const r = await api('/api/cards');
    // redraw the list only when a card changed (ages are computed on the page)
    const key = (cs) => JSON.stringify(cs.map((c) => ({ ...c, age_s: 0 })));
    const changed = key(r.cards) !== key(state.cards) || !$('cards').children.length;
    state.cards = r.cards;
    if (changed) renderCards();
    if (state.selected) {
      if (state.cards.some((c) => c.id === state.selected)) await openCard(state.selected, true);
      else closeDetail('That change was withdrawn or committed.');
    }
  }

  // ---- the list ----
  const tierOf = (c) => c.tier || '';
  function age(c) {
    const t = Date.parse(c.created_at || '');
    const s = Number.isFinite(t) ? Math.max(0, (Date.now() - t) / 1000) : c.age_s;
    if (!Number.isFinite(s)) return '';
    if (s < 90) return 'just now';
    if (s < 5400) return `${Math.round(s / 60)} min ago`;
    if (s < 129600) return `${Math.round(s / 3600)} h ago`;
    return `${Math.round(s / 86400)} d ago`;
  }
  function who(c) { return (c.asker && c.asker.id) || ''; }
  function stat(c) {
    const f = Array.isArray(c.files) ? c.files : [];
    const add = f.reduce((n, x) => n + (x.added || 0), 0);
    const del = f.reduce((n, x) => n + (x.removed || 0), 0);
    return `${f.length} file${f.length === 1 ? '' : 's'} +${add} −${del}`;
  }
  function isStale(c) { return c.current === false; }
  function rejections(c) { return Array.isArray(c.rejections) ? c.rejections : []; }

  function renderCards() {
    const ol = $('cards');
    ol.replaceChildren();
    $('empty').hidden = state.cards.length > 0;
    for (const c of state.cards) {
      const li = el('li', { class: `card${c.id === state.selected ? ' selected' : ''}`, tabindex: 0, 'data-id': c.id, role: 'button', onclick: () => openCard(c.id), onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); openCard(c.id); } } },
        el('div', { class: 'meta' },
          el('span', { class: `badge ${tierOf(c)}`, text: tierOf(c).replace('_', ' ') }),
          isStale(c) ? el('span', { class: 'badge stale', title: c.stale_reason || '', text: 'stale' }) : null,
          c.state === 'approved' ? el('span', { class: 'badge approved', text: 'approved' }) : null,
          rejections(c).length ? el('span', { class: 'badge rejected', text: `${rejections(c).length} earlier rejection(s)` }) : null),
        el('div', { class: 'intent', text: (c.intent || '').split('\n')[0] }),
        el('div', { class: 'meta' },
          who(c) ? el('span', { text: who(c) }) : null,
          el('span', { class: 'mono', text: c.id }),
          c.branch || c.worktree ? el('span', { title: c.worktree, text: c.branch || c.worktree }) : null,
          el('span', { text: stat(c) }),
          el('span', { text: age(c) })));
      ol.append(li);
    }
  }

  // ---- the change ----
  async function openCard(id, quiet) {
    state.selected = id;
    for (const li of document.querySelectorAll('.card')) li.classList.toggle('selected', li.dataset.id === id);
    let next;
    try {
      next = await api(`/api/cards/${encodeURIComponent(id)}`);
    } catch (e) {
      if (!quiet) banner(errorText(e));
      return;
    }
    // a live update that changes nothing about this card leaves the page (and a half-typed reason) alone
    const same = quiet && state.detail && JSON.stringify({ ...state.detail, card: { ...state.detail.card, age_s: 0 } }) === JSON.stringify({ ...next, card: { ...next.card, age_s: 0 } });
    state.detail = next;
    if (!same) renderDetail();
    $('layout').classList.add('open');
    if (!quiet) window.scrollTo(0, 0);
  }

  function closeDetail(msg) {
    state.selected = null;
    state.detail = null;
    $('detail').hidden = true;
    $('layout').classList.remove('open');
    if (msg) banner(msg, true);
    renderCards();
  }

  function section(title, ...kids) {
    return [el('h3', { text: title }), ...kids];
  }

  function explanationBlock(d) {
    const x = d.explanation;
    return [
      ...section('Intent', el('p', { class: 'text', id: 'intent', text: x.intent })),
      ...section('Alternatives considered', el('ul', {}, x.alternatives.map((a) => el('li', { class: 'text', text: a })))),
      ...section('Risk', el('dl', { class: 'risk' },
        el('dt', { text: 'Blast radius' }), el('dd', { text: x.risk.blast_radius }),
        el('dt', { text: 'Reversibility' }), el('dd', { text: x.risk.reversibility }),
        el('dt', { text: 'Rollback' }), el('dd', { text: x.risk.rollback }))),
      ...section(`Gated files (${d.files.length})`, el('ul', { class: 'files' }, d.files.map((f) =>
        el('li', {}, el('code', { text: `${f.status} ${f.old_path ? `${f.old_path} → ` : ''}${f.path}` }), el('span', { class: 'meta', text: ` [${f.surfaces.join(', ')}] ${f.tier}` }))))),
    ];
  }

  function weakeningsBlock(d) {
    if (!d.weakenings) return [];
    const w = d.weakenings;
    const items = [];
    if (w.note) items.push(el('li', { text: w.note }));
    for (const m of w.messages) items.push(el('li', { text: `Weakens: ${m}` }));
    if (!items.length) items.push(el('li', { class: 'none', text: 'Nothing: no surface, tier, glob, carve-out or approval rule is weakened.' }));
    return section('.agents/gates.yaml: what this change weakens', el('ul', { class: 'weak', id: 'weakenings' }, items));
  }

  // unified diff text → rows {kind, old, new, text}
  function parsePatch(patch) {
    const rows = [];
    let o = 0, n = 0;
    for (const line of patch.split('\n')) {
      if (line.startsWith('Index:') || line.startsWith('====') || line.startsWith('--- ') || line.startsWith('+++ ')) continue;
      const h = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
      if (h) { o = +h[1]; n = +h[2]; rows.push({ kind: 'hunk', text: line }); continue; }
      if (line.startsWith('\\')) { rows.push({ kind: 'hunk', text: line }); continue; }
      if (line.startsWith('+')) rows.push({ kind: 'add', new: n++, text: line.slice(1) });
      else if (line.startsWith('-')) rows.push({ kind: 'del', old: o++, text: line.slice(1) });
      else if (line.startsWith(' ')) rows.push({ kind: 'ctx', old: o++, new: n++, text: line.slice(1) });
    }
    return rows;
  }

  function unifiedTable(rows) {
    return el('table', { class: 'd' }, el('tbody', {}, rows.map((r) => r.kind === 'hunk'
      ? el('tr', { class: 'hunk' }, el('td', { class: 'n' }), el('td', { class: 'n' }), el('td', { class: 's' }), el('td', { class: 'c', text: r.text }))
      : el('tr', { class: r.kind }, el('td', { class: 'n', text: r.old ?? '' }), el('td', { class: 'n', text: r.new ?? '' }), el('td', { class: 's', text: r.kind === 'add' ? '+' : r.kind === 'del' ? '−' : ' ' }), el('td', { class: 'c', text: r.text })))));
  }

  function sideBySideTable(rows) {
    const out = [];
    let dels = [], adds = [];
    const flush = () => {
      for (let i = 0; i < Math.max(dels.length, adds.length); i++) out.push([dels[i], adds[i]]);
      dels = []; adds = [];
    };
    for (const r of rows) {
      if (r.kind === 'del') dels.push(r);
      else if (r.kind === 'add') adds.push(r);
      else { flush(); out.push(r.kind === 'hunk' ? r : [r, r]); }
    }
    flush();
    return el('table', { class: 'd sbs' }, el('tbody', {}, out.map((p) => {
      if (!Array.isArray(p)) return el('tr', { class: 'hunk' }, el('td', { class: 'n' }), el('td', { class: 'c', colspan: 3, text: p.text }));
      const [l, r] = p;
      return el('tr', {},
        el('td', { class: 'n', text: l ? l.old : '' }), el('td', { class: `c ${l && l.kind === 'del' ? 'del' : ''}`, text: l ? l.text : '' }),
        el('td', { class: 'n', text: r ? r.new : '' }), el('td', { class: `c ${r && r.kind === 'add' ? 'add' : ''}`, text: r ? r.text : '' }));
    })));
  }

  function diffBlock(d) {
    const seg = el('div', { class: 'seg', role: 'group', 'aria-label': 'Diff layout' },
      el('button', { type: 'button', 'aria-pressed': String(state.view === 'unified'), onclick: () => setView('unified') }, 'Unified'),
      el('button', { type: 'button', 'aria-pressed': String(state.view === 'split'), onclick: () => setView('split') }, 'Side by side'));
    const files = d.files.map((f) => {
      let body;
      if (f.binary) body = el('p', { class: 'note', text: `Binary file: ${f.note || ''}` });
      else if (f.patch && !/^(Index:|=+|---|\+\+\+)/m.test(f.patch)) body = el('p', { class: 'error note', text: f.patch });
      else {
        const rows = parsePatch(f.patch || '');
        body = el('div', { class: 'diff' }, rows.length ? (state.view === 'split' ? sideBySideTable(rows) : unifiedTable(rows)) : el('p', { class: 'note', text: f.old_path ? 'Renamed without content changes.' : 'No content changes.' }));
      }
      return el('div', { class: 'file' }, el('div', { class: 'file-head', text: `${f.status} ${f.old_path ? `${f.old_path} → ` : ''}${f.path}` }), body);
    });
    return [el('div', { class: 'toolbar' }, el('h3', { text: 'Diff of the gated files (HEAD → staged)' }), seg), el('div', { id: 'diff' }, files)];
  }

  function setView(v) {
    state.view = v;
    localStorage.setItem('gate-diff-view', v);
    renderDetail();
  }

  const STEP_LABEL = { confirm: 'Approve this change', intent: 'Approve the intent (step 1 of 2)', diff: 'Approve this diff (step 2 of 2)' };

  function renderDetail() {
    const d = state.detail;
    const box = $('detail');
    box.hidden = false;
    const typed = $('reason') && box.dataset.id === d.card.id ? $('reason').value : '';
    box.dataset.id = d.card.id;
    const step = d.steps[0];
    const double = d.tier === 'DOUBLE_CONFIRM';
    const kids = [
      el('button', { type: 'button', class: 'secondary back', onclick: () => closeDetail() }, '← All changes'),
      el('div', { class: 'meta' }, el('span', { class: `badge ${d.tier}`, text: d.tier.replace('_', ' ') }), el('span', { text: `tree ${d.tree.slice(0, 12)}` }), el('span', { text: `explained by ${d.explanation.created_by}` }), el('span', { text: d.explanation.created_at })),
      el('h2', { text: d.explanation.intent.split('\n')[0] }),
    ];
    if (double) {
      const done = (s) => !d.steps.includes(s);
      kids.push(el('div', { class: 'steps' },
        el('span', { class: `step ${done('intent') ? 'done' : step === 'intent' ? 'current' : ''}`, text: '1. Intent' }),
        el('span', { class: `step ${done('diff') ? 'done' : step === 'diff' ? 'current' : ''}`, text: '2. Diff' })));
    }
    if (d.card.current === false) kids.push(el('p', { class: 'banner', text: `Stale: ${d.card.stale_reason || 'the staged tree moved on'}. It cannot be approved until the agent explains again.` }));
    const rej = rejections(d.card);
    if (rej.length) kids.push(...section('Earlier rejections of the same paths', el('ul', { class: 'weak' }, rej.map((r) => el('li', { class: 'text', text: `${r.at} by ${r.by} (${r.path}): ${r.reason}` })))));
    kids.push(...explanationBlock(d));
    // DOUBLE_CONFIRM: the intent is approved first, and only then the diff is shown for step 2
    if (!double || step !== 'intent') kids.push(...weakeningsBlock(d), ...diffBlock(d));
    else kids.push(el('p', { class: 'note', text: 'The diff and any weakening of the gate config are shown in step 2, after you approve the intent.' }));
    const status = el('p', { id: 'action-status', role: 'status' });
    const reason = el('textarea', { id: 'reason', placeholder: 'What must change (the agent reads this)', 'aria-label': 'Reason for rejecting' });
    reason.value = typed;
    const actions = el('div', { class: 'actions' });
    if (step) {
      actions.append(el('div', { class: 'row' }, el('button', { type: 'button', id: 'approve', onclick: () => approveStep(step) }, `${STEP_LABEL[step] || step} with your passkey`)));
    } else if (d.card.state === 'approved' || d.card.steps_needed.every((x) => d.card.steps_done.includes(x))) {
      actions.append(el('p', { class: 'success', id: 'approved', text: 'Approved. The agent can commit now.' }));
    }
    actions.append(reason, el('div', { class: 'row' }, el('button', { type: 'button', id: 'reject', class: 'danger', onclick: () => rejectCard(reason.value) }, 'Reject with this reason')), status);
    kids.push(actions);
    box.replaceChildren(...kids);
  }

  function setStatus(text, ok) {
    const s = $('action-status');
    if (!s) return banner(text, ok);
    s.textContent = text;
    s.className = ok ? 'success' : 'error';
  }

  async function approveStep(step) {
    if (state.busy) return;
    state.busy = true;
    const id = state.selected;
    try {
      setStatus('Waiting for your passkey…', true);
      const { publicKey } = await api(`/api/cards/${encodeURIComponent(id)}/options`, { step });
      const opts = { ...publicKey, challenge: b64u.toBuf(publicKey.challenge) };
      if (Array.isArray(publicKey.allowCredentials)) opts.allowCredentials = publicKey.allowCredentials.map((c) => ({ ...c, id: b64u.toBuf(c.id) }));
      const cred = await navigator.credentials.get({ publicKey: opts });
      if (!cred) throw new Error('no credential was used');
      const r = cred.response;
      const assertion = {
        id: b64u.fromBuf(cred.rawId),
        clientDataJSON: b64u.fromBuf(r.clientDataJSON),
        authenticatorData: b64u.fromBuf(r.authenticatorData),
        signature: b64u.fromBuf(r.signature),
        userHandle: r.userHandle ? b64u.fromBuf(r.userHandle) : null,
      };
      await api(`/api/cards/${encodeURIComponent(id)}/approve`, { step, assertion });
      banner(`Approved: ${step}.`, true);
      await openCard(id, true);
      setStatus(`Approved: ${step}.`, true);
    } catch (e) {
      setStatus(`Not approved: ${errorText(e)}`);
    } finally {
      state.busy = false;
    }
  }

  async function rejectCard(reason) {
    if (!reason.trim()) return setStatus('A rejection needs a reason the agent can act on.');
    try {
      await api(`/api/cards/${encodeURIComponent(state.selected)}/reject`, { reason });
      closeDetail('Rejected. The agent sees your reason the next time it explains.');
      await refresh();
    } catch (e) {
      setStatus(`Not rejected: ${errorText(e)}`);
    }
  }

  // ---- register a passkey ----
  async function register() {
    const err = $('reg-err');
    err.hidden = true;
    try {
      const principal = $('principal').value.trim() || undefined;
      const { publicKey } = await api('/api/passkeys/options', { principal });
      const opts = { ...publicKey, challenge: b64u.toBuf(publicKey.challenge), user: { ...publicKey.user, id: b64u.toBuf(publicKey.user.id) } };
      if (Array.isArray(publicKey.excludeCredentials)) opts.excludeCredentials = publicKey.excludeCredentials.map((c) => ({ ...c, id: b64u.toBuf(c.id) }));
      const cred = await navigator.credentials.create({ publicKey: opts });
      const r = cred.response;
      const credential = {
        id: b64u.fromBuf(cred.rawId),
        clientDataJSON: b64u.fromBuf(r.clientDataJSON),
        attestationObject: b64u.fromBuf(r.attestationObject),
        publicKey: r.getPublicKey ? b64u.fromBuf(r.getPublicKey()) : undefined,
        publicKeyAlgorithm: r.getPublicKeyAlgorithm ? r.getPublicKeyAlgorithm() : undefined,
        authenticatorData: r.getAuthenticatorData ? b64u.fromBuf(r.getAuthenticatorData()) : undefined,
      };
      const out = await api('/api/passkeys', { credential, principal });
      $('reg-path').textContent = out.signers_path;
      $('reg-line').textContent = out.line;
      $('reg-cmd').textContent = out.commands.join('\n');
      $('reg-out').hidden = false;
    } catch (e) {
      err.textContent = errorText(e);
      err.hidden = false;
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('register').addEventListener('click', () => $('reg').showModal());
    $('reg-close').addEventListener('click', () => $('reg').close());
    $('reg-go').addEventListener('click', () => { register().catch(() => {}); });
    start().catch((e) => banner(errorText(e)));
  });
})();
