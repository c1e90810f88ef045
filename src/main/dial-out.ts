import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { appScript, clusterWorkerId } from '../shared/process-identity.js';
import type { EPDBBackend } from '../shared/backends/backend.js';
import type { DialSettings } from '../shared/thread-messages.js';
import type { KnockedRequest } from './knocked-request.js';
import { parseDialAddress, sameDialAddress, type DialAddress } from '../shared/reverse/address.js';
import { deriveHandshakeKey } from '../shared/reverse/handshake.js';

/** What the gate needs to dial out: the process-wide `EPDB_CONNECT`, and the proof's key. */
export interface DialOutSettings {
  /** `EPDB_CONNECT`; null: only knocks that carry `connect` dial out. */
  readonly connect: DialAddress | null;
  /** The backend's scheme, which both ends must share. */
  readonly scheme: string;
  /** The handshake key derived from `EPDB_KEY`; null when the backend proves nothing (base64). */
  readonly handshakeKey: Uint8Array | null;
}

/** The dial-out settings for `backend` and the configured `connect`, derived once. */
export function dialOutSettings(backend: EPDBBackend, connect: DialAddress | undefined): DialOutSettings {
  const sharedKey = backend.authenticates ? backend.sharedKey?.() : undefined;
  return { connect: connect ?? null, scheme: backend.scheme, handshakeKey: sharedKey === undefined ? null : deriveHandshakeKey(sharedKey) };
}

/**
 * How the bridge for `request` is reached: dialling its knock's `connect` (checked when the knock
 * was verified), else `EPDB_CONNECT`; `null` to listen as usual.
 */
export function dialSettingsFor(request: KnockedRequest, dialOut: DialOutSettings | undefined): DialSettings | null {
  if (dialOut === undefined) return null;
  const asked = request.knock.options['connect'];
  const parsed = typeof asked === 'string' ? parseDialAddress(asked) : null;
  const address = typeof parsed === 'object' && parsed !== null ? parsed : dialOut.connect;
  return address === null ? null : dialSettingsTo(address, dialOut, request.title ?? `${request.method} ${request.path}`);
}

/**
 * How a bridge started for probes is reached: `EPDB_CONNECT` when it is set (a probe knock
 * names no listener), else `null` to listen as usual.
 */
export function probeDialSettings(dialOut: DialOutSettings | undefined): DialSettings | null {
  return dialOut?.connect == null ? null : dialSettingsTo(dialOut.connect, dialOut, '');
}

function dialSettingsTo(address: DialAddress, dialOut: DialOutSettings, request: string): DialSettings {
  const script = appScript();
  return {
    address,
    scheme: dialOut.scheme,
    handshakeKey: dialOut.handshakeKey,
    process: {
      hostname: hostname(),
      pid: process.pid,
      worker: clusterWorkerId() ?? null,
      request,
      script: script ?? `node[${process.pid}]`,
      url: script !== undefined ? pathToFileURL(script).href : 'file://',
    },
  };
}

/**
 * Why a knock that wants `wanted` cannot use the bridge that runs as `running` (one transport a
 * process at a time), or `null` when it can.
 */
export function transportConflict(running: DialSettings | null, wanted: DialSettings | null): string | null {
  if (running === null && wanted === null) return null;
  if (running !== null && wanted !== null && sameDialAddress(running.address, wanted.address)) return null;
  const now = running === null ? 'listens for a debugger' : `is connected to epdb listen at ${running.address.authority}`;
  const asked = wanted === null ? 'a listening bridge' : `epdb listen at ${wanted.address.authority}`;
  return `it asks for ${asked}, but this process's bridge ${now}`;
}
