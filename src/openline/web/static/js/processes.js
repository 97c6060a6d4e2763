// Which process of the node the console is talking to, and which one leads the line
// (docs/deployment.md). On PostgreSQL several processes may serve one node: behind a reverse
// proxy, one answers the console, and after it fails another does. The console asks
// GET /api/v1/node every few seconds (and at once when a process takes the lead: line.leader)
// and shows both, so it follows a failover without a reload.

import { api } from "./api.js";
import { t } from "./i18n.js";

const EVERY_MS = 5000;

// host:pid:start as an officer reads it: host and pid (the start is in the tooltip).
function short(process) {
  return process.split(":").slice(0, 2).join(":");
}

export class ProcessView {
  constructor({ element }) {
    this.element = element;
    this.timer = null;
  }

  show(node) {
    const answering = short(node.process);
    const leader = node.leader === null ? t("process.none") : short(node.leader);
    this.element.textContent = node.leader === node.process
      ? t("process.leading", { process: answering })
      : t("process.following", { process: answering, leader });
    this.element.title = node.processes
      .map((p) => `${p.process} ${p.url} ${t("process.heartbeat", { seconds: p.heartbeat_age_s.toFixed(1) })}`)
      .join("\n");
    this.element.classList.toggle("down", node.leader === null);
    this.element.dataset.process = node.process;
    this.element.dataset.leading = String(node.leader === node.process);
  }

  follow() {
    clearInterval(this.timer);
    this.timer = setInterval(() => this.refresh(), EVERY_MS);
  }

  async refresh() {
    try {
      this.show(await api("/api/v1/node"));
    } catch {
      this.element.classList.add("down"); // no process answered: the stream says so too
    }
  }
}
