// The paths to one peer, under its line in the top bar (docs/console.md#paths): each path with
// its status, the one carrying the traffic marked, and the time and problem of its last check
// on hovering. Shown when a peer has more than one path; with one, the line's status says it
// all. What it shows is what the node said (GET /api/v1/node, refreshed on line.path_status).

import { t } from "./i18n.js";
import { el, utc } from "./util.js";

export function pathsOf(peer) {
  const paths = peer.paths || [];
  if (paths.length < 2) return null;
  return el("ul", { class: "paths", "aria-label": t("line.paths") },
    paths.map((path) => pathItem(path, path.via === peer.carrying)));
}

// "by a backup path: URL" when the traffic goes by another path than the preferred one.
export function backupOf(peer) {
  const paths = peer.paths || [];
  if (!peer.carrying || !paths.length || peer.carrying === paths[0].via) return null;
  return el("span", { class: "backup", dir: "auto" }, t("line.backup", { via: label(pathBy(paths, peer.carrying)) }));
}

function pathItem(path, carrying) {
  const checked = path.last_check_at ? t("line.path.checked", { time: utc(path.last_check_at) }) : null;
  const title = [t(`line.path.${path.status}`), checked, path.problem].filter(Boolean).join(" — ");
  return el("li", { class: `path path-${path.status}`, title,
                    dataset: { via: path.via, status: path.status, carrying: carrying ? "yes" : "no" } },
    el("span", { class: "dot", "aria-hidden": "true" }),
    el("span", { class: "via", dir: "ltr" }, label(path)),
    el("span", { class: "state" }, t(`line.path.${path.status}`)),
    carrying ? el("span", { class: "carrying" }, t("line.carrying")) : null);
}

function pathBy(paths, via) {
  return paths.find((path) => path.via === via) || { via };
}

function label(path) {
  return path.relay ? t("line.path.relay", { party: path.relay }) : path.url || path.via;
}
