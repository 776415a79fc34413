/** A WebSocket client of the realtime service, as the suites drive it: every message kept, the close code awaited. */
import WebSocket, { type ClientOptions } from "ws";

export interface RealtimeMessage {
	type: string;
	[field: string]: unknown;
}

export interface TestClient {
	ws: WebSocket;
	messages: RealtimeMessage[];
	/** Resolves with the close code the client saw (1006: the connection dropped without a close frame). */
	closed: Promise<number>;
	/** The first message (already received or still to come) after `from` that matches; fails after `timeoutMs`. */
	next(match: (m: RealtimeMessage) => boolean, timeoutMs?: number, from?: number): Promise<RealtimeMessage>;
	close(): Promise<void>;
}

export type TokenVia = "header" | "query" | "protocol";

export interface ConnectOptions {
	token?: string;
	via?: TokenVia;
	after?: string;
	ws?: ClientOptions;
}

export function realtimeUrl(port: number): string {
	return `ws://127.0.0.1:${port}/realtime`;
}

export function connect(url: string, opts: ConnectOptions = {}): TestClient {
	const target = new URL(url);
	const headers: Record<string, string> = {};
	const protocols: string[] = [];
	if (opts.token !== undefined) {
		const via = opts.via ?? "header";
		if (via === "header") headers.authorization = `Bearer ${opts.token}`;
		if (via === "query") target.searchParams.set("access_token", opts.token);
		if (via === "protocol") protocols.push("roster.v1", `bearer.${opts.token}`);
	}
	if (opts.after !== undefined) target.searchParams.set("after", opts.after);
	const ws = new WebSocket(target, protocols, { headers, ...opts.ws });
	const messages: RealtimeMessage[] = [];
	const waiters = new Set<(closedWith?: number) => void>();
	ws.on("message", data => {
		messages.push(JSON.parse(data.toString()) as RealtimeMessage);
		for (const wake of waiters) wake();
	});
	ws.on("error", () => undefined);
	const closed = new Promise<number>(resolve =>
		ws.once("close", code => {
			resolve(code);
			// Nothing more will come: a wait still open fails now, not at its timeout.
			for (const wake of waiters) wake(code);
		})
	);
	const client: TestClient = {
		ws,
		messages,
		closed,
		next(match, timeoutMs = 5000, from = 0) {
			return new Promise((resolve, reject) => {
				const look = (closedWith?: number) => {
					const found = messages.slice(from).find(match);
					if (!found && closedWith === undefined) return false;
					waiters.delete(look);
					clearTimeout(timer);
					if (found) resolve(found);
					else reject(new Error(`closed with ${closedWith} before a matching message; got ${JSON.stringify(messages.map(m => m.type))}`));
					return true;
				};
				const timer = setTimeout(() => {
					waiters.delete(look);
					reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages.map(m => m.type))}`));
				}, timeoutMs);
				if (!look(ws.readyState === WebSocket.CLOSED ? 1006 : undefined)) waiters.add(look);
			});
		},
		async close() {
			if (ws.readyState === WebSocket.CLOSED) return;
			ws.close(1000);
			await closed;
		}
	};
	return client;
}

/** Connects and waits for the welcome: the socket is then in the node's index, ready for pushes. */
export async function connected(url: string, opts: ConnectOptions = {}): Promise<TestClient> {
	const client = connect(url, opts);
	await Promise.race([
		client.next(m => m.type === "welcome"),
		client.closed.then(code => {
			throw new Error(`closed with ${code} instead of a welcome`);
		})
	]);
	return client;
}
