// The journal viewer: the latest entries, live, pages further back on request, and whether the
// whole chain verifies (the node recomputes every hash and signature, as `openline journal
// verify` does). Each entry's kind in the console's language (the kind itself in its tooltip),
// its data as wrapped "key: value" text. Line checks (the envelope.* entries of the line's
// traffic) fill most of a long journal: hidden unless asked for. The kind filter and the search
// are the node's (GET /api/v1/journal?kind=&hide=&q=), over the whole journal, so an entry far
// back is found; the live entries that follow are filtered here the same way.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { el, utc } from "./util.js";

const PAGE = 500;
const LINE_TRAFFIC = "envelope.";
const SUMMARY_CHARS = 400; // the whole data stays in the cell's tooltip
const MAX_KEPT = 5000; // a long shift's live entries: the oldest go (a page back brings them)
const SEARCH_PAUSE_MS = 300; // typing settles before the node is asked
// The kind filter's choices: every kind under each prefix.
const KIND_GROUPS = ["message", "conflict", "proximity", "notification", "line", "peer", "operator",
  "node", "security", "envelope", "relay", "tak"];

export class Journal {
  constructor({ view, onError }) {
    this.view = view;
    this.onError = onError;
    this.entries = [];
    this.headSeq = 0;
    this.exhausted = false; // no matching entry before the first loaded
    this.asked = 0; // the latest filter's request: an older answer is dropped
    this.verified = false;
    this.status = el("p", { class: "verify" });
    this.list = el("tbody");
    this.head = el("span", { class: "head" });
    this.shownCount = el("span", { class: "shown" });
    this.traffic = el("input", { type: "checkbox", name: "traffic", onchange: () => this.reload() });
    this.kind = el("select", { name: "journal-kind", "aria-label": t("journal.kinds.all"), onchange: () => this.reload() },
      el("option", { value: "" }, t("journal.kinds.all")),
      ...KIND_GROUPS.map((group) => el("option", { value: `${group}.` }, t(`journal.kinds.${group}`))));
    this.search = el("input", { type: "search", name: "search", placeholder: t("journal.search"),
      "aria-label": t("journal.search"), oninput: () => {
        clearTimeout(this.searchTimer);
        this.searchTimer = setTimeout(() => this.reload(), SEARCH_PAUSE_MS);
      } });
    this.older = el("button", { type: "button", class: "older", onclick: () => this.loadOlder() }, t("journal.older"));
    view.replaceChildren(
      el("div", { class: "journal-tools" },
        el("button", { type: "button", class: "verify-button", onclick: () => this.verify() }, t("journal.verify")),
        this.kind,
        this.search,
        el("label", {}, this.traffic, " ", t("journal.traffic")),
        this.head),
      this.status,
      el("table", { class: "journal" }, this.list),
      el("div", { class: "journal-tools" }, this.older, this.shownCount));
  }

  // The latest page of the entries the filters want, up to the head.
  async load(headSeq) {
    this.headSeq = Math.max(this.headSeq, headSeq);
    const asked = ++this.asked;
    const page = await api(this.query(this.headSeq + 1));
    if (asked !== this.asked) return;
    this.headSeq = Math.max(this.headSeq, page.head.seq);
    this.entries = page.entries;
    this.exhausted = page.entries.length < PAGE;
    this.render();
  }

  reload() {
    this.load(this.headSeq).catch(this.onError);
  }

  // The page of wanted entries before the first loaded: the journal, back to its first entry.
  async loadOlder() {
    const first = this.entries[0]?.seq ?? this.headSeq + 1;
    const asked = this.asked;
    try {
      const page = await api(this.query(first));
      if (asked !== this.asked) return;
      this.entries = [...page.entries, ...this.entries];
      this.exhausted = page.entries.length < PAGE;
      this.render();
    } catch (error) {
      this.onError(error);
    }
  }

  // The node's filter: the kinds chosen, line checks hidden unless asked for, the search.
  query(before) {
    const params = new URLSearchParams({ before, limit: PAGE });
    if (this.kind.value) params.append("kind", this.kind.value);
    if (!this.traffic.checked) params.append("hide", LINE_TRAFFIC);
    const wanted = this.search.value.trim();
    if (wanted) params.append("q", wanted);
    return `/api/v1/journal?${params}`;
  }

  add(entry) {
    this.headSeq = Math.max(this.headSeq, entry.seq);
    if (!this.shown(entry) || (this.entries.length && entry.seq <= this.entries[this.entries.length - 1].seq)) {
      this.count();
      return;
    }
    this.entries.push(entry);
    if (this.entries.length > MAX_KEPT) {
      this.entries.shift();
      this.exhausted = false;
    }
    this.list.prepend(this.row(entry));
    if (this.list.children.length > MAX_KEPT) this.list.lastChild.remove();
    this.count();
  }

  // The node's filter, for a live entry (the search ignores case in the kind or the data).
  shown(entry) {
    if (!this.traffic.checked && entry.kind.startsWith(LINE_TRAFFIC)) return false;
    if (this.kind.value && !entry.kind.startsWith(this.kind.value)) return false;
    const wanted = this.search.value.trim().toLowerCase();
    if (!wanted) return true;
    return [entry.kind, JSON.stringify(entry.data)].some((text) => text.toLowerCase().includes(wanted));
  }

  render() {
    this.list.replaceChildren(...[...this.entries].reverse().map((e) => this.row(e)));
    this.count();
  }

  count() {
    const first = this.entries[0];
    const last = this.entries[this.entries.length - 1];
    this.head.textContent = this.headSeq ? t("journal.head", { seq: this.headSeq }) : "";
    this.shownCount.textContent = last
      ? t("journal.shown", { shown: this.list.children.length, first: first.seq, last: last.seq }) : "";
    this.older.hidden = this.exhausted || !first || first.seq <= 1;
  }

  row(entry) {
    const summary = Object.entries(entry.data)
      .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : value}`)
      .join(" · ");
    return el("tr", { class: `kind-${entry.kind.split(".")[0]}`, dataset: { kind: entry.kind, seq: entry.seq } },
      el("td", { dir: "ltr" }, entry.seq), el("td", { dir: "ltr" }, utc(entry.at)),
      // The kind, and under it the data, take the row's width; the hash over the signature.
      el("td", { class: "entry" },
        el("div", { class: "kind", title: entry.kind }, kindName(entry.kind)),
        el("div", { class: "data", dir: "ltr", title: summary },
          summary.length > SUMMARY_CHARS ? `${summary.slice(0, SUMMARY_CHARS)}…` : summary)),
      el("td", { class: "hash", dir: "ltr" },
        el("div", { title: entry.hash }, entry.hash.slice(0, 12)),
        el("div", { title: entry.sig }, entry.sig.slice(0, 12))));
  }

  async verify() {
    this.verified = true;
    this.status.className = "verify";
    this.status.textContent = t("journal.checking");
    try {
      const report = await api("/api/v1/journal/verify");
      this.status.className = `verify ${report.intact ? "intact" : "broken"}`;
      this.status.textContent = report.intact
        ? t("journal.intact", { count: report.verified, seq: report.verified })
        : report.bad_seq !== null
          ? t("journal.broken", { seq: report.bad_seq, reason: report.reason })
          : t("journal.broken_checkpoint", { size: report.bad_checkpoint, reason: report.reason });
    } catch (error) {
      this.status.textContent = "";
      this.onError(error);
    }
  }
}

// An entry's kind in the console's language; a kind this console does not know, as it is.
export function kindName(kind) {
  const key = `journal.kind.${kind}`;
  const name = t(key);
  return name === key ? kind : name;
}
