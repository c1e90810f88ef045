// What the preload's bundle has for the `debug` package, which require-in-the-middle calls
// for its own trace lines: a logger that is always off. The real one loads tty, util and
// supports-color at start-up (half a MB of the preload's 3 MB budget, figure 6), for lines
// nobody reads in production; DEBUG=require-in-the-middle does not print them under epdb.
'use strict';
module.exports = function createDebug() {
  const debug = () => {};
  debug.enabled = false;
  return debug;
};
