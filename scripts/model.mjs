#!/usr/bin/env node
/**
 * `npm run test:model`: the model-based range test at full size (GATE_MODEL_RUNS, default 2,000
 * histories), split into one vitest process per core (at most GATE_MODEL_SHARDS, default 2). The
 * property runs in a single test, so one process keeps one core busy and leaves the other idle.
 * Each shard checks its share of random histories from its own seed (printed, so a failure can be
 * replayed with GATE_MODEL_SEED=<seed> GATE_MODEL_RUNS=<runs> npx vitest run test/model). Exit code:
 * 0 when every shard passed, else the first failing shard's.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const total = Number(process.env.GATE_MODEL_RUNS ?? 2000);
const maxShards = Number(process.env.GATE_MODEL_SHARDS ?? 2);
if (!Number.isInteger(total) || total < 1 || !Number.isInteger(maxShards) || maxShards < 1) {
  console.error(`test:model: GATE_MODEL_RUNS (${process.env.GATE_MODEL_RUNS}) and GATE_MODEL_SHARDS (${process.env.GATE_MODEL_SHARDS}) must be positive integers`);
  process.exit(2);
}
const shards = Math.max(1, Math.min(maxShards, availableParallelism(), total));
const base = process.env.GATE_MODEL_SEED !== undefined ? Number(process.env.GATE_MODEL_SEED) : Math.floor(Math.random() * 0x7fffffff);
if (!Number.isInteger(base)) {
  console.error(`test:model: GATE_MODEL_SEED (${process.env.GATE_MODEL_SEED}) must be an integer`);
  process.exit(2);
}
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));

const runs = Array.from({ length: shards }, (_, i) => Math.floor(total / shards) + (i < total % shards ? 1 : 0));
const results = await Promise.all(
  runs.map(
    (n, i) =>
      new Promise((resolve) => {
        const seed = (base + i) | 0;
        console.log(`test:model shard ${i + 1}/${shards}: ${n} histories, seed ${seed}`);
        const child = spawn(process.execPath, [vitest, 'run', 'test/model'], {
          env: { ...process.env, GATE_MODEL_RUNS: String(n), GATE_MODEL_SEED: String(seed) },
          cwd: fileURLToPath(new URL('..', import.meta.url)),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const prefix = (stream, out) => {
          let rest = '';
          stream.on('data', (d) => {
            const lines = (rest + d.toString()).split('\n');
            rest = lines.pop();
            for (const l of lines) out.write(`[model ${i + 1}] ${l}\n`);
          });
          stream.on('end', () => rest && out.write(`[model ${i + 1}] ${rest}\n`));
        };
        prefix(child.stdout, process.stdout);
        prefix(child.stderr, process.stderr);
        child.on('close', (code, signal) => resolve({ code: code ?? 1, signal, seed, n }));
      }),
  ),
);
const failed = results.filter((r) => r.code !== 0);
for (const r of failed) console.error(`test:model: the shard with seed ${r.seed} failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}); replay: GATE_MODEL_SEED=${r.seed} GATE_MODEL_RUNS=${r.n} npx vitest run test/model`);
process.exit(failed.length ? failed[0].code || 1 : 0);
