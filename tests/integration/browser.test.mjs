// Herald in a real browser (headless Debian Chromium driven by playwright-core): the
// official socket.io-client bundle that Herald serves at /assets/socket.io.min.js, running
// in a page, and the inbox page of SPEC section 4 (`GET /`) used as a person would, through
// role and label locators: the unread badge, the list, "Mark read" / "Mark unread" /
// "Mark all read", two tabs kept in sync, the "Token" field, and reconnection after a
// restart.
//
//   node --test tests/integration/browser.test.mjs
//   (HERALD_BUILD_DIR=<build dir>; skipped without /usr/bin/chromium)
//   BROWSER_TEST_SCREENSHOT=/tmp/inbox.png also saves a screenshot of the inbox.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

import { repoRoot, startHerald } from './support/server.mjs';
import { API_KEY, API_KEY_FLAG, call, create, inbox, until, userToken } from './support/herald_api.mjs';

const CHROMIUM = '/usr/bin/chromium';
const require = createRequire(`${repoRoot}/tests/js/package.json`);

let chromium = null;
let skip = false;
if (!existsSync(CHROMIUM)) {
  skip = `${CHROMIUM} is absent (Debian's chromium package): browser tests skipped`;
} else {
  try {
    ({ chromium } = require('playwright-core'));
  } catch (e) {
    skip = `playwright-core is not installed in tests/js (npm ci): browser tests skipped (${e.message})`;
  }
}
if (skip) console.log(`# ${skip}`);

const T = 10000; // the longest any single expectation waits

/** Chromium as DESIGN section 9 says: headless, no sandbox, a fresh profile (launch makes one). */
const launchBrowser = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

/** A new page whose console errors and uncaught exceptions are collected. */
async function newPage(context) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Chromium asks for /favicon.ico by itself; Herald has none (a 404 logged as an error).
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) page.errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.setDefaultTimeout(T);
  return page;
}

// --- the inbox page, seen through its accessible names ---------------------------------

const badge = (page) => page.getByRole('status', { name: /unread/ });

/** Waits until the badge's accessible name is exactly "<n> unread". */
async function expectUnread(page, n, what = '') {
  try {
    await page.getByRole('status', { name: `${n} unread`, exact: true }).waitFor({ timeout: T });
  } catch {
    const now = await badge(page).getAttribute('aria-label').catch(() => '(no badge)');
    const error = await page.getByRole('alert').textContent().catch(() => '');
    throw new Error(`${what} badge: expected "${n} unread", it says "${now}" (page error text: "${error}")`);
  }
  assert.equal(await badge(page).textContent(), String(n), 'the badge shows the number');
}

/** The list item whose heading (the title) is exactly `title`. */
const item = (page, title) =>
  page.getByRole('list', { name: 'Notifications' }).getByRole('listitem').filter({ has: page.getByRole('heading', { name: title, exact: true }) });

const headings = (page) => page.getByRole('list', { name: 'Notifications' }).getByRole('heading').allTextContents();

/** Waits for the item's button named `name` ("Mark read" or "Mark unread"). */
const expectButton = (page, title, name) => item(page, title).getByRole('button', { name, exact: true }).waitFor({ timeout: T });

describe('in a headless browser', { skip }, () => {
  let server;
  let browser;
  before(async () => {
    [server, browser] = await Promise.all([startHerald({ args: [API_KEY_FLAG] }), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the official socket.io-client in a page: polling, upgrade to WebSocket, authenticated, notification:new and its receipt', async () => {
    const context = await browser.newContext();
    try {
      const page = await newPage(context);
      const token = userToken(server, 'web-a', { depts: ['eng'] });
      // Any page of Herald's origin, then the client bundle Herald serves.
      const health = await page.goto(`${server.url}/healthz`);
      assert.equal(health.status(), 200);
      await page.addScriptTag({ url: '/assets/socket.io.min.js' });
      assert.equal(await page.evaluate(() => typeof io), 'function', 'the bundle defines io()');

      await page.evaluate((token) => {
        const t = (window.__t = { events: [], transports: [] });
        const socket = io('/notifications', { auth: { token } }); // default transports
        t.socket = socket;
        // The Engine.IO session opens on polling; the upgrade may finish before or after
        // the namespace CONNECT.
        socket.io.on('open', () => t.transports.push(`open:${socket.io.engine.transport.name}`));
        socket.io.engine.on('upgrade', (tr) => t.transports.push(`upgrade:${tr.name}`));
        socket.on('connect', () => t.transports.push(`connect:${socket.io.engine.transport.name}`));
        socket.on('connect_error', (e) => t.events.push(['connect_error', e.message, e.data ?? null]));
        socket.on('authenticated', (p) => t.events.push(['authenticated', p]));
        socket.on('notification:new', (p, ack) => {
          t.events.push(['notification:new', p]);
          if (typeof ack === 'function') ack();
        });
      }, token);

      const state = () => page.evaluate(() => JSON.stringify({ events: window.__t.events, transports: window.__t.transports }));
      const waitIn = async (fn, arg, what) => {
        try {
          await page.waitForFunction(fn, arg, { timeout: T });
        } catch {
          throw new Error(`timed out waiting for ${what}; page state: ${await state()}`);
        }
      };
      await waitIn(() => window.__t.events.some((e) => e[0] === 'authenticated'), null, 'authenticated');
      await waitIn(() => window.__t.transports.includes('upgrade:websocket'), null, 'the upgrade to websocket');
      const seen = JSON.parse(await state());
      assert.equal(seen.transports[0], 'open:polling', `opened over polling first: ${JSON.stringify(seen.transports)}`);
      assert.ok(seen.transports.some((t) => t.startsWith('connect:')), JSON.stringify(seen.transports));
      assert.ok(!seen.events.some((e) => e[0] === 'connect_error'), JSON.stringify(seen.events));
      const [, auth] = seen.events.find((e) => e[0] === 'authenticated');
      assert.equal(auth.user_id, 'web-a');
      assert.ok(!Number.isNaN(Date.parse(auth.connected_at)), auth.connected_at);
      assert.equal(await page.evaluate(() => window.__t.socket.io.engine.transport.name), 'websocket');

      const { id } = await create(server, { title: 'to the browser', content: 'hello *there*', targets: { users: ['web-a'] } });
      await waitIn((id) => window.__t.events.some((e) => e[0] === 'notification:new' && e[1].id === id), id, `notification:new ${id}`);
      const got = await page.evaluate((id) => window.__t.events.find((e) => e[0] === 'notification:new' && e[1].id === id)[1], id);
      assert.equal(got.title, 'to the browser');
      assert.equal(got.content, 'hello *there*');
      assert.match(got.content_html, /<em>there<\/em>/);
      assert.equal(typeof got.recipient_id, 'string');
      // The ack given in the browser reached the server: the delivery is a receipt.
      await until(async () => (await inbox(server, token)).find((n) => n.id === id)?.delivery_status === 'delivered', {
        ms: T,
        what: 'delivery_status delivered after the in-browser ack',
      });
      await page.evaluate(() => window.__t.socket.disconnect());
      assert.deepEqual(page.errors, []);
    } finally {
      await context.close();
    }
  });

  it('the inbox page: badge, list, plain titles, content_html, Mark read / unread / all, two tabs in sync', async () => {
    const user = 'web-b';
    const token = userToken(server, user);
    const before1 = await create(server, {
      title: '<b>x</b>',
      content: 'Deploy **finished** in [the console](https://example.com/c) <script>alert(1)</script>',
      type: 'success',
      targets: { users: [user] },
    });
    const before2 = await create(server, { title: 'Disk almost full', content: 'Only 3% left on /var', type: 'warning', targets: { users: [user] } });
    const context = await browser.newContext({ viewport: { width: 900, height: 800 } });
    try {
      const page = await newPage(context);
      const response = await page.goto(`${server.url}/?token=${encodeURIComponent(token)}`);
      assert.equal(response.status(), 200);
      assert.match(response.headers()['content-type'], /text\/html/);
      assert.equal(await page.title().then((t) => t.includes('Herald inbox')), true);

      // Notifications posted before the page loaded.
      await expectUnread(page, 2, 'first tab after load');
      await item(page, '<b>x</b>').waitFor();
      await item(page, 'Disk almost full').waitFor();
      // The title is plain text: the markup shows literally and is no element.
      const heading = item(page, '<b>x</b>').getByRole('heading');
      assert.equal(await heading.textContent(), '<b>x</b>');
      assert.equal(await heading.locator('b').count(), 0);
      // The content comes from content_html: Markdown rendered, raw HTML not passed through.
      const first = item(page, '<b>x</b>');
      assert.equal(await first.getByText('finished', { exact: true }).evaluate((e) => e.tagName), 'STRONG');
      assert.equal(await first.getByRole('link', { name: 'the console' }).getAttribute('href'), 'https://example.com/c');
      assert.equal(await first.locator('script').count(), 0, 'no <script> from the content');
      assert.deepEqual(await headings(page), ['Disk almost full', '<b>x</b>'], 'newest first');

      // Posted after load: appears live, on top.
      await create(server, { title: 'Build 42 is green', content: 'All *1,234* tests passed.', type: 'info', targets: { users: [user] } });
      await item(page, 'Build 42 is green').waitFor();
      await expectUnread(page, 3, 'first tab after a live notification');
      assert.equal((await headings(page))[0], 'Build 42 is green');
      for (const t of ['Build 42 is green', 'Disk almost full', '<b>x</b>']) await expectButton(page, t, 'Mark read');

      if (process.env.BROWSER_TEST_SCREENSHOT) await page.screenshot({ path: process.env.BROWSER_TEST_SCREENSHOT, fullPage: true });

      // A second tab of the same user.
      const page2 = await newPage(context);
      await page2.goto(`${server.url}/?token=${encodeURIComponent(token)}`);
      await expectUnread(page2, 3, 'second tab after load');
      await item(page2, 'Build 42 is green').waitFor();

      // Mark read in the first tab: its count drops, the button flips, the other tab follows live.
      await item(page, 'Disk almost full').getByRole('button', { name: 'Mark read', exact: true }).click();
      await expectUnread(page, 2, 'first tab after Mark read');
      await expectButton(page, 'Disk almost full', 'Mark unread');
      await expectUnread(page2, 2, 'second tab after Mark read in the first');
      await expectButton(page2, 'Disk almost full', 'Mark unread');
      const server1 = (await inbox(server, token)).find((n) => n.id === before2.id);
      assert.ok(server1.read_at, 'the server has it read');

      // Mark unread in the second tab: both go back up.
      await item(page2, 'Disk almost full').getByRole('button', { name: 'Mark unread', exact: true }).click();
      await expectUnread(page2, 3, 'second tab after Mark unread');
      await expectUnread(page, 3, 'first tab after Mark unread in the second');
      await expectButton(page, 'Disk almost full', 'Mark read');

      // Mark all read in the second tab: 0 in both, every button says "Mark unread".
      await page2.getByRole('button', { name: 'Mark all read', exact: true }).click();
      await expectUnread(page2, 0, 'second tab after Mark all read');
      await expectUnread(page, 0, 'first tab after Mark all read in the second');
      for (const p of [page, page2]) for (const t of ['Build 42 is green', 'Disk almost full', '<b>x</b>']) await expectButton(p, t, 'Mark unread');
      const count = await call(server, 'GET', '/api/v1/me/notifications/unread_count', { token });
      assert.deepEqual(count.body, { unread_count: 0 });
      assert.ok((await inbox(server, token)).find((n) => n.id === before1.id).read_at);
      assert.deepEqual(page.errors, []);
      assert.deepEqual(page2.errors, []);
    } finally {
      await context.close();
    }
  });

  it('without ?token the page asks for one in a field labelled "Token"; a bad one is refused, a good one connects', async () => {
    const user = 'web-c';
    await create(server, { title: 'Welcome aboard', content: 'Read the handbook.', targets: { users: [user] } });
    const context = await browser.newContext();
    try {
      const page = await newPage(context);
      await page.goto(`${server.url}/`);
      const field = page.getByLabel('Token');
      await field.waitFor();
      assert.equal(await page.getByRole('list', { name: 'Notifications' }).getByRole('listitem').count(), 0);

      // A token the server refuses: the page says why and keeps asking.
      await field.fill('not-a-jwt');
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: 'INVALID_TOKEN' }).waitFor();
      await field.waitFor();

      // A token from `herald token`, as a person would paste it.
      const token = await server.mintToken({ user });
      await field.fill(token);
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await item(page, 'Welcome aboard').waitFor();
      await expectUnread(page, 1, 'after connecting with the typed token');
      await field.waitFor({ state: 'hidden' });
      assert.equal(((await page.getByRole('alert').textContent()) ?? '').trim(), '', 'the error is cleared');

      // It is live, not a one-off fetch.
      await create(server, { title: 'Second one', content: '.', targets: { users: [user] } });
      await item(page, 'Second one').waitFor();
      await expectUnread(page, 2, 'after a live notification');
    } finally {
      await context.close();
    }
  });

  it('reconnects by itself after a restart on the same port and reloads its list', async () => {
    const user = 'web-d';
    const token = userToken(server, user);
    await create(server, { title: 'Before the restart', content: '.', targets: { users: [user] } });
    const context = await browser.newContext();
    try {
      const page = await newPage(context);
      await page.goto(`${server.url}/?token=${encodeURIComponent(token)}`);
      await item(page, 'Before the restart').waitFor();
      await expectUnread(page, 1, 'before the restart');
      await page.getByText('live', { exact: true }).waitFor();

      // When the status stops saying "live" (the disconnect), seen from inside the page.
      await page.getByText('live', { exact: true }).evaluate((el) => {
        new MutationObserver(() => {
          if (el.textContent !== 'live' && !window.__offlineAt) window.__offlineAt = Date.now();
        }).observe(el, { childList: true, characterData: true, subtree: true });
      });
      // Hold the page's reconnection attempts back (they fail as if the server were still
      // down) until the changes made "while it was away" are in place.
      const attempts = [];
      await page.route('**/socket.io/**', (route) => {
        attempts.push(Date.now());
        return route.abort('connectionrefused');
      });
      await server.restart(); // SIGTERM, same directory (store and secret), same port
      await page.getByText('live', { exact: true }).waitFor({ state: 'detached' });
      await create(server, { title: 'Posted while away', content: 'You *missed* me.', targets: { users: [user] } });
      // Read elsewhere while the page was offline: only a reload of the list can show it.
      const before = (await inbox(server, token)).find((n) => n.title === 'Before the restart');
      const r = await call(server, 'POST', `/api/v1/me/notifications/${before.recipient_id}/read`, { token });
      assert.ok(r.status >= 200 && r.status < 300, `mark read: ${r.status} ${r.text}`);
      // It keeps trying, 1 s to 5 s apart (SPEC section 4): the disconnect, then two attempts.
      await until(() => attempts.length >= 2, { ms: 9000, every: 50, what: 'two reconnection attempts' });
      const offlineAt = await page.evaluate(() => window.__offlineAt);
      const gaps = [attempts[0] - offlineAt, attempts[1] - attempts[0]];
      // (the attempts are stamped when Playwright sees them: a little late, never early)
      for (const g of gaps) assert.ok(g >= 950 && g <= 6000, `reconnection delays ${JSON.stringify(gaps)} ms: each 1 s to 5 s`);
      await page.unroute('**/socket.io/**');

      await item(page, 'Posted while away').waitFor({ timeout: 15000 });
      await page.getByText('live', { exact: true }).waitFor();
      await expectButton(page, 'Before the restart', 'Mark unread');
      await expectUnread(page, 1, 'after reconnecting');
      assert.deepEqual(await headings(page), ['Posted while away', 'Before the restart']);

      // And it is live again.
      await create(server, { title: 'After the restart', content: '.', targets: { users: [user] } });
      await item(page, 'After the restart').waitFor();
      await expectUnread(page, 2, 'live after reconnecting');
      assert.deepEqual(page.errors.filter((e) => !/ERR_CONNECTION_REFUSED|ERR_FAILED|socket\.io/.test(e)), []);
    } finally {
      await context.close();
    }
  });
});

describe('the inbox page with --server.path=/rt/', { skip }, () => {
  let server;
  let browser;
  before(async () => {
    [server, browser] = await Promise.all([startHerald({ args: [API_KEY_FLAG, '--server.path=/rt/'] }), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('connects on the configured Engine.IO path and is live', async () => {
    const user = 'web-path';
    const context = await browser.newContext();
    try {
      const page = await newPage(context);
      const engineRequests = [];
      page.on('request', (r) => {
        const p = new URL(r.url()).pathname;
        if (p.startsWith('/rt/') || p.startsWith('/socket.io/')) engineRequests.push(p);
      });
      await page.goto(`${server.url}/?token=${encodeURIComponent(userToken(server, user))}`);
      await page.getByText('live', { exact: true }).waitFor();
      await create(server, { title: 'Over /rt/', content: '.', targets: { users: [user] } });
      await item(page, 'Over /rt/').waitFor();
      await expectUnread(page, 1, 'live over /rt/');
      assert.ok(engineRequests.length > 0 && engineRequests.every((p) => p.startsWith('/rt/')), JSON.stringify(engineRequests));
      assert.deepEqual(page.errors, []);
    } finally {
      await context.close();
    }
  });
});
