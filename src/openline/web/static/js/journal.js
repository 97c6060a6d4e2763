// The journal viewer: the latest entries, live, and whether the whole chain verifies (the node
// recomputes every hash and signature, as `openline journal verify` does). Line checks (the
// envelope.* entries of the line's traffic) fill most of a long journal: hidden unless asked for.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { el, utc } from "./util.js";

const KEPT = 500;
const LINE_TRAFFIC = "envelope.";

export class Journal {
  constructor({ view, onError }) {
    this.view = view;
    this.onError = onError;
    this.entries = [];
    this.verified = false;
    this.status = el("p", { class: "verify" });
    this.list = el("tbody");
    this.head = el("span");
    this.traffic = el("input", { type: "checkbox", name: "traffic", onchange: () => this.render() });
    view.replaceChildren(
      el("div", { class: "journal-tools" },
        el("button", { type: "button", class: "verify-button", onclick: () => this.verify() }, t("journal.verify")),
        el("label", {}, this.traffic, " ", t("journal.traffic")),
        this.head),
      this.status,
      el("table", { class: "journal", dir: "ltr" }, this.list));
  }

  async load(headSeq) {
    const after = Math.max(0, headSeq - KEPT);
    const page = await api(`/api/v1/journal?after=${after}&limit=${KEPT}`);
    this.entries = page.entries;
    this.render();
  }

  add(entry) {
    if (this.entries.length && entry.seq <= this.entries[this.entries.length - 1].seq) return;
    this.entries.push(entry);
    if (this.entries.length > KEPT) this.entries.shift();
    if (this.shown(entry)) this.list.prepend(this.row(entry));
    if (this.list.children.length > KEPT) this.list.lastChild.remove();
    this.head.textContent = t("journal.head", { seq: entry.seq });
  }

  shown(entry) {
    return this.traffic.checked || !entry.kind.startsWith(LINE_TRAFFIC);
  }

  render() {
    this.list.replaceChildren(...[...this.entries].reverse().filter((e) => this.shown(e)).map((e) => this.row(e)));
    const last = this.entries[this.entries.length - 1];
    this.head.textContent = last ? t("journal.head", { seq: last.seq }) : "";
  }

  row(entry) {
    const summary = JSON.stringify(entry.data);
    return el("tr", { class: `kind-${entry.kind.split(".")[0]}` },
      el("td", {}, entry.seq), el("td", {}, utc(entry.at)), el("td", {}, entry.kind),
      el("td", { class: "data", title: summary }, summary.slice(0, 120)),
      el("td", { class: "hash", title: entry.hash }, entry.hash.slice(0, 12)),
      el("td", { class: "hash", title: entry.sig }, entry.sig.slice(0, 12)));
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
