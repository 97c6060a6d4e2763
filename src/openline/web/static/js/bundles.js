// Courier bundles (docs/console.md#courier-bundles): when no network reaches a peer, the officer
// downloads the file holding everything waiting for it, carries it by any means, and uploads
// here the file the peer sent; the node applies it as if it had come over the network and
// answers with the reply to carry back (the receipts, and what waits for that peer), offered
// as a download at once. The files are the node's own (GET /api/v1/bundles/{party}, POST
// /api/v1/bundles): the console neither reads nor changes them.

import { fileRequest } from "./api.js";
import { t } from "./i18n.js";
import { el, fileNameOf, saveFile } from "./util.js";

const MEDIA_TYPE = "application/vnd.openline.bundle";

export class Bundles {
  constructor({ dialog, button, peers, onError }) {
    this.dialog = dialog;
    this.onError = onError;
    this.result = el("div", { class: "bundle-result", role: "status" });
    this.file = el("input", { type: "file", name: "bundle", accept: ".bundle",
      "aria-label": t("bundles.file") });
    const downloads = peers.map((peer) => el("button", {
      type: "button", dataset: { bundleFor: peer.party }, onclick: () => this.download(peer.party),
    }, t("bundles.download", { peer: peer.party })));
    dialog.replaceChildren(
      el("h2", {}, t("bundles.heading")),
      el("p", { class: "help" }, t("bundles.help")),
      el("div", { class: "bundle-downloads" }, ...downloads),
      el("form", { class: "bundle-upload", onsubmit: (event) => {
        event.preventDefault();
        this.upload();
      } },
      el("label", {}, el("span", {}, t("bundles.file")), this.file),
      el("button", { type: "submit", name: "import" }, t("bundles.upload"))),
      this.result,
      el("footer", {}, el("button", { type: "button", class: "close", onclick: () => dialog.close() },
        t("detail.close"))));
    button.onclick = () => dialog.showModal();
  }

  async download(party) {
    this.result.replaceChildren(); // what the last one said is gone at once
    try {
      const response = await fileRequest(`/api/v1/bundles/${encodeURIComponent(party)}`);
      saveFile(await response.blob(), fileNameOf(response, `${party}.bundle`));
      const left = Number(response.headers.get("X-Openline-Left-Waiting") ?? 0);
      this.say(t("bundles.downloaded", { peer: party,
        envelopes: response.headers.get("X-Openline-Envelopes"),
        receipts: response.headers.get("X-Openline-Receipts") })
        + (left ? ` ${t("bundles.left", { count: left })}` : ""));
    } catch (error) {
      this.refused(error);
    }
  }

  async upload() {
    const [file] = this.file.files;
    if (!file) return;
    this.result.replaceChildren();
    try {
      const response = await fileRequest("/api/v1/bundles",
        { method: "POST", body: await file.arrayBuffer(), type: MEDIA_TYPE });
      const answer = await response.json();
      const { bundle, envelopes, receipts, reply } = answer;
      const link = el("a", { class: "bundle-reply", download: reply.file_name,
        href: URL.createObjectURL(new Blob([reply.text], { type: MEDIA_TYPE })) },
      t("bundles.reply", { peer: bundle.from, envelopes: reply.envelopes, receipts: reply.receipts }));
      this.say(t("bundles.imported", { id: bundle.id, peer: bundle.from, applied: envelopes.applied,
        already: envelopes.already_applied, refused: envelopes.refused.length, stored: receipts.stored }),
      link);
      this.file.value = "";
    } catch (error) {
      this.refused(error);
    }
  }

  say(text, ...more) {
    this.result.className = "bundle-result";
    this.result.replaceChildren(el("p", {}, text), ...more);
  }

  refused(error) {
    this.result.className = "bundle-result error";
    this.result.replaceChildren(el("p", { role: "alert" }, t("bundles.refused", { message: error.message })));
    this.onError(error);
  }
}
