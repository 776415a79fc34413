/** Helpers for the API reference's tests. */
import { execFile } from "node:child_process";

/**
 * Validates an OpenAPI document with @apidevtools/swagger-parser. In a child Node: the parser's
 * dependencies are ES modules, which jest's module runtime cannot load (Node itself can).
 * Answers the validator's message, or null when the document is valid.
 */
export function swaggerParserErrors(doc: unknown): Promise<string | null> {
	const script = `
		let input = "";
		process.stdin.on("data", chunk => input += chunk).on("end", () => {
			require("@apidevtools/swagger-parser").validate(JSON.parse(input))
				.then(() => process.stdout.write("valid"), err => process.stdout.write(err.message));
		});`;
	return new Promise((resolve, reject) => {
		const child = execFile(process.execPath, ["-e", script], { maxBuffer: 16 << 20 }, (err, stdout) => {
			if (err) return reject(err);
			resolve(stdout === "valid" ? null : stdout);
		});
		child.stdin!.end(JSON.stringify(doc));
	});
}
