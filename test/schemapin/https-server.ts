/**
 * A real HTTPS server on loopback for the discovery tests: a self-signed certificate for
 * 127.0.0.1 that the tests trust explicitly (`ca`), and scripted answers per path.
 */
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import selfsigned from "selfsigned";

export interface Answer {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

export interface TestServer {
  /** `127.0.0.1:PORT`, the SchemaPin "domain" of this server. */
  domain: string;
  ca: string;
  answers: Map<string, Answer>;
  hits: string[];
  close(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const pems = await selfsigned.generate([{ name: "commonName", value: "127.0.0.1" }], {
    keySize: 2048,
    extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
  });
  const answers = new Map<string, Answer>();
  const hits: string[] = [];
  const server: Server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    hits.push(req.url ?? "");
    const a = answers.get(req.url ?? "");
    if (!a) {
      res.writeHead(404).end("not found");
      return;
    }
    if (a.hang) return;
    res.writeHead(a.status ?? 200, { "content-type": "application/json", ...a.headers }).end(a.body ?? "");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    domain: `127.0.0.1:${port}`,
    ca: pems.cert,
    answers,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
