// The operator console: signs in, then keeps every view current from the node's event stream
// (no reloads). Each journal entry's kind says which view to refresh.

import { Acknowledgements } from "./acknowledgements.js";
import { Alarm } from "./alarm.js";
import { api, ApiError, NodeUnreachable, streamEvents, token } from "./api.js";
import { Bundles } from "./bundles.js";
import { Compose } from "./compose.js";
import { showBlind } from "./blind.js";
import { renderConflicts } from "./conflicts.js";
import { MessageDetail } from "./detail.js";
import { language, loadLanguage, t } from "./i18n.js";
import { SiteImport } from "./imports.js";
import { Journal } from "./journal.js";
import { LineView } from "./line.js";
import { OpsMap } from "./map.js";
import { ProcessView } from "./processes.js";
import { remindToRevise } from "./resolutions.js";
import { Messages } from "./messages.js";
import { setUpNotifyForm } from "./notify.js";
import { alarmText, renderWarnings } from "./proximity.js";
import { DEFAULT_LOOKAHEAD_S, TrackLayer } from "./tracks.js";
import { FORK_KIND, raiseFork, raiseForks } from "./witness.js";
import { KEY_KINDS, raiseKeyChange, raiseKeyChanges } from "./keys.js";

const $ = (id) => document.getElementById(id);
const NODE_POLL_MS = 5000;
// An operator's own track reports are not journaled (docs/proximity.md: tracks live in memory),
// so no event says that one moved: the tracks are read this often while the page is visible.
const TRACK_POLL_MS = 3000;
// The open warnings shown: the API's largest page, sorted by key; the count is of them all.
const WARNINGS_SHOWN = 1000;
// More warnings (or envelopes not applied) new at once than this raise one alarm for them all,
// not a banner, a sound and a desktop notification each.
const ALARMS_ONE_BY_ONE = 5;

// The envelopes not applied the console lists (the most one "Acknowledge all" acknowledges), and
// how many of them an alarm for many names.
const NOT_APPLIED_SHOWN = 1000;
const NOT_APPLIED_NAMED = 3;
// The journal kinds that change which envelopes not applied wait for an acknowledgement.
const NOT_APPLIED_KINDS = new Set(["envelope.not_applied", "envelope.delivered_not_applied",
  "envelope.not_applied_acknowledged"]);

const state = { node: null, notifications: [], conflicts: [], tracks: [], warnings: [], notApplied: new Set(),
  notAppliedMany: new Map(), stop: null };

async function start() {
  const browser = navigator.language?.slice(0, 2);
  await loadLanguage(browser);
  $("signin-form").addEventListener("submit", signIn);
  // After a reload the session goes on without a sign-in click: the first click lets it beep.
  document.addEventListener("click", () => alarm.unlock(), { once: true });
  if (token.get()) {
    try {
      await open();
      return;
    } catch (error) {
      token.clear();
    }
  }
  $("signin").hidden = false;
}

async function signIn(event) {
  event.preventDefault();
  alarm.unlock();
  token.set($("token").value.trim());
  try {
    await open();
  } catch (error) {
    token.clear();
    $("signin-error").textContent = error instanceof ApiError && error.status === 401
      ? t("signin.refused") : t("error", { message: error.message });
  }
}

const alarm = new Alarm({ banner: $("alarms"), log: $("alarm-log"), logButton: $("alarm-log-button") });
const line = new LineView({ element: $("line"), alarm });
const processView = new ProcessView({ element: $("process") });
let messages, detail, journal, map, tracks, compose, acks;

async function open() {
  const node = await api("/api/v1/node");
  state.node = node;
  if (node.party.lang !== language()) await loadLanguage(node.party.lang);
  $("signin").hidden = true;
  $("console").hidden = false;
  $("party").textContent = node.party.party;
  $("party-name").textContent = node.party.name;
  processView.show(node);
  processView.follow();
  $("token").value = "";

  journal = new Journal({ view: $("tab-journal"), onError: showError });
  new Bundles({ dialog: $("bundles"), button: $("bundles-button"), peers: node.peers, onError: showError });
  new SiteImport({ dialog: $("imports"), button: $("imports-button"), onError: showError, onDone: refreshMap });
  const languages = new Map([node.party, ...node.peers].map((card) => [card.party, card.lang]));
  detail = new MessageDetail({ dialog: $("detail"), party: node.party.party, languages,
    onAcknowledge: (id) => messages.acknowledge(id),
    onShowOnMap: (places) => map.showMessage(places),
    onReply: (message) => {
      compose.replyTo(message);
      selectTab("compose");
    } });
  messages = new Messages({ inbox: $("inbox"), outbox: $("tab-outbox"), detail, onError: showError });
  map = new OpsMap({ element: $("map"), party: node.party.party, cursorDd: $("cursor-dd"),
    cursorMgrs: $("cursor-mgrs"), onError: showError,
    tools: { draw: $("draw"), finish: $("finish"), cancel: $("cancel"), hint: $("map-hint") } });
  tracks = new TrackLayer(map);
  acks = new Acknowledgements({ view: $("acks"), alarm, party: node.party.party, onError: showError });
  compose = new Compose({ view: $("tab-compose"), peers: node.peers, map, onError: showError,
    onSent: (message) => {
      map.cancel();
      toast(t("compose.sent", { id: message.id }));
      selectTab("outbox");
      refreshMessages();
    } });
  setUpTabs();
  setUpNotifyForm({ form: $("notify-form"), cancel: $("notify-cancel"), draw: $("draw"), map, peers: node.peers,
    onError: showError,
    onDone: async (created) => {
      toast(t("notify.done", { id: created.id, count: created.conflicts?.length ?? 0 }));
      await refreshMap();
    } });
  alarm.show(); // the title and icon, in the node's language
  line.show(node.peers);

  const phrasebook = api("/api/v1/templates").then(({ templates }) => {
    detail.templates = templates;
    compose.load(templates);
  });
  await Promise.all([refreshMessages(), refreshMap(), refreshTracks(), refreshNotApplied(), acks.refresh(),
    journal.load(node.journal.seq), phrasebook, map.loadBorders(), raiseForks(alarm, node.journal.seq),
    raiseKeyChanges(alarm, node.journal.seq)]);
  document.body.dataset.ready = "true"; // every view filled: what the e2e tests wait for
  const stop = new AbortController();
  state.stop = stop;
  streamEvents({ after: node.journal.seq, signal: stop.signal, onEvent: onEntry, onRefused: showError,
    onState: streamState });
  // The line's status is journaled when it changes; "last heard" moves without a change.
  const poll = setInterval(refreshNode, NODE_POLL_MS);
  const trackPoll = setInterval(() => {
    if (document.visibilityState === "visible") soon("tracks", refreshTracks);
  }, TRACK_POLL_MS);
  const clock = setInterval(tick, 1000);
  stop.signal.addEventListener("abort", () => { clearInterval(poll); clearInterval(trackPoll); clearInterval(clock); });
  $("signout").onclick = signOut;
  tick();
}

function signOut() {
  state.stop?.abort();
  token.clear();
  location.assign("/");
}

// One refresh per view however many entries arrive at once, and never two at a time: an entry
// arriving during a refresh asks for one more after it, so the last answer shown is the newest.
const refreshes = new Map();
function soon(name, job) {
  const view = refreshes.get(name) ?? { timer: null, running: false, again: false };
  refreshes.set(name, view);
  if (view.running) {
    view.again = true;
    return;
  }
  if (view.timer) return;
  view.timer = setTimeout(async () => {
    view.timer = null;
    view.running = true;
    try {
      await job();
    } catch (error) {
      showError(error);
    }
    view.running = false;
    if (view.again) {
      view.again = false;
      soon(name, job);
    }
  }, 100);
}

function onEntry(frame) {
  const { kind, entry } = frame;
  journal.add(entry);
  if (kind.startsWith("message.")) soon("messages", refreshMessages);
  if (kind.startsWith("notification.") || kind.startsWith("conflict.")) soon("map", refreshMap);
  if (kind.startsWith("notification.")) {
    soon("acks", () => acks.refresh());
    acks.onEntry(kind, entry.data);
  }
  if (kind === "line.status" || kind === "line.path_status" || kind === "line.leader") soon("node", refreshNode);
  // A warning opened or cleared, or a peer's track envelope applied: the tracks moved.
  if (kind.startsWith("proximity.") || (kind === "envelope.received" && entry.data.envelope?.kind === "track")) {
    soon("tracks", refreshTracks);
  }
  if (kind === "message.overdue") overdue(entry.data.message_id, entry.data.from, entry.data.waiting_for);
  if (NOT_APPLIED_KINDS.has(kind)) soon("not-applied", refreshNotApplied);
  if (kind === FORK_KIND) raiseFork(alarm, entry);
  if (KEY_KINDS.has(kind)) raiseKeyChange(alarm, entry);
}

// The envelopes received but not applied on the node's links, either way (docs/line.md), that
// no officer has acknowledged: each new one raises the alarm naming it, at sign-in and after a
// reload too, until an officer acknowledges it from its banner (journaled as theirs); then it
// ends on every console of the node. More than a few new at once (a peer of another version
// whose every envelope is unappliable) raise one alarm for them all, naming how many and the
// first ones, whose "Acknowledge all" acknowledges those it covers in one request.
// The reason is the receiving node's words, shown as text.
async function refreshNotApplied() {
  const { envelopes, total } = await api(`/api/v1/line/not-applied?limit=${NOT_APPLIED_SHOWN}`);
  const listed = new Set(envelopes.map((e) => e.hash));
  const fresh = envelopes.filter((e) => !state.notApplied.has(e.hash));
  if (fresh.length > ALARMS_ONE_BY_ONE) notAppliedMany(fresh, total);
  else for (const e of fresh) notApplied(e);
  for (const hash of state.notApplied) if (!listed.has(hash)) alarm.clear(`not-applied:${hash}`, "acknowledged");
  for (const [key, hashes] of state.notAppliedMany) {
    if (hashes.some((hash) => listed.has(hash))) continue;
    alarm.clear(key, "acknowledged");
    state.notAppliedMany.delete(key);
  }
  state.notApplied = listed;
}

function notAppliedText(e) {
  return t(e.direction === "from" ? "alarm.not_applied" : "alarm.not_applied_out", {
    seq: e.link_seq, id: e.id, peer: e.peer, reason: e.reason,
  });
}

function notApplied(e) {
  alarm.raise(`not-applied:${e.hash}`, notAppliedText(e), {
    actions: [acknowledging("alarm.not_applied_ack", `/api/v1/line/not-applied/${e.hash}/ack`)],
  });
}

function notAppliedMany(fresh, total) {
  const key = `not-applied:many:${fresh[0].hash}`;
  const hashes = fresh.map((e) => e.hash);
  state.notAppliedMany.set(key, hashes);
  const first = fresh.slice(0, NOT_APPLIED_NAMED).map(notAppliedText).join(" · ");
  alarm.raise(key, t("alarm.not_applied_many", { count: total, first }), {
    actions: [acknowledging("alarm.not_applied_ack_all", "/api/v1/line/not-applied/ack", { hashes })],
  });
}

// A banner's button that acknowledges on the node, as the officer's; a refusal is shown and the
// alarm stays.
function acknowledging(label, path, body) {
  return { label: t(label), acknowledges: true, run: async () => {
    try {
      await api(path, { method: "POST", body });
      return true;
    } catch (error) {
      showError(error);
      return false;
    }
  } };
}

async function refreshNode() {
  try {
    state.node = await api("/api/v1/node");
    line.show(state.node.peers);
    processView.show(state.node);
  } catch (error) {
    showError(error);
  }
}

// The event stream broke: it reconnects within a second, and a reconnection that gets no answer
// means the node is lost. Back, the node's answer is the truth again.
function streamState(status) {
  const up = status === "up";
  $("live").textContent = t(up ? "live.connected" : "live.reconnecting");
  $("live").classList.toggle("down", !up);
  if (status === "unreachable") line.lose();
  if (up && line.lost) soon("node", refreshNode);
}

async function refreshMessages() {
  const boxes = await messages.refresh();
  const waiting = messages.awaiting();
  // The inbox's count takes the colour of the most urgent message waiting: seen at a glance.
  const top = ["flash", "immediate", "priority", "routine"].find((p) => waiting.some((m) => m.precedence === p));
  $("inbox-count").textContent = waiting.length ? String(waiting.length) : "";
  $("inbox-count").className = top ? `count prec-${top}` : "count";
  for (const m of boxes.in) arrived(m);
  for (const m of [...boxes.in, ...boxes.out]) {
    if (m.state === "overdue") overdue(m.id, m.from, m.recipients.filter((r) => !r.acknowledged_at).map((r) => r.party));
  }
}

// A flash or immediate message waiting for our acknowledgement raises the alarm (at sign-in
// too: it is news to the officer); acknowledging it, from the banner or anywhere, clears it.
function arrived(m) {
  const key = `message:${m.id}`;
  if (m.state === "acknowledged") {
    alarm.clear(key, "acknowledged");
    return;
  }
  if (m.precedence !== "flash" && m.precedence !== "immediate") return;
  alarm.raise(key, t("alarm.message", { precedence: t(`precedence.${m.precedence}`), peer: m.from, title: m.rendering.title, id: m.id }), {
    level: m.precedence,
    actions: [
      { label: t("alarm.open"), run: () => messages.show(m.id) },
      { label: t("ack"), run: () => messages.acknowledge(m.id), acknowledges: true },
    ],
  });
}

// A message past its deadline without every acknowledgement: ours to acknowledge (inbox), or
// a peer's (outbox). Each raises the alarm once.
function overdue(id, from, waitingFor = []) {
  const ours = from !== state.node.party.party;
  alarm.raise(`overdue:${id}`, ours
    ? t("alarm.overdue", { id, peer: from })
    : t("alarm.overdue_out", { id, peer: [waitingFor].flat().join(", ") }));
}

async function refreshMap() {
  const [notifications, conflicts] = await Promise.all([
    api("/api/v1/notifications?status=live&limit=1000"),
    api("/api/v1/conflicts?state=open&limit=1000"),
  ]);
  const previous = new Set(state.conflicts.map((c) => c.key));
  state.notifications = notifications.notifications;
  state.conflicts = conflicts.conflicts.filter((c) => !c.blind); // possible ones: js/blind.js
  const blind = conflicts.conflicts.filter((c) => c.blind);
  const current = new Set(state.conflicts.map((c) => c.key));
  for (const c of state.conflicts) conflictAlarm(c);
  for (const key of previous) if (!current.has(key)) alarm.clear(`conflict:${key}`);
  map.show(state.notifications, state.conflicts);
  renderConflicts($("tab-conflicts"), state.conflicts, state.notifications,
    { map, party: state.node.party.party, onRequest: requestDeconfliction, onError: showError, onChanged: refreshMap });
  showBlind($("tab-conflicts"), blind, state.notifications,
    { map, party: state.node.party.party, onError: showError, onChanged: refreshMap });
  remindToRevise(alarm, state.conflicts, state.node.party.party);
  const count = state.conflicts.length + blind.length;
  $("conflict-count").textContent = count ? String(count) : "";
}

// The node's deconfliction request for a conflict (its sentence in the node's language, which
// is the console's), in Compose to check and send.
async function requestDeconfliction(conflict) {
  try {
    const draft = await api(`/api/v1/conflicts/${encodeURIComponent(conflict.key)}/request`);
    compose.fill(draft);
    selectTab("compose");
  } catch (error) {
    showError(error);
  }
}

// A conflict not seen before raises the alarm (at sign-in too); one resolved clears its banner.
function conflictAlarm(c) {
  const title = (side) => state.notifications.find((n) => n.id === side.notification)?.title ?? side.notification;
  alarm.raise(`conflict:${c.key}`, t("alarm.conflict", { rule: t(`rule.${c.rule}`), a: `${c.a.owner} ${title(c.a)}`, b: `${c.b.owner} ${title(c.b)}` }), {
    actions: [{ label: t("conflicts.show"), run: () => {
      selectTab("conflicts");
      map.focus([c.a.notification, c.b.notification]);
    } }],
  });
}

// The tracks and the open warnings, read together so that a warning's tracks are on the map. A
// warning not seen before raises the alarm (at sign-in too: an open warning is news to the
// operator), or, with many new at once, one alarm for them all; one gone clears its banner.
async function refreshTracks() {
  const [held, open] = await Promise.all([api("/api/v1/tracks"), api(`/api/v1/proximity?limit=${WARNINGS_SHOWN}`)]);
  const previous = new Set(state.warnings.map((w) => w.key));
  state.tracks = held.tracks;
  state.warnings = open.warnings;
  // The node's look-ahead travels with each warning; without one, its default.
  const lookahead = state.warnings[0]?.minima.lookahead_s ?? DEFAULT_LOOKAHEAD_S;
  tracks.show(state.tracks, state.warnings, state.node.party.party, lookahead);
  renderWarnings($("tab-proximity"), state.warnings, tracks, open.total);
  $("proximity-count").textContent = open.total ? String(open.total) : "";
  const current = new Set(state.warnings.map((w) => w.key));
  const fresh = state.warnings.filter((w) => !previous.has(w.key));
  if (fresh.length > ALARMS_ONE_BY_ONE) {
    alarm.raise("proximity:many", t("alarm.proximity_many", { count: open.total }), {
      actions: [{ label: t("tab.proximity"), run: () => selectTab("proximity") }],
    });
  } else {
    for (const w of fresh) alarm.raise(`proximity:${w.key}`, alarmText(w));
  }
  for (const key of previous) if (!current.has(key)) alarm.clear(`proximity:${key}`);
  if (!open.total) alarm.clear("proximity:many");
}

function tick() {
  $("utc").textContent = new Date().toISOString().slice(11, 19);
  messages?.tick();
  acks?.tick();
}

function setUpTabs() {
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.onclick = () => selectTab(button.dataset.tab);
  }
  selectTab("inbox");
}

// Verifying reads the whole journal (seconds for a long one): done when the operator opens the
// journal viewer, and again on its button, not at every sign-in.
function selectTab(name) {
  if (name === "journal" && !journal.verified) journal.verify();
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const panel of document.querySelectorAll(".tab")) panel.hidden = panel.id !== `tab-${name}`;
}

function toast(text, kind = "info") {
  const box = $("toast");
  box.className = `toast ${kind}`;
  box.textContent = text;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.textContent = ""; box.className = "toast"; }, 8000);
}

// An API refusal is shown to the operator, never thrown into the console's log. A token the
// node no longer knows (revoked, or another node's) ends the session.
function showError(error) {
  if (error instanceof NodeUnreachable) {
    line.lose();
    return;
  }
  if (error instanceof ApiError && error.status === 401 && state.stop) {
    signOut();
    return;
  }
  toast(t("error", { message: error.message }), "error");
}

start();
