/**
 * What to run once `epdb connect` listens: the knock, then any of the usual debuggers pointed at
 * the local side, exactly as for `node --inspect`.
 */
export function nextSteps(localPort: number, destination: string, authenticated: boolean): string {
  const local = `127.0.0.1:${localPort}`;
  const added = authenticated ? ', adding a fresh X-EPDB knock to every request' : '';
  return `epdb connect: forwarding ${local} to ${destination}${added}.

1. Knock the app (this starts the bridge and holds that request for the debugger):
     curl -H "X-EPDB: $(npx epdb knock)" http://<your app>/<path>

${debuggerSteps(2, localPort)}
Ctrl-C stops the forward.
`;
}

/** Step `step`: the usual debuggers pointed at `127.0.0.1:localPort`, as for `node --inspect`. */
export function debuggerSteps(step: number, localPort: number): string {
  const local = `127.0.0.1:${localPort}`;
  return `${step}. Attach any debugger to ${local}:
     node inspect ${local}
     Chrome: open chrome://inspect, "Configure..." add localhost:${localPort}, then "inspect"
     VS Code, in .vscode/launch.json:
       {
         "type": "node",
         "request": "attach",
         "name": "epdb",
         "address": "127.0.0.1",
         "port": ${localPort},
         "timeout": 60000,
         "autoAttachChildProcesses": false,
         "skipFiles": ["<node_internals>/**", "**/node_modules/**"]
       }
     (attaching before the knock works: the debugger waits for it)
`;
}
