import { refusal } from '../knock/refusal.js';
import { BUILT_IN_BACKENDS, EPDBBackend, type BackendRecipe } from './backend.js';
import { decodeBase64Strictly, parseJsonBytes } from './json.js';

/**
 * The seed's `Base64` knock: base64 of `{"epdb": {}}`. It authenticates nobody (anyone can make
 * one), so it is only for trusted networks, and the bridge it opens is as open as `--inspect`.
 */
export class Base64Backend extends EPDBBackend {
  readonly scheme = 'Base64';
  readonly authenticates = false;
  readonly recipe: BackendRecipe = { module: BUILT_IN_BACKENDS, exportName: 'Base64Backend', options: {} };

  decode(payload: string): unknown {
    const bytes = decodeBase64Strictly(payload, 'standard');
    if (bytes === undefined) throw refusal('ERR_EPDB_KNOCK_UNDECODABLE', 'payload is not valid base64');
    return parseJsonBytes(bytes);
  }

  encode(value: Record<string, unknown>): string {
    return Buffer.from(JSON.stringify(value)).toString('base64');
  }
}
