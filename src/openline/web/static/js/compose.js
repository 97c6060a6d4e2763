// Compose: a form built from the node's phrasebook (/api/v1/templates, labels in the node's
// language), with areas and points picked on the map.

import { api } from "./api.js";
import { areaEntry, pointEntry, timeEntry } from "./entry.js";
import { t } from "./i18n.js";
import { el, isoMinute } from "./util.js";

const PRECEDENCES = ["flash", "immediate", "priority", "routine"];

export class Compose {
  constructor({ view, peers, map, onSent, onError }) {
    this.view = view;
    this.peers = peers;
    this.map = map;
    this.onSent = onSent;
    this.onError = onError;
    this.templates = [];
  }

  load(templates) {
    this.templates = templates;
    this.render(this.templates[0]?.name);
  }

  // Answer a message: the confirm template, addressed to its sender, in reply to it.
  replyTo(message) {
    this.fill({ template: "confirm", to: [message.from], precedence: message.precedence,
      in_reply_to: message.id, fields: {} });
  }

  // A form filled in from a draft as POST /api/v1/messages takes it, for the officer to check
  // and send (a deconfliction request built from a conflict, a reply).
  fill(draft) {
    this.render(draft.template);
    const form = this.view.querySelector("form");
    for (const box of form.querySelectorAll("input[name=to]")) box.checked = draft.to.includes(box.value);
    form.querySelector("select[name=precedence]").value = draft.precedence;
    if (draft.in_reply_to) form.querySelector("input[name=in_reply_to]").value = draft.in_reply_to;
    for (const { name, write } of this.inputs) {
      if (draft.fields[name] !== undefined) write(draft.fields[name]);
    }
  }

  render(chosen) {
    const template = this.templates.find((tp) => tp.name === chosen);
    this.inputs = [];
    const form = el("form", { class: "compose", onsubmit: (e) => { e.preventDefault(); this.send(form); } },
      el("fieldset", { class: "to" }, el("legend", {}, t("compose.to")),
        this.peers.map((p, i) => el("label", {}, el("input", { type: "checkbox", name: "to", value: p.party, checked: i === 0 }), ` ${p.party}`))),
      el("label", {}, t("compose.template"), " ",
        el("select", { name: "template", onchange: (e) => this.render(e.target.value) },
          this.templates.map((tp) => el("option", { value: tp.name, selected: tp.name === chosen }, tp.title)))),
      el("p", { class: "help" }, template?.description ?? ""),
      el("label", {}, t("compose.precedence"), " ",
        el("select", { name: "precedence" },
          PRECEDENCES.map((p) => el("option", { value: p, selected: p === "routine" }, t(`precedence.${p}`))))),
      template?.answers_message
        ? el("label", {}, t("compose.reply"), " ", el("input", { name: "in_reply_to", required: true, dir: "ltr" }))
        : null,
      (template?.fields ?? []).map((field) => this.field(field)),
      el("button", { type: "submit", class: "send" }, t("compose.send")));
    this.view.replaceChildren(form);
  }

  // One input per field kind; `read` turns what the operator typed into the field's JSON (the
  // node reads locations and times, entry.js), and `write` puts a field's JSON back.
  field(field) {
    const { element, read, write } = this.entryFor(field);
    this.inputs.push({ name: field.name, read, write });
    return el("div", { class: `field kind-${field.kind}`, dataset: { field: field.name } },
      el("span", { class: "label" }, field.label, field.required ? " *" : ""),
      element,
      el("small", { class: "help" }, field.help));
  }

  entryFor(field) {
    const { name, required } = field;
    const now = new Date();
    if (field.kind === "area") return areaEntry({ name, required, map: this.map });
    if (field.kind === "point") return pointEntry({ name, required, map: this.map });
    if (field.kind === "time") return timeEntry({ name, value: isoMinute(now), label: field.label });
    if (field.kind === "time_window") {
      const start = timeEntry({ name: `${name}.start`, value: isoMinute(now), label: t("compose.start") });
      const end = timeEntry({ name: `${name}.end`, value: isoMinute(new Date(now.getTime() + 2 * 3600e3)), label: t("compose.end") });
      return {
        element: el("span", { class: "window" }, start.element, " – ", end.element),
        read: async () => {
          const [from, to] = [await start.read(), await end.read()];
          return from && { start: from, end: to };
        },
        write: (times) => { start.write(times.start); end.write(times.end); },
      };
    }
    if (field.kind === "altitude_band") {
      const input = (suffix, key) => el("input", { name: `${name}.${suffix}`, required, type: "number", placeholder: t(key), dir: "ltr" });
      const lower = input("lower", "compose.lower");
      const upper = input("upper", "compose.upper");
      return {
        element: el("span", {}, lower, " – ", upper),
        read: () => (lower.value === "" ? undefined : { lower_m: Number(lower.value), upper_m: Number(upper.value) }),
        write: (band) => { lower.value = band.lower_m; upper.value = band.upper_m; },
      };
    }
    const value = field.kind === "text"
      ? el("textarea", { name, required, rows: 2 })
      : el("input", { name, required, dir: "ltr", ...(field.kind === "count" ? { type: "number", min: 0, step: 1 } : {}) });
    return {
      element: value,
      read: () => {
        if (value.value === "") return undefined;
        return field.kind === "count" ? Number(value.value) : value.value;
      },
      write: (text) => { value.value = text; },
    };
  }

  async send(form) {
    const data = new FormData(form);
    const fields = {};
    try {
      for (const { name, read } of this.inputs) {
        const value = await read();
        if (value !== undefined) fields[name] = value;
      }
      const body = {
        to: data.getAll("to"),
        precedence: data.get("precedence"),
        template: data.get("template"),
        fields,
      };
      if (data.get("in_reply_to")) body.in_reply_to = data.get("in_reply_to");
      if (body.template === "free-text") {
        // Free text travels as text and lang, untranslated (docs/api.md).
        delete body.template;
        delete body.fields;
        Object.assign(body, fields);
      }
      const message = await api("/api/v1/messages", { method: "POST", body });
      this.render(data.get("template")); // a fresh form of the same template, free text too
      this.onSent(message);
    } catch (error) {
      this.onError(error);
    }
  }
}
