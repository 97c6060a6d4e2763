// A conflict's resolution (docs/deconfliction.md#resolving-a-conflict), on its card: its state
// (open, proposed, agreed), the latest proposal with Accept when it is the other party's, the
// whole thread on demand, and the form to propose an outcome or counter. An agreed delay,
// reroute or cancellation of one of our notifications reminds us, by an alarm, to revise it.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { el, utc } from "./util.js";

const OUTCOMES = ["proceed", "joint", "delay", "reroute", "cancel", "object"];
const DELAY_MS = 2 * 3600e3;
// What the officer unfolded and typed stays when an event redraws the cards: the conflicts whose
// thread is unfolded (read again), and each proposal being written, by conflict key.
const unfolded = new Set();
const drafts = new Map();

export function resolutionOf(c, { party, onError, onChanged }) {
  const path = `/api/v1/conflicts/${encodeURIComponent(c.key)}/resolution`;
  const send = async (url, body) => {
    try {
      await api(url, { method: "POST", body });
      await onChanged();
    } catch (error) {
      onError(error);
    }
  };
  const latest = c.resolution;
  const thread = el("ol", { class: "thread" });
  return el("div", { class: "resolution", dataset: { state: c.state } },
    el("div", {}, el("span", { class: "state" }, t(`resolution.state.${c.state}`)),
      latest ? [" · ", proposalText(latest)] : null,
      latest?.state === "waiting" && latest.party !== party
        ? el("button", { type: "button", class: "accept", onclick: () => send(`${path}/${encodeURIComponent(latest.id)}/accept`) }, t("resolution.accept"))
        : null),
    c.revise && c.state === "agreed" && ownedBy(c, c.revise) === party
      ? el("div", { class: "revise" }, t("resolution.revise", { id: c.revise }))
      : null,
    el("details", { class: "thread-view", open: unfolded.has(c.key), ontoggle: (e) => {
      if (!e.target.open) return unfolded.delete(c.key);
      unfolded.add(c.key);
      return loadThread(path, thread, onError);
    } }, el("summary", {}, t("resolution.thread")), thread),
    c.state === "open" || c.state === "proposed" ? proposeForm(c, (body) => send(path, body)) : null);
}

// The agreement reminds its owner to revise the notification, once per conflict.
export function remindToRevise(alarm, conflicts, party) {
  for (const c of conflicts) {
    if (c.state !== "agreed" || !c.revise || ownedBy(c, c.revise) !== party) continue;
    alarm.raise(`revise:${c.key}`, t("alarm.revise", { id: c.revise, outcome: t(`resolution.outcome.${c.resolution.outcome}`) }));
  }
}

function ownedBy(c, notification) {
  return c.a.notification === notification ? c.a.owner : c.b.owner;
}

function proposalText(p) {
  const window = p.window ? ` (${utc(p.window.start)} – ${utc(p.window.end)})` : "";
  const accepted = p.state === "accepted" ? ` · ${t("resolution.accepted_by", { by: p.accepted_by, at: utc(p.accepted_at) })}` : "";
  return el("span", { class: "proposal", dataset: { id: p.id, state: p.state } },
    el("strong", { dir: "ltr" }, p.party), " ", t(`resolution.outcome.${p.outcome}`), window, ": ",
    el("q", {}, p.text), accepted);
}

async function loadThread(path, list, onError) {
  try {
    const { proposals } = await api(path);
    list.replaceChildren(...proposals.map((p) => el("li", {}, utc(p.at), " ", proposalText(p))));
  } catch (error) {
    onError(error);
  }
}

function proposeForm(c, submit) {
  const after = c.time_window ? Date.parse(c.time_window.end) : Date.now();
  const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");
  const draft = drafts.get(c.key) ?? { open: false, outcome: "proceed", text: "", start: iso(after), end: iso(after + DELAY_MS) };
  drafts.set(c.key, draft);
  const form = el("form", { class: "propose" },
    el("select", { name: "outcome" }, OUTCOMES.map((o) => el("option", { value: o, selected: o === draft.outcome }, t(`resolution.outcome.${o}`)))),
    el("input", { name: "text", required: true, placeholder: t("resolution.text"), value: draft.text }),
    el("span", { class: "window" },
      el("input", { name: "start", value: draft.start, "aria-label": t("resolution.start"), dir: "ltr" }),
      el("input", { name: "end", value: draft.end, "aria-label": t("resolution.end"), dir: "ltr" })),
    el("button", { type: "submit" }, t("resolution.propose")));
  const { outcome, text, start, end } = form.elements;
  const delay = () => { form.querySelector(".window").hidden = outcome.value !== "delay"; };
  form.addEventListener("input", () => Object.assign(draft, { outcome: outcome.value, text: text.value, start: start.value, end: end.value }));
  outcome.addEventListener("change", delay);
  delay();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { outcome: outcome.value, text: text.value };
    if (outcome.value === "delay") body.window = { start: start.value, end: end.value };
    drafts.delete(c.key);
    submit(body);
  });
  return el("details", { class: "propose-view", open: draft.open, ontoggle: (e) => { draft.open = e.target.open; } },
    el("summary", {}, t("resolution.propose")), form);
}
