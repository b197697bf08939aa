import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stateBadge } from '../src/model/badges';
import { safeLink } from '../src/model/links';
import {
  fileChoices,
  keyChoices,
  makeDefaultInitially,
  methodOrder,
  methodProvider,
  prefill,
  suggestedMethod
} from '../src/model/reinit';
import { entry, status } from './fixtures';

const CRN = 'crn:v1:bluemix:public:quantum-computing:us-east:a/0123456789abcdef:01234567-89ab-cdef-0123-456789abcdef::';

describe('suggestedMethod: the fix a person can do first', () => {
  it('QCS: the browser login, also for a refused refresh token', () => {
    const refused = entry('qcs', 'default', 'needs_reinit', { account: { refresh_token_state: 'refused' } });
    assert.equal(suggestedMethod(refused, 'qcs', false), 'qcs-login');
    assert.equal(suggestedMethod(null, 'qcs', false), 'qcs-login');
  });
  it('IBM: paste an API key', () => {
    assert.equal(suggestedMethod(entry('ibm', 'x', 'needs_reinit'), 'ibm', false), 'ibm-token');
    assert.equal(suggestedMethod(null, undefined, false), 'ibm-token');
  });
  it('from JupyterHub when the hub handed the credential out and may hand it again', () => {
    const fromHub = entry('qcs', 'default', 'needs_reinit', { source: 'hub' });
    assert.equal(suggestedMethod(fromHub, 'qcs', true), 'hub');
    assert.equal(suggestedMethod(fromHub, 'qcs', false), 'qcs-login');
    assert.equal(suggestedMethod(entry('ibm', 'x', 'ok', { source: 'file' }), 'ibm', true), 'ibm-token');
  });
  it('lists the suggestion first, the hub only when allowed', () => {
    assert.deepEqual(methodOrder('qcs-login', false), ['qcs-login', 'ibm-token', 'qcs-token', 'file']);
    assert.deepEqual(methodOrder('hub', true), ['hub', 'ibm-token', 'qcs-token', 'file', 'qcs-login']);
    assert.deepEqual(methodOrder('hub', false), ['ibm-token', 'qcs-token', 'file', 'qcs-login']);
  });
});

describe('the later providers in the dialog (the server says what each takes)', () => {
  const info = {
    ibm: { title: 'IBM Quantum', noun: 'account', methods: ['token', 'upload'] },
    qcs: { title: 'Rigetti QCS', noun: 'profile', methods: ['token', 'upload', 'login'] },
    ionq: { title: 'IonQ', noun: 'key', methods: ['token', 'upload'] },
    braket: { title: 'Amazon Braket', noun: 'profile', methods: [] },
    nexus: { title: 'Quantinuum Nexus', noun: 'login', methods: ['token', 'upload', 'login'] }
  };
  const s = status([], { provider_info: info });
  it('offers a pasted key for IonQ and Nexus, uploads for every provider that takes a file', () => {
    assert.deepEqual(keyChoices(s), [
      ['ionq', 'IonQ'],
      ['nexus', 'Quantinuum Nexus']
    ]);
    assert.deepEqual(
      fileChoices(s).map(([key]) => key),
      ['ibm', 'qcs', 'ionq', 'nexus']
    );
    assert.deepEqual(fileChoices(null), [
      ['ibm', 'IBM Quantum'],
      ['qcs', 'Rigetti QCS']
    ]);
  });
  it('suggests the key for IonQ and Nexus, JupyterHub (else a file) for Braket', () => {
    const keys = ['ionq', 'nexus'];
    assert.equal(suggestedMethod(entry('ionq', 'default', 'needs_reinit'), 'ionq', false, keys), 'key');
    assert.equal(suggestedMethod(null, 'nexus', true, keys), 'key');
    assert.equal(suggestedMethod(entry('braket', 'default', 'needs_reinit'), 'braket', true, keys), 'hub');
    assert.equal(suggestedMethod(null, 'braket', false, keys), 'file');
    assert.deepEqual(methodOrder('key', false, true), ['key', 'ibm-token', 'qcs-token', 'file', 'qcs-login']);
    assert.equal(methodProvider('key', 'ibm', 'ionq'), 'ionq');
    assert.deepEqual(prefill(entry('ionq', 'default', 'ok')), { keyProvider: 'ionq', fileProvider: 'ionq' });
  });
});

describe('prefill: the card being re-initialized', () => {
  it("IBM: name, channel and instance (a legacy account's default hub/group/project)", () => {
    const platform = entry('ibm', 'work', 'ok', { account: { channel: 'ibm_quantum_platform', instance: CRN } });
    assert.deepEqual(prefill(platform), { ibmName: 'work', ibmChannel: 'ibm_quantum_platform', ibmInstance: CRN });
    const legacy = entry('ibm', 'legacy', 'ok', {
      account: { channel: 'ibm_quantum', instance: 'a/b/c', default_instance: 'ibm-q/open/main' }
    });
    assert.equal(prefill(legacy).ibmInstance, 'ibm-q/open/main');
  });
  it('QCS: the profile; nothing without an entry', () => {
    assert.deepEqual(prefill(entry('qcs', 'lab', 'ok')), { qcsProfile: 'lab' });
    assert.deepEqual(prefill(null), {});
    assert.deepEqual(prefill(entry('qcs', null, 'absent')), {});
  });
});

describe('make it the default', () => {
  it("is checked only for a provider's first credential", () => {
    const s = status([entry('ibm', 'a', 'ok'), entry('qcs', null, 'absent')]);
    assert.equal(makeDefaultInitially(s, 'ibm'), false);
    assert.equal(makeDefaultInitially(s, 'qcs'), true);
    assert.equal(makeDefaultInitially(null, 'qcs'), true);
    assert.equal(makeDefaultInitially(s, null), false);
  });
  it('follows the method (the file picker names the provider of an upload)', () => {
    assert.equal(methodProvider('ibm-token', 'qcs'), 'ibm');
    assert.equal(methodProvider('qcs-login', 'ibm'), 'qcs');
    assert.equal(methodProvider('file', 'qcs'), 'qcs');
    assert.equal(methodProvider('hub', 'qcs'), null);
  });
});

describe('safeLink', () => {
  it('links https and loopback http only', () => {
    const qcs = 'https://auth.qcs.rigetti.com/activate?user_code=AB-CD';
    assert.equal(safeLink(qcs), qcs);
    assert.equal(safeLink('http://127.0.0.1:8080/activate'), 'http://127.0.0.1:8080/activate');
    assert.equal(safeLink('http://localhost:1/x'), 'http://localhost:1/x');
    assert.equal(safeLink('http://[::1]:9/x'), 'http://[::1]:9/x');
  });
  it('anything else is text', () => {
    for (const bad of [
      'javascript:alert(1)',
      'JAVASCRIPT:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'http://evil.example.org/activate',
      'http://127.0.0.1.evil.example.org/',
      'ftp://127.0.0.1/',
      '//evil.example.org',
      'not a url',
      '',
      null,
      undefined
    ]) {
      assert.equal(safeLink(bad), null, String(bad));
    }
  });
});

describe('unsupported accounts', () => {
  it('have a badge of their own', () => {
    assert.equal(stateBadge('unsupported').text, 'Unsupported');
    assert.match(stateBadge('unsupported').className, /warn/);
  });
});
