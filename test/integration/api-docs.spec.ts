/**
 * The API reference page in a real browser (Debian's chromium, headless, driven by
 * playwright-core): GET /api/docs loads Swagger UI from the gateway itself under its
 * Content-Security-Policy, shows every context's tag, takes a token from a login under
 * "Authorize", and runs an authenticated call that answers 200. A screenshot is kept under
 * test-output/ (its path is printed).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { CONTEXT_TAGS } from "../../lib/openapi/tags";
import { CHROMIUM_PATH, describeWith } from "../support/external";
import { login, signup } from "../support/http";
import { type RunningSystem, startRoomySystem } from "../support/local-system";

const OUTPUT_DIR = path.resolve(__dirname, "../../test-output");

describeWith(["chromium"], "the API docs page in a browser", () => {
	let system: RunningSystem;
	let browser: BrowserContext;
	let profile: string;

	beforeAll(async () => {
		system = await startRoomySystem();
		// A fresh profile: nothing from an earlier run (a stored token, a cached page) can help.
		profile = mkdtempSync(path.join(os.tmpdir(), "roster-chromium-"));
		browser = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM_PATH,
			headless: true,
			args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
			viewport: { width: 1280, height: 2000 }
		});
	}, 60_000);

	afterAll(async () => {
		await browser?.close();
		if (profile) rmSync(profile, { recursive: true, force: true });
		await system?.stop();
	});

	it("shows every tag, authorizes with a login's token and runs an authenticated call", async () => {
		const owner = await signup(system.url, "Docs Ltd");
		const { accessToken } = await login(system.url, owner.email);
		const page = await browser.newPage();
		const problems: string[] = [];
		page.on("console", message => {
			if (message.type() === "error") problems.push(message.text());
		});
		page.on("pageerror", err => problems.push(err.message));
		const offSite: string[] = [];
		page.on("request", req => {
			if (!req.url().startsWith(system.url) && !req.url().startsWith("data:")) offSite.push(req.url());
		});

		const opened = await page.goto(`${system.url}/api/docs`);
		expect(opened?.status()).toBe(200);
		await page.locator(".opblock-tag").first().waitFor({ timeout: 20_000 });
		const tags = await page.locator(".opblock-tag").evaluateAll(nodes => nodes.map(node => node.getAttribute("data-tag")));
		expect(tags).toEqual(CONTEXT_TAGS.map(tag => tag.name));

		await page.locator("button.authorize").first().click();
		await page.locator(".modal-ux input").fill(accessToken);
		await page.locator(".modal-ux button.authorize").click();
		await page.locator(".modal-ux button.btn-done").click();

		const operation = page.locator(".opblock-get", { has: page.locator('[data-path="/api/v1/me"]') });
		await operation.locator(".opblock-summary").click();
		await operation.locator("button.try-out__btn").click();
		const answered = page.waitForResponse(res => res.url() === `${system.url}/api/v1/me`);
		await operation.locator("button.execute").click();
		const me = await answered;
		expect(me.status()).toBe(200);
		expect(await me.request().headerValue("authorization")).toBe(`Bearer ${accessToken}`);
		// What the page shows the reader, not only what went over the wire.
		const shown = operation.locator(".live-responses-table tbody .response-col_status").first();
		await shown.waitFor();
		expect((await shown.innerText()).trim()).toBe("200");

		mkdirSync(OUTPUT_DIR, { recursive: true });
		const shot = path.join(OUTPUT_DIR, "api-docs.png");
		await page.screenshot({ path: shot, fullPage: false });
		console.log(`[api-docs] screenshot: ${shot}`);
		// No script refused by the page's CSP, nothing fetched from anywhere but the gateway.
		expect(problems).toEqual([]);
		expect(offSite).toEqual([]);
	}, 90_000);
});
