/**
 * The JSON logger's handling of what a line carries (lib/logging/logger.ts): Moleculer-style
 * arguments become a message plus fields, and no credential survives at any depth.
 */
import pino from "pino";
import { pinoOptions } from "../../lib/logging/logger";

/** How Moleculer calls a logger: any values, in any order. */
type AnyArgsLogger = Record<"debug" | "info" | "warn", (...args: unknown[]) => void>;

function logged(write: (log: AnyArgsLogger) => void): Record<string, unknown> {
	let line = "";
	write(pino(pinoOptions(), { write: (chunk: string) => (line += chunk) }) as unknown as AnyArgsLogger);
	return JSON.parse(line) as Record<string, unknown>;
}

describe("JSON log lines", () => {
	it("join Moleculer's words into the message, and put values in data and an error in err", () => {
		const line = logged(log => log.warn("Could not emit", "leave.decided:", { attempt: 2 }, new Error("broken")));
		expect(line).toMatchObject({ level: "warn", msg: "Could not emit leave.decided:", data: { attempt: 2 }, err: { message: "broken" } });
	});

	it("lift a lone { requestID } to the line's requestId", () => {
		expect(logged(log => log.debug("The 'x' request is rejected.", { requestID: "r-1" }))).toMatchObject({ requestId: "r-1" });
	});

	it("censor credentials at any depth, in data and in an error's data, in any case of the key", () => {
		// Secrets no timestamp, pid or stack path can contain by chance ("T0" once matched 00:15 UTC).
		const cyclic: Record<string, unknown> = { token: "secret-token-0" };
		cyclic.self = cyclic;
		const err = Object.assign(new Error("Parameters validation error!"), { data: [{ field: "password", actual: "secret-password-1" }] });
		const raw = JSON.stringify(
			logged(log =>
				log.info(
					"values",
					{
						a: { b: { c: { d: { refreshToken: "secret-refresh-1", headers: { Authorization: "Bearer secret-bearer-1" } } } } },
						list: [{ newPassword: "secret-new-password-1" }]
					},
					cyclic,
					err
				)
			)
		);
		for (const secret of ["secret-token-0", "secret-password-1", "secret-refresh-1", "secret-bearer-1", "secret-new-password-1"])
			expect(raw).not.toContain(secret);
		expect(raw).toContain("[redacted]");
	});

	it("censor the flat fields of an object logged pino's way", () => {
		expect(logged(log => log.info({ password: "P1", accessToken: "X1", route: "/r" }, "line"))).toEqual(
			expect.objectContaining({ password: "[redacted]", accessToken: "[redacted]", route: "/r" })
		);
	});
});
