// SQLEnv playground: plays one episode at a time over the server's /ws protocol.
//
// Everything the server sends may contain arbitrary strings from the databases, so the DOM is
// only ever built with createElement and textContent, never by parsing markup.

const SVG_NS = "http://www.w3.org/2000/svg";
const RESULT_FOOTER = /^\((\d+) rows?(?:; showing the first (\d+)(; output size limit)?)?\)$/;
const CELL_SEPARATOR = " | ";
// Exploring steps pay within [-0.10, +0.15] (docs/reward.md); the chart never zooms in further,
// so a +0.01 step does not look like a big win.
const CHART_MIN_DOMAIN = [-0.1, 0.15];
const LAYERS = ["operational", "progress", "terminal"];

const state = {
  socket: null,
  opening: null,
  pending: null,
  episode: null,
  steps: [],
  log: [],
  capacityReached: false,
  closingOnPurpose: false,
  catalog: null,
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// DOM helpers

function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

function formatReward(value) {
  let rounded = Math.round((value ?? 0) * 1000) / 1000;
  if (Object.is(rounded, -0)) rounded = 0;
  return (rounded > 0 ? "+" : "") + rounded.toFixed(3);
}

// ---------------------------------------------------------------------------------------------
// Notices: the empty and error states that are not part of an episode

function showNotice(kind, title, text, action) {
  const notice = $("notice");
  notice.dataset.kind = kind;
  $("notice-title").textContent = title;
  $("notice-text").textContent = text;
  const button = $("notice-action");
  button.hidden = !action;
  if (action) {
    button.textContent = action.label;
    button.onclick = action.run;
  }
  notice.hidden = false;
}

function hideNotice() {
  $("notice").hidden = true;
}

function setConnection(stateName, label) {
  const pill = $("connection");
  pill.dataset.state = stateName;
  pill.textContent = label;
}

// ---------------------------------------------------------------------------------------------
// The socket and the episode log

function socketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

function record(direction, frame) {
  state.log.push({ at: new Date().toISOString(), direction, frame });
}

// Resolves with an open socket, opening one if needed; rejects if the server cannot be reached.
function connect() {
  if (state.socket?.readyState === WebSocket.OPEN) return Promise.resolve(state.socket);
  if (state.opening) return state.opening;
  setConnection("connecting", "Connecting…");
  state.capacityReached = false;
  state.opening = new Promise((resolve, reject) => {
    const socket = new WebSocket(socketUrl());
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      state.socket = socket;
      state.opening = null;
      record("event", { event: "open", url: socket.url });
      setConnection("open", "Connected");
      resolve(socket);
    });
    socket.addEventListener("message", (event) => onFrame(event.data));
    socket.addEventListener("close", (event) => {
      if (!opened) {
        state.opening = null;
        reject(new Error("unreachable"));
      }
      onClose(socket, event, opened);
    });
  });
  return state.opening;
}

function send(frame) {
  record("sent", frame);
  state.socket.send(JSON.stringify(frame));
}

function onFrame(text) {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    record("received", { unparsed: String(text) });
    return;
  }
  record("received", frame);
  const pending = state.pending;
  state.pending = null;
  setBusy(false);
  if (frame.type === "observation") onObservation(frame.data, pending);
  else if (frame.type === "error") onErrorFrame(frame.data ?? {}, pending);
  else if (frame.type === "state") onState(frame.data ?? {});
}

function onClose(socket, event, opened) {
  record("event", { event: "close", code: event.code, reason: event.reason, clean: event.wasClean });
  if (state.socket === socket) state.socket = null;
  state.pending = null;
  setBusy(false);
  setConnection("closed", opened ? "Disconnected" : "Not connected");
  const episodeOpen = state.episode && !state.episode.done;
  if (episodeOpen) endEpisodeControls();
  if (state.closingOnPurpose || !opened) {
    state.closingOnPurpose = false;
    return;
  }
  if (state.capacityReached) return;
  const retry = { label: "Start a new episode", run: () => startEpisode(readResetForm()) };
  if (event.reason.startsWith("session closed: idle")) {
    showNotice(
      "warning",
      "Session closed for idleness",
      `The server ended this session because nothing was sent for a while (${event.reason}). ` +
        "Start a new episode to keep playing.",
      retry,
    );
  } else {
    const why = event.reason ? `: ${event.reason}` : "";
    showNotice(
      "error",
      "Connection closed",
      `The connection to the server closed (code ${event.code}${why}).` +
        (episodeOpen ? " This episode cannot continue." : ""),
      retry,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Episodes

function readResetForm() {
  const data = {};
  const questionId = $("question-input").value.trim();
  const dbId = $("db-select").value;
  const difficulty = $("difficulty-select").value;
  const seedText = $("seed-input").value.trim();
  if (questionId) data.question_id = questionId;
  else {
    if (dbId) data.db_id = dbId;
    if (difficulty) data.difficulty = difficulty;
  }
  if (seedText) {
    const seed = Number(seedText);
    if (!/^-?\d+$/.test(seedText) || !Number.isSafeInteger(seed)) {
      return { error: "The seed must be a whole number (at most 15 digits)." };
    }
    data.seed = seed;
  }
  return { data };
}

function showFormError(message) {
  const box = $("form-error");
  box.textContent = message ?? "";
  box.hidden = !message;
}

async function startEpisode(request) {
  if (state.pending) return;
  if (request.error) {
    showFormError(request.error);
    $("seed-input").focus();
    return;
  }
  showFormError(null);
  hideNotice();
  try {
    await connect();
  } catch {
    showUnreachable(request);
    return;
  }
  state.log = state.log.filter((entry) => entry.direction === "event").slice(-1);
  state.pending = { kind: "reset" };
  setBusy(true);
  send({ type: "reset", data: request.data });
}

function showUnreachable(request) {
  setConnection("closed", "Server unreachable");
  showNotice(
    "error",
    "Cannot reach the server",
    `No connection could be opened to ${socketUrl()}. Check that the SQLEnv server is running ` +
      "and reachable from this browser, then try again.",
    { label: "Try again", run: () => startEpisode(request) },
  );
}

function step(actionType, argument) {
  if (state.pending || !state.episode || state.episode.done) return;
  if (state.socket?.readyState !== WebSocket.OPEN) return;
  state.pending = { kind: "step", action_type: actionType, argument };
  setBusy(true);
  send({ type: "step", data: { action_type: actionType, argument } });
}

function onObservation(result, pending) {
  const obs = result.observation ?? {};
  if (pending?.kind === "reset" || !state.episode) beginEpisode(obs);
  updateEpisodeView(obs);
  if (pending?.kind === "step") recordStep(pending, result);
  if (result.done) finishEpisode(obs, result);
}

function beginEpisode(obs) {
  state.episode = { budget: obs.step_count + obs.budget_remaining, done: false, obs };
  state.steps = [];
  $("empty-state").hidden = true;
  $("workspace").hidden = false;
  $("done-banner").hidden = true;
  renderTables(obs.tables ?? []);
  renderResultMessage(obs.result ?? "");
  renderRewards();
  setActionsEnabled(true);
  $("sql-input").value = "";
  $("answer-input").value = "";
  $("question-card").focus();
}

function updateEpisodeView(obs) {
  state.episode.obs = obs;
  $("question-text").textContent = obs.question ?? "";
  $("meta-db").textContent = obs.db_id ?? "";
  $("meta-difficulty").textContent = obs.difficulty ?? "";
  $("meta-question").textContent = obs.question_id ?? "";
  const budget = state.episode.budget;
  $("meta-budget").textContent = `${obs.budget_remaining} of ${budget}`;
  const share = budget > 0 ? (100 * obs.budget_remaining) / budget : 0;
  $("budget-fill").style.width = `${share}%`;
  $("schema-info").textContent = obs.schema_info ?? "";
}

function recordStep(pending, result) {
  const obs = result.observation ?? {};
  const components = obs.reward_components ?? {};
  const reward = result.reward ?? 0;
  const previous = state.steps.at(-1)?.total ?? 0;
  const entry = {
    number: obs.step_count,
    action: pending.action_type,
    argument: pending.argument,
    components: Object.fromEntries(LAYERS.map((layer) => [layer, components[layer] ?? 0])),
    reward,
    total: previous + reward,
  };
  state.steps.push(entry);
  renderStepResult(entry, obs);
  renderRewards();
}

function finishEpisode(obs, result) {
  if (state.episode.done) return;
  state.episode.done = true;
  endEpisodeControls();
  const terminal = obs.reward_components?.terminal ?? 0;
  const total = state.steps.at(-1)?.total ?? 0;
  const verdict =
    terminal > 0 ? "Correct answer." : obs.budget_remaining === 0 ? "Out of steps." : "Episode over.";
  $("done-text").textContent =
    `Episode over. ${verdict} Last step ${formatReward(result.reward)}, ` +
    `total ${formatReward(total)} in ${state.steps.length} steps.`;
  $("done-banner").dataset.outcome = terminal > 0 ? "correct" : "wrong";
  $("done-banner").hidden = false;
  // The server's own sum confirms the running total the page computed.
  if (state.socket?.readyState === WebSocket.OPEN) {
    send({ type: "state" });
    state.pending = { kind: "state" };
  }
  $("new-episode-button").focus();
}

function onState(data) {
  if (!state.episode || typeof data.cumulative_reward !== "number") return;
  const text = $("done-text");
  if (!state.episode.done || text.dataset.confirmed === data.episode_id) return;
  text.dataset.confirmed = data.episode_id ?? "";
  text.append(` Server total: ${formatReward(data.cumulative_reward)}.`);
}

function onErrorFrame(body, pending) {
  const code = body.code ?? "ERROR";
  const message = body.message ?? "The server refused the message.";
  if (code === "CAPACITY_REACHED") {
    state.capacityReached = true;
    const load =
      body.active_sessions !== undefined ? ` (${body.active_sessions} of ${body.max_sessions} sessions in use)` : "";
    showNotice(
      "warning",
      "The server is at capacity",
      `Every session slot is taken${load}. Wait a moment and try again.`,
      { label: "Try again", run: () => startEpisode(readResetForm()) },
    );
    return;
  }
  const what = pending?.kind === "reset" ? "Could not start the episode" : "The server refused the message";
  showNotice("error", what, `${message} (${code})`);
}

// ---------------------------------------------------------------------------------------------
// Controls

function setBusy(busy) {
  document.body.classList.toggle("busy", busy);
  $("result").setAttribute("aria-busy", String(busy));
}

function setActionsEnabled(enabled) {
  for (const node of document.querySelectorAll("#table-list button, #actions-panel button, #actions-panel textarea")) {
    node.disabled = !enabled;
  }
}

function endEpisodeControls() {
  setActionsEnabled(false);
  if (state.episode) state.episode.done = true;
}

function renderTables(tables) {
  const list = $("table-list");
  list.replaceChildren(
    ...tables.map((name) =>
      el(
        "li",
        { className: "table-item" },
        el("span", { className: "table-name", text: name }),
        el("span", { className: "table-actions" }, tableButton("Describe", "DESCRIBE", name), tableButton("Sample", "SAMPLE", name)),
      ),
    ),
  );
}

function tableButton(label, actionType, table) {
  const button = el("button", {
    text: label,
    className: "small",
    attrs: { type: "button", "aria-label": `${label} ${table}`, "data-action": actionType, "data-table": table },
  });
  button.addEventListener("click", () => step(actionType, table));
  return button;
}

// ---------------------------------------------------------------------------------------------
// Results

// Splits the server's text table: optional caption lines, a header `a | b`, rows, and the footer
// `(N rows)` or `(N rows; showing the first M)`. Returns null when the text is not a table.
function parseResultTable(text) {
  const lines = text.split("\n");
  const footer = RESULT_FOOTER.exec((lines.at(-1) ?? "").trim());
  if (!footer) return null;
  const total = Number(footer[1]);
  const shown = footer[2] === undefined ? total : Number(footer[2]);
  const headerIndex = lines.length - 2 - shown;
  if (!Number.isSafeInteger(shown) || headerIndex < 0) return null;
  const columns = lines[headerIndex].split(CELL_SEPARATOR);
  const rows = lines.slice(headerIndex + 1, -1).map((line) => {
    const cells = line.split(CELL_SEPARATOR);
    // A value containing " | " makes the split ambiguous; such a row is shown whole.
    return cells.length === columns.length ? { cells } : { raw: line };
  });
  return {
    caption: lines.slice(0, headerIndex).join("\n").trim(),
    columns,
    rows,
    total,
    shown,
    sizeLimited: Boolean(footer[3]),
  };
}

function renderTable(table) {
  const head = el("tr", {}, ...table.columns.map((name) => el("th", { text: name, attrs: { scope: "col" } })));
  const body = table.rows.map((row) =>
    row.cells
      ? el("tr", {}, ...row.cells.map((cell) => el("td", { text: cell })))
      : el("tr", { className: "ambiguous" }, el("td", { text: row.raw, attrs: { colspan: table.columns.length } })),
  );
  const noun = table.total === 1 ? "row" : "rows";
  const caption = el("caption", { text: `${table.total} ${noun}` });
  const grid = el("table", { className: "result-table" }, caption, el("thead", {}, head), el("tbody", {}, ...body));
  const scroll = el("div", { className: "table-scroll", attrs: { role: "region", "aria-label": "Result table", tabindex: "0" } }, grid);
  const parts = [];
  if (table.caption) parts.push(el("p", { className: "result-caption", text: table.caption }));
  parts.push(scroll);
  if (table.shown < table.total) {
    const why = table.sizeLimited ? " (the output size limit was reached)" : "";
    parts.push(el("p", { className: "truncated", text: `Showing the first ${table.shown} of ${table.total} rows${why}.` }));
  }
  return parts;
}

function renderResultBody(text) {
  const table = parseResultTable(text);
  if (table) return renderTable(table);
  return [el("pre", { className: "result-text", text })];
}

// Each step's result is added on top of the earlier ones, so a DESCRIBE stays in view while
// writing the query that uses it.
function renderStepResult(entry, obs) {
  const title = el("h3", { className: "step-title" }, el("span", { className: "badge", text: entry.action }), ` Step ${entry.number}`);
  const parts = [title, el("pre", { className: "argument", text: entry.argument })];
  if (obs.error) {
    parts.push(el("div", { className: "error-box" }, el("strong", { text: "Error: " }), obs.error));
  } else if (entry.action === "ANSWER") {
    const correct = entry.components.terminal > 0;
    parts.push(el("p", { className: correct ? "verdict correct" : "verdict wrong", text: obs.result ?? "" }));
  } else {
    parts.push(...renderResultBody(obs.result ?? ""));
  }
  parts.push(el("p", { className: "step-reward", text: stepRewardText(entry) }));
  const feed = $("result");
  feed.querySelector(".placeholder")?.remove();
  feed.prepend(el("article", { className: obs.error ? "step-result failed" : "step-result" }, ...parts));
}

function renderResultMessage(text) {
  $("result").replaceChildren(el("p", { className: "placeholder", text }));
}

// ---------------------------------------------------------------------------------------------
// Rewards

function stepRewardText(entry) {
  const parts = LAYERS.map((layer) => `${layer} ${formatReward(entry.components[layer])}`).join(", ");
  return `Reward ${formatReward(entry.reward)} (${parts}); total ${formatReward(entry.total)}.`;
}

function renderRewards() {
  const last = state.steps.at(-1);
  $("reward-summary").textContent = last
    ? `Step ${last.number}: ${stepRewardText(last)}`
    : "No steps yet. Each step's reward appears here.";
  renderStepLog();
  renderChart();
}

function renderStepLog() {
  const rows = state.steps.map((entry) =>
    el(
      "tr",
      {},
      el("td", { text: String(entry.number) }),
      el("td", { className: "action-cell", text: `${entry.action} ${entry.argument}`, attrs: { title: `${entry.action} ${entry.argument}` } }),
      ...LAYERS.map((layer) => el("td", { className: "num", text: formatReward(entry.components[layer]) })),
      el("td", { className: "num", text: formatReward(entry.reward) }),
      el("td", { className: "num strong", text: formatReward(entry.total) }),
    ),
  );
  document.querySelector("#step-log tbody").replaceChildren(...rows);
}

function chartDomain() {
  let [low, high] = CHART_MIN_DOMAIN;
  for (const entry of state.steps) {
    const values = LAYERS.map((layer) => entry.components[layer]);
    const up = values.filter((v) => v > 0).reduce((a, b) => a + b, 0);
    const down = values.filter((v) => v < 0).reduce((a, b) => a + b, 0);
    high = Math.max(high, up, entry.total);
    low = Math.min(low, down, entry.total);
  }
  return [low, high];
}

// One stacked bar per step (positive layers above zero, negative below) and the running total
// as a line, drawn as inline SVG.
function renderChart() {
  const width = 320;
  const height = 140;
  const pad = { left: 34, right: 8, top: 8, bottom: 16 };
  const [low, high] = chartDomain();
  const y = (value) => pad.top + ((high - value) / (high - low)) * (height - pad.top - pad.bottom);
  const count = Math.max(state.steps.length, 1);
  const slot = (width - pad.left - pad.right) / count;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": chartLabel() });
  chart.append(...axisLines(width, pad, y, low, high));
  state.steps.forEach((entry, i) => chart.append(...stepBars(entry, pad.left + i * slot, slot, y)));
  if (state.steps.length) chart.append(...totalLine(pad.left, slot, y));
  $("reward-chart").replaceChildren(chart);
}

function chartLabel() {
  if (!state.steps.length) return "Reward chart: no steps yet";
  const last = state.steps.at(-1);
  return `Reward chart: ${state.steps.length} steps, running total ${formatReward(last.total)}`;
}

function axisLines(width, pad, y, low, high) {
  const nodes = [];
  for (const value of [high, 0, low]) {
    const at = y(value);
    // A bound too close to the zero line would print over its label.
    if (value !== 0 && Math.abs(at - y(0)) < 14) continue;
    nodes.push(svg("line", { x1: pad.left, x2: width - pad.right, y1: at, y2: at, class: value === 0 ? "axis zero" : "axis" }));
    const label = svg("text", { x: pad.left - 4, y: at + 3, class: "tick" });
    label.textContent = value === 0 ? "0" : value.toFixed(2);
    nodes.push(label);
  }
  return nodes;
}

function stepBars(entry, x, slot, y) {
  const barWidth = Math.max(Math.min(slot * 0.6, 28), 2);
  const left = x + (slot - barWidth) / 2;
  const nodes = [];
  let up = 0;
  let down = 0;
  for (const layer of LAYERS) {
    const value = entry.components[layer];
    if (!value) continue;
    const from = value > 0 ? up : down;
    const to = from + value;
    if (value > 0) up = to;
    else down = to;
    const top = y(Math.max(from, to));
    const rect = svg("rect", { x: left, y: top, width: barWidth, height: Math.max(y(Math.min(from, to)) - top, 1), class: `bar ${layer}` });
    const tip = svg("title");
    tip.textContent = `Step ${entry.number} ${layer} ${formatReward(value)}`;
    rect.append(tip);
    nodes.push(rect);
  }
  const label = svg("text", { x: x + slot / 2, y: 136, class: "step-label" });
  label.textContent = String(entry.number);
  nodes.push(label);
  return nodes;
}

function totalLine(left, slot, y) {
  const points = state.steps.map((entry, i) => [left + (i + 0.5) * slot, y(entry.total)]);
  const line = svg("polyline", { points: points.map((p) => p.join(",")).join(" "), class: "total-line" });
  const dots = points.map(([cx, cy]) => svg("circle", { cx, cy, r: 2.5, class: "total-dot" }));
  return [line, ...dots];
}

// ---------------------------------------------------------------------------------------------
// The episode log download

function downloadLog() {
  const obs = state.episode?.obs;
  const payload = {
    server: location.origin,
    question_id: obs?.question_id ?? null,
    db_id: obs?.db_id ?? null,
    saved_at: new Date().toISOString(),
    frames: state.log,
  };
  const blob = new Blob([JSON.stringify(payload, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const stamp = payload.saved_at.replace(/[:.]/g, "-");
  const name = `sqlenv-episode-${obs?.question_id ?? "none"}-${stamp}.json`.replace(/[^\w.-]/g, "_");
  const link = el("a", { attrs: { href: url, download: name } });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------------------------------------
// The catalog: which databases and difficulties the reset form offers

async function loadCatalog() {
  try {
    const response = await fetch("/web/catalog", { cache: "no-cache" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    state.catalog = await response.json();
  } catch {
    showNotice(
      "error",
      "Cannot reach the server",
      "The list of databases could not be loaded. Check that the SQLEnv server is running, then reload the page.",
      { label: "Reload", run: () => location.reload() },
    );
    return;
  }
  fillDatabases();
  fillDifficulties();
  applyQueryString();
}

function fillDatabases() {
  const select = $("db-select");
  const options = (state.catalog.databases ?? []).map((db) => {
    const option = el("option", { text: `${db.db_id} (${db.total} questions)`, attrs: { value: db.db_id } });
    option.disabled = db.total === 0;
    return option;
  });
  select.append(...options);
}

// With ~160 databases the list is long: typing narrows it to the names containing the text
// (the chosen one stays, so a filter never changes the form's value behind the user's back).
function filterDatabases() {
  const needle = $("db-filter").value.trim().toLowerCase();
  const select = $("db-select");
  for (const option of select.options) {
    if (!option.value) continue;
    const match = !needle || option.value.toLowerCase().includes(needle);
    option.hidden = !match && option.value !== select.value;
  }
}

// Difficulty counts follow the chosen database; a combination with no questions is disabled.
function fillDifficulties() {
  const select = $("difficulty-select");
  const chosen = select.value;
  const db = (state.catalog?.databases ?? []).find((d) => d.db_id === $("db-select").value);
  const totals = {};
  for (const d of state.catalog?.databases ?? []) {
    for (const [name, n] of Object.entries(d.questions ?? {})) totals[name] = (totals[name] ?? 0) + n;
  }
  const counts = db ? db.questions : totals;
  const options = (state.catalog?.difficulties ?? []).map((name) => {
    const n = counts?.[name] ?? 0;
    const option = el("option", { text: `${name} (${n})`, attrs: { value: name } });
    option.disabled = n === 0;
    return option;
  });
  select.replaceChildren(el("option", { text: "Any difficulty", attrs: { value: "" } }), ...options);
  const keep = options.find((o) => o.value === chosen && !o.disabled);
  select.value = keep ? chosen : "";
}

// `/web?question_id=...&seed=...` pre-fills the form, so an episode can be shared as a link.
function applyQueryString() {
  const params = new URLSearchParams(location.search);
  const set = (id, key) => {
    const value = params.get(key);
    if (value !== null) $(id).value = value;
  };
  set("db-select", "db_id");
  fillDifficulties();
  set("difficulty-select", "difficulty");
  set("seed-input", "seed");
  set("question-input", "question_id");
}

// ---------------------------------------------------------------------------------------------
// Wiring

function submitOnCtrlEnter(textarea, form) {
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
}

function wire() {
  $("reset-form").addEventListener("submit", (event) => {
    event.preventDefault();
    startEpisode(readResetForm());
  });
  $("random-button").addEventListener("click", () => startEpisode({ data: {} }));
  $("db-select").addEventListener("change", fillDifficulties);
  $("db-filter").addEventListener("input", filterDatabases);
  $("query-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const sql = $("sql-input").value.trim();
    if (sql) step("QUERY", sql);
  });
  $("answer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const answer = $("answer-input").value.trim();
    if (answer) step("ANSWER", answer);
  });
  submitOnCtrlEnter($("sql-input"), $("query-form"));
  submitOnCtrlEnter($("answer-input"), $("answer-form"));
  $("new-episode-button").addEventListener("click", () => {
    $("setup").scrollIntoView({ behavior: "smooth", block: "start" });
    $("reset-button").focus({ preventScroll: true });
  });
  $("download-log").addEventListener("click", downloadLog);
  window.addEventListener("pagehide", () => {
    if (state.socket) {
      state.closingOnPurpose = true;
      state.socket.close(1000, "page closed");
    }
  });
}

wire();
renderChart();
loadCatalog();
