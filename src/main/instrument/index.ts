import { ConfigError } from '../../shared/errors.js';
import { FollowHosts } from '../../shared/follow-hosts.js';
import { defaultServiceName, startFollowing } from '../follow/install.js';
import type { InstrumentOptions, Instrumentation } from '../options.js';
import { clearInstrumentedMark, isInstrumented, markInstrumented } from './global-mark.js';
import { KnockCheck } from './knock-check.js';
import { LateServerKinds } from './late-modules.js';
import { wrapEmit, type EmitterPrototype } from './wrap-emit.js';

export { isInstrumented } from './global-mark.js';

/**
 * Starts checking every incoming request of every node:http, https and http2 server in this
 * process for a knock: `'request'`, `'checkContinue'` and `'upgrade'` of http and https servers,
 * `'request'` of http2's compatibility API and `'stream'` of its core API (gRPC). Requests
 * without one are handed on untouched. Outgoing requests (node:http, https, `fetch`) never pass an
 * incoming knock on, and those of a followed request carry its next hop's knock (src/main/follow).
 *
 * @throws {Error} when this process is already instrumented (`disable()` the other first).
 */
export function instrument(options: InstrumentOptions): Instrumentation {
  if (isInstrumented()) throw new Error('epdb: this process is already instrumented; disable() the running instrumentation first');
  const following = startFollowing({
    backend: options.backend,
    hosts: followHosts(options.follow),
    service: options.service ?? defaultServiceName(),
  });
  let check: KnockCheck;
  try {
    check = new KnockCheck(options, following.follower);
  } catch (error) {
    following.stop();
    throw error;
  }
  const unwraps: (() => void)[] = [];
  const wrap = (prototype: EmitterPrototype): void => {
    unwraps.push(wrapEmit(prototype, (original) => check.wrapEmit(original)));
  };
  const serverKinds = new LateServerKinds(wrap, (builtin) => {
    if (builtin !== 'http2') following.clientLoaded(builtin);
  });
  // A knock can only arrive through a wrapped server, but the app may have imported a client
  // module since (an ES import no hook sees): each knock looks again before it is followed.
  following.follower.onLookForClients(() => serverKinds.wrapLoaded());
  let disabled = false;
  const instrumentation: Instrumentation = {
    async disable() {
      if (disabled) return;
      disabled = true;
      check.stop();
      serverKinds.unhook();
      for (const unwrap of unwraps) unwrap();
      following.stop();
      clearInstrumentedMark();
      await check.close();
    },
  };
  markInstrumented(instrumentation);
  return instrumentation;
}

/** {@link InstrumentOptions.follow}, parsed: a bad one is a configuration error, as `EPDB_FOLLOW`'s. */
function followHosts(follow: string | FollowHosts | undefined): FollowHosts {
  if (follow === undefined) return FollowHosts.NOBODY;
  if (follow instanceof FollowHosts) return follow;
  const hosts = FollowHosts.parse(follow);
  if (typeof hosts === 'string') throw new ConfigError('follow', hosts);
  return hosts;
}
