// Shared helpers for the browser tests: Debian's Chromium through playwright-core.
'use strict';
const { chromium } = require('playwright-core');

// Flags tested in /work/shared/PEERS.md section 4 (loopback only, no GPU, autoplay allowed).
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--disable-quic',
  '--autoplay-policy=no-user-gesture-required'];

function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
}

// "BASE [--name value]..." -> { base, name: value }; base loses its trailing "/".
function parseArgs(argv, defaults) {
  const out = { ...defaults };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) out[argv[i].slice(2)] = argv[++i];
    else rest.push(argv[i]);
  }
  out.base = (rest[0] || '').replace(/\/+$/, '');
  return out;
}

// Runs body(result) with a browser; prints one JSON line, exits 0, or 1 with a one-line reason.
async function run(name, body) {
  const result = { ok: false };
  let browser;
  try {
    browser = await launch();
    result.chromium = browser.version();
    await body(browser, result);
    result.ok = true;
  } catch (e) {
    result.reason = String(e && e.message || e).split('\n')[0];
  } finally {
    if (browser) await browser.close().catch(() => {});
  }
  console.log(JSON.stringify(result));
  if (!result.ok) console.error(name + ': FAIL ' + result.reason);
  process.exit(result.ok ? 0 : 1);
}

function check(condition, reason) {
  if (!condition) throw new Error(reason);
}

module.exports = { launch, parseArgs, run, check };
