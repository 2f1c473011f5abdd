// Runs a request through an in-process HTTP server: a node:http Server that never listens, fed
// one end of an in-memory duplex pair per request while an http.request writes into the other.
// The handler therefore gets a genuine IncomingMessage and ServerResponse — which is what the
// SDK's session transports take — with no socket, no port and nothing another process can reach.
import { createServer, request, type IncomingMessage, type OutgoingHttpHeaders, type RequestListener } from 'node:http';
import { duplexPair } from 'node:stream';

export interface InjectedRequest {
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
}

export interface Injected {
  /** The handler's response, streamed; rejects when the exchange fails before it starts. */
  response: Promise<IncomingMessage>;
  /** Ends the exchange at once: the handler sees its response closed, as when a client disconnects. */
  abort(): void;
}

export class Injector {
  private readonly server;

  constructor(listener: RequestListener) {
    // No listen(), and no request timeout: relayed streams last as long as the client keeps them
    // open on the other replica (the slowloris timeouts apply there, to the real connection).
    this.server = createServer({ requestTimeout: 0 }, listener);
  }

  inject(req: InjectedRequest): Injected {
    const [clientSide, serverSide] = duplexPair();
    this.server.emit('connection', serverSide);
    const outgoing = request({ method: req.method, path: req.path, headers: req.headers, createConnection: () => clientSide });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      outgoing.once('response', resolve);
      // on, not once: an abort can emit a second error, which must not go unhandled.
      outgoing.on('error', reject);
    });
    outgoing.end();
    return {
      response,
      // Both ends: destroying only the client's leaves the server side half-open, and a
      // handler's response would stay open with it.
      abort: () => {
        serverSide.destroy();
        clientSide.destroy();
        outgoing.destroy();
      },
    };
  }
}
