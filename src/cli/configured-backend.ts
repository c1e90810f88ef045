import { createBackend } from '../shared/backends/index.js';
import type { EPDBBackend } from '../shared/backends/backend.js';
import { readConfig, type EpdbConfig } from '../shared/config.js';
import { ConfigError } from '../shared/errors.js';
import { CommandError } from './errors.js';

/** The app's configuration as the CLI reads it, and the backend it selects. */
export interface ConfiguredBackend {
  readonly config: EpdbConfig;
  readonly backend: EPDBBackend;
}

/**
 * Reads the same environment variables as the app (`EPDB_BACKEND`, `EPDB_KEY`, `EPDB_MAX_AGE`...)
 * and builds the backend, so a knock made here is one the app accepts.
 *
 * @throws {CommandError} with one line naming the variable at fault.
 */
export function configuredBackend(env: NodeJS.ProcessEnv): ConfiguredBackend {
  let config: EpdbConfig | null;
  try {
    config = readConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CommandError(error.message);
    throw error;
  }
  if (config === null) {
    throw new CommandError('EPDB_BACKEND: not set; set it (and EPDB_KEY) as for the app: base64, fernet or jwt');
  }
  try {
    return { config, backend: createBackend(config) };
  } catch (error) {
    if (error instanceof ConfigError) throw new CommandError(error.message);
    throw error;
  }
}

/**
 * The value of an `X-EPDB` header that `backend` accepts, made now (fresh `iat`/timestamp),
 * carrying the knock `options` (`{"epdb": options}`; none by default).
 */
export async function freshKnock(backend: EPDBBackend, options: Readonly<Record<string, unknown>> = {}): Promise<string> {
  return `${backend.scheme} ${await backend.encode({ epdb: options })}`;
}
