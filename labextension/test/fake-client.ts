import { ServerConnection } from '@jupyterlab/services';
import { QcredClient } from '../src/client';

export interface ISeen {
  method: string;
  url: string;
  body: string;
  headers: Headers;
}

/** A client whose requests go through `ServerConnection.makeRequest` to a fake `fetch`. */
export function fakeClient(answer: (seen: ISeen) => Response | Promise<Response>, token = 'tok') {
  const seen: ISeen[] = [];
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/lab-base/',
    wsUrl: 'ws://localhost:8888/lab-base/',
    token,
    fetch: async (input: RequestInfo | URL) => {
      const request = input as Request;
      const s = { method: request.method, url: request.url, body: await request.text(), headers: request.headers };
      seen.push(s);
      return answer(s);
    }
  });
  return { client: new QcredClient(settings), seen };
}

export const json = (data: unknown, status = 200): Response =>
  new Response(JSON.stringify(data), { status, headers: { 'Content-Type': 'application/json' } });
