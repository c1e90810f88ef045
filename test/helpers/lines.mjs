import { EventEmitter } from 'node:events';

/**
 * Collects the lines a readable stream prints and lets a test wait for one, event-driven.
 *
 * @example
 * const out = new LineLog(child.stdout, 'stdout');
 * const [, port] = await out.waitForLine(/^listening (\d+)$/, { timeoutMs: 5000 });
 */
export class LineLog extends EventEmitter {
  /** @type {string[]} every complete line seen so far, without its newline */
  lines = [];
  #partial = '';
  #ended = false;

  /**
   * @param {import('node:stream').Readable} stream
   * @param {string} name shown in timeout errors (`stdout`, `stderr`)
   */
  constructor(stream, name) {
    super();
    this.name = name;
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop() ?? '';
      for (const line of parts) this.#push(line.replace(/\r$/, ''));
    });
    stream.on('end', () => {
      if (this.#partial) this.#push(this.#partial);
      this.#partial = '';
      this.#ended = true;
      this.emit('end');
    });
  }

  /** @param {string} line */
  #push(line) {
    this.lines.push(line);
    this.emit('line', line);
  }

  /** Everything printed so far (complete lines and any unfinished one). */
  text() {
    return this.lines.join('\n') + (this.#partial ? `\n${this.#partial}` : '');
  }

  /**
   * The lines seen so far that match `regex`.
   * @param {RegExp} regex
   * @returns {string[]}
   */
  matching(regex) {
    return this.lines.filter((line) => regex.test(line));
  }

  /**
   * Resolves with the match of the first line (already printed, at index `from` or later, or
   * still to come) that matches `regex`. Rejects after `timeoutMs`, or when the stream ends
   * first, with an error that quotes everything printed.
   *
   * @param {RegExp} regex
   * @param {{ timeoutMs?: number, from?: number }} [options] `from`: ignore lines before this
   *   index (pass `log.lines.length` to wait only for lines still to come)
   * @returns {Promise<RegExpMatchArray>}
   */
  waitForLine(regex, { timeoutMs = 10_000, from = 0 } = {}) {
    for (let i = from; i < this.lines.length; i++) {
      const match = this.lines[i].match(regex);
      if (match) return Promise.resolve(match);
    }
    return new Promise((resolve, reject) => {
      const fail = (why) => {
        cleanup();
        reject(new Error(`${why} waiting for ${regex} on ${this.name}; it printed:\n${indent(this.text())}${this.context ? `\n${this.context()}` : ''}`));
      };
      const onLine = (line) => {
        const match = line.match(regex);
        if (match) {
          cleanup();
          resolve(match);
        }
      };
      const onEnd = () => fail('stream ended');
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('line', onLine);
        this.off('end', onEnd);
      };
      this.on('line', onLine);
      if (this.#ended) onEnd();
      else this.on('end', onEnd);
    });
  }

  /**
   * Optional extra text for timeout errors (e.g. the other stream's output).
   * @type {(() => string) | undefined}
   */
  context = undefined;
}

/** @param {string} text */
function indent(text) {
  return text ? text.split('\n').map((l) => `  | ${l}`).join('\n') : '  | (nothing)';
}
