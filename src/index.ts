/**
 * epdb: step through the handling of one chosen request on a running Node.js server.
 *
 * Most users need only the preload (`node --import epdb/register app.js`) and the `EPDB_*`
 * variables; this module is for configuring in code and for writing backends.
 *
 * @packageDocumentation
 */
export { instrument, isInstrumented } from './instrument/index.js';
export { instrumentFromEnvironment } from './install.js';
export type { InstrumentOptions, Instrumentation } from './options.js';
export { readConfig } from './config.js';
export { FollowHosts } from './follow/hosts.js';
export type { BackendName, EpdbConfig, StopAt } from './config.js';
export type { PortRange } from './port-range.js';
export { EPDBBackend } from './backends/backend.js';
export type { BackendRecipe } from './backends/backend.js';
export { Base64Backend } from './backends/base64.js';
export { FernetBackend } from './backends/fernet.js';
export type { FernetBackendOptions } from './backends/fernet.js';
export { JWTBackend } from './backends/jwt.js';
export type { JWTBackendOptions } from './backends/jwt.js';
export { createBackend } from './backends/index.js';
export { loadBackend } from './backends/load.js';
export { verifyKnock } from './knock/verify.js';
export { parseKnock } from './knock/parse.js';
export type { ParsedKnock } from './knock/parse.js';
export { MAX_KNOCK_BYTES } from './knock/limits.js';
export { KnockError, ConfigError } from './errors.js';
export type { KnockErrorCode } from './errors.js';
export type {
  AcceptedKnock, AnyRequest, AnyResponse, DebugGate, KnockHandler, KnockScheme, KnockedRequest, SessionSettings,
} from './types.js';
