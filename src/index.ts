/**
 * epdb: step through the handling of one chosen request on a running Node.js server.
 *
 * Most users need only the preload (`node --import epdb/register app.js`) and the `EPDB_*`
 * variables; this module is for configuring in code and for writing backends.
 *
 * @packageDocumentation
 */
export { instrument, isInstrumented } from './main/instrument/index.js';
export { instrumentFromEnvironment } from './main/install.js';
export type { InstrumentOptions, Instrumentation } from './main/options.js';
export { readConfig } from './shared/config.js';
export { FollowHosts } from './shared/follow-hosts.js';
export type { BackendName, EpdbConfig, StopAt } from './shared/config.js';
export type { PortRange } from './shared/port-range.js';
export { EPDBBackend } from './shared/backends/backend.js';
export type { BackendRecipe } from './shared/backends/backend.js';
export { Base64Backend } from './shared/backends/base64.js';
export { FernetBackend } from './shared/backends/fernet.js';
export type { FernetBackendOptions } from './shared/backends/fernet.js';
export { JWTBackend } from './shared/backends/jwt.js';
export type { JWTBackendOptions } from './shared/backends/jwt.js';
export { createBackend } from './shared/backends/index.js';
export { loadBackend } from './shared/backends/load.js';
export { verifyKnock } from './shared/knock/verify.js';
export { parseKnock } from './shared/knock/parse.js';
export type { ParsedKnock } from './shared/knock/parse.js';
export { MAX_KNOCK_BYTES } from './shared/knock/limits.js';
export { KnockError, ConfigError } from './shared/errors.js';
export type { KnockErrorCode } from './shared/errors.js';
export type { AnyRequest, AnyResponse } from './shared/any-request.js';
export type { AcceptedKnock, KnockScheme } from './shared/knock/accepted-knock.js';
export type { KnockHandler, KnockedRequest } from './main/knocked-request.js';
export type { DebugGate, SessionSettings } from './main/gate/debug-gate.js';
