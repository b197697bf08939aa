import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSafeUrl, safeLink } from '../src/model/links';

describe('links', () => {
  it('renders only https and loopback http links', () => {
    assert.equal(isSafeUrl('https://auth.qcs.rigetti.com/activate'), true);
    assert.equal(isSafeUrl('http://127.0.0.1:8080/device'), true);
    assert.equal(isSafeUrl('http://localhost/device'), true);
    for (const bad of [
      'javascript:alert(1)',
      'JavaScript:alert(document.cookie)',
      'data:text/html,<script>alert(1)</script>',
      'http://evil.example/device',
      'https://',
      '//evil.example',
      'https://x.example/"onmouseover="alert(1)',
      'vbscript:msgbox(1)',
      '',
      null,
      undefined
    ]) {
      assert.equal(isSafeUrl(bad), false, String(bad));
    }
  });

  it('picks the first safe candidate', () => {
    assert.equal(safeLink('javascript:alert(1)', 'https://id.example/activate'), 'https://id.example/activate');
    assert.equal(safeLink('javascript:alert(1)', null), null);
  });
});
