// The journal viewer: the latest entries, live, pages further back on request, and whether the
// whole chain verifies (the node recomputes every hash and signature, as `openline journal
// verify` does). Each entry's kind in the console's language (the kind itself in its tooltip),
// its data as wrapped "key: value" text. Line checks (the envelope.* entries of the line's
// traffic) fill most of a long journal: hidden unless asked for. The search filters what is
// loaded, by kind or data.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { el, utc } from "./util.js";

const PAGE = 500;
const LINE_TRAFFIC = "envelope.";
const SUMMARY_CHARS = 400; // the whole data stays in the cell's tooltip
const MAX_KEPT = 5000; // a long shift's live entries: the oldest go (a page back brings them)

export class Journal {
  constructor({ view, onError }) {
    this.view = view;
    this.onError = onError;
    this.entries = [];
    this.verified = false;
    this.status = el("p", { class: "verify" });
    this.list = el("tbody");
    this.head = el("span", { class: "head" });
    this.shownCount = el("span", { class: "shown" });
    this.traffic = el("input", { type: "checkbox", name: "traffic", onchange: () => this.render() });
    this.search = el("input", { type: "search", name: "search", placeholder: t("journal.search"),
      "aria-label": t("journal.search"), oninput: () => this.render() });
    this.older = el("button", { type: "button", class: "older", onclick: () => this.loadOlder() }, t("journal.older"));
    view.replaceChildren(
      el("div", { class: "journal-tools" },
        el("button", { type: "button", class: "verify-button", onclick: () => this.verify() }, t("journal.verify")),
        this.search,
        el("label", {}, this.traffic, " ", t("journal.traffic")),
        this.head),
      this.status,
      el("table", { class: "journal" }, this.list),
      el("div", { class: "journal-tools" }, this.older, this.shownCount));
  }

  async load(headSeq) {
    const after = Math.max(0, headSeq - PAGE);
    const page = await api(`/api/v1/journal?after=${after}&limit=${PAGE}`);
    this.entries = page.entries;
    this.render();
  }

  // The page before the first entry loaded: the journal, back to its first entry.
  async loadOlder() {
    const first = this.entries[0]?.seq ?? 1;
    if (first <= 1) return;
    const after = Math.max(0, first - 1 - PAGE);
    try {
      const page = await api(`/api/v1/journal?after=${after}&limit=${first - 1 - after}`);
      this.entries = [...page.entries, ...this.entries];
      this.render();
    } catch (error) {
      this.onError(error);
    }
  }

  add(entry) {
    if (this.entries.length && entry.seq <= this.entries[this.entries.length - 1].seq) return;
    this.entries.push(entry);
    if (this.entries.length > MAX_KEPT) this.entries.shift();
    if (this.shown(entry)) this.list.prepend(this.row(entry));
    if (this.list.children.length > MAX_KEPT) this.list.lastChild.remove();
    this.count();
  }

  shown(entry) {
    if (!this.traffic.checked && entry.kind.startsWith(LINE_TRAFFIC)) return false;
    const wanted = this.search.value.trim().toLowerCase();
    if (!wanted) return true;
    return [entry.kind, kindName(entry.kind), JSON.stringify(entry.data)].some((text) => text.toLowerCase().includes(wanted));
  }

  render() {
    this.list.replaceChildren(...[...this.entries].reverse().filter((e) => this.shown(e)).map((e) => this.row(e)));
    this.count();
  }

  count() {
    const first = this.entries[0];
    const last = this.entries[this.entries.length - 1];
    this.head.textContent = last ? t("journal.head", { seq: last.seq }) : "";
    this.shownCount.textContent = last
      ? t("journal.shown", { shown: this.list.children.length, first: first.seq, last: last.seq }) : "";
    this.older.hidden = !first || first.seq <= 1;
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
        : t("journal.broken", { seq: report.bad_seq, reason: report.reason });
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
