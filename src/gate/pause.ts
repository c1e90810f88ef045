import type { AnyRequest, AnyResponse } from '../types.js';

/**
 * Where a debugged request stops: the debugger shows this frame with `req` and `res` in its
 * local scope. Step into `proceed()` to reach the app's own handler for this request.
 */
export function pauseAtRequest(req: AnyRequest, res: AnyResponse, proceed: () => void): void {
  void req, void res; // they are here for you to inspect
  // epdb: this request is held for you. Step into proceed() to reach the app's handler.
  debugger;
  proceed();
}
