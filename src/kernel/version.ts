declare const __GATE_VERSION__: string | undefined;
/** Replaced at build time; tests running from source read it from package.json's default. */
export const VERSION: string = typeof __GATE_VERSION__ === 'string' ? __GATE_VERSION__ : '0.0.0-dev';
