import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { FolderWatch, quietAdapters, shadowsOf } from '../src/model/folder';
import type { IAdapter, IDoctorAnswer, IDoctorFinding } from '../src/types';
import { entry, status } from './fixtures';

function finding(extra: Partial<IDoctorFinding>): IDoctorFinding {
  return {
    provider: 'ionq',
    sdk: 'qiskit-ionq 1.1.1',
    mode: 'notebook',
    state: 'ok',
    credential: 'default',
    uses: 'IONQ_API_KEY in ~/.env',
    where: '~/.env',
    variable: 'IONQ_API_KEY',
    fingerprint: '…5678',
    panel: '…5678',
    message: 'ok',
    fix: null,
    ...extra
  };
}

function answer(sdks: IDoctorFinding[]): IDoctorAnswer {
  return { path: '/home/u/proj/nb', shown_path: '~/proj/nb', ok: false, sdks, adapters: [] };
}

function adapter(name: string, state: string, provider: string): IAdapter {
  return { name, sdk: name, distribution: name, version: '1', state, message: `${name} ${state}`, provider };
}

describe('folder notes', () => {
  it('a card shows only its own findings that differ', () => {
    const differs = finding({ state: 'differs', message: '~/proj/.env sets IONQ_API_KEY' });
    const found = answer([finding({}), differs, finding({ provider: 'ibm', state: 'differs' })]);
    assert.deepEqual(shadowsOf(found, 'ionq'), [differs]);
    assert.deepEqual(shadowsOf(null, 'ionq'), []);
  });

  it('adapters that do not act are noted on their provider card, active and absent ones are not', () => {
    const s = status([entry('qcs', 'default', 'ok')], {
      adapters: [
        adapter('pyquil', 'off', 'qcs'),
        adapter('qcs-api-client-common', 'active', 'qcs'),
        adapter('qnexus', 'unsupported', 'nexus'),
        adapter('toy', 'off', 'toycloud'),
        adapter('gone', 'absent', 'qcs')
      ]
    });
    assert.deepEqual(
      quietAdapters(s, 'qcs').map(a => a.name),
      ['pyquil']
    );
    assert.deepEqual(
      quietAdapters(s, 'nexus').map(a => a.name),
      ['qnexus']
    );
    assert.deepEqual(
      quietAdapters(s, 'toycloud').map(a => a.name),
      ['toy']
    );
  });
});

describe('FolderWatch', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('asks once the folder stopped changing, and drops answers for a folder left meanwhile', async () => {
    const asked: string[] = [];
    const shown: (string | null)[] = [];
    const watch = new FolderWatch(
      async path => {
        asked.push(path);
        return answer([]);
      },
      (_, path) => shown.push(path),
      1000
    );
    watch.set('a');
    mock.timers.tick(500);
    watch.set('b');
    mock.timers.tick(500);
    watch.set('c');
    mock.timers.tick(1000);
    await new Promise(resolve => setImmediate(resolve));
    assert.deepEqual(asked, ['c']);
    assert.deepEqual(shown, ['c']);
    watch.set('c'); // the same folder: nothing to ask
    mock.timers.tick(1000);
    watch.recheck(); // the credentials changed: ask again
    mock.timers.tick(1000);
    await new Promise(resolve => setImmediate(resolve));
    assert.deepEqual(asked, ['c', 'c']);
    watch.dispose();
  });

  it('a refused request shows no warning rather than a stale one', async () => {
    const shown: (IDoctorAnswer | null)[] = [];
    const watch = new FolderWatch(
      () => Promise.reject(new Error('404')),
      a => shown.push(a),
      10
    );
    watch.set('x');
    mock.timers.tick(10);
    await new Promise(resolve => setImmediate(resolve));
    assert.deepEqual(shown, [null]);
  });
});
