import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/** A request as the app's `'request'` listeners receive it, from any node:http-family server. */
export type AnyRequest = IncomingMessage | Http2ServerRequest;
/** The response that goes with {@link AnyRequest}. */
export type AnyResponse = ServerResponse | Http2ServerResponse;
