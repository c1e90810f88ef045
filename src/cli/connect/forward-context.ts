import type { Address } from './bridge-address.js';
import type { BridgeWatch } from './bridge-watch.js';

/** What every forwarded request needs to know about the two sides of `epdb connect`. */
export interface ForwardContext {
  /** The bridge, as dialled. */
  readonly target: Address;
  /** The bridge's `host:port`, sent as `Host`. */
  readonly bridgeAuthority: string;
  /** Where the forward listens (`127.0.0.1:LOCAL`): the address advertised to debuggers. */
  readonly localAuthority: string;
  readonly watch: BridgeWatch;
  /** A fresh `X-EPDB` value per request, or `null` when the bridge needs none (base64). */
  readonly knock: () => Promise<string | null>;
}
