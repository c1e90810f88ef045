import { targetProcess, targetTitle, type HeldSummary } from './target-process.js';
import { targetListEntry } from '../shared/target-list-entry.js';
import type { BridgeWorkerData } from '../shared/thread-messages.js';

/** An HTTP answer of the discovery endpoints. */
export interface DiscoveryAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * The answer of `node --inspect`'s discovery endpoints (`/json/version`, `/json/list`, `/json`,
 * `/json/protocol`) for `path`, or `null` for any other path. Like Node, the advertised
 * WebSocket address is the one the client asked (its `Host` header), so forwards and tunnels
 * advertise themselves.
 */
export function discoveryAnswer(
  path: string,
  hostHeader: string | undefined,
  data: BridgeWorkerData,
  localAddress: string,
  held: HeldSummary | null = null,
): DiscoveryAnswer | null {
  switch (path) {
    case '/json/version':
      return json({ Browser: `node.js/${process.version}`, 'Protocol-Version': '1.1' });
    case '/json':
    case '/json/list': {
      const authority = hostHeader !== undefined && hostHeader !== '' ? hostHeader : localAddress;
      const target = { id: data.targetId, title: targetTitle(data, held), url: data.url };
      return json([{ ...targetListEntry(target, authority), epdb: targetProcess(data, held) }]);
    }
    case '/json/protocol': {
      // Loaded on demand: it is 85 kB and most clients never ask.
      const { PROTOCOL_SCHEMA_JSON } = require('../shared/protocol-schema.js') as typeof import('../shared/protocol-schema.js');
      return { status: 200, body: PROTOCOL_SCHEMA_JSON };
    }
    default:
      return null;
  }
}

/** Node's inspector pretty-prints its JSON with 2 spaces; some scripts grep it. */
function json(value: unknown): DiscoveryAnswer {
  return { status: 200, body: `${JSON.stringify(value, null, 2)}\n` };
}
