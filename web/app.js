/*
 * gridsync dashboard: one page over the node's HTTP API (docs/api.md).
 * Plain ES2020, no framework, no build step; served by gridnode from web/.
 *
 * The node's depth picks the first view: the county gets the county view
 * (towns' rollups, the month's trend, cases whistled to the county), a town
 * the command center (open and overdue cases, a live list, case pages with
 * their actions), a village or department its own cases. Tabs reach the
 * other views; link health of every neighbour is shown beside every view.
 */
'use strict';

/* ---- every label, in both languages ---- */

const L = {
	zh: {
		app_title: '网格治理指挥中心',
		lang_toggle: 'English',
		logout: '退出',
		live: '实时',
		offline_api: '连接中断',
		updated: '更新于',
		tier_county: '县', tier_town: '镇', tier_village: '村', tier_dept: '部门',
		tab_center: '指挥中心', tab_county: '县级总览', tab_stats: '统计分析',
		tab_report: '上报',
		login_title: '操作员登录',
		login_hint: '请输入本节点的操作员令牌（由 gridnode operator add 生成）。',
		login_token: '令牌',
		login_submit: '登录',
		login_bad: '令牌无效：请检查后重新输入。',
		login_expired: '请登录。',
		net_error: '网络错误，请重试（重试时使用同一请求编号，不会重复提交）。',
		kpi_active: '在办案件', kpi_dispatched: '已派单', kpi_overdue: '逾期',
		kpi_resolved: '已办结待回访', kpi_closed: '已结案',
		by_village: '按村统计', by_category: '按类别统计',
		col_village: '村（上报单位）', col_category: '类别', col_active: '在办',
		col_overdue: '逾期', col_total: '合计', this_node: '本级',
		cases: '案件列表', cases_live: '每 2 秒自动刷新',
		f_status: '状态', f_village: '村', f_category: '类别', f_overdue: '仅看逾期',
		all: '全部', n_cases: '共 {n} 件', none: '暂无案件', cut: '仅显示前 {n} 件，其余请用筛选查看',
		col_id: '编号（上报村#）', col_title: '标题', col_level: '当前层级',
		col_status: '状态', col_severity: '分级', col_updated: '更新时间',
		overdue: '逾期',
		back: '← 返回列表',
		case_id: '案件编号', owner: '上报单位', level: '当前层级', peak: '最高层级',
		category: '类别', severity: '分级', grid: '网格', reporter: '反映人',
		outcome: '办结结果', satisfaction: '回访', whistles: '吹哨次数',
		supervisions: '督办次数', visible: '可见节点', created: '上报时间',
		col_dept: '部门', col_acked: '报到', col_resolved: '办结',
		col_ack_deadline: '报到时限', col_resolve_deadline: '办结时限',
		yes: '是', no: '否',
		actions: '处置', timeline: '处置记录',
		col_time: '时间', col_kind: '动作', col_signer: '节点', col_actor: '操作员',
		col_text: '内容', col_flag: '校验',
		submit: '提交', cancel: '取消', submitted: '已提交：{what}',
		f_note: '说明', f_reason: '理由', f_to: '派往部门', f_to_text: '或输入部门路径',
		'f_ack-hours': '报到时限（小时）', 'f_resolve-hours': '办结时限（小时）',
		f_outcome: '办结结果', f_satisfaction: '满意度', choose: '请选择',
		report_title: '上报案件', r_category: '类别', r_title: '标题', r_desc: '情况描述',
		r_grid: '网格', r_reporter: '反映人', r_severity: '分级', r_for: '交办给（村）',
		r_for_self: '本级受理', r_submit: '上报', reported: '已上报：{id}',
		month: '月份', this_month: '本月', last_month: '上月',
		rollup_towns: '各镇统计', rollup_villages: '各村统计', rollup_categories: '分类统计',
		col_group: '单位', total: '合计',
		source_rollups: '数据来源：各镇签名统计之和', source_cases: '数据来源：本节点案件',
		trend: '本月趋势', trend_sub: '每日受理、办结与诉求办结率',
		county_cases: '吹哨至县的案件',
		peers: '链路状态', peers_sum: '{n} 个邻居，{up} 在线，{down} 离线',
		col_peer: '邻居', col_role: '关系', col_link: '状态', col_seen: '最后联系',
		col_in: '待收', col_out: '待发', col_err: '最近错误',
		role_parent: '上级', role_child: '下级', link_up: '在线', link_down: '离线',
		never: '从未', ago_s: '{n} 秒前', ago_m: '{n} 分钟前', ago_h: '{n} 小时前',
		ago_d: '{n} 天前', no_peers: '尚无邻居（守护进程未配置链路）',
		status_unset: '未受理', status_open: '待处理', status_dispatched: '已派单',
		status_resolved: '已办结', status_closed: '已结案',
		kind_report: '上报', kind_progress: '进展', kind_whistle: '吹哨', kind_return: '退回',
		kind_dispatch: '派单', kind_ack: '报到', kind_resolve: '办结', kind_followup: '回访',
		kind_reopen: '重启', kind_supervise: '督办',
		outcome_unset: '未办结', outcome_mediated: '调解成功', outcome_solved: '已解决',
		outcome_referred: '已移交', outcome_unfounded: '不属实',
		satisfaction_unset: '未回访', satisfaction_satisfied: '满意',
		satisfaction_basic: '基本满意', satisfaction_unsatisfied: '不满意',
		severity_unset: '未分级', severity_simple: '简单', severity_complex: '复杂',
		severity_hard: '疑难',
		flag_ok: '正常', flag_conflict: '冲突', flag_revoked: '已撤销',
		count_received: '受理', count_settled: '办结', count_open: '在办',
		count_overdue: '逾期',
		rate_closure: '诉求办结率', rate_mediation: '调解成功率', rate_ontime_ack: '按时报到率',
		rate_satisfaction: '满意率', rate_in_village: '村内化解率', rate_in_town: '镇内化解率',
		rate_not_passed_up: '矛盾不上交率', rate_as_graded: '分级化解率',
	},
	en: {
		app_title: 'Grid Governance Command Center',
		lang_toggle: '中文',
		logout: 'Log out',
		live: 'Live',
		offline_api: 'Connection lost',
		updated: 'updated',
		tier_county: 'County', tier_town: 'Town', tier_village: 'Village', tier_dept: 'Department',
		tab_center: 'Command center', tab_county: 'County overview', tab_stats: 'Statistics',
		tab_report: 'Report',
		login_title: 'Operator log-in',
		login_hint: "Enter this node's operator token (made by gridnode operator add).",
		login_token: 'Token',
		login_submit: 'Log in',
		login_bad: 'The token is not valid: check it and try again.',
		login_expired: 'Please log in.',
		net_error: 'Network error: try again (a retry reuses the same request id, nothing is sent twice).',
		kpi_active: 'Cases in hand', kpi_dispatched: 'Dispatched', kpi_overdue: 'Overdue',
		kpi_resolved: 'Resolved, awaiting follow-up', kpi_closed: 'Closed',
		by_village: 'By village', by_category: 'By category',
		col_village: 'Village (reported by)', col_category: 'Category', col_active: 'In hand',
		col_overdue: 'Overdue', col_total: 'Total', this_node: 'This node',
		cases: 'Cases', cases_live: 'refreshed every 2 s',
		f_status: 'Status', f_village: 'Village', f_category: 'Category', f_overdue: 'Overdue only',
		all: 'All', n_cases: '{n} cases', none: 'No cases', cut: 'The first {n} shown: filter for the rest',
		col_id: 'ID (village#)', col_title: 'Title', col_level: 'Level now',
		col_status: 'Status', col_severity: 'Grade', col_updated: 'Updated',
		overdue: 'Overdue',
		back: '← Back to the list',
		case_id: 'Case ID', owner: 'Reported by', level: 'Level now', peak: 'Highest level',
		category: 'Category', severity: 'Grade', grid: 'Grid', reporter: 'Reporter',
		outcome: 'Outcome', satisfaction: 'Follow-up', whistles: 'Whistles',
		supervisions: 'Supervisions', visible: 'Visible to', created: 'Reported at',
		col_dept: 'Department', col_acked: 'Reported in',
		col_resolved: 'Resolved', col_ack_deadline: 'Report in by',
		col_resolve_deadline: 'Resolve by',
		yes: 'yes', no: 'no',
		actions: 'Actions', timeline: 'Timeline',
		col_time: 'Time', col_kind: 'Action', col_signer: 'Node', col_actor: 'Operator',
		col_text: 'Details', col_flag: 'Check',
		submit: 'Submit', cancel: 'Cancel', submitted: 'Submitted: {what}',
		f_note: 'Note', f_reason: 'Reason', f_to: 'Department', f_to_text: 'or type a department path',
		'f_ack-hours': 'Report in within (hours)', 'f_resolve-hours': 'Resolve within (hours)',
		f_outcome: 'Outcome', f_satisfaction: 'Satisfaction', choose: 'Choose',
		report_title: 'Report a case', r_category: 'Category', r_title: 'Title',
		r_desc: 'Description', r_grid: 'Grid', r_reporter: 'Reporter', r_severity: 'Grade',
		r_for: 'Assign to (village)', r_for_self: 'This node handles it', r_submit: 'Report',
		reported: 'Reported: {id}',
		month: 'Month', this_month: 'This month', last_month: 'Last month',
		rollup_towns: 'Towns', rollup_villages: 'Villages', rollup_categories: 'Categories',
		col_group: 'Unit', total: 'Total',
		source_rollups: "Source: the sum of the towns' signed rollups",
		source_cases: "Source: this node's cases",
		trend: 'The month', trend_sub: 'received and settled per day, closure rate',
		county_cases: 'Cases whistled up to the county',
		peers: 'Link health', peers_sum: '{n} neighbours, {up} up, {down} down',
		col_peer: 'Neighbour', col_role: 'Role', col_link: 'Link', col_seen: 'Last seen',
		col_in: 'Lag in', col_out: 'Lag out', col_err: 'Last error',
		role_parent: 'parent', role_child: 'child', link_up: 'up', link_down: 'down',
		never: 'never', ago_s: '{n} s ago', ago_m: '{n} min ago', ago_h: '{n} h ago',
		ago_d: '{n} d ago', no_peers: 'No neighbours yet (no links configured)',
		status_unset: 'Not received', status_open: 'Open', status_dispatched: 'Dispatched',
		status_resolved: 'Resolved', status_closed: 'Closed',
		kind_report: 'Report', kind_progress: 'Progress', kind_whistle: 'Whistle',
		kind_return: 'Return', kind_dispatch: 'Dispatch', kind_ack: 'Report in',
		kind_resolve: 'Resolve', kind_followup: 'Follow-up', kind_reopen: 'Reopen',
		kind_supervise: 'Supervise',
		outcome_unset: 'Not resolved', outcome_mediated: 'Mediated', outcome_solved: 'Solved',
		outcome_referred: 'Referred', outcome_unfounded: 'Unfounded',
		satisfaction_unset: 'Not followed up', satisfaction_satisfied: 'Satisfied',
		satisfaction_basic: 'Fairly satisfied', satisfaction_unsatisfied: 'Unsatisfied',
		severity_unset: 'Ungraded', severity_simple: 'Simple', severity_complex: 'Complex',
		severity_hard: 'Hard',
		flag_ok: 'ok', flag_conflict: 'conflict', flag_revoked: 'revoked',
		count_received: 'Received', count_settled: 'Settled', count_open: 'Open',
		count_overdue: 'Overdue',
		rate_closure: 'Closure', rate_mediation: 'Mediation', rate_ontime_ack: 'On-time report-in',
		rate_satisfaction: 'Satisfaction', rate_in_village: 'Settled in village',
		rate_in_town: 'Settled in town', rate_not_passed_up: 'Not passed up',
		rate_as_graded: 'Settled as graded',
		cat_marriage: 'Marriage & family', cat_neighbor: 'Neighbour dispute',
		cat_debt: 'Debt dispute', cat_land: 'Land & forest', cat_safety: 'Safety hazard',
		cat_environment: 'Environment', cat_livelihood: 'Livelihood', cat_security: 'Public order',
		cat_other: 'Other',
	},
};

const STATUSES = ['open', 'dispatched', 'resolved', 'closed'];
const OUTCOMES = ['mediated', 'solved', 'referred', 'unfounded'];
const SATISFACTIONS = ['satisfied', 'basic', 'unsatisfied'];
const SEVERITIES = ['simple', 'complex', 'hard'];
const RATES = ['closure', 'mediation', 'ontime_ack', 'satisfaction', 'in_village',
	'in_town', 'not_passed_up', 'as_graded'];
const COUNTS = ['received', 'settled', 'open', 'overdue'];
const POLL_MS = 2000;
const MAX_ROWS = 500;

const S = {
	lang: localStorage.getItem('gs.lang') === 'en' ? 'en' : 'zh',
	token: localStorage.getItem('gs.token') || '',
	me: null,         // /api/whoami
	tier: '',
	cats: [],         // /api/categories
	peers: [],        // /api/peers
	view: '',         // a tab, or 'case'
	caseId: '',
	cases: null,      // unfiltered /api/cases
	list: null,       // filtered /api/cases
	filters: { status: '', village: '', category: '', overdue: false },
	kase: null,       // the case on the case page
	openAction: '',   // the verb whose form is open on the case page
	month: '',
	stats: null,
	trend: null,      // { month, days: [{ day, received, settled, closure }] }
	countyCases: null,
	pending: new Map(), // form -> { sig, key }: reused after a network error
	drawn: new Map(),   // section -> JSON of the data last drawn
	ticks: 0,
};

function t(key, vars) {
	let s = L[S.lang][key] ?? L.zh[key] ?? key;
	for (const [k, v] of Object.entries(vars || {}))
		s = s.replace('{' + k + '}', v);
	return s;
}

/* ---- DOM helpers ---- */

function h(tag, attrs, ...kids) {
	const el = document.createElement(tag);
	setAttrs(el, attrs);
	for (const kid of kids.flat(Infinity)) {
		if (kid === null || kid === undefined || kid === false)
			continue;
		el.append(kid instanceof Node ? kid : String(kid));
	}
	return el;
}

function svg(tag, attrs, ...kids) {
	const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
	setAttrs(el, attrs);
	for (const kid of kids.flat(Infinity))
		if (kid !== null && kid !== undefined && kid !== false)
			el.append(kid instanceof Node ? kid : String(kid));
	return el;
}

function setAttrs(el, attrs) {
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k.startsWith('on'))
			el.addEventListener(k.slice(2), v);
		else if (k === 'testid')
			el.setAttribute('data-testid', v);
		else
			el.setAttribute(k, v === true ? '' : v);
	}
}

const $ = (sel) => document.querySelector(sel);

/* replaceChildren, leaving out the nulls of optional parts. */
function fill(el, ...kids) {
	el.replaceChildren(...kids.flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false));
}

function select(attrs, options, value) {
	return h('select', attrs, options.map(([v, label]) =>
	    h('option', { value: v, selected: v === value }, label)));
}

function flash(text, bad) {
	const d = h('div', { class: bad ? 'bad' : '', testid: 'flash' }, text);
	$('#flash').append(d);
	setTimeout(() => d.remove(), 4000);
}

/* ---- names and formats ---- */

function tierOf(path) {
	const segs = path.split('/');
	if (segs.some((s) => s.startsWith('@')))
		return 'dept';
	return segs.length === 1 ? 'county' : segs.length === 2 ? 'town' : 'village';
}

const last = (path) => path.slice(path.lastIndexOf('/') + 1);
const isDept = (path) => path.split('/').some((s) => s.startsWith('@'));
const isOpen = (c) => c.status === 'open' || c.status === 'dispatched';
const isAncestor = (a, b) => b.startsWith(a + '/');

/* The village a case came from: its owner cut to three segments. */
function villageOf(c) {
	return c.owner.split('/').slice(0, 3).join('/');
}

function placeName(path) {
	if (S.me && path === S.me.path)
		return t('this_node');
	return t('tier_' + tierOf(path)) + ' ' + last(path);
}

function catLabel(key) {
	if (S.lang === 'en' && L.en['cat_' + key])
		return L.en['cat_' + key];
	const c = S.cats.find((x) => x.key === key);
	return c ? c.label : key;
}

/* An HLC is unix ms << 16; JSON numbers that large lose only the low bits. */
const hlcMs = (hlc) => Math.floor(hlc / 65536);

/* In the browser's time zone (a county's screens are on China time). */
function fmtTime(ms, seconds) {
	if (!ms)
		return '-';
	const d = new Date(ms);
	const p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
	    `${p(d.getHours())}:${p(d.getMinutes())}` + (seconds ? ':' + p(d.getSeconds()) : '');
}

function ago(ms) {
	if (!ms)
		return t('never');
	const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
	if (s < 60)
		return t('ago_s', { n: s });
	if (s < 3600)
		return t('ago_m', { n: Math.floor(s / 60) });
	if (s < 86400)
		return t('ago_h', { n: Math.floor(s / 3600) });
	return t('ago_d', { n: Math.floor(s / 86400) });
}

const pct = (r) => (r === null || r === undefined) ? '-' : (r * 100).toFixed(1) + '%';

/* Periods are China Standard Time on every node (README "Rates"). */
function cstMonth(back) {
	const d = new Date(Date.now() + 8 * 3600e3);
	const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1));
	return m.toISOString().slice(0, 7);
}

function daysOf(month) {
	const [y, m] = month.split('-').map(Number);
	const n = new Date(Date.UTC(y, m, 0)).getUTCDate();
	return Array.from({ length: n }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}

function statusBadge(c) {
	return [h('span', { class: 'badge st-' + c.status, testid: 'status' }, t('status_' + c.status)),
	    c.overdue ? h('span', { class: 'badge overdue', testid: 'overdue' }, t('overdue')) : null];
}

/* ---- the API ---- */

class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

/* Relative URLs, so the dashboard also works behind a proxy's sub-path. */
async function api(method, path, body, key) {
	const headers = { Authorization: 'Bearer ' + S.token };
	const init = { method, headers, cache: 'no-store' };
	if (body !== undefined) {
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	if (key)
		headers['Idempotency-Key'] = key;
	const r = await fetch(path, init);
	const text = await r.text();
	let data = null;
	try {
		data = text ? JSON.parse(text) : null;
	} catch (e) {
		data = null;
	}
	if (r.status === 401) {
		showLogin(S.me ? t('login_expired') : t('login_bad'));
		throw new ApiError(401, 'unauthorized', data?.message || 'unauthorized');
	}
	if (!r.ok)
		throw new ApiError(r.status, data?.error || 'http_' + r.status,
		    data?.message || r.status + ' ' + r.statusText);
	return data;
}

function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params))
		if (v !== '' && v !== false && v !== null && v !== undefined)
			q.set(k, v === true ? '1' : v);
	const s = q.toString();
	return s ? '?' + s : '';
}

const caseUrl = (id) => 'api/cases/' + encodeURIComponent(id);

/* Not crypto.randomUUID: browsers give it only to secure origins, and a
 * town's dashboard is often plain http on the LAN. */
function newKey() {
	const b = new Uint8Array(16);
	crypto.getRandomValues(b);
	return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/* A write with its Idempotency-Key. A request that never got an answer
 * keeps its key, so the same submission retried is applied at most once;
 * any answer (even an error: nothing was written) ends it. */
async function post(form, path, body) {
	const sig = path + '\n' + JSON.stringify(body);
	let p = S.pending.get(form);
	if (!p || p.sig !== sig) {
		p = { sig, key: newKey() };
		S.pending.set(form, p);
	}
	try {
		const r = await api('POST', path, body, p.key);
		S.pending.delete(form);
		return r;
	} catch (e) {
		if (e instanceof ApiError)
			S.pending.delete(form);
		throw e;
	}
}

const errText = (e) => e instanceof ApiError ? e.message : t('net_error');

/* ---- login ---- */

function showLogin(message) {
	const box = $('#login');
	box.replaceChildren(h('form', { testid: 'login-form', onsubmit: onLogin },
	    h('h2', null, t('login_title')),
	    h('div', { class: 'muted' }, t('login_hint')),
	    message ? h('div', { class: 'err', testid: 'login-error' }, message) : null,
	    h('label', null, t('login_token')),
	    h('input', { type: 'password', name: 'token', autocomplete: 'off', testid: 'login-token',
	        required: true, pattern: '[0-9a-fA-F]{64}' }),
	    h('div', { class: 'row' },
	        h('button', { type: 'button', class: 'btn', testid: 'login-lang', onclick: toggleLang },
	            t('lang_toggle')),
	        h('button', { type: 'submit', class: 'btn primary', testid: 'login-submit' },
	            t('login_submit')))));
	box.hidden = false;
	box.querySelector('input').focus();
}

function onLogin(ev) {
	ev.preventDefault();
	S.token = ev.target.token.value.trim().toLowerCase();
	S.me = null;
	localStorage.setItem('gs.token', S.token);
	boot();
}

function logout() {
	localStorage.removeItem('gs.token');
	S.token = '';
	S.me = null;
	showLogin();
}

function toggleLang() {
	S.lang = S.lang === 'zh' ? 'en' : 'zh';
	localStorage.setItem('gs.lang', S.lang);
	document.documentElement.lang = S.lang === 'zh' ? 'zh-CN' : 'en';
	document.title = t('app_title') + ' · gridsync';
	S.drawn.clear();
	if (!$('#login').hidden)
		showLogin();
	if (S.me)
		renderAll();
}

/* ---- start ---- */

async function boot() {
	document.documentElement.lang = S.lang === 'zh' ? 'zh-CN' : 'en';
	document.title = t('app_title') + ' · gridsync';
	if (!S.token)
		return showLogin();
	try {
		S.me = await api('GET', 'api/whoami');
	} catch (e) {
		if (e.status !== 401)
			showLogin(errText(e));
		return;
	}
	$('#login').hidden = true;
	S.tier = tierOf(S.me.path);
	S.cats = await api('GET', 'api/categories').catch(() => []);
	S.month = S.month || cstMonth(0);
	route();
	tick();
}

function tabs() {
	switch (S.tier) {
	case 'county': return ['county', 'center'];
	case 'town': return ['center', 'stats', 'report'];
	case 'village': return ['center', 'report', 'stats'];
	default: return ['center', 'stats'];
	}
}

function route() {
	if (!S.me)
		return;
	const p = new URLSearchParams(location.hash.slice(1));
	const id = p.get('case');
	if (id) {
		if (id !== S.caseId) {
			S.kase = null;
			S.openAction = '';
		}
		S.view = 'case';
		S.caseId = id;
	} else {
		const v = p.get('view');
		S.view = tabs().includes(v) ? v : tabs()[0];
		S.caseId = '';
	}
	S.drawn.clear();
	renderAll();
	refreshView().catch(() => {});
}

function go(hash) {
	if (location.hash === hash)
		route();
	else
		location.hash = hash;
}

/* Polls every 2 s: link health, and what the current view shows. */
let busy = false;
async function tick() {
	if (busy || !S.me || !$('#login').hidden)
		return;
	busy = true;
	try {
		await Promise.all([refreshPeers(), refreshView()]);
		setLive(true);
	} catch (e) {
		if (e.status !== 401)
			setLive(false);
	} finally {
		busy = false;
		S.ticks++;
	}
}

async function refreshView() {
	switch (S.view) {
	case 'center':
		return refreshCases();
	case 'case':
		return refreshCase();
	case 'stats':
	case 'county':
		// Rollups change every few seconds at most: every 5th tick.
		if (S.stats === null || S.stats.period !== S.month || S.ticks % 5 === 0)
			return refreshStats();
		return undefined;
	default:
		return undefined;
	}
}

function setLive(ok) {
	const el = $('#live');
	if (!el)
		return;
	el.classList.toggle('down', !ok);
	const now = new Date().toLocaleTimeString('zh-CN', { hour12: false });
	el.textContent = ok ? `${t('live')} · ${t('updated')} ${now}` : t('offline_api');
}

/* ---- the page frame ---- */

function renderAll() {
	renderHeader();
	renderMain();
	renderPeers();
}

function renderHeader() {
	const cur = S.view === 'case' ? 'center' : S.view;
	$('#top').replaceChildren(
	    h('div', { class: 'brand' },
	        h('div', { class: 'logo' }, '网'),
	        h('div', null,
	            h('h1', { testid: 'app-title' }, t('app_title')),
	            h('div', { class: 'node' },
	                h('span', { class: 'tier', testid: 'node-tier' }, t('tier_' + S.tier)),
	                h('b', { testid: 'node-path' }, S.me.path)))),
	    h('nav', { class: 'tabs' }, tabs().map((v) =>
	        h('a', { href: '#view=' + v, class: v === cur ? 'on' : '', testid: 'tab-' + v },
	            t('tab_' + v)))),
	    h('div', { class: 'right' },
	        h('span', { id: 'live', class: 'live' }, t('live')),
	        h('button', { type: 'button', testid: 'lang-toggle', onclick: toggleLang }, t('lang_toggle')),
	        h('button', { type: 'button', testid: 'logout', onclick: logout }, t('logout'))));
}

function renderMain() {
	const main = $('#main');
	switch (S.view) {
	case 'case':
		fill(main, casePage());
		drawCase();
		break;
	case 'report':
		main.replaceChildren(reportForm());
		break;
	case 'stats':
	case 'county':
		fill(main, statsPage());
		drawStats();
		break;
	default:
		fill(main, centerPage());
		drawCenter();
	}
}

/* Redraws a section only when its data changed, so rows do not flicker
 * (or move under the pointer) on every poll. */
function changed(name, data) {
	const j = JSON.stringify([S.lang, data]);
	if (S.drawn.get(name) === j)
		return false;
	S.drawn.set(name, j);
	return true;
}

/* ---- link health ---- */

async function refreshPeers() {
	S.peers = await api('GET', 'api/peers');
	renderPeers();
}

function renderPeers() {
	const side = $('#side');
	if (!changed('peers', [S.peers, Math.floor(Date.now() / 10000)]) && side.firstChild)
		return;
	const ps = [...S.peers].sort((a, b) => (a.role === 'parent' ? 0 : 1) - (b.role === 'parent' ? 0 : 1) ||
	    Number(a.connected) - Number(b.connected) || a.path.localeCompare(b.path));
	const up = ps.filter((p) => p.connected).length;
	side.replaceChildren(h('section', { class: 'panel', testid: 'peers' },
	    h('h2', null, t('peers'),
	        h('span', { class: 'end', testid: 'peers-summary' },
	            t('peers_sum', { n: ps.length, up, down: ps.length - up }))),
	    ps.length === 0 ? h('div', { class: 'empty' }, t('no_peers')) :
	    h('div', { class: 'scroll' }, h('table', { testid: 'peers-table' },
	        h('thead', null, h('tr', null,
	            h('th', null, t('col_peer')), h('th', null, t('col_role')),
	            h('th', null, t('col_link')), h('th', null, t('col_seen')),
	            h('th', { class: 'num' }, t('col_in')), h('th', { class: 'num' }, t('col_out')))),
	        h('tbody', null, ps.map((p) => [
	            h('tr', { class: p.connected ? '' : 'offline', testid: 'peer-row', 'data-path': p.path,
	                'data-connected': String(p.connected),
	                title: p.path + (p.last_error ? '\n' + t('col_err') + ': ' + p.last_error : '') },
	                h('td', null, last(p.path)),
	                h('td', null, t('role_' + p.role)),
	                h('td', { class: p.connected ? 'up' : 'down' }, t(p.connected ? 'link_up' : 'link_down')),
	                h('td', null, ago(p.last_seen_ms)),
	                h('td', { class: 'num' }, p.behind_in),
	                h('td', { class: 'num' }, p.behind_out)),
	            p.last_error && !p.connected ? h('tr', { class: 'offline' },
	                h('td', { colspan: 6, class: 'err' }, t('col_err') + ': ' + p.last_error)) : null,
	        ]))))));
}

/* ---- command center ---- */

/* The whole case list is big at a town with years of cases, and the
 * daemon answers it on the loop that also syncs: fetch it only when the
 * node's feed moved or the filters changed, and every 30 s for overdue
 * flags that turn by the clock alone. */
async function refreshCases() {
	const f = S.filters;
	const me = await api('GET', 'api/whoami');
	const key = JSON.stringify([me.feed_seq, f]);
	if (S.cases !== null && key === S.casesKey && S.ticks % 15 !== 0) {
		if (S.view === 'center')
			drawCenter();
		return;
	}
	const all = await api('GET', 'api/cases');
	const filtered = f.status || f.village || f.category || f.overdue;
	const list = filtered ? await api('GET', 'api/cases' + query(f)) : all;
	if (S.view !== 'center')
		return;
	S.cases = all;
	S.list = list;
	S.casesKey = key;
	drawCenter();
}

function centerPage() {
	const f = S.filters;
	const onf = (key) => (ev) => {
		f[key] = ev.target.type === 'checkbox' ? ev.target.checked : ev.target.value;
		refreshCases().catch((e) => flash(errText(e), true));
	};
	return [
	    h('div', { class: 'kpis', id: 'kpis' }),
	    h('div', { class: 'row2' },
	        h('section', { class: 'panel' }, h('h2', null, t('by_village')),
	            h('div', { id: 'byvillage', class: 'scroll' })),
	        h('section', { class: 'panel' }, h('h2', null, t('by_category')),
	            h('div', { id: 'bycategory', class: 'scroll' }))),
	    h('section', { class: 'panel' },
	        h('h2', null, t('cases'), h('span', { class: 'sub' }, t('cases_live')),
	            h('span', { class: 'end', id: 'ncases', testid: 'case-count' })),
	        h('div', { class: 'filters' },
	            h('label', null, t('f_status'), select({ testid: 'filter-status', onchange: onf('status') },
	                [['', t('all')], ...STATUSES.map((s) => [s, t('status_' + s)])], f.status)),
	            h('label', null, t('f_village'), select({ id: 'fvillage', testid: 'filter-village',
	                onchange: onf('village') }, villageOptions(), f.village)),
	            h('label', null, t('f_category'), select({ testid: 'filter-category', onchange: onf('category') },
	                [['', t('all')], ...S.cats.map((c) => [c.key, catLabel(c.key)])], f.category)),
	            h('label', null, h('input', { type: 'checkbox', testid: 'filter-overdue', checked: f.overdue,
	                onchange: onf('overdue') }), t('f_overdue'))),
	        h('div', { id: 'caselist', class: 'scroll caselist' })),
	];
}

/* The villages to filter by: the children linked here and every village
 * a case held here came from. */
function villageOptions() {
	const vs = new Set(S.peers.filter((p) => p.role === 'child' && !isDept(p.path)).map((p) => p.path));
	for (const c of S.cases || [])
		vs.add(villageOf(c));
	return [['', t('all')], ...[...vs].sort().map((v) => [v, placeName(v)])];
}

function drawCenter() {
	if (S.view !== 'center' || S.cases === null || !$('#caselist'))
		return;
	if (changed('center', S.cases)) {
		const cs = S.cases;
		const n = (p) => cs.filter(p).length;
		const kpi = (cls, key, v) => h('div', { class: 'kpi ' + cls, testid: 'kpi-' + key },
		    h('div', { class: 'v' }, v), h('div', { class: 'k' }, t('kpi_' + key)));
		$('#kpis').replaceChildren(
		    kpi('', 'active', n(isOpen)),
		    kpi('warn', 'dispatched', n((c) => c.status === 'dispatched')),
		    kpi('bad', 'overdue', n((c) => c.overdue)),
		    kpi('', 'resolved', n((c) => c.status === 'resolved')),
		    kpi('ok', 'closed', n((c) => c.status === 'closed')));
		$('#byvillage').replaceChildren(countTable('by-village', t('col_village'), cs, villageOf,
		    (k) => placeName(k)));
		$('#bycategory').replaceChildren(countTable('by-category', t('col_category'), cs,
		    (c) => c.category, catLabel));
		$('#fvillage').replaceChildren(...villageOptions().map(([v, label]) =>
		    h('option', { value: v, selected: v === S.filters.village }, label)));
	}
	if (changed('list', S.list)) {
		$('#ncases').textContent = t('n_cases', { n: S.list.length });
		$('#caselist').replaceChildren(caseTable(S.list, 'case-list'));
	}
}

/* Open (in hand) and overdue cases per group; groups with none in hand
 * still show their total so a quiet village is seen to be quiet. */
function countTable(testid, head, cases, keyOf, label) {
	const g = new Map();
	for (const c of cases) {
		const k = keyOf(c);
		const r = g.get(k) || { active: 0, overdue: 0, total: 0 };
		r.total++;
		if (isOpen(c))
			r.active++;
		if (c.overdue)
			r.overdue++;
		g.set(k, r);
	}
	const rows = [...g.entries()].sort((a, b) => b[1].overdue - a[1].overdue ||
	    b[1].active - a[1].active || a[0].localeCompare(b[0]));
	const sum = (f) => rows.reduce((s, [, r]) => s + r[f], 0);
	return h('table', { testid },
	    h('thead', null, h('tr', null, h('th', null, head), h('th', { class: 'num' }, t('col_active')),
	        h('th', { class: 'num' }, t('col_overdue')), h('th', { class: 'num' }, t('col_total')))),
	    h('tbody', null, rows.map(([k, r]) => h('tr', { 'data-key': k, testid: 'count-row' },
	        h('td', { title: k }, label(k)),
	        h('td', { class: 'num', 'data-col': 'active' }, r.active),
	        h('td', { class: 'num', 'data-col': 'overdue' }, r.overdue ?
	            h('span', { class: 'badge overdue' }, r.overdue) : 0),
	        h('td', { class: 'num', 'data-col': 'total' }, r.total))),
	        h('tr', { class: 'total' }, h('td', null, t('total')), h('td', { class: 'num' }, sum('active')),
	            h('td', { class: 'num' }, sum('overdue')), h('td', { class: 'num' }, sum('total')))));
}

/* Cases in hand first, then the most recently changed; a long history is
 * cut (the filters reach the rest). */
function caseTable(cases, testid) {
	if (cases.length === 0)
		return h('div', { class: 'empty', testid }, t('none'));
	const rows = [...cases].sort((a, b) => Number(isOpen(b)) - Number(isOpen(a)) ||
	    Number(b.overdue) - Number(a.overdue) || b.updated - a.updated).slice(0, MAX_ROWS);
	return h('table', { testid },
	    h('thead', null, h('tr', null,
	        ['col_id', 'col_title', 'col_category', 'col_level', 'col_status',
	            'col_severity', 'col_updated'].map((k) => h('th', null, t(k))))),
	    h('tbody', null, rows.map((c) => h('tr', { class: 'click', testid: 'case-row',
	        'data-case-id': c.id, 'data-status': c.status, 'data-level': c.level,
	        onclick: () => go('#case=' + encodeURIComponent(c.id)) },
	        h('td', { class: 'mono nowrap', title: c.id }, last(c.owner) + '#…' + c.id.slice(-6)),
	        h('td', { class: 'title', title: c.title }, c.title),
	        h('td', { class: 'nowrap' }, catLabel(c.category)),
	        h('td', { class: 'nowrap', title: c.level }, placeName(c.level)),
	        h('td', { class: 'nowrap' }, statusBadge(c)),
	        h('td', { class: 'nowrap' }, t('severity_' + (c.severity || 'unset'))),
	        h('td', { class: 'num' }, fmtTime(hlcMs(c.updated)))))),
	    cases.length > MAX_ROWS ? h('tfoot', null, h('tr', null, h('td', { colspan: 7, class: 'muted' },
	        t('cut', { n: MAX_ROWS })))) : null);
}

/* ---- case page ---- */

async function refreshCase() {
	const id = S.caseId;
	let c;
	try {
		c = await api('GET', caseUrl(id));
	} catch (e) {
		if (e.status === 404 && S.caseId === id) {
			$('#casebody')?.replaceChildren(h('div', { class: 'empty', testid: 'case-missing' }, e.message));
			return;
		}
		throw e;
	}
	if (S.view !== 'case' || S.caseId !== id)
		return;
	S.kase = c;
	drawCase();
}

function casePage() {
	return [
	    h('div', { class: 'toolbar' }, h('a', { href: '#view=center', class: 'btn', testid: 'back' }, t('back'))),
	    h('section', { class: 'panel', testid: 'case-page', id: 'casebody' }),
	    h('section', { class: 'panel' }, h('h2', null, t('actions')),
	        h('div', { class: 'body', id: 'actions' })),
	    h('section', { class: 'panel' }, h('h2', null, t('timeline')), h('div', { id: 'timeline' })),
	];
}

function myAssignment(c) {
	return (c.assignments || []).find((a) => a.department === S.me.path);
}

/* Which buttons to offer, from the case's state and this node's place
 * (node/fold.c and node/trust.c decide; a button shown in error gets the
 * API's refusal message). */
const ACTIONS = [
	{ verb: 'whistle', fields: [['reason', 'text']],
	  can: (c, me) => isOpen(c) && c.level === me && me.includes('/') },
	{ verb: 'dispatch', fields: [['to', 'dept', true], ['ack-hours', 'number'],
	      ['resolve-hours', 'number'], ['note', 'text']],
	  can: (c, me) => isOpen(c) && c.level === me && isAncestor(me, c.owner) },
	{ verb: 'ack', fields: [['note', 'text']],
	  can: (c) => c.status === 'dispatched' && myAssignment(c) && !myAssignment(c).acked },
	{ verb: 'resolve', fields: [['outcome', OUTCOMES, true], ['note', 'text']],
	  can: (c, me) => isOpen(c) && (c.level === me || (myAssignment(c) && !myAssignment(c).resolved)) },
	{ verb: 'progress', fields: [['note', 'text', true]], can: () => true },
	{ verb: 'followup', fields: [['satisfaction', SATISFACTIONS, true], ['note', 'text']],
	  can: (c, me) => c.status === 'resolved' && (c.owner === me || isAncestor(me, c.owner) &&
	      !c.owner.slice(me.length + 1).includes('/')) },
	{ verb: 'return', fields: [['reason', 'text', true]],
	  can: (c, me) => isOpen(c) && c.level === me && isAncestor(me, c.owner) },
	{ verb: 'supervise', fields: [['note', 'text']], can: (c, me) => isOpen(c) && isAncestor(me, c.level) },
	{ verb: 'reopen', fields: [['reason', 'text', true]],
	  can: (c, me) => (c.status === 'resolved' || c.status === 'closed') && (c.owner === me || c.level === me) },
];

function drawCase() {
	const c = S.kase;
	if (S.view !== 'case' || !c || !$('#casebody'))
		return;
	if (changed('case', c)) {
		const fact = (k, v, testid) => [h('dt', null, t(k)), h('dd', { testid }, v)];
		fill($('#casebody'),
		    h('div', { class: 'casehead' }, h('h2', { testid: 'case-title' }, c.title), statusBadge(c),
		        h('span', { class: 'end muted' }, t('case_id') + ' ',
		            h('span', { class: 'mono', testid: 'case-id' }, c.id))),
		    h('dl', { class: 'facts' },
		        fact('category', c.category_label && S.lang === 'zh' ? c.category_label : catLabel(c.category)),
		        fact('severity', t('severity_' + (c.severity || 'unset'))),
		        fact('created', fmtTime(hlcMs(c.created))),
		        fact('owner', c.owner, 'case-owner'),
		        fact('level', c.level, 'case-level'),
		        fact('peak', c.peak),
		        fact('grid', c.grid || '-'),
		        fact('reporter', c.reporter || '-'),
		        fact('outcome', t('outcome_' + (c.outcome || 'unset')), 'case-outcome'),
		        fact('satisfaction', t('satisfaction_' + (c.satisfaction || 'unset'))),
		        fact('whistles', c.whistles),
		        fact('supervisions', c.supervisions),
		        fact('visible', (c.visible || []).map(last).join('、'))),
		    c.description ? h('div', { class: 'desc' }, c.description) : null,
		    (c.assignments || []).length ? h('div', null, h('table', { testid: 'assignments' },
		        h('thead', null, h('tr', null, ['col_dept', 'col_acked', 'col_resolved', 'col_ack_deadline',
		            'col_resolve_deadline'].map((k) => h('th', null, t(k))))),
		        h('tbody', null, c.assignments.map((a) => h('tr', { 'data-dept': a.department },
		            h('td', null, a.department),
		            h('td', { class: a.acked ? 'up' : '' }, t(a.acked ? 'yes' : 'no')),
		            h('td', { class: a.resolved ? 'up' : '' }, t(a.resolved ? 'yes' : 'no')),
		            h('td', null, fmtTime(a.ack_deadline_ms)),
		            h('td', null, fmtTime(a.resolve_deadline_ms))))))) : null);
		$('#timeline').replaceChildren(h('table', { testid: 'timeline' },
		    h('thead', null, h('tr', null, ['col_time', 'col_kind', 'col_signer', 'col_actor', 'col_text',
		        'col_flag'].map((k) => h('th', null, t(k))))),
		    h('tbody', null, (c.timeline || []).map((e) => h('tr', { testid: 'timeline-row', 'data-kind': e.kind,
		        'data-flag': e.flag, class: e.flag === 'ok' ? '' : 'conflict' },
		        h('td', { class: 'nowrap', title: e.time }, fmtTime(hlcMs(e.hlc), true)),
		        h('td', { class: 'kind', testid: 'timeline-kind' }, t('kind_' + e.kind)),
		        h('td', { title: e.signer }, e.signer),
		        h('td', null, e.actor),
		        h('td', null, e.text),
		        h('td', { title: e.reason || '' }, t('flag_' + e.flag) + (e.reason ? ': ' + e.reason : '')))))));
	}
	const verbs = ACTIONS.filter((a) => a.can(c, S.me.path)).map((a) => a.verb);
	// Keep an open form (and what is typed in it) across polls.
	if (!S.openAction && changed('actions', verbs))
		drawActions(verbs);
}

function drawActions(verbs) {
	$('#actions').replaceChildren(h('div', { class: 'actions', testid: 'actions' }, verbs.map((v) =>
	    h('button', { type: 'button', class: 'btn' + (v === 'whistle' ? ' danger' : ''),
	        testid: 'action-' + v, onclick: () => openAction(v, verbs) }, t('kind_' + v)))),
	    h('div', { id: 'actform' }));
}

function openAction(verb, verbs) {
	S.openAction = verb;
	drawActions(verbs);
	$('[data-testid=action-' + verb + ']').classList.add('primary');
	const def = ACTIONS.find((a) => a.verb === verb);
	const rows = def.fields.map(([name, type, req]) => {
		let input;
		if (type === 'dept') {
			const depts = S.peers.map((p) => p.path).filter(isDept).sort();
			input = h('span', { class: 'toolbar' },
			    select({ name, testid: 'dispatch-to' },
			        [['', t('choose')], ...depts.map((d) => [d, d])], depts.length === 1 ? depts[0] : ''),
			    h('input', { type: 'text', name: 'to_text', testid: 'dispatch-to-text',
			        placeholder: t('f_to_text') }));
		} else if (Array.isArray(type)) {
			input = select({ name, testid: 'field-' + name, required: req },
			    [['', t('choose')], ...type.map((o) => [o, t(name + '_' + o)])], '');
		} else {
			input = h('input', { type: type === 'number' ? 'number' : 'text', name, step: 'any', min: 0,
			    testid: 'field-' + name, required: req && type !== 'dept' });
		}
		return [h('label', { class: req ? 'req' : '' }, t('f_' + name)), input];
	});
	const form = h('form', { class: 'actform', testid: 'action-form', 'data-verb': verb,
	    onsubmit: (ev) => submitAction(ev, verb) },
	    h('div', { class: 'form' }, rows,
	        h('div', { class: 'full toolbar' },
	            h('button', { type: 'submit', class: 'btn primary', testid: 'action-submit' },
	                t('submit') + ' · ' + t('kind_' + verb)),
	            h('button', { type: 'button', class: 'btn', testid: 'action-cancel', onclick: closeAction },
	                t('cancel')))),
	    h('div', { class: 'msg', testid: 'action-message' }));
	$('#actform').replaceChildren(form);
	form.querySelector('input, select')?.focus();
}

function closeAction() {
	S.openAction = '';
	S.drawn.delete('actions');
	drawCase();
}

async function submitAction(ev, verb) {
	ev.preventDefault();
	const form = ev.target;
	const msg = form.querySelector('.msg');
	const body = {};
	for (const [name, type] of ACTIONS.find((a) => a.verb === verb).fields) {
		let v = type === 'dept' ? (form.to_text.value.trim() || form.to.value) : form[name].value.trim();
		if (v === '')
			continue;
		body[name] = type === 'number' ? Number(v) : v;
	}
	const btn = form.querySelector('[type=submit]');
	btn.disabled = true;
	msg.className = 'msg';
	msg.textContent = '';
	try {
		await post('case:' + verb, caseUrl(S.caseId) + '/' + verb, body);
		flash(t('submitted', { what: t('kind_' + verb) }));
		closeAction();
		await refreshCase();
	} catch (e) {
		msg.className = 'msg bad';
		msg.setAttribute('data-testid', 'action-error');
		msg.textContent = errText(e);
	} finally {
		btn.disabled = false;
	}
}

/* ---- report (上报) ---- */

function reportForm() {
	const villages = S.peers.filter((p) => p.role === 'child' && !isDept(p.path)).map((p) => p.path).sort();
	const field = (key, input, req) => [h('label', { class: req ? 'req' : '' }, t(key)), input];
	return h('section', { class: 'panel' }, h('h2', null, t('report_title'), h('span', { class: 'sub' }, S.me.path)),
	    h('form', { class: 'body', testid: 'report-form', onsubmit: submitReport },
	        h('div', { class: 'form' },
	            field('r_category', select({ name: 'category', required: true, testid: 'report-category' },
	                [['', t('choose')], ...S.cats.map((c) => [c.key, catLabel(c.key)])], ''), true),
	            field('r_title', h('input', { type: 'text', name: 'title', required: true, maxlength: 200,
	                testid: 'report-title' }), true),
	            field('r_desc', h('textarea', { name: 'desc', testid: 'report-desc' })),
	            field('r_grid', h('input', { type: 'text', name: 'grid', testid: 'report-grid' })),
	            field('r_reporter', h('input', { type: 'text', name: 'reporter', testid: 'report-reporter' })),
	            field('r_severity', select({ name: 'severity', testid: 'report-severity' },
	                [['', t('severity_unset')], ...SEVERITIES.map((s) => [s, t('severity_' + s)])], '')),
	            S.tier === 'town' ? field('r_for', select({ name: 'for', testid: 'report-for' },
	                [['', t('r_for_self')], ...villages.map((v) => [v, last(v)])], '')) : null,
	            h('div', { class: 'full' }, h('button', { type: 'submit', class: 'btn primary',
	                testid: 'report-submit' }, t('r_submit')))),
	        h('div', { class: 'msg', testid: 'report-message' })));
}

async function submitReport(ev) {
	ev.preventDefault();
	const form = ev.target;
	const body = {};
	for (const name of ['category', 'title', 'desc', 'grid', 'reporter', 'severity', 'for']) {
		const v = form[name]?.value.trim();
		if (v)
			body[name] = v;
	}
	const msg = form.querySelector('.msg');
	const btn = form.querySelector('[type=submit]');
	btn.disabled = true;
	try {
		const r = await post('report', 'api/cases', body);
		flash(t('reported', { id: r.case }));
		go('#case=' + encodeURIComponent(r.case));
	} catch (e) {
		msg.className = 'msg bad';
		msg.setAttribute('data-testid', 'report-error');
		msg.textContent = errText(e);
	} finally {
		btn.disabled = false;
	}
}

/* ---- county view and statistics ---- */

function statsBy() {
	return S.tier === 'county' ? 'town' : S.tier === 'town' ? 'village' : 'category';
}

async function refreshStats() {
	const month = S.month;
	const [stats, cc] = await Promise.all([
	    api('GET', 'api/stats' + query({ period: month, by: statsBy() })),
	    S.tier === 'dept' ? Promise.resolve([]) : api('GET', 'api/cases?level=county'),
	]);
	if (month !== S.month)
		return;
	S.stats = stats;
	S.countyCases = cc;
	drawStats();
	if (!S.trend || S.trend.month !== month || S.ticks % 15 === 0) {
		const days = await trendOf(month);
		if (month !== S.month)
			return;
		S.trend = { month, days };
		drawStats();
	}
}

/* The month's days from by=day; a node without it is asked day by day. */
async function trendOf(month) {
	const row = (day, g) => ({ day, received: g ? g.received : 0, settled: g ? g.settled : 0,
	    closure: g && g.rates ? g.rates.closure : null });
	try {
		const st = await api('GET', 'api/stats' + query({ period: month, by: 'day' }));
		const byDay = new Map(st.groups.map((g) => [g.key, g]));
		return daysOf(month).map((d) => row(d, byDay.get(d)));
	} catch (e) {
		if (!(e instanceof ApiError) || e.status !== 400)
			throw e;
	}
	const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
	return Promise.all(daysOf(month).map((d) => d > today ? row(d, null) :
	    api('GET', 'api/stats' + query({ period: d })).then((st) => row(d, st.total))));
}

function statsPage() {
	const setMonth = (m) => {
		S.month = m;
		S.stats = null;
		S.trend = null;
		S.drawn.clear();
		renderMain();
		refreshStats().catch((e) => flash(errText(e), true));
	};
	const rollupKey = S.tier === 'county' ? 'rollup_towns' : S.tier === 'town' ? 'rollup_villages' :
	    'rollup_categories';
	return [
	    h('div', { class: 'toolbar' },
	        h('label', null, t('month') + ' ',
	            // A list of months rather than <input type=month>, which
	            // speaks the browser's language, not the page's.
	            select({ testid: 'month-picker', onchange: (ev) => setMonth(ev.target.value) },
	                Array.from({ length: 25 }, (_, i) => [cstMonth(i), cstMonth(i)]), S.month)),
	        h('button', { type: 'button', class: 'btn' + (S.month === cstMonth(0) ? ' primary' : ''),
	            testid: 'month-this', onclick: () => setMonth(cstMonth(0)) }, t('this_month')),
	        h('button', { type: 'button', class: 'btn' + (S.month === cstMonth(1) ? ' primary' : ''),
	            testid: 'month-last', onclick: () => setMonth(cstMonth(1)) }, t('last_month')),
	        h('span', { class: 'muted', id: 'source', testid: 'stats-source' })),
	    h('section', { class: 'panel' }, h('h2', null, t(rollupKey), h('span', { class: 'sub' }, S.month)),
	        h('div', { id: 'rollup', class: 'scroll' })),
	    h('section', { class: 'panel' }, h('h2', null, t('trend'), h('span', { class: 'sub' }, t('trend_sub')),
	        h('span', { class: 'end legend' },
	            h('span', null, h('i', { style: 'background:var(--received)' }), t('count_received')),
	            h('span', null, h('i', { style: 'background:var(--settled)' }), t('count_settled')),
	            h('span', null, h('i', { style: 'background:var(--rate);height:3px' }), t('rate_closure')))),
	        h('div', { id: 'trend', class: 'body chart' })),
	    S.tier === 'dept' ? null : h('section', { class: 'panel' }, h('h2', null, t('county_cases'),
	        h('span', { class: 'end', id: 'ncounty' })), h('div', { id: 'countycases', class: 'scroll caselist' })),
	];
}

function drawStats() {
	if ((S.view !== 'stats' && S.view !== 'county') || !$('#rollup'))
		return;
	const st = S.stats;
	if (st && changed('rollup', st)) {
		$('#source').textContent = t(st.source === 'rollups' ? 'source_rollups' : 'source_cases');
		$('#rollup').replaceChildren(rollupTable(st));
	}
	if (S.trend && changed('trend', S.trend))
		$('#trend').replaceChildren(trendChart(S.trend.days));
	if (S.countyCases && $('#countycases') && changed('countycases', S.countyCases)) {
		$('#ncounty').textContent = t('n_cases', { n: S.countyCases.length });
		$('#countycases').replaceChildren(caseTable(S.countyCases, 'county-cases'));
	}
}

function rollupTable(st) {
	const label = (k) => st.by === 'category' ? catLabel(k) : placeName(k);
	const cells = (g) => [
	    ...COUNTS.map((k) => h('td', { class: 'num', 'data-col': k }, g[k])),
	    ...RATES.map((r) => h('td', { class: 'num', 'data-col': r }, pct(g.rates[r]))),
	];
	return h('table', { testid: 'rollup-table' },
	    h('thead', null, h('tr', null, h('th', null, t('col_group')),
	        COUNTS.map((k) => h('th', { class: 'num' }, t('count_' + k))),
	        RATES.map((r) => h('th', { class: 'num' }, t('rate_' + r))))),
	    h('tbody', null,
	        st.groups.map((g) => h('tr', { testid: 'rollup-row', 'data-key': g.key },
	            h('td', { title: g.key }, label(g.key)), cells(g))),
	        h('tr', { class: 'total', testid: 'rollup-total' }, h('td', null, t('total')), cells(st.total))));
}

/* Daily received and settled as bars, the closure rate as a line on its
 * own axis (0-100 %); days without cases have no rate and break the line. */
function trendChart(days) {
	const W = 880, H = 250, m = { l: 40, r: 46, t: 14, b: 28 };
	const pw = W - m.l - m.r, ph = H - m.t - m.b;
	const max = Math.max(4, ...days.map((d) => Math.max(d.received, d.settled)));
	const step = Math.ceil(max / 4);
	const top = step * 4;
	const gw = pw / days.length, bw = Math.max(2, gw * 0.34);
	const x = (i) => m.l + i * gw;
	const y = (v) => m.t + ph - (v / top) * ph;
	const yr = (r) => m.t + ph - r * ph;
	const out = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'data-testid': 'trend-chart',
	    'data-days': days.length });
	for (let i = 0; i <= 4; i++) {
		out.append(svg('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: y(i * step), y2: y(i * step) }),
		    svg('text', { x: m.l - 6, y: y(i * step) + 4, 'text-anchor': 'end' }, i * step),
		    svg('text', { x: W - m.r + 6, y: yr(i / 4) + 4 }, (i * 25) + '%'));
	}
	out.append(svg('line', { class: 'axis', x1: m.l, x2: W - m.r, y1: y(0), y2: y(0) }));
	days.forEach((d, i) => {
		const tip = `${d.day}  ${t('count_received')} ${d.received}  ${t('count_settled')} ${d.settled}  ` +
		    `${t('rate_closure')} ${pct(d.closure)}`;
		out.append(svg('g', { 'data-day': d.day, 'data-received': d.received, 'data-settled': d.settled },
		    svg('title', null, tip),
		    svg('rect', { x: x(i) + gw / 2 - bw, y: y(d.received), width: bw, height: y(0) - y(d.received),
		        fill: 'var(--received)' }),
		    svg('rect', { x: x(i) + gw / 2, y: y(d.settled), width: bw, height: y(0) - y(d.settled),
		        fill: 'var(--settled)' }),
		    (i % (gw < 18 ? 5 : 1) === 0 || i === days.length - 1) ?
		        svg('text', { x: x(i) + gw / 2, y: H - m.b + 14, 'text-anchor': 'middle' }, Number(d.day.slice(8))) :
		        null));
	});
	let path = '';
	days.forEach((d, i) => {
		if (d.closure === null)
			return;
		const prev = i > 0 && days[i - 1].closure !== null;
		path += `${prev ? 'L' : 'M'}${(x(i) + gw / 2).toFixed(1)},${yr(d.closure).toFixed(1)} `;
	});
	out.append(svg('path', { d: path.trim(), fill: 'none', stroke: 'var(--rate)', 'stroke-width': 2 }));
	days.forEach((d, i) => {
		if (d.closure !== null)
			out.append(svg('circle', { cx: x(i) + gw / 2, cy: yr(d.closure), r: 2.5, fill: 'var(--rate)' }));
	});
	return out;
}

/* ---- go ---- */

function start() {
	const p = new URLSearchParams(location.hash.slice(1));
	const token = p.get('token');
	if (token) {
		// Log in from the link, then take the token out of the address
		// bar (and so out of the history and any screenshot of it).
		S.token = token.trim().toLowerCase();
		localStorage.setItem('gs.token', S.token);
		history.replaceState(null, '', location.pathname + location.search);
	}
	window.addEventListener('hashchange', route);
	setInterval(tick, POLL_MS);
	boot();
}

start();
