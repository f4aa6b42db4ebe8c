#!/usr/bin/env node
// Real-browser tests of tipline's pages (issue 7; SPEC 4, 5 and 9).
//
//     node tests/browser/run.mjs [--build DIR] [--keep] [TEST...]
//
// --build DIR  the binaries to test (exported as TIPLINE_BUILD; default build/)
// --keep       leave the state folder behind (it is always kept on failure)
// TEST...      run only the tests whose names contain one of these words
//
// Starts the local stack (deploy/local/up --detach) on a free loopback port
// and drives Debian's Chromium (/usr/bin/chromium) with playwright-core, as
// the people who use the form meet it: JavaScript DISABLED, so every page
// must work as plain HTML. Prints one line per test and then
// `browser: N passed, M failed`; exits 1 if any test failed.
//
// How a test looks inside a page without JavaScript: the person's context
// has javaScriptEnabled: false (Chromium's Emulation.setScriptExecutionDisabled),
// so no script of the page runs (test `javascript_is_off` proves it). The
// test driver's own page.evaluate() / locator.evaluate() calls still work:
// they go through the DevTools protocol (Runtime.evaluate), not through the
// page, so the test can read document.activeElement after a click without
// the page itself running anything. Focus is also confirmed independently
// through Chromium's accessibility tree (Accessibility.getFullAXTree: the
// node with focused=true) and by typing a key and seeing it arrive in the
// field. axe-core has to be injected as a script, which the page's CSP and
// the disabled JavaScript forbid, so it runs in a second context with
// JavaScript on and bypassCSP: true (SPEC 10) on the same pages.
//
// Screenshots (PNG) of the form, the form with errors and the receipt at
// 320 px and 1280 px wide, and of the follow-up pages (SPEC 13) at 320 px,
// go to tests/browser/out/.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const UP = path.join(REPO, 'deploy', 'local', 'up');
const DOWN = path.join(REPO, 'deploy', 'local', 'down');
const OUT = path.join(HERE, 'out');
const CHROMIUM = '/usr/bin/chromium';
const REF_RE = /TL-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}/;
const MIN_SECONDS = 3;          // tipline.conf's form_min_seconds (default)
const PAGE_BUDGET = 30 * 1024;  // bytes a page may transfer, all requests
const NARROW = 320, WIDE = 1280;

// ------------------------------------------------------------- arguments --

const args = process.argv.slice(2);
let buildDir = 'build', keep = false;
const only = [];
for (let i = 0; i < args.length; i++) {
	if (args[i] === '--build' && i + 1 < args.length)
		buildDir = args[++i];
	else if (args[i].startsWith('--build='))
		buildDir = args[i].slice(8);
	else if (args[i] === '--keep')
		keep = true;
	else if (args[i].startsWith('-')) {
		console.error('usage: run.mjs [--build DIR] [--keep] [TEST...]');
		process.exit(2);
	} else
		only.push(args[i]);
}
buildDir = path.resolve(process.cwd(), buildDir);

// Missing pieces fail loudly: CI installs them through scripts/deps and
// the Makefile's `browser` target (npm ci).
if (!fs.existsSync(CHROMIUM)) {
	console.error(`browser: ${CHROMIUM} not found: run scripts/deps ` +
	    '(Debian package chromium)');
	process.exit(1);
}
const require = createRequire(import.meta.url);
let chromium, AXE_SOURCE;
try {
	({ chromium } = await import('playwright-core'));
	AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'),
	    'utf8');
} catch (e) {
	console.error('browser: playwright-core or axe-core missing: run ' +
	    '`npm ci` in tests/browser (' + e.message.split('\n')[0] + ')');
	process.exit(1);
}

// --------------------------------------------------------------- helpers --

class Failure extends Error {}
function check(cond, what) {
	if (!cond)
		throw new Failure(what);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function portFree(port) {
	return new Promise((resolve) => {
		const s = net.createServer();
		s.once('error', () => resolve(false));
		s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
	});
}
async function freePortPair() {
	for (let i = 0; i < 200; i++) {
		const p = 20000 + Math.floor(Math.random() * 40000);
		if (await portFree(p) && await portFree(p + 1) &&
		    await portFree(p + 2))	/* the desk's (SPEC 12) */
			return p;
	}
	throw new Error('no free loopback port pair found');
}

// One row of the store, read with Python's sqlite3 (the store is the
// program's; the test only reads it).
function storeRows(db, sql, params = []) {
	const py = 'import json,sqlite3,sys\n' +
	    'c=sqlite3.connect(sys.argv[1],timeout=10)\n' +
	    'c.row_factory=sqlite3.Row\n' +
	    'r=c.execute(sys.argv[2],json.loads(sys.argv[3])).fetchall()\n' +
	    'print(json.dumps([dict(x) for x in r]))\n';
	const out = execFileSync('python3', ['-c', py, db, sql,
	    JSON.stringify(params)], { encoding: 'utf8' });
	return JSON.parse(out);
}

// ----------------------------------------------------------------- stack --

class Stack {
	constructor(state, port) {
		this.state = state;
		this.port = port;
		this.origin = `http://127.0.0.1:${port}`;
		this.form = `${this.origin}/report/`;
		this.env = { ...process.env, TIPLINE_BUILD: buildDir };
		this.db = path.join(state, 'tipline.db');
	}
	up() {
		const p = spawnSync(UP, ['--port', String(this.port), '--state',
		    this.state, '--detach'], { env: this.env, encoding: 'utf8',
		    timeout: 180000 });
		if (p.status !== 0)
			throw new Error(`deploy/local/up failed (${p.status}): ` +
			    (p.stderr || p.stdout || '').trim());
	}
	down() {
		const p = spawnSync(DOWN, ['--state', this.state],
		    { env: this.env, encoding: 'utf8', timeout: 120000 });
		if (p.status !== 0)
			throw new Error(`deploy/local/down failed (${p.status}): ` +
			    (p.stderr || '').trim());
	}
	pid(name) {
		try {
			const n = parseInt(fs.readFileSync(path.join(this.state,
			    'run', name + '.pid'), 'utf8'), 10);
			return Number.isInteger(n) ? n : null;
		} catch {
			return null;
		}
	}
	// A tip as staff read it: its fields are sealed in the store
	// (SPEC 11), so through `tiplinectl show --json` with the stack's
	// staff key; lists joined with "," as the store's columns were.
	tip(ref) {
		const p = spawnSync(path.join(buildDir, 'tiplinectl'), ['-c',
		    path.join(this.state, 'tipline.conf'), 'show', ref, '--json'],
		    { env: this.env, encoding: 'utf8', timeout: 60000 });
		if (p.status !== 0)
			return null;
		const t = JSON.parse(p.stdout);
		for (const k of ['concerns', 'phones'])
			t[k] = Array.isArray(t[k]) ? t[k].join(',') : t[k];
		return t;
	}
	tipCount() {
		return storeRows(this.db, 'SELECT count(*) AS n FROM tips')[0].n;
	}
}

// --------------------------------------------------------------- browser --

const LAUNCH_ARGS = ['--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-default-apps', '--no-default-browser-check',
    '--disable-features=Translate,OptimizationHints,MediaRouter'];
if (process.getuid && process.getuid() === 0)
	LAUNCH_ARGS.unshift('--no-sandbox');

let browser, stack;

// A context as the person has it: JavaScript off, a fresh profile (the
// launch uses a new empty --user-data-dir), every request recorded.
async function personContext(width = NARROW, extra = {}) {
	const ctx = await browser.newContext({
		javaScriptEnabled: false,
		viewport: { width, height: 800 },
		...extra,
	});
	ctx.requestsSeen = [];
	setTimeouts(ctx);
	ctx.on('request', (r) => ctx.requestsSeen.push(r.url()));
	return ctx;
}

// Runs fn(page, ctx) on a new page of the context that open() makes (a
// person's or axe's), and closes the context however fn ends.
async function onPage(open, fn) {
	const ctx = await open();
	try {
		return await fn(await ctx.newPage(), ctx);
	} finally {
		await ctx.close();
	}
}

// A context for inspection with axe: JavaScript on, the CSP bypassed so
// that axe can be injected (SPEC 10).
async function axeContext(width = WIDE) {
	const ctx = await browser.newContext({ javaScriptEnabled: true,
	    bypassCSP: true, viewport: { width, height: 800 } });
	setTimeouts(ctx);
	return ctx;
}

// Generous limits: CI machines and busy ones (2 cores shared with fuzzers
// and benchmarks) answer slowly at times; a hang still ends the test.
function setTimeouts(ctx) {
	ctx.setDefaultTimeout(60000);
	ctx.setDefaultNavigationTimeout(60000);
}

// Records what one page load transfers: every request the page makes
// between start() and finish(), with header and body sizes.
function recorder(page) {
	const reqs = [];
	const onReq = (r) => reqs.push(r);
	page.on('request', onReq);
	return {
		async finish() {
			page.off('request', onReq);
			let total = 0;
			const list = [];
			for (const r of reqs) {
				let s = { responseBodySize: 0,
				    responseHeadersSize: 0 };
				try {
					s = await r.sizes();
				} catch { /* failed or aborted */ }
				const n = Math.max(0, s.responseBodySize) +
				    Math.max(0, s.responseHeadersSize);
				total += n;
				list.push({ url: r.url(), method: r.method(),
				    body: s.responseBodySize, bytes: n });
			}
			return { total, list };
		},
	};
}

// Loads the form (at url, default the first language's) and returns when
// it was loaded (for form_min_seconds).
async function openForm(page, url = stack.form) {
	const res = await page.goto(url);
	check(res && res.status() === 200, `GET ${url}: ${res && res.status()}`);
	return Date.now();
}
async function waitMinSeconds(loadedAt) {
	const wait = loadedAt + MIN_SECONDS * 1000 + 300 - Date.now();
	if (wait > 0)
		await sleep(wait);
}

// Clicks the submit button and returns the main response.
async function submit(page) {
	const [res] = await Promise.all([
		page.waitForNavigation(),
		page.click('#f-submit'),
	]);
	return res;
}

const FULL = {
	concerns: ['dealing', 'cuckooing', 'child_exploitation', 'weapons',
	    'other'],
	description: 'Young people keep arriving at the flat above the shop ' +
	    'late at night and leave after a few minutes. "Quotes", <angle> & ' +
	    'ampersands, and ünïcödé.\nA second line.',
	location: 'Flat above the bakery, Mill Lane',
	postcode: 'so143jj',
	when: 'ongoing',
	times: 'Most evenings after 6pm',
	people: 'A man in a red jacket, called "Jay"',
	vehicles: 'Black hatchback, AB12 CDE',
	phones: '07700 900123 - Jay, +44 7700 900456\nends 123',
	other_addresses: '12 High Street\n3 Low Road, Flat B',
	handles: '@deal_line_jay https://example.com/u/jay',
	how_known: 'saw',
	reporter: 'young_person',
	child_at_risk: 'yes',
	weapons_seen: 'no',
	vulnerable_adult: 'unsure',
};
const TEXT_FIELDS = ['description', 'location', 'other_addresses',
    'postcode', 'times', 'people', 'vehicles', 'phones', 'handles'];
const RADIO_FIELDS = ['when', 'child_at_risk', 'weapons_seen',
    'vulnerable_adult', 'how_known', 'reporter'];

// id of choice `value` of field `name` (the first choice gets f-NAME).
async function choiceId(page, name, value) {
	return page.locator(`input[name="${name}"][value="${value}"]`)
	    .getAttribute('id');
}

async function fillForm(page, v) {
	for (const c of v.concerns || [])
		await page.check(`input[name="concerns"][value="${c}"]`);
	for (const f of TEXT_FIELDS)
		if (v[f] !== undefined)
			await page.fill(`#f-${f}`, v[f]);
	for (const f of RADIO_FIELDS)
		if (v[f] !== undefined)
			await page.check(`input[name="${f}"][value="${v[f]}"]`);
}

async function refOf(page) {
	const text = await page.locator('.ref').first().innerText();
	const m = REF_RE.exec(text);
	check(m && m[0] === text.trim(), `no reference on the receipt: ${text}`);
	return m[0];
}

async function activeId(page) {
	return page.evaluate(() => document.activeElement &&
	    document.activeElement.id);
}

// Waits until following a link to the fragment `hash` has taken effect:
// the page's location and what Playwright knows of its URL end in hash,
// and the focus has moved, to the element `id` (or, with id null, off the
// link: a target that takes no focus leaves it on the body). The browser
// moves both after the key or the click has been handled, and Playwright
// learns of the URL by an event: read at once, they were at times still
// the old ones (issue 22). Failure(what) after the context's timeout.
async function followed(page, hash, id, what) {
	try {
		await page.waitForFunction(([h, i]) => {
			const e = document.activeElement;
			return location.hash === h && (i === null ?
			    !(e && e.matches(`a[href="${h}"]`)) :
			    (e !== null && e.id === i));
		}, [hash, id], { polling: 50 });
		await page.waitForURL((u) => u.hash === hash);
	} catch (e) {
		throw new Failure(`${what}: url ${page.url()}, focus on ` +
		    `${JSON.stringify(await activeId(page))} ` +
		    `(${e.message.split('\n')[0]})`);
	}
}

// The accessible name and role of the node Chromium's accessibility tree
// marks as focused (read through the DevTools protocol, not the page).
async function axFocused(page) {
	const cdp = await page.context().newCDPSession(page);
	try {
		const { nodes } = await cdp.send('Accessibility.getFullAXTree');
		const f = nodes.filter((n) => n.role &&
		    n.role.value !== 'RootWebArea' && (n.properties || []).some(
		    (p) => p.name === 'focused' && p.value.value));
		return f.map((n) => ({ role: n.role.value,
		    name: n.name ? n.name.value : '' }));
	} finally {
		await cdp.detach();
	}
}

// Horizontal overflow: the document's scrollWidth and any visible element
// whose box reaches past the viewport's right edge.
async function overflow(page) {
	return page.evaluate(() => {
		const vw = document.documentElement.clientWidth;
		const out = [];
		for (const el of document.querySelectorAll('body *')) {
			const r = el.getBoundingClientRect();
			if (r.width <= 1 || r.right <= 0)
				continue;
			if (r.right > vw + 0.5)
				out.push(`${el.tagName.toLowerCase()}` +
				    `${el.id ? '#' + el.id : ''}` +
				    `${el.className ? '.' + String(el.className).split(' ')[0] : ''}` +
				    ` right=${Math.round(r.right)}`);
		}
		return { scrollWidth: document.documentElement.scrollWidth,
		    innerWidth: window.innerWidth, clientWidth: vw,
		    offenders: out.slice(0, 8) };
	});
}

function checkOrigins(ctx) {
	const foreign = ctx.requestsSeen.filter((u) => {
		try {
			return new URL(u).origin !== stack.origin;
		} catch {
			return true;
		}
	});
	check(foreign.length === 0, 'requests to another origin: ' +
	    foreign.slice(0, 5).join(', '));
}

// Runs axe-core (all rules enabled by default: WCAG 2.0/2.1/2.2 A and AA
// and best practices) on the page; throws listing every violation.
async function axe(page, what) {
	await page.addScriptTag({ content: AXE_SOURCE });
	const res = await page.evaluate(async () => {
		const r = await window.axe.run(document, {
			resultTypes: ['violations'],
		});
		return r.violations.map((v) => ({ id: v.id, impact: v.impact,
		    help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')
		    + ': ' + n.failureSummary.replace(/\s+/g, ' ')) }));
	});
	check(res.length === 0, `axe on ${what}: ` + res.map((v) =>
	    `${v.id} (${v.impact}: ${v.help}) at ${v.nodes.slice(0, 3)
	    .join(' | ')}`).join('; '));
	return res;
}

async function shot(page, name) {
	fs.mkdirSync(OUT, { recursive: true });
	await page.screenshot({ path: path.join(OUT, name + '.png'),
	    fullPage: true });
}

// ----------------------------------------------------------------- tests --

const TESTS = [];
const test = (name, fn) => TESTS.push({ name, fn });

test('javascript_is_off', async () => {
	// The person's context runs no script at all: a page that would set
	// its title from a script keeps its own.
	return onPage(() => personContext(), async (page) => {
		await page.route(`${stack.origin}/js-probe`, (r) => r.fulfill({
			contentType: 'text/html',
			body: '<title>static</title><script>document.title=' +
			    '"script ran"</script>' }));
		await page.goto(`${stack.origin}/js-probe`);
		check(await page.title() === 'static',
		    'a script ran with JavaScript disabled');
		await openForm(page);
		check(await page.locator('script').count() === 0,
		    'the form page has a <script> element');
	});
});

test('form_markup', async () => {
	// Labels, legends, lang, autocomplete, inputmode: what the browser
	// and a screen reader rely on.
	return onPage(() => personContext(), async (page) => {
		await openForm(page);
		check(await page.getAttribute('html', 'lang') === 'en',
		    '<html> has no lang="en"');
		const h = await page.evaluate(() => [...document.querySelectorAll(
		    'h1,h2,h3,h4,h5,h6')].map((e) => +e.tagName[1]));
		check(h[0] === 1 && h.filter((x) => x === 1).length === 1,
		    `headings: ${h}`);
		for (let i = 1; i < h.length; i++)
			check(h[i] <= h[i - 1] + 1, `heading levels skip: ${h}`);
		for (const f of TEXT_FIELDS) {
			const el = page.locator(`#f-${f}`);
			check(await page.locator(`label[for="f-${f}"]`).count() === 1,
			    `#f-${f} has no label`);
			check(await el.getAttribute('autocomplete') === 'off',
			    `#f-${f} lacks autocomplete="off"`);
		}
		// Phones take a name and "ends 123" (SPEC 14): a keyboard with
		// letters, so inputmode text, not tel.
		check(await page.getAttribute('#f-phones', 'inputmode') === 'text',
		    'phones: inputmode is not text');
		// A UK postcode has letters: inputmode text (not numeric), no
		// spellcheck.
		check(await page.getAttribute('#f-postcode', 'inputmode') === 'text',
		    'postcode: inputmode is not text');
		check(await page.getAttribute('#f-postcode', 'spellcheck') ===
		    'false', 'postcode: spellcheck is on');
		for (const f of ['concerns', ...RADIO_FIELDS]) {
			const n = await page.locator(`fieldset:has(input[name="${f}"]) ` +
			    '> legend').count();
			check(n === 1, `${f}: no fieldset with a legend`);
		}
		// The honeypot: never reachable by a person.
		const hp = page.locator('#f-website');
		check(!(await hp.isVisible()), 'the honeypot is visible');
		check(await hp.getAttribute('tabindex') === '-1' &&
		    await hp.getAttribute('autocomplete') === 'off',
		    'honeypot: tabindex/autocomplete');
		// What is kept is said before the first field.
		const before = await page.evaluate(() => {
			const p = document.getElementById('privacy');
			const f = document.querySelector('form');
			return p && f && (p.compareDocumentPosition(f) &
			    Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
		});
		check(before, 'the privacy note is not before the form');
		const text = await page.locator('body').innerText();
		check(/call 999/.test(text) && /101/.test(text),
		    'the phone numbers are not on the page');
	});
});

test('full_report_is_stored_and_refresh_keeps_ref', async () => {
	return onPage(() => personContext(WIDE), async (page, ctx) => {
		const loaded = await openForm(page);
		await fillForm(page, FULL);
		await waitMinSeconds(loaded);
		const before = stack.tipCount();
		const res = await submit(page);
		check(res.status() === 200, `POST: ${res.status()}`);
		check(await page.locator('h1').innerText() === 'Report received',
		    'no "Report received" heading');
		const ref = await refOf(page);
		const body = await page.locator('main').innerText();
		// SPEC 14: what happens next; no sending people to 101 with the
		// reference unless phone_knows_ref = yes (not the default).
		check(body.includes('What happens next'),
		    'the receipt does not say what happens next');
		check(!body.includes('give them this reference'),
		    'the receipt sends people to 101 with the reference');
		const tip = stack.tip(ref);
		check(tip, `${ref} is not in the store`);
		check(tip.concerns.split(',').sort().join() ===
		    [...FULL.concerns].sort().join(), `concerns: ${tip.concerns}`);
		check(tip.description === FULL.description,
		    `description stored as ${JSON.stringify(tip.description)}`);
		check(tip.location === FULL.location, `location: ${tip.location}`);
		check(tip.postcode === 'SO14 3JJ', `postcode: ${tip.postcode}`);
		check(tip.when === 'ongoing' && tip.times === FULL.times &&
		    tip.people === FULL.people && tip.vehicles === FULL.vehicles,
		    'when/times/people/vehicles not stored as sent');
		check(tip.phones === '+447700900123 Jay,+447700900456,partial:123',
		    `phones: ${tip.phones}`);
		check(tip.child_at_risk === 'yes' && tip.weapons_seen === 'no' &&
		    tip.vulnerable_adult === 'unsure', 'yes/no answers');
		check(tip.priority === 'urgent', `priority: ${tip.priority}`);
		check(stack.tipCount() === before + 1, 'not exactly one new tip');

		// Refresh: the browser sends the same POST again.
		const again = await page.reload();
		check(again && again.request().method() === 'POST',
		    'reload did not resubmit the form');
		check(again.status() === 200, `resubmit: ${again.status()}`);
		check(await refOf(page) === ref, 'resubmit showed another ref');
		check(stack.tipCount() === before + 1, 'resubmit stored a tip');
		checkOrigins(ctx);
	});
});

test('errors_summary_focus_inline_and_values_kept', async () => {
	return onPage(() => personContext(WIDE), async (page) => {
		const loaded = await openForm(page);
		const sent = { ...FULL, concerns: [],
		    description: 'Too short <b>&', postcode: 'NOT A CODE',
		    phones: '12' };
		await fillForm(page, sent);
		await waitMinSeconds(loaded);
		const before = stack.tipCount();
		const res = await submit(page);
		check(res.status() === 422, `POST with errors: ${res.status()}`);
		check(stack.tipCount() === before, 'a tip with errors was stored');
		check((await page.title()).startsWith('Error: '),
		    `title: ${await page.title()}`);

		// The summary is the first thing in <main>, above the heading.
		const first = await page.evaluate(() =>
		    document.querySelector('main').firstElementChild.className);
		check(first.includes('error-summary'),
		    `first element of <main>: ${first}`);
		const sumBox = await page.locator('.error-summary').boundingBox();
		const h1Box = await page.locator('h1').boundingBox();
		check(sumBox.y < h1Box.y, 'the error summary is not at the top');
		const links = await page.locator('.error-summary a').evaluateAll(
		    (as) => as.map((a) => ({ href: a.getAttribute('href'),
		    text: a.textContent.trim() })));
		const want = ['concerns', 'description', 'postcode', 'phones'];
		check(JSON.stringify(links.map((l) => l.href)) ===
		    JSON.stringify(want.map((f) => `#f-${f}`)),
		    `summary links: ${links.map((l) => l.href)}`);

		// Each inline message: in its field's group, after the label or
		// legend and before the control, named by aria-describedby, and
		// saying what the summary says.
		for (const [i, f] of want.entries()) {
			const info = await page.evaluate((name) => {
				const ctl = document.getElementById('f-' + name);
				const msg = document.getElementById(name + '-error');
				if (!ctl || !msg)
					return null;
				const group = ctl.closest('.form-group');
				const lab = group.querySelector('label, legend');
				const described = (ctl.closest('fieldset') || ctl)
				    .getAttribute('aria-describedby') || '';
				const F = Node.DOCUMENT_POSITION_FOLLOWING;
				const mr = msg.getBoundingClientRect();
				const cr = ctl.getBoundingClientRect();
				return { inGroup: group.contains(msg),
				    order: (lab.compareDocumentPosition(msg) & F) &&
				    (msg.compareDocumentPosition(ctl) & F),
				    described: described.split(' ').includes(
				    name + '-error'),
				    gap: cr.top - mr.bottom,
				    text: msg.textContent.replace(/^Error:\s*/, '')
				    .trim() };
			}, f);
			check(info, `${f}: no inline error message`);
			check(info.inGroup && info.order, `${f}: message not beside ` +
			    'its field');
			check(info.described, `${f}: aria-describedby lacks the error`);
			check(info.gap >= 0 && info.gap < 120,
			    `${f}: message is ${info.gap}px from its field`);
			check(info.text === links[i].text, `${f}: inline "${info.text}"` +
			    ` vs summary "${links[i].text}"`);
		}
		check(await page.locator('.error-message').count() === want.length,
		    'inline messages on fields without errors');

		// Every value kept, exactly as typed.
		for (const f of TEXT_FIELDS) {
			const v = await page.inputValue(`#f-${f}`);
			check(v === sent[f], `${f} not kept: ${JSON.stringify(v)}`);
		}
		for (const f of RADIO_FIELDS)
			check(await page.isChecked(`input[name="${f}"]` +
			    `[value="${sent[f]}"]`), `${f} choice not kept`);
		await shot(page, 'errors-1280');

		// Each summary link moves focus to its field (no script: the
		// browser's own fragment navigation). Checked three ways: the
		// DOM's activeElement, the accessibility tree's focused node,
		// and a key press arriving in the field.
		for (const f of want) {
			await page.click(`.error-summary a[href="#f-${f}"]`);
			await followed(page, `#f-${f}`, `f-${f}`, `link to ${f}`);
			check(new URL(page.url()).hash === `#f-${f}`,
			    `link to ${f}: url ${page.url()}`);
			const id = await activeId(page);
			check(id === `f-${f}`, `link to ${f} focused ${id}`);
			const ax = await axFocused(page);
			check(ax.length === 1 && ['checkbox', 'textbox']
			    .includes(ax[0].role), `${f}: accessibility focus ` +
			    JSON.stringify(ax));
			if (f === 'concerns') {
				await page.keyboard.press('Space');
				check(await page.isChecked('#f-concerns'),
				    'Space after the concerns link did not tick it');
			} else {
				await page.keyboard.press('End');
				await page.keyboard.type('Z');
				const v = await page.inputValue(`#f-${f}`);
				check(v.endsWith('Z'), `${f}: a key went elsewhere`);
			}
		}
	});
});

test('errors_then_corrected_send', async () => {
	return onPage(() => personContext(NARROW), async (page, ctx) => {
		const loaded = await openForm(page);
		const sent = { concerns: ['weapons', 'other'], description: '',
		    location: 'x', when: 'now' };
		await fillForm(page, sent);
		await waitMinSeconds(loaded);
		let res = await submit(page);
		check(res.status() === 422, `POST: ${res.status()}`);
		const hrefs = await page.locator('.error-summary a').evaluateAll(
		    (as) => as.map((a) => a.getAttribute('href')));
		check(JSON.stringify(hrefs) === '["#f-description","#f-location"]',
		    `summary links: ${hrefs}`);
		for (const c of sent.concerns)
			check(await page.isChecked(`input[name="concerns"]` +
			    `[value="${c}"]`), `concern ${c} not kept`);
		check(await page.locator('input[name="concerns"]:checked')
		    .count() === 2, 'other concerns became ticked');
		check(await page.isChecked('input[name="when"][value="now"]'),
		    'when not kept');
		check(await page.inputValue('#f-location') === 'x',
		    'location not kept');
		await shot(page, 'errors-320');
		const o = await overflow(page);
		check(o.scrollWidth <= NARROW, `errors at 320 px overflow: ` +
		    JSON.stringify(o));
		// Correct and send at once (the 422 page's token needs no wait).
		await page.fill('#f-description', FULL.description);
		await page.fill('#f-location', 'Bus shelter on Station Road');
		await page.fill('#f-postcode', 'so14');
		const before = stack.tipCount();
		res = await submit(page);
		check(res.status() === 200, `corrected POST: ${res.status()}`);
		const tip = stack.tip(await refOf(page));
		check(tip && tip.location === 'Bus shelter on Station Road' &&
		    tip.postcode === 'SO14' && tip.concerns.split(',').sort()
		    .join() === 'other,weapons', 'corrected tip not stored right');
		check(stack.tipCount() === before + 1, 'not exactly one tip');
		checkOrigins(ctx);
	});
});

// Where the keyboard test keeps a picture of the focus (tests/browser/out/).
const FOCUS_SHOTS = { 'f-concerns': 'checkbox', 'f-location': 'input',
    'f-when': 'radio', 'f-submit': 'button' };

test('keyboard_only', async () => {
	// No mouse: Tab, Shift-free. Skip link first, then every control in
	// order, Space for boxes and radios, arrow keys within a radio
	// group, typing into text fields, Enter on the button.
	return onPage(() => personContext(NARROW), async (page) => {
		const loaded = await openForm(page);
		await page.keyboard.press('Tab');
		let a = await page.evaluate(() => ({ cls:
		    document.activeElement.className, href:
		    document.activeElement.getAttribute('href') }));
		check(a.cls === 'skip-link' && a.href === '#main',
		    `first Tab: ${JSON.stringify(a)}`);
		check(await page.locator('.skip-link').isVisible() &&
		    (await page.locator('.skip-link').boundingBox()).x >= 0,
		    'the focused skip link is not visible');
		fs.mkdirSync(OUT, { recursive: true });
		await page.screenshot({ path: path.join(OUT,
		    'focus-skiplink-320.png') });
		await page.keyboard.press('Enter');
		await followed(page, '#main', null,
		    'skip link did not go to #main');
		check(page.url().endsWith('#main'), 'skip link did not go to #main');

		const typed = { description: 'A car parks outside the school ' +
		    'gates every afternoon and people queue at its window.',
		    location: '12 Church Street', postcode: 'SO14 3JJ',
		    times: 'Weekdays 3pm to 4pm', people: 'Two teenagers',
		    vehicles: 'Silver estate car', phones: '07700 900789 - Jay',
		    other_addresses: '14 Church Street', handles: '@jay_sells' };
		const seen = [];
		const tickConcerns = new Set(['f-concerns',
		    'f-concerns-child_exploitation']);
		for (let i = 0; i < 80; i++) {
			await page.keyboard.press('Tab');
			const el = await page.evaluate(() => {
				const e = document.activeElement;
				const cs = getComputedStyle(e);
				return { id: e.id, tag: e.tagName.toLowerCase(),
				    type: e.type || '', name: e.name || '',
				    outline: cs.outlineStyle !== 'none' &&
				    parseFloat(cs.outlineWidth) >= 2,
				    shadow: cs.boxShadow !== 'none',
				    bg: cs.backgroundColor };
			});
			if (el.tag === 'body')
				break;
			seen.push(el.id || el.tag);
			if (FOCUS_SHOTS[el.id])
				await page.screenshot({ path: path.join(OUT,
				    `focus-${FOCUS_SHOTS[el.id]}-320.png`) });
			check(el.id !== 'f-website', 'Tab reached the honeypot');
			check(el.outline || el.shadow || el.bg ===
			    'rgb(255, 221, 0)', `no visible focus on ${el.id}`);
			if (el.type === 'checkbox' && tickConcerns.has(el.id))
				await page.keyboard.press('Space');
			else if (el.type === 'radio') {
				// Tab enters the group on its first radio; an arrow
				// key moves and selects; Space selects.
				if (el.name === 'when') {
					await page.keyboard.press('ArrowDown');
				} else if (el.name === 'child_at_risk') {
					await page.keyboard.press('ArrowDown');
					await page.keyboard.press('ArrowDown');
				} else
					await page.keyboard.press('Space');
			} else if (el.tag === 'textarea' || (el.tag === 'input' &&
			    el.type === 'text')) {
				const f = el.id.replace(/^f-/, '');
				check(typed[f] !== undefined, `unexpected field ${el.id}`);
				await page.keyboard.type(typed[f]);
			} else if (el.id === 'f-submit') {
				await waitMinSeconds(loaded);
				const [res] = await Promise.all([
				    page.waitForNavigation(),
				    page.keyboard.press('Enter')]);
				check(res.status() === 200, `Enter on the button: ` +
				    `${res.status()}: ${(await page.locator('main')
				    .innerText()).slice(0, 300)}`);
				break;
			}
		}
		// 'a': the 999 link in "This form is not watched around the
		// clock" (SPEC 14) and the link to the follow-up page (SPEC 13),
		// before the first field.
		const order = ['a', 'a', 'f-concerns', 'f-concerns-cuckooing',
		    'f-concerns-child_exploitation', 'f-concerns-weapons',
		    'f-concerns-other', 'f-description', 'f-how_known',
		    'f-location', 'f-other_addresses', 'f-postcode',
		    'f-when-today', 'f-times', 'f-people', 'f-vehicles',
		    'f-phones', 'f-handles', 'f-child_at_risk-unsure',
		    'f-weapons_seen', 'f-vulnerable_adult', 'f-reporter',
		    'f-submit'];
		// A radio group is one Tab stop; seen[] records where focus was
		// when the test acted, i.e. before arrow keys moved it.
		const got = seen.map((s) => s.replace(/^f-(when|child_at_risk)(-.*)?$/,
		    'f-$1'));
		const exp = order.map((s) => s.replace(
		    /^f-(when|child_at_risk)(-.*)?$/, 'f-$1'));
		check(JSON.stringify(got) === JSON.stringify(exp),
		    `Tab order: ${seen.join(' ')}`);
		const ref = await refOf(page);
		const tip = stack.tip(ref);
		check(tip, `${ref} not stored`);
		check(tip.concerns.split(',').sort().join() ===
		    'child_exploitation,dealing', `concerns: ${tip.concerns}`);
		check(tip.description === typed.description &&
		    tip.location === typed.location && tip.phones ===
		    '+447700900789 Jay', 'typed text not stored as typed');
		check(tip.when === 'today', `when: ${tip.when}`);
		check(tip.child_at_risk === 'unsure', `child: ${tip.child_at_risk}`);
		check(tip.weapons_seen === 'yes' && tip.vulnerable_adult === 'yes',
		    'Space did not select the first radio');
		check(tip.priority === 'urgent', `priority ${tip.priority}`);
	});
});

// One page per kind a person meets, at 320 and 1280 px: no horizontal
// overflow at 320, under 30 KB in all, nothing from another origin, and
// screenshots.
async function budgetFor(kind, width) {
	return onPage(() => personContext(width), async (page, ctx) => {
		let rec;
		if (kind === 'form') {
			rec = recorder(page);
			await openForm(page);
		} else if (kind === 'errors' || kind === 'receipt') {
			const loaded = await openForm(page);
			await fillForm(page, kind === 'errors' ? { location: 'ab',
			    description: 'short', when: 'today', phones:
			    '0123456789012345678901234567890123456789' } : FULL);
			await waitMinSeconds(loaded);
			rec = recorder(page);
			const res = await submit(page);
			check(res.status() === (kind === 'errors' ? 422 : 200),
			    `${kind}: ${res.status()}`);
		} else if (kind === '404') {
			rec = recorder(page);
			const res = await page.goto(`${stack.form}no/such/page`);
			check(res.status() === 404, `404 page: ${res.status()}`);
		}
		const { total, list } = await rec.finish();
		check(list.length >= 2 && list.some((r) => r.url.endsWith(
		    '/static/tipline.css')), `${kind}: stylesheet not loaded`);
		check(total < PAGE_BUDGET, `${kind} transferred ${total} bytes: ` +
		    list.map((r) => `${r.method} ${r.url} ${r.bytes}`).join(', '));
		const o = await overflow(page);
		check(o.scrollWidth <= o.innerWidth && o.offenders.length === 0,
		    `${kind} at ${width}px overflows: ${JSON.stringify(o)}`);
		if (kind !== '404')
			await shot(page, `${kind}-${width}`);
		checkOrigins(ctx);
		return total;
	});
}

for (const kind of ['form', 'errors', 'receipt', '404'])
	test(`budget_${kind}`, async () => {
		const a = await budgetFor(kind, NARROW);
		const b = await budgetFor(kind, WIDE);
		return `${a} B at 320 px, ${b} B at 1280 px`;
	});

test('axe_form_errors_receipt_404', async () => {
	return onPage(() => axeContext(), async (page) => {
		await openForm(page);
		await axe(page, 'the form');
		// The form with errors, on every field that can have one.
		let loaded = await openForm(page);
		await fillForm(page, { description: 'short', location: 'ab',
		    postcode: 'nope', phones: '1' });
		await waitMinSeconds(loaded);
		let res = await submit(page);
		check(res.status() === 422, `errors: ${res.status()}`);
		await axe(page, 'the form with errors');
		// The token error (sent too soon) has its own summary line.
		loaded = await openForm(page);
		await fillForm(page, FULL);
		res = await submit(page);
		check(res.status() === 422, `too fast: ${res.status()}`);
		await axe(page, 'the form sent too fast');
		loaded = await openForm(page);
		await fillForm(page, FULL);
		await waitMinSeconds(loaded);
		res = await submit(page);
		check(res.status() === 200, `receipt: ${res.status()}`);
		await axe(page, 'the receipt');
		res = await page.goto(`${stack.form}nothing-here`);
		check(res.status() === 404, `404: ${res.status()}`);
		await axe(page, 'the 404 page');
		// Narrow too: axe checks what is shown, and the layout differs.
		await page.setViewportSize({ width: NARROW, height: 800 });
		await openForm(page);
		await axe(page, 'the form at 320 px');
	});
});

// Welsh (SPEC 14): the form, its 422 page and its receipt, axe-clean,
// lang="cy", no horizontal scroll at 320 px, the form under 30 KB.
test('welsh_pages', async () => {
	const cy = `${stack.origin}/report/cy/`;
	await onPage(() => axeContext(), async (page) => {
		await openForm(page, cy);
		check(await page.getAttribute('html', 'lang') === 'cy',
		    'Welsh form: html lang is not cy');
		await axe(page, 'the Welsh form');
		let loaded = await openForm(page, cy);
		await fillForm(page, { description: 'byr', location: 'ab',
		    handles: '@no!', other_addresses: 'ab', reporter:
		    'young_person' });
		await waitMinSeconds(loaded);
		let res = await submit(page);
		check(res.status() === 422, `Welsh errors: ${res.status()}`);
		check(res.url() === cy, `Welsh errors at ${res.url()}`);
		await axe(page, 'the Welsh form with errors');
		loaded = await openForm(page, cy);
		await fillForm(page, FULL);
		await waitMinSeconds(loaded);
		res = await submit(page);
		check(res.status() === 200, `Welsh receipt: ${res.status()}`);
		check(await page.getAttribute('html', 'lang') === 'cy',
		    'Welsh receipt: html lang is not cy');
		await axe(page, 'the Welsh receipt');
	});
	return onPage(() => personContext(NARROW), async (page, ctx) => {
		const rec = recorder(page);
		await openForm(page, cy);
		const { total } = await rec.finish();
		check(total < PAGE_BUDGET, `Welsh form: ${total} bytes`);
		const o = await overflow(page);
		check(o.scrollWidth <= o.innerWidth && o.offenders.length === 0,
		    `Welsh form at 320px overflows: ${JSON.stringify(o)}`);
		await shot(page, 'form-cy-320');
		checkOrigins(ctx);
		return `${total} B at 320 px`;
	});
});

test('axe_static_error_pages', async () => {
	// nginx's own error pages (templates/errors/*.html, and the Welsh
	// ones in cy/): only 502 can be provoked on the local stack without
	// harm, and it is (below), so each file is also served here at the
	// stack's origin with the headers nginx adds, its stylesheet coming
	// from the real nginx.
	const dir = path.join(REPO, 'templates', 'errors');
	const files = ['', 'cy/'].flatMap((sub) => fs.readdirSync(
	    path.join(dir, sub)).filter((f) => f.endsWith('.html'))
	    .map((f) => sub + f));
	check(files.length > 0, 'no templates/errors/*.html');
	check(files.some((f) => f.startsWith('cy/')),
	    'no templates/errors/cy/*.html');
	for (const width of [WIDE, NARROW]) {
		await onPage(() => axeContext(width), async (page) => {
			for (const f of files) {
				const url = `${stack.origin}/report/_preview/${f}`;
				await page.route(url, (r) => r.fulfill({ status: 200,
				    contentType: 'text/html; charset=utf-8',
				    body: fs.readFileSync(path.join(dir, f)) }));
				await page.goto(url);
				const o = await overflow(page);
				check(o.scrollWidth <= o.innerWidth,
				    `${f} at ${width}px overflows: ${JSON.stringify(o)}`);
				await axe(page, `errors/${f} at ${width}px`);
			}
		});
	}
	return `${files.length} pages`;
});

// -------------------------------------------------------------- the desk --
// tipline-staff.fcgi (SPEC 12) on P+2 behind auth_basic: the queue, a tip
// page and a state change with the keyboard alone, and axe on its pages.
// Before the tests below, which take the store and tipline.fcgi away.

function deskLogin() {
	return { username: 'staff', password: fs.readFileSync(path.join(
	    stack.state, 'staff.password'), 'utf8').trim() };
}

const deskOrigin = () => `http://127.0.0.1:${stack.port + 2}`;

// An urgent tip through the public API, waited for in the desk's store.
async function deskTip() {
	const body = JSON.stringify({ concerns: ['weapons'], location:
	    'Back of the chip shop', when: 'now', description: 'Two men ' +
	    'with a machete, deal line 07700 900777, car AB12 CDE.' });
	const out = execFileSync('curl', ['-sS', '-H', 'Content-Type: ' +
	    'application/json', '--data-binary', body,
	    `${stack.origin}/report/api/v1/tips`], { encoding: 'utf8' });
	const ref = JSON.parse(out).ref;
	for (let i = 0; i < 300; i++) {
		if (storeRows(path.join(stack.state, 'staff.db'),
		    'SELECT ref FROM tips WHERE ref = ?', [ref]).length === 1)
			return ref;
		await sleep(100);
	}
	throw new Failure(`the desk did not take in ${ref}`);
}

// Presses Tab until the focused element matches sel (at most n times).
async function tabTo(page, sel, n = 80) {
	for (let i = 0; i < n; i++) {
		await page.keyboard.press('Tab');
		if (await page.evaluate((s) => document.activeElement &&
		    document.activeElement.matches(s), sel))
			return;
	}
	throw new Failure(`Tab never reached ${sel}`);
}

let deskRef = null;

test('desk_keyboard', async () => {
	deskRef = await deskTip();
	return onPage(() => personContext(WIDE, { httpCredentials:
	    deskLogin() }), async (page) => {
		await page.goto(`${deskOrigin()}/staff/`);
		check(await page.title() === 'Tips – Tipline desk',
		    `queue title: ${await page.title()}`);
		await tabTo(page, `a[href="/staff/tips/${deskRef}"]`);
		await Promise.all([page.waitForNavigation(),
		    page.keyboard.press('Enter')]);
		check(page.url().endsWith(`/staff/tips/${deskRef}`),
		    `Enter on the link: ${page.url()}`);
		await tabTo(page, 'input[name="state"]');
		await page.keyboard.press('ArrowDown');
		check(await page.evaluate(() => document.activeElement.value) ===
		    'in_review', 'ArrowDown did not choose "In review"');
		await tabTo(page, '#state-note', 3);
		await page.keyboard.type('Looking now');
		await tabTo(page, 'form[action$="/state"] button', 3);
		await Promise.all([page.waitForNavigation(),
		    page.keyboard.press('Enter')]);
		check(page.url().endsWith(`/staff/tips/${deskRef}`),
		    `after the change: ${page.url()}`);
		const rows = storeRows(path.join(stack.state, 'staff.db'),
		    'SELECT state FROM tips WHERE ref = ?', [deskRef]);
		check(rows[0].state === 'in_review', `state ${rows[0].state}`);
		check((await page.content()).includes('Looking now'),
		    'the note is not in the history');
		await shot(page, 'desk-tip-1280');
	});
});

test('desk_axe', async () => {
	const ctx = await browser.newContext({ javaScriptEnabled: true,
	    bypassCSP: true, viewport: { width: WIDE, height: 800 },
	    httpCredentials: deskLogin() });
	setTimeouts(ctx);
	try {
		const page = await ctx.newPage();
		const ref = deskRef || await deskTip();
		for (const [p, what] of [['/staff/', 'the queue'],
		    [`/staff/tips/${ref}`, 'a tip page'],
		    ['/staff/search?q=07700+900777', 'search results'],
		    ['/staff/entities/vehicle/AB12CDE', 'an entity page'],
		    ['/staff/stats', 'statistics']]) {
			const r = await page.goto(deskOrigin() + p);
			check(r.status() === 200, `${what}: ${r.status()}`);
			await axe(page, `the desk's ${what}`);
		}
		await page.goto(`${deskOrigin()}/staff/`);
		await shot(page, 'desk-queue-1280');
	} finally {
		await ctx.close();
	}
});

// ------------------------------------------------------------ follow-up --
// SPEC 13: the sender comes back with the reference and the code from the
// receipt, reads a question the desk asked and answers it, by keyboard
// alone with JavaScript off; axe on every follow-up page. Before the
// failure tests below.

const CODE_RE = /^[0-9]{4} [0-9]{4} [0-9]{4} [0-9]{4}$/;
const fuUrl = (lang = '') => `${stack.form}${lang}follow-up`;

async function codeOf(page) {
	const text = (await page.locator('#followup-code').innerText()).trim();
	check(CODE_RE.test(text), `no follow-up code on the receipt: ${text}`);
	return text;
}

// Presses Enter on what has focus and returns the navigation's response.
async function enter(page) {
	const [res] = await Promise.all([page.waitForNavigation(),
	    page.keyboard.press('Enter')]);
	return res;
}

// A tip sent through the form by keyboard alone: its ref and code.
async function keyboardTip(page) {
	const loaded = await openForm(page);
	await tabTo(page, '#f-concerns');
	await page.keyboard.press('Space');
	await tabTo(page, '#f-description');
	await page.keyboard.type('A van parks behind the launderette every ' +
	    'night and teenagers carry bags to it.');
	await tabTo(page, '#f-location');
	await page.keyboard.type('Launderette, Quay Street');
	await tabTo(page, '#f-submit');
	await waitMinSeconds(loaded);
	const res = await enter(page);
	check(res.status() === 200, `Enter on the form's button: ` +
	    `${res.status()}`);
	return { ref: await refOf(page), code: await codeOf(page) };
}

// The sign-in page (loaded again unless already there, go = false): ref
// and code typed, Enter on the button.
async function fuSignIn(page, ref, code, go = true) {
	if (go) {
		const r = await page.goto(fuUrl());
		check(r.status() === 200, `GET ${fuUrl()}: ${r.status()}`);
	}
	await tabTo(page, '#f-ref');
	await page.keyboard.type(ref);
	await tabTo(page, '#f-code', 3);
	await page.keyboard.type(code);
	await tabTo(page, '#f-submit', 3);
	return enter(page);
}

// A question from the desk (SPEC 12), asked in the browser by keyboard on
// the tip's page, once the desk has taken the tip in.
async function deskAsk(ref, question) {
	for (let i = 0; i < 300 && storeRows(path.join(stack.state,
	    'staff.db'), 'SELECT ref FROM tips WHERE ref = ?', [ref])
	    .length === 0; i++)
		await sleep(100);
	return onPage(() => personContext(WIDE, { httpCredentials:
	    deskLogin() }), async (page) => {
		const r = await page.goto(`${deskOrigin()}/staff/tips/${ref}`);
		check(r.status() === 200, `desk tip page: ${r.status()}`);
		await tabTo(page, '#message-text');
		await page.keyboard.type(question);
		await tabTo(page, 'form[action$="/messages"] button', 3);
		await enter(page);
		check(page.url().endsWith(`/staff/tips/${ref}`),
		    `after the question: ${page.url()}`);
		check((await page.locator('body').innerText()).includes(question),
		    'the question is not on the desk\'s tip page');
	});
}

async function noOverflow(page, what) {
	const o = await overflow(page);
	check(o.scrollWidth <= o.innerWidth && o.offenders.length === 0,
	    `${what} overflows: ${JSON.stringify(o)}`);
}

test('followup_keyboard', async () => {
	return onPage(() => personContext(NARROW), async (page, ctx) => {
		const { ref, code } = await keyboardTip(page);
		await noOverflow(page, 'the receipt with a code at 320 px');
		await shot(page, 'receipt-code-320');

		// The link on the form page, by keyboard.
		await openForm(page);
		await tabTo(page, 'a[href$="/follow-up"]');
		let res = await enter(page);
		check(res.status() === 200 && page.url() === fuUrl(),
		    `the form's follow-up link: ${res.status()} ${page.url()}`);
		check(await page.locator('#f-code').getAttribute(
		    'autocomplete') === 'off', 'code: autocomplete is not off');
		await shot(page, 'followup-320');

		res = await fuSignIn(page, ref, code, false);
		check(res.status() === 200, `sign-in: ${res.status()}`);
		check(!res.url().includes(code.slice(0, 4) + '%20') &&
		    !res.url().includes(code.replace(/ /g, '')),
		    'the code is in the URL');
		check(/no questions from our staff yet/.test(await page.locator(
		    '#no-messages').innerText()), 'no "no questions yet"');
		check(await page.locator('.conversation').count() === 0,
		    'a conversation list with no messages');

		const question = 'Which floor is the flat on? <b>&';
		await deskAsk(ref, question);

		// Signed in again: the question is there.
		res = await fuSignIn(page, ref, code);
		check(res.status() === 200, `sign-in again: ${res.status()}`);
		let items = await page.locator('.conversation > li').evaluateAll(
		    (ls) => ls.map((l) => ({ cls: l.className, text:
		    l.querySelector('.message__text').textContent })));
		check(items.length === 1 && items[0].cls.includes('message--staff')
		    && items[0].text === question,
		    `messages: ${JSON.stringify(items)}`);

		// The answer, typed and sent by keyboard.
		const answer = 'Second floor, the door on the left.\nAfter 10pm.';
		await tabTo(page, '#f-message');
		await page.keyboard.type(answer);
		await tabTo(page, '#f-submit', 3);
		const rec = recorder(page);
		res = await enter(page);
		check(res.status() === 200, `Send message: ${res.status()}`);
		const { total } = await rec.finish();
		check(total < PAGE_BUDGET, `conversation: ${total} bytes`);
		check((await page.locator('#sent').innerText()).trim() ===
		    'Your message was sent', 'no "Your message was sent"');
		items = await page.locator('.conversation > li').evaluateAll(
		    (ls) => ls.map((l) => ({ cls: l.className, text:
		    l.querySelector('.message__text').textContent })));
		check(items.length === 2 && items[1].cls.includes(
		    'message--sender') && items[1].text === answer,
		    `messages after sending: ${JSON.stringify(items)}`);
		check(await page.inputValue('#f-message') === '',
		    'the message box still holds the sent text');
		await noOverflow(page, 'the conversation at 320 px');
		await shot(page, 'conversation-320');

		// A wrong code: 422, the summary first, linked to the code
		// field; following the link by keyboard puts focus there.
		const wrong = code === '0000 0000 0000 0000' ?
		    '1111 1111 1111 1111' : '0000 0000 0000 0000';
		res = await fuSignIn(page, ref, wrong);
		check(res.status() === 422, `wrong code: ${res.status()}`);
		check((await page.title()).startsWith('Error: '),
		    `title: ${await page.title()}`);
		const first = await page.evaluate(() =>
		    document.querySelector('main').firstElementChild.className);
		check(first.includes('error-summary'),
		    `first element of <main>: ${first}`);
		const hrefs = await page.locator('.error-summary a').evaluateAll(
		    (as) => as.map((a) => a.getAttribute('href')));
		check(JSON.stringify(hrefs) === '["#f-code"]',
		    `summary links: ${hrefs}`);
		check((await page.getAttribute('#f-code', 'aria-describedby'))
		    .split(' ').includes('code-error'),
		    'code: aria-describedby lacks the error');
		check(await page.inputValue('#f-ref') === ref &&
		    await page.inputValue('#f-code') === '',
		    'the ref is not kept or the code is filled in again');
		await shot(page, 'followup-error-320');
		await tabTo(page, '.error-summary a');
		await page.keyboard.press('Enter');
		await followed(page, '#f-code', 'f-code', 'summary link');
		check(new URL(page.url()).hash === '#f-code',
		    `summary link: ${page.url()}`);
		check(await activeId(page) === 'f-code',
		    `the summary link focused ${await activeId(page)}`);
		const ax = await axFocused(page);
		check(ax.length === 1 && ax[0].role === 'textbox',
		    `accessibility focus: ${JSON.stringify(ax)}`);
		await page.keyboard.type('12');
		check(await page.inputValue('#f-code') === '12',
		    'a key after the link went elsewhere');

		// Ending it by keyboard: the button without the box first,
		// its error linked to the box, Space ticks it, Enter ends.
		res = await fuSignIn(page, ref, code);
		check(res.status() === 200, `sign-in to end: ${res.status()}`);
		await tabTo(page, '#f-end');
		res = await enter(page);
		check(res.status() === 422, `end without the box: ${res.status()}`);
		check(await page.getAttribute('.error-summary a', 'href') ===
		    '#f-confirm', 'the summary does not link to the box');
		check(await page.locator('#message-error').count() === 0 &&
		    (await page.getAttribute('#f-confirm', 'aria-describedby')) ===
		    'confirm-error', 'the error is not on the box');
		await tabTo(page, '.error-summary a');
		await page.keyboard.press('Enter');
		await followed(page, '#f-confirm', 'f-confirm', 'summary link');
		check(await activeId(page) === 'f-confirm',
		    `the summary link focused ${await activeId(page)}`);
		await page.keyboard.press('Space');
		check(await page.isChecked('#f-confirm'), 'Space did not tick');
		await tabTo(page, '#f-end', 3);
		res = await enter(page);
		check(res.status() === 200 && await page.locator('h1')
		    .innerText() === 'Conversation ended', `end: ${res.status()}`);
		res = await fuSignIn(page, ref, code);
		check(res.status() === 422, `the code after the end: ` +
		    res.status());
		checkOrigins(ctx);
		return `${total} B conversation`;
	});
});

test('followup_axe', async () => {
	return onPage(() => axeContext(), async (page) => {
		const loaded = await openForm(page);
		await fillForm(page, FULL);
		await waitMinSeconds(loaded);
		let res = await submit(page);
		check(res.status() === 200, `receipt: ${res.status()}`);
		const ref = await refOf(page), code = await codeOf(page);
		await axe(page, 'the receipt with a code');
		await page.setViewportSize({ width: NARROW, height: 800 });
		await axe(page, 'the receipt with a code at 320 px');
		await page.setViewportSize({ width: WIDE, height: 800 });

		res = await page.goto(fuUrl());
		check(res.status() === 200, `sign-in: ${res.status()}`);
		await axe(page, 'the follow-up sign-in');
		await page.fill('#f-ref', ref);
		await page.fill('#f-code', '9999 9999 9999 999');
		res = await submit(page);
		check(res.status() === 422, `short code: ${res.status()}`);
		await axe(page, 'the sign-in with an error');

		await deskAsk(ref, 'What colour is the van?');
		await page.fill('#f-ref', ref);
		await page.fill('#f-code', code);
		res = await submit(page);
		check(res.status() === 200, `conversation: ${res.status()}`);
		check(await page.locator('.conversation > li').count() === 1,
		    'the question is not on the conversation page');
		await axe(page, 'the conversation with a message');
		res = await submit(page);		/* empty message */
		check(res.status() === 422, `empty message: ${res.status()}`);
		check(await page.getAttribute('.error-summary a', 'href') ===
		    '#f-message', 'the summary does not link to the message');
		await axe(page, 'the conversation with a message error');
		await page.setViewportSize({ width: NARROW, height: 800 });
		await axe(page, 'the conversation with an error at 320 px');

		[res] = await Promise.all([page.waitForNavigation(),
		    page.click('#f-end')]);
		check(res.status() === 422, `end unticked: ${res.status()}`);
		check(await page.getAttribute('.error-summary a', 'href') ===
		    '#f-confirm', 'the summary does not link to the box');
		await axe(page, 'the conversation with the end form\'s error');
		await page.check('#f-confirm');
		const [r] = await Promise.all([page.waitForNavigation(),
		    page.click('#f-end')]);
		check(r.status() === 200, `end: ${r.status()}`);
		check(await page.locator('h1').innerText() ===
		    'Conversation ended', 'no "Conversation ended"');
		await noOverflow(page, 'the ended page at 320 px');
		await shot(page, 'followup-ended-320');
		await axe(page, 'the ended page');

		res = await page.goto(fuUrl('cy/'));
		check(res.status() === 200, `Welsh sign-in: ${res.status()}`);
		check(await page.getAttribute('html', 'lang') === 'cy',
		    'Welsh sign-in: html lang is not cy');
		await axe(page, 'the Welsh sign-in');
		await shot(page, 'followup-cy-320');
	});
});

// The failures last: they break the stack on purpose.
test('store_failure_503', async () => {
	// The store fails: the database file is moved away under the running
	// tipline.fcgi, which (SPEC 10) notices with SQLITE_FCNTL_HAS_MOVED
	// and answers 503 with its own page: nothing saved, the phone numbers.
	// This is the 503 a person can really meet (nginx's static 503 page
	// answers only its rate limit, which the local stack drops).
	const ctxP = await personContext(NARROW);
	const ctxA = await axeContext(NARROW);
	const moved = stack.db + '.moved';
	try {
		const page = await ctxP.newPage();
		const apage = await ctxA.newPage();
		const l1 = await openForm(page);
		const l2 = await openForm(apage);
		await fillForm(page, FULL);
		await fillForm(apage, FULL);
		await waitMinSeconds(Math.max(l1, l2));
		fs.renameSync(stack.db, moved);
		const rec = recorder(page);
		let res = await submit(page);
		check(res.status() === 503, `POST with the store gone: ` +
		    res.status());
		const text = await page.locator('body').innerText();
		check(/not saved/i.test(text) && /999/.test(text) &&
		    /101/.test(text), 'the 503 page lacks "not saved" or a phone ' +
		    'number');
		const { total } = await rec.finish();
		check(total < PAGE_BUDGET, `503 page: ${total} bytes`);
		const o = await overflow(page);
		check(o.scrollWidth <= NARROW, `503 overflows: ${JSON.stringify(o)}`);
		await shot(page, '503-320');
		checkOrigins(ctxP);
		res = await submit(apage);
		check(res.status() === 503, `axe POST: ${res.status()}`);
		await axe(apage, 'the 503 page');
	} finally {
		if (fs.existsSync(moved) && !fs.existsSync(stack.db))
			fs.renameSync(moved, stack.db);
		await ctxP.close();
		await ctxA.close();
	}
});

test('fcgi_down_502', async () => {
	// tipline.fcgi stopped: nginx answers with its static 502 page.
	const pid = stack.pid('tipline.fcgi');
	check(pid, 'no tipline.fcgi pid');
	process.kill(pid, 'SIGTERM');
	// Polls until it has gone, bounded in time (a loaded machine is slow).
	const alive = () => {
		try {
			process.kill(pid, 0);
			return true;
		} catch {
			return false;
		}
	};
	const deadline = Date.now() + 60000;
	while (alive() && Date.now() < deadline)
		await sleep(100);
	check(!alive(), `tipline.fcgi ${pid} still runs 60 s after SIGTERM`);
	const ctxP = await personContext(NARROW);
	const ctxA = await axeContext(NARROW);
	try {
		const page = await ctxP.newPage();
		const rec = recorder(page);
		const res = await page.goto(stack.form);
		check(res.status() === 502, `GET with tipline.fcgi down: ` +
		    res.status());
		const { total } = await rec.finish();
		check(total < PAGE_BUDGET, `502 page: ${total} bytes`);
		const text = await page.locator('body').innerText();
		check(/999/.test(text) && /101/.test(text), 'no phone numbers');
		const o = await overflow(page);
		check(o.scrollWidth <= NARROW, `502 overflows: ${JSON.stringify(o)}`);
		checkOrigins(ctxP);
		const apage = await ctxA.newPage();
		await apage.goto(stack.form);
		await axe(apage, 'the 502 page');
	} finally {
		await ctxP.close();
		await ctxA.close();
	}
});

// ------------------------------------------------------------------ main --

async function main() {
	const state = fs.mkdtempSync(path.join(os.tmpdir(), 'tipline-browser-'));
	const port = await freePortPair();
	stack = new Stack(state, port);
	let passed = 0, failed = 0;
	try {
		stack.up();
		browser = await chromium.launch({ executablePath: CHROMIUM,
		    headless: true, args: LAUNCH_ARGS });
		for (const t of TESTS) {
			if (only.length && !only.some((w) => t.name.includes(w)))
				continue;
			const t0 = Date.now();
			try {
				const note = await t.fn();
				passed++;
				console.log(`ok    ${t.name} (${((Date.now() - t0) /
				    1000).toFixed(1)} s)${note ? ': ' + note : ''}`);
			} catch (e) {
				failed++;
				const msg = e instanceof Failure ? e.message :
				    (e.stack || String(e));
				console.log(`FAIL  ${t.name}: ${msg}`);
			}
		}
	} catch (e) {
		failed++;
		console.log(`FAIL  setup: ${e.stack || e}`);
	} finally {
		if (browser)
			await browser.close().catch(() => {});
		try {
			stack.down();
		} catch (e) {
			failed++;
			console.log(`FAIL  teardown: ${e.message}`);
		}
		if (failed === 0 && !keep)
			fs.rmSync(state, { recursive: true, force: true });
		else
			console.log(`browser: state kept in ${state}`);
	}
	console.log(`browser: ${passed} passed, ${failed} failed`);
	return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
