// The sample's own MD5 (each chunk's Content-MD5) against Node's.
require('./wx-shim');
const crypto = require('crypto');
const { md5, base64, contentMd5 } = require('../dist/lib/md5');

test.each([0, 1, 55, 56, 63, 64, 65, 1000, 65536 + 7])('md5 of %i bytes matches Node', length => {
  const bytes = crypto.randomBytes(length);
  expect(Buffer.from(md5(new Uint8Array(bytes))).toString('hex')).toBe(crypto.createHash('md5').update(bytes).digest('hex'));
  expect(contentMd5(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + length))).toBe(crypto.createHash('md5').update(bytes).digest('base64'));
});

test('base64 pads like the standard', () => {
  for (const length of [0, 1, 2, 3, 4, 5]) {
    const bytes = crypto.randomBytes(length);
    expect(base64(new Uint8Array(bytes))).toBe(bytes.toString('base64'));
  }
});
