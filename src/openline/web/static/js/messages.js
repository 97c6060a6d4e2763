// Inbox and outbox: precedence colours, the countdown to each deadline, the state, one-click
// acknowledgement; a click opens the message's detail (detail.js).

import { api } from "./api.js";
import { t } from "./i18n.js";
import { countdown, el } from "./util.js";

const ORDER = { flash: 0, immediate: 1, priority: 2, routine: 3 };

export class Messages {
  constructor({ inbox, outbox, detail, onError }) {
    this.views = { in: inbox, out: outbox };
    this.detail = detail;
    this.onError = onError;
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
      el("td", { class: "title" }, message.rendering.title, el("small", { dir: "ltr", title: message.id }, message.id)),
      el("td", {},
        el("span", { class: `state state-${message.state}` }, t(`state.${message.state}`)),
        el("span", { class: "countdown" })),
      el("td", {}, ack));
  }

  // Called every second: the countdowns move without any request, in the boxes and the detail.
  tick() {
    const now = Date.now();
    for (const row of document.querySelectorAll("tr.msg")) {
      row.classList.toggle("late", countdown(row.querySelector(".countdown"), row.dataset, now));
    }
    for (const cell of this.detail.dialog.querySelectorAll(".countdown")) countdown(cell, cell.dataset, now);
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

  // The message and its own journal entries, however far back the journal has gone since.
  async show(id) {
    const key = encodeURIComponent(id);
    try {
      const [message, journal] = await Promise.all([
        api(`/api/v1/messages/${key}`), api(`/api/v1/journal?about=${key}&limit=1000`)]);
      this.detail.show(message, journal.entries);
    } catch (error) {
      this.onError(error);
    }
  }
}
