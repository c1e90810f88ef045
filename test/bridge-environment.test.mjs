// Which client commands the bridge refuses for changing NODE_OPTIONS / VSCODE_INSPECTOR_OPTIONS
// (src/worker/environment/injection.ts): js-debug's own expression and the usual ways of writing
// an assignment, never a read or a comparison. The whole session is in session-vscode.test.mjs.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { childEnvironmentExpression } from './fixtures/session/js-debug-client.mjs';

const require = createRequire(import.meta.url);
const { changesChildEnvironment, runsClientSource } = require('../dist/src/worker/environment/injection.js');

test('js-debug\'s injection and other assignments are recognised, in every command that runs source text', () => {
  const assignments = [
    childEnvironmentExpression('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'),
    'process.env.NODE_OPTIONS = "--require /x.js"',
    'process.env.NODE_OPTIONS+=" --require /x.js"',
    "process.env['VSCODE_INSPECTOR_OPTIONS']=':::{}'",
    'process . env [ `NODE_OPTIONS` ] ||= "x"',
  ];
  for (const expression of assignments) {
    assert.equal(changesChildEnvironment('Runtime.evaluate', { expression }), true, expression);
    assert.equal(changesChildEnvironment('Debugger.evaluateOnCallFrame', { callFrameId: '1', expression }), true, expression);
    assert.equal(changesChildEnvironment('Runtime.compileScript', { expression, sourceURL: '', persistScript: false }), true, expression);
  }
  assert.equal(changesChildEnvironment('Runtime.callFunctionOn', { functionDeclaration: `function () { ${assignments[1]} }` }), true);
  // A breakpoint's condition (a logpoint's too) runs later, at the breakpoint.
  assert.equal(changesChildEnvironment('Debugger.setBreakpointByUrl', { lineNumber: 1, url: 'file:///a.js', condition: assignments[1] }), true);
  assert.equal(changesChildEnvironment('Debugger.setBreakpoint', { location: { scriptId: '1', lineNumber: 1 }, condition: assignments[1] }), true);
});

test('reads, comparisons, other variables and other commands go through', () => {
  const harmless = [
    'process.env.NODE_OPTIONS',
    'process.env["NODE_OPTIONS"] === "--inspect"',
    'process.env.NODE_OPTIONS == null',
    'process.env.NODE_ENV = "production"',
    'process.env.NODE_OPTIONS_EXTRA = "x"',
    'req.url',
  ];
  for (const expression of harmless) assert.equal(changesChildEnvironment('Runtime.evaluate', { expression }), false, expression);
  assert.equal(changesChildEnvironment('Debugger.setBreakpointByUrl', { lineNumber: 1, url: 'file:///a.js', condition: 'process.env.NODE_OPTIONS === "x"' }), false);
  assert.equal(changesChildEnvironment('Debugger.resume', { expression: 'process.env.NODE_OPTIONS = "x"' }), false);
  assert.equal(changesChildEnvironment('Runtime.evaluate', undefined), false);
  assert.equal(runsClientSource('Runtime.evaluate'), true);
  assert.equal(runsClientSource('Debugger.resume'), false);
});
