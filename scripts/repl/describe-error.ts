/** An error as the REPL prints it: what a client would see (status, type, message, data). */
export function describeError(err: unknown): string {
	const e = err as { name?: string; code?: number; type?: string; message?: string; data?: unknown };
	const head = [e.name, e.code, e.type].filter(part => part !== undefined && part !== "").join(" ");
	const data = e.data === undefined ? "" : `\n${JSON.stringify(e.data, null, 2)}`;
	return `${head}: ${e.message ?? String(err)}${data}`;
}
