// A message's detail, read top-down as a duty officer reads a signal: precedence, title, sender
// and the countdown to its deadline first, with the actions; then the message in the node's
// language, line by line; then the receipts and the journal's signatures. The raw JSON only on
// request.
//
// Free text is never passed off as translated: the text of a free-text message, and whatever
// was typed into a template's text fields, is marked "untranslated" with its language. A
// template's text fields carry no language of their own: theirs is taken to be the sending
// node's (its card's `lang`).

import { language, t } from "./i18n.js";
import { kindName } from "./journal.js";
import { countdown, el, utc } from "./util.js";

export class MessageDetail {
  constructor({ dialog, party, languages, onAcknowledge, onReply, onShowOnMap }) {
    this.onShowOnMap = onShowOnMap;
    this.dialog = dialog;
    this.party = party;
    this.languages = languages; // party -> the language of its node
    this.onAcknowledge = onAcknowledge;
    this.onReply = onReply;
    this.templates = [];
  }

  // `entries`: the journal's entries about the message (GET /api/v1/journal?about=ID).
  show(message, entries) {
    const r = message.rendering;
    const ours = message.from === this.party;
    const heading = el("h2", { tabindex: "-1" }, r.title);
    this.dialog.replaceChildren(
      el("article", { class: `prec-${message.precedence}` },
        el("header", {},
          el("span", { class: `prec prec-${message.precedence}` }, t(`precedence.${message.precedence}`)),
          heading,
          el("span", { class: `state state-${message.state}` }, t(`state.${message.state}`))),
        el("dl", { class: "facts" },
          el("dt", {}, t("detail.from")), el("dd", { dir: "ltr", class: "from" }, message.from),
          el("dt", {}, t("detail.deadline")),
          el("dd", { class: "deadline" }, utc(message.deadline), " ",
            this.countdown(message)),
          el("dt", {}, t("detail.to")), el("dd", { dir: "ltr" }, message.to.join(", ")),
          el("dt", {}, t("detail.created")),
          el("dd", {}, `${utc(message.created_at)} ${t("detail.by")} ${message.created_by}`)),
        this.actions(message, ours),
        el("h3", {}, t("detail.rendering")),
        this.lines(message),
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
          el("tr", { dataset: { kind: e.kind } }, el("td", {}, e.seq),
            el("td", { dir: "auto", title: e.kind }, kindName(e.kind)), el("td", {}, utc(e.at)),
            el("td", { class: "hash", title: e.hash }, e.hash.slice(0, 16)),
            el("td", { class: "hash", title: e.sig }, e.sig.slice(0, 24))))),
        el("details", { class: "raw" },
          el("summary", {}, t("detail.raw")),
          el("pre", { class: "rendering", lang: r.lang }, r.text),
          el("pre", { class: "fields", dir: "ltr" }, JSON.stringify(message, null, 2)))));
    if (!this.dialog.open) this.dialog.showModal();
    // Opened at the top, the focus on the title: not scrolled down to the first button.
    heading.focus();
    this.dialog.scrollTop = 0;
  }

  // Moved every second by the boxes' tick, with theirs.
  countdown(message) {
    const cell = el("span", { class: "countdown", dataset: { deadline: message.deadline, state: message.state } });
    countdown(cell, cell.dataset);
    return cell;
  }

  // The message's areas and points, by its template's field kinds.
  places(message) {
    const template = this.templates.find((tp) => tp.name === message.template);
    return (template?.fields ?? [])
      .filter((f) => (f.kind === "area" || f.kind === "point") && message.fields[f.name])
      .map((f) => ({ kind: f.kind, value: message.fields[f.name] }));
  }

  actions(message, ours) {
    const places = this.places(message);
    return el("div", { class: "actions" },
      places.length
        ? el("button", { type: "button", class: "show-map", onclick: () => {
            this.dialog.close();
            this.onShowOnMap(places);
          } }, t("detail.map"))
        : null,
      !ours && message.state !== "acknowledged"
        ? el("button", { type: "button", class: "ack", onclick: async () => {
            if (await this.onAcknowledge(message.id)) this.dialog.close();
          } }, t("ack"))
        : null,
      !ours
        ? el("button", { type: "button", class: "reply", onclick: () => {
            this.dialog.close();
            this.onReply(message);
          } }, t("detail.reply"))
        : null,
      el("button", { type: "button", class: "close", onclick: () => this.dialog.close() }, t("detail.close")));
  }

  // The rendering's lines, label and value; free text marked with its language: a free-text
  // message's own, or the sending node's for a template's text fields.
  lines(message) {
    const r = message.rendering;
    const template = this.templates.find((tp) => tp.name === message.template);
    const typed = new Set((template?.fields ?? []).filter((f) => f.kind === "text").map((f) => f.name));
    const typedIn = r.untranslated ? r.original_lang : this.languages.get(message.from);
    const marked = r.untranslated || typedIn !== language();
    return el("dl", { class: "lines" }, r.lines.flatMap((line) => [
      el("dt", {}, line.label),
      el("dd", { dataset: { field: line.field } },
        typed.has(line.field) && marked ? untranslated(line.value, typedIn) : line.value)]));
  }
}

// Text shown as it was typed, marked with the language it was typed in.
function untranslated(text, lang) {
  const name = lang ? new Intl.DisplayNames([language()], { type: "language" }).of(lang) : "?";
  return el("span", { class: "untranslated", dataset: { lang: lang ?? "" } },
    el("span", { class: "mark" }, t("detail.untranslated", { language: name })),
    el("span", { class: "text", lang: lang ?? "", dir: "auto" }, text));
}
