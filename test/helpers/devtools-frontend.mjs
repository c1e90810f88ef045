// Drives the real Chrome DevTools front end, as headless Chromium serves it
// (`/devtools/js_app.html?v8only=true&ws=...`), the way a person uses it: it reads what the
// Sources panel shows (the DOM, through DevTools' shadow roots) and clicks its toolbar
// buttons with real mouse events (Input.dispatchMouseEvent). DevTools' own SDK module is read
// for one thing the DOM shows only as a file name: the full URL of the paused script.
import { writeFile } from 'node:fs/promises';

/**
 * What the Sources panel shows at one moment. Runs inside the DevTools page.
 * - paused: the Call Stack lists frames (it says "Not paused" otherwise);
 * - frame / location: the selected (top) call frame, as listed: `pauseAtRequest`, `pause.js:11`;
 * - tabs: the selected tabs' titles (the panel's and the open file's);
 * - openFiles: the editor's tabs (the files DevTools has opened), when the paused file is one;
 * - executionLine: the text of the editor's highlighted execution line;
 * - scope: the variables listed under the expanded scopes (Local first), by DevTools' own
 *   `data-object-property-name-for-test` attribute;
 * - canResume / canStep: the toolbar's Resume and Step over buttons are shown and enabled;
 * - url: the paused top frame's script URL, from DevTools' SDK (DebuggerModel);
 * - pauseId: a number per Debugger.paused that DevTools received (its paused-details object),
 *   so a step that lands on the same line still counts as a new pause.
 */
const SNAPSHOT = `(async () => {
  const deep = (selector) => {
    const found = [];
    const walk = (root) => {
      found.push(...root.querySelectorAll(selector));
      for (const element of root.querySelectorAll('*')) if (element.shadowRoot) walk(element.shadowRoot);
    };
    walk(document);
    return found;
  };
  const text = (element) => element?.textContent?.trim() ?? '';
  const selected = deep('.call-frame-item.selected')[0] ?? deep('.call-frame-item')[0];
  const location = text(selected?.querySelector('.call-frame-location'));
  const selectedTabs = deep('[role=tab][aria-selected=true]');
  const fileTab = selectedTabs.find((tab) => text(tab) === location.replace(/:\\d+(:\\d+)?$/, ''));
  const scope = deep('.scope-chain-sidebar-pane-section.expanded + ol > li[data-object-property-name-for-test]')
    .map((item) => item.dataset.objectPropertyNameForTest);
  const enabled = deep('button[aria-label]').filter((button) => !button.disabled && button.getClientRects().length > 0)
    .map((button) => button.getAttribute('aria-label'));
  let url = null;
  let pauseId = null;
  let line = null;
  if (selected) try {
    const SDK = await import('/devtools/core/sdk/sdk.js');
    const model = SDK.TargetManager.TargetManager.instance().models(SDK.DebuggerModel.DebuggerModel)[0];
    const details = model?.debuggerPausedDetails();
    if (details) {
      url = details.callFrames[0]?.script?.sourceURL ?? null;
      const modelLine = details.callFrames[0]?.location?.()?.lineNumber;
      line = typeof modelLine === 'number' ? modelLine + 1 : null;
      globalThis.__epdbPauseIds ??= new WeakMap();
      if (!globalThis.__epdbPauseIds.has(details)) globalThis.__epdbPauseIds.set(details, (globalThis.__epdbPauseCount = (globalThis.__epdbPauseCount ?? 0) + 1));
      pauseId = globalThis.__epdbPauseIds.get(details);
    }
  } catch (error) {
    url = 'SDK unavailable: ' + error;
  }
  return {
    paused: Boolean(selected),
    frame: text(selected?.querySelector('.call-frame-title-text')),
    location,
    tabs: selectedTabs.map(text),
    openFiles: fileTab ? [...fileTab.parentElement.querySelectorAll('[role=tab]')].map(text) : [],
    executionLine: text(deep('.cm-executionLine')[0]),
    scope,
    canResume: enabled.some((label) => label.startsWith('Resume script execution')),
    canStep: enabled.some((label) => label.startsWith('Step over next function call')),
    url,
    pauseId,
    line,
  };
})()`;

/**
 * @typedef {object} SourcesView
 * @property {boolean} paused
 * @property {string} frame
 * @property {string} location
 * @property {string[]} tabs
 * @property {string[]} openFiles
 * @property {string} executionLine
 * @property {string[]} scope
 * @property {boolean} canResume
 * @property {boolean} canStep
 * @property {string | null} url
 * @property {number | null} pauseId
 * @property {number | null} line the top frame's 1-based line as DevTools' debugger model has it
 */

/**
 * Opens DevTools on a debug target in a new page of `chromium`.
 * @param {import('./chromium.mjs').Chromium} chromium
 * @param {string} webSocketDebuggerUrl the target's, as its /json/list gives it (`ws://HOST:PORT/ID`)
 * @param {{ width?: number, height?: number }} [size]
 */
export async function openDevTools(chromium, webSocketDebuggerUrl, { width = 1400, height = 900 } = {}) {
  const ws = webSocketDebuggerUrl.replace(/^ws:\/\//, '');
  const url = `http://127.0.0.1:${chromium.port}/devtools/js_app.html?v8only=true&ws=${ws}`;
  const page = await chromium.openPage(url, { width, height });

  /** @returns {Promise<SourcesView>} */
  async function view() {
    const { result, exceptionDetails } = await page.Runtime.evaluate({ expression: SNAPSHOT, awaitPromise: true, returnByValue: true });
    if (exceptionDetails) throw new Error(`reading the DevTools page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    return result.value;
  }

  /**
   * Polls the Sources panel until `accept(view)` holds; rejects after `timeoutMs` with the
   * last view seen.
   * @param {(view: SourcesView) => boolean} accept @param {string} what @param {number} timeoutMs
   * @returns {Promise<SourcesView>}
   */
  async function waitFor(accept, what, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      // While the page loads, evaluating in it can fail (no context yet): that is "not yet".
      last = await view().catch((error) => ({ error: String(error) }));
      if (!('error' in last) && accept(last)) return last;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for DevTools to show ${what}; it shows ${JSON.stringify(last)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  return {
    page,
    url,
    view,
    waitFor,
    /**
     * Waits until the Sources panel shows a pause other than `after` (a pauseId) and is ready
     * for the next click: the Call Stack's top frame, the open file and its execution line shown,
     * and the Resume and Step buttons enabled (a click before that is lost).
     * @param {{ after?: number | null, timeoutMs?: number }} [options]
     */
    waitForPause({ after = null, timeoutMs = 20_000 } = {}) {
      // The model learns of a pause before the panel shows it: wait until the Call Stack's
      // location is the model's top frame (a loaded machine showed the step's old line).
      return waitFor((v) => v.paused && v.pauseId !== null && v.pauseId !== after && v.executionLine !== ''
        && v.openFiles.length > 0 && v.canResume && v.canStep && (v.line === null || v.location.endsWith(`:${v.line}`)),
      after === null ? 'a pause' : `a pause after pause ${after}`, timeoutMs);
    },
    /** Waits until the Call Stack says it is not paused. @param {number} [timeoutMs] */
    waitForResumed(timeoutMs = 20_000) {
      return waitFor((v) => !v.paused, 'the script running (not paused)', timeoutMs);
    },
    /**
     * Clicks the toolbar button whose accessible name starts with `label` ("Step over next
     * function call", "Resume script execution") with a real mouse click at its centre.
     * @param {string} label
     */
    async click(label) {
      const { result } = await page.Runtime.evaluate({
        returnByValue: true,
        expression: `(() => {
          const found = [];
          const walk = (root) => {
            found.push(...root.querySelectorAll('button[aria-label]'));
            for (const element of root.querySelectorAll('*')) if (element.shadowRoot) walk(element.shadowRoot);
          };
          walk(document);
          const button = found.find((b) => b.getAttribute('aria-label').startsWith(${JSON.stringify(label)}) && b.getClientRects().length > 0 && !b.disabled);
          if (!button) return null;
          const box = button.getBoundingClientRect();
          return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
        })()`,
      });
      if (!result.value) throw new Error(`DevTools shows no enabled button "${label}"`);
      const { x, y } = result.value;
      await page.Input.dispatchMouseEvent({ type: 'mouseMoved', x, y });
      await page.Input.dispatchMouseEvent({ type: 'mousePressed', x, y, button: 'left', clickCount: 1 });
      await page.Input.dispatchMouseEvent({ type: 'mouseReleased', x, y, button: 'left', clickCount: 1 });
    },
    /** Saves a PNG of the DevTools page. @param {string} path */
    async screenshot(path) {
      const { data } = await page.Page.captureScreenshot({ format: 'png' });
      await writeFile(path, Buffer.from(data, 'base64'));
    },
  };
}
