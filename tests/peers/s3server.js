#!/usr/bin/env node
// s3server.js: a local S3-compatible server that verifies AWS Signature V4
// (@20minutes/s3rver 5.0.0, see ../shared/PEERS.md section 2), for the S3 tests and benches.
//
//   node tests/peers/s3server.js DIR PORT BUCKET [ACCESS_KEY SECRET [CORS_XML]]
//
// Serves DIR on 127.0.0.1:PORT (PORT 0 = a free port) with BUCKET created, and prints
// "S3rver listening on 127.0.0.1:<port>" once it accepts connections. ACCESS_KEY/SECRET
// add a key pair (S3RVER/S3RVER always exists too). SIGTERM/SIGINT exit with status 0.
// Data persists in DIR across restarts. The package lacks its bin/ script: started
// through the API.
'use strict';
const fs = require('fs');
const path = require('path');

let S3rver;
let DUMMY_ACCOUNT;
try {
  S3rver = require('@20minutes/s3rver');
  ({ DUMMY_ACCOUNT } = require('@20minutes/s3rver/lib/models/account'));
} catch (e) {
  // Resolved from the repository's node_modules when run from elsewhere.
  const root = path.resolve(__dirname, '..', '..', 'node_modules');
  try {
    S3rver = require(path.join(root, '@20minutes', 's3rver'));
    ({ DUMMY_ACCOUNT } = require(path.join(root, '@20minutes', 's3rver', 'lib', 'models', 'account')));
  } catch (e2) {
    console.error('s3server.js: @20minutes/s3rver is not installed (run npm ci): ' + e2.message);
    process.exit(2);
  }
}

const [dir, port, bucket, key, secret, cors] = process.argv.slice(2);
if (!dir || port === undefined || !bucket) {
  console.error('usage: node s3server.js DIR PORT BUCKET [ACCESS_KEY SECRET [CORS_XML]]');
  process.exit(1);
}
if (key) DUMMY_ACCOUNT.createKeyPair(key, secret || '');
fs.mkdirSync(dir, { recursive: true });
new S3rver({
  directory: dir,
  address: '127.0.0.1',
  port: Number(port),
  silent: true,
  configureBuckets: [{ name: bucket, configs: cors ? [fs.readFileSync(cors)] : [] }],
})
  .run()
  .then(({ address, port: bound }) => console.log(`S3rver listening on ${address}:${bound}`))
  .catch((e) => {
    console.error('s3server.js: ' + e.message);
    process.exit(3);
  });
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
