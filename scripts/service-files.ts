/** The service files of this checkout, in source (tsx) or built (dist) form, without the gateway. */
import { readdirSync } from "node:fs";
import path from "node:path";

export function domainServiceFiles(): string[] {
	const dir = path.resolve(__dirname, "../services");
	const ext = path.extname(__filename);
	return readdirSync(dir, { recursive: true, encoding: "utf8" })
		.filter(f => f.endsWith(`.service${ext}`) && !f.startsWith("gateway"))
		.sort()
		.map(f => path.join(dir, f));
}
