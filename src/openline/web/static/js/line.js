// The line, large, in the top bar: each peer with the status of the line to it and when it was
// last heard, and with several paths to it, each path's status and the one carrying the
// traffic (paths.js). A line going down raises the alarm; coming back clears it.
//
// The status never lies: what the console shows is what its node said, so when the console has
// lost its own node (the event stream broken and the node not answering) it cannot know the
// line's status. Each peer then turns grey, "unknown", saying since when the node is lost,
// never the last status heard; the node answering again brings the true status back.

import { t } from "./i18n.js";
import { backupOf, pathsOf } from "./paths.js";
import { el, utc } from "./util.js";

export class LineView {
  constructor({ element, alarm }) {
    this.element = element;
    this.alarm = alarm;
    this.peers = [];
    this.lostSince = null;
  }

  // The peers as the node just answered: the node is there.
  show(peers) {
    this.peers = peers;
    if (this.lostSince) {
      this.lostSince = null;
      this.alarm.clear("node-lost");
    }
    this.render();
    for (const p of peers) {
      if (p.status === "down") this.alarm.raise(`down:${p.party}`, t("alarm.down", { peer: p.party }));
      else this.alarm.clear(`down:${p.party}`);
    }
  }

  lose() {
    if (this.lostSince) return;
    this.lostSince = new Date().toISOString();
    const since = utc(this.lostSince);
    this.alarm.raise("node-lost", t("alarm.node_lost", { time: since }));
    this.render();
  }

  get lost() {
    return this.lostSince !== null;
  }

  render() {
    if (this.lostSince) {
      const since = t("line.lost", { time: utc(this.lostSince) });
      const peers = this.peers.length ? this.peers : [{ party: "—" }];
      this.element.replaceChildren(...peers.map((p) =>
        this.peer(p.party, "unknown", since)));
      return;
    }
    if (!this.peers.length) {
      this.element.replaceChildren(el("span", { class: "peer none" }, t("line.nopeers")));
      return;
    }
    this.element.replaceChildren(...this.peers.map((p) =>
      this.peer(p.party, p.status,
        p.last_heard_at ? t("line.heard", { time: utc(p.last_heard_at) }) : t("line.never"), p.reason,
        backupOf(p), pathsOf(p))));
  }

  peer(party, status, heard, reason, ...paths) {
    return el("div", { class: `peer status-${status}`, dataset: { peer: party, status }, title: reason },
      el("span", { class: "name", dir: "ltr" }, party),
      el("span", { class: "status" }, t(`line.${status}`)),
      el("span", { class: "heard" }, heard),
      ...paths);
  }
}
