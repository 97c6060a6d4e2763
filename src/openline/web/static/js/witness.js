// Witnessing's alarm: a peer offered a checkpoint of its journal that is not consistent with one
// this node cosigned, so it rewrote or forked its history (docs/journal.md#witnessing). The node
// refused it and journaled both checkpoints as evidence. That raises the alarm, at the highest
// level, at sign-in and after a reload too, until an officer dismisses it: once for each
// checkpoint a peer's history departs from, however often it offers its rewritten one again (at
// every line check), so one rewrite is one alarm.

import { api } from "./api.js";
import { t } from "./i18n.js";

export const FORK_KIND = "security.checkpoint_refused";
// The latest refusals read at sign-in: a peer that keeps offering its rewritten history is
// refused at every line check, and the newest say all the older ones do.
const FORKS_SHOWN = 20;

export function raiseFork(alarm, entry) {
  const d = entry.data;
  alarm.raise(`fork:${d.peer}:${d.cosigned_size}`, t("alarm.fork", {
    peer: d.peer, size: d.size, cosigned: d.cosigned_size, reason: d.reason, seq: entry.seq,
  }), { level: "flash" });
}

export async function raiseForks(alarm, headSeq) {
  const { entries } = await api(`/api/v1/journal?kind=${FORK_KIND}&before=${headSeq + 1}&limit=${FORKS_SHOWN}`);
  for (const entry of entries) raiseFork(alarm, entry);
}
