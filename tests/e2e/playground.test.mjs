// End-to-end test of the browser playground: starts the real server binary, drives Debian's
// headless Chromium with playwright-core through a whole episode by clicking and typing, and
// checks what the page shows. Run by scripts/test-e2e.sh (which installs what it needs).
//
// Env: SQLENV_BIN (the server binary; default target/debug/sqlenv), CHROMIUM (default
// /usr/bin/chromium), E2E_SCREENSHOT (default target/e2e/playground.png).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SERVER_BIN = process.env.SQLENV_BIN ?? join(ROOT, "target", "debug", "sqlenv");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOT = process.env.E2E_SCREENSHOT ?? join(ROOT, "target", "e2e", "playground.png");
// This machine's network is closed: without these Chromium waits on refused connections.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // A page of a public origin (the framing tests' Space page) may not load from this machine's
  // loopback server under Chromium's local-network checks; a real Space serves both publicly.
  "--disable-features=LocalNetworkAccessChecks",
];
const STEP_TIMEOUT_MS = 10_000;
// The question and its gold answer, as stored in data/questions/spider_dev.json.
const QUESTION_ID = "spider-dev-0000";
const QUESTION_TEXT = "How many singers do we have?";
const GOLD_ANSWER = "6";

const servers = [];
let context;
let userDataDir;
let baseUrl;

function freePort() {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

function running(server) {
  return server.process.exitCode === null && server.process.signalCode === null;
}

async function waitForHealth(server, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  let lastError;
  while (Date.now() < deadline) {
    if (!running(server)) throw new Error(`server exited (${server.process.exitCode}):\n${server.log}`);
    try {
      const response = await fetch(`${server.url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
      lastError = new Error(`health answered ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not healthy within ${deadlineMs} ms: ${lastError}\n${server.log}`);
}

// Starts the server binary on a free loopback port and waits until it is healthy.
async function startServer(extraArgs = []) {
  const port = await freePort();
  const args = ["serve", "--host", "127.0.0.1", "--port", String(port), ...extraArgs];
  const child = spawn(SERVER_BIN, args, {
    cwd: ROOT,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const server = { process: child, url: `http://127.0.0.1:${port}`, log: "" };
  servers.push(server);
  child.stdout.on("data", (chunk) => (server.log += chunk));
  child.stderr.on("data", (chunk) => (server.log += chunk));
  child.on("error", (error) => (server.log += `spawn error: ${error.message}`));
  await waitForHealth(server, 60_000);
  return server;
}

function stopServer(server) {
  if (running(server)) server.process.kill("SIGKILL");
}

function stopAllServers() {
  servers.forEach(stopServer);
}

// A server left behind would hold its port and the CPU; kill them however the test ends.
process.once("exit", stopAllServers);

before(async () => {
  baseUrl = (await startServer()).url;
  userDataDir = mkdtempSync(join(tmpdir(), "sqlenv-e2e-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
    viewport: { width: 1280, height: 800 },
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
});

after(async () => {
  try {
    await context?.close();
  } finally {
    stopAllServers();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  }
});

test("plays a whole episode in the browser: describe, query, answer", { timeout: 120_000 }, async () => {
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });

  // `/` redirects to the playground, whose catalog fills the database list.
  await page.goto(`${baseUrl}/`);
  assert.equal(new URL(page.url()).pathname, "/web");
  await page.locator("#db-select option[value=concert_singer]").waitFor({ state: "attached" });
  assert.match(await page.locator("#empty-state").innerText(), /No episode yet/);

  // New episode on a fixed question.
  await page.getByLabel("Question id").fill(QUESTION_ID);
  await page.getByRole("button", { name: "Start episode" }).click();
  await page.locator("#workspace").waitFor({ state: "visible" });
  assert.equal(await page.locator("#question-text").innerText(), QUESTION_TEXT);
  assert.equal(await page.locator("#meta-question").innerText(), QUESTION_ID);
  assert.equal(await page.locator("#meta-budget").innerText(), "15 of 15");
  assert.ok(await page.locator("#connection[data-state=open]").isVisible());

  // The newest step's result is the first in the results feed.
  const latest = page.locator("#result article").first();
  const waitForStep = (n) => page.locator("#step-log tbody tr").nth(n - 1).waitFor();

  // DESCRIBE by clicking a table.
  await page.getByRole("button", { name: "Describe singer", exact: true }).click();
  await waitForStep(1);
  assert.equal(await latest.locator(".badge").innerText(), "DESCRIBE");
  assert.match(await latest.locator("pre.result-text").innerText(), /Table singer \(6 rows\)/);
  assert.equal(await page.locator("#meta-budget").innerText(), "14 of 15");

  // A QUERY typed into the editor and run with Ctrl+Enter renders as a real table.
  const editor = page.getByLabel("SQL query");
  await editor.click();
  await editor.pressSequentially("SELECT Name, Age FROM singer ORDER BY Age");
  await editor.press("Control+Enter");
  await waitForStep(2);
  assert.equal(await latest.locator(".badge").innerText(), "QUERY");
  const table = latest.locator("table.result-table");
  assert.deepEqual(await table.locator("thead th").allInnerTexts(), ["Name", "Age"]);
  assert.equal(await table.locator("tbody tr").count(), 6);
  // The youngest singer in concert_singer's singer table.
  assert.deepEqual(await table.locator("tbody tr").first().locator("td").allInnerTexts(), ["Tribal King", "25"]);

  // A syntax error is shown as an error, and the episode goes on.
  await editor.fill("SELEC nothing");
  await editor.press("Control+Enter");
  await waitForStep(3);
  assert.match(await latest.locator(".error-box").innerText(), /syntax error/);
  assert.equal(await page.locator("#meta-budget").innerText(), "12 of 15");

  // The answer ends the episode with the terminal reward.
  await page.getByLabel("Answer").fill(GOLD_ANSWER);
  await page.getByRole("button", { name: "Submit answer" }).click();
  await page.locator("#done-banner").waitFor({ state: "visible" });
  assert.match(await page.locator("#done-text").innerText(), /Episode over\. Correct answer\./);
  assert.equal(await page.locator("#done-banner").getAttribute("data-outcome"), "correct");
  const lastRow = page.locator("#step-log tbody tr").last();
  const cells = await lastRow.locator("td").allInnerTexts();
  assert.equal(cells[0], "4");
  assert.match(cells[1], /^ANSWER 6/);
  assert.equal(cells[4], "+1.000", `terminal component: ${cells}`);
  // The whole return is paid at the answer: correct plus the efficiency term, 1 + 0.1 * 11/14.
  assert.equal(cells[2], "+0.079", `operational (efficiency) component: ${cells}`);
  assert.equal(cells[5], "+1.079", `step reward: ${cells}`);
  assert.match(await page.locator("#reward-summary").innerText(), /terminal \+1\.000/);
  assert.equal(await page.locator("#reward-chart svg rect.bar.terminal").count(), 1);
  // The server's own total arrives in a state frame and matches the page's running total.
  await page.locator("#done-text", { hasText: "Server total" }).waitFor();
  const total = cells[6];
  assert.match(await page.locator("#done-text").innerText(), new RegExp(`Server total: \\${total}\\.`));
  // Acting is over: the action controls are disabled.
  assert.ok(await page.getByRole("button", { name: "Run query" }).isDisabled());
  assert.ok(await page.getByRole("button", { name: "Describe singer", exact: true }).isDisabled());

  // The episode log downloads as JSON with every frame.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download episode log (JSON)" }).click(),
  ]);
  const logPath = join(userDataDir, "episode-log.json");
  await download.saveAs(logPath);
  const log = JSON.parse(readFileSync(logPath, "utf8"));
  const sent = log.frames.filter((f) => f.direction === "sent").map((f) => f.frame.type);
  assert.deepEqual(sent, ["reset", "step", "step", "step", "step", "state"]);
  assert.equal(log.question_id, QUESTION_ID);

  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.deepEqual(problems, []);
});

test("shows capacity, idle close and an unreachable server as clear states", { timeout: 60_000 }, async () => {
  // One session slot and a short idle limit make both states quick to reach.
  const server = await startServer(["--max-sessions", "1", "--idle-timeout-secs", "1.5"]);
  const first = await context.newPage();
  const second = await context.newPage();
  const notice = (page) => page.locator("#notice");
  for (const page of [first, second]) {
    await page.goto(`${server.url}/web?question_id=${QUESTION_ID}`);
    await page.locator("#db-select option[value=concert_singer]").waitFor({ state: "attached" });
  }

  // The first page takes the only slot; the second is told the server is full.
  await first.getByRole("button", { name: "Start episode" }).click();
  await first.locator("#workspace").waitFor({ state: "visible" });
  await second.getByRole("button", { name: "Start episode" }).click();
  await notice(second).waitFor({ state: "visible" });
  assert.match(await second.locator("#notice-title").innerText(), /at capacity/);
  assert.match(await second.locator("#notice-text").innerText(), /1 of 1 sessions/);
  assert.ok(await second.locator("#workspace").isHidden());

  // Left alone, the first session is closed for idleness and says so.
  await notice(first).waitFor({ state: "visible" });
  assert.equal(await first.locator("#notice-title").innerText(), "Session closed for idleness");
  assert.ok(await first.getByRole("button", { name: "Run query" }).isDisabled());

  // With the server gone, starting again reports it unreachable.
  stopServer(server);
  await new Promise((r) => server.process.once("exit", r));
  await first.getByRole("button", { name: "Start a new episode" }).click();
  await first.locator("#notice-title", { hasText: "Cannot reach the server" }).waitFor();
  assert.equal(await first.locator("#connection").innerText(), "Server unreachable");
  await first.close();
  await second.close();
});

// ---- The playground inside a frame, the way a Hugging Face Space shows it ---------------------
// The Space's page (https://huggingface.co/spaces/<owner>/<name>) frames the app. The test
// serves such a page itself (Playwright answers the request; nothing leaves the machine) with an
// iframe on the local server, and checks that the playground renders and plays inside it; a page
// of any other origin must get nothing.

const FRAMED_SCREENSHOT = join(dirname(SCREENSHOT), "playground-framed.png");

// Serves `html` as the page at `url` (any origin) in this browser context.
async function pageAt(url, html) {
  const page = await context.newPage();
  await page.route(url, (route) => route.fulfill({ status: 200, contentType: "text/html", body: html }));
  return page;
}

const framingPage = (src) =>
  `<!doctype html><title>framing test</title><body style="margin:0">` +
  `<iframe id="app" src="${src}" style="width:1200px;height:760px;border:0"></iframe></body>`;

// How many distinct colours a PNG has, counted by the browser itself (no image library).
async function distinctColours(png) {
  const page = await context.newPage();
  try {
    return await page.evaluate(async (b64) => {
      const image = new Image();
      image.src = `data:image/png;base64,${b64}`;
      await image.decode();
      const canvas = new OffscreenCanvas(image.width, image.height);
      const g = canvas.getContext("2d");
      g.drawImage(image, 0, 0);
      const data = g.getImageData(0, 0, image.width, image.height).data;
      const seen = new Set();
      for (let i = 0; i < data.length; i += 4) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return seen.size;
    }, png.toString("base64"));
  } finally {
    await page.close();
  }
}

test("renders and plays inside a Hugging Face Space's frame", { timeout: 60_000 }, async () => {
  const spaceUrl = "https://huggingface.co/spaces/sqlenv/sqlenv";
  const page = await pageAt(spaceUrl, framingPage(`${baseUrl}/web?question_id=${QUESTION_ID}`));
  const refusals = [];
  page.on("console", (message) => {
    if (/frame-ancestors|Refused to frame/i.test(message.text())) refusals.push(message.text());
  });
  await page.goto(spaceUrl);
  const app = page.frameLocator("#app");
  await app.locator("#db-select option[value=concert_singer]").waitFor({ state: "attached" });
  assert.ok(await app.locator("#empty-state").isVisible());
  // An episode over the framed page's WebSocket.
  await app.getByRole("button", { name: "Start episode" }).click();
  await app.locator("#workspace").waitFor({ state: "visible" });
  assert.equal(await app.locator("#question-text").innerText(), QUESTION_TEXT);
  assert.ok(await app.locator("#connection[data-state=open]").isVisible());

  mkdirSync(dirname(FRAMED_SCREENSHOT), { recursive: true });
  const shot = await page.locator("#app").screenshot({ path: FRAMED_SCREENSHOT });
  // A rendered playground has text, buttons and borders; a blank or refused frame has a handful
  // of colours at most.
  const colours = await distinctColours(shot);
  assert.ok(colours > 50, `the framed playground looks blank (${colours} colours): ${FRAMED_SCREENSHOT}`);
  assert.deepEqual(refusals, []);
  await page.close();
});

test("refuses to be framed by any other site", { timeout: 60_000 }, async () => {
  const otherUrl = "https://example.com/framing";
  const page = await pageAt(otherUrl, framingPage(`${baseUrl}/web`));
  const refused = new Promise((ok) =>
    page.on("console", (message) => {
      if (/frame-ancestors/i.test(message.text())) ok(message.text());
    }),
  );
  await page.goto(otherUrl);
  const why = await Promise.race([refused, new Promise((r) => setTimeout(() => r(null), STEP_TIMEOUT_MS))]);
  assert.ok(why, "Chromium reported no frame-ancestors refusal");
  const frame = page.frames().find((f) => f !== page.mainFrame());
  assert.ok(frame, "the iframe exists");
  assert.equal(await frame.locator("#db-select").count(), 0, "the playground rendered where it must not");
  await page.close();
});
