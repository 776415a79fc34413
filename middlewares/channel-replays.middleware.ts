/**
 * A replay from the dead-letter queue (services/data/dead-letters.service.ts) goes out on the
 * event's own channel, where every consumer group receives it; it is meant for the group that
 * failed it only (`replayFor`). Every other group's handler is skipped and the delivery
 * acknowledged, so a replay never reaches a consumer that handled the event already.
 */
import type { Middleware } from "moleculer";
import type { Channel } from "@moleculer/channels/types/src";
import { envelopeOf } from "../lib/channels/events";

export function ChannelReplaysMiddleware(): Middleware {
	return {
		name: "ChannelReplays",

		localChannel(next: (payload: unknown, raw: unknown) => Promise<unknown>, chan: Channel) {
			return function replayForItsGroup(payload: unknown, raw: unknown): Promise<unknown> {
				const replayFor = envelopeOf(payload)?.replayFor;
				if (replayFor !== undefined && replayFor !== chan.group) return Promise.resolve();
				return next(payload, raw);
			};
		}
	} as unknown as Middleware;
}
