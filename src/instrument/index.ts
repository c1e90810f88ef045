import { Server as HttpServer } from 'node:http';
import type { InstrumentOptions, Instrumentation } from '../options.js';
import { clearInstrumentedMark, isInstrumented, markInstrumented } from './global-mark.js';
import { KnockCheck } from './knock-check.js';
import { wrapLateServerKinds } from './late-modules.js';
import { wrapEmit, type EmitterPrototype } from './wrap-emit.js';

export { isInstrumented } from './global-mark.js';

/**
 * Starts checking every incoming request of every node:http, https and http2 server in this
 * process for a knock: `'request'`, `'checkContinue'` and `'upgrade'` of http and https servers,
 * `'request'` of http2's compatibility API and `'stream'` of its core API (gRPC). Requests
 * without one are handed on untouched.
 *
 * @throws {Error} when this process is already instrumented (`disable()` the other first).
 */
export function instrument(options: InstrumentOptions): Instrumentation {
  if (isInstrumented()) throw new Error('epdb: this process is already instrumented; disable() the running instrumentation first');
  const check = new KnockCheck(options);
  const unwraps: (() => void)[] = [];
  const wrap = (prototype: EmitterPrototype): void => {
    unwraps.push(wrapEmit(prototype, (original) => check.wrapEmit(original)));
  };
  wrap(HttpServer.prototype as unknown as EmitterPrototype);
  const unhookLateKinds = wrapLateServerKinds(wrap);
  let disabled = false;
  const instrumentation: Instrumentation = {
    async disable() {
      if (disabled) return;
      disabled = true;
      check.stop();
      unhookLateKinds();
      for (const unwrap of unwraps) unwrap();
      clearInstrumentedMark();
      await check.close();
    },
  };
  markInstrumented(instrumentation);
  return instrumentation;
}
