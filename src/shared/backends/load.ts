import { pathToFileURL } from 'node:url';
import type { BackendRecipe, EPDBBackend } from './backend.js';

/**
 * Builds a backend from its {@link BackendRecipe}: how the bridge worker, which cannot receive
 * the main thread's objects, gets its own copy to authenticate bridge requests.
 */
export async function loadBackend(recipe: BackendRecipe): Promise<EPDBBackend> {
  const url = recipe.module.startsWith('file:') ? recipe.module : pathToFileURL(recipe.module).href;
  const loaded = (await import(url)) as Record<string, unknown>;
  const exported = loaded[recipe.exportName] ?? (loaded['default'] as Record<string, unknown> | undefined)?.[recipe.exportName];
  if (typeof exported !== 'function') {
    throw new TypeError(`epdb: ${recipe.module} has no export named ${recipe.exportName}`);
  }
  return new (exported as new (options: unknown) => EPDBBackend)(recipe.options);
}
