// Peers' notifications waiting for our acknowledgement (docs/notifications.md#acknowledgement),
// at the top of the inbox while there are any: each version with the countdown to its deadline
// and a one-click Acknowledge. One overdue
// raises the alarm until someone here acknowledges it; on the owner's side, a peer's overdue
// acknowledgement of one of ours raises the alarm too, until that peer acknowledges.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { countdown, el } from "./util.js";

export class Acknowledgements {
  constructor({ view, alarm, party, onError }) {
    Object.assign(this, { view, alarm, party, onError });
    this.waiting = [];
  }

  async refresh() {
    const { acknowledgements } = await api("/api/v1/notifications/to-acknowledge");
    const gone = new Set(this.waiting.map(key));
    this.waiting = acknowledgements;
    for (const a of acknowledgements) gone.delete(key(a));
    for (const k of gone) this.alarm.clear(k, "acknowledged");
    this.render();
  }

  render() {
    this.view.hidden = !this.waiting.length;
    this.view.replaceChildren(el("h3", {}, t("acks.title"), " ", el("span", { class: "count" }, this.waiting.length)),
      el("ul", { class: "to-acknowledge" }, this.waiting.map((a) =>
          el("li", { class: "awaited", dataset: { notification: a.notification, version: a.version } },
            el("div", {}, el("strong", { dir: "ltr" }, a.owner), " ", t(`kind.${a.kind}`), " · ", a.title,
              " · ", t("acks.version", { n: a.version })),
            el("div", { class: "meta" },
              el("span", { class: "countdown", dataset: { deadline: a.deadline, state: a.state } })),
            el("button", { type: "button", class: "acknowledge", onclick: () => this.acknowledge(a) }, t("ack"))))));
    this.tick();
  }

  // Every second: the countdowns move; one that passes its deadline raises the alarm.
  tick() {
    for (const cell of this.view.querySelectorAll(".countdown")) {
      if (!countdown(cell, cell.dataset)) continue;
      const item = cell.closest(".awaited");
      const a = this.waiting.find((w) => w.notification === item.dataset.notification);
      if (a) this.overdue(a);
    }
  }

  overdue(a) {
    this.alarm.raise(key(a), t("alarm.ack_overdue", { peer: a.owner, title: a.title, n: a.version }), {
      actions: [{ label: t("ack"), run: () => this.acknowledge(a), acknowledges: true }],
    });
  }

  async acknowledge(a) {
    try {
      await api(`/api/v1/notifications/${encodeURIComponent(a.notification)}/ack`, { method: "POST" });
      await this.refresh();
      return true;
    } catch (error) {
      this.onError(error);
      return false;
    }
  }

  // The journal's word: a peer is overdue with one of ours, or has acknowledged it.
  onEntry(kind, data) {
    if (data.owner !== this.party || data.party === this.party) return;
    const k = `ack-out:${data.notification}:${data.version}:${data.party}`;
    if (kind === "notification.ack_overdue") {
      this.alarm.raise(k, t("alarm.ack_overdue_out", { peer: data.party, id: data.notification, n: data.version }));
    } else if (kind === "notification.acknowledged") this.alarm.clear(k, "acknowledged");
  }
}

function key(a) {
  return `ack:${a.notification}:${a.version}`;
}
