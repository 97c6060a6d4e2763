// A peer's key changed (docs/security.md#key-rotation): a rotation taken, one held until an
// administrator confirms its fingerprint (openline peer confirm-key), or a key an administrator
// replaced. Each raises the alarm naming the peer and the new key's fingerprint, for the
// officers to compare with the one the peer's operators give out of band: a stolen key could
// rotate a party to an attacker's key, and this is where it shows. Raised again at sign-in for
// the latest changes, until an officer dismisses it.

import { api } from "./api.js";
import { t } from "./i18n.js";

export const KEY_KINDS = new Set(["peer.key_rotated", "peer.key_rotation_held", "peer.key_replaced"]);
const SHOWN = 5; // the latest key changes raised again at sign-in

export function raiseKeyChange(alarm, entry) {
  const d = entry.data;
  const what = entry.kind.slice("peer.".length);
  alarm.raise(`key:${entry.seq}`, t(`alarm.${what}`, { peer: d.peer, fingerprint: d.fingerprint, seq: entry.seq }), {
    level: entry.kind === "peer.key_rotation_held" ? "flash" : "warning",
  });
}

export async function raiseKeyChanges(alarm, headSeq) {
  const kinds = [...KEY_KINDS].map((kind) => `kind=${kind}`).join("&");
  const { entries } = await api(`/api/v1/journal?${kinds}&before=${headSeq + 1}&limit=${SHOWN}`);
  for (const entry of entries) raiseKeyChange(alarm, entry);
}
