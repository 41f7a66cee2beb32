/** The runtime modules, by name (one module per agent runtime; see contract.ts). */
import { checkAider, installAider } from './aider.js';
import { checkClaude, claudeAdapter, installClaude } from './claude.js';
import { checkCodex, codexAdapter, installCodex } from './codex.js';
import type { ConfigCheck, HookAdapter, InstallReport, RuntimeName } from './contract.js';
import { checkCursor, cursorAdapter, installCursor } from './cursor.js';
import { checkGemini, geminiAdapter, installGemini } from './gemini.js';

export interface RuntimeModule {
  name: RuntimeName;
  label: string;
  /** Undefined for a runtime without tool hooks (Aider). */
  hook?: HookAdapter;
  /** One report per file written. */
  install(root: string): InstallReport | InstallReport[];
  check(root: string): ConfigCheck | undefined;
}

export const RUNTIME_MODULES: Record<RuntimeName, RuntimeModule> = {
  claude: { name: 'claude', label: 'Claude Code', hook: claudeAdapter, install: installClaude, check: checkClaude },
  cursor: { name: 'cursor', label: 'Cursor', hook: cursorAdapter, install: installCursor, check: checkCursor },
  gemini: { name: 'gemini', label: 'Gemini CLI', hook: geminiAdapter, install: installGemini, check: checkGemini },
  codex: { name: 'codex', label: 'Codex CLI', hook: codexAdapter, install: installCodex, check: checkCodex },
  aider: { name: 'aider', label: 'Aider', install: installAider, check: checkAider },
};
