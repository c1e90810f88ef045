/**
 * The environment variables a debugger must not change in the app's process: they decide how
 * every `node` child the app spawns starts. VS Code's debugger (js-debug), attaching with its
 * default `autoAttachChildProcesses`, appends `--require <its bootloader on the developer's
 * machine>` to `NODE_OPTIONS` and its settings to `VSCODE_INSPECTOR_OPTIONS`; on a server that
 * file does not exist and every child dies at start-up.
 */
export const GUARDED_VARIABLES = ['NODE_OPTIONS', 'VSCODE_INSPECTOR_OPTIONS'] as const;

/** The CDP commands that run a client's source text in the app (and the parameter holding it). */
const SOURCE_PARAMETER: Readonly<Record<string, string>> = {
  'Runtime.evaluate': 'expression',
  'Debugger.evaluateOnCallFrame': 'expression',
  'Runtime.callFunctionOn': 'functionDeclaration',
  'Runtime.compileScript': 'expression',
};

/** The commands that leave a client's source text to run later, at a breakpoint (its condition; VS Code's logpoints are conditions). */
const CONDITION_METHODS: ReadonlySet<string> = new Set(['Debugger.setBreakpoint', 'Debugger.setBreakpointByUrl', 'Debugger.setBreakpointOnFunctionCall']);

const NAMES = GUARDED_VARIABLES.join('|');
/**
 * An assignment to a guarded variable: `process.env["NODE_OPTIONS"]=`, `process.env.NODE_OPTIONS +=`
 * (js-debug writes the first form; `==`/`===` comparisons are not assignments).
 */
const ASSIGNMENT = new RegExp(`process\\s*\\.\\s*env\\s*(?:\\[\\s*(["'\`])(?:${NAMES})\\1\\s*\\]|\\.\\s*(?:${NAMES})\\b)\\s*(?:\\+|\\|\\||\\?\\?)?=(?!=)`);

/**
 * Whether a client command would change a {@link GUARDED_VARIABLES} variable of the app's
 * process: js-debug's child-process injection, or anything written like it.
 */
export function changesChildEnvironment(method: string, params: object | undefined): boolean {
  const parameter = SOURCE_PARAMETER[method] ?? (CONDITION_METHODS.has(method) ? 'condition' : undefined);
  if (parameter === undefined || params === undefined) return false;
  const source = (params as Record<string, unknown>)[parameter];
  return typeof source === 'string' && ASSIGNMENT.test(source);
}

/** Whether `method` runs a client's source text in the app (after which the keeper looks again). */
export function runsClientSource(method: string): boolean {
  return SOURCE_PARAMETER[method] !== undefined;
}
