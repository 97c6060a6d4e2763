// The console's words, one catalogue per language (static/i18n/*.json), in the node's language.

export const LANGUAGES = ["en", "ru", "fr", "ar"];
let words = {};
let current = "en";

export async function loadLanguage(lang) {
  current = LANGUAGES.includes(lang) ? lang : "en";
  const response = await fetch(`/i18n/${current}.json`);
  words = await response.json();
  document.documentElement.lang = current;
  document.documentElement.dir = words.dir;
  document.title = words.title;
  translate(document);
}

export function language() {
  return current;
}

export function t(key, params = {}) {
  const text = words[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

export function translate(root) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
}
