// The node's API, with the operator's token. The token lives in sessionStorage: it is gone when
// the tab closes, and it is only ever sent in the Authorization header, never in a URL.

const TOKEN_KEY = "openline.token";

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// The node did not answer at all (refused, reset, or a gateway's 502/503/504): what tells the
// console that it has lost its own node, as opposed to the node refusing a request.
export class NodeUnreachable extends Error {}

const GATEWAY_FAILURES = new Set([502, 503, 504]);

export async function api(path, { method = "GET", body, signal } = {}) {
  const headers = { Authorization: `Bearer ${token.get()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new NodeUnreachable(error.message);
  }
  if (GATEWAY_FAILURES.has(response.status)) throw new NodeUnreachable(response.statusText);
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const error = answer?.error ?? {};
    throw new ApiError(response.status, error.code ?? "http", error.message ?? response.statusText);
  }
  return answer;
}

// A request whose body or answer is a file (a courier bundle, a spreadsheet), with the operator's
// token: the Response as it came, or the node's refusal (the one error shape) thrown.
export async function fileRequest(path, { method = "GET", body, type } = {}) {
  const headers = { Authorization: `Bearer ${token.get()}` };
  if (body !== undefined) headers["Content-Type"] = type;
  const response = await fetch(path, { method, headers, body });
  if (!response.ok) {
    const error = (await response.json().catch(() => null))?.error ?? {};
    throw new ApiError(response.status, error.code ?? "http", error.message ?? response.statusText);
  }
  return response;
}

// The journal as server-sent events, read with fetch so that the token travels in a header
// (EventSource cannot set one). Reconnects with Last-Event-ID after any break, so no entry is
// missed; `after` is the journal head the console already shows. `onState` hears "up" when the
// stream is open, "down" when it broke, "unreachable" when reconnecting got no answer.
export async function streamEvents({ after, onEvent, onState, onRefused, signal }) {
  let last = after;
  while (!signal.aborted) {
    let state = "unreachable";
    try {
      const headers = { Authorization: `Bearer ${token.get()}`, "Last-Event-ID": String(last) };
      const response = await fetch("/api/v1/events", { headers, signal });
      if (!response.ok) {
        if (!GATEWAY_FAILURES.has(response.status)) state = "down";
        throw new ApiError(response.status, "http", response.statusText);
      }
      state = "down";
      onState("up");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = parseFrame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (frame) {
            last = frame.id;
            onEvent(frame);
          }
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status === 401) {
        onRefused(error);
        return;
      }
    }
    onState(state);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function parseFrame(text) {
  const frame = {};
  for (const line of text.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, "");
    if (name === "id") frame.id = Number(value);
    else if (name === "event") frame.kind = value;
    else if (name === "data") frame.entry = JSON.parse(value);
  }
  return frame.entry ? frame : null;
}
