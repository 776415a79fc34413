/**
 * Every pipeline of ioredis (one per turn of the event loop with auto-pipelining) shares one
 * hidden class: with a `length` getter of its own on each, V8 kept every pipeline and the
 * requests waiting on it alive through a scavenge (patches/README.md). Checked in a node of its
 * own, where V8's natives syntax can tell.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

const probe = `
const Redis = require("ioredis");
const client = new Redis({ lazyConnect: true });
const first = client.pipeline();
const second = client.pipeline();
first.get("a").get("b");
process.stdout.write(JSON.stringify({ sameHiddenClass: %HaveSameMap(first, second), lengths: [first.length, second.length] }));
client.disconnect();
`;

describe("ioredis pipelines", () => {
	it("share one hidden class, and still count their commands", () => {
		const answer = JSON.parse(execFileSync(process.execPath, ["--allow-natives-syntax", "-e", probe], { cwd: ROOT, encoding: "utf8" }));
		expect(answer).toEqual({ sameHiddenClass: true, lengths: [2, 0] });
	});
});
