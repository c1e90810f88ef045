import { pathToFileURL } from 'node:url';
import { BUILT_IN_BACKENDS, type BackendRecipe, type EPDBBackend } from './backend.js';

/**
 * Builds a backend from its {@link BackendRecipe}: how the bridge worker, which cannot receive
 * the main thread's objects, gets its own copy to authenticate bridge requests.
 */
export async function loadBackend(recipe: BackendRecipe): Promise<EPDBBackend> {
  const loaded = recipe.module === BUILT_IN_BACKENDS ? await builtInBackends() : (await import(moduleUrl(recipe.module))) as Record<string, unknown>;
  const exported = loaded[recipe.exportName] ?? (loaded['default'] as Record<string, unknown> | undefined)?.[recipe.exportName];
  if (typeof exported !== 'function') {
    throw new TypeError(`epdb: ${recipe.module} has no export named ${recipe.exportName}`);
  }
  return new (exported as new (options: unknown) => EPDBBackend)(recipe.options);
}

function moduleUrl(module: string): string {
  return module.startsWith('file:') ? module : pathToFileURL(module).href;
}

async function builtInBackends(): Promise<Record<string, unknown>> {
  const [base64, fernet, jwt] = await Promise.all([import('./base64.js'), import('./fernet.js'), import('./jwt.js')]);
  return { ...base64, ...fernet, ...jwt };
}
