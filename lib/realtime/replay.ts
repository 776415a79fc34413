/**
 * What a reconnecting client missed: the inbox after the last notification it saw, page by page
 * and oldest first, then a `synced` message; live pushes wait meanwhile (connection.ts) and
 * follow it. A replay never hangs a socket: when the notifications service cannot answer, the
 * client is told so (`replay-unavailable`) and live pushes flow on.
 */
import type { Notification } from "../names/notifications";
import type { Connection } from "./connection";

export const REPLAY_PAGE = 100;
/** Beyond this many the client is told `more: true`, and should reload its inbox over REST. */
export const REPLAY_MAX = 1000;

export type SinceCall = (after: string, limit: number) => Promise<Notification[]>;

/** Moleculer's own 404: no node serves the action, an outage however it is coded. */
const NO_SERVICE = "ServiceNotFoundError";

/** A 4xx from the inbox itself (an `after` that is no notification of the user's): the client's mistake, not an outage. */
function clientError(err: unknown): boolean {
	const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown };
	return typeof code === "number" && code >= 400 && code < 500 && name !== NO_SERVICE;
}

export async function replay(connection: Connection, after: string, since: SinceCall): Promise<void> {
	connection.startReplay(after);
	let cursor = after;
	let replayed = 0;
	try {
		for (;;) {
			const page = await since(cursor, REPLAY_PAGE);
			for (const notification of page) connection.replayed(notification);
			replayed += page.length;
			if (page.length < REPLAY_PAGE) return connection.finishReplay({ type: "synced", replayed, more: false });
			if (replayed >= REPLAY_MAX) return connection.finishReplay({ type: "synced", replayed, more: true });
			cursor = page[page.length - 1].id;
		}
	} catch (err) {
		const reason = clientError(err) ? "invalid-after" : "notifications-unavailable";
		connection.finishReplay({ type: "replay-unavailable", reason, replayed });
	}
}
