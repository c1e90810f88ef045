import { readConfig } from '../shared/config.js';
import { ConfigError } from '../shared/errors.js';
import { log } from '../shared/log.js';
import { dialAddressText } from '../shared/reverse/address.js';
import type { Instrumentation } from './options.js';

/**
 * Instruments this process as the environment says (`EPDB_*`), or not at all. It never throws:
 * a bad configuration is one log line naming the variable, and the app runs unpatched.
 *
 * @returns the running instrumentation, or `null` when epdb is off, misconfigured or already on.
 */
export function instrumentFromEnvironment(env: NodeJS.ProcessEnv): Instrumentation | null {
  try {
    const config = readConfig(env);
    if (config === null) return null;
    // Required only now, so that with epdb off the preload loads nothing but the config reader.
    const { instrument, isInstrumented } = require('./instrument/index.js') as typeof import('./instrument/index.js');
    const { createBackend } = require('../shared/backends/index.js') as typeof import('../shared/backends/index.js');
    if (isInstrumented()) return null;
    return instrument({
      backend: createBackend(config),
      exemptMethods: config.exemptMethods,
      host: config.host,
      port: config.port,
      waitTimeoutMs: config.waitTimeoutMs,
      ...(config.connect !== undefined ? { connect: dialAddressText(config.connect) } : {}),
      maxHeld: config.maxHeld,
      stopAt: config.stopAt,
      maxPauseMs: config.maxPauseMs,
      redact: config.redact,
      follow: config.follow,
      ...(config.service !== undefined ? { service: config.service } : {}),
    });
  } catch (error) {
    if (error instanceof ConfigError) log(`${error.message}; epdb is off`);
    else log(`could not start (${error instanceof Error ? error.message : String(error)}); epdb is off`);
    return null;
  }
}
