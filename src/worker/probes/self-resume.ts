/**
 * Whether a capture asks the main thread to resume itself at its end (main/probes/pause-resumer.ts),
 * saving the worker's `Debugger.resume` round trip (~0.5 ms a capture, figure 11's A/B rows).
 *
 * Off: the main thread then runs, and may pause again for the next probed request, while this
 * worker still releases the first pause's object groups (`backtrace` and the probes' group),
 * which by then name the second pause's objects: under 50 probe knocks a second its capture
 * failed with "Could not find object with given id" (CI, Node 24). Turning it on needs an object
 * group of its own for each pause, released only with that pause.
 */
export const SELF_RESUME = false;
