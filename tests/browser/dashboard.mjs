// dashboard.mjs: the web dashboard in Debian's Chromium against a live demo
// county (issue 6). Run by tests/integration/test_browser.py:
//
//     node dashboard.mjs DEMO_INFO.json [ARTEFACTS_DIR]
//
// DEMO_INFO.json is what deploy/demo.sh writes when DEMO_INFO is set:
// {"work", "month", "nodes": {PATH: {"url", "token", "data"}}}. A case is
// reported through a village's dashboard, whistled up from its case page,
// seen on the town's command center, dispatched to the police station there,
// acked through the station's dashboard, and the ack is seen back on the
// town's case page. Then the English toggle, the county view's rollup table
// against /api/stats, and a wrong token. Full-page screenshots go to
// ARTEFACTS_DIR (default $ARTEFACTS, else build/artefacts/browser).
// Exit code 0 when every check passed, 1 otherwise.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const COUNTY = 'qianyang';
const TOWN = 'qianyang/cuimu';
const VILLAGE = 'qianyang/cuimu/dongcun';
const DEPT = 'qianyang/cuimu/@police';
const WAIT_MS = 30000;  // for anything that crosses the network of daemons
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking', '--disable-component-update',
	'--disable-sync'];

const [infoFile, outArg] = process.argv.slice(2);
if (!infoFile) {
	console.error('usage: node dashboard.mjs DEMO_INFO.json [ARTEFACTS_DIR]');
	process.exit(2);
}
const info = JSON.parse(fs.readFileSync(infoFile, 'utf8'));
const outDir = outArg || process.env.ARTEFACTS || 'build/artefacts/browser';
fs.mkdirSync(outDir, { recursive: true });

const t0 = Date.now();
let checks = 0;
const pageErrors = [];
const pages = {};

function node(p) {
	const n = info.nodes[p];
	assert.ok(n, `the demo has no node ${p}`);
	return n;
}

function log(msg) {
	console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}`);
}

function check(cond, msg) {
	assert.ok(cond, msg);
	checks++;
}

function equal(actual, expected, msg) {
	assert.deepStrictEqual(actual, expected, msg);
	checks++;
}

/* Retries fn until it returns something truthy; the dashboards poll every
 * 2 s and the daemons sync in the background. */
async function until(desc, fn, ms = WAIT_MS) {
	const end = Date.now() + ms;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last)
				return last;
		} catch (e) {
			last = e;
		}
		if (Date.now() > end)
			throw new Error(`timed out after ${ms / 1000} s waiting for ${desc} (last: ${last})`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

/* The API itself, to compare what the page shows with the JSON. */
async function apiGet(p, route) {
	const n = node(p);
	const r = await fetch(n.url + route, { headers: { Authorization: 'Bearer ' + n.token } });
	assert.equal(r.status, 200, `GET ${route} at ${p}: ${r.status}`);
	return r.json();
}

const tid = (id) => `[data-testid="${id}"]`;
const caseRow = (id) => `${tid('case-row')}[data-case-id="${id}"]`;

async function shot(page, name) {
	const file = path.join(outDir, name);
	await page.screenshot({ path: file, fullPage: true });
	log(`screenshot ${file}`);
}

/* Opens PATH's dashboard with the #token= link, as an operator would. */
async function open(ctx, p, name) {
	const n = node(p);
	const page = await ctx.newPage();
	pages[name] = page;
	page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
	await page.goto(n.url + '#token=' + n.token);
	await page.locator(tid('node-path')).waitFor({ timeout: WAIT_MS });
	equal(await page.textContent(tid('node-path')), p, `${name}: the dashboard shows its node`);
	check(!page.url().includes('token'), `${name}: the token is taken out of the address bar (${page.url()})`);
	return page;
}

async function timelineKinds(page) {
	return page.$$eval(`${tid('timeline-row')}`, (rows) => rows.map((r) => r.dataset.kind));
}

async function waitKinds(page, kinds, desc) {
	await until(desc, async () => {
		const k = await timelineKinds(page);
		return k.length >= kinds.length ? k : null;
	});
	equal(await timelineKinds(page), kinds, desc);
}

/* Opens an action's form on the case page, fills it, submits, and waits
 * for the flash that says it was written. */
async function act(page, verb, fill) {
	await page.click(tid('action-' + verb));
	const form = page.locator(`${tid('action-form')}[data-verb="${verb}"]`);
	await form.waitFor();
	if (fill)
		await fill(form);
	await form.locator(tid('action-submit')).click();
	await form.waitFor({ state: 'detached', timeout: WAIT_MS });
}

async function main() {
	const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
	try {
		const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 },
		    locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
		ctx.setDefaultTimeout(WAIT_MS);
		await run(browser, ctx);
	} catch (e) {
		for (const [name, page] of Object.entries(pages))
			await page.screenshot({ path: path.join(outDir, `failed-${name}.png`), fullPage: true })
			    .catch(() => {});
		throw e;
	} finally {
		await browser.close();
	}
}

async function run(browser, ctx) {
	/* 1. A grid worker reports through the village's dashboard. */
	const village = await open(ctx, VILLAGE, 'village');
	equal(await village.getAttribute(tid('tab-center'), 'class'), 'on', 'a village opens on its cases');
	await village.click(tid('tab-report'));
	const title = `浏览器测试：水渠堵塞引发灌溉纠纷 ${Date.now() % 100000}`;
	await village.selectOption(tid('report-category'), 'neighbor');
	await village.fill(tid('report-title'), title);
	await village.fill(tid('report-desc'), '二组水渠被上游堵塞，下游三户无法灌溉');
	await village.fill(tid('report-grid'), '二组网格');
	await village.fill(tid('report-reporter'), '赵德明');
	await village.selectOption(tid('report-severity'), 'complex');
	// A flaky line: the first submission reaches the node and is written,
	// but its answer is lost. The retry must carry the same Idempotency-Key
	// and get the first answer back, not make a second case.
	const keys = [];
	let replayed = null;
	await village.route('**/api/cases', async (route) => {
		const rq = route.request();
		if (rq.method() !== 'POST')
			return route.continue();
		keys.push(rq.headers()['idempotency-key']);
		const resp = await route.fetch();
		if (keys.length === 1)
			return route.abort('connectionreset');
		replayed = resp.headers()['idempotency-replayed'] || null;
		return route.fulfill({ response: resp });
	});
	await village.click(tid('report-submit'));
	equal(await village.locator(tid('report-error')).textContent(),
	    '网络错误，请重试（重试时使用同一请求编号，不会重复提交）。', 'a lost answer is a network error');
	await village.click(tid('report-submit'));
	await village.locator(`${tid('case-page')} ${tid('case-id')}`).waitFor();
	await village.unroute('**/api/cases');
	equal(keys.length, 2, 'two submissions');
	check(/^[0-9a-f]{32}$/.test(keys[0]), `a random Idempotency-Key: ${keys[0]}`);
	equal(keys[1], keys[0], 'the retry reuses the key');
	equal(replayed, 'true', 'the node answered the retry from the first write');
	const id = (await village.textContent(tid('case-id'))).trim();
	check(/^qianyang\/cuimu\/dongcun#[0-9A-HJKMNP-TV-Z]{26}$/.test(id), `a village case id: ${id}`);
	equal(village.url().split('#')[1], 'case=' + encodeURIComponent(id), 'the case page has its own address');
	equal(await village.textContent(tid('case-title')), title, 'the case page shows the title');
	equal(await village.textContent(`${tid('case-page')} ${tid('status')}`), '待处理', 'a new case is open');
	await waitKinds(village, ['report'], 'the report is the first timeline entry');
	equal(await village.textContent(`${tid('timeline-row')} td:nth-child(4)`), '村网格员',
	    "the report is signed as the village operator's (the token's name, not anything the page sent)");
	equal((await apiGet(VILLAGE, 'api/cases')).filter((c) => c.title === title).map((c) => c.id), [id],
	    'one case for the two submissions');
	const mine = await apiGet(VILLAGE, 'api/cases/' + encodeURIComponent(id));
	equal([mine.title, mine.category, mine.severity, mine.grid, mine.reporter],
	    [title, 'neighbor', 'complex', '二组网格', '赵德明'], 'the API holds what the form sent');
	log(`reported ${id}`);

	/* 2. Mediation in the village fails: whistle it up to the town. */
	await act(village, 'whistle', (f) => f.locator(tid('field-reason')).fill('村调委会调解未果'));
	await waitKinds(village, ['report', 'whistle'], 'the whistle is on the village timeline');
	await until('the village sees the town as the level', async () =>
	    (await village.textContent(tid('case-level'))) === TOWN);
	log('whistled to the town');

	/* 3. The town's command center: the case appears in the live list at the town's level. */
	const town = await open(ctx, TOWN, 'town');
	equal(await town.getAttribute(tid('tab-center'), 'class'), 'on', 'a town opens on its command center');
	const row = town.locator(caseRow(id));
	await until('the case in the town list, at the town level', async () =>
	    (await row.getAttribute('data-level')) === TOWN);
	equal(await row.getAttribute('data-status'), 'open', 'the town sees it open');
	check((await row.textContent()).includes(title), 'the town list row shows the title');
	const all = await apiGet(TOWN, 'api/cases');
	const fromDongcun = all.filter((c) => c.id.startsWith(VILLAGE + '#'));
	await until('the by-village table to catch up with the API', async () =>
	    (await town.textContent(`${tid('by-village')} tr[data-key="${VILLAGE}"] td[data-col="total"]`)) ===
	    String(fromDongcun.length));
	equal(await town.textContent(`${tid('by-village')} tr[data-key="${VILLAGE}"] td[data-col="active"]`),
	    String(fromDongcun.filter((c) => c.status === 'open' || c.status === 'dispatched').length),
	    'cases in hand from the village, as the API counts them');
	// The filters go to the API: village and status narrow the list to ours.
	await town.selectOption(tid('filter-village'), VILLAGE);
	await town.selectOption(tid('filter-status'), 'open');
	// Each filter change is its own fetch: wait for the list of both,
	// not the village-only list drawn in between.
	const filtered = await apiGet(TOWN, 'api/cases?status=open&village=' + encodeURIComponent(VILLAGE));
	const want = filtered.map((c) => c.id).sort();
	check(want.includes(id), 'the API\'s filtered list holds the new case');
	await until('the filtered list to be the API\'s', async () =>
	    JSON.stringify((await town.$$eval(tid('case-row'), (rs) => rs.map((r) => r.dataset.caseId))).sort()) ===
	    JSON.stringify(want));
	equal((await town.$$eval(tid('case-row'), (rs) => rs.map((r) => r.dataset.caseId))).sort(),
	    want, 'the filtered list is the API\'s');
	await town.selectOption(tid('filter-village'), '');
	await town.selectOption(tid('filter-status'), '');
	await until('the whole list again', async () => (await town.$$(tid('case-row'))).length === all.length);
	await shot(town, 'town-command-center.png');

	/* 4. The town dispatches it to the police station. */
	await row.click();
	await until('the town case page', async () => (await town.textContent(tid('case-id'))) === id);
	await town.click(tid('action-dispatch'));
	const depts = await town.$$eval(`${tid('dispatch-to')} option`, (os) => os.map((o) => o.value));
	equal(depts, ['', 'qianyang/cuimu/@civil', 'qianyang/cuimu/@enforcement', 'qianyang/cuimu/@justice',
	    'qianyang/cuimu/@police'], 'the department picker lists the town\'s departments');
	await town.click(tid('action-cancel'));
	await act(town, 'dispatch', async (f) => {
		await f.locator(tid('dispatch-to')).selectOption(DEPT);
		await f.locator(tid('field-ack-hours')).fill('0.5');
		await f.locator(tid('field-note')).fill('请派出所会同村调委会处置');
	});
	await waitKinds(town, ['report', 'whistle', 'dispatch'], 'the dispatch is on the town timeline');
	equal(await town.textContent(`${tid('case-page')} ${tid('status')}`), '已派单', 'dispatched');
	log('dispatched to ' + DEPT);

	/* 5. The police station reports in through its own dashboard. */
	const dept = await open(ctx, DEPT, 'dept');
	await dept.locator(caseRow(id)).click({ timeout: WAIT_MS });
	await until('the station case page', async () => (await dept.textContent(tid('case-id'))) === id);
	await act(dept, 'ack', (f) => f.locator(tid('field-note')).fill('民警已到现场'));
	await waitKinds(dept, ['report', 'whistle', 'dispatch', 'ack'], 'the ack is on the station timeline');
	log('acked at ' + DEPT);

	/* 6. The ack comes back to the town's case page by itself (polling). */
	await waitKinds(town, ['report', 'whistle', 'dispatch', 'ack'], 'the ack reached the town case page');
	const ackRow = town.locator(`${tid('timeline-row')}[data-kind="ack"]`);
	equal(await ackRow.locator('td').nth(1).textContent(), '报到', 'the ack is shown as 报到');
	equal(await ackRow.locator('td').nth(2).textContent(), DEPT, 'signed by the station');
	equal(await ackRow.locator('td').nth(3).textContent(), '局值班', "by the station's operator");
	equal(await town.textContent(`${tid('assignments')} tr[data-dept="${DEPT}"] td:nth-child(2)`), '是',
	    'the assignment shows reported in');
	await shot(town, 'town-case-after-ack.png');

	/* 7. English, remembered across a reload, and back. */
	await town.click(tid('lang-toggle'));
	equal(await town.textContent(tid('tab-center')), 'Command center', 'tabs in English');
	equal(await town.textContent(tid('lang-toggle')), '中文', 'the toggle offers Chinese');
	equal(await town.$$eval(tid('timeline-kind'), (es) => es.map((e) => e.textContent)),
	    ['Report', 'Whistle', 'Dispatch', 'Report in'], 'timeline actions in English');
	equal(await town.textContent(`${tid('case-page')} ${tid('status')}`), 'Dispatched', 'status in English');
	equal(await town.getAttribute('html', 'lang'), 'en', 'the page language follows');
	await town.click(tid('back'));
	await town.locator(caseRow(id)).waitFor();
	await town.reload();
	await town.locator(caseRow(id)).waitFor();
	equal(await town.textContent(tid('tab-report')), 'Report', 'English is remembered after a reload');
	equal(await town.textContent(`${tid('kpi-overdue')} .k`), 'Overdue', 'key figures in English');
	equal(await town.textContent(`${tid('by-category')} tr[data-key="neighbor"] td:first-child`),
	    'Neighbour dispute', 'category labels in English');
	await shot(town, 'town-english.png');
	await town.click(tid('lang-toggle'));
	equal(await town.textContent(tid('tab-center')), '指挥中心', 'back to Chinese');
	equal(await town.textContent(`${tid('by-category')} tr[data-key="neighbor"] td:first-child`),
	    '邻里纠纷', 'category labels from /api/categories');

	/* 8. The county view: the towns' rollups, the month's trend, cases whistled up. */
	const county = await open(ctx, COUNTY, 'county');
	equal(await county.getAttribute(tid('tab-county'), 'class'), 'on', 'the county opens on the county view');
	const thisMonth = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
	equal(await county.inputValue(tid('month-picker')), thisMonth, 'the current month (China time) first');
	await county.click(tid('month-last'));
	const month = await county.inputValue(tid('month-picker'));
	equal(month, info.month, "last month is the sample data's month");
	const cell = (col) => `${tid('rollup-row')}[data-key="${TOWN}"] td[data-col="${col}"]`;
	const stats = await apiGet(COUNTY, `api/stats?period=${month}&by=town`);
	const g = stats.groups.find((x) => x.key === TOWN);
	check(g && g.received > 0, `the county has the town's rollups for ${month}`);
	await until('the rollup table for ' + month, async () =>
	    (await county.textContent(cell('received'))) === String(g.received));
	equal(await county.textContent(cell('received')), String(g.received), 'received as in /api/stats');
	equal(await county.textContent(cell('settled')), String(g.settled), 'settled as in /api/stats');
	equal(await county.textContent(cell('overdue')), String(g.overdue), 'overdue as in /api/stats');
	const pct = (r) => r === null ? '-' : (r * 100).toFixed(1) + '%';
	equal(await county.textContent(cell('closure')), pct(g.rates.closure), 'closure rate as a percentage');
	equal(await county.textContent(cell('mediation')), pct(g.rates.mediation), 'mediation rate');
	equal(await county.textContent(cell('satisfaction')), pct(g.rates.satisfaction), 'satisfaction rate');
	equal(await county.textContent(tid('stats-source')), '数据来源：各镇签名统计之和', 'rollups, said so');
	const [y, m] = month.split('-').map(Number);
	const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
	const chart = county.locator(tid('trend-chart'));
	await chart.waitFor();
	equal(await chart.getAttribute('data-days'), String(days), 'one bar group per day of the month');
	const perDay = await county.$$eval(`${tid('trend-chart')} g[data-day]`,
	    (gs) => gs.map((e) => Number(e.dataset.received)));
	equal(perDay.reduce((a, b) => a + b, 0), stats.total.received, "the days add up to the month's received");
	const whistled = await apiGet(COUNTY, 'api/cases?level=county');
	check(whistled.length >= 3, 'the demo auto-whistled cases up to the county');
	await until('the cases whistled to the county', async () =>
	    (await county.$$(`${tid('county-cases')} ${tid('case-row')}`)).length === whistled.length);
	equal((await county.$$eval(`${tid('county-cases')} ${tid('case-row')}`, (rs) =>
	    rs.map((r) => r.dataset.caseId))).sort(), whistled.map((c) => c.id).sort(), 'the same cases as the API');
	check((await county.$$(`${tid('peer-row')}[data-path="${TOWN}"][data-connected="true"]`)).length === 1,
	    'link health shows the town up');
	await shot(county, 'county.png');

	/* 9. A wrong token gets the log-in form; the right one gets in. */
	const other = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
	const login = await other.newPage();
	pages.login = login;
	login.on('pageerror', (e) => pageErrors.push(`login: ${e.message}`));
	await login.goto(node(COUNTY).url + '#token=' + 'ab'.repeat(32));
	await login.locator(tid('login-form')).waitFor();
	equal(await login.textContent(tid('login-error')), '令牌无效：请检查后重新输入。', 'the bad token is refused');
	equal(await login.locator(tid('node-path')).count(), 0, 'nothing of the node is shown');
	await login.fill(tid('login-token'), node(COUNTY).token);
	await login.click(tid('login-submit'));
	await login.locator(tid('node-path')).waitFor();
	check(await login.locator(tid('login-form')).isHidden(), 'logged in through the form');
	await other.close();

	equal(pageErrors, [], 'no script errors on any page');
}

main().then(() => {
	log(`dashboard: all ${checks} checks passed`);
	process.exit(0);
}, (e) => {
	log(`FAILED after ${checks} checks: ${e.stack || e}`);
	if (pageErrors.length)
		console.log('script errors on the pages:\n  ' + pageErrors.join('\n  '));
	process.exit(1);
});
