/** What the smaller contexts answer: audit records, short links, dead letters and imports. */
import { arrayOf, bool, closed, day, enumeration, int, nullableStr, nullableTimestamp, str, timestamp } from "../schemas";

export const AuditRecord = closed({
	id: str,
	at: timestamp,
	// job: the scheduled job, consumer or saga step that acted as "system"; onBehalfOf: the person it acted for.
	actor: closed({ userId: str, role: str, roles: arrayOf(str), job: str, onBehalfOf: str }, ["job", "onBehalfOf"]),
	action: str,
	operation: enumeration(["created", "updated", "removed"]),
	target: closed({ type: str, id: str }),
	changes: { type: "object", additionalProperties: closed({ from: {}, to: {} }) },
	requestId: nullableStr,
	clientIp: nullableStr
});

const shortLink = { id: str, code: str, url: { type: "string", format: "uri" }, shortUrl: str, expiresAt: nullableTimestamp, createdAt: timestamp };

export const ShortLink = closed(shortLink);

export const ShortLinkWithClicks = closed({ ...shortLink, clicksByDay: arrayOf(closed({ day, clicks: int })), totalClicks: int });

export const DeadLetter = closed({
	id: str,
	channel: str,
	group: str,
	eventId: nullableStr,
	event: {},
	state: enumeration(["dead", "replayed"]),
	deaths: int,
	deadAt: timestamp,
	replayedAt: nullableTimestamp,
	replayedBy: nullableStr
});

const counts = closed({ total: int, imported: int, updated: int, skipped: int, failed: int });

export const Import = closed({
	id: str,
	status: enumeration(["queued", "running", "done", "failed"]),
	counts,
	processed: int,
	errors: arrayOf(closed({ row: int, field: str, reason: str })),
	errorsTruncated: bool,
	createdBy: str,
	createdAt: timestamp,
	finishedAt: nullableTimestamp,
	// Why a failed import stopped; null unless failed.
	failure: nullableStr
});

export const ImportQueued = closed({ id: str, status: { const: "queued" }, total: int });
