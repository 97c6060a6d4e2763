// Inbox and outbox: precedence colours, the countdown to each deadline, the state, one-click
// acknowledgement, and a message's detail (rendering, original fields, receipts, signatures).

import { api } from "./api.js";
import { t } from "./i18n.js";
import { duration, el, utc } from "./util.js";

const ORDER = { flash: 0, immediate: 1, priority: 2, routine: 3 };

export class Messages {
  constructor({ inbox, outbox, dialog, party, onError, onReply, journal }) {
    this.onReply = onReply;
    this.views = { in: inbox, out: outbox };
    this.dialog = dialog;
    this.party = party;
    this.onError = onError;
    this.journal = journal;
    this.boxes = { in: [], out: [] };
  }

  async refresh() {
    const [inbox, outbox] = await Promise.all([
      api("/api/v1/messages?box=in"),
      api("/api/v1/messages?box=out"),
    ]);
    this.boxes = { in: inbox.messages, out: outbox.messages };
    this.render();
    return this.boxes;
  }

  // Inbox messages waiting for our acknowledgement: what the duty officer must act on.
  awaiting() {
    return this.boxes.in.filter((m) => m.state !== "acknowledged");
  }

  render() {
    for (const box of ["in", "out"]) {
      const view = this.views[box];
      const messages = [...this.boxes[box]].sort(
        (a, b) =>
          (a.state === "acknowledged") - (b.state === "acknowledged") ||
          ORDER[a.precedence] - ORDER[b.precedence] ||
          b.created_at.localeCompare(a.created_at),
      );
      view.replaceChildren(
        messages.length
          ? el("table", { class: "messages" },
              el("thead", {}, el("tr", {},
                el("th", {}, t("col.precedence")), el("th", {}, t("col.message")),
                el("th", {}, t("col.state")), el("th", {}))),
              el("tbody", {}, messages.map((m) => this.row(m, box))))
          : el("p", { class: "empty" }, t("box.empty")),
      );
    }
    this.tick();
  }

  row(message, box) {
    const party = box === "in" ? message.from : message.to.join(", ");
    const ack =
      box === "in" && message.state !== "acknowledged"
        ? el("button", { type: "button", class: "ack", onclick: (e) => {
            e.stopPropagation();
            this.acknowledge(message.id);
          } }, t("ack"))
        : null;
    return el("tr", {
        class: `msg prec-${message.precedence} state-${message.state}`,
        dataset: { id: message.id, deadline: message.deadline, state: message.state },
        onclick: () => this.show(message.id),
      },
      el("td", {},
        el("span", { class: `prec prec-${message.precedence}` }, t(`precedence.${message.precedence}`)),
        el("span", { class: "party", dir: "ltr" }, party)),
      el("td", { class: "title" }, message.rendering.title, el("small", { dir: "ltr" }, message.id)),
      el("td", {},
        el("span", { class: `state state-${message.state}` }, t(`state.${message.state}`)),
        el("span", { class: "countdown" })),
      el("td", {}, ack));
  }

  // Called every second: the countdowns move without any request.
  tick() {
    const now = Date.now();
    for (const row of document.querySelectorAll("tr.msg")) {
      const cell = row.querySelector(".countdown");
      if (row.dataset.state === "acknowledged") {
        cell.textContent = "—";
        continue;
      }
      const left = Date.parse(row.dataset.deadline) - now;
      cell.textContent = t(left >= 0 ? "countdown.left" : "countdown.over", { time: duration(left) });
      row.classList.toggle("late", left < 0);
    }
  }

  // Whether the node took the acknowledgement: the alarm's banner ends only if it did.
  async acknowledge(id) {
    try {
      await api(`/api/v1/messages/${encodeURIComponent(id)}/ack`, { method: "POST" });
    } catch (error) {
      this.onError(error);
      return false;
    }
    await this.refresh().catch(this.onError);
    return true;
  }

  async show(id) {
    let message;
    try {
      message = await api(`/api/v1/messages/${encodeURIComponent(id)}`);
    } catch (error) {
      this.onError(error);
      return;
    }
    const r = message.rendering;
    const entries = this.journal.entriesAbout(id);
    this.dialog.replaceChildren(
      el("article", { class: `prec-${message.precedence}` },
        el("header", {},
          el("span", { class: `prec prec-${message.precedence}` }, t(`precedence.${message.precedence}`)),
          el("h2", {}, r.title),
          el("span", { class: `state state-${message.state}` }, t(`state.${message.state}`))),
        el("dl", { class: "facts" },
          el("dt", {}, t("detail.from")), el("dd", { dir: "ltr" }, message.from),
          el("dt", {}, t("detail.to")), el("dd", { dir: "ltr" }, message.to.join(", ")),
          el("dt", {}, t("detail.created")),
          el("dd", {}, `${utc(message.created_at)} ${t("detail.by")} ${message.created_by}`),
          el("dt", {}, t("detail.deadline")), el("dd", {}, utc(message.deadline))),
        el("h3", {}, t("detail.rendering")),
        el("pre", { class: "rendering", lang: r.lang }, r.text),
        el("h3", {}, t("detail.fields")),
        el("pre", { class: "fields", dir: "ltr" }, JSON.stringify(message.fields, null, 2)),
        el("h3", {}, t("detail.receipts")),
        el("ul", { class: "receipts" }, message.recipients.map((rc) =>
          el("li", {}, el("strong", { dir: "ltr" }, rc.party), " ",
            el("span", { class: `state state-${rc.state}` }, t(`state.${rc.state}`)),
            rc.delivered_at ? ` · ${t("detail.delivered")} ${utc(rc.delivered_at)}` : "",
            rc.acknowledged_at
              ? ` · ${t("detail.acknowledged")} ${utc(rc.acknowledged_at)} ${t("detail.by")} ${rc.acknowledged_by}`
              : ""))),
        el("h3", {}, t("detail.signatures")),
        el("table", { class: "signatures", dir: "ltr" }, entries.map((e) =>
          el("tr", {}, el("td", {}, e.seq), el("td", {}, e.kind), el("td", {}, utc(e.at)),
            el("td", { class: "hash", title: e.hash }, e.hash.slice(0, 16)),
            el("td", { class: "hash", title: e.sig }, e.sig.slice(0, 24))))),
        el("footer", {},
          message.from !== this.party && message.state !== "acknowledged"
            ? el("button", { type: "button", class: "ack", onclick: async () => {
                await this.acknowledge(id);
                this.dialog.close();
              } }, t("ack"))
            : null,
          message.from !== this.party
            ? el("button", { type: "button", class: "reply", onclick: () => {
                this.dialog.close();
                this.onReply(message);
              } }, t("detail.reply"))
            : null,
          el("button", { type: "button", class: "close", onclick: () => this.dialog.close() }, t("detail.close")))));
    if (!this.dialog.open) this.dialog.showModal();
  }
}
