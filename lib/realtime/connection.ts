/**
 * One client's socket: who it is, whether it answered the last ping, and the order of what it
 * is sent.
 *
 * Ordering and duplicates: a client that connects with `after` is first sent what it missed
 * (the replay, from the inbox), then live pushes. Live pushes that arrive during the replay
 * wait in a queue and go out after it; a notification the replay already sent (its seq at or
 * below the replay's last one, or the very one named by `after`), or one already sent on this
 * socket, is not sent again.
 *
 * Sends never wait: a socket that has more than `maxBufferedBytes` waiting (a client that stopped
 * reading) is handed to `onSlow`, which closes it, instead of growing without bound while the
 * sockets after it in a fan-out wait for nothing.
 */
import WebSocket from "ws";
import type { AuthUser } from "../meta";
import type { Notification } from "../names/notifications";
import { carriedNotification } from "./protocol";
import type { IndexedSocket } from "./socket-index";

/** Ids of the last notifications sent, to drop a push that arrives twice (two publishers, a replay overlap). */
const RECENT_IDS = 64;

/** A message and its serialised form: a fan-out serialises once for every socket. */
export interface Outgoing {
	message: unknown;
	data: Buffer;
}

export function outgoing(message: unknown): Outgoing {
	return { message, data: Buffer.from(JSON.stringify(message)) };
}

export interface ConnectionHooks {
	maxBufferedBytes: number;
	onSent(count: number): void;
	onSlow(connection: Connection): void;
}

export class Connection implements IndexedSocket {
	readonly tenantId: string;
	readonly userId: string;
	/** Cleared by each heartbeat, set by the pong: still false at the next heartbeat means dead. */
	alive = true;
	/** The socket's unsent bytes at the last heartbeat: a ping waits behind them (see stillReading). */
	private bufferedAtHeartbeat = 0;
	/** The code the server closed it with, if the server did. */
	closedWith?: number;
	/** Live pushes held while the replay runs; undefined when none runs. */
	private held: Outgoing[] | undefined;
	/** The replay sent everything up to this seq; live notifications at or below it are duplicates. */
	private replayedSeq = 0;
	private resumedAfter: string | undefined;
	private readonly recent: string[] = [];

	constructor(
		readonly socket: WebSocket,
		readonly user: AuthUser,
		/** Also the name of its slot under the per-user cap. */
		readonly id: string,
		/** Which tick of the heartbeat pings it (the pings of a node are spread over the interval). */
		readonly bucket: number,
		private readonly hooks: ConnectionHooks
	) {
		this.tenantId = user.tenantId;
		this.userId = user.id;
	}

	/**
	 * Asked by each heartbeat. A ping is queued behind the data not yet sent, so a client draining
	 * a big backlog answers late through no fault of its own: a backlog that moved since the last
	 * heartbeat is a peer still reading, or one growing towards the slow-consumer limit, which
	 * closes it (4408). A dead peer's backlog stands still, and its missing pong condemns it.
	 */
	stillReading(): boolean {
		const buffered = this.socket.bufferedAmount;
		const moved = buffered > 0 && buffered !== this.bufferedAtHeartbeat;
		this.bufferedAtHeartbeat = buffered;
		return moved;
	}

	get open(): boolean {
		return this.socket.readyState === WebSocket.OPEN && this.closedWith === undefined;
	}

	/** A live push: sent now, or after the replay when one runs. */
	push(out: Outgoing): void {
		if (this.held) this.held.push(out);
		else this.sendUnseen(out);
	}

	/** From now until finishReplay, live pushes wait. */
	startReplay(after: string): void {
		this.held = [];
		this.resumedAfter = after;
	}

	/** One missed notification, in the inbox's order. */
	replayed(notification: Notification): void {
		if (this.sendUnseen(outgoing({ type: "notification", notification }))) this.replayedSeq = Math.max(this.replayedSeq, notification.seq);
	}

	/** Sends `status` (synced, or why the replay could not run), then the pushes that waited. */
	finishReplay(status: unknown): void {
		const held = this.held ?? [];
		this.held = undefined;
		this.send(outgoing(status).data);
		for (const out of held) this.sendUnseen(out);
	}

	/** Sends unless it carries a notification this socket has had already. */
	private sendUnseen(out: Outgoing): boolean {
		const carried = carriedNotification(out.message);
		if (carried) {
			if (carried.seq <= this.replayedSeq || carried.id === this.resumedAfter || this.recent.includes(carried.id)) return false;
			this.recent.push(carried.id);
			if (this.recent.length > RECENT_IDS) this.recent.shift();
		}
		return this.send(out.data);
	}

	/** Queues `data` on the socket, never waiting; false when the socket is closed or too far behind. */
	send(data: Buffer): boolean {
		if (!this.open) return false;
		if (this.socket.bufferedAmount + data.length > this.hooks.maxBufferedBytes) {
			this.hooks.onSlow(this);
			return false;
		}
		this.socket.send(data, { binary: false });
		this.hooks.onSent(1);
		return true;
	}

	/** Closes with one of the documented codes (the close frame follows whatever is already queued). */
	close(code: number, reason: string): void {
		if (this.closedWith !== undefined) return;
		this.closedWith = code;
		this.socket.close(code, reason);
	}
}
