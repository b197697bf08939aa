import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ServerConnection } from '@jupyterlab/services';
import { errorMessage, existsConflict, hostsConflict, isLoginAnswer, isStatus, isUnreachable } from '../src/client';
import { fakeClient, json } from './fake-client';
import { API_EXAMPLE, result } from './fixtures';

describe('QcredClient', () => {
  it('sends each operation to its endpoint through ServerConnection (base URL, token)', async () => {
    const { client, seen } = fakeClient(() => json({ ...API_EXAMPLE, result: result('ok', 'Refreshed.') }));
    const answer = await client.refresh({ provider: 'qcs', name: 'default' });
    assert.equal(answer.result?.message, 'Refreshed.');
    await client.getStatus();
    await client.setDefault({ provider: 'ibm', name: 'legacy', instance: 'ibm-q/open/main' });
    await client.reinitialize({ source: 'hub' });
    await client.restart();
    assert.deepEqual(
      seen.map(s => `${s.method} ${new URL(s.url).pathname}`),
      [
        'POST /lab-base/qcred/refresh',
        'GET /lab-base/qcred/status',
        'PUT /lab-base/qcred/default',
        'POST /lab-base/qcred/reinitialize',
        'POST /lab-base/qcred/restart'
      ]
    );
    assert.deepEqual(JSON.parse(seen[0].body), { provider: 'qcs', name: 'default' });
    assert.equal(seen[0].headers.get('Content-Type'), 'application/json');
    assert.equal(seen[0].headers.get('Authorization'), 'token tok');
    assert.equal(seen[1].body, '');
    assert.deepEqual(JSON.parse(seen[4].body), {});
  });

  it('reads the 409 that names the new hosts of an uploaded file, and tells it from "exists"', async () => {
    const message = 'This file (settings.toml) sends your Rigetti QCS tokens to evil.example. Only continue if you trust this host; nothing was written or sent yet.';
    const answer = { message, reason: 'hosts', provider: 'qcs', hosts: ['evil.example', '127.0.0.1:8443'] };
    const { client, seen } = fakeClient(() => json(answer, 409));
    const body = { source: 'file' as const, provider: 'qcs', filename: 'settings.toml', content: '[profiles.x]\n' };
    const err = await client.reinitialize({ ...body, trust_hosts: true }).catch((e: unknown) => e);
    assert.deepEqual(hostsConflict(err), { message, reason: 'hosts', provider: 'qcs', hosts: answer.hosts });
    assert.equal(existsConflict(err), null);
    assert.equal(JSON.parse(seen[0].body).trust_hosts, true);
    // Not a hosts answer: another reason, no hosts, hosts that are not strings, another status.
    for (const [data, status] of [
      [{ message, reason: 'exists', provider: 'qcs', name: 'x' }, 409],
      [{ message, reason: 'hosts', provider: 'qcs', hosts: [] }, 409],
      [{ message, reason: 'hosts', provider: 'qcs', hosts: [1] }, 409],
      [answer, 400]
    ] as const) {
      const other = fakeClient(() => json(data, status)).client;
      assert.equal(hostsConflict(await other.reinitialize(body).catch((e: unknown) => e)), null);
    }
  });

  it('answers errors as ServerConnection.ResponseError with the server sentence', async () => {
    const { client } = fakeClient(() => json({ message: 'Provide a token: the hub is not available.' }, 409));
    const err = await client.restart().catch((e: unknown) => e);
    assert.ok(err instanceof ServerConnection.ResponseError);
    assert.equal(err.response.status, 409);
    assert.equal(errorMessage(err), 'Provide a token: the hub is not available.');
    assert.equal(isUnreachable(err), false);
  });

  it('says the server extension is missing on a 404 without a sentence', async () => {
    const { client } = fakeClient(() => new Response('Not Found', { status: 404, statusText: 'Not Found' }));
    const err = await client.getStatus().catch((e: unknown) => e);
    assert.ok(err instanceof ServerConnection.ResponseError);
    assert.match(errorMessage(err), /jupyter_qcred server extension is not enabled/);
  });

  it('names other answers without a sentence by their status', async () => {
    const { client } = fakeClient(() => new Response('<html>', { status: 502, statusText: 'Bad Gateway' }));
    const err = await client.getStatus().catch((e: unknown) => e);
    assert.equal(errorMessage(err), 'The server answered 502 Bad Gateway.');
  });

  it('reports an unreachable server as ServerConnection.NetworkError', async () => {
    const { client } = fakeClient(() => {
      throw new TypeError('Failed to fetch');
    });
    const err = await client.getStatus().catch((e: unknown) => e);
    assert.ok(err instanceof ServerConnection.NetworkError);
    assert.equal(isUnreachable(err), true);
    assert.match(errorMessage(err), /^The Jupyter server cannot be reached \(Failed to fetch\)\. Check your network/);
  });

  it('builds the events URL with the token', () => {
    assert.equal(fakeClient(() => json({})).client.eventsUrl(), 'ws://localhost:8888/lab-base/qcred/events?token=tok');
    assert.equal(fakeClient(() => json({}), '').client.eventsUrl(), 'ws://localhost:8888/lab-base/qcred/events');
  });

  it('tells answers apart', () => {
    assert.equal(isStatus(API_EXAMPLE), true);
    assert.equal(isStatus({ login: {} }), false);
    assert.equal(isLoginAnswer({ login: { id: 'x' } }), true);
    assert.equal(isLoginAnswer(API_EXAMPLE), false);
    assert.equal(errorMessage('plain'), 'plain');
  });
});
