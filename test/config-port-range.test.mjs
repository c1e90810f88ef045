// EPDB_PORT as a port or a range FIRST-LAST, and what a single port means in a cluster worker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, readConfig } from 'epdb';

const inWorker = () => true;
const notInWorker = () => false;
const portOf = (value, worker = notInWorker) => readConfig({ EPDB_BACKEND: 'base64', EPDB_PORT: value }, worker).port;

test('a range FIRST-LAST is read as it is, in a cluster worker or not', () => {
  assert.deepEqual(portOf('9001-9100'), { first: 9001, last: 9100 });
  assert.deepEqual(portOf(' 9001 - 9004 ', inWorker), { first: 9001, last: 9004 });
  assert.deepEqual(portOf('7000-7000'), { first: 7000, last: 7000 });
  assert.deepEqual(portOf('1-1000'), { first: 1, last: 1000 });
  assert.deepEqual(portOf('65000-65535'), { first: 65000, last: 65535 });
});

test('a single port P is P outside a cluster, P+1..P+100 in a cluster worker (the default 9000 too)', () => {
  assert.deepEqual(portOf('9000'), { first: 9000, last: 9000 });
  assert.deepEqual(portOf('9000', inWorker), { first: 9001, last: 9100 });
  assert.deepEqual(readConfig({ EPDB_BACKEND: 'base64' }, inWorker).port, { first: 9001, last: 9100 });
  assert.deepEqual(portOf('65500', inWorker), { first: 65501, last: 65535 }, 'cut at 65535');
  // The test runner's process is no cluster worker: the default reader says so.
  assert.deepEqual(readConfig({ EPDB_BACKEND: 'base64', EPDB_PORT: '9000' }).port, { first: 9000, last: 9000 });
});

/** [name, EPDB_PORT, message, in a worker] */
const BAD = [
  ['reversed', '9100-9001', /^EPDB_PORT: "9100-9001" is reversed: the first port must not be above the last$/],
  ['first port zero', '0-10', /^EPDB_PORT: "0-10" is not a port \(1-65535\) or a range FIRST-LAST of them$/],
  ['last port above 65535', '65000-65536', /^EPDB_PORT: "65000-65536" is not a port/],
  ['over 1,000 ports', '9000-10000', /^EPDB_PORT: "9000-10000" holds 1001 ports; a range holds at most 1000$/],
  ['not numbers', 'a-b', /^EPDB_PORT: "a-b" is not a port/],
  ['an end missing', '9000-', /^EPDB_PORT: "9000-" is not a port/],
  ['negative', '-9000', /^EPDB_PORT: "-9000" is not a port/],
  ['two dashes', '9000-9001-9002', /^EPDB_PORT: "9000-9001-9002" is not a port/],
  ['fractional end', '9000-9001.5', /^EPDB_PORT: "9000-9001.5" is not a port/],
  ['a single port with nothing above it in a worker', '65535', /^EPDB_PORT: 65535 leaves no port above it for this cluster worker/, true],
];

for (const [name, value, message, worker = false] of BAD) {
  test(`bad EPDB_PORT: ${name}`, () => {
    assert.throws(() => portOf(value, worker ? inWorker : notInWorker), (error) => {
      assert.ok(error instanceof ConfigError, `${error}`);
      assert.equal(error.variable, 'EPDB_PORT');
      assert.match(error.message, message);
      return true;
    });
  });
}
